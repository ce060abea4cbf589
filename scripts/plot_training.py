"""Training-curve figure for docs/: validation PSNR against steps for each shipped model.

Reads the validation curves from the model cards in weights/ (written by `python -m srgan ship`).
Usage: python scripts/plot_training.py [-o docs/training_curve.png]   (needs matplotlib: requirements-dev.txt)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BICUBIC_SET5 = 28.43  # measured by tests/test_images_metrics.py (Set5, Y, shave 4)


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from srgan.paths import weights_dir

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("-o", "--output", default=str(ROOT / "docs" / "training_curve.png"))
    args = p.parse_args()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    for name in ("srresnet", "srgan"):
        path = weights_dir() / f"{name}_x4.json"
        if not path.is_file():
            continue
        card = json.loads(path.read_text())
        # the runs behind the shipped weights, oldest first; each continues from the previous one's last step
        runs = [*card.get("earlier_training", []), {"name": name, **card["training"]}]
        offset = 0
        for i, run in enumerate(runs):
            curve = run.get("validation_curve") or []
            mine = name == "srresnet" or i == len(runs) - 1  # srgan's earlier runs are srresnet's, drawn with it
            if curve and mine:
                label = f"{name} run {i + 1}" if name == "srresnet" and len(runs) > 1 else name
                steps = [offset + c["step"] for c in curve]
                ax.plot(steps, [c["psnr"] for c in curve], marker="o", ms=3, label=f"{label} ({run['phase']})")
            offset += run.get("steps", 0)
    ax.axhline(BICUBIC_SET5, color="grey", ls="--", lw=1, label="bicubic (28.43 dB)")
    ax.set_xlabel("training step (each run continues from the weights of the one before)")
    ax.set_ylabel("Set5 PSNR, Y, shave 4 (dB)")
    ax.set_title("Validation during training")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
