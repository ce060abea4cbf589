"""The CLI timed from outside, each run in a fresh process: its cold start, its marginal time on a
256x256 LR over a 16x16 one against the FLOP floor, and its peak RSS (the process's own VmHWM)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from srgan.reports.costs import bench_image


def cli_run(args: list[str], env: dict | None = None) -> dict:
    """Run ``python -m srgan ARGS``'s code in a fresh process (through :mod:`srgan.reports.cli_probe`):
    wall seconds (process start to exit, imports included) and the process's own peak RSS in MB
    (its VmHWM, read by the process just before it exits)."""
    import re

    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "srgan.reports.cli_probe", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"python -m srgan {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    found = re.search(r"VmHWM_MB (-?[\d.]+)", proc.stderr)
    peak = float(found.group(1)) if found and float(found.group(1)) >= 0 else None
    return {"seconds": seconds, "peak_rss_mb": peak}


def cli_upscale(model: str, width: int, height: int, extra: list[str] | None = None) -> dict:
    """:func:`cli_run` of ``upscale`` on a generated LR PNG of the given size."""
    from srgan.image_io import Picture, save_png

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"lr_{width}x{height}.png"
        save_png(Picture(bench_image(width, height)), src)
        result = cli_run(["upscale", str(src), "-o", str(Path(tmp) / "out"), "--model", model, "-q", *(extra or [])])
    return {"model": model, "size": f"{width}x{height}", **result}


def cold_starts(model: str, tile: int, tile_pad: int, log: Callable[[str], None] | None = None) -> dict:
    """The CLI's cold start on a 64x64 LR: with its default engine (OpenVINO), and with Keras.

    Returns {"cold_start": ..., "cold_start_keras": ...}, each a :func:`cli_upscale` result.
    """
    out = {}
    for key, engine in (("cold_start", None), ("cold_start_keras", "keras")):
        extra = ["--tile", str(tile), "--tile-pad", str(tile_pad)] + (["--engine", engine] if engine else [])
        cold = cli_upscale(model, 64, 64, extra)
        how = f"--engine {engine}" if engine else "the default engine (OpenVINO)"
        out[key] = {**cold, "what": f"python -m srgan upscale of a 64x64 LR PNG, {how}: process start to exit"}
        if log:
            log(f"cold start (CLI, 64x64 LR, {how}): {cold['seconds']:.2f} s, peak RSS {cold['peak_rss_mb']:.0f} MB")
    return out


def cli_marginal(
    model: str,
    precisions: list[str],
    flops: float,
    log: Callable[[str], None] | None = None,
    runs: int = 5,
) -> dict:
    """``python -m srgan upscale`` of a 256x256 LR minus that of a 16x16 one (start-up cancels out),
    per precision, against the fp32 FLOP floor at a NumPy sgemm rate measured in the same round.

    Each of the ``runs`` rounds measures the sgemm, then runs both sizes for every precision; a
    round's ratio is its marginal time over its own floor, so that a slow spell of a shared machine
    weighs on the time and on the floor it is compared with alike. Reported: the median ratio over
    the rounds, with each round's figures.
    """
    from srgan.reports.costs import sgemm_gflops

    pixels = 256 * 256
    out: dict = {
        "what": f"CLI seconds on a 256x256 LR minus on a 16x16 LR, over the fp32 floor at an sgemm measured "
        f"in the same round (median of {runs} rounds)",
        "sgemm_gflops": [],
    }
    seconds = {p: {16: [], 256: []} for p in precisions}
    for _ in range(runs):
        out["sgemm_gflops"].append(sgemm_gflops(repeats=3))
        for precision in precisions:
            for size in (16, 256):
                seconds[precision][size].append(cli_upscale(model, size, size, ["--precision", precision])["seconds"])
    floors = [flops * pixels / (rate * 1e9) for rate in out["sgemm_gflops"]]
    out["floor_seconds"] = statistics.median(floors)
    for precision in precisions:
        marginals = [big - small for small, big in zip(seconds[precision][16], seconds[precision][256], strict=True)]
        ratios = [m / floor for m, floor in zip(marginals, floors, strict=True)]
        out[precision] = {
            "seconds_16": seconds[precision][16],
            "seconds_256": seconds[precision][256],
            "marginal": statistics.median(marginals),
            "of_floor": statistics.median(ratios),
            "of_floor_rounds": ratios,
        }
        if log:
            log(
                f"CLI 256x256 {precision}: {out[precision]['marginal']:.2f} s over a 16x16 run = "
                f"{out[precision]['of_floor']:.2f}x the fp32 floor (median of {runs} rounds: "
                f"{', '.join(f'{r:.2f}' for r in ratios)})"
            )
    return out
