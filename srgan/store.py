"""The weights folder (``weights/``, or ``$SRGAN_WEIGHTS``): the only module that knows its file names.

Per shipped model ``<model>_x4.weights.h5`` (the generator), ``<model>_x4.onnx`` (its graph, made
from the weights by ``srgan ship``) and ``<model>_x4.json`` (its model card); beside them
``benchmarks.json`` (``evaluate --benchmarks``), ``speed.json`` (``bench``), ``architecture.json``
(``python -m srgan.reports.architecture --write``) and ``previous/`` (what the last ``ship`` replaced).
"""

from __future__ import annotations

import json
from pathlib import Path

from srgan import SCALE
from srgan.paths import weights_dir

MODEL_NAMES = ("srgan", "srresnet", "bicubic")
SHIPPED_FILES = ("weights.h5", "onnx", "json")  # what ship writes per model: weights, their ONNX graph, card


def shipped_file(model: str, ext: str, folder: Path | None = None) -> Path:
    """``<folder>/<model>_x4.<ext>`` (``ext`` one of :data:`SHIPPED_FILES`; folder: the weights folder)."""
    return (folder or weights_dir()) / f"{model}_x{SCALE}.{ext}"


def weights_path(model: str) -> Path:
    """The shipped generator weights of ``model``."""
    return shipped_file(model, "weights.h5")


def onnx_path(model: str) -> Path:
    """The committed ONNX graph of a shipped model (made from its weights by ``srgan ship``)."""
    return shipped_file(model, "onnx")


def card_path(model: str) -> Path:
    """The model card of a shipped model."""
    return shipped_file(model, "json")


def model_card(model: str) -> dict | None:
    """The model card ``weights/<model>_x4.json`` as a dict, or None."""
    path = card_path(model)
    return json.loads(path.read_text()) if path.is_file() else None


def card_beside(weights: str | Path) -> Path:
    """The card that belongs to a weights file anywhere: ``<stem>.json`` next to ``<stem>.weights.h5``."""
    path = Path(weights)
    return path.with_name(path.name.removesuffix(".weights.h5") + ".json")


def previous_dir() -> Path:
    """Where ``ship`` keeps the weights and card it replaced: ``weights/previous/``."""
    return weights_dir() / "previous"


def benchmarks_path() -> Path:
    """Every method on Set5/Set14/BSD100 (``evaluate --benchmarks``): ``weights/benchmarks.json``."""
    return weights_dir() / "benchmarks.json"


def speed_path() -> Path:
    """Speed and memory of every method (``bench``): ``weights/speed.json``."""
    return weights_dir() / "speed.json"


def architecture_path() -> Path:
    """The models' description for the architecture page: ``weights/architecture.json``."""
    return weights_dir() / "architecture.json"


def means_of(bench: dict | None, method: str, set_name: str) -> dict:
    """``method``'s mean metrics on ``set_name`` in a benchmarks.json dict (``{"psnr": ..., "ssim": ...}``),
    or ``{}`` where the results, the method or the set are missing."""
    return (bench or {}).get("results", {}).get(method, {}).get(set_name, {}).get("mean", {})


def benchmark_mean(method: str, set_name: str, metric: str = "psnr") -> float | None:
    """``method``'s mean ``metric`` on ``set_name`` in ``weights/benchmarks.json`` (e.g. bicubic's Set5
    PSNR), or None where the file or that value is missing."""
    path = benchmarks_path()
    if not path.is_file():
        return None
    value = means_of(json.loads(path.read_text()), method, set_name).get(metric)
    return float(value) if value is not None else None
