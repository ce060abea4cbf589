"""Two-phase training as in the paper, resumable from checkpoints.

- ``pretrain``: SRResNet with a pixel loss (MSE on [-1, 1] as the paper, or L1).
- ``gan``: SRGAN initialised from SRResNet weights; the generator minimises VGG54 content +
  1e-3 adversarial (optionally + a pixel term, ``pixel_weight``: not in the paper, ESRGAN's remedy
  for the artefacts of feature losses; and a sub-pixel grid term, ``grid_weight``, see
  :func:`srgan.losses.grid_loss`), the discriminator binary cross-entropy; both are updated every
  step.

A run folder holds ``checkpoints/`` (generator, discriminator, optimizer states, step, config:
written every ``ckpt_every`` steps and when SIGINT/SIGTERM stops the run; see
:mod:`srgan.checkpoint`), ``log.csv`` (loss terms), ``val.csv`` (validation PSNR/SSIM),
``best.weights.h5`` (the generator with the best validation PSNR), ``generator.weights.h5`` (the
generator of the latest checkpoint) and, with ``keep_every``, generator snapshots
``snapshots/step<N>.weights.h5``: GAN checkpoints differ a lot from one to the next, and
validation PSNR is not what picks among them. Every file is replaced atomically; resuming brings
the logs and ``best.weights.h5`` back to the checkpoint's step, so a killed run resumes cleanly.

The step runs on the Keras backend in use: TensorFlow (``tf.function`` + XLA, optionally under
``MirroredStrategy``) or JAX (``KERAS_BACKEND=jax``: the same models and losses through Keras'
stateless calls, one ``jax.jit`` step), e.g. on a GPU machine that has JAX but not TensorFlow.
"""

from __future__ import annotations

import contextlib
import functools
import math
import queue
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.checkpoint import (
    CheckpointError,
    CheckpointMismatch,
    CheckpointStore,
    append_csv_row,
    atomic_copy,
    atomic_write,
    latest_state,
    rewind_run,
)
from srgan.data import BATCH_SIZE, HR_PATCH, PatchSampler, load_hr_images, make_dataset
from srgan.losses import ADV_WEIGHT, VGG_SCALE
from srgan.machine import training_hardware

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


def _lr_schedule(cfg: TrainConfig):
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


def load_validation(folder: str | Path, scale: int = SCALE) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, LR float32 (h, w, 3) in [0, 1], HR uint8 (4h, 4w, 3)) per image, LR made by the protocol."""
    from srgan.image_io import list_images, load_image
    from srgan.images import downscale, modcrop

    out = []
    for path in list_images(folder):
        hr = modcrop(load_image(path).rgb8(), scale)
        out.append((path.stem, downscale(hr, scale).astype(np.float32) / 255.0, hr))
    return out


def prefetched_batches(
    sampler: PatchSampler, batch_size: int, workers: int = 1, depth: int = 8, stop: threading.Event | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(lr, hr) batches of ``sampler.sample(batch_size)`` prepared by ``workers`` background threads.

    Worker 0 uses ``sampler`` itself; the others use copies of it with their own random streams,
    seeded from ``sampler``'s (PIL's resize releases the GIL, so threads help).
    The threads end when ``stop`` is set.
    """
    stop = stop or threading.Event()
    q: queue.Queue = queue.Queue(depth)
    samplers = [sampler]
    for w in range(1, workers):
        clone = PatchSampler.__new__(PatchSampler)
        clone.__dict__.update(sampler.__dict__)
        clone.rng = np.random.default_rng([int(sampler.rng.integers(2**31)), w])
        samplers.append(clone)

    def work(s: PatchSampler) -> None:
        while not stop.is_set():
            batch = s.sample(batch_size)
            while not stop.is_set():
                try:
                    q.put(batch, timeout=0.1)
                    break
                except queue.Full:
                    continue

    for s in samplers:
        threading.Thread(target=work, args=(s,), daemon=True).start()
    while True:
        yield q.get()


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Trainer:
    """Builds the models, optimizers and data for ``cfg`` and runs (or resumes) training.

    ``log`` receives the progress lines (default: stderr; nothing when ``quiet``)."""

    def __init__(
        self,
        cfg: TrainConfig,
        images: list[np.ndarray] | None = None,
        quiet: bool = False,
        log: Callable[[str], None] | None = None,
    ):
        import keras

        from srgan.models import build_discriminator, build_generator

        self.cfg, self.quiet = cfg, quiet
        self._log = log or _stderr
        self.out = Path(cfg.out)
        self.store = CheckpointStore(self.out)
        self.backend = keras.backend.backend()
        if self.backend == "tensorflow":
            import tensorflow as tf

            self.strategy = (
                tf.distribute.MirroredStrategy() if cfg.strategy == "mirrored" else tf.distribute.get_strategy()
            )
            scope = self.strategy.scope()
        elif self.backend == "jax":
            if cfg.strategy != "default":
                raise ValueError(f"--strategy {cfg.strategy} needs the TensorFlow backend (KERAS_BACKEND=tensorflow)")
            self.strategy, scope = None, contextlib.nullcontext()
        else:
            raise ValueError(f"training runs on the tensorflow or jax Keras backend, not {self.backend!r}")
        if images is None:
            images = load_hr_images([Path(d) for d in cfg.data], min_size=cfg.hr_patch, max_side=cfg.max_side)
        self.images = len(images)
        self.sampler = PatchSampler(images, cfg.hr_patch, SCALE, cfg.seed)
        with scope:
            self.generator = build_generator(cfg.num_blocks, cfg.channels, SCALE, cfg.bicubic_skip)
            self.g_opt = keras.optimizers.Adam(_lr_schedule(cfg), beta_1=0.9)
            self.g_opt.build(self.generator.trainable_variables)
            if cfg.phase == "gan":
                from srgan.vgg import build_feature_extractor

                self.discriminator = build_discriminator(cfg.hr_patch)
                self.d_opt = keras.optimizers.Adam(_lr_schedule(cfg), beta_1=0.9)
                self.d_opt.build(self.discriminator.trainable_variables)
                self.features = build_feature_extractor(weights_path=cfg.vgg_weights)
        self.step = 0
        self.train_seconds = 0.0
        self.best_psnr = -np.inf
        self.best_step: int | None = None  # the step of best.weights.h5
        self._saved_step: int | None = None  # the step of the checkpoint written or restored last
        self.restore_notes: list[str] = []  # why restore() passed over newer checkpoints
        self._restored: Path | None = None  # the checkpoint folder restore() loaded, and its state
        self._restored_state: dict = {}
        self.val = load_validation(cfg.val_dir) if cfg.val_dir else []
        self._stop_signal: int | None = None
        self.hardware = training_hardware()
        self._jax_state = None  # JAX: the variables' values while steps run (see train_step, _sync_variables)
        self._frozen: list | tuple = ()  # JAX, gan: the VGG19 weights, passed to every step
        if self.backend == "jax":
            self._train_step = self._make_jax_step()
            self._predict = lambda x: self.generator(x, training=False)
        else:
            import tensorflow as tf

            self._train_step = self._make_step()
            self._predict = tf.function(lambda x: self.generator(x, training=False), reduce_retracing=True)

    # --- steps ------------------------------------------------------------------------------

    def _pretrain_terms(self, hr, sr):
        """Pretrain loss and its log terms (backend-agnostic ``keras.ops``)."""
        from srgan import losses

        pixel = losses.pixel_mse if self.cfg.pixel_loss == "mse" else losses.pixel_l1
        loss = pixel(hr, sr)
        return loss, {"pixel": loss, "mse": losses.pixel_mse(hr, sr)}

    def _gan_terms(self, features, hr, sr, real, fake, fake_for_g=None):
        """(generator loss, discriminator loss, log terms) from the SR batch and the discriminator's
        logits on HR (``real``) and SR (``fake``; ``fake_for_g``: the same logits along the path
        whose gradient reaches the generator, where the backend needs two paths).
        ``features``: a callable giving VGG54 maps (backend-agnostic ``keras.ops``)."""
        from keras import ops

        from srgan import losses

        cfg = self.cfg
        pixel = losses.pixel_mse if cfg.pixel_loss == "mse" else losses.pixel_l1
        content = losses.content_loss(features, hr, sr, cfg.content_weight)
        adversarial = losses.generator_adversarial_loss(fake if fake_for_g is None else fake_for_g)
        g_loss = content + cfg.adv_weight * adversarial
        extra = {}
        if cfg.pixel_weight:
            extra["weighted_pixel"] = cfg.pixel_weight * pixel(hr, sr)
            g_loss = g_loss + extra["weighted_pixel"]
        if cfg.grid_weight:
            extra["weighted_grid"] = cfg.grid_weight * losses.grid_loss(hr, sr)
            g_loss = g_loss + extra["weighted_grid"]
        d_loss = losses.discriminator_loss(real, fake)
        logs = {
            "g_loss": g_loss,
            "content": content,
            "adversarial": adversarial,
            "weighted_adversarial": cfg.adv_weight * adversarial,
            **extra,
            "d_loss": d_loss,
            "mse": losses.pixel_mse(hr, sr),
            "d_real": ops.mean(ops.sigmoid(real)),
            "d_fake": ops.mean(ops.sigmoid(fake)),
        }
        return g_loss, d_loss, logs

    def _make_step(self):
        """The TensorFlow step: ``step(lr, hr) -> logs``, updating the Keras variables."""
        import tensorflow as tf

        cfg, g, strategy = self.cfg, self.generator, self.strategy
        replicas = strategy.num_replicas_in_sync

        def pretrain(lr, hr):
            with tf.GradientTape() as tape:
                sr = g(lr, training=True)
                loss, logs = self._pretrain_terms(hr, sr)
                scaled = loss / replicas  # replica gradients are summed
            grads = tape.gradient(scaled, g.trainable_variables)
            self.g_opt.apply_gradients(zip(grads, g.trainable_variables, strict=False))
            return logs

        def gan(lr, hr):
            d = self.discriminator
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                sr = g(lr, training=True)
                real, fake = d(hr, training=True), d(sr, training=True)
                g_loss, d_loss, logs = self._gan_terms(self.features, hr, sr, real, fake)
                g_scaled, d_scaled = g_loss / replicas, d_loss / replicas  # replica gradients are summed
            g_grads = g_tape.gradient(g_scaled, g.trainable_variables)
            d_grads = d_tape.gradient(d_scaled, d.trainable_variables)
            self.g_opt.apply_gradients(zip(g_grads, g.trainable_variables, strict=False))
            self.d_opt.apply_gradients(zip(d_grads, d.trainable_variables, strict=False))
            return logs

        fn = pretrain if cfg.phase == "pretrain" else gan
        # XLA fuses the batch-norm, PReLU and loss element-wise work between the convolutions
        # (a faster step on CPU; the measurement is in README "Training").
        # Under MirroredStrategy it stays off: that path (several GPUs) was not measured with XLA here.
        xla = cfg.xla and cfg.strategy == "default"

        @tf.function(jit_compile=xla)
        def step(lr, hr):
            per_replica = strategy.run(fn, args=(lr, hr))
            return {k: strategy.reduce("MEAN", v, axis=None) for k, v in per_replica.items()}

        return step

    def _trained(self) -> list:
        """(model, optimizer) pairs that the phase trains, in a fixed order."""
        pairs = [(self.generator, self.g_opt)]
        if self.cfg.phase == "gan":
            pairs.append((self.discriminator, self.d_opt))
        return pairs

    def _make_jax_step(self):
        """The JAX step: ``step(state, frozen, lr, hr) -> (state, logs)``, one ``jax.jit`` program.

        ``state``: per trained model, (trainable, non-trainable, optimizer) variable values (see
        :meth:`_jax_state_from_variables`); ``frozen``: the VGG19 weights (gan) or ``()``.
        Keras' stateless calls keep the Keras variables untouched until :meth:`_sync_variables`.
        """
        import jax

        g = self.generator

        def frozen_copy(tree):
            return jax.tree_util.tree_map(jax.lax.stop_gradient, tree)

        if self.cfg.phase == "pretrain":

            def loss_fn(g_tr, g_ntr, lr, hr):
                sr, g_ntr = g.stateless_call(g_tr, g_ntr, lr, training=True)
                loss, logs = self._pretrain_terms(hr, sr)
                return loss, (g_ntr, logs)

            grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

            def step(state, frozen, lr, hr):
                ((g_tr, g_ntr, g_opt),) = state
                (_, (g_ntr, logs)), grads = grad_fn(g_tr, g_ntr, lr, hr)
                g_tr, g_opt = self.g_opt.stateless_apply(g_opt, grads, g_tr)
                return ((g_tr, g_ntr, g_opt),), logs

        else:
            d, feats = self.discriminator, self.features

            def loss_fn(trainable, g_ntr, d_ntr, vgg, lr, hr):
                g_tr, d_tr = trainable
                sr, g_ntr = g.stateless_call(g_tr, g_ntr, lr, training=True)
                real, d_ntr = d.stateless_call(d_tr, d_ntr, hr, training=True)
                fake, d_ntr = d.stateless_call(d_tr, d_ntr, jax.lax.stop_gradient(sr), training=True)
                # the same logits again through a frozen D (BN uses batch statistics in training
                # mode, so the values are equal): their gradient reaches G only, as d_loss's reaches D only
                fake_for_g, _ = d.stateless_call(frozen_copy(d_tr), d_ntr, sr, training=True)
                features = lambda x: feats.stateless_call([], vgg, x)[0]  # noqa: E731
                g_loss, d_loss, logs = self._gan_terms(features, hr, sr, real, fake, fake_for_g)
                return g_loss + d_loss, (g_ntr, d_ntr, logs)

            grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

            def step(state, frozen, lr, hr):
                (g_tr, g_ntr, g_opt), (d_tr, d_ntr, d_opt) = state
                (_, (g_ntr, d_ntr, logs)), (g_grads, d_grads) = grad_fn((g_tr, d_tr), g_ntr, d_ntr, frozen, lr, hr)
                g_tr, g_opt = self.g_opt.stateless_apply(g_opt, g_grads, g_tr)
                d_tr, d_opt = self.d_opt.stateless_apply(d_opt, d_grads, d_tr)
                return ((g_tr, g_ntr, g_opt), (d_tr, d_ntr, d_opt)), logs

        return jax.jit(step, donate_argnums=0)

    def train_step(self, lr, hr) -> dict:
        """One training step on a batch (LR float32 (N, p/4, p/4, 3) in [0, 1], HR (N, p, p, 3) in
        [-1, 1]); returns the loss terms as backend scalars. On JAX the step's state lives outside
        the Keras variables until :meth:`_sync_variables` (saving and validating call it)."""
        if self.backend != "jax":
            return self._train_step(lr, hr)
        if self._jax_state is None:
            self._jax_state = self._jax_state_from_variables()
            self._frozen = [v.value for v in self.features.non_trainable_variables] if self.cfg.phase == "gan" else ()
        self._jax_state, logs = self._train_step(self._jax_state, self._frozen, lr, hr)
        return logs

    def _jax_state_from_variables(self) -> tuple:
        def values(variables):
            return [v.value for v in variables]

        return tuple(
            (values(m.trainable_variables), values(m.non_trainable_variables), values(opt.variables))
            for m, opt in self._trained()
        )

    def _sync_variables(self) -> None:
        """JAX backend: write the step's state back into the Keras variables (before saving or validating)."""
        if self.backend != "jax" or self._jax_state is None:
            return
        for (model, opt), (tr, ntr, opt_values) in zip(self._trained(), self._jax_state, strict=True):
            for variables, arrays in (
                (model.trainable_variables, tr),
                (model.non_trainable_variables, ntr),
                (opt.variables, opt_values),
            ):
                for var, value in zip(variables, arrays, strict=True):
                    var.assign(value)

    # --- checkpoints ------------------------------------------------------------------------

    def _optimizers(self):
        opts = {"g_opt": self.g_opt}
        if self.cfg.phase == "gan":
            opts["d_opt"] = self.d_opt
        return opts

    def _state(self) -> dict:
        config = asdict(self.cfg)
        del config["out"]  # the run is the folder it is in: a moved or copied run trains where it is
        best = self.best_psnr if np.isfinite(self.best_psnr) else None
        return {
            "step": self.step,
            "train_seconds": self.train_seconds,
            "best_psnr": best,
            "best_step": self.best_step,
            "images": self.images,
            "hardware": self.hardware,
            "config": config,
        }

    def save_checkpoint(self) -> None:
        """Checkpoint this step (once) in ``checkpoints/`` with the best generator so far, and write
        the generator to ``generator.weights.h5``."""
        self._sync_variables()
        if self.step != self._saved_step:
            files = {"generator.weights.h5": self.generator.save_weights}
            if self.cfg.phase == "gan":
                files["discriminator.weights.h5"] = self.discriminator.save_weights
            for name, opt in self._optimizers().items():
                files[f"{name}.npz"] = functools.partial(_save_optimizer, opt)
            best = self.out / "best.weights.h5"
            if self.best_step is not None and best.is_file():
                files["best.weights.h5"] = functools.partial(shutil.copyfile, best)
            self.store.save(self.step, files, self._state())
            self._saved_step = self.step
        atomic_copy(self.store.last / "generator.weights.h5", self.out / "generator.weights.h5")  # this step's

    def restore(self) -> bool:
        """Restore the newest good checkpoint, passing over damaged ones (why: ``restore_notes``).
        False if the run has no checkpoint; :class:`CheckpointError` if none loads."""
        if not self.store.candidates():
            return False
        self._restored, self._restored_state, self.restore_notes = self.store.load(self._load_checkpoint)
        state = self._restored_state
        self._jax_state = None
        self.step = self._saved_step = int(state["step"])
        self.train_seconds = float(state.get("train_seconds", 0.0))
        self.best_psnr = state.get("best_psnr") or -np.inf
        self.best_step = state.get("best_step")
        return True

    def _load_checkpoint(self, folder: Path, state: dict) -> None:
        saved = state.get("config", {})
        shape_keys = ["phase", "num_blocks", "channels", "bicubic_skip"] + ["hr_patch"] * (self.cfg.phase == "gan")
        for key in shape_keys:  # another model's checkpoint is no damage: no fall-back
            if key in saved and saved[key] != getattr(self.cfg, key):
                raise CheckpointMismatch(f"{folder} has {key} {saved[key]!r}, the config {getattr(self.cfg, key)!r}")
        self.generator.load_weights(folder / "generator.weights.h5")
        if self.cfg.phase == "gan":
            self.discriminator.load_weights(folder / "discriminator.weights.h5")
        for name, opt in self._optimizers().items():
            with np.load(folder / f"{name}.npz") as saved_opt:
                arrays = [saved_opt[f"arr_{i}"] for i in range(len(saved_opt.files))]
            if len(arrays) != len(opt.variables):
                raise ValueError(f"{name}: checkpoint has {len(arrays)} variables, optimizer {len(opt.variables)}")
            for var, value in zip(opt.variables, arrays, strict=True):
                var.assign(value)

    def resume(self) -> None:
        """Continue the run from its newest good checkpoint (one line says which). The run's files
        go back to that step: rows of later steps leave log.csv and val.csv, and best.weights.h5
        becomes the checkpoint's best generator. :class:`CheckpointError` if nothing can be resumed."""
        if not self.restore():
            raise CheckpointError(f"no checkpoint in {self.out}; run without --resume to start")
        note = f" ({'; '.join(self.restore_notes)})" if self.restore_notes else ""
        self._print(f"[{self.cfg.phase}] resumed from step {self.step}{note}")
        rewind_run(self.out, self.step, self._restored, self._restored_state)

    def start(self) -> None:
        """Start afresh, from ``cfg.init_weights`` if given; rows left by an attempt killed before its
        first checkpoint leave the logs."""
        if self.cfg.init_weights:
            self.init_from(self.cfg.init_weights)
        elif self.cfg.phase == "gan":
            raise ValueError("the gan phase starts from SRResNet weights: give init_weights (--init)")
        rewind_run(self.out, 0)

    # --- validation and logging -------------------------------------------------------------

    def validate(self) -> dict[str, float]:
        """Mean Y-PSNR/SSIM (the protocol of :mod:`srgan.metrics`) on the validation folder."""
        from srgan.images import to_uint8
        from srgan.metrics import psnr, ssim

        self._sync_variables()
        p, s = [], []
        for _, lr, hr in self.val:
            sr = to_uint8((np.asarray(self._predict(lr[None]))[0] + 1.0) / 2.0)
            p.append(psnr(sr, hr))
            s.append(ssim(sr, hr))
        return {"psnr": float(np.mean(p)), "ssim": float(np.mean(s))}

    def _append_csv(self, name: str, row: dict) -> None:
        append_csv_row(self.out / name, row)

    def _print(self, msg: str) -> None:
        if not self.quiet:
            self._log(msg)

    def _on_signal(self, signum, _frame):
        self._stop_signal = signum

    # --- the loop ---------------------------------------------------------------------------

    def init_from(self, weights: str | Path) -> None:
        """Start from a generator weights file (checked first: one line names the file and its problem)."""
        from srgan.weights_file import check_generator_weights

        arch = {"num_blocks": self.cfg.num_blocks, "channels": self.cfg.channels, "bicubic_skip": self.cfg.bicubic_skip}
        check_generator_weights(weights, arch)
        self.generator.load_weights(str(weights))
        self._jax_state = None

    def fit(self) -> dict:
        """Train until ``cfg.steps``; returns the last losses and validation metrics."""
        cfg = self.cfg
        self.out.mkdir(parents=True, exist_ok=True)
        self.sampler.reseed(cfg.seed, self.step)
        self._stop_signal = None
        stop_data = threading.Event()
        if self.backend == "jax":
            data = prefetched_batches(self.sampler, cfg.batch_size, cfg.data_workers, stop=stop_data)
        else:
            data = iter(self.strategy.experimental_distribute_dataset(make_dataset(self.sampler, cfg.batch_size)))
        old_handlers = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        last: dict = {}
        val: dict = {}
        t_start, step_start = time.time(), self.step
        t_seg = time.time()
        try:
            while self.step < cfg.steps and self._stop_signal is None:
                lr, hr = next(data)
                last = self.train_step(lr, hr)
                self.step += 1
                if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                    last = {k: float(v) for k, v in last.items()}  # waits for the step (JAX runs ahead)
                    now = time.time()
                    self.train_seconds += now - t_seg
                    t_seg = now
                    self._append_csv(
                        "log.csv", {"step": self.step, "train_seconds": round(self.train_seconds, 1), **last}
                    )
                    rate = (self.step - step_start) / max(now - t_start, 1e-9)
                    eta = (cfg.steps - self.step) / max(rate, 1e-9)
                    terms = " ".join(f"{k} {v:.4g}" for k, v in last.items())
                    self._print(
                        f"[{cfg.phase}] step {self.step}/{cfg.steps} {100 * self.step / cfg.steps:3.0f}% | {terms} | "
                        f"{rate:.2f} step/s | ETA {time.strftime('%H:%M:%S', time.gmtime(eta))}"
                    )
                if self.val and (self.step % cfg.val_every == 0 or self.step == cfg.steps):
                    self.train_seconds += time.time() - t_seg
                    val = self.validate()
                    self._append_csv(
                        "val.csv", {"step": self.step, "train_seconds": round(self.train_seconds, 1), **val}
                    )
                    self._print(
                        f"[{cfg.phase}] step {self.step} validation: PSNR {val['psnr']:.2f} dB, SSIM {val['ssim']:.4f}"
                    )
                    if val["psnr"] > self.best_psnr:
                        atomic_write(self.out / "best.weights.h5", self.generator.save_weights)
                        self.best_psnr, self.best_step = val["psnr"], self.step
                    t_seg = time.time()  # validation time is not training time
                if cfg.keep_every and self.step % cfg.keep_every == 0:  # before the checkpoint, which vouches for it
                    self._sync_variables()
                    (self.out / "snapshots").mkdir(exist_ok=True)
                    atomic_write(self.out / "snapshots" / f"step{self.step}.weights.h5", self.generator.save_weights)
                if self.step % cfg.ckpt_every == 0:
                    self.save_checkpoint()
        finally:
            stop_data.set()
            for s, h in old_handlers.items():
                signal.signal(s, h)
        last = {k: float(v) for k, v in last.items()}
        self.train_seconds += time.time() - t_seg
        self.save_checkpoint()
        result = {"step": self.step, "losses": last, "validation": val, "train_seconds": self.train_seconds}
        if self._stop_signal is not None and self.step < cfg.steps:
            self._print(f"[{cfg.phase}] stopped by signal {self._stop_signal} at step {self.step}; checkpoint saved")
            result["stopped_by"] = self._stop_signal
        return result


def _save_optimizer(opt, path: Path) -> None:
    np.savez(path, *[np.asarray(v) for v in opt.variables])


def train(
    cfg: TrainConfig,
    resume: bool = False,
    images: list[np.ndarray] | None = None,
    quiet: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Run (or resume) a training phase; see :class:`TrainConfig`. Returns the last step, losses and
    validation; ``stopped_by``: the signal that stopped the run before ``cfg.steps``.

    A fresh start refuses a folder that holds a run (two runs would mix); ``resume`` refuses a
    folder without a usable checkpoint (:class:`srgan.checkpoint.CheckpointError`)."""
    if not resume:  # checked before the models are built: fails in a moment
        if cfg.phase == "gan" and not cfg.init_weights:
            raise ValueError("the gan phase starts from SRResNet weights: give init_weights (--init)")
        held = CheckpointStore(cfg.out).candidates()
        if held:
            raise ValueError(
                f"{cfg.out} already holds a training run ({held[0].name}): continue it with --resume, "
                "or choose another --out"
            )
    trainer = Trainer(cfg, images=images, quiet=quiet, log=log)
    if resume:
        trainer.resume()
    else:
        trainer.start()
    return trainer.fit()


def read_checkpoint_config(out: str | Path) -> TrainConfig:
    """The :class:`TrainConfig` of the run's newest good checkpoint (for ``--resume``), with ``out``
    the folder given: a moved or copied run trains where it is. :class:`CheckpointError` if none."""
    config = {**latest_state(out)["config"], "out": str(out)}
    return TrainConfig(**config)
