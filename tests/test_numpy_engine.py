"""The NumPy engine computes the Keras generator's function, reads its weights files, and needs no TensorFlow."""

import subprocess
import sys

import numpy as np
import pytest

from srgan.numpy_engine import Conv, NumpyGenerator, Padded, conv2d, load_generator_weights
from tests.conftest import smooth_image


def _random_generator(bicubic_skip: bool, seed: int, alpha_range=(-0.2, 0.6), scale: int = 4):
    """A tiny Keras generator with every weight random, batch-norm statistics and PReLU slopes included."""
    import keras

    from srgan.models import build_generator

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    g = build_generator(num_blocks=2, channels=8, scale=scale, bicubic_skip=bicubic_skip)
    for layer in g.layers:
        cls = layer.__class__.__name__
        if cls == "BatchNormalization":
            c = layer.get_weights()[0].shape[0]
            layer.set_weights(
                [rng.uniform(0.5, 1.5, c), rng.normal(0, 0.1, c), rng.normal(0, 0.2, c), rng.uniform(0.2, 2.0, c)]
            )
        elif cls == "PReLU":
            layer.set_weights([rng.uniform(*alpha_range, layer.get_weights()[0].shape)])
        elif cls == "Conv2D":
            k, b = layer.get_weights()
            layer.set_weights([rng.normal(0, 1.0 / np.sqrt(k[..., 0].size), k.shape), rng.normal(0, 0.05, b.shape)])
    return g


@pytest.mark.parametrize(
    ("bicubic_skip", "alpha_range", "scale"),
    [(True, (-0.2, 0.6), 4), (False, (-0.2, 0.6), 4), (True, (0.5, 1.5), 4), (True, (-0.2, 0.6), 2)],
)
def test_numpy_engine_equals_keras_on_random_weights(tmp_path, bicubic_skip, alpha_range, scale):
    # alpha > 1 takes PReLU's general branch; scale 2 has a single x2 stage; the weights go through a real file
    g = _random_generator(bicubic_skip, seed=3, alpha_range=alpha_range, scale=scale)
    path = tmp_path / "g.weights.h5"
    g.save_weights(path)
    engine = NumpyGenerator(load_generator_weights(path, bicubic_skip))
    lr = smooth_image(13, 21, seed=2).astype(np.float32) / 255
    expected = np.asarray(g(lr[None], training=False))[0]
    for _ in range(2):  # the second call reuses the buffers of the first
        out = engine(lr)
        assert out.shape == (13 * scale, 21 * scale, 3)
        np.testing.assert_allclose(out, expected, atol=2e-5 * max(1.0, np.abs(expected).max()))


def test_conv2d_matches_a_direct_sum():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 7, 2)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 2, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    xp = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    direct = np.zeros((6, 7, 4), np.float32) + bias
    for dy in range(3):
        for dx in range(3):
            direct += xp[dy : dy + 6, dx : dx + 7] @ kernel[dy, dx]
    np.testing.assert_allclose(conv2d(x, Conv.from_keras(kernel, bias)), direct, rtol=1e-5, atol=1e-5)


def test_padded_buffers_keep_zero_borders_when_reused():
    from srgan.numpy_engine import Scratch, conv_into

    rng = np.random.default_rng(1)
    conv = Conv.from_keras(rng.normal(size=(3, 3, 4, 4)).astype(np.float32), np.ones(4, np.float32))
    ws = Scratch()
    src = Padded.of(rng.normal(size=(5, 9, 4)).astype(np.float32), 1)
    dst = ws.padded("out", 5, 9, 4, 1)
    conv_into(src, conv, dst, scratch=ws)
    border = dst.array.copy()
    border[1:6, 1:10] = 0
    assert not border.any()  # the pad columns computed in between were re-zeroed
    assert ws.padded("out", 5, 9, 4, 1) is dst


def test_upscaler_numpy_engine_matches_tensorflow_engine_tiled(tiny_weights):
    from srgan.inference import Upscaler

    lr = smooth_image(70, 90).astype(np.float32) / 255
    tf_out = Upscaler("srgan", tile=24).upscale_array(lr)
    np_out = Upscaler("srgan", tile=24, engine="numpy").upscale_array(lr)
    assert np.abs(tf_out - np_out).max() <= 1 / 255


def test_numpy_engine_does_not_import_tensorflow(tiny_weights):
    code = (
        "import sys, numpy as np\n"
        "from srgan.inference import Upscaler\n"
        "u = Upscaler('srgan', engine='numpy', tile=16)\n"
        "out = u.upscale_array(np.zeros((20, 20, 3), np.float32))\n"
        "assert out.shape == (80, 80, 3)\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert res.stdout.strip() == "[]"


def test_weights_file_of_another_model_is_refused(tmp_path):
    import keras

    from srgan.models import build_discriminator

    keras.utils.set_random_seed(0)
    path = tmp_path / "d.weights.h5"
    build_discriminator(32).save_weights(path)
    with pytest.raises(ValueError, match="not a generator"):
        load_generator_weights(path, bicubic_skip=False)


def test_windows_in_parallel_equal_windows_in_turn(tiny_weights):
    from srgan.inference import Upscaler

    lr = smooth_image(60, 75, seed=4).astype(np.float32) / 255
    parallel = Upscaler("srgan", tile=16, engine="numpy")
    serial = Upscaler("srgan", tile=16, engine="numpy")
    serial._pool.workers = 1
    seen = []
    a = parallel.upscale_array(lr, progress=lambda done, total: seen.append((done, total)))
    b = serial.upscale_array(lr)
    assert seen[-1][0] == seen[-1][1] == len(seen) > 1
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_one_window_images_are_split_between_window_threads(tiny_weights, monkeypatch):
    import srgan.inference as inference

    rows, cols = inference.tile_windows(256, 224, 16), inference.tile_windows(200, 224, 16)
    split_rows, same_cols = inference.split_for_workers(256, 200, 16, 2, rows, cols)
    assert len(split_rows) == 2 and same_cols == cols  # the longer axis is split
    assert inference.split_for_workers(100, 90, 16, 2, [(0, 100, 0, 100)], [(0, 90, 0, 90)])[0] == [(0, 100, 0, 100)]

    monkeypatch.setattr(inference, "SPLIT_MIN_SIZE", 32)
    lr = smooth_image(40, 56, seed=5).astype(np.float32) / 255
    up = inference.Upscaler("srgan", tile=64, engine="numpy")
    up._pool.workers = 2
    seen = []
    out = up.upscale_array(lr, progress=lambda done, total: seen.append(total))
    assert seen[-1] == 2  # one window by its tile size, run as two
    whole = inference.Upscaler("srgan", tile=64).upscale_array(lr)  # TensorFlow, one window
    assert np.abs(out - whole).max() <= 1 / 255
