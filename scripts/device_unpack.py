"""Make a run that ``scripts/device_train.sh`` brought back from a GPU machine shippable here.

Only the run's records come back from the machine (generator.weights.h5, best.weights.h5, log.csv,
val.csv, checkpoints/latest.json and the newest checkpoint's state.json), not its optimizer state, so
``srgan ship`` would find no checkpoint it can verify. This commits one, made of the generator and
that state.json, through the project's own checkpoint store (its manifest and pointer), so that the
card is built from the run's records as for a local run. The result can be shipped, not resumed.

    python scripts/device_unpack.py /path/to/run [--state state.json]

``--state`` gives the state where the run's own did not come back (say how it was made when
shipping: ``srgan ship --note``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from srgan.training.checkpoint import CHECKPOINTS, POINTER, STATE, CheckpointStore  # noqa: E402


def unpack(run: Path, state_file: Path | None = None) -> Path:
    """Commit checkpoint ``step-N`` of ``run`` (N from checkpoints/latest.json) from its generator and
    state; returns the checkpoint folder."""
    pointer_file = run / CHECKPOINTS / POINTER
    pointer = json.loads(pointer_file.read_text())
    state_file = state_file or run / CHECKPOINTS / pointer["folder"] / STATE
    state = json.loads(state_file.read_text())
    if state.get("step") != pointer["step"]:
        raise SystemExit(f"{state_file} says step {state.get('step')}, latest.json step {pointer['step']}")
    pointer_file.unlink()  # the pointer to the folder that stayed on the machine
    names = ["generator.weights.h5"]  # required: a missing generator fails the copy
    if (run / "best.weights.h5").is_file():
        names.append("best.weights.h5")
    files = {name: (lambda p, name=name: shutil.copyfile(run / name, p)) for name in names}
    return CheckpointStore(run).save(state["step"], files, state)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("--state", type=Path, help="state.json to use where the run's own did not come back")
    args = p.parse_args()
    print(unpack(args.run, args.state))


if __name__ == "__main__":
    main()
