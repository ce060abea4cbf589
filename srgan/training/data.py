"""Training data as in the paper: random HR crops -> antialiased bicubic x1/4 LR.

Each image is decoded once into memory (uint8 RGB); every batch then costs only a crop,
a flip/rotation and a small PIL resize. :class:`PatchSampler` is plain numpy (usable with any
Keras backend); :func:`make_dataset` wraps it in a prefetching ``tf.data`` pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.image_io import list_images, load_image
from srgan.images import downscale, resize_bicubic

HR_PATCH = 96  # paper: 96x96 HR crops (24x24 LR)
BATCH_SIZE = 16  # paper: 16 crops per batch


def load_hr_images(
    folders: Iterable[str | Path], min_size: int = HR_PATCH, max_side: int | None = None
) -> list[np.ndarray]:
    """Decode every image under ``folders`` once: uint8 (H, W, 3) RGB.

    Images with a side shorter than ``min_size`` are skipped (they cannot give a crop).
    ``max_side``: shrink larger images (antialiased bicubic) so their longer side is at most this,
    e.g. to remove JPEG artefacts from big photographs.
    """
    images = []
    for folder in folders:
        for path in list_images(folder):
            img = load_image(path).rgb8()
            if max_side and max(img.shape[:2]) > max_side:
                f = max_side / max(img.shape[:2])
                size = (round(img.shape[1] * f), round(img.shape[0] * f))
                img = resize_bicubic(img, size)
            if min(img.shape[:2]) >= min_size:
                images.append(img)
    return images


class PatchSampler:
    """Random (LR, HR) training pairs from in-memory HR images.

    ``sample(n)`` returns ``lr`` float32 (n, p/4, p/4, 3) in [0, 1] and ``hr`` float32 (n, p, p, 3)
    in [-1, 1] (the paper's ranges), p = ``hr_patch``. Crops are drawn with probability
    proportional to image area, then flipped and rotated by a multiple of 90 degrees; the LR is
    made from the augmented HR crop by PIL bicubic (antialiased), as the benchmark LR is.
    """

    def __init__(self, images: list[np.ndarray], hr_patch: int = HR_PATCH, scale: int = SCALE, seed: int = 0):
        if hr_patch % scale:
            raise ValueError(f"hr_patch {hr_patch} is not a multiple of scale {scale}")
        self.images = [im for im in images if min(im.shape[:2]) >= hr_patch]
        if not self.images:
            raise ValueError(f"no training image has both sides >= {hr_patch} px")
        self.hr_patch, self.scale = hr_patch, scale
        areas = np.array([im.shape[0] * im.shape[1] for im in self.images], np.float64)
        self._p = areas / areas.sum()
        self.rng = np.random.default_rng(seed)

    def reseed(self, seed: int, step: int) -> None:
        """Make the stream a function of (seed, step), so a resumed run continues reproducibly."""
        self.rng = np.random.default_rng([seed, step])

    def crop(self) -> np.ndarray:
        """One augmented HR crop: uint8 (p, p, 3)."""
        img = self.images[self.rng.choice(len(self.images), p=self._p)]
        p = self.hr_patch
        y = self.rng.integers(0, img.shape[0] - p + 1)
        x = self.rng.integers(0, img.shape[1] - p + 1)
        crop = img[y : y + p, x : x + p]
        if self.rng.random() < 0.5:
            crop = crop[:, ::-1]
        return np.ascontiguousarray(np.rot90(crop, self.rng.integers(0, 4)))

    def sample(self, n: int = BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
        hr = np.stack([self.crop() for _ in range(n)])
        lr = np.stack([downscale(h, self.scale) for h in hr])
        return lr.astype(np.float32) / 255.0, hr.astype(np.float32) / 127.5 - 1.0


def make_dataset(sampler: PatchSampler, batch_size: int = BATCH_SIZE, prefetch: int = 4):
    """A ``tf.data.Dataset`` of (lr, hr) batches drawn from ``sampler``, prefetched on a
    background thread so that patch preparation overlaps the training step."""
    import tensorflow as tf

    p, s = sampler.hr_patch, sampler.scale

    def gen():
        while True:
            yield sampler.sample(batch_size)

    spec = (
        tf.TensorSpec((batch_size, p // s, p // s, 3), tf.float32),
        tf.TensorSpec((batch_size, p, p, 3), tf.float32),
    )
    return tf.data.Dataset.from_generator(gen, output_signature=spec).prefetch(prefetch)
