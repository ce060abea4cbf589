"""``bench``: the speed and memory measurement (its work is in :mod:`srgan.reports.speed`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from srgan.cli.common import CLIError, err, write_json
from srgan.files import write_text_atomic


def cmd_bench(args) -> int:
    from srgan.inference import DEFAULT_TILE, WeightsMissing
    from srgan.reports.speed import markdown_table, run_bench
    from srgan.reports.speed_cli import cold_starts
    from srgan.store import speed_path

    args.json = args.json or str(speed_path())
    if args.cold_start_only:  # re-measure the start-up alone, into the existing results file
        path = Path(args.json)
        if not path.is_file():
            raise CLIError(f"{path}: no results to update; run the whole bench first")
        result = json.loads(path.read_text())
        result.update(cold_starts(args.model, args.tile or DEFAULT_TILE, args.tile_pad, lambda m: print(m, flush=True)))
        result["cold_start_date"] = time.strftime("%Y-%m-%d %H:%M")
        write_json(args.json, result)
        print(f"updated the cold starts in {args.json}")
        return 0
    try:
        result = run_bench(
            model=args.model,
            sizes=tuple(args.sizes),
            min_runs=args.runs,
            budget_s=args.budget,
            tile=args.tile,
            tile_pad=args.tile_pad,
            with_peers=not args.no_peers,
            cold_start=not args.no_cold_start,
            cli_memory=args.cli_memory,
            marginal=args.marginal,
            log=lambda m: print(m, flush=True),
        )
    except (WeightsMissing, RuntimeError) as e:
        raise CLIError(str(e)) from None
    for name, reason in result["skipped"].items():
        err(f"skipped {name}: {reason}")
    table = markdown_table(result)
    print(table)
    write_json(args.json, result)
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(args.markdown, f"# Speed ({result['machine']}, {result['date']})\n\n{table}")
    print(f"wrote {args.json}" + (f" and {args.markdown}" if args.markdown else ""))
    return 0
