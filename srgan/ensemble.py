"""Geometric self-ensemble (the "+" of EDSR+, Lim et al. 2017): the mean of a model's output over
the 8 flips and rotations of its input.

Each of the 8 transforms of the dihedral group (rotations by 0, 90, 180, 270 degrees, each with
and without a left-right flip) is applied to the LR window, the window is upscaled, the inverse
transform is applied to the result, and the 8 results are averaged in float before any
quantising. Rotations and flips commute with an integer-factor upscale on the pixel grid, so an
exactly equivariant upscaler (bicubic, any per-pixel map) is left unchanged; a learned model
gets 8 slightly different answers whose mean is usually closer to the truth, at 8x the compute.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

N_TRANSFORMS = 8


def ensemble_name(model: str) -> str:
    """The name of ``model`` with self-ensemble in reports: ``srresnet`` -> ``srresnet+`` (EDSR+'s convention)."""
    return f"{model}+"


def transform(img: np.ndarray, k: int) -> np.ndarray:
    """Transform ``k`` (0..7) of an (h, w, ...) array: rotate by ``k % 4`` quarter turns
    anticlockwise, then, for ``k >= 4``, flip left-right. Odd ``k % 4`` gives (w, h, ...).
    A view, not a copy; any dtype."""
    if not 0 <= k < N_TRANSFORMS:
        raise ValueError(f"transform index must be in 0..{N_TRANSFORMS - 1}, got {k}")
    out = np.rot90(img, k % 4, axes=(0, 1))
    return out[:, ::-1] if k >= 4 else out


def inverse_transform(img: np.ndarray, k: int) -> np.ndarray:
    """The inverse of :func:`transform` ``k``: ``inverse_transform(transform(x, k), k)`` is ``x``."""
    if not 0 <= k < N_TRANSFORMS:
        raise ValueError(f"transform index must be in 0..{N_TRANSFORMS - 1}, got {k}")
    if k >= 4:
        img = img[:, ::-1]
    return np.rot90(img, -(k % 4), axes=(0, 1))


def self_ensemble(upscale: Callable[[np.ndarray], np.ndarray], window: np.ndarray) -> np.ndarray:
    """Mean of ``inverse_transform(upscale(transform(window, k)), k)`` over the 8 transforms.

    ``upscale`` maps float32 (h, w, 3) in [0, 1] to float32 (s*h, s*w, 3) in [0, 1] for any h, w
    (it sees both (h, w) and (w, h) windows, each as a contiguous array). Returns float32
    (s*h, s*w, 3) in [0, 1]. Calls ``upscale`` 8 times; the sum is kept in float64 so that 8 equal
    answers average to exactly that answer.
    """
    window = np.asarray(window, np.float32)
    total = None
    for k in range(N_TRANSFORMS):
        sr = inverse_transform(upscale(np.ascontiguousarray(transform(window, k))), k)
        if total is None:
            total = sr.astype(np.float64)
        else:
            total += sr
    return (total / N_TRANSFORMS).astype(np.float32)
