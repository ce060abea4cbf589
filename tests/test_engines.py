"""Every engine computes the Keras model's function: OpenVINO from the ONNX graph (fp32 within 1e-4,
bf16 close), the committed graphs rebuilt byte for byte from the weights, precision chosen from the CPU."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from srgan.engines import make_engine
from srgan.engines.keras_engine import KerasEngine
from srgan.inference import Upscaler
from srgan.store import onnx_path, weights_path
from tests.conftest import TINY, smooth_image


def _random_generator(path, arch: dict, seed: int = 0) -> None:
    """A generator with random weights, batch-norm statistics and PReLU slopes (so that folding and
    per-map slopes are exercised), saved to ``path``."""
    import keras

    from srgan.model.models import build_generator

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    g = build_generator(**arch)
    for layer in g.layers:
        w = layer.get_weights()
        if isinstance(layer, keras.layers.BatchNormalization):
            shape = w[0].shape
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, shape),
                    rng.normal(0, 0.1, shape),
                    rng.normal(0, 0.1, shape),
                    rng.uniform(0.5, 2, shape),
                ]
            )
        elif isinstance(layer, keras.layers.PReLU):
            layer.set_weights([rng.uniform(0, 0.5, w[0].shape)])
    g.save_weights(path)


@pytest.mark.parametrize("bicubic_skip", [True, False])
def test_openvino_fp32_equals_keras_on_random_weights(tmp_path, bicubic_skip):
    arch = {**TINY, "bicubic_skip": bicubic_skip}
    path = tmp_path / "g.weights.h5"
    _random_generator(path, arch)
    keras_engine = KerasEngine(path, arch)
    openvino = make_engine("openvino", path, arch, precision="fp32")
    assert openvino.precision == "fp32"
    for h, w in ((23, 31), (8, 8), (40, 17)):
        lr = np.random.default_rng(h).random((h, w, 3), dtype=np.float32)
        got, want = openvino(lr), keras_engine(lr)
        assert got.shape == want.shape == (4 * h, 4 * w, 3)
        assert np.abs(got - want).max() < 1e-4


def test_bf16_is_close_to_fp32_or_refused_without_native_bf16(tmp_path, monkeypatch):
    from srgan.engines import openvino_engine

    path = tmp_path / "g.weights.h5"
    _random_generator(path, TINY)
    monkeypatch.setattr(openvino_engine, "native_bf16", lambda: False)  # e.g. AMD Zen 3
    with pytest.raises(ValueError, match="bf16 needs a CPU with native BF16"):
        make_engine("openvino", path, TINY, precision="bf16")
    monkeypatch.undo()
    if not openvino_engine.native_bf16():
        pytest.skip("this CPU has no native BF16: only the refusal is checked")
    lr = smooth_image(32, 32).astype(np.float32) / 255
    fp32 = make_engine("openvino", path, TINY, precision="fp32")(lr)
    bf16 = make_engine("openvino", path, TINY, precision="bf16")
    assert bf16.precision == "bf16"
    assert np.abs(bf16(lr) - fp32).mean() < 0.01  # bfloat16 keeps 8 bits of mantissa


@pytest.mark.parametrize(
    ("vendor", "features", "native", "expected"),
    [
        ("GenuineIntel", ["avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"], True, "bf16"),  # Sapphire Rapids+
        ("GenuineIntel", ["avx2", "avx512f", "avx512_bf16"], True, "fp32"),  # Intel without AMX: bf16 measured slower
        ("AuthenticAMD", ["avx2", "avx512f", "avx512_bf16"], True, "bf16"),  # Zen 4: bf16 measured faster
        ("AuthenticAMD", ["avx2"], False, "fp32"),  # Zen 3
        ("AuthenticAMD", ["avx2", "avx512f", "avx512_bf16"], False, "fp32"),  # OpenVINO finds no BF16
    ],
)
def test_auto_precision_follows_what_the_cpu_has(tmp_path, monkeypatch, vendor, features, native, expected):
    from srgan import machine
    from srgan.engines import openvino_engine

    monkeypatch.setattr(machine, "cpu_vendor", lambda: vendor)
    monkeypatch.setattr(machine, "cpu_features", lambda: features)
    monkeypatch.setattr(openvino_engine, "native_bf16", lambda: native)
    path = tmp_path / "g.weights.h5"
    _random_generator(path, TINY)
    assert make_engine("openvino", path, TINY, precision="auto").precision == expected


@pytest.mark.parametrize("model", ["srresnet", "srgan"])
def test_committed_onnx_graphs_are_made_from_the_committed_weights(model):
    # the graphs can never drift from the weights: rebuilt from the .weights.h5, byte for byte
    from srgan.model.onnx_export import onnx_bytes
    from srgan.store import model_card

    if not weights_path(model).is_file():
        pytest.skip(f"no shipped {model} weights")
    arch = model_card(model)["architecture"]
    assert onnx_path(model).read_bytes() == onnx_bytes(weights_path(model), arch)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["srresnet", "srgan"])
def test_shipped_models_openvino_fp32_equals_keras(model):
    lr = smooth_image(40, 48).astype(np.float32) / 255
    want = Upscaler(model, engine="keras").upscale_array(lr)
    got = Upscaler(model, engine="openvino", precision="fp32").upscale_array(lr)
    assert np.abs(got - want).max() < 1e-4


def test_tiled_openvino_equals_whole_image_within_one_level(tiny_weights):
    lr = smooth_image(70, 90).astype(np.float32) / 255
    tiled = Upscaler("srresnet", tile=24, precision="fp32").upscale_array(lr)
    whole = Upscaler("srresnet", tile=1000, precision="fp32").upscale_array(lr)
    assert np.abs(tiled - whole).max() <= 1 / 255


def test_the_default_path_never_imports_tensorflow(tiny_weights, tmp_path):
    from PIL import Image

    Image.fromarray(smooth_image(16, 16)).save(tmp_path / "a.png")
    code = (
        "import sys\n"
        "from srgan.cli import main\n"
        f"assert main(['upscale', {str(tmp_path / 'a.png')!r}, '-o', {str(tmp_path / 'out')!r}, '-q']) == 0\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "[]"
    assert Image.open(tmp_path / "out" / "a.png").size == (64, 64)
