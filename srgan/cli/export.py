"""``export``: a TensorFlow SavedModel or an ONNX graph of a model."""

from __future__ import annotations

from pathlib import Path

from srgan.cli.common import CLIError, make_upscaler


def cmd_export(args) -> int:
    out = Path(args.output)
    if out.exists() and not args.overwrite:
        raise CLIError(f"{out} exists; not overwritten (use --overwrite to replace it)")
    if args.model == "bicubic" and not args.weights:
        raise CLIError("bicubic has no model to export: choose --model srresnet or srgan")
    if args.format == "onnx":
        return _export_onnx(args, out)
    from srgan.model.export import export_saved_model

    if out.exists() and not out.is_dir():
        raise CLIError(f"{out} is a file; a SavedModel is a folder: choose another path")
    upscaler = make_upscaler(args)
    export_saved_model(upscaler.engine.inference_model, out, max_pixels=args.max_pixels, overwrite=args.overwrite)
    limit = f"at most {args.max_pixels:,} LR pixels"
    print(f"wrote SavedModel {out} (signatures: serving_default, upscale_encoded; {limit})")
    return 0


def _export_onnx(args, out: Path) -> int:
    from srgan.model.onnx_export import export_onnx
    from srgan.store import model_card, weights_path

    weights = Path(args.weights) if args.weights else weights_path(args.model)
    if not weights.is_file():
        raise CLIError(f"{weights}: no such weights file")
    architecture = (model_card(args.model) or {}).get("architecture", {})
    try:
        export_onnx(weights, out, architecture, overwrite=args.overwrite)
    except ValueError as e:  # WeightsError: damaged or foreign weights
        raise CLIError(str(e)) from None
    print(f"wrote ONNX graph {out} (input lr: float32 N x H x W x 3 in [0, 1]; output sr: N x 4H x 4W x 3 in [0, 1])")
    return 0
