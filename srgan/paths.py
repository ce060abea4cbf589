"""Where the project finds its data and weights (overridable by environment variables)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCHMARK_SETS = ("Set5", "Set14", "BSD100")
# the data folder's benchmark folders: HR ground truth, and the reference x4 LR (MATLAB imresize)
BENCHMARK_HR_FOLDER = "benchmark"
BENCHMARK_LR_FOLDER = "benchmark_lr_x4"


def data_dir() -> Path:
    """Root of the research data (benchmark and training sets).

    ``$SRGAN_DATA`` if set, else ``../shared/data`` next to the project checkout.
    The folder may be absent (e.g. on Streamlit Cloud); callers check.
    """
    env = os.environ.get("SRGAN_DATA")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"


def weights_dir() -> Path:
    """Folder of shipped generator weights and model cards (``$SRGAN_WEIGHTS`` or ``weights/``)."""
    env = os.environ.get("SRGAN_WEIGHTS")
    return Path(env) if env else PROJECT_ROOT / "weights"


def benchmark_root(data_root: Path | None = None) -> Path:
    """The folder of the HR benchmark sets, under ``data_root`` (default :func:`data_dir`)."""
    return (data_root or data_dir()) / BENCHMARK_HR_FOLDER


def benchmark_dir(name: str, data_root: Path | None = None) -> Path:
    """HR ground truth of a benchmark set: ``Set5``, ``Set14`` or ``BSD100`` (under ``data_root``,
    default :func:`data_dir`)."""
    return benchmark_root(data_root) / name


def benchmark_lr_dir(name: str) -> Path:
    """Reference x4 LR images (MATLAB imresize) of a benchmark set."""
    return data_dir() / BENCHMARK_LR_FOLDER / name


def train_dirs() -> list[Path]:
    """The training folders under ``data_dir()/train`` (T91, BSD200, General100 half)."""
    root = data_dir() / "train"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
