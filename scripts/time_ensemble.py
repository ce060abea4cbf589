"""What self-ensemble costs: one LR image through a shipped model, plain and ``ensemble=True``,
interleaved so that both see the same machine load.

    python scripts/time_ensemble.py [--model srresnet] [--size 256] [--rounds 5]

Prints the median and the fastest of each and their ratio (OpenVINO, the default precision here).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from srgan.image_io import Picture
    from srgan.inference import Upscaler
    from srgan.machine import machine_info
    from srgan.reports.costs import bench_image

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="srresnet")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    plain = Upscaler(args.model)
    ups = {"plain": plain, "ensemble": plain.ensembled()}
    lr = Picture(bench_image(args.size, args.size))
    plain.upscale(lr)  # warm-up: compile for this window size
    times: dict[str, list[float]] = {k: [] for k in ups}
    for _ in range(args.rounds):
        for name, up in ups.items():
            t0 = time.perf_counter()
            up.upscale(lr)
            times[name].append(time.perf_counter() - t0)
    print(machine_info())
    for name, ts in times.items():
        med, best = statistics.median(ts), min(ts)
        print(f"{args.model} {name}, {args.size}x{args.size} LR: median {med:.2f} s, fastest {best:.2f} s")
    ratio = statistics.median(times["ensemble"]) / statistics.median(times["plain"])
    print(f"ensemble / plain: {ratio:.1f}x (medians)")


if __name__ == "__main__":
    main()
