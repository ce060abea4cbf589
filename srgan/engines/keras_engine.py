"""The Keras generator as an engine: the training model itself, the reference for every other engine."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from srgan.images import sr_to_unit


class KerasEngine:
    """The generator of ``weights`` in :func:`srgan.model.models.inference_generator`'s layout, on the
    Keras backend in use (TensorFlow: a ``tf.function``, XLA-compiled with ``xla``). float32 only."""

    name = "keras"
    precision = "fp32"
    whole_image = False

    def __init__(self, weights: str | Path, architecture: dict, xla: bool = False):
        import keras

        from srgan import SCALE
        from srgan.model.models import build_generator, inference_generator

        arch = {k: architecture[k] for k in ("num_blocks", "channels", "bicubic_skip") if k in architecture}
        self.generator = build_generator(scale=SCALE, **arch)
        self.generator.load_weights(str(weights))
        self.inference_model = inference_generator(self.generator)  # same function, faster layout
        forward = lambda x: self.inference_model(x, training=False)  # noqa: E731
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            forward = tf.function(forward, autograph=False, reduce_retracing=True, jit_compile=xla)
        self._forward = forward
        self._lock = threading.Lock()

    def __call__(self, window: np.ndarray) -> np.ndarray:
        with self._lock:
            return sr_to_unit(np.asarray(self._forward(np.asarray(window, np.float32)[None]))[0])
