"""Shipping a run's generator: :func:`ship` checks it, keeps what it replaces in ``weights/previous/``,
and writes the weights, their ONNX graph and their model card (:func:`srgan.reports.cards.build_card`)
atomically; :func:`undo_ship` swaps them back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from srgan.files import sha256_file, write_bytes_atomic, write_text_atomic
from srgan.model.onnx_export import onnx_bytes
from srgan.model.weights_file import generator_kwargs
from srgan.reports.cards import build_card, csv_rows, earlier_training
from srgan.store import SHIPPED_FILES, card_path, onnx_path, previous_dir, shipped_file, weights_path

if TYPE_CHECKING:
    from srgan.inference import Upscaler


def source_weights(run: Path, which: str) -> tuple[Path, int | None]:
    """The generator file that ``ship`` copies and the step it was kept at (None: the run's last).

    ``best``: ``best.weights.h5``, kept at the first step with the highest validation PSNR in
    ``val.csv``; ``latest``: ``generator.weights.h5``; a step number N: ``snapshots/stepN.weights.h5``.
    """
    if which == "latest":
        src, step = run / "generator.weights.h5", None
    elif which == "best":
        val = csv_rows(run / "val.csv")
        src = run / "best.weights.h5"
        step = int(max(val, key=lambda r: r["psnr"])["step"]) if val else None
    elif str(which).isdigit():
        src, step = run / "snapshots" / f"step{int(which)}.weights.h5", int(which)
    else:
        raise ValueError(f"which must be 'best', 'latest' or a step number, not {which!r}")
    if not src.is_file():
        raise FileNotFoundError(f"{src} not found")
    return src, step


def ship(
    run: str | Path,
    name: str,
    which: str = "best",
    evaluate: bool = True,
    log=print,
    notes: list[str] | None = None,
) -> Path:
    """Copy a run's generator into the weights folder with its model card.

    ``which``: ``best`` (best validation PSNR), ``latest`` (last step) or a step number N whose
    snapshot ``snapshots/stepN.weights.h5`` the run kept (``train --keep-every``); the card stops
    at the generator's step. Returns the card's path. ``evaluate`` measures Set5/Set14/BSD100
    (when the data is present). A run started from shipped weights keeps their card's training
    records (``earlier_training``), read before the copy replaces them. Re-shipping the very
    weights already shipped keeps their metrics.
    """
    from srgan.quality.metrics import PROTOCOL
    from srgan.quality.suites import evaluate_sets, upscaler_method
    from srgan.training.checkpoint import latest_state

    run = Path(run)
    src, at_step = source_weights(run, which)
    cfg = latest_state(run)["config"]
    earlier = earlier_training(cfg.get("init_weights"))
    arch = generator_kwargs(cfg)
    metrics = {}
    # before anything in weights/ changes, with or without evaluate: one graph, checked, evaluated, written
    upscaler, graph = validate_generator(src, name, arch)
    shipped = card_path(name)
    old_card = json.loads(shipped.read_text()) if shipped.is_file() else {}
    same_weights = old_card.get("sha256") == sha256_file(src)
    if same_weights:
        # re-shipping: the card beside a run's --init may now be this run's own card (the run started
        # from weights/<name>_x4 and its result replaced them), so the first shipping's record stands
        earlier = old_card.get("earlier_training", [])
    if evaluate and old_card.get("metrics") and same_weights:
        metrics = old_card["metrics"]  # the very same weights, already measured
        log(f"{name}: the same weights as shipped (sha256); their measured metrics are kept")
    elif evaluate:
        method = upscaler_method(upscaler)
        metrics["protocol"] = PROTOCOL

        def record(_name: str, set_name: str, result: dict) -> None:
            metrics[set_name] = {k: round(v, 4) for k, v in result["mean"].items() if k != "seconds"}
            log(f"{name} {set_name}: {metrics[set_name]}")

        evaluate_sets({name: method}, with_niqe=True, on_set=record)
    dest = weights_path(name)
    card = build_card(run, name, src, metrics, earlier, notes, at_step=at_step)
    card["weights_file"] = dest.name
    card["source_weights"] = which if which in ("best", "latest") else f"snapshot at step {at_step}"
    kept = keep_previous(name)
    if kept:
        log(f"{name}: the weights and card it replaces are in {kept} (undo: python -m srgan ship --undo --name {name})")
    write_bytes_atomic(dest, src.read_bytes(), overwrite=True)
    write_bytes_atomic(onnx_path(name), graph, overwrite=True)
    return write_text_atomic(shipped, json.dumps(card, indent=2) + "\n")


def validate_generator(path: Path, name: str, architecture: dict) -> tuple[Upscaler, bytes]:
    """Raise ValueError (one line naming the file) unless ``path`` loads as this generator and maps
    a small image to a finite result: what ``ship`` checks before anything in weights/ changes.

    Returns the checked model, in fp32 (the arithmetic the cards' metrics are measured in), and its
    ONNX graph, which ``ship`` writes beside the weights."""
    import numpy as np

    from srgan.engines.openvino_engine import OpenVINOEngine
    from srgan.images import to_float
    from srgan.inference import Upscaler
    from srgan.model.weights_file import check_generator_weights

    check_generator_weights(path, architecture)  # one line naming the file and the first layer that does not fit
    graph = onnx_bytes(path, architecture)
    upscaler = Upscaler.with_engine(OpenVINOEngine(graph, precision="fp32"), name=name)
    lr = to_float(np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8))
    sr = upscaler.upscale_array(lr)
    if sr.shape != (64, 64, 3) or not np.isfinite(sr).all():
        raise ValueError(f"{path}: the generator's output on a test image is not finite; not shipped")
    return upscaler, graph


def keep_previous(name: str) -> Path | None:
    """Copy the shipped ``<name>_x4`` weights, graph and card into :func:`previous_dir` (atomically, the one
    kept before is replaced); returns that folder, or None when nothing was shipped yet."""
    files = [shipped_file(name, ext) for ext in SHIPPED_FILES]
    if not any(f.is_file() for f in files):
        return None
    for f in files:
        if f.is_file():
            write_bytes_atomic(previous_dir() / f.name, f.read_bytes(), overwrite=True)
        else:  # a card without a graph (or the like) must not pair with an older file
            (previous_dir() / f.name).unlink(missing_ok=True)
    return previous_dir()


def undo_ship(name: str) -> Path:
    """Swap the shipped ``<name>_x4`` weights, graph and card with the ones kept in :func:`previous_dir`
    (so an undo can itself be undone); returns the shipped card's path."""
    kept = {ext: shipped_file(name, ext, previous_dir()) for ext in SHIPPED_FILES}
    if not kept["weights.h5"].is_file():
        raise FileNotFoundError(f"no earlier {name} weights in {previous_dir()}: nothing to undo")
    validate_generator(kept["weights.h5"], name, json.loads(kept["json"].read_text()).get("architecture", {}))
    current = {ext: shipped_file(name, ext) for ext in kept}
    old = {ext: path.read_bytes() for ext, path in kept.items() if path.is_file()}
    keep_previous(name)
    for ext, path in current.items():
        if ext in old:
            write_bytes_atomic(path, old[ext], overwrite=True)
        else:  # kept before this file existed: no stale graph may stay beside the restored weights
            path.unlink(missing_ok=True)
    return current["json"]
