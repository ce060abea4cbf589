"""``upscale`` (x4 super-resolve images to PNG) and ``degrade`` (make the paper's x4 LR): the two commands
that map input images to output files."""

from __future__ import annotations

from pathlib import Path

from srgan import SCALE
from srgan.cli.common import ProgressBar, each_output, err, make_upscaler


def cmd_upscale(args) -> int:
    from srgan.image_io import load_image, save_png

    upscaler = None

    def prepare(_files: list[Path]) -> None:
        nonlocal upscaler
        upscaler = make_upscaler(args)  # once, after the inputs are known to exist

    def process(path: Path, dest: Path, i: int, total: int) -> str:
        pic = load_image(path)
        bar = ProgressBar(f"[{i}/{total}] {path.name} {pic.width}x{pic.height}", not args.quiet)
        sr = upscaler.upscale(pic, progress=bar)
        save_png(sr, dest, overwrite=args.overwrite)
        for note in pic.notes:
            err(f"{path}: note: {note}")
        return f"{path} -> {dest} ({sr.width}x{sr.height})"

    return each_output(args, process, prepare)


def cmd_degrade(args) -> int:
    from srgan.image_io import Picture, load_image, save_png
    from srgan.images import downscale

    def process(path: Path, dest: Path, _i: int, _total: int) -> str:
        hr = load_image(path).rgb8()
        if min(hr.shape[:2]) < SCALE:
            raise ValueError(f"image is {hr.shape[1]}x{hr.shape[0]}, smaller than the scale {SCALE}")
        save_png(Picture(downscale(hr, SCALE)), dest, overwrite=args.overwrite)
        return f"{path} -> {dest}"

    return each_output(args, process)
