"""Command line: ``python -m srgan {upscale,degrade,evaluate,bench,train,ship,export,data}``
(also the ``srgan`` script).

Errors are one line on stderr naming the file and the reason; a batch goes on past a bad
file and the exit status is non-zero when anything failed. One module per command (``cmd_<name>``);
``parser`` holds every flag and help text, ``common`` what the commands share.
"""

from __future__ import annotations

import os

from srgan.cli.common import EXIT_FAILED, EXIT_USAGE, CLIError, err, output_names
from srgan.cli.parser import build_parser

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "CLIError", "build_parser", "main", "output_names"]


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter off the terminal
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CLIError as e:
        err(f"error: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err("interrupted")
        return 130
