"""Synthetic test images: distinct ones per seed, and photo-like ones that compress as photographs do."""

from __future__ import annotations

import numpy as np


def hr_image(size: int, seed: int) -> np.ndarray:
    """A distinct uint8 (size, size, 3) RGB image per seed."""
    from srgan.reports.costs import bench_image

    img = bench_image(size, size, seed=seed).astype(np.int16)
    return np.clip(img + np.int16(seed * 23 % 80) - 40, 0, 255).astype(np.uint8)


def photo_like(size: int, seed: int) -> np.ndarray:
    """A uint8 (size, size, 3) image that compresses like a photograph (smooth shapes, fine grain); its
    JPEG sizes are in the load test's output and the README's "Deploying"."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC), np.int16)
    grain = rng.integers(-3, 4, (size // 8 + 1, size // 8 + 1, 1), dtype=np.int16)
    return np.clip(img + np.kron(grain, np.ones((8, 8, 1), np.int16))[:size, :size], 0, 255).astype(np.uint8)
