"""Fixed and rewritten convolution kernels of the generator, in plain NumPy.

Shared by the Keras model (:mod:`srgan.model.models`) and the ONNX graph (:mod:`srgan.model.onnx_export`),
which must not import Keras. Kernels are float32 (k, k, C_in, C_out), Keras' layout.
"""

from __future__ import annotations

import numpy as np


def cubic_weights(scale: int, a: float = -0.5) -> np.ndarray:
    """Keys cubic interpolation weights for integer upsampling with half-pixel centres.

    Returns float32 (scale, 5): row p holds the weights of LR taps k-2..k+2 for output
    sample ``scale*k + p``. Each row sums to 1.
    """

    def kernel(x: np.ndarray) -> np.ndarray:
        x = np.abs(x)
        return np.where(
            x <= 1,
            (a + 2) * x**3 - (a + 3) * x**2 + 1,
            np.where(x < 2, a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a, 0.0),
        )

    taps = np.arange(-2, 3, dtype=np.float64)
    offsets = (np.arange(scale) + 0.5) / scale - 0.5  # where each output sample lies in LR units
    return kernel(taps[None, :] - offsets[:, None]).astype(np.float32)


def bicubic_kernel(scale: int, channels: int = 3) -> np.ndarray:
    """Bicubic x``scale`` upsampling as a 5x5 convolution followed by ``depth_to_space(scale)``.

    float32 (5, 5, channels, scale*scale*channels): output map (i*scale + j)*channels + c holds
    sub-pixel (i, j) of channel c (``depth_to_space``'s order). Needs edge-replicated input.
    """
    w = cubic_weights(scale)  # (s, 5)
    kernel = np.zeros((5, 5, channels, scale * scale * channels), np.float32)
    for i in range(scale):
        for j in range(scale):
            for c in range(channels):
                kernel[:, :, c, (i * scale + j) * channels + c] = np.outer(w[i], w[j])
    return kernel


def half_resolution_order(scale: int, channels: int = 3) -> list[int]:
    """The order of ``depth_to_space(scale)``'s input maps (sub-pixel (i, j) of channel c at
    (i * scale + j) * channels + c) under which ``depth_to_space(scale // 2)`` stops at *half* the
    output resolution with the 4 x ``channels`` maps of a last x2 shuffle: block (2a + b) holds
    output pixel (2y + a, 2x + b), the order of :func:`tail_kernel_at_half_resolution`'s output.

    Sub-pixel i of a ``scale`` block is 2 * i1 + i0: half-resolution pixel i1 of the block, then i0.
    """
    half, order = scale // 2, []
    for i1 in range(half):
        for j1 in range(half):
            for i0 in range(2):
                for j0 in range(2):
                    sub = (2 * i1 + i0) * scale + 2 * j1 + j0
                    order.extend(sub * channels + c for c in range(channels))
    return order


def bicubic_kernel_at_half_resolution(scale: int, channels: int = 3) -> np.ndarray:
    """:func:`bicubic_kernel` with its maps in :func:`half_resolution_order`, so that the bicubic
    skip can be added before the last x2 shuffle. float32 (5, 5, channels, scale * scale * channels)."""
    return np.ascontiguousarray(bicubic_kernel(scale, channels)[..., half_resolution_order(scale, channels)])


def tail_kernel_at_half_resolution(kernel: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rewrite the last convolution so it runs before the last pixel shuffle, exactly.

    The paper's tail is a k x k convolution (k = 9) at the output resolution on the C maps that the
    last x2 pixel shuffle produced. The same result comes from a ((k + 1) / 2 + 1)-wide convolution
    on the 4C maps *before* that shuffle, with 4x the output maps, shuffled afterwards: output
    pixel (2i + a, 2j + b) reads shuffled pixel (2i + a + dy, ...), which is pre-shuffle pixel
    i + floor((a + dy) / 2), map ((a + dy) mod 2, ...) x C + m. Zero padding maps onto zero padding.

    kernel float32 (k, k, C, O), bias (O,) -> kernel (k2, k2, 4C, 4O), bias (4O,), k2 = 2 * (k // 2 // 2 + 1) + 1;
    channel orders follow ``depth_to_space`` (sub-pixel (a, b) -> block (2a + b)).
    """
    k, _, c, o = kernel.shape
    half = k // 2
    reach = (half + 1) // 2  # max |floor((a + dy) / 2)| for a in {0, 1}, |dy| <= half
    k2 = 2 * reach + 1
    out = np.zeros((k2, k2, 4 * c, 4 * o), np.float32)
    for a in range(2):
        for b in range(2):
            for dy in range(-half, half + 1):
                ey, p = divmod(a + dy, 2)
                for dx in range(-half, half + 1):
                    ex, q = divmod(b + dx, 2)
                    block_in, block_out = (p * 2 + q) * c, (a * 2 + b) * o
                    out[ey + reach, ex + reach, block_in : block_in + c, block_out : block_out + o] += kernel[
                        dy + half, dx + half
                    ]
    return out, np.tile(np.asarray(bias, np.float32), 4)
