"""Print weights/benchmarks.json as a markdown table (mean PSNR / SSIM / NIQE per set and method)."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "weights" / "benchmarks.json"
    bench = json.loads(path.read_text())
    sets = ["Set5", "Set14", "BSD100"]
    print("| method | " + " | ".join(f"{s} PSNR / SSIM / NIQE" for s in sets) + " | s / image (BSD100) |")
    print("|---|" + "---|" * (len(sets) + 1))
    for method, results in bench["results"].items():
        cells = []
        for s in sets:
            m = results.get(s, {}).get("mean")
            cells.append(f"{m['psnr']:.2f} / {m['ssim']:.4f} / {m['niqe']:.2f}" if m else "—")
        secs = results.get("BSD100", {}).get("mean", {}).get("seconds")
        timing = f"{secs:.3f}" if secs is not None else "—"
        print(f"| {method} | " + " | ".join(cells) + f" | {timing} |")
    print(f"\n{bench['protocol']}. Machine: {bench['machine']}.")


if __name__ == "__main__":
    main()
