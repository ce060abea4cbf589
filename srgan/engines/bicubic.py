"""Bicubic interpolation as an engine: the baseline every method is compared with."""

from __future__ import annotations

import numpy as np

from srgan import SCALE
from srgan.images import resize_bicubic


class BicubicEngine:
    """PIL's bicubic x4 (a = -0.5). Needs no tiling; on 8-bit RGB, :meth:`upscale_uint8` is PIL's
    own integer path, exactly the literature's bicubic baseline."""

    name = "bicubic"
    precision = "fp32"
    whole_image = True

    def __call__(self, window: np.ndarray) -> np.ndarray:
        h, w = window.shape[:2]
        return np.clip(resize_bicubic(np.asarray(window, np.float32), (w * SCALE, h * SCALE)), 0.0, 1.0)

    def upscale_uint8(self, rgb: np.ndarray) -> np.ndarray:
        """uint8 (h, w, C) -> uint8 (4h, 4w, C)."""
        return resize_bicubic(rgb, (rgb.shape[1] * SCALE, rgb.shape[0] * SCALE))
