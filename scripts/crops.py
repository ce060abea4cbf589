"""Crops for the model cards: bicubic, SRResNet, SRGAN and the HR ground truth on the same region.

The images are scikit-image's bundled examples (licence-free to show), taken as HR, downsampled x4
by the protocol and upscaled by each model; each panel is a 64x64 crop enlarged 3x (nearest).
Usage: python scripts/crops.py [-o docs/srgan_crops.png]
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

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", default=str(ROOT / "docs" / "srgan_crops.png"))
    args = p.parse_args()
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
        print(name, "  ".join(label for label, _ in panels), flush=True)
    width = max(r.shape[1] for r in rows)
    grid = np.concatenate([np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    Image.fromarray(grid).save(args.output, optimize=True)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
