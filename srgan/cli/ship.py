"""``ship``: copy a run's generator into weights/ with its model card, or ``--undo`` the last ship."""

from __future__ import annotations

from srgan.cli.common import CLIError


def cmd_ship(args) -> int:
    from srgan.reports.ship import ship, undo_ship

    if args.undo:
        try:
            path = undo_ship(args.name)
        except (FileNotFoundError, ValueError) as e:
            raise CLIError(str(e)) from None
        print(f"restored the earlier {args.name} weights and card: {path}")
        return 0
    if not args.run:
        raise CLIError("give the training run folder to ship (or --undo)")
    from srgan.training.checkpoint import CheckpointError, latest_state

    try:
        latest_state(args.run)
    except CheckpointError as e:
        raise CLIError(f"{args.run}: not a training run folder ({e})") from None
    try:
        path = ship(args.run, args.name, args.which, evaluate=not args.no_eval, notes=args.note)
    except (FileNotFoundError, ValueError) as e:
        raise CLIError(str(e)) from None
    print(f"wrote {path}")
    return 0
