"""What every command shares: exit codes, ``CLIError`` and one-line error reporting, the progress bar,
the file loop with its output-naming and overwrite rules, and small argparse types."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from srgan import SCALE

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


def err(msg: str) -> None:
    print(f"srgan: {msg}", file=sys.stderr, flush=True)


class ProgressBar:
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


def collect(inputs: list[str]) -> tuple[list[Path], list[Path], int]:
    """Image files named or inside the folders given, and those folders; missing paths are
    reported (their count returned)."""
    from srgan.image_io import list_images

    files, folders, missing = [], [], 0
    for item in inputs:
        path = Path(item)
        if not path.exists():
            err(f"{item}: no such file or folder")
            missing += 1
            continue
        found = list_images(path)
        if path.is_dir():
            folders.append(path)
            if not found:
                err(f"{item}: folder holds no image files")
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


def same_path(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))


def plan_outputs(files: list[Path], folders: list[Path], out_dir: Path) -> dict[Path, Path | None]:
    """Destination of each input in ``out_dir`` (None: refused, see :func:`output_names`).
    Raises CLIError, before anything is written, when results would land in an input folder or on
    an input file."""
    for folder in folders:
        if same_path(folder, out_dir):
            raise CLIError(
                f"-o {out_dir} is an input folder: results would mix with the inputs and could replace them; "
                "choose another output folder"
            )
    plan = {p: None if name is None else out_dir / name for p, name in output_names(files).items()}
    for src, dest in plan.items():
        for other in files:
            if dest is not None and same_path(dest, other):
                raise CLIError(f"{other}: is an input and would be overwritten by the result of {src}; change -o")
    return plan


def make_upscaler(args):
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


def each_output(args, process, prepare=None) -> int:
    """Run ``process(src, dest, index, total) -> message`` for every input file with its planned
    destination (see :func:`plan_outputs`); a failing or refused file gets its one-line error and the
    batch goes on. An existing destination is refused unless ``--overwrite``. ``prepare(files)`` is
    called once before the first file (e.g. to load the model, so that a bad model fails once).
    Exit status: 0, EXIT_FAILED if any file failed or was refused, EXIT_USAGE if there was no input."""
    from srgan.image_io import ImageLoadError

    files, folders, failed = collect(args.inputs)
    if not files:
        if failed:  # each missing input already has its line
            return EXIT_USAGE
        raise CLIError("no input images")
    plan = plan_outputs(files, folders, Path(args.output))
    if prepare:
        prepare(files)
    for i, (src, dest) in enumerate(plan.items(), 1):
        if dest is None:
            err(f"{src}: another input has the same name; not processed (rename one of them)")
            failed += 1
            continue
        if dest.exists() and not args.overwrite:
            err(f"{src}: {dest} exists; not overwritten (use --overwrite to replace it)")
            failed += 1
            continue
        try:
            message = process(src, dest, i, len(plan))
        except FileExistsError:  # created by someone else while this file was processed
            err(f"{src}: {dest} exists; not overwritten (use --overwrite to replace it)")
            failed += 1
        except (ImageLoadError, ValueError, OSError) as e:
            err(f"{src}: {e}")
            failed += 1
        else:
            if not args.quiet:
                print(message, flush=True)
    return EXIT_FAILED if failed else 0


def write_json(path: str, data: dict) -> None:
    """Write a results file atomically (parent folders created; an existing file is replaced)."""
    from srgan.files import write_text_atomic

    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


# argparse types: a bad value is refused with its reason, in the parser's one-line error


def int_at_least(minimum: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = "int"  # argparse names the type in its message
    return parse


def wxh(text: str) -> tuple[int, int]:
    """``WxH`` or ``N`` (square) -> (width, height)."""
    try:
        w, _, h = text.lower().partition("x")
        size = (int(w), int(h or w))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT or N, got {text!r}") from None
    if min(size) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return size


def float_at_least(minimum: float, strictly: bool = False):  # a finite float >= (or >) minimum
    def parse(text: str) -> float:
        value = float(text)
        if not math.isfinite(value) or value < minimum or (strictly and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {'>' if strictly else '>='} {minimum:g}, got {text}")
        return value

    parse.__name__ = "float"  # argparse names the type in its message
    return parse


def hr_patch(text: str) -> int:
    from srgan.training.config import MIN_HR_PATCH  # here, not at import: only train parses it

    value = int(text)
    if value % SCALE or value < MIN_HR_PATCH:
        raise argparse.ArgumentTypeError(f"must be a multiple of {SCALE} and at least {MIN_HR_PATCH}, got {value}")
    return value


hr_patch.__name__ = "int"
