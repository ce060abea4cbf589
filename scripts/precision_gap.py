"""What bfloat16 costs: each shipped model's mean PSNR on Set5 / Set14 / BSD100 with OpenVINO in
float32 and in bfloat16, written into its model card (``precision``) and printed as a table.

    python scripts/precision_gap.py            # needs the benchmark sets (SRGAN_DATA)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from srgan.engines.openvino_engine import native_bf16
from srgan.files import write_text_atomic
from srgan.machine import machine_info
from srgan.paths import benchmark_root, data_dir
from srgan.quality.suites import precision_gap
from srgan.store import card_path, model_card


def main() -> int:
    if not benchmark_root().is_dir():
        print(f"no benchmark sets under {data_dir()} (set SRGAN_DATA)", file=sys.stderr)
        return 2
    print("| model | set | PSNR fp32 | PSNR bf16 | bf16 - fp32 (dB) |\n|---|---|---:|---:|---:|")
    for model in ("srresnet", "srgan"):
        card = model_card(model)
        if card is None:
            continue
        gap = precision_gap(model, data_dir())
        for set_name, r in gap.items():
            cells = f"{r['psnr_fp32']:.3f} | {r['psnr_bf16']:.3f} | {r['bf16_minus_fp32']:+.3f}"
            print(f"| {model} | {set_name} | {cells} |")
        card["precision"] = {
            "what": "mean Y-PSNR with OpenVINO in float32 and in bfloat16 (--precision), same protocol as metrics",
            "machine": machine_info(),
            "native_bf16": native_bf16(),
            "date": time.strftime("%Y-%m-%d"),
            "sets": {k: {m: round(v, 4) for m, v in r.items()} for k, r in gap.items()},
        }
        write_text_atomic(card_path(model), json.dumps(card, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
