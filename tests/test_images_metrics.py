import math

import numpy as np
import pytest

from srgan.images import downscale, enlarge_nearest, modcrop, to_uint8, upscale_bicubic
from srgan.quality.metrics import grid_offset, psnr, rgb_to_y, ssim
from tests.conftest import requires_data, smooth_image


def test_to_uint8_rounds_and_clips():
    x = np.array([-0.2, 0.0, 0.5 / 255, 1.49 / 255, 1.5 / 255, 1.0, 1.7], np.float32)
    np.testing.assert_array_equal(to_uint8(x), [0, 0, 0, 1, 2, 255, 255])


def test_modcrop_and_downscale_shapes():
    img = smooth_image(37, 50)
    assert modcrop(img).shape == (36, 48, 3)
    lr = downscale(img)
    assert lr.shape == (9, 12, 3) and lr.dtype == np.uint8
    assert upscale_bicubic(lr).shape == (36, 48, 3)
    assert enlarge_nearest(lr).shape == (36, 48, 3)


def test_rgb_to_y_matches_matlab_range():
    assert rgb_to_y(np.zeros((1, 1, 3)))[0, 0] == pytest.approx(16.0)
    assert rgb_to_y(np.full((1, 1, 3), 255.0))[0, 0] == pytest.approx(235.0)


def test_psnr_edge_cases_and_known_value():
    img = smooth_image(32, 32)
    assert psnr(img, img) == math.inf
    noisy = img.astype(np.int16)
    noisy[::2, ::2] += 4
    noisy = noisy.clip(0, 255).astype(np.uint8)
    diff = noisy.astype(float) - img
    mse = np.mean(diff[4:-4, 4:-4] ** 2)
    assert psnr(noisy, img, test_y_channel=False) == pytest.approx(10 * np.log10(255**2 / mse))
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(img, img[1:])


def test_ssim_in_strips_equals_skimage_on_the_whole_image():
    from skimage.metrics import structural_similarity

    from srgan.quality import metrics

    hr = smooth_image(700, 530, seed=1)
    noise = np.random.default_rng(0).integers(-9, 10, hr.shape)
    sr = np.clip(hr.astype(int) + noise, 0, 255).astype(np.uint8)
    assert metrics.STRIP_ROWS < 700 - 8 - 10  # several strips
    for y in (True, False):
        a, b = (metrics._channels(img[4:-4, 4:-4], y) for img in (sr, hr))
        whole = structural_similarity(
            a,
            b,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=255.0,
            channel_axis=None if y else 2,
        )
        assert ssim(sr, hr, test_y_channel=y) == pytest.approx(whole, abs=1e-12)


def test_psnr_in_strips_equals_the_whole_image_formula():
    from srgan.quality.metrics import STRIP_ROWS, rgb_to_y

    hr = smooth_image(700, 530, seed=3)
    sr = np.clip(hr.astype(int) + np.random.default_rng(1).integers(-12, 13, hr.shape), 0, 255).astype(np.uint8)
    assert STRIP_ROWS < 700
    a, b = hr[4:-4, 4:-4], sr[4:-4, 4:-4]
    for y, (x, z) in ((True, (rgb_to_y(a), rgb_to_y(b))), (False, (a.astype(float), b.astype(float)))):
        want = 10 * math.log10(255.0**2 / np.mean((x - z) ** 2))
        assert psnr(sr, hr, test_y_channel=y) == pytest.approx(want, abs=1e-9)


def test_ssim_is_one_for_identical_and_lower_for_blurred():
    img = smooth_image(48, 48)
    assert ssim(img, img) == pytest.approx(1.0)
    blurred = upscale_bicubic(downscale(img))
    assert ssim(blurred, img) < 0.99


@requires_data
@pytest.mark.data
@pytest.mark.parametrize(
    ("name", "want_psnr", "want_ssim"), [("Set5", 28.43, 0.811), ("Set14", 26.09, 0.705), ("BSD100", 25.96, 0.668)]
)
def test_bicubic_reproduces_the_literature(name, want_psnr, want_ssim):
    from srgan.image_io import list_images, load_image
    from srgan.paths import benchmark_dir

    p, s = [], []
    for path in list_images(benchmark_dir(name)):
        hr = modcrop(load_image(path).rgb8())
        sr = upscale_bicubic(downscale(hr))
        p.append(psnr(sr, hr))
        s.append(ssim(sr, hr))
    assert np.mean(p) == pytest.approx(want_psnr, abs=0.02)
    assert np.mean(s) == pytest.approx(want_ssim, abs=0.002)


def test_block_mean_averages_blocks_and_keeps_small_maps():
    from srgan.compare import block_mean

    small = np.arange(12, dtype=np.float64).reshape(3, 4)
    same, f = block_mean(small, 4)
    assert f == 1 and np.array_equal(same, small)
    img = np.zeros((5, 8))
    img[:4, :4] = 4.0
    img[4, :] = 1.0  # a partial last row of blocks: averaged over the pixels it has
    out, f = block_mean(img, 4)
    assert f == 2 and out.shape == (3, 4)
    np.testing.assert_allclose(out[:2], [[4, 4, 0, 0], [4, 4, 0, 0]])
    np.testing.assert_allclose(out[2], [1, 1, 1, 1])


def test_grid_offset_measures_a_period_4_pattern_in_grey_levels():
    hr = smooth_image(64, 80, 3)
    assert grid_offset(hr, hr) == 0.0
    # +-2 RGB levels in a period-4 checkerboard: +-2 * (65.481 + 128.553 + 24.966) / 255 in Y
    pattern = np.tile(np.array([[2, -2], [-2, 2]]).repeat(2, 0).repeat(2, 1), (16, 20))
    sr = np.clip(hr.astype(np.int16) + pattern[..., None], 0, 255)
    assert grid_offset(sr, hr) == pytest.approx(2 * 219 / 255, rel=0.02)
    # noise of the same size and a global brightness shift have no phase structure
    noise = np.random.default_rng(0).integers(-2, 3, hr.shape)
    assert grid_offset(np.clip(hr + noise, 0, 255), hr) < 0.15
    assert grid_offset(np.clip(hr.astype(np.int16) + 3, 0, 255), hr) < 0.05
