"""The generator's ONNX graph run by OpenVINO on the CPU (the default engine)."""

from __future__ import annotations

import io
import threading
from functools import cache
from pathlib import Path

import numpy as np

from srgan.machine import usable_cores


@cache
def _core():
    import openvino as ov

    return ov.Core()


def native_bf16() -> bool:
    """Whether OpenVINO finds native bfloat16 arithmetic on this CPU (AMX or AVX512-BF16)."""
    return "BF16" in _core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def resolve_precision(precision: str) -> str:
    """``auto`` -> ``bf16`` where the CPU has native BF16, else ``fp32``; others unchanged."""
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    return precision


class OpenVINOEngine:
    """An ONNX generator graph (path or bytes) compiled once for the CPU.

    ``precision``: ``fp32``, ``bf16`` (bfloat16 arithmetic, float32 input and output; on a CPU
    without native BF16 OpenVINO emulates it, slowly) or ``auto``. Threads: the cores this process
    may use. Input and output as the package doc says; any window size (the graph has dynamic
    height and width; OpenVINO keeps the last shapes' plans).
    """

    name = "openvino"
    whole_image = False

    def __init__(self, onnx: str | Path | bytes, precision: str = "auto"):
        core = _core()
        self.precision = resolve_precision(precision)
        model = core.read_model(io.BytesIO(onnx) if isinstance(onnx, bytes) else str(onnx))
        config = {
            "INFERENCE_PRECISION_HINT": "bf16" if self.precision == "bf16" else "f32",
            "INFERENCE_NUM_THREADS": usable_cores(),
            "PERFORMANCE_HINT": "LATENCY",  # one request at a time, all threads on it
        }
        self._compiled = core.compile_model(model, "CPU", config)
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()

    def __call__(self, window: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(window, np.float32)[None]
        with self._lock:
            out = self._request.infer({0: x}, share_inputs=True, share_outputs=True)[0]
            return np.array(out[0])  # a copy: the request reuses its output buffer
