"""Full-reference metrics with the SR literature's protocol (README "Metric protocol").

Default protocol (``PROTOCOL``): Y channel of MATLAB ``rgb2ycbcr``, ``scale`` (4) pixels shaved
from every border, PSNR with peak 255, SSIM of Wang et al. (Gaussian window sigma 1.5, no sample
covariance, data range 255); per-image values, then the mean. Inputs are uint8 (H, W, 3) RGB
(or (H, W) grey) images of equal shape; computation is in float64.
"""

from __future__ import annotations

import math

import numpy as np

from srgan import SCALE

PROTOCOL = (
    "Y channel (MATLAB rgb2ycbcr), 4-px border shaved, PSNR peak 255, "
    "SSIM of Wang et al. (Gaussian sigma 1.5, data range 255); mean of per-image values; "
    "LR = PIL bicubic x1/4 of the HR modcropped to a multiple of 4"
)


SSIM_WINDOW = 11  # skimage's Gaussian window for sigma 1.5: 2 * int(3.5 * 1.5 + 0.5) + 1
STRIP_ROWS = 128  # rows per strip in PSNR and SSIM: whole 2048x2048 images took ~500 MB more at the peak


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2ycbcr`` luma: uint8-range RGB (H, W, 3) -> float64 (H, W) in [16, 235]."""
    img = np.asarray(img, np.float64)
    return 16.0 + (65.481 * img[..., 0] + 128.553 * img[..., 1] + 24.966 * img[..., 2]) / 255.0


def _channels(img: np.ndarray, test_y_channel: bool) -> np.ndarray:
    """float64 Y (H, W) or RGB (H, W, 3) of a uint8-range image (grey is treated as RGB)."""
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return rgb_to_y(img) if test_y_channel else img.astype(np.float64)


def _shave(img: np.ndarray, crop_border: int) -> np.ndarray:
    img = np.asarray(img)
    return img[crop_border:-crop_border, crop_border:-crop_border] if crop_border else img


def _check(sr: np.ndarray, hr: np.ndarray) -> None:
    if np.shape(sr) != np.shape(hr):
        raise ValueError(f"image shapes differ: {np.shape(sr)} vs {np.shape(hr)}")


def psnr(sr: np.ndarray, hr: np.ndarray, crop_border: int = SCALE, test_y_channel: bool = True) -> float:
    """PSNR in dB of ``sr`` against the ground truth ``hr`` (uint8 range, peak 255); inf if identical."""
    _check(sr, hr)
    a, b = _shave(sr, crop_border), _shave(hr, crop_border)
    if a.size == 0:
        raise ValueError(
            f"image is too small to score: {np.shape(hr)[1]}x{np.shape(hr)[0]} leaves no pixel after the "
            f"{crop_border}-px shave"
        )
    # in row strips: float64 copies of a whole 2048x2048 RGB pair and their difference were 300 MB
    total, count = 0.0, 0
    for r0 in range(0, a.shape[0], STRIP_ROWS):
        d = _channels(a[r0 : r0 + STRIP_ROWS], test_y_channel) - _channels(b[r0 : r0 + STRIP_ROWS], test_y_channel)
        total += float(np.dot(d.ravel(), d.ravel()))
        count += d.size
    mse = total / count
    return math.inf if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


def ssim(sr: np.ndarray, hr: np.ndarray, crop_border: int = SCALE, test_y_channel: bool = True) -> float:
    """SSIM (Wang et al. 2004, Gaussian window sigma 1.5) of ``sr`` against ``hr``, in [-1, 1]."""
    from skimage.metrics import structural_similarity

    _check(sr, hr)
    a, b = _shave(sr, crop_border), _shave(hr, crop_border)  # uint8 views; float64 per strip below
    if min(a.shape[:2]) < SSIM_WINDOW:
        raise ValueError(
            f"image is too small for SSIM: {min(a.shape[:2])} px after the {crop_border}-px shave, "
            f"the Gaussian window needs {SSIM_WINDOW}"
        )

    def mean_ssim(x: np.ndarray, y: np.ndarray) -> float:
        return structural_similarity(
            x,
            y,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=255.0,
            channel_axis=None if test_y_channel else 2,
        )

    # skimage averages the SSIM map without its (window - 1) / 2 border rows and columns, where the
    # filters see the image edge. So strips of rows with that much overlap give the very same map
    # values; the mean is their pixel-weighted mean, without holding a dozen full-size float64 maps.
    half = SSIM_WINDOW // 2
    rows = a.shape[0] - 2 * half
    total = 0.0
    for r0 in range(half, half + rows, STRIP_ROWS):
        r1 = min(r0 + STRIP_ROWS, half + rows)
        strip = slice(r0 - half, r1 + half)
        x, y = _channels(a[strip], test_y_channel), _channels(b[strip], test_y_channel)
        total += mean_ssim(x, y) * (r1 - r0)
    return float(total / rows)


def evaluate_pair(sr: np.ndarray, hr: np.ndarray, crop_border: int = SCALE) -> dict[str, float]:
    """The protocol's metrics for one image: ``psnr``, ``ssim`` (Y) and ``psnr_rgb``."""
    return {
        "psnr": psnr(sr, hr, crop_border),
        "ssim": ssim(sr, hr, crop_border),
        "psnr_rgb": psnr(sr, hr, crop_border, test_y_channel=False),
    }


def grid_offset(sr: np.ndarray, reference: np.ndarray, period: int = SCALE) -> float:
    """Strength of a fixed sub-pixel pattern in ``sr``, in Y grey levels.

    The mean of Y(sr) - Y(reference) at each of the ``period`` x ``period`` pixel phases, less its
    mean over the phases, as a root mean square. A x4 pixel-shuffle generator can draw such a
    pattern (a faint grid of period 4, see :func:`srgan.training.losses.grid_loss`); natural images have
    none, so HR or the bicubic upscale (where there is no ground truth) both serve as reference.
    Inputs: uint8-range RGB (H, W, 3) of equal shape; sides need not be multiples of ``period``.
    """
    _check(sr, reference)
    diff = _channels(sr, True) - _channels(reference, True)
    h, w = (diff.shape[0] // period) * period, (diff.shape[1] // period) * period
    phase_mean = diff[:h, :w].reshape(h // period, period, w // period, period).mean(axis=(0, 2))
    return float(np.sqrt(np.mean(np.square(phase_mean - phase_mean.mean()))))
