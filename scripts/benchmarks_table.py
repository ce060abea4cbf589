"""Print weights/benchmarks.json as a markdown table (mean PSNR / SSIM / NIQE per set and method;
NIQE_M, NIQE with MATLAB's pristine model, where the file has it)."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from srgan.reports.tables import markdown_table  # noqa: E402
from srgan.store import benchmarks_path  # noqa: E402


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else benchmarks_path()
    print(markdown_table(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
