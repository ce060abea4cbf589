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

Every number here is measured when :func:`run_bench` runs; nothing is stored in the code. The
measuring tools are in :mod:`srgan.reports.costs`, the CLI's runs in :mod:`srgan.reports.speed_cli`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from srgan import SCALE
from srgan.machine import cpu_peak
from srgan.reports.costs import (
    TIME_BUDGET_S,
    bench_image,
    conv_flops,
    flops_per_lr_pixel,
    sgemm_gflops,
    time_method,
)
from srgan.reports.speed_cli import cli_marginal, cli_upscale, cold_starts

if TYPE_CHECKING:
    from srgan.quality.suites import Method

SIZES = ((64, 64), (128, 128), (256, 256), (512, 512), (1024, 768))  # LR (width, height)


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
        result["cli_marginal_256"] = cli_marginal(model, precisions, flops, log)
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
