"""``evaluate``: PSNR/SSIM (and NIQE) of a model or of made images against HR, and ``--benchmarks``."""

from __future__ import annotations

from pathlib import Path

from srgan.cli.common import EXIT_FAILED, CLIError, err, make_upscaler, write_json


def cmd_evaluate(args) -> int:
    from srgan.quality.suites import evaluate_folder, upscaler_method

    if args.benchmarks:
        return _benchmarks(args)
    if not args.hr:
        raise CLIError("give --hr DIR (or --benchmarks)")
    hr_dir = Path(args.hr)
    for label, d in (("--hr", args.hr), ("--lr", args.lr), ("--sr", args.sr)):
        if d is not None and not Path(d).is_dir():
            raise CLIError(f"{label} {d}: no such folder")
    if args.sr and args.ensemble:
        raise CLIError("--ensemble runs a model, and --sr scores images already made: give one of them")
    upscaler = None if args.sr else make_upscaler(args)
    method = None if upscaler is None else upscaler_method(upscaler)
    result = evaluate_folder(hr_dir, method, args.lr, args.sr, with_niqe=args.niqe)
    for line in result["errors"]:
        err(line)
    if not result["images"]:
        raise CLIError(f"{hr_dir}: no image could be evaluated")
    source = (
        f"SR from {args.sr}"
        if args.sr
        else f"model {upscaler.method_name}, LR {'from ' + args.lr if args.lr else 'made from HR'}"
    )
    niqe_keys = [k for k in ("niqe", "niqe_matlab") if k in result["mean"]]  # NIQE_M: MATLAB's model
    niqe_head = "".join(f"{'NIQE' if k == 'niqe' else 'NIQE_M':>8}" for k in niqe_keys)
    print(f"{hr_dir} ({source})")
    print(f"{'image':<18}{'PSNR (dB)':>10}{'SSIM':>9}{'RGB PSNR':>10}{niqe_head}{'s':>8}")
    for r in [*result["images"], {"image": "mean", **result["mean"]}]:
        niqe = "".join(f"{r[k]:>8.2f}" for k in niqe_keys)
        print(f"{r['image']:<18}{r['psnr']:>10.2f}{r['ssim']:>9.4f}{r['psnr_rgb']:>10.2f}{niqe}{r['seconds']:>8.2f}")
    if args.json:
        meta = {"hr": str(hr_dir), "lr": args.lr, "sr": args.sr, "model": None if args.sr else upscaler.method_name}
        write_json(args.json, {**meta, **result})
    return EXIT_FAILED if result["errors"] else 0


def _benchmarks(args) -> int:
    """Every available method on Set5, Set14 and BSD100 -> a benchmarks JSON file; with ``--ensemble``
    also each learned model self-ensembled (``srresnet+``, ``srgan+``, sharing the model's engine)."""
    from srgan.images import upscale_bicubic
    from srgan.inference import Upscaler, WeightsMissing
    from srgan.paths import benchmark_root, data_dir
    from srgan.quality.peers import opencv_peers
    from srgan.quality.suites import run_benchmarks, upscaler_method
    from srgan.store import benchmarks_path

    if not benchmark_root().is_dir():
        raise CLIError(f"no benchmark sets under {data_dir()} (set SRGAN_DATA)")
    methods, skipped = {"bicubic": upscale_bicubic}, {}
    for name in ("srresnet", "srgan"):
        try:
            up = Upscaler(name, tile=args.tile, tile_pad=args.tile_pad, engine=args.engine, precision=args.precision)
            methods[name] = upscaler_method(up)
            if args.ensemble:
                plus = up.ensembled()
                methods[plus.method_name] = upscaler_method(plus)
        except WeightsMissing as e:
            skipped[name] = str(e)
    peers, peer_skips = opencv_peers()
    methods.update(peers)
    skipped.update(peer_skips)
    for name, reason in skipped.items():
        err(f"skipping {name}: {reason}")
    result = run_benchmarks(methods, data_dir(), with_niqe=True, skipped=skipped, log=lambda m: print(m, flush=True))
    out = args.json or str(benchmarks_path())
    write_json(out, result)
    print(f"wrote {out}")
    return 0
