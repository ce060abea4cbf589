"""Tiled x4 inference on images of any size: load -> engine (tiled) -> stitch -> Picture.

:class:`Upscaler` picks a model's weights and an engine (:mod:`srgan.engines`) once and is
stateless between calls (safe to share between threads and Streamlit sessions). Tiles are windows
of at most ``tile + 2 * tile_pad`` LR pixels a side; each window's centre is written into a
preallocated output of the final dtype, so working memory depends on the tile size, not on the image.
With ``ensemble=True`` each window is the mean of the 8 flips/rotations (:mod:`srgan.ensemble`).
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.engines import ENGINES, PRECISIONS, Engine, make_engine
from srgan.engines.bicubic import BicubicEngine
from srgan.ensemble import ensemble_name, self_ensemble
from srgan.image_io import Picture
from srgan.images import resize_bicubic, to_float, to_uint8, to_uint16
from srgan.model.weights_file import check_generator_weights, generator_kwargs
from srgan.store import MODEL_NAMES, model_card, onnx_path, weights_path

__all__ = ["ENGINES", "PRECISIONS", "InferenceSlots", "Upscaler", "WeightsMissing", "tile_windows"]

DEFAULT_TILE = 224  # largest tile core in LR pixels (windows <= 256 with the pad); see README "Speed and memory"
DEFAULT_TILE_PAD = 16  # LR pixels of context on each side of a tile, cropped after the model
MAX_INPUT_PIXELS = 4_000_000  # largest LR input (-> 64 Mpx output)

Progress = Callable[[int, int], None]  # (tiles done, tiles in all)


class WeightsMissing(FileNotFoundError):
    """A learned model was asked for but its weights file is not there."""


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


class Upscaler:
    """A named x4 model, built once: ``srgan`` or ``srresnet`` (weights from ``weights/``) or ``bicubic``.

    Args:
        model: one of :data:`MODEL_NAMES`.
        weights: a ``.weights.h5`` file to use instead of the shipped one (checked against the
            architecture first: :class:`srgan.model.weights_file.WeightsError` names the file and layer).
        tile, tile_pad: tile size and context in LR pixels (see :func:`tile_windows`).
        architecture: generator keyword arguments; by default read from the model card.
        engine: ``openvino`` (default; the shipped ONNX graph, or one made from ``weights``) or
            ``keras``; see :mod:`srgan.engines`. Bicubic has an engine of its own.
        precision: ``auto``, ``fp32`` or ``bf16`` (openvino; ``auto``: bf16 where it is the faster one,
            :func:`srgan.engines.openvino_engine.fast_bf16`).
        xla: compile the keras engine with XLA.
        low_memory: give the engine's working memory back after each image (the app: many
            sessions, several models, one server); costs a recompile (~0.1 s for openvino) per image.
        ensemble: geometric self-ensemble (EDSR's "+"): each tile window is upscaled in its 8
            flips/rotations, each result is transformed back and the 8 are averaged in float before
            quantising (:func:`srgan.ensemble.self_ensemble`). 8x the time; tiling, stitching,
            memory bounds and progress (one call per tile, as without it) are unchanged; alpha is
            still upscaled bicubic. Refused (ValueError) for bicubic, which flips and rotations
            leave unchanged. Reports name the method ``<model>+`` (:attr:`method_name`).
    """

    def __init__(
        self,
        model: str = "srgan",
        weights: str | Path | None = None,
        tile: int = DEFAULT_TILE,
        tile_pad: int = DEFAULT_TILE_PAD,
        architecture: dict | None = None,
        engine: str = "openvino",
        precision: str = "auto",
        xla: bool = False,
        low_memory: bool = False,
        ensemble: bool = False,
    ):
        if model not in MODEL_NAMES and weights is None:
            raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODEL_NAMES)}")
        if tile < 1 or tile_pad < 0:
            raise ValueError(f"tile must be >= 1 and tile_pad >= 0 (got {tile}, {tile_pad})")
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
        self.name, self.tile, self.tile_pad, self.scale = model, tile, tile_pad, SCALE
        self.low_memory = low_memory
        if model == "bicubic" and weights is None:
            self.engine = BicubicEngine()
            self.ensemble = self._check_ensemble(ensemble)
            return
        path = Path(weights) if weights else weights_path(model)
        if not path.is_file():
            raise WeightsMissing(
                f"no weights for model '{model}' at {path}: train them (python -m srgan train, see README) "
                "or use --model bicubic"
            )
        arch = self.card_architecture(model) if architecture is None else generator_kwargs(architecture)
        check_generator_weights(path, arch)  # one line naming the file, whichever engine runs it
        graph = onnx_path(model) if weights is None and onnx_path(model).is_file() else None
        self.engine = make_engine(engine, path, arch, onnx=graph, precision=precision, xla=xla)
        self.ensemble = self._check_ensemble(ensemble)

    @staticmethod
    def card_architecture(model: str) -> dict:
        """The generator keyword arguments (num_blocks, channels, bicubic_skip) in a model's card."""
        return generator_kwargs((model_card(model) or {}).get("architecture", {}))

    @classmethod
    def with_engine(
        cls,
        engine: Engine,
        tile: int = DEFAULT_TILE,
        tile_pad: int = DEFAULT_TILE_PAD,
        name: str = "custom",
    ) -> Upscaler:
        """An Upscaler around an engine object made elsewhere (see :mod:`srgan.engines`), e.g. to compare
        runtimes (:meth:`ensembled` for its self-ensemble)."""
        up = cls.__new__(cls)
        up.name, up.tile, up.tile_pad, up.scale, up.engine = name, tile, tile_pad, SCALE, engine
        up.low_memory, up.ensemble = False, False
        return up

    def ensembled(self) -> Upscaler:
        """This model self-ensembled (``<model>+``), sharing this Upscaler's engine: no second copy of
        the weights or of the compiled model."""
        up = copy.copy(self)
        up.ensemble = up._check_ensemble(True)
        return up

    def _check_ensemble(self, ensemble: bool) -> bool:
        if ensemble and not self.learned:
            raise ValueError(
                f"self-ensemble is for learned models, not {self.name}: bicubic is unchanged by flips and "
                "rotations, so its ensemble would equal it at 8x the time"
            )
        return bool(ensemble)

    @property
    def learned(self) -> bool:
        """False for bicubic."""
        return not isinstance(self.engine, BicubicEngine)

    @property
    def method_name(self) -> str:
        """The name in reports: the model's, with ``+`` when self-ensembled (``srresnet+``)."""
        return ensemble_name(self.name) if self.ensemble else self.name

    def upscale_array(self, lr: np.ndarray, progress: Progress | None = None, out_dtype=np.float32) -> np.ndarray:
        """Upscale float32 (h, w, 3) RGB in [0, 1] to (4h, 4w, 3).

        ``out_dtype``: float32 (values in [0, 1]), or uint8 / uint16 (quantised tile by tile, so a
        full-size float copy never exists). ``progress(done, total)`` counts tiles, ensembled or not.
        """
        lr = np.asarray(lr, np.float32)
        h, w = lr.shape[:2]
        s = self.scale
        out = np.empty((h * s, w * s, 3), out_dtype)
        if self.engine.whole_image:
            rows, cols = [(0, h, 0, h)], [(0, w, 0, w)]
        else:
            rows, cols = tile_windows(h, self.tile, self.tile_pad), tile_windows(w, self.tile, self.tile_pad)
        tiles = [(r, c) for r in rows for c in cols]
        for done, ((y0, y1, wy0, wy1), (x0, x1, wx0, wx1)) in enumerate(tiles, 1):
            window = lr[wy0:wy1, wx0:wx1]
            sr = self_ensemble(self.engine, window) if self.ensemble else self.engine(window)
            core = sr[(y0 - wy0) * s : (y1 - wy0) * s, (x0 - wx0) * s : (x1 - wx0) * s]
            out[y0 * s : y1 * s, x0 * s : x1 * s] = _quantise(core, out_dtype)
            if progress:
                progress(done, len(tiles))
        release = getattr(self.engine, "release", None)
        if self.low_memory and release:
            release()
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
        exact_uint8 = None if self.ensemble else getattr(self.engine, "upscale_uint8", None)
        if exact_uint8 and pic.bit_depth == 8 and pic.mode in ("RGB", "RGBA"):
            rgb = exact_uint8(pic.pixels)
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


def _quantise(img: np.ndarray, dtype) -> np.ndarray:
    if dtype == np.uint8:
        return to_uint8(img)
    if dtype == np.uint16:
        return to_uint16(img)
    return img.astype(dtype, copy=False)
