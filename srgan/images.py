"""Small, pure image maths shared by data, metrics, inference and the app.

Conventions (stated per function): ``uint8 (H, W, 3) RGB in [0, 255]`` for 8-bit images,
``float32 (H, W, C) in [0, 1]`` for working copies. Resizing uses PIL's bicubic filter
(Keys a = -0.5, antialiased when shrinking), which matches MATLAB ``imresize`` and hence
the LR images of the SR literature.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from srgan import SCALE


def modcrop(img: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Crop the bottom/right so that H and W are multiples of ``scale`` (top-left kept).

    Any dtype, shape (H, W) or (H, W, C). Returns a view.
    """
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


def _quantise(img: np.ndarray, top: int, dtype: type) -> np.ndarray:
    # one float32 buffer, rounded and clipped in place: each temporary of a large output is a fresh
    # allocation whose pages are touched for the first time
    scaled = np.array(img, np.float32)
    scaled *= np.float32(top)
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, top, out=scaled)
    return scaled.astype(dtype)


def to_uint8(img: np.ndarray) -> np.ndarray:
    """float in [0, 1] (any shape) -> uint8 in [0, 255]: clip, round, then cast (a cast alone truncates)."""
    return _quantise(img, 255, np.uint8)


def to_uint16(img: np.ndarray) -> np.ndarray:
    """float in [0, 1] (any shape) -> uint16 in [0, 65535]: clip, round, cast."""
    return _quantise(img, 65535, np.uint16)


def sr_to_unit(sr: np.ndarray) -> np.ndarray:
    """The generator's output, float (..., 3) nominally in [-1, 1], -> float32 in [0, 1], clipped."""
    return np.clip((np.asarray(sr, np.float32) + 1.0) * 0.5, 0.0, 1.0)


def to_float(img: np.ndarray) -> np.ndarray:
    """uint8 or uint16 (any shape) -> float32 in [0, 1]."""
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if img.dtype == np.uint16:
        return img.astype(np.float32) / 65535.0
    return np.asarray(img, np.float32)


def resize_bicubic(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bicubic resize with PIL to ``size = (width, height)``.

    uint8 (H, W) or (H, W, 3|4) is resized in PIL's 8-bit path (the protocol's exact LR);
    anything else is resized per channel in float ('F' mode) and returned as float32,
    so 16-bit and float data keep their precision. Values are not clipped for float input
    (bicubic overshoots); callers clip when they quantise.
    """
    if img.dtype == np.uint8 and (img.ndim == 2 or img.shape[2] in (3, 4)):
        return np.asarray(Image.fromarray(img).resize(size, Image.BICUBIC))
    data = np.asarray(img, np.float32)
    if data.ndim == 2:
        return np.asarray(Image.fromarray(data, "F").resize(size, Image.BICUBIC))
    channels = [
        np.asarray(Image.fromarray(np.ascontiguousarray(data[..., c]), "F").resize(size, Image.BICUBIC))
        for c in range(data.shape[2])
    ]
    return np.stack(channels, axis=-1)


def downscale(hr: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """The paper's LR: modcrop the HR to a multiple of ``scale``, then antialiased bicubic 1/scale.

    hr: uint8 (H, W, 3) -> uint8 (H // scale, W // scale, 3) (float input gives float32).
    """
    hr = modcrop(hr, scale)
    h, w = hr.shape[:2]
    return resize_bicubic(hr, (w // scale, h // scale))


def upscale_bicubic(lr: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Bicubic x``scale`` upsampling (the baseline every SR method is compared with).

    lr: uint8 (h, w, 3) -> uint8 (scale*h, scale*w, 3); float input -> float32, unclipped.
    """
    h, w = lr.shape[:2]
    return resize_bicubic(lr, (w * scale, h * scale))


def enlarge_nearest(img: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Nearest-neighbour enlargement, so that LR pixels show at the size of the SR image."""
    return np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)


def rgb_to_gray(img: np.ndarray) -> np.ndarray:
    """float (H, W, 3) -> float (H, W) with ITU-R 601 luma weights (as PIL's ``convert('L')``)."""
    return img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114
