"""Time and size of PNG encoding per zlib level, through the project's encoder (OpenCV's libpng, Paeth
filter, run-length strategy), libpng's adaptive filter choice and PIL at the same level: the choices behind
``srgan.image_io.encode_png`` and ``PNG_COMPRESS_LEVEL``.

    python scripts/png_levels.py [--size 2048] [--levels 1 6] [--files A.png B.png ...]

On a photo-like image of ``--size`` pixels a side, or on the ``--files`` given (summed over them);
prints per level and encoder the median of 3 encodes and the bytes written.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _pil_png(pic, level: int) -> bytes:
    buf = io.BytesIO()
    pic.to_pil().save(buf, format="PNG", compress_level=level)
    return buf.getvalue()


def _adaptive_png(pic, level: int) -> bytes:
    """libpng's default: each row's filter chosen among the five (what encode_png replaces with Paeth)."""
    import cv2

    from srgan.image_io import opencv_layout

    params = [cv2.IMWRITE_PNG_COMPRESSION, level, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
    return cv2.imencode(".png", opencv_layout(pic), params)[1].tobytes()


def main() -> None:
    from srgan.image_io import Picture, encode_png, load_image
    from srgan.machine import machine_info
    from tests.support.images import photo_like

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--levels", type=int, nargs="+", default=[1, 6])
    p.add_argument("--files", nargs="+", type=Path, help="images to encode instead of the photo-like one")
    args = p.parse_args()
    pictures = [load_image(f) for f in args.files] if args.files else [Picture(photo_like(args.size, 7))]
    what = f"{len(pictures)} files" if args.files else f"{args.size}x{args.size} photo-like"
    print(machine_info())
    for level in args.levels:
        encoders = (
            ("encode_png (OpenCV, Paeth, RLE)", encode_png),
            ("OpenCV, adaptive, RLE", _adaptive_png),
            ("PIL", _pil_png),
        )
        for name, encode in encoders:
            seconds, size = 0.0, 0
            for pic in pictures:
                times = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    data = encode(pic, level)
                    times.append(time.perf_counter() - t0)
                seconds += statistics.median(times)
                size += len(data)
            print(f"{what}, level {level}, {name}: {seconds:.3f} s, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
