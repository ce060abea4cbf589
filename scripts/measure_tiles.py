"""Seams and memory of tiled inference with the shipped srresnet weights.

python scripts/measure_tiles.py seams          # max |tiled - whole| per tile_pad (Set5 baby LR, tile 40)
python scripts/measure_tiles.py memory TILE    # time and peak RSS for a 256x256 LR at tile TILE, pad 16
"""

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from srgan.inference import Upscaler


def seams() -> None:
    from srgan.image_io import load_image
    from srgan.images import downscale, modcrop
    from srgan.paths import benchmark_dir

    hr = modcrop(load_image(benchmark_dir("Set5") / "baby.png").rgb8())
    lr = downscale(hr).astype(np.float32) / 255  # 128x128
    whole = Upscaler("srresnet", tile=10_000).upscale_array(lr)
    for pad in (0, 4, 8, 12, 16, 24, 32):
        tiled = Upscaler("srresnet", tile=40, tile_pad=pad).upscale_array(lr)
        print(f"tile 40 pad {pad:2d}: max |tiled - whole| = {np.abs(tiled - whole).max() * 255:.3f} / 255", flush=True)


def memory(tile: int) -> None:
    lr = np.random.default_rng(0).random((256, 256, 3), np.float32)
    up = Upscaler("srresnet", tile=tile, tile_pad=16)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    up.upscale_array(lr[:64, :64])  # warm-up trace
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        up.upscale_array(lr, out_dtype=np.uint8)
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"tile {tile} pad 16: 256x256 LR -> 1024x1024 in {min(times):.2f} s (best of 2); "
        f"RSS after load {loaded:.0f} MB, peak {peak:.0f} MB"
    )


if __name__ == "__main__":
    seams() if sys.argv[1] == "seams" else memory(int(sys.argv[2]))
