import numpy as np
import pytest

from tests.conftest import TINY


def test_generator_is_fully_convolutional_for_odd_sizes():
    from srgan.model.models import build_generator

    g = build_generator(**TINY)
    lr = np.random.default_rng(0).random((2, 17, 23, 3), np.float32)
    assert g(lr).shape == (2, 68, 92, 3)


def test_generator_has_the_papers_parameter_count():
    from srgan.model.models import build_generator

    # paper: about 1.55 M; the bicubic skip adds no weights
    assert build_generator().count_params() == 1_554_883
    assert build_generator(bicubic_skip=True).count_params() == 1_554_883


def test_generator_layers_follow_the_paper():
    from srgan.model.models import build_generator

    g = build_generator(num_blocks=16)
    names = [layer.name for layer in g.layers]
    assert sum(n.endswith("_bn1") for n in names) == 16
    assert g.get_layer("head_conv").kernel_size == (9, 9)
    assert g.get_layer("tail_conv").kernel_size == (9, 9)
    assert g.get_layer("up1_conv").filters == 256
    assert g.get_layer("head_prelu").alpha.shape == (1, 1, 64)  # one alpha per channel


def test_discriminator_outputs_one_logit_per_image():
    from srgan.model.models import build_discriminator

    d = build_discriminator()
    convs = [layer for layer in d.layers if layer.__class__.__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.strides[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    out = d(np.zeros((3, 96, 96, 3), np.float32))
    assert out.shape == (3, 1)


def test_pixel_shuffle_matches_depth_to_space():
    import tensorflow as tf

    from srgan.model.models import PixelShuffle

    x = np.random.default_rng(1).random((2, 5, 7, 12), np.float32)
    np.testing.assert_array_equal(np.asarray(PixelShuffle(2)(x)), tf.nn.depth_to_space(x, 2).numpy())


def test_bicubic_layer_matches_pil_away_from_the_border():
    from srgan.images import resize_bicubic
    from srgan.model.models import BicubicUpsample, cubic_weights

    np.testing.assert_allclose(cubic_weights(4).sum(axis=1), 1.0, atol=1e-6)
    x = np.random.default_rng(2).random((1, 20, 24, 3), np.float32)
    ours = np.asarray(BicubicUpsample(4)(x))[0]
    pil = resize_bicubic(x[0], (96, 80))
    np.testing.assert_allclose(ours[8:-8, 8:-8], pil[8:-8, 8:-8], atol=1e-5)


def test_weights_round_trip_and_safe_mode_load(tmp_path):
    import keras

    from srgan.model.models import build_generator

    g = build_generator(**TINY)
    lr = np.random.default_rng(3).random((1, 9, 11, 3), np.float32)
    g.save_weights(tmp_path / "g.weights.h5")
    g2 = build_generator(**TINY)
    g2.load_weights(tmp_path / "g.weights.h5")
    np.testing.assert_array_equal(np.asarray(g(lr)), np.asarray(g2(lr)))
    g.save(tmp_path / "g.keras")  # whole model: loads in safe mode, so it holds no Lambda
    g3 = keras.saving.load_model(tmp_path / "g.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(g(lr)), np.asarray(g3(lr)), atol=1e-6)


def test_scale_must_be_a_power_of_two():
    from srgan.model.models import build_generator

    with pytest.raises(ValueError, match="power of two"):
        build_generator(**TINY, scale=3)


def test_importing_the_package_stays_light():
    import subprocess
    import sys

    code = (
        "import srgan, srgan.image_io, srgan.images, srgan.quality.metrics, srgan.cli, sys; "
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "arch", [{"num_blocks": 2, "channels": 8, "bicubic_skip": True}, {"num_blocks": 1, "channels": 4}]
)
def test_inference_generator_computes_the_same_function(arch):
    from srgan.model.models import build_generator, inference_generator

    rng = np.random.default_rng(0)
    g = build_generator(**arch)
    for w in g.weights:  # random slopes, biases and statistics everywhere, so every moved weight matters
        v = rng.normal(0, 0.3, w.shape).astype("float32")
        w.assign(np.abs(v) + 0.5 if "variance" in w.path else v)
    fast = inference_generator(g)
    lr = rng.uniform(0, 1, (2, 13, 17, 3)).astype("float32")
    want, got = np.asarray(g(lr)), np.asarray(fast(lr))
    assert got.shape == want.shape == (2, 52, 68, 3)
    assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()
    assert "tail_conv" not in {layer.name for layer in fast.layers}
    assert fast.count_params() > g.count_params()  # the rewritten tail has more (structured) weights


@pytest.mark.parametrize("k", [1, 3, 5])
def test_row_shifted_conv_equals_a_same_padded_conv(k):
    import keras

    from srgan.model.models import RowShiftedConv2D

    rng = np.random.default_rng(k)
    x = rng.normal(0, 1, (2, 7, 9, 6)).astype("float32")  # rows fewer than columns, both odd
    conv = keras.layers.Conv2D(4, k, padding="same")
    shifted = RowShiftedConv2D(4, k)
    conv.build(x.shape)
    shifted.build(x.shape)
    weights = [rng.normal(0, 1, w.shape).astype("float32") for w in conv.weights]
    conv.set_weights(weights)
    shifted.set_weights(weights)  # the same weight shapes: a drop-in for the conv
    want, got = np.asarray(conv(x)), np.asarray(shifted(x))
    assert got.shape == want.shape == (2, 7, 9, 4)
    assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()


def test_tail_kernel_rewrite_on_a_single_tap():
    from srgan.model.models import tail_kernel_at_half_resolution

    k = np.zeros((9, 9, 1, 1), np.float32)
    k[4 + 3, 4 - 1, 0, 0] = 1.0  # output (y, x) reads input (y + 3, x - 1)
    k2, b2 = tail_kernel_at_half_resolution(k, np.array([0.5], np.float32))
    assert k2.shape == (5, 5, 4, 4) and b2.tolist() == [0.5] * 4
    # sub-pixel (a, b) = (1, 0) -> reads (2i + 4, 2j - 1): pre-shuffle pixel (i + 2, j - 1), sub-pixel (0, 1)
    assert k2[2 + 2, 2 - 1, 0 * 2 + 1, 1 * 2 + 0] == 1.0
    assert k2.sum() == 4.0  # one tap per output sub-pixel


def _depth_to_space(x: np.ndarray, block: int) -> np.ndarray:
    """NumPy ``depth_to_space`` (DCR, TensorFlow's order) of (H, W, block * block * C)."""
    h, w, c = x.shape
    c //= block * block
    return x.reshape(h, w, block, block, c).transpose(0, 2, 1, 3, 4).reshape(h * block, w * block, c)


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_half_resolution_order_puts_the_skip_on_the_pixels_of_the_full_shuffle(scale):
    # the bicubic skip is added before the last x2 shuffle: it must land where depth_to_space(scale) puts it
    from srgan.model.kernels import half_resolution_order

    maps = np.random.default_rng(scale).normal(0, 1, (5, 6, scale * scale * 3)).astype("float32")
    want = _depth_to_space(maps, scale)
    got = _depth_to_space(_depth_to_space(maps[..., half_resolution_order(scale)], scale // 2), 2)
    assert got.shape == want.shape == (5 * scale, 6 * scale, 3)
    assert np.array_equal(got, want)
