"""``data fetch``: get the benchmark sets (the work is in :mod:`srgan.fetch`)."""

from __future__ import annotations

from srgan.cli.common import CLIError, err


def cmd_data(args) -> int:
    from srgan.fetch import fetch_command

    try:
        return fetch_command(args.sets, args.to, args.source, args.mirror, args.overwrite, log=print, err=err)
    except ValueError as e:  # unknown set, missing --from folder, bad mirror URL
        raise CLIError(str(e)) from None
