"""Time and size of PNG encoding per zlib level, on a photo-like image (the choice behind
``srgan.image_io.PNG_COMPRESS_LEVEL``).

    python scripts/png_levels.py [--size 2048] [--levels 1 6]

Prints, per level, the median of 3 encodes through ``srgan.image_io.encode_png`` and the bytes written.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from scripts.load_test import photo_like
    from srgan.image_io import Picture, encode_png
    from srgan.machine import machine_info

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--levels", type=int, nargs="+", default=[1, 6])
    args = p.parse_args()
    pic = Picture(photo_like(args.size, 7))
    print(machine_info())
    for level in args.levels:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            data = encode_png(pic, level)
            times.append(time.perf_counter() - t0)
        print(f"{args.size}x{args.size} level {level}: {statistics.median(times):.3f} s, {len(data) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
