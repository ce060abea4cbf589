"""Model cards: what a shipped generator is, how it was trained and what it measures.

:func:`build_card` makes ``weights/<name>_x4.json`` from a run's own records (checkpoint state,
``log.csv``, ``val.csv``), the records of the weights it started from and a fresh evaluation on the
benchmark sets (:mod:`srgan.reports.ship` does the shipping). Nothing in a card is typed by hand.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from srgan import SCALE
from srgan.files import sha256_file
from srgan.store import card_beside
from srgan.training.config import ADV_WEIGHT, VGG_SCALE
from srgan.training.data import BATCH_SIZE as PAPER_BATCH
from srgan.training.data import HR_PATCH as PAPER_HR_PATCH

PAPER_DEVIATIONS = {
    "bicubic_skip": "global bicubic skip: the output adds bicubic x4 of the LR (a fixed convolution, no weights), "
    "so the network learns only the residual detail",
    # {images}: "325 images", {folders}: the run's data folders
    "data": "trained on {images} ({folders}) instead of 350 k ImageNet images",
    "steps": "far fewer steps than the paper's 10^6 (SRResNet) / 2x10^5 (SRGAN)",
    "schedule": "cosine learning-rate decay (the paper: constant 1e-4)",
    "l1": "pixel L1 loss instead of MSE (EDSR's choice, reported there to train better than MSE)",
}


def _pretrain_phase(cfg: dict, step: int, earlier: list[dict]) -> str:
    """'SRResNet, pixel MSE; 1,200 + 1,800 steps', or '..., pixel MSE 3,000, then L1 2,400 steps'."""
    groups: list[tuple[str, list[int]]] = []
    runs = [(e.get("pixel_loss") or "mse", e["steps"]) for e in earlier if e.get("phase") == "pretrain"]
    for loss, steps in [*runs, (cfg["pixel_loss"], step)]:
        if groups and groups[-1][0] == loss:
            groups[-1][1].append(steps)
        else:
            groups.append((loss, [steps]))
    parts = [(loss.upper(), " + ".join(f"{n:,}" for n in steps)) for loss, steps in groups]
    if len(parts) == 1:
        return f"SRResNet, pixel {parts[0][0]}; {parts[0][1]} steps"
    return "SRResNet, pixel " + ", then ".join(f"{loss} {steps}" for loss, steps in parts) + " steps"


def csv_rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open() as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _schedule_detail(cfg: dict) -> str:
    """The learning-rate schedule in words, with the run's planned length (see training.config.lr_schedule)."""
    lr, steps = cfg["learning_rate"], cfg["steps"]
    if cfg["schedule"] == "step":
        return f"{lr:g} until step {steps // 2}, then {lr * 0.1:g} (planned {steps} steps)"
    if cfg["schedule"] == "cosine":
        return f"cosine from {lr:g} to {lr * 0.01:g} over {steps} steps"
    return f"constant {lr:g}"


def trained_on(state: dict) -> tuple[str, str]:
    """(where a run trained, in a few words; the hardware line) from its checkpoint state.

    Runs record ``hardware`` (:func:`srgan.machine.training_hardware`); older runs, which all
    trained on this project's 2-core CPU machine, do not.
    """
    hw = state.get("hardware")
    if not hw:
        from srgan.machine import machine_info

        return "2 CPU cores", machine_info()
    device = hw["device"]
    where = device if device.endswith("CPU cores") else f"one {device} GPU"
    return where, f"{device}, {hw['software']}, {hw['os']}"


def earlier_training(init_weights: str | Path | None) -> list[dict]:
    """The training records behind a run's starting weights, oldest first: read from the model card
    beside them (``<stem>.json`` next to ``<stem>.weights.h5``), with that card's own earlier records."""
    if not init_weights:
        return []
    beside = card_beside(init_weights)
    if not beside.is_file():
        return []
    card = json.loads(beside.read_text())
    return [*card.get("earlier_training", []), {"name": card.get("name"), **card.get("training", {})}]


def validation_points(card: dict) -> list[dict]:
    """Set5 validation PSNR of every run behind a card's weights, on one step axis.

    Each run continues from the weights of the one before (``earlier_training``, then the card's own
    ``training``), so its steps are offset by the steps before it. Rows: {"run" (1-based), "name",
    "phase", "step", "psnr"}; a card whose earlier runs belong to another model (SRGAN's SRResNet
    pretraining) still lists them, under their own ``name``.
    """
    runs = [*card.get("earlier_training", []), {"name": card.get("name"), **card.get("training", {})}]
    rows, offset = [], 0
    for i, run in enumerate(runs, 1):
        for point in run.get("validation_curve") or []:
            rows.append(
                {
                    "run": i,
                    "name": run.get("name"),
                    "phase": run.get("phase"),
                    "step": offset + point["step"],
                    "psnr": point["psnr"],
                }
            )
        offset += run.get("steps", 0)
    return rows


def build_card(
    run: Path,
    name: str,
    weights_file: Path,
    metrics: dict | None = None,
    earlier: list[dict] | None = None,
    notes: list[str] | None = None,
    at_step: int | None = None,
) -> dict:
    """A model card dict from a run folder (see module doc). ``earlier``: the training records of
    the weights the run started from (:func:`earlier_training`); ``notes``: facts the run's own
    records cannot hold (e.g. a schedule changed on resume); ``at_step``: the step the shipped
    generator was kept at, when that is before the run's last step (the card's steps, losses,
    validation curve and hours then stop there)."""
    from srgan.model.weights_file import generator_kwargs, generator_weight_shapes
    from srgan.training.checkpoint import latest_state

    state = latest_state(run)  # the newest good checkpoint's (any layout)
    cfg = state["config"]
    log, val = csv_rows(run / "log.csv"), csv_rows(run / "val.csv")
    run_steps, step, train_seconds = state["step"], state["step"], state["train_seconds"]
    if at_step is not None and at_step < run_steps:
        step = at_step
        log = [r for r in log if r["step"] <= step]
        val = [r for r in val if r["step"] <= step]
        # the last record at or before the step: exact when one was written at that step
        train_seconds = max((r["train_seconds"] for r in [*log, *val]), default=0.0)
    arch = generator_kwargs(cfg)
    params = sum(math.prod(shape) for shape in generator_weight_shapes(arch["num_blocks"], arch["channels"]).values())
    deviations = [PAPER_DEVIATIONS["steps"]]
    if cfg["bicubic_skip"]:
        deviations.insert(0, PAPER_DEVIATIONS["bicubic_skip"])
    if cfg["schedule"] == "cosine":
        deviations.append(PAPER_DEVIATIONS["schedule"])
    if cfg["batch_size"] != PAPER_BATCH or cfg["hr_patch"] != PAPER_HR_PATCH:
        deviations.append(
            f"batches of {cfg['batch_size']} HR crops of {cfg['hr_patch']} px "
            f"(the paper: {PAPER_BATCH} of {PAPER_HR_PATCH} px)"
        )
    earlier = earlier or []
    if cfg["phase"] == "pretrain":
        if cfg["pixel_loss"] == "l1":
            deviations.append(PAPER_DEVIATIONS["l1"])
        summary = _pretrain_phase(cfg, step, earlier)
    else:
        content, adv = cfg.get("content_weight", VGG_SCALE), cfg.get("adv_weight", ADV_WEIGHT)
        phase = f"SRGAN, VGG54 content x {content:.4g} + {adv:.0e} adversarial"
        extra_terms = (  # (weight, name in the summary, why): terms not in the paper's generator loss
            ("pixel_weight", f"pixel {cfg['pixel_loss'].upper()}", "ESRGAN's remedy for feature-loss artefacts"),
            (
                "grid_weight",
                "grid",
                "srgan.training.losses.grid_loss, the square of the per-phase mean of SR - HR: against the period-4 "
                "pattern that GAN steps drew here",
            ),
        )
        for key, term, why in extra_terms:
            if cfg.get(key):
                phase += f" + {cfg[key]:g} {term}"
                deviations.append(f"a {term} term x {cfg[key]:g} in the generator loss ({why}; the paper has none)")
        steps = " + ".join(f"{e['steps']:,}" for e in earlier if e.get("phase") == "gan")
        summary = f"{phase}; {f'{steps} + ' if steps else ''}{step:,} steps"
        if abs(content - VGG_SCALE) > 1e-9 or abs(adv - ADV_WEIGHT) > 1e-12:
            deviations.append(
                f"loss weights {content:.4g} (content) and {adv:.0e} (adversarial); the paper's are 1/12.75, 1e-3"
            )
    images = state.get("images")  # what the run trained on (images with both sides >= the crop)
    if images is None and all(Path(d).is_dir() for d in cfg["data"]):
        from srgan.image_io import list_images  # the files training reads

        images = sum(len(list_images(d)) for d in cfg["data"])
    folders = ", ".join(Path(d).name for d in cfg["data"])
    deviations.insert(
        1 if cfg["bicubic_skip"] else 0,
        PAPER_DEVIATIONS["data"].format(images=f"{images or 'the'} images", folders=folders),
    )
    where, hardware = trained_on(state)
    # older cards' hardware reads "AMD EPYC, 2 cores, ...", newer ones "2 CPU cores, Keras ..."
    earlier_where = {
        "2 CPU cores" if any(t in e.get("hardware", "") for t in ("2 cores", "2 CPU cores")) else e.get("hardware")
        for e in earlier
    }
    if not earlier or earlier_where == {where}:
        summary += f" on {where}"
    elif earlier_where != {"2 CPU cores"}:
        summary += f" (the last {step:,} on {where}; see earlier_training for the others)"
    elif any(e.get("phase") == cfg["phase"] for e in earlier):  # the summary adds up earlier runs' steps
        summary += f" (the last {step:,} on {where}, the others on 2 CPU cores)"
    else:
        summary += f" on {where}, from an SRResNet trained on 2 CPU cores"
    card = {
        "name": name,
        "summary": summary,
        "architecture": {**arch, "scale": SCALE, "parameters": params},
        "deviations_from_paper": deviations,
        "training": {
            "phase": cfg["phase"],
            "data": [Path(d).name for d in cfg["data"]],
            "images": images,
            "initialised_from": Path(cfg["init_weights"]).name if cfg.get("init_weights") else None,
            "steps": step,
            **({"run_went_on_to_step": run_steps} if step < run_steps else {}),
            "batch_size": cfg["batch_size"],
            "hr_patch": cfg["hr_patch"],
            "optimizer": "Adam, beta1 0.9",
            "learning_rate": cfg["learning_rate"],
            "schedule": cfg["schedule"],
            "schedule_detail": _schedule_detail(cfg),
            "pixel_loss": cfg["pixel_loss"] if cfg["phase"] == "pretrain" or cfg.get("pixel_weight") else None,
            **({"pixel_weight": cfg["pixel_weight"]} if cfg.get("pixel_weight") else {}),
            **({"grid_weight": cfg["grid_weight"]} if cfg.get("grid_weight") else {}),
            "train_hours": round(train_seconds / 3600, 2),
            "hardware": hardware,
            "final_losses": {k: v for k, v in (log[-1] if log else {}).items() if k not in ("step", "train_seconds")},
            "validation_set": Path(cfg["val_dir"]).name if cfg.get("val_dir") else None,
            "validation_curve": [
                {"step": int(r["step"]), "psnr": round(r["psnr"], 3), "ssim": round(r["ssim"], 4)} for r in val
            ],
        },
        "metrics": metrics or {},
        "weights_file": weights_file.name,
        "sha256": sha256_file(weights_file),
    }
    if earlier:
        card["earlier_training"] = earlier
        card["total_train_hours"] = round(
            card["training"]["train_hours"] + sum(e.get("train_hours", 0.0) for e in earlier), 2
        )
    if notes:
        card["notes"] = list(notes)
    return card
