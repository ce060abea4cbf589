"""Two-phase training as in the paper (SRResNet ``pretrain``, then ``gan``), resumable from checkpoints.

- :mod:`~srgan.training.config`: :class:`TrainConfig`, the only owner of the training defaults
  (:data:`PHASE_DEFAULTS`, the paper's loss weights), the learning-rate schedule, the config of a
  run's checkpoint.
- :mod:`~srgan.training.data`: training images and random HR/LR crops (:class:`PatchSampler`).
- :mod:`~srgan.training.batches`: training batches prefetched on threads (JAX), validation images.
- :mod:`~srgan.training.vgg`: the VGG19 feature extractor (VGG54) and where its ImageNet weights are found.
- :mod:`~srgan.training.losses`: the content (pixel, VGG54), adversarial and grid loss terms.
- :mod:`~srgan.training.steps`: the train step of each backend (TensorFlow, JAX).
- :mod:`~srgan.training.checkpoint`: the crash-safe checkpoint store and the run's crash-safe writes.
- :mod:`~srgan.training.run_folder`: starting, saving and resuming a run; what a run folder holds.
- :mod:`~srgan.training.loop`: :class:`Trainer` (the loop, validation, logs, signals) and :func:`train`.

The names below are the package's interface: ``from srgan.training import X``. They are imported on
first use, so that ``config``, ``data``, ``checkpoint`` and ``run_folder``'s readers can be used
(by ``srgan ship``, the model cards, the CLI's parser) without loading TensorFlow, Keras or JAX.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "MIN_HR_PATCH": "config",
    "PHASES": "config",
    "PHASE_DEFAULTS": "config",
    "TrainConfig": "config",
    "read_checkpoint_config": "config",
    "Trainer": "loop",
    "train": "loop",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'srgan.training' has no attribute {name!r}")
    return getattr(importlib.import_module(f"srgan.training.{_EXPORTS[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
