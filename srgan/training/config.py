"""What defines a training run: :class:`TrainConfig`, the only owner of the training defaults
(:data:`PHASE_DEFAULTS` for those that depend on the phase), the learning-rate schedule it
describes, and the config stored in a run's checkpoint (:func:`read_checkpoint_config`).

The two phases, as in the paper:

- ``pretrain``: SRResNet with a pixel loss (MSE on [-1, 1] as the paper, or L1).
- ``gan``: SRGAN initialised from SRResNet weights; the generator minimises VGG54 content +
  1e-3 adversarial (optionally + a pixel term, ``pixel_weight``: not in the paper, ESRGAN's remedy
  for the artefacts of feature losses; and a sub-pixel grid term, ``grid_weight``, see
  :func:`srgan.training.losses.grid_loss`), the discriminator binary cross-entropy; both are updated every
  step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from srgan import SCALE
from srgan.training.checkpoint import latest_state
from srgan.training.data import BATCH_SIZE, HR_PATCH

VGG_SCALE = 1 / 12.75  # paper: VGG losses rescaled by 1/12.75 to be comparable with the MSE
ADV_WEIGHT = 1e-3  # paper: perceptual loss = content + 1e-3 * adversarial (summed in the train steps)
PHASES = ("pretrain", "gan")
MIN_HR_PATCH = 16  # the discriminator halves the crop four times
# The settings whose default depends on the phase (the only place they are set; the CLI takes them
# from here through TrainConfig.for_phase): SRResNet pretraining runs longer with a higher, decaying
# rate; the GAN phase starts from it with the paper's 1e-4, cut tenfold halfway.
PHASE_DEFAULTS = {
    "pretrain": {"steps": 10_000, "learning_rate": 2e-4, "schedule": "cosine"},
    "gan": {"steps": 2_000, "learning_rate": 1e-4, "schedule": "step"},
}


@dataclass
class TrainConfig:
    """Everything that defines a run; saved in the checkpoint (all but ``out``, the folder the run is
    in) so ``--resume`` needs only the folder. ``steps``, ``learning_rate`` and ``schedule`` left None
    take the phase's default (:data:`PHASE_DEFAULTS`, :meth:`for_phase`)."""

    phase: str = "pretrain"
    data: list[str] = field(default_factory=list)
    out: str = "runs/srresnet"
    steps: int | None = None  # None: the phase's (PHASE_DEFAULTS)
    batch_size: int = BATCH_SIZE
    hr_patch: int = HR_PATCH
    learning_rate: float | None = None  # None: the phase's
    # cosine (to 1% of the start) | constant | step (x0.1 at half: the paper's GAN phase); None: the phase's
    schedule: str | None = None
    pixel_loss: str = "mse"  # mse | l1: the pretrain loss, and the gan phase's pixel term
    num_blocks: int = 16
    channels: int = 64
    bicubic_skip: bool = True
    init_weights: str | None = None  # gan: the SRResNet generator to start from
    val_dir: str | None = None
    val_every: int = 500
    ckpt_every: int = 250
    keep_every: int = 0  # keep the generator every this many steps in snapshots/ (0: never)
    log_every: int = 50
    seed: int = 0
    strategy: str = "default"  # default | mirrored (TensorFlow backend)
    xla: bool = True  # TensorFlow: compile the step with XLA (default strategy only; faster, see README "Training")
    data_workers: int = 1  # JAX backend: threads preparing batches (each ~6 ms for 16 crops on one core here)
    vgg_weights: str | None = None
    content_weight: float = VGG_SCALE  # gan: weight of the VGG54 MSE (see the model card on the balance)
    adv_weight: float = ADV_WEIGHT  # gan: weight of the adversarial term
    pixel_weight: float = 0.0  # gan: weight of a pixel term (pixel_loss) in the generator loss; 0: the paper
    grid_weight: float = 0.0  # gan: weight of losses.grid_loss (the sub-pixel pattern of sr - hr); 0: the paper
    max_side: int | None = None  # shrink larger training photos to this side first

    @classmethod
    def for_phase(cls, phase: str, **settings) -> TrainConfig:
        """The run ``srgan train --phase <phase>`` makes without other flags: every setting at its
        default, the phase's where it has one (:data:`PHASE_DEFAULTS`); ``settings`` override."""
        return cls(phase=phase, **settings)

    def __post_init__(self):
        if self.phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}, got {self.phase!r}")
        for name, value in PHASE_DEFAULTS[self.phase].items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        if self.pixel_weight and self.phase != "gan":
            raise ValueError("pixel_weight weighs a pixel term of the gan phase (pretrain is the pixel loss alone)")
        if self.grid_weight and self.phase != "gan":
            raise ValueError("grid_weight weighs a term of the gan phase")
        for name in ("steps", "batch_size", "num_blocks", "channels", "val_every", "ckpt_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.data_workers < 1:
            raise ValueError(f"data_workers must be >= 1, got {self.data_workers}")
        if self.keep_every < 0:
            raise ValueError(f"keep_every must be >= 0, got {self.keep_every}")
        if self.hr_patch % SCALE or self.hr_patch < MIN_HR_PATCH:
            raise ValueError(f"hr_patch must be a multiple of {SCALE}, at least {MIN_HR_PATCH}, got {self.hr_patch}")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        for name in ("content_weight", "adv_weight", "pixel_weight", "grid_weight"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


def lr_schedule(cfg: TrainConfig):
    """The Keras learning rate of ``cfg.schedule``: a schedule object, or the constant rate."""
    import keras

    if cfg.schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(cfg.learning_rate, cfg.steps, alpha=0.01)
    if cfg.schedule == "step":
        return keras.optimizers.schedules.PiecewiseConstantDecay(
            [cfg.steps // 2], [cfg.learning_rate, cfg.learning_rate * 0.1]
        )
    if cfg.schedule == "constant":
        return cfg.learning_rate
    raise ValueError(f"unknown schedule {cfg.schedule!r}")


def read_checkpoint_config(out: str | Path) -> TrainConfig:
    """The :class:`TrainConfig` of the run's newest good checkpoint (for ``--resume``), with ``out``
    the folder given: a moved or copied run trains where it is. :class:`CheckpointError` if none."""
    config = {**latest_state(out)["config"], "out": str(out)}
    return TrainConfig(**config)
