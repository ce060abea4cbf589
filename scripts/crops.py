"""Crops for the model cards: bicubic, SRResNet, SRGAN and the HR ground truth on the same region.

The images are scikit-image's bundled examples (licence-free to show), taken as HR, downsampled x4
by the protocol and upscaled by each model; each panel is a 64x64 crop enlarged 3x (nearest).
Per image and model it prints PSNR (Y, dB), NIQE (lower is better) and the sub-pixel grid offset
(srgan.metrics.grid_offset against HR, Y grey levels; bicubic and HR have ~0), which is how GAN
snapshots (train --keep-every) were compared before shipping one.
Usage: python scripts/crops.py [-o docs/srgan_crops.png] [--weights LABEL=FILE.weights.h5 ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGIONS = {  # example name -> (cx, cy) of a textured region
    "Cat (Chelsea)": (0.42, 0.30),
    "Astronaut (Eileen Collins)": (0.40, 0.22),
    "Coffee cup": (0.30, 0.18),
}


def main() -> None:
    from srgan.compare import example_images, run_comparison, side_by_side, zoom_crop
    from srgan.image_io import Picture
    from srgan.inference import Upscaler, weights_path
    from srgan.metrics import grid_offset, psnr
    from srgan.niqe import niqe

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", default=str(ROOT / "docs" / "srgan_crops.png"))
    p.add_argument(
        "--weights",
        nargs="+",
        metavar="LABEL=FILE",
        help="generators to compare instead of the shipped ones (16 blocks x 64 channels, bicubic skip)",
    )
    args = p.parse_args()
    if args.weights:
        specs = dict(w.split("=", 1) for w in args.weights)
        upscalers = {label: Upscaler("srgan", weights=path) for label, path in specs.items()}
    else:
        models = [m for m in ("srresnet", "srgan") if weights_path(m).is_file()]
        upscalers = {m: Upscaler(m) for m in models}
    examples = example_images()
    rows = []
    for name, (cx, cy) in REGIONS.items():
        results = {m: run_comparison(Picture(examples[name]), up, is_hr=True) for m, up in upscalers.items()}
        first = next(iter(results.values()))
        panels = [(f"bicubic {first.metrics['bicubic']['psnr']:.2f} dB", first.bicubic)]
        panels += [(f"{m} {c.metrics['sr']['psnr']:.2f} dB", c.sr) for m, c in results.items()]
        panels.append((f"HR ({name.split(' (')[0].lower()})", first.hr))
        rows.append(side_by_side([(label, zoom_crop(img, cx, cy, 64, 3)) for label, img in panels]))
        methods = [("bicubic", first.bicubic), *((m, c.sr) for m, c in results.items())]
        scores = [
            f"{m} {psnr(img, first.hr):.2f} dB, NIQE {niqe(img):.2f}, grid {grid_offset(img, first.hr):.2f}"
            for m, img in methods
        ]
        print(f"{name}: " + "; ".join(scores) + f"; HR NIQE {niqe(first.hr):.2f}", flush=True)
    width = max(r.shape[1] for r in rows)
    grid = np.concatenate([np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    Image.fromarray(grid).save(args.output, optimize=True)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
