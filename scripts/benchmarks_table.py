"""Print weights/benchmarks.json as a markdown table (mean PSNR / SSIM / NIQE per set and method;
NIQE_M, NIQE with MATLAB's pristine model, where the file has it)."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from srgan.paths import BENCHMARK_SETS  # noqa: E402
from srgan.store import benchmarks_path  # noqa: E402


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else benchmarks_path()
    bench = json.loads(path.read_text())
    sets = BENCHMARK_SETS
    means = [r[s]["mean"] for r in bench["results"].values() for s in sets if s in r]
    matlab = all("niqe_matlab" in m for m in means)
    head = "PSNR / SSIM / NIQE" + (" / NIQE_M" if matlab else "")
    print("| method | " + " | ".join(f"{s} {head}" for s in sets) + " | s / image (BSD100) |")
    print("|---|" + "---|" * (len(sets) + 1))
    for method, results in bench["results"].items():
        cells = []
        for s in sets:
            m = results.get(s, {}).get("mean")
            cell = f"{m['psnr']:.2f} / {m['ssim']:.4f} / {m['niqe']:.2f}" if m else "—"
            cells.append(cell + (f" / {m['niqe_matlab']:.2f}" if m and matlab else ""))
        secs = results.get("BSD100", {}).get("mean", {}).get("seconds")
        timing = f"{secs:.3f}" if secs is not None else "—"
        print(f"| {method} | " + " | ".join(cells) + f" | {timing} |")
    print(f"\n{bench['protocol']}. Machine: {bench['machine']}.")


if __name__ == "__main__":
    main()
