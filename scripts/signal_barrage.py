"""What an asynchronous signal does to a training run: a tiny ``python -m srgan train`` while this
script sends it SIGUSR1 (a no-op Python handler) as fast as it can, with SIGUSR1 either delivered
as the kernel chooses (``plain``: any thread, mid-kernel) or routed like the stop signals
(``routed``: blocked everywhere, taken by ``srgan.cli.stop_signals``' waiter thread).

    python scripts/signal_barrage.py --mode plain routed --runs 3 --json barrage.json

A run passes when it trains every step and exits 0; ``heap`` holds glibc's abort message if any, and
``hung`` says the run was killed after a minute without a log line (a deadlock).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.images import hr_image  # noqa: E402

CHILD = """
import signal, sys
from srgan.cli.stop_signals import route_signals
if {routed}:
    route_signals([signal.SIGUSR1])  # before any thread, as the train command does for SIGINT/SIGTERM
signal.signal(signal.SIGUSR1, lambda *_: None)
from srgan.cli import main
sys.exit(main(['train', '--out', {out!r}, '--data', {data!r}, '--val-dir', {data!r}, '--steps', '{steps}',
               '--batch-size', '2', '--hr-patch', '32', '--num-blocks', '2', '--channels', '8',
               '--log-every', '50', '--ckpt-every', '500', '--val-every', '100000']))
"""


def barrage(mode: str, steps: int, rate: float, work: Path, stall: float = 60.0) -> dict:
    """One training run of ``steps`` steps under a SIGUSR1 barrage of about ``rate`` per second;
    killed as hung when ``log.csv`` gains no line for ``stall`` seconds."""
    data, out = work / "data", work / f"run-{mode}-{time.time_ns()}"
    data.mkdir(parents=True, exist_ok=True)
    for i in range(4):  # 48x48: enough for 32x32 HR patches
        Image.fromarray(hr_image(48, i)).save(data / f"{i}.png")
    code = CHILD.format(routed=mode == "routed", out=str(out), data=str(data), steps=steps)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=work
    )
    while not (out / "log.csv").is_file() and proc.poll() is None:  # the steps, not the start-up, are the target
        time.sleep(0.05)
    t0, sent, hung = time.time(), 0, False
    log, last_change = out / "log.csv", time.time()
    last_size = log.stat().st_size if log.is_file() else 0
    while proc.poll() is None:
        try:
            proc.send_signal(signal.SIGUSR1)
        except ProcessLookupError:
            break
        sent += 1
        time.sleep(1 / rate)
        if log.is_file() and log.stat().st_size != last_size:
            last_size, last_change = log.stat().st_size, time.time()
        elif time.time() - last_change > stall:  # no log line for that long: deadlocked, not slow
            hung = True
            proc.kill()
    _, err = proc.communicate(timeout=120)
    heap = [line for line in err.splitlines() if "corrupt" in line or "double free" in line or "free():" in line]
    return {
        "mode": mode,
        "returncode": proc.returncode,
        "trained_all_steps": proc.returncode == 0,
        "hung": hung,
        "signals_sent": sent,
        "seconds": round(time.time() - t0, 1),
        "heap": heap,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", nargs="+", choices=["plain", "routed"], default=["plain", "routed"])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--rate", type=float, default=500.0, help="signals per second to aim for")
    ap.add_argument("--json", type=Path, help="write the runs and the machine here")
    args = ap.parse_args()
    from srgan.machine import machine_info

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for mode in args.mode:
                r = barrage(mode, args.steps, args.rate, Path(tmp))
                print(json.dumps(r), flush=True)
                results.append(r)
    if args.json:
        report = {"machine": machine_info(), "steps": args.steps, "rate": args.rate, "runs": results}
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
