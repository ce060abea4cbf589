"""Shared fixtures: tiny models (2 blocks x 8 channels) and small images keep the suite fast."""

from __future__ import annotations

import json
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from srgan.paths import benchmark_dir, data_dir

TINY = {"num_blocks": 2, "channels": 8, "bicubic_skip": True}

requires_data = pytest.mark.skipif(
    not benchmark_dir("Set5").is_dir(),
    reason=f"benchmark data not found at {data_dir()} (set SRGAN_DATA to the shared data folder)",
)

requires_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("chromedriver")),
    reason="needs Debian chromium and chromium-driver (apt-get install them)",
)


def smooth_image(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A natural-looking uint8 (h, w, 3) test image: smooth colour gradients plus mild texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack(
        [
            0.5 + 0.4 * np.sin(x / (7 + c * 3) + y / (11 + c) + rng.uniform(0, 6)) * np.cos(y / (13 + 2 * c))
            for c in range(3)
        ],
        axis=-1,
    )
    img += rng.normal(0, 0.03, img.shape)
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def tiny_weights_dir(tmp_path_factory):
    """A weights folder with tiny 'srresnet' and 'srgan' generators and their model cards."""
    from srgan.model.models import build_generator

    folder = tmp_path_factory.mktemp("weights")
    for seed, name in enumerate(("srresnet", "srgan")):
        import keras

        keras.utils.set_random_seed(seed)
        g = build_generator(**TINY, name=name)
        g.save_weights(folder / f"{name}_x4.weights.h5")
        (folder / f"{name}_x4.json").write_text(json.dumps({"name": name, "architecture": TINY}))
    return folder


@pytest.fixture
def tiny_weights(tiny_weights_dir, monkeypatch):
    """Point the library's weights folder at the tiny models for this test."""
    monkeypatch.setenv("SRGAN_WEIGHTS", str(tiny_weights_dir))
    return tiny_weights_dir
