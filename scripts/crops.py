"""Crops for the model cards: bicubic, SRResNet, SRGAN and the HR ground truth on the same region.

The images are scikit-image's bundled examples (licence-free to show), taken as HR, downsampled x4
by the protocol and upscaled by each model; each panel is a 64x64 crop enlarged 3x (nearest).
Per image and model it prints PSNR (Y, dB), NIQE (lower is better) and the sub-pixel grid offset
(srgan.quality.metrics.grid_offset against HR, Y grey levels; bicubic and HR have ~0), which is how GAN
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

from srgan.images import enlarge_nearest  # noqa: E402

REGIONS = {  # example name -> (cx, cy) of a textured region
    "Cat (Chelsea)": (0.42, 0.30),
    "Astronaut (Eileen Collins)": (0.40, 0.22),
    "Coffee cup": (0.30, 0.18),
}


def crop(img: np.ndarray, cx: float, cy: float, size: int, factor: int) -> np.ndarray:
    """A ``size`` x ``size`` crop centred at fractions (cx, cy) of the image, enlarged ``factor``x by
    nearest neighbour so pixels stay visible."""
    h, w = img.shape[:2]
    size = min(size, h, w)
    x0 = int(np.clip(round(cx * w - size / 2), 0, w - size))
    y0 = int(np.clip(round(cy * h - size / 2), 0, h - size))
    return enlarge_nearest(img[y0 : y0 + size, x0 : x0 + size], factor)


def main() -> None:
    from srgan.compare import example_images, run_comparison, side_by_side
    from srgan.image_io import Picture
    from srgan.inference import Upscaler
    from srgan.quality.metrics import grid_offset
    from srgan.quality.niqe import niqe
    from srgan.store import weights_path

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
    upscalers = {"bicubic": Upscaler("bicubic"), **upscalers}
    examples = example_images()
    rows = []
    for name, (cx, cy) in REGIONS.items():
        c = run_comparison(Picture(examples[name]), upscalers, is_hr=True)
        hr = c.hr.rgb8()
        images = {m: p.rgb8() for m, p in c.methods.items()}
        panels = [(f"{m} {c.methods[m].psnr:.2f} dB", img) for m, img in images.items()]
        panels.append((f"HR ({name.split(' (')[0].lower()})", hr))
        rows.append(side_by_side([(label, crop(img, cx, cy, 64, 3)) for label, img in panels]))
        scores = [
            f"{m} {c.methods[m].psnr:.2f} dB, NIQE {niqe(img):.2f}, grid {grid_offset(img, hr):.2f}"
            for m, img in images.items()
        ]
        print(f"{name}: " + "; ".join(scores) + f"; HR NIQE {niqe(hr):.2f}", flush=True)
    width = max(r.shape[1] for r in rows)
    grid = np.concatenate([np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    Image.fromarray(grid).save(args.output, optimize=True)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
