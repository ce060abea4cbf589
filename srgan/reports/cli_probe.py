"""``python -m srgan.reports.cli_probe ARGS``: runs what ``python -m srgan ARGS`` runs, in this process,
then prints the process's peak resident memory (``VmHWM_KB <n>``, from /proc/self/status; -1 where
there is none) on stderr, for :mod:`srgan.reports.speed_cli` to read.

The peak must be read by the process itself, just before it exits: ``wait4``'s ``ru_maxrss`` would
also count the parent's pages that the child briefly shared between fork and exec.
"""

from __future__ import annotations

import sys


def peak_rss_kb() -> int:
    """This process's VmHWM in kB (KiB), or -1 where /proc has none."""
    try:
        with open("/proc/self/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("VmHWM:")), -1)
    except OSError:
        return -1


def main(argv: list[str]) -> int:
    from srgan.cli import main as cli_main

    status = cli_main(argv)
    print("VmHWM_KB", peak_rss_kb(), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
