"""Checks on the shipped weights in weights/ (skipped where they are absent)."""

import json

import numpy as np
import pytest

from srgan.inference import DEFAULT_TILE_PAD, Upscaler
from srgan.paths import PROJECT_ROOT
from srgan.store import weights_path
from tests.conftest import requires_data, smooth_image

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not weights_path("srresnet").is_file(), reason="no shipped srresnet weights in weights/"),
]


def test_default_pad_tiles_without_seams_on_the_real_model():
    # the real model's receptive field is far wider than the tiny test models': 16 px of context is
    # what keeps tiles within 1/255 of the whole-image output (measured: 8 px gives 6/255, 12 px 1/255)
    lr = smooth_image(72, 80, seed=11).astype(np.float32) / 255
    whole = Upscaler("srresnet", tile=1000).upscale_array(lr)
    tiled = Upscaler("srresnet", tile=24, tile_pad=DEFAULT_TILE_PAD).upscale_array(lr)
    assert np.abs(tiled - whole).max() <= 1 / 255


@requires_data
def test_shipped_model_beats_bicubic_as_its_card_says():
    from srgan.images import upscale_bicubic
    from srgan.paths import benchmark_dir
    from srgan.quality.suites import evaluate_folder, upscaler_method

    card = json.loads((PROJECT_ROOT / "weights" / "srresnet_x4.json").read_text())
    sr = evaluate_folder(benchmark_dir("Set5"), upscaler_method(Upscaler("srresnet", precision="fp32")))["mean"]
    bicubic = evaluate_folder(benchmark_dir("Set5"), upscale_bicubic)["mean"]
    assert sr["psnr"] > bicubic["psnr"] + 0.5
    assert sr["psnr"] == pytest.approx(card["metrics"]["Set5"]["psnr"], abs=0.01)
