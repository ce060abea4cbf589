"""The training loop: :class:`Trainer` (models, optimizers and data for a config; the steps, the
validation, ``log.csv``/``val.csv``, snapshots, checkpoints, SIGINT/SIGTERM) and :func:`train`.

The step runs on the Keras backend in use: TensorFlow (``tf.function`` + XLA, optionally under
``MirroredStrategy``) or JAX (``KERAS_BACKEND=jax``: the same models and losses through Keras'
stateless calls, one ``jax.jit`` step), e.g. on a GPU machine that has JAX but not TensorFlow;
see :mod:`srgan.training.steps`. Starting, saving and resuming: :mod:`srgan.training.run_folder`.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.machine import training_hardware
from srgan.training import steps
from srgan.training.batches import load_validation, prefetched_batches
from srgan.training.checkpoint import CheckpointStore, append_csv_row, atomic_write
from srgan.training.config import TrainConfig, lr_schedule
from srgan.training.data import PatchSampler, load_hr_images, make_dataset
from srgan.training.run_folder import RunCheckpoints


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Trainer(RunCheckpoints):
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

        from srgan.model.models import build_discriminator, build_generator

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
            self.g_opt = keras.optimizers.Adam(lr_schedule(cfg), beta_1=0.9)
            self.g_opt.build(self.generator.trainable_variables)
            if cfg.phase == "gan":
                from srgan.training.vgg import build_feature_extractor

                self.discriminator = build_discriminator(cfg.hr_patch)
                self.d_opt = keras.optimizers.Adam(lr_schedule(cfg), beta_1=0.9)
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
        gan = {}  # the gan phase's models for the step
        if cfg.phase == "gan":
            gan = {"discriminator": self.discriminator, "d_opt": self.d_opt, "features": self.features}
        if self.backend == "jax":
            self._train_step = steps.jax_step(cfg, self.generator, self.g_opt, **gan)
            self._predict = lambda x: self.generator(x, training=False)
        else:
            import tensorflow as tf

            self._train_step = steps.tf_step(cfg, self.strategy, self.generator, self.g_opt, **gan)
            self._predict = tf.function(lambda x: self.generator(x, training=False), reduce_retracing=True)

    # --- steps ------------------------------------------------------------------------------

    def _trained(self) -> list:
        """(model, optimizer) pairs that the phase trains, in a fixed order."""
        pairs = [(self.generator, self.g_opt)]
        if self.cfg.phase == "gan":
            pairs.append((self.discriminator, self.d_opt))
        return pairs

    def train_step(self, lr, hr) -> dict:
        """One training step on a batch (LR float32 (N, p/4, p/4, 3) in [0, 1], HR (N, p, p, 3) in
        [-1, 1]); returns the loss terms as backend scalars. On JAX the step's state lives outside
        the Keras variables until :meth:`_sync_variables` (saving and validating call it)."""
        if self.backend != "jax":
            return self._train_step(lr, hr)
        if self._jax_state is None:
            self._jax_state = steps.variable_values(self._trained())
            self._frozen = [v.value for v in self.features.non_trainable_variables] if self.cfg.phase == "gan" else ()
        self._jax_state, logs = self._train_step(self._jax_state, self._frozen, lr, hr)
        return logs

    def _sync_variables(self) -> None:
        """JAX backend: write the step's state back into the Keras variables (before saving or validating)."""
        if self.backend != "jax" or self._jax_state is None:
            return
        steps.assign_values(self._trained(), self._jax_state)

    # --- validation and logging -------------------------------------------------------------

    def validate(self) -> dict[str, float]:
        """Mean Y-PSNR/SSIM (the protocol of :mod:`srgan.quality.metrics`) on the validation folder."""
        from srgan.images import sr_to_unit, to_uint8
        from srgan.quality.metrics import psnr, ssim

        self._sync_variables()
        p, s = [], []
        for _, lr, hr in self.val:
            sr = to_uint8(sr_to_unit(np.asarray(self._predict(lr[None]))[0]))
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


def train(
    cfg: TrainConfig,
    resume: bool = False,
    images: list[np.ndarray] | None = None,
    quiet: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Run (or resume) a training phase; see :class:`TrainConfig`. Returns the last step, losses and
    validation; ``stopped_by``: the signal that stopped the run before ``cfg.steps``. A program that
    calls it should first call :func:`srgan.cli.stop_signals.route_signals`, as ``srgan train`` does.

    A fresh start refuses a folder that holds a run (two runs would mix); ``resume`` refuses a
    folder without a usable checkpoint (:class:`srgan.training.checkpoint.CheckpointError`)."""
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
