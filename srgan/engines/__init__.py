"""Inference engines: the generator's one function on several runtimes, behind one interface.

An engine is a callable that maps one float32 window (h, w, 3) RGB in [0, 1] to its x4 SR,
float32 (4h, 4w, 3) in [0, 1] (clipped). :class:`srgan.inference.Upscaler` tiles an image into
windows, calls the engine on each and stitches the results; it knows nothing else about engines.

- ``openvino`` (default): the committed ONNX graph (``weights/<model>_x4.onnx``, see
  :mod:`srgan.model.onnx_export`) compiled by OpenVINO, in float32 or bfloat16 (``precision``); never
  imports TensorFlow.
- ``keras``: the Keras model on the Keras backend in use (TensorFlow or JAX): training's own
  model, the reference in tests, optionally XLA-compiled.
- ``bicubic``: PIL's bicubic, the baseline (exact on 8-bit images, see ``upscale_uint8``).

Engine attributes: ``name``; ``precision`` ("fp32", "bf16"); ``whole_image`` (True: no tiling
needed, the engine takes any size at once); optionally ``upscale_uint8(rgb)`` for an exact 8-bit
path and ``release()`` to give back working memory between images. Engines serialise their own
calls and are safe to share between threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

ENGINES = ("openvino", "keras")  # for learned models; bicubic is a model of its own
PRECISIONS = ("auto", "fp32", "bf16")


class Engine(Protocol):
    name: str
    precision: str
    whole_image: bool

    def __call__(self, window: np.ndarray) -> np.ndarray: ...


def make_engine(
    kind: str,
    weights: str | Path,
    architecture: dict,
    onnx: str | Path | None = None,
    precision: str = "auto",
    xla: bool = False,
) -> Engine:
    """The engine ``kind`` (:data:`ENGINES`) for a checked generator weights file.

    ``onnx``: the graph of those weights (openvino; made from ``weights`` in memory when None);
    ``precision``: :data:`PRECISIONS` (openvino); ``xla``: compile with XLA (keras, TensorFlow).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    if kind == "openvino":
        from srgan.engines.openvino_engine import OpenVINOEngine

        if onnx is None:
            from srgan.model.onnx_export import onnx_bytes

            return OpenVINOEngine(onnx_bytes(weights, architecture), precision)
        return OpenVINOEngine(Path(onnx), precision)
    if kind == "keras":
        if precision == "bf16":
            raise ValueError("the keras engine runs in float32 only; bf16 is an openvino precision")
        from srgan.engines.keras_engine import KerasEngine

        return KerasEngine(weights, architecture, xla=xla)
    raise ValueError(f"unknown engine {kind!r}; choose from {', '.join(ENGINES)}")
