"""Speed and memory of x4 upscaling: every contender on the same inputs in one process.

Contenders: the generator on the default tiled path through each engine (OpenVINO fp32 and, where
the CPU has native BF16, bf16; Keras on TensorFlow with and without XLA; ONNX Runtime on the same
ONNX graph where it is installed), bicubic (PIL and OpenCV) and the OpenCV ``dnn_superres`` peers.
For each LR size: the median seconds of several runs after a warm-up, output megapixels per second,
and the process's peak RSS during the runs (OpenVINO runs first, before TensorFlow is imported).
Beside them: the generator's FLOPs per LR pixel counted from the model's layers, this machine's
FP32 peak (from the CPU's clock, vector width and core count) and a measured NumPy sgemm, hence two
*FLOP floors* per size; the CLI's cold start, its marginal time on a 256x256 LR over a 16x16 one,
and its peak RSS on a large LR, each in a fresh process.

Every number here is measured when :func:`run_bench` runs; nothing is stored in the code.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from srgan import SCALE
from srgan.machine import cpu_peak

if TYPE_CHECKING:
    from srgan.quality.suites import Method

SIZES = ((64, 64), (128, 128), (256, 256), (512, 512), (1024, 768))  # LR (width, height)
TIME_BUDGET_S = 20.0  # extra runs beyond the minimum are made while they fit in this budget
MAX_RUNS = 10


# --- memory ------------------------------------------------------------------------------------


def rss_mb() -> float:
    """This process's resident set size now, in MB (Linux /proc; falls back to the peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


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


_CLI_WRAPPER = """
import sys
from srgan.cli import main
status = main(sys.argv[1:])
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print("VmHWM_KB", peak[0] if peak else -1, file=sys.stderr)
sys.exit(status)
"""


def cli_run(args: list[str], env: dict | None = None) -> dict:
    """Run ``python -m srgan ARGS``'s code in a fresh process: wall seconds (process start to exit,
    imports included) and the process's own peak RSS in MB.

    The peak is the child's VmHWM read just before it exits: ``wait4``'s ``ru_maxrss`` would
    also count the parent's pages that the child briefly shared between fork and exec.
    """
    import re

    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CLI_WRAPPER, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"python -m srgan {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    found = re.search(r"VmHWM_KB (-?\d+)", proc.stderr)
    peak = int(found.group(1)) / 1e3 if found and int(found.group(1)) >= 0 else None
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


def cli_marginal(model: str, precisions: list[str], flops: float, sgemm: float, log=None) -> dict:
    """``python -m srgan upscale`` of a 256x256 LR minus that of a 16x16 one (start-up cancels out),
    per precision, against the fp32 FLOP floor at the measured sgemm rate."""
    floor = flops * 256 * 256 / (sgemm * 1e9)
    out = {"what": "CLI seconds on a 256x256 LR minus on a 16x16 LR (median of 3 each)", "floor_seconds": floor}
    for precision in precisions:
        runs = {
            size: statistics.median(
                cli_upscale(model, size, size, ["--precision", precision])["seconds"] for _ in range(3)
            )
            for size in (16, 256)
        }
        marginal = runs[256] - runs[16]
        out[precision] = {
            "seconds_16": runs[16],
            "seconds_256": runs[256],
            "marginal": marginal,
            "of_floor": marginal / floor,
        }
        if log:
            log(f"CLI 256x256 {precision}: {marginal:.2f} s over a 16x16 run = {marginal / floor:.2f}x the fp32 floor")
    return out


# --- the whole benchmark -----------------------------------------------------------------------


def _size_name(width: int, height: int) -> str:
    return f"{width}x{height}"


class _OnnxRuntimeEngine:
    """The same ONNX graph in ONNX Runtime (CPU), for comparison only."""

    name, precision, whole_image = "onnxruntime", "fp32", False

    def __init__(self, graph: Path):
        import onnxruntime as ort

        self.session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])

    def __call__(self, window: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"lr": np.ascontiguousarray(window, np.float32)[None]})[0][0]


def run_bench(
    model: str = "srresnet",
    sizes: tuple[tuple[int, int], ...] = SIZES,
    min_runs: int = 3,
    budget_s: float = TIME_BUDGET_S,
    tile: int | None = None,
    tile_pad: int | None = None,
    with_peers: bool = True,
    cold_start: bool = True,
    cli_memory: tuple[int, int] | None = None,
    marginal: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Measure every contender on every LR size; returns the content of ``speed.json``.

    ``model`` names the generator's weights (srgan and srresnet share the architecture, so their
    speed is the same). ``cli_memory`` (width, height) also runs the CLI on an LR of that size in
    a fresh process and records its peak RSS; ``marginal`` measures :func:`cli_marginal`.
    """
    import cv2

    from srgan.engines.openvino_engine import native_bf16
    from srgan.images import upscale_bicubic
    from srgan.inference import DEFAULT_TILE, DEFAULT_TILE_PAD, Upscaler
    from srgan.machine import machine_info
    from srgan.quality.suites import upscaler_method
    from srgan.store import onnx_path

    log = log or (lambda _msg: None)
    tile = tile or DEFAULT_TILE
    tile_pad = DEFAULT_TILE_PAD if tile_pad is None else tile_pad
    skipped: dict[str, str] = {}
    result: dict = {"machine": machine_info(), "date": time.strftime("%Y-%m-%d %H:%M")}
    result["settings"] = {"tile": tile, "tile_pad": tile_pad, "min_runs": min_runs, "budget_s": budget_s}
    if cold_start:
        result.update(cold_starts(model, tile, tile_pad, log))

    def upscaler(**kw) -> Method:
        return upscaler_method(Upscaler(model, tile=tile, tile_pad=tile_pad, **kw))

    # OpenVINO first, before this process imports TensorFlow, as in the CLI and the app (which never do)
    t0 = time.perf_counter()
    engines: dict[str, tuple[Method, str | None]] = {f"{model} openvino fp32": (upscaler(precision="fp32"), model)}
    result["warm_load_seconds"] = time.perf_counter() - t0  # read + compile the ONNX graph
    if native_bf16():
        engines[f"{model} openvino bf16"] = (upscaler(precision="bf16"), model)
    else:
        skipped[f"{model} openvino bf16"] = "no native BF16 on this CPU (OpenVINO would emulate it, slowly)"
    measured: dict[tuple[str, str], dict] = {}
    for name, (method, _) in engines.items():
        for w, h in sizes:
            measured[(name, _size_name(w, h))] = time_method(method, bench_image(w, h), min_runs, budget_s)
    sgemm = sgemm_gflops()
    log(
        f"model load in a warm process (OpenVINO): {result['warm_load_seconds']:.2f} s; NumPy sgemm {sgemm:.1f} GFLOP/s"
    )

    from srgan.model.models import build_generator, inference_generator

    arch = Upscaler.card_architecture(model)
    generator = build_generator(**arch)
    layers = conv_flops(generator)
    flops = flops_per_lr_pixel(inference_generator(generator))  # what the engines run
    peak = cpu_peak()
    result["generator"] = {
        "weights": model,
        "parameters": int(generator.count_params()),
        "flops_per_lr_pixel": float(sum(r["flops_per_lr_pixel"] for r in layers)),
        "layers": layers,
        # the layout every engine runs: tail moved before the last shuffle (fewer FLOPs and bytes)
        "inference_flops_per_lr_pixel": flops,
    }
    result["peak"] = {**peak, "sgemm_gflops": sgemm}
    log(f"generator: {flops / 1e6:.2f} MFLOP per LR pixel; nominal peak {peak['gflops']:.1f} GFLOP/s")

    methods: dict[str, tuple[Method | None, str | None]] = {name: (None, key) for name, (_, key) in engines.items()}
    methods[f"{model} keras"] = (upscaler(engine="keras"), model)
    methods[f"{model} keras xla"] = (upscaler(engine="keras", xla=True), model)
    try:
        with tempfile.TemporaryDirectory() as tmp:  # the session holds the graph once it is built
            graph = onnx_path(model) if onnx_path(model).is_file() else _onnx_file(model, Path(tmp))
            ort_engine = _OnnxRuntimeEngine(graph)
        methods[f"{model} onnxruntime"] = (
            upscaler_method(Upscaler.with_engine(ort_engine, tile=tile, tile_pad=tile_pad)),
            model,
        )
    except ImportError:
        skipped[f"{model} onnxruntime"] = "onnxruntime is not installed (pip install onnxruntime)"
    methods["bicubic (PIL)"] = (upscale_bicubic, "bicubic")  # the protocol's bicubic
    methods["bicubic (cv2)"] = (
        lambda lr: cv2.resize(lr, (lr.shape[1] * SCALE, lr.shape[0] * SCALE), interpolation=cv2.INTER_CUBIC),
        None,  # OpenCV's cubic has a = -0.75, not the protocol's PIL bicubic (a = -0.5): no quality entry
    )
    if with_peers:
        from srgan.quality.peers import opencv_peers

        peers, peer_skips = opencv_peers()
        methods.update({name: (m, name) for name, m in peers.items()})
        skipped.update(peer_skips)

    rows = []
    for width, height in sizes:
        lr = bench_image(width, height)
        size = _size_name(width, height)
        floor = flops * width * height / (peak["gflops"] * 1e9) if peak["gflops"] else None
        sgemm_floor = flops * width * height / (sgemm * 1e9)
        for name, (method, quality_key) in methods.items():
            r = measured[(name, size)] if method is None else time_method(method, lr, min_runs, budget_s)
            row = {"method": name, "quality_key": quality_key, "size": size, "lr_pixels": width * height, **r}
            if name.startswith(model):
                row["floor_seconds"] = floor
                row["sgemm_floor_seconds"] = sgemm_floor
                row["fraction_of_peak"] = floor / r["seconds"] if floor else None
                row["fraction_of_sgemm"] = sgemm_floor / r["seconds"]
            rows.append(row)
            extra = f", {row['fraction_of_sgemm']:.0%} of sgemm" if row.get("fraction_of_sgemm") else ""
            log(
                f"{size:>9} {name:<24} {r['seconds'] * 1e3:9.1f} ms  {r['output_mpx_per_s']:7.2f} MP/s  "
                f"peak RSS {r['peak_rss_mb']:.0f} MB{extra}"
            )
    result["results"] = rows
    if marginal:
        precisions = ["fp32", "bf16"] if native_bf16() else ["fp32"]
        result["cli_marginal_256"] = cli_marginal(model, precisions, flops, sgemm, log)
    if cli_memory:
        mem = cli_upscale(model, *cli_memory, ["--tile", str(tile), "--tile-pad", str(tile_pad)])
        result["cli_memory"] = mem
        log(f"CLI on a {mem['size']} LR: {mem['seconds']:.1f} s, peak RSS {mem['peak_rss_mb']:.0f} MB")
    result["skipped"] = skipped
    return result


def _onnx_file(model: str, folder: Path) -> Path:
    """An ONNX file of ``model``'s weights in ``folder`` (where no committed graph exists, as in tests)."""
    from srgan.inference import Upscaler
    from srgan.model.onnx_export import export_onnx
    from srgan.store import weights_path

    return export_onnx(weights_path(model), folder / f"{model}.onnx", Upscaler.card_architecture(model))


def markdown_table(result: dict) -> str:
    """The timing rows of a :func:`run_bench` result as a markdown table."""
    lines = [
        "| LR size | method | median s | output MP/s | ms per output MP | peak RSS MB | floor s (peak / sgemm) "
        "| of sgemm |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["results"]:
        floor = f"{r['floor_seconds']:.3f} / {r['sgemm_floor_seconds']:.3f}" if r.get("sgemm_floor_seconds") else ""
        frac = f"{r['fraction_of_sgemm']:.0%}" if r.get("fraction_of_sgemm") else ""
        lines.append(
            f"| {r['size']} | {r['method']} | {r['seconds']:.3f} | {r['output_mpx_per_s']:.2f} | "
            f"{r['ms_per_output_mpx']:.0f} | {r['peak_rss_mb']:.0f} | {floor} | {frac} |"
        )
    return "\n".join(lines) + "\n"


def quality_vs_speed(speed: dict, benchmarks: dict | None, size: str = "256x256", set_name: str = "Set5") -> list[dict]:
    """One point per method measured at ``size``: ms per output megapixel, and the method's mean
    PSNR on ``set_name`` from a benchmarks.json result where it has one (methods are matched by
    ``quality_key``; the generator's weights name its quality)."""
    points = []
    for r in speed.get("results", []):
        if r["size"] != size:
            continue
        key = r.get("quality_key")
        quality = ((benchmarks or {}).get("results", {}).get(key) or {}).get(set_name) if key else None
        points.append(
            {
                "method": r["method"],
                "ms_per_output_mpx": r["ms_per_output_mpx"],
                "psnr": quality["mean"]["psnr"] if quality else None,
            }
        )
    return points
