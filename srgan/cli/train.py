"""``train``: flags -> :class:`srgan.training.TrainConfig` (or the checkpoint's, with ``--resume``), then train."""

from __future__ import annotations

import json
from pathlib import Path

from srgan.cli.common import CLIError
from srgan.cli.stop_signals import route_signals


def cmd_train(args) -> int:
    route_signals()  # first: before NumPy, TensorFlow or JAX start a thread
    from dataclasses import fields

    from srgan.paths import benchmark_dir, train_dirs
    from srgan.training import TrainConfig, read_checkpoint_config, train
    from srgan.training.checkpoint import CheckpointError
    from srgan.training.vgg import VGGWeightsUnavailable

    if args.resume:  # OUT is the run: its newest good checkpoint's config, trained in OUT wherever it was made
        try:
            cfg = read_checkpoint_config(args.out)
        except CheckpointError as e:  # none, or all damaged: refused rather than started afresh
            raise CLIError(str(e)) from None
        if args.steps:
            cfg.steps = args.steps
        if args.keep_every:  # snapshots do not change the run, so a resumed run may start keeping them
            cfg.keep_every = args.keep_every
    else:
        data = args.data or [str(d) for d in train_dirs()]
        for d in data:
            if not Path(d).is_dir():
                raise CLIError(f"--data {d}: no such folder")
        val = args.val_dir or (str(benchmark_dir("Set5")) if benchmark_dir("Set5").is_dir() else None)
        if args.phase == "gan" and not args.init:
            raise CLIError(
                "--phase gan starts from SRResNet weights: give --init PATH (e.g. weights/srresnet_x4.weights.h5)"
            )
        # every flag named like a TrainConfig field sets it; flags not given stay None, so the config's
        # defaults (TrainConfig.for_phase) fill them rather than a second copy in argparse
        flags = vars(args)
        settings = {f.name: flags[f.name] for f in fields(TrainConfig) if f.name in flags and f.name != "phase"}
        settings.update(data=data, val_dir=val, init_weights=args.init)
        if args.paper_exact:
            settings["bicubic_skip"] = False
        if args.no_xla:
            settings["xla"] = False
        try:  # the config checks its own values (e.g. a gan-only weight with --phase pretrain)
            cfg = TrainConfig.for_phase(args.phase, **{k: v for k, v in settings.items() if v is not None})
        except ValueError as e:
            raise CLIError(str(e)) from None
    try:
        result = train(cfg, resume=args.resume)
    except (VGGWeightsUnavailable, ValueError, FileNotFoundError) as e:  # setup problems: one clear line
        raise CLIError(str(e)) from None
    print(json.dumps({"step": result["step"], "validation": result["validation"]}))
    if result.get("stopped_by"):  # checkpointed, but not finished: not the exit status of a finished run
        return 128 + result["stopped_by"]
    return 0
