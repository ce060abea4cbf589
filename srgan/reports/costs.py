"""What the speed bench measures with: this process's memory (:func:`rss_mb`, :class:`PeakRSS`), the
generator's FLOPs per LR pixel counted from its layers, a NumPy sgemm's rate, the timing of one
method on one LR, and the generated LR test image."""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from srgan import SCALE

if TYPE_CHECKING:
    from srgan.quality.suites import Method

TIME_BUDGET_S = 20.0  # extra runs beyond the minimum are made while they fit in this budget
MAX_RUNS = 10


# --- memory ------------------------------------------------------------------------------------


def kib_to_mb(kib: float) -> float:
    """Linux's memory figures ("kB" in /proc/<pid>/status, ``ru_maxrss``: KiB) in MB (10^6 bytes), the
    unit of every memory figure this project reports."""
    return kib * 1024 / 1e6


def memory_of(pid: int | str = "self") -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process (``"self"``: this one) in MB
    (10^6 bytes), from /proc/<pid>/status (Linux); empty once the process is gone or where there is none."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = kib_to_mb(int(value.split()[0]))
    except (OSError, ValueError, IndexError):
        pass
    return out


def rss_mb() -> float:
    """This process's resident set size now, in MB (Linux /proc; falls back to the peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        import resource

        return kib_to_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class PeakRSS:
    """Context manager sampling :func:`rss_mb` every ``interval`` s in a thread; ``.peak_mb`` after exit."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.start_mb = self.peak_mb = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, rss_mb())

    def __enter__(self) -> PeakRSS:
        self.start_mb = self.peak_mb = rss_mb()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb())


# --- FLOPs and the machine's peak -------------------------------------------------------------


def conv_flops(generator, probe: int = 8) -> list[dict]:
    """FLOPs per LR pixel of each convolution of ``generator`` (2 x multiply-adds, bias excluded).

    The output size of each layer relative to the LR input is read by running the model's graph
    on a ``probe`` x ``probe`` input, so the count follows whatever the model holds (blocks,
    channels, upsampling stages, the fixed bicubic-skip convolution). PReLU, batch-norm, additions
    and the pixel shuffle are elementwise and left out (well under 1 % of the total).
    """
    import keras

    from srgan.model.models import BicubicUpsample, RowShiftedConv2D

    kinds = keras.layers.Conv2D | BicubicUpsample | RowShiftedConv2D
    convs = [layer for layer in generator.layers if isinstance(layer, kinds)]
    probe_model = keras.Model(generator.input, [layer.output for layer in convs])
    outs = probe_model(np.zeros((1, probe, probe, 3), np.float32))
    rows = []
    for layer, out in zip(convs, outs, strict=True):
        if isinstance(layer, BicubicUpsample):
            kh, kw, cin, cout = layer._kernel.shape
            per_out = 2 * kh * kw * cin * cout / layer.scale**2  # the conv runs at LR size, then shuffles
        else:
            kh, kw, cin, cout = layer.kernel.shape
            per_out = 2 * kh * kw * cin * cout
        ratio = out.shape[1] * out.shape[2] / probe**2  # output pixels per LR pixel
        rows.append({"layer": layer.name, "kernel": [kh, kw, cin, cout], "flops_per_lr_pixel": per_out * ratio})
    return rows


def flops_per_lr_pixel(generator) -> float:
    """Total of :func:`conv_flops`: the generator's forward FLOPs per LR input pixel."""
    return float(sum(r["flops_per_lr_pixel"] for r in conv_flops(generator)))


def sgemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best FP32 GFLOP/s of an n x n NumPy matmul here (its BLAS, all cores): the peak reachable in practice."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


# --- timing ------------------------------------------------------------------------------------


def time_method(method: Method, lr: np.ndarray, min_runs: int = 3, budget_s: float = TIME_BUDGET_S) -> dict:
    """Median seconds of ``method(lr)`` over at least ``min_runs`` runs after one warm-up run.

    More runs (up to :data:`MAX_RUNS`) are made while they fit in ``budget_s``. The warm-up run
    absorbs tracing and first-touch allocation. Peak RSS is sampled over the timed runs.
    """
    t0 = time.perf_counter()
    sr = method(lr)
    warmup = time.perf_counter() - t0
    if sr.shape != (lr.shape[0] * SCALE, lr.shape[1] * SCALE, 3):
        raise ValueError(f"method returned {sr.shape} for an LR of {lr.shape}")
    runs: list[float] = []
    with PeakRSS() as mem:
        while len(runs) < min_runs or (len(runs) < MAX_RUNS and sum(runs) + statistics.median(runs) <= budget_s):
            t0 = time.perf_counter()
            method(lr)
            runs.append(time.perf_counter() - t0)
    seconds = statistics.median(runs)
    out_mpx = lr.shape[0] * lr.shape[1] * SCALE**2 / 1e6
    return {
        "seconds": seconds,
        "runs": runs,
        "warmup_seconds": warmup,
        "output_mpx_per_s": out_mpx / seconds,
        "ms_per_output_mpx": 1e3 * seconds / out_mpx,
        "rss_before_mb": mem.start_mb,
        "peak_rss_mb": mem.peak_mb,
    }


def bench_image(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A uint8 (height, width, 3) RGB LR test image: smooth gradients plus texture (timing does not
    depend on content, but a constant image could flatter caches)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([0.5 + 0.4 * np.sin(x / (5 + 3 * c) + y / (9 + c)) for c in range(3)], axis=-1)
    img += rng.normal(0, 0.05, img.shape)
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
