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


def fast_bf16() -> bool:
    """Whether bfloat16 is the faster precision here: native BF16 with Intel AMX's tile units, or
    AVX512-BF16 on an AMD CPU (Zen 4 and later).

    Measured (README "Speed and memory"): bf16 ran faster than fp32 on an AMD EPYC with AVX512-BF16,
    and slower on an Intel Xeon with AVX512-BF16 but no AMX, so AVX512-BF16 counts on AMD only; AMX
    is Intel's bf16 matrix unit (not measured here). Read from /proc/cpuinfo (Linux); elsewhere: fp32.
    """
    from srgan.machine import cpu_features, cpu_vendor

    features = cpu_features()
    amd_bf16 = cpu_vendor() == "AuthenticAMD" and "avx512_bf16" in features
    return ("amx_bf16" in features or amd_bf16) and native_bf16()


def resolve_precision(precision: str) -> str:
    """``auto`` -> ``bf16`` where it is the faster one (:func:`fast_bf16`), else ``fp32``; others unchanged."""
    if precision == "auto":
        return "bf16" if fast_bf16() else "fp32"
    return precision


class OpenVINOEngine:
    """An ONNX generator graph (path or bytes) compiled once for the CPU.

    ``precision``: ``fp32``, ``bf16`` (bfloat16 arithmetic, float32 input and output; refused on a
    CPU without native BF16) or ``auto``. Threads: the cores this process
    may use. Input and output as the package doc says; any window size (the graph has dynamic
    height and width). The model is compiled on first use (~0.1 s) and keeps working memory for
    its largest window (~160 MB for a 160x160 fp32 window) until :meth:`release`.
    """

    name = "openvino"
    whole_image = False

    def __init__(self, onnx: str | Path | bytes, precision: str = "auto"):
        core = _core()
        self.precision = resolve_precision(precision)
        if self.precision == "bf16" and not native_bf16():
            raise ValueError("bf16 needs a CPU with native BF16 (AVX512-BF16 or AMX) and this one has none: use fp32")
        self._model = core.read_model(io.BytesIO(onnx) if isinstance(onnx, bytes) else str(onnx))
        self._config = {
            "INFERENCE_PRECISION_HINT": "bf16" if self.precision == "bf16" else "f32",
            "INFERENCE_NUM_THREADS": usable_cores(),
            "PERFORMANCE_HINT": "LATENCY",  # one request at a time, all threads on it
        }
        self._request = None
        self._lock = threading.Lock()
        self.compile()  # fail here, on a bad graph, rather than on the first image

    def compile(self) -> None:
        with self._lock:
            if self._request is None:
                self._request = _core().compile_model(self._model, "CPU", self._config).create_infer_request()

    def release(self) -> None:
        """Drop the compiled model and its working memory (the next call compiles it again)."""
        with self._lock:
            self._request = None

    def __call__(self, window: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(window, np.float32)[None]
        self.compile()
        with self._lock:
            out = self._request.infer({0: x}, share_inputs=True, share_outputs=True)[0]
            return np.array(out[0])  # a copy: the request reuses its output buffer
