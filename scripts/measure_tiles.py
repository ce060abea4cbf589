"""Seams and memory of tiled inference with the shipped srresnet weights.

python scripts/measure_tiles.py seams          # max |tiled - whole| per tile_pad (Set5 baby LR, tile 40)
python scripts/measure_tiles.py memory TILE [SIZE]  # time and peak RSS, SIZE x SIZE LR (256), tile TILE, pad 16
python scripts/measure_tiles.py sweep [SIZE [TILE ...]]  # `memory` for several tiles, each in a fresh process
python scripts/measure_tiles.py tail                # one 160x160 window: the paper's layout against inference_generator
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from srgan.inference import Upscaler
from srgan.reports.costs import kib_to_mb


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


def memory(tile: int, size: int = 256) -> dict:
    """Median of 3 runs after a warm-up run at the same size; peak RSS of this process."""
    lr = np.random.default_rng(0).random((size, size, 3), np.float32)
    up = Upscaler("srresnet", tile=tile, tile_pad=16)
    loaded = kib_to_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    up.upscale_array(lr, out_dtype=np.uint8)  # warm-up: trace and first-touch allocations
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        up.upscale_array(lr, out_dtype=np.uint8)
        times.append(time.perf_counter() - t0)
    peak = kib_to_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return {"tile": tile, "size": size, "seconds": sorted(times)[1], "rss_loaded_mb": loaded, "peak_rss_mb": peak}


def sweep(size: int = 256, tiles: tuple[int, ...] = (64, 96, 128, 160, 192, 224, 256)) -> None:
    for tile in tiles:
        out = subprocess.run(
            [sys.executable, __file__, "memory", str(tile), str(size)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{size}x{size} LR, tile {tile:3d} pad 16: {r['seconds']:.2f} s (median of 3), "
            f"RSS after load {r['rss_loaded_mb']:.0f} MB, peak {r['peak_rss_mb']:.0f} MB",
            flush=True,
        )


def tail(window: int = 160) -> None:
    """Seconds per window (best of 3 after a warm-up) of the trained layout and the inference layout."""
    import tensorflow as tf

    from srgan.model.models import build_generator, inference_generator
    from srgan.store import weights_path

    g = build_generator(bicubic_skip=True)
    g.load_weights(str(weights_path("srresnet")))
    x = tf.random.uniform((1, window, window, 3))
    for name, model in (("paper layout", g), ("inference layout", inference_generator(g))):
        fn = tf.function(lambda t, m=model: m(t, training=False))
        fn(x)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn(x).numpy()
            times.append(time.perf_counter() - t0)
        print(f"{name:>16}: {min(times):.2f} s per {window}x{window} window (best of 3)", flush=True)


if __name__ == "__main__":
    mode, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    if mode == "seams":
        seams()
    elif mode == "sweep":
        sweep(*args[:1], *([tuple(args[1:])] if len(args) > 1 else []))
    elif mode == "tail":
        tail(*args)
    else:
        print(json.dumps(memory(*args)))
