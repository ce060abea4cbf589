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


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from srgan.reports.cards import validation_points
    from srgan.store import benchmark_mean, card_path

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("-o", "--output", default=str(ROOT / "docs" / "training_curve.png"))
    args = p.parse_args()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    for name in ("srresnet", "srgan"):
        path = card_path(name)
        if not path.is_file():
            continue
        points = validation_points(json.loads(path.read_text()))
        runs = sorted({p["run"] for p in points if p["name"] == name})  # srgan's earlier runs are srresnet's
        for run in runs:
            mine = [p for p in points if p["run"] == run]
            label = f"{name} run {run}" if len(runs) > 1 else name
            ax.plot(
                [p["step"] for p in mine],
                [p["psnr"] for p in mine],
                marker="o",
                ms=3,
                label=f"{label} ({mine[0]['phase']})",
            )
    bicubic = benchmark_mean("bicubic", "Set5")  # measured: the floor every model starts above
    if bicubic is not None:
        ax.axhline(bicubic, color="grey", ls="--", lw=1, label=f"bicubic ({bicubic:.2f} dB)")
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
