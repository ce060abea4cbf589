"""The generator's forward pass in NumPy, for inference without TensorFlow.

Why: ``import tensorflow`` alone costs about 600 MB of RSS and most of the CLI's ~9 s start, more
than a small Streamlit Community Cloud app may use; this module needs only NumPy and h5py (to read
the ``.weights.h5`` file), so the dashboard never loads TensorFlow. NumPy's bundled OpenBLAS
multiplies these matrices at up to 94 % of this machine's peak (147 of 156.5 GFLOP/s, a 3x3 64->64
convolution in 1 024-pixel chunks); ``python -m srgan bench`` compares the
two engines end to end (TensorFlow with XLA is still faster on large images).

How: every convolution is one matrix product. Activations are kept zero-padded and flattened
row-major, (rows * padded_width, C); for output rows in chunks of a few thousand pixels, the
k*k shifted copies of the input (contiguous slices of the flat array: the ``im2col`` matrix,
(M, k*k*C)) are multiplied by the (k*k*C, O) kernel, and bias, PReLU and the residual add are
applied while the chunk is still in cache. Batch norm is folded into the convolution before it.
Outputs are computed on the padded width and the pad columns dropped.

It computes the same function as :func:`srgan.models.build_generator` (tested to float rounding
against Keras on random weights and on the shipped weights), in the layout of
:func:`srgan.models.inference_generator` (the tail convolution before the last pixel shuffle).

Pixel conventions as the Keras model: input LR float32 (h, w, 3) RGB in [0, 1]; output SR float32
(4h, 4w, 3), nominally in [-1, 1], unclipped.
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from srgan.kernels import bicubic_kernel, tail_kernel_at_half_resolution

BN_EPSILON = 1e-3  # Keras BatchNormalization's default, used by build_generator
# im2col chunk size in floats (1024 pixels x 576 = 2.4 MB): measured on 2 cores, a 256x256 3x3 64->64 conv's
# product ran at 147 GFLOP/s in chunks of 4 rows, 123 in 16 rows, 98 in 64 rows
CHUNK_FLOATS = 1024 * 576


@dataclass
class Conv:
    """A 'same'-padded stride-1 convolution with its bias (batch norm folded in where there was one).

    kernel float32 (k*k*C, O) in im2col order (dy, dx, c); bias float32 (O,).
    """

    kernel: np.ndarray
    bias: np.ndarray
    size: int

    @classmethod
    def from_keras(cls, kernel: np.ndarray, bias: np.ndarray, bn: list[np.ndarray] | None = None) -> Conv:
        """kernel (k, k, C, O) and bias (O,) as Keras stores them; ``bn`` = [gamma, beta, mean, variance]."""
        kernel = np.asarray(kernel, np.float64)
        bias = np.asarray(bias, np.float64)
        if bn is not None:
            gamma, beta, mean, var = (np.asarray(v, np.float64) for v in bn)
            s = gamma / np.sqrt(var + BN_EPSILON)
            kernel, bias = kernel * s, (bias - mean) * s + beta
        k, _, c, o = kernel.shape
        return cls(kernel.reshape(k * k * c, o).astype(np.float32), bias.astype(np.float32), k)


@dataclass
class GeneratorWeights:
    """All the weights of one generator, ready for :class:`NumpyGenerator`.

    ``prelu`` slopes are float32 (C,); ``bicubic`` is the fixed x4 interpolation kernel or None
    (no global bicubic skip). The tail is in the layout of :func:`srgan.models.inference_generator`.
    """

    head: Conv
    head_prelu: np.ndarray
    blocks: list[tuple[Conv, np.ndarray, Conv]]
    body: Conv
    up: list[tuple[Conv, np.ndarray]]
    tail: Conv
    bicubic: Conv | None


@functools.cache
def _openblas_local_threads():
    """OpenBLAS's ``openblas_set_num_threads_local`` (>= 0.3.27) in the library NumPy loaded, or None."""
    root = Path(np.__file__).resolve().parent
    for lib in [*root.parent.glob("numpy.libs/*openblas*"), *root.glob(".dylibs/*openblas*")]:
        try:
            fn = ctypes.CDLL(str(lib)).openblas_set_num_threads_local  # same handle as NumPy's: already loaded
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        return fn
    return None


def limit_blas_threads_here(n: int = 1) -> bool:
    """Let BLAS calls made from the calling thread use at most ``n`` threads; False where NumPy's BLAS
    cannot do this per thread (then nothing changes).

    Why: with two BLAS threads on two cores, each matrix product waits for both; when anything else
    takes a core (a browser, another session, a shared cloud machine) every product stalls. Measured
    here with one busy-looping process beside it: four 144x144 windows took 14.7 s with one caller
    and two BLAS threads, 6.1 s with two callers of one BLAS thread each (4.3 s and 3.6 s when idle).
    """
    fn = _openblas_local_threads()
    if fn is None:
        return False
    fn(n)
    return True


def _prelu_inplace(x: np.ndarray, alpha: np.ndarray) -> None:
    """x <- max(x, 0) + alpha * min(x, 0), per channel (last axis)."""
    if np.all(alpha <= 1.0):  # then PReLU(x) = max(x, alpha * x), two passes instead of four
        np.maximum(x, x * alpha, out=x)
    else:
        x *= np.where(x < 0, alpha, np.float32(1.0))


def _pixel_shuffle(x: np.ndarray, r: int = 2) -> np.ndarray:
    """depth_to_space: (H, W, r*r*C) -> (rH, rW, C), channel (i*r + j)*C + c -> sub-pixel (i, j)."""
    h, w, rc = x.shape
    c = rc // (r * r)
    return x.reshape(h, w, r, r, c).transpose(0, 2, 1, 3, 4).reshape(h * r, w * r, c)


def _pixel_shuffle_into(x: np.ndarray, out: np.ndarray, r: int = 2) -> None:
    """:func:`_pixel_shuffle` of ``x`` written into the (rH, rW, C) view ``out`` in one copy."""
    h, w, rc = x.shape
    c = rc // (r * r)
    view = out.view()
    view.shape = (h, r, w, r, c)  # raises rather than silently copying if ``out`` cannot be split
    view[...] = x.reshape(h, w, r, r, c).transpose(0, 2, 1, 3, 4)


class Padded:
    """An (h, w, c) float32 activation stored with ``r`` border pixels and one spare row.

    ``array`` is (h + 2r + 1, w + 2r, c): the border (zero, or edge copies) is a convolution's
    padding, and the spare bottom row lets every shifted slice of ``flat`` stay inside the array.
    A k x k convolution (k = 2r + 1) reads tap (dy, dx) of output (y, x) at flat row
    (y + dy) * wp + x + dx: for a chunk of output rows, each tap is one contiguous slice.
    """

    def __init__(self, h: int, w: int, c: int, r: int):
        self.h, self.w, self.c, self.r = h, w, c, r
        self.wp = w + 2 * r
        self.array = np.zeros((h + 2 * r + 1, self.wp, c), np.float32)
        self.flat = self.array.reshape(-1, c)

    @property
    def key(self) -> tuple[int, int, int, int]:
        return self.h, self.w, self.c, self.r

    @classmethod
    def of(cls, x: np.ndarray, r: int, mode: str = "constant") -> Padded:
        """Copy (h, w, c) ``x`` in, with a zero ('constant') or replicated ('edge') border."""
        h, w, c = x.shape
        p = cls(h, w, c, r)
        p.array[: h + 2 * r] = np.pad(x, ((r, r), (r, r), (0, 0)), mode=mode)
        return p

    @property
    def interior(self) -> np.ndarray:
        r = self.r
        return self.array[r : r + self.h, r : r + self.w]


class Scratch:
    """Buffers kept from one call to the next, by name.

    Fresh pages are costly here: a 256x256 LR image took 4.2-4.9 s with new buffers and 3.7-3.8 s
    with the previous call's (measured before the last stage was banded). Windows of one image share
    their shape, so after the first window nothing is allocated (88 MB for 152x152 windows, the
    dashboard's largest, 223 MB for 256x256; :class:`srgan.inference.Upscaler` drops them after
    each image).
    ``Padded`` buffers keep their zero borders: every write goes to the interior or re-zeroes what
    it touched.
    """

    def __init__(self):
        self._arrays: dict[str, np.ndarray] = {}
        self._padded: dict[str, Padded] = {}

    def empty(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        a = self._arrays.get(name)
        if a is None or a.shape != shape:
            a = self._arrays[name] = np.empty(shape, np.float32)
        return a

    def padded(self, name: str, h: int, w: int, c: int, r: int) -> Padded:
        p = self._padded.get(name)
        if p is None or p.key != (h, w, c, r):
            p = self._padded[name] = Padded(h, w, c, r)
        return p


def _im2col(src: Padded, k: int, y0: int, n: int, cols: np.ndarray) -> np.ndarray:
    """The (n * wp, k*k*c) im2col matrix of output rows [y0, y0 + n) (pad columns included).

    Flat row j of the input holds the k taps (dx = 0..k-1) of one kernel row contiguously
    (k*c floats starting at pixel j), so each kernel row dy is a single strided copy. A source
    padded wider than the kernel needs (``src.r > k // 2``) is read ``src.r - k // 2`` pixels in.
    """
    c, wp = src.c, src.wp
    m = n * wp
    a = cols[:m]
    step = src.flat.strides[0]
    off = src.r - k // 2
    for dy in range(k):
        start = src.flat[(y0 + off + dy) * wp + off :]
        taps = np.lib.stride_tricks.as_strided(start, shape=(m, k * c), strides=(step, start.strides[1]))
        a[:, dy * k * c : (dy + 1) * k * c] = taps
    return a


def _conv_rows(
    src: Padded,
    conv: Conv,
    y_lo: int,
    y_hi: int,
    out: np.ndarray,
    start: int,
    prelu: np.ndarray | None = None,
    residual: np.ndarray | None = None,
    scratch: Scratch | None = None,
) -> None:
    """Output rows [y_lo, y_hi) of conv(src), then PReLU, then ``+ residual``, in src's padded width.

    Output (y, x) goes to ``out[start + (y - y_lo) * wp + x]`` (``out`` flat, (N, O)); ``residual``
    is read at the same flat positions. The pad columns (x >= w) are computed too, then zeroed: in
    a destination laid out like ``src`` they are the border between two rows.
    """
    k, c, wp, w = conv.size, src.c, src.wp, src.w
    o = conv.kernel.shape[1]
    rows = max(1, CHUNK_FLOATS // (k * k * c * wp))
    scratch = scratch or Scratch()
    cols = scratch.empty(f"cols_{k * k * c}x{wp}", (rows * wp, k * k * c))
    for y0 in range(y_lo, y_hi, rows):
        n = min(rows, y_hi - y0)
        m = n * wp
        a = _im2col(src, k, y0, n, cols)
        s = start + (y0 - y_lo) * wp
        y = out[s : s + m]
        np.matmul(a, conv.kernel, out=y)
        y += conv.bias
        if prelu is not None:
            _prelu_inplace(y, prelu)
        if residual is not None:
            y += residual[s : s + m]
        y.reshape(n, wp, o)[:, w:] = 0.0


def conv_into(
    src: Padded,
    conv: Conv,
    dst: Padded,
    prelu: np.ndarray | None = None,
    residual: Padded | None = None,
    scratch: Scratch | None = None,
) -> None:
    """dst.interior <- [PReLU](conv(src.interior)) [+ residual.interior]; 'same' size, stride 1.

    ``src.r`` must be at least the kernel's half width (the padding); ``residual``, if any, has ``dst``'s layout.
    Where ``dst`` has src's padded width, the matrix product writes straight into ``dst``: output
    (y, x) lands on dst's flat row (y + r) * wp + x + r, and the pad columns computed in between
    fall on dst's border, which is then re-zeroed. Otherwise rows go through a small buffer.
    """
    k = conv.size
    if src.r < k // 2 or (dst.h, dst.w) != (src.h, src.w):
        raise ValueError(f"{k}x{k} conv needs a source padded by >= {k // 2} and a destination of its size")
    wp, o, h, w = src.wp, conv.kernel.shape[1], src.h, src.w
    scratch = scratch or Scratch()
    if dst.wp == wp:
        res = None if residual is None else residual.flat
        _conv_rows(src, conv, 0, h, dst.flat, dst.r * wp + dst.r, prelu, res, scratch)
        return
    if residual is not None:
        raise ValueError("a residual needs a destination laid out like the source")
    rows = max(1, CHUNK_FLOATS // (k * k * src.c * wp))
    tmp = scratch.empty(f"conv_out_{o}x{wp}", (rows * wp, o))
    for y0 in range(0, h, rows):
        n = min(rows, h - y0)
        _conv_rows(src, conv, y0, y0 + n, tmp, 0, prelu, None, scratch)
        dst.array[dst.r + y0 : dst.r + y0 + n, dst.r : dst.r + w] = tmp[: n * wp].reshape(n, wp, o)[:, :w]


def conv2d(x: np.ndarray, conv: Conv, prelu: np.ndarray | None = None, pad_mode: str = "constant") -> np.ndarray:
    """One 'same' convolution (then PReLU) of float32 (H, W, C) -> float32 (H, W, O).

    ``pad_mode`` 'constant' is the zero padding of Keras' ``padding="same"``; 'edge' replicates the
    border (the bicubic layer).
    """
    dst = Padded(x.shape[0], x.shape[1], conv.kernel.shape[1], 0)
    conv_into(Padded.of(x, conv.size // 2, pad_mode), conv, dst, prelu)
    return dst.interior


def stage_and_tail(x: Padded, stage: Conv, alpha: np.ndarray, tail: Conv, scratch: Scratch | None = None) -> np.ndarray:
    """The last x2 stage's conv + PReLU, then the tail conv, band by band: (H, W, O) float32.

    The stage's output (4 * 64 maps at half the SR size) is the largest tensor of the network; here
    only a band of its rows exists at a time, with the tail's reach of rows around it.
    The tail (here 5x5, 256 -> 12 maps) has many inputs and few outputs, a poor shape for one
    matrix product: each stage-output pixel is instead projected onto all k*k*O (tap, output) pairs,
    a wide product, and each output sums its k*k taps' slices of the projection.
    ``x`` is the stage's input, padded by the tail's half width.
    """
    k, r = tail.size, tail.size // 2
    if x.r != r:
        raise ValueError(f"the stage's input must be padded by {r}")
    h, w, wp = x.h, x.w, x.wp
    cu, o = stage.kernel.shape[1], tail.kernel.shape[1]
    scratch = scratch or Scratch()
    proj = tail.kernel.reshape(k * k, cu, o).transpose(1, 0, 2).reshape(cu, k * k * o)
    rows = max(k, CHUNK_FLOATS // (k * k * o * wp))
    # stage output, padded rows [lo, hi) of the current band (one spare row: the last row's pad columns)
    band_buf = scratch.empty(f"stage_band_{cu}x{wp}", ((rows + k + 1) * wp, cu))
    # tail projections of padded rows [y0, y0 + n + k); the k rows shared with the next band are kept
    z = scratch.empty(f"tail_projection_{o}x{wp}", ((rows + k) * wp, k * k * o))
    acc = scratch.empty(f"tail_sum_{o}x{wp}", (rows * wp, o))
    out = np.empty((h, w, o), np.float32)
    for y0 in range(0, h, rows):
        n = min(rows, h - y0)
        m = n * wp
        lo = y0 if y0 == 0 else y0 + k  # padded rows not yet projected
        hi = y0 + n + k
        if y0:
            z[: k * wp] = z[rows * wp : (rows + k) * wp]
        band = band_buf[: (hi - lo) * wp]
        band[:] = 0.0  # zero borders, top and bottom padding rows
        a, b = max(lo - r, 0), min(hi - r, h)  # stage-output rows inside the band
        if a < b:
            _conv_rows(x, stage, a, b, band_buf, (a + r - lo) * wp + r, prelu=alpha, scratch=scratch)
        band[: (a + r - lo) * wp + r] = 0.0  # left border of the first row (written as pad columns)
        np.matmul(band, proj, out=z[(lo - y0) * wp : (hi - y0) * wp])
        acc_m = acc[:m]
        acc_m[:] = tail.bias
        for dy in range(k):
            for dx in range(k):
                t = dy * k + dx
                acc_m += z[dy * wp + dx : dy * wp + dx + m, t * o : (t + 1) * o]
        out[y0 : y0 + n] = acc_m.reshape(n, wp, o)[:, :w]
    return out


class NumpyGenerator:
    """The generator as a NumPy function: LR float32 (h, w, 3) in [0, 1] -> SR float32 (4h, 4w, 3) ~[-1, 1]."""

    def __init__(self, weights: GeneratorWeights):
        self.weights = weights
        self.scale = 2 ** len(weights.up)
        self.scratch = Scratch()  # not thread-safe: callers serialise calls (Upscaler holds a lock)

    def __call__(self, lr: np.ndarray) -> np.ndarray:
        wt, ws = self.weights, self.scratch
        lr = np.ascontiguousarray(lr, np.float32)
        h, w, _ = lr.shape
        c = wt.head.kernel.shape[1]
        skip = ws.padded("skip", h, w, c, 1)
        conv_into(Padded.of(lr, wt.head.size // 2), wt.head, skip, prelu=wt.head_prelu, scratch=ws)
        x, y = skip, ws.padded("block_mid", h, w, c, 1)
        for b, (conv1, alpha, conv2) in enumerate(wt.blocks):
            z = ws.padded("block_out_even" if b % 2 == 0 else "block_out_odd", h, w, c, 1)
            conv_into(x, conv1, y, prelu=alpha, scratch=ws)
            conv_into(y, conv2, z, residual=x, scratch=ws)
            x = z
        body = ws.padded("block_mid", h, w, c, 1)
        conv_into(x, wt.body, body, residual=skip, scratch=ws)
        x = body
        r_tail = wt.tail.size // 2
        for i, (conv, alpha) in enumerate(wt.up[:-1]):  # PReLU before each shuffle: slopes repeated per sub-pixel
            up = ws.padded(f"up{i + 1}", x.h, x.w, conv.kernel.shape[1], x.r)
            conv_into(x, conv, up, prelu=alpha, scratch=ws)
            # padded as the next reader needs, so that it reads it in place
            x = ws.padded(f"up{i + 1}_shuffled", 2 * x.h, 2 * x.w, conv.kernel.shape[1] // 4, r_tail)
            _pixel_shuffle_into(up.interior, x.interior)
        if x.r != r_tail:  # a single x2 stage: the body output, re-padded
            wider = ws.padded("stage_input", x.h, x.w, x.c, r_tail)
            wider.interior[...] = x.interior
            x = wider
        # the last stage and the tail (which runs before the last shuffle), band by band
        sr = _pixel_shuffle(stage_and_tail(x, *wt.up[-1], wt.tail, scratch=ws))
        if wt.bicubic is not None:
            base = _pixel_shuffle(conv2d(lr, wt.bicubic, pad_mode="edge"), self.scale)
            sr += 2.0 * base - 1.0
        return sr


def generator_weights_from_arrays(
    convs: list[list[np.ndarray]],
    bns: list[list[np.ndarray]],
    prelus: list[np.ndarray],
    bicubic_skip: bool,
) -> GeneratorWeights:
    """Assemble :class:`GeneratorWeights` from the layers' weights in build order.

    convs: [kernel (k, k, C, O), bias] per Conv2D (head, 2 per block, body, one per x2 stage, tail);
    bns: [gamma, beta, mean, variance] per BatchNormalization (2 per block, body);
    prelus: alpha (1, 1, C) per PReLU (head, 1 per block, 1 per x2 stage).
    """
    num_blocks = len(bns) // 2
    stages = len(convs) - 3 - 2 * num_blocks
    if len(bns) != 2 * num_blocks + 1 or len(prelus) != 1 + num_blocks + stages or stages < 1:
        raise ValueError(f"not a generator: {len(convs)} convolutions, {len(bns)} batch norms, {len(prelus)} PReLUs")
    alphas = [np.asarray(a, np.float32).reshape(-1) for a in prelus]
    blocks = [
        (
            Conv.from_keras(*convs[1 + 2 * b], bn=bns[2 * b]),
            alphas[1 + b],
            Conv.from_keras(*convs[2 + 2 * b], bn=bns[2 * b + 1]),
        )
        for b in range(num_blocks)
    ]
    up = [(Conv.from_keras(*convs[2 + 2 * num_blocks + s]), alphas[1 + num_blocks + s]) for s in range(stages)]
    # PReLU runs before each shuffle: one slope per (sub-pixel, map), depth_to_space's channel order
    up = [(conv, np.tile(alpha, 4)) for conv, alpha in up]
    tail = Conv.from_keras(*tail_kernel_at_half_resolution(*convs[-1]))
    bicubic = None
    if bicubic_skip:
        scale = 2**stages
        bicubic = Conv.from_keras(bicubic_kernel(scale), np.zeros(scale * scale * 3, np.float32))
    return GeneratorWeights(
        head=Conv.from_keras(*convs[0]),
        head_prelu=alphas[0],
        blocks=blocks,
        body=Conv.from_keras(*convs[1 + 2 * num_blocks], bn=bns[-1]),
        up=up,
        tail=tail,
        bicubic=bicubic,
    )


def load_generator_weights(path: str | Path, bicubic_skip: bool) -> GeneratorWeights:
    """Read a :func:`srgan.models.build_generator` ``.weights.h5`` file without Keras.

    Keras 3 stores a functional model's layers as ``layers/<class name>[_<n>]/vars/<i>``, numbered
    per class in the model's layer order; the generator is one chain, so the n-th Conv2D, batch
    norm and PReLU are the n-th of the chain (a test checks this against Keras' own loading).
    """
    import h5py

    def numbered(group, prefix: str) -> list[list[np.ndarray]]:
        names = [k for k in group if k == prefix or (k.startswith(prefix + "_") and k[len(prefix) + 1 :].isdigit())]
        names.sort(key=lambda k: 0 if k == prefix else int(k[len(prefix) + 1 :]) + 1)
        return [[np.asarray(group[n]["vars"][str(i)]) for i in range(len(group[n]["vars"]))] for n in names]

    with h5py.File(path, "r") as f:
        if "layers" not in f:
            raise ValueError(f"{path}: not a Keras 3 .weights.h5 file of a functional model")
        layers = f["layers"]
        convs = numbered(layers, "conv2d")
        bns = numbered(layers, "batch_normalization")
        prelus = [v[0] for v in numbered(layers, "p_re_lu")]
    return generator_weights_from_arrays(convs, bns, prelus, bicubic_skip)
