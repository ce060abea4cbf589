"""``python -m srgan.reports.cli_probe ARGS``: runs what ``python -m srgan ARGS`` runs, in this process,
then prints the process's peak resident memory (``VmHWM_MB <n>``, from /proc/self/status; -1 where
there is none) on stderr, for :mod:`srgan.reports.speed_cli` to read.

The peak must be read by the process itself, just before it exits: ``wait4``'s ``ru_maxrss`` would
also count the parent's pages that the child briefly shared between fork and exec.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from srgan.cli import main as cli_main
    from srgan.reports.costs import memory_of

    status = cli_main(argv)
    print("VmHWM_MB", memory_of().get("VmHWM", -1), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
