"""Two-phase training as in the paper (SRResNet ``pretrain``, then ``gan``), resumable from checkpoints.

- :mod:`~srgan.training.config`: :class:`TrainConfig`, the only owner of the training defaults
  (:data:`PHASE_DEFAULTS`), the learning-rate schedule, the config of a run's checkpoint.
- :mod:`~srgan.training.batches`: training batches prefetched on threads (JAX), validation images.
- :mod:`~srgan.training.steps`: the loss terms and the train step of each backend (TensorFlow, JAX).
- :mod:`~srgan.training.checkpoints`: starting, saving and resuming a run; what a run folder holds.
- :mod:`~srgan.training.loop`: :class:`Trainer` (the loop, validation, logs, signals) and :func:`train`.

The names below are the package's interface: ``from srgan.training import X``.
"""

from srgan.training.batches import load_validation, prefetched_batches
from srgan.training.config import MIN_HR_PATCH, PHASE_DEFAULTS, PHASES, TrainConfig, read_checkpoint_config
from srgan.training.loop import Trainer, train

__all__ = [
    "MIN_HR_PATCH",
    "PHASES",
    "PHASE_DEFAULTS",
    "TrainConfig",
    "Trainer",
    "load_validation",
    "prefetched_batches",
    "read_checkpoint_config",
    "train",
]
