"""Tiled x4 inference on images of any size: load -> model (tiled) -> stitch -> Picture.

:class:`Upscaler` builds its model once and is stateless between calls (safe to share between
threads and Streamlit sessions). Tiles are windows of at most ``tile + 2 * tile_pad`` LR pixels a side; each
window's centre is written into a preallocated output of the final dtype, so working memory
depends on the tile size, not on the image.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.image_io import Picture
from srgan.images import resize_bicubic, to_float, to_uint8, to_uint16
from srgan.paths import weights_dir
from srgan.weights_file import check_generator_weights

MODEL_NAMES = ("srgan", "srresnet", "bicubic")
ENGINES = ("tensorflow", "numpy")  # see srgan.numpy_engine: same function, no TensorFlow in the process
DEFAULT_TILE = 224  # largest tile core in LR pixels (windows <= 256 with the pad); see README "Speed and memory"
DEFAULT_TILE_PAD = 16  # LR pixels of context on each side of a tile, cropped after the model
MAX_INPUT_PIXELS = 4_000_000  # largest LR input (-> 64 Mpx output)
XLA_MIN_WINDOW_PIXELS = 192 * 192  # smaller windows run without XLA: its compile would cost more than it saves

Progress = Callable[[int, int], None]  # (tiles done, tiles in all)


class WeightsMissing(FileNotFoundError):
    """A learned model was asked for but its weights file is not there."""


def weights_path(model: str) -> Path:
    return weights_dir() / f"{model}_x4.weights.h5"


def model_card(model: str) -> dict | None:
    """The model card ``weights/<model>_x4.json`` as a dict, or None."""
    path = weights_dir() / f"{model}_x4.json"
    return json.loads(path.read_text()) if path.is_file() else None


def tile_windows(size: int, tile: int, pad: int) -> list[tuple[int, int, int, int]]:
    """Split one axis of ``size`` pixels into tiles.

    Returns (core_start, core_end, window_start, window_end) per tile: cores partition [0, size);
    each window contains its core plus >= ``pad`` pixels of context wherever the image has them
    (windows are shifted inwards at the borders rather than padded, so each tile sees exactly what
    the whole-image model sees). All windows of an axis have one length, at most ``tile + 2*pad``
    (which bounds memory): the border windows need context on one side only, so
    ``n = ceil((size - 2*pad) / tile)`` windows suffice, each ``ceil((size - 2*pad) / n) + 2*pad``
    long (no longer than needed), spread evenly; each core ends halfway through the overlap with
    the next window.
    """
    if size <= tile + 2 * pad:
        return [(0, size, 0, size)]
    n = math.ceil((size - 2 * pad) / tile)
    length = min(size, math.ceil((size - 2 * pad) / n) + 2 * pad)
    starts = [round(k * (size - length) / (n - 1)) for k in range(n)]
    bounds = [0] + [(starts[k + 1] + starts[k] + length) // 2 for k in range(n - 1)] + [size]
    return [(bounds[k], bounds[k + 1], starts[k], starts[k] + length) for k in range(n)]


SPLIT_MIN_SIZE = 128  # longer image axis (LR pixels) from which one window is split between threads


def split_for_workers(h: int, w: int, pad: int, workers: int, rows: list, cols: list) -> tuple[list, list]:
    """Rows and columns of windows for an image that has fewer windows than ``workers`` threads.

    The NumPy engine runs one window per thread (one BLAS thread each); an image in one window
    would leave a core idle. Its longer axis is split into ``workers`` windows instead, when that
    axis is at least :data:`SPLIT_MIN_SIZE` long (each extra window computes 2 * ``pad`` more lines).
    Measured here (srgan, 2 cores, median of 5): 128x128 LR 1.38 -> 1.00 s, 192x192 3.13 -> 1.75 s,
    256x256 5.95 -> 3.80 s; 96x96 gained 3 %, hence the threshold.
    """
    if max(h, w) < SPLIT_MIN_SIZE or workers < 2:
        return rows, cols
    size = max(h, w)
    tile = math.ceil((size - 2 * pad) / workers)
    split = tile_windows(size, tile, pad)
    return (split, cols) if h >= w else (rows, split)


def limit_inter_op_threads() -> bool:
    """Run TensorFlow ops one at a time (each op still uses every core), if TF has not started yet.

    Measured here (2 cores): the generator is one chain of ops, so running independent ops side by
    side gains no speed, but each concurrent op holds its own buffers: a 160x160 window peaked
    about 200 MB lower with one inter-op thread at the same speed. Process-wide and possible only
    before TensorFlow's runtime starts; returns False (and changes nothing) after that.
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # the runtime is already running: keep its setting
        return False
    return True


class Upscaler:
    """A named x4 model, built once: ``srgan`` or ``srresnet`` (weights from ``weights/``) or ``bicubic``.

    Args:
        model: one of :data:`MODEL_NAMES`.
        weights: a ``.weights.h5`` file to use instead of the shipped one.
        tile, tile_pad: tile size and context in LR pixels (see :func:`tile_windows`).
        architecture: generator keyword arguments; by default read from the model card.
        engine: ``tensorflow`` (the Keras model, compiled with ``tf.function``) or ``numpy``
            (:mod:`srgan.numpy_engine`: the same function within float rounding, without importing
            TensorFlow, which alone takes ~600 MB; an image's windows run in parallel threads, see
            :class:`_WindowPool`; the dashboard uses it).
        xla: run windows of at least :data:`XLA_MIN_WINDOW_PIXELS` through an XLA-compiled copy of
            the tensorflow engine's model (compiled once per window shape). Measured on 2 cores, a
            256x256 window: 2.73 s vs 3.89 s warm; the first call, compile included, 4.9 s vs 5.0 s.
            Smaller windows skip it: on a 64x64 LR the compile (~2 s) costs more than it saves.
    """

    def __init__(
        self,
        model: str = "srgan",
        weights: str | Path | None = None,
        tile: int = DEFAULT_TILE,
        tile_pad: int = DEFAULT_TILE_PAD,
        architecture: dict | None = None,
        engine: str = "tensorflow",
        xla: bool = True,
    ):
        if model not in MODEL_NAMES and weights is None:
            raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODEL_NAMES)}")
        if tile < 1 or tile_pad < 0:
            raise ValueError(f"tile must be >= 1 and tile_pad >= 0 (got {tile}, {tile_pad})")
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
        self.name, self.tile, self.tile_pad, self.engine = model, tile, tile_pad, engine
        self.scale = SCALE
        self.learned = False  # False: bicubic
        self.generator = self.inference_model = None  # the Keras models (tensorflow engine)
        self._lock = threading.Lock()  # Keras model calls from several threads are serialised
        if model == "bicubic" and weights is None:
            return
        path = Path(weights) if weights else weights_path(model)
        if not path.is_file():
            raise WeightsMissing(
                f"no weights for model '{model}' at {path}: train them (python -m srgan train, see README) "
                "or use --model bicubic"
            )
        if architecture is None:
            card = model_card(model) or {}
            architecture = card.get("architecture", {})
        arch = {k: architecture[k] for k in ("num_blocks", "channels", "bicubic_skip") if k in architecture}
        check_generator_weights(path, arch)  # one line naming the file, whichever engine runs it
        self.learned = True
        if engine == "numpy":
            from srgan.numpy_engine import NumpyGenerator, load_generator_weights

            # build_generator's default: no bicubic skip; the cards of the shipped models say True
            self._numpy_weights = load_generator_weights(path, arch.get("bicubic_skip", False))
            self._numpy = NumpyGenerator(self._numpy_weights)
            self._pool = _WindowPool(self._numpy_weights)
            return
        import tensorflow as tf

        from srgan.models import build_generator, inference_generator

        limit_inter_op_threads()

        self.generator = build_generator(scale=SCALE, name=model, **arch)
        self.generator.load_weights(str(path))
        # the same function with its tail moved before the last pixel shuffle: faster, less memory
        self.inference_model = inference_generator(self.generator)
        self._forward = tf.function(
            lambda x: self.inference_model(x, training=False), reduce_retracing=True, autograph=False
        )
        # XLA fuses the batch-norm, PReLU and add work into the convolutions' loops; it compiles each
        # window shape once (an image's windows share one shape, see tile_windows)
        self._forward_xla = tf.function(
            lambda x: self.inference_model(x, training=False), autograph=False, jit_compile=True
        )
        self._xla = xla

    def _model(self, window: np.ndarray) -> np.ndarray:
        """float32 (h, w, 3) in [0, 1] -> float32 (4h, 4w, 3) ~[-1, 1], the engine's raw output."""
        if self.engine == "numpy":
            return self._numpy(window)
        big = window.shape[0] * window.shape[1] >= XLA_MIN_WINDOW_PIXELS
        forward = self._forward_xla if self._xla and big else self._forward
        return np.asarray(forward(window[None]))[0]

    # --- core --------------------------------------------------------------------------------

    def _run(self, window: np.ndarray) -> np.ndarray:
        """float32 (h, w, 3) in [0, 1] -> float32 (4h, 4w, 3) in [0, 1], clipped."""
        with self._lock:
            return _to_unit(self._model(window))

    def upscale_array(self, lr: np.ndarray, progress: Progress | None = None, out_dtype=np.float32) -> np.ndarray:
        """Upscale float32 (h, w, 3) RGB in [0, 1] to (4h, 4w, 3).

        ``out_dtype``: float32 (values in [0, 1]), or uint8 / uint16 (quantised tile by tile, so a
        full-size float copy never exists).
        """
        lr = np.asarray(lr, np.float32)
        h, w = lr.shape[:2]
        s = self.scale
        if not self.learned:
            up = np.clip(resize_bicubic(lr, (w * s, h * s)), 0.0, 1.0)
            if progress:
                progress(1, 1)
            return _quantise(up, out_dtype)
        out = np.empty((h * s, w * s, 3), out_dtype)
        rows = tile_windows(h, self.tile, self.tile_pad)
        cols = tile_windows(w, self.tile, self.tile_pad)
        if self.engine == "numpy" and len(rows) * len(cols) < self._pool.workers:
            rows, cols = split_for_workers(h, w, self.tile_pad, self._pool.workers, rows, cols)
        tiles = [(r, c) for r in rows for c in cols]
        if self.engine == "numpy" and self._pool.workers > 1 and len(tiles) > 1:
            results = self._pool.map([_window(lr, *t) for t in tiles])
        else:
            results = ((i, self._run(_window(lr, *t))) for i, t in enumerate(tiles))
        for done, (i, sr) in enumerate(results, 1):
            (y0, y1, wy0, _), (x0, x1, wx0, _) = tiles[i]
            core = sr[(y0 - wy0) * s : (y1 - wy0) * s, (x0 - wx0) * s : (x1 - wx0) * s]
            out[y0 * s : y1 * s, x0 * s : x1 * s] = _quantise(core, out_dtype)
            if progress:
                progress(done, len(tiles))
        if self.engine == "numpy":
            with self._lock:
                release_buffers([self._numpy])
        return out

    def upscale(self, pic: Picture, progress: Progress | None = None) -> Picture:
        """x4 of a loaded picture, in its own mode and bit depth; alpha is upscaled bicubic.

        Raises ValueError if the input is over :data:`MAX_INPUT_PIXELS`.
        """
        if pic.height * pic.width > MAX_INPUT_PIXELS:
            raise ValueError(
                f"input is {pic.width}x{pic.height} = {pic.width * pic.height / 1e6:.1f} Mpx; "
                f"the limit for x4 upscaling is {MAX_INPUT_PIXELS / 1e6:.0f} Mpx"
            )
        s = self.scale
        size = (pic.width * s, pic.height * s)
        if pic.alpha is None:
            alpha = None
        elif pic.bit_depth == 8:  # resized as uint8 by PIL (which clips): no full-size float copy
            alpha = resize_bicubic(pic.alpha, size)
        else:
            alpha = np.clip(resize_bicubic(to_float(pic.alpha), size), 0.0, 1.0)
        if not self.learned and pic.bit_depth == 8 and pic.mode in ("RGB", "RGBA"):
            # 8-bit bicubic in PIL's own path: exactly the literature's bicubic baseline
            rgb = resize_bicubic(pic.pixels, size)
            if progress:
                progress(1, 1)
            return Picture(rgb, alpha, pic.mode, pic.notes)
        if pic.mode in ("L", "LA") or pic.bit_depth == 16:
            sr = self.upscale_array(pic.rgb_float(), progress)
            return pic.with_pixels(sr, None if alpha is None else to_float(alpha))
        sr = self.upscale_array(pic.rgb_float(), progress, out_dtype=np.uint8)
        return Picture(sr, alpha, pic.mode, pic.notes)


class InferenceSlots:
    """At most ``slots`` upscales at once across threads; the rest wait their turn.

    Streamlit runs each browser session in its own thread. The model is shared and already
    serialised per tile, but every running request also holds its full-size images, so without a
    bound N simultaneous sessions need N times the memory. A waiting caller is told how many
    requests are ahead of it (``on_wait``) before it blocks.
    """

    def __init__(self, slots: int = 1):
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}")
        self.slots = slots
        self._free = threading.Semaphore(slots)
        self._lock = threading.Lock()
        self._waiting = 0
        self._running = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def running(self) -> int:
        return self._running

    @contextmanager
    def hold(self, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Run the ``with`` body in a free slot; if none is free, call ``on_wait(ahead)`` and wait."""
        if not self._free.acquire(blocking=False):
            with self._lock:
                self._waiting += 1
                ahead = self._waiting - 1 + self._running
            try:
                if on_wait:
                    on_wait(ahead)
                self._free.acquire()
            finally:
                with self._lock:
                    self._waiting -= 1
        with self._lock:
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
            self._free.release()


def release_buffers(generators) -> None:
    """Drop the NumPy engines' work buffers (idle engines only). The windows of one image share
    them; between images they would hold 88 MB per engine for the dashboard's 152x152 windows
    (223 MB for a 256x256 one) at the moment the dashboard computes its metrics, its peak.
    Re-allocating cost ~0.6 s on a 256x256 window (see :class:`srgan.numpy_engine.Scratch`)."""
    from srgan.numpy_engine import Scratch

    for g in generators:
        g.scratch = Scratch()


def _to_unit(sr: np.ndarray) -> np.ndarray:
    """The generator's output ~[-1, 1] -> float32 in [0, 1], clipped."""
    return np.clip((sr + 1.0) * 0.5, 0.0, 1.0)


def _window(lr: np.ndarray, row: tuple[int, int, int, int], col: tuple[int, int, int, int]) -> np.ndarray:
    return lr[row[2] : row[3], col[2] : col[3]]


class _WindowPool:
    """Windows of one image run side by side in threads, each with one BLAS thread and its own buffers.

    Two threads of one BLAS thread each beat one thread of two BLAS threads here (3.6 s vs 4.3 s for
    four 144x144 windows) and degrade far less when another process takes a core (6.1 s vs 14.7 s,
    see :func:`srgan.numpy_engine.limit_blas_threads_here`). Where BLAS threads cannot be limited per
    thread, ``workers`` is 1 and windows run one after another. Calls are serialised.
    """

    def __init__(self, weights, workers: int | None = None):
        from srgan.numpy_engine import _openblas_local_threads

        self.weights = weights
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.workers = min(workers or cores, cores) if _openblas_local_threads() else 1
        self._local = threading.local()
        self._lock = threading.Lock()
        self._executor = None
        self._generators: list = []

    def _generator(self):
        from srgan.numpy_engine import NumpyGenerator, limit_blas_threads_here

        g = getattr(self._local, "generator", None)
        if g is None:
            limit_blas_threads_here(1)
            g = self._local.generator = NumpyGenerator(self.weights)
            self._generators.append(g)
        return g

    def map(self, windows: list[np.ndarray]):
        """Yield (index, SR of windows[index] as float32 in [0, 1]) for every window, in completion order."""
        from concurrent.futures import ThreadPoolExecutor, as_completed, wait

        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="srgan-window")
            futures = {
                self._executor.submit(lambda w=w: _to_unit(self._generator()(w))): i for i, w in enumerate(windows)
            }
            try:
                for f in as_completed(futures):
                    yield futures[f], f.result()
            finally:
                for f in futures:
                    f.cancel()
                wait(futures)
                release_buffers(self._generators)


def _quantise(img: np.ndarray, dtype) -> np.ndarray:
    if dtype == np.uint8:
        return to_uint8(img)
    if dtype == np.uint16:
        return to_uint16(img)
    return img.astype(dtype, copy=False)
