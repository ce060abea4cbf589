"""Two-phase training as in the paper, resumable from checkpoints.

- ``pretrain``: SRResNet with a pixel loss (MSE on [-1, 1] as the paper, or L1).
- ``gan``: SRGAN initialised from SRResNet weights; the generator minimises VGG54 content +
  1e-3 adversarial (optionally + a pixel term, ``pixel_weight``: not in the paper, ESRGAN's remedy
  for the artefacts of feature losses; and a sub-pixel grid term, ``grid_weight``, see
  :func:`srgan.losses.grid_loss`), the discriminator binary cross-entropy; both are updated every
  step.

A run folder holds ``checkpoint/`` (generator, discriminator, optimizer states, step: written
every ``ckpt_every`` steps and on SIGINT/SIGTERM, atomically), ``log.csv`` (loss terms),
``val.csv`` (validation PSNR/SSIM), ``best.weights.h5`` (the generator with the best validation
PSNR), ``generator.weights.h5`` (the latest generator) and, with ``keep_every``, generator
snapshots ``snapshots/step<N>.weights.h5``: GAN checkpoints differ a lot from one to the next, and
validation PSNR is not what picks among them.
"""

from __future__ import annotations

import csv
import json
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.data import BATCH_SIZE, HR_PATCH, PatchSampler, load_hr_images, make_dataset
from srgan.losses import ADV_WEIGHT, VGG_SCALE

PHASES = ("pretrain", "gan")


@dataclass
class TrainConfig:
    """Everything that defines a run; saved in the checkpoint so ``--resume`` needs only ``out``."""

    phase: str = "pretrain"
    data: list[str] = field(default_factory=list)
    out: str = "runs/srresnet"
    steps: int = 10_000
    batch_size: int = BATCH_SIZE
    hr_patch: int = HR_PATCH
    learning_rate: float = 1e-4
    schedule: str = "cosine"  # cosine (to 1% of the start) | constant | step (x0.1 at half: the paper's GAN phase)
    pixel_loss: str = "mse"  # mse | l1: the pretrain loss, and the gan phase's pixel term
    num_blocks: int = 16
    channels: int = 64
    bicubic_skip: bool = True
    init_weights: str | None = None  # gan: the SRResNet generator to start from
    val_dir: str | None = None
    val_every: int = 1000
    ckpt_every: int = 250
    keep_every: int = 0  # keep the generator every this many steps in snapshots/ (0: never)
    log_every: int = 50
    seed: int = 0
    strategy: str = "default"  # default | mirrored
    xla: bool = True  # compile the step with XLA (default strategy only): 1.77 s vs 2.59 s per step here
    vgg_weights: str | None = None
    content_weight: float = VGG_SCALE  # gan: weight of the VGG54 MSE (see the model card on the balance)
    adv_weight: float = ADV_WEIGHT  # gan: weight of the adversarial term
    pixel_weight: float = 0.0  # gan: weight of a pixel term (pixel_loss) in the generator loss; 0: the paper
    grid_weight: float = 0.0  # gan: weight of losses.grid_loss (the sub-pixel pattern of sr - hr); 0: the paper
    max_side: int | None = None  # shrink larger training photos to this side first

    def __post_init__(self):
        if self.phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}, got {self.phase!r}")
        if self.pixel_weight and self.phase != "gan":
            raise ValueError("pixel_weight weighs a pixel term of the gan phase (pretrain is the pixel loss alone)")
        if self.grid_weight and self.phase != "gan":
            raise ValueError("grid_weight weighs a term of the gan phase")


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


class Trainer:
    """Builds the models, optimizers and data for ``cfg`` and runs (or resumes) training."""

    def __init__(self, cfg: TrainConfig, images: list[np.ndarray] | None = None, quiet: bool = False):
        import keras
        import tensorflow as tf

        from srgan.models import build_discriminator, build_generator

        self.cfg, self.quiet = cfg, quiet
        self.out = Path(cfg.out)
        self.ckpt = self.out / "checkpoint"
        self.strategy = tf.distribute.MirroredStrategy() if cfg.strategy == "mirrored" else tf.distribute.get_strategy()
        if images is None:
            images = load_hr_images([Path(d) for d in cfg.data], min_size=cfg.hr_patch, max_side=cfg.max_side)
        self.sampler = PatchSampler(images, cfg.hr_patch, SCALE, cfg.seed)
        with self.strategy.scope():
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
        self.val = load_validation(cfg.val_dir) if cfg.val_dir else []
        self._stop_signal: int | None = None
        self._train_step = self._make_step()
        self._predict = tf.function(lambda x: self.generator(x, training=False), reduce_retracing=True)

    # --- steps ------------------------------------------------------------------------------

    def _make_step(self):
        import tensorflow as tf

        from srgan import losses

        cfg, g, strategy = self.cfg, self.generator, self.strategy
        replicas = strategy.num_replicas_in_sync
        pixel = losses.pixel_mse if cfg.pixel_loss == "mse" else losses.pixel_l1

        def pretrain(lr, hr):
            with tf.GradientTape() as tape:
                sr = g(lr, training=True)
                loss = pixel(hr, sr)
                scaled = loss / replicas  # replica gradients are summed
            grads = tape.gradient(scaled, g.trainable_variables)
            self.g_opt.apply_gradients(zip(grads, g.trainable_variables, strict=False))
            return {"pixel": loss, "mse": losses.pixel_mse(hr, sr)}

        def gan(lr, hr):
            d, feats = self.discriminator, self.features
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                sr = g(lr, training=True)
                real, fake = d(hr, training=True), d(sr, training=True)
                content = losses.content_loss(feats, hr, sr, cfg.content_weight)
                adversarial = losses.generator_adversarial_loss(fake)
                g_loss = content + cfg.adv_weight * adversarial
                extra = {}
                if cfg.pixel_weight:
                    extra["weighted_pixel"] = cfg.pixel_weight * pixel(hr, sr)
                    g_loss = g_loss + extra["weighted_pixel"]
                if cfg.grid_weight:
                    extra["weighted_grid"] = cfg.grid_weight * losses.grid_loss(hr, sr)
                    g_loss = g_loss + extra["weighted_grid"]
                d_loss = losses.discriminator_loss(real, fake)
                g_scaled, d_scaled = g_loss / replicas, d_loss / replicas  # replica gradients are summed
            g_grads = g_tape.gradient(g_scaled, g.trainable_variables)
            d_grads = d_tape.gradient(d_scaled, d.trainable_variables)
            self.g_opt.apply_gradients(zip(g_grads, g.trainable_variables, strict=False))
            self.d_opt.apply_gradients(zip(d_grads, d.trainable_variables, strict=False))
            return {
                "g_loss": g_loss,
                "content": content,
                "adversarial": adversarial,
                "weighted_adversarial": cfg.adv_weight * adversarial,
                **extra,
                "d_loss": d_loss,
                "mse": losses.pixel_mse(hr, sr),
                "d_real": tf.reduce_mean(tf.sigmoid(real)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake)),
            }

        fn = pretrain if cfg.phase == "pretrain" else gan
        # XLA fuses the batch-norm, PReLU and loss element-wise work between the convolutions
        # (measured, batch 16, 96-px HR on 2 cores: 1.77 s per SRResNet step vs 2.59 s without).
        # Under MirroredStrategy it stays off: that path (several GPUs) was not measured with XLA here.
        xla = cfg.xla and cfg.strategy == "default"

        @tf.function(jit_compile=xla)
        def step(lr, hr):
            per_replica = strategy.run(fn, args=(lr, hr))
            return {k: strategy.reduce("MEAN", v, axis=None) for k, v in per_replica.items()}

        return step

    # --- checkpoints ------------------------------------------------------------------------

    def _optimizers(self):
        opts = {"g_opt": self.g_opt}
        if self.cfg.phase == "gan":
            opts["d_opt"] = self.d_opt
        return opts

    def save_checkpoint(self) -> None:
        """Write generator, discriminator, optimizer states and step atomically to ``checkpoint/``."""
        tmp = self.out / "checkpoint.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.generator.save_weights(tmp / "generator.weights.h5")
        if self.cfg.phase == "gan":
            self.discriminator.save_weights(tmp / "discriminator.weights.h5")
        for name, opt in self._optimizers().items():
            np.savez(tmp / f"{name}.npz", *[np.asarray(v) for v in opt.variables])
        state = {
            "step": self.step,
            "train_seconds": self.train_seconds,
            "best_psnr": None if not np.isfinite(self.best_psnr) else self.best_psnr,
            "config": asdict(self.cfg),
        }
        (tmp / "state.json").write_text(json.dumps(state, indent=2))
        old = self.out / "checkpoint.old"
        shutil.rmtree(old, ignore_errors=True)
        if self.ckpt.exists():
            self.ckpt.rename(old)
        tmp.rename(self.ckpt)
        shutil.rmtree(old, ignore_errors=True)

    def restore(self) -> bool:
        """Restore the latest checkpoint if there is one; returns whether it did."""
        if not (self.ckpt / "state.json").is_file():
            return False
        state = json.loads((self.ckpt / "state.json").read_text())
        self.generator.load_weights(self.ckpt / "generator.weights.h5")
        if self.cfg.phase == "gan":
            self.discriminator.load_weights(self.ckpt / "discriminator.weights.h5")
        for name, opt in self._optimizers().items():
            with np.load(self.ckpt / f"{name}.npz") as saved:
                arrays = [saved[f"arr_{i}"] for i in range(len(saved.files))]
            if len(arrays) != len(opt.variables):
                raise ValueError(f"{name}: checkpoint has {len(arrays)} variables, optimizer {len(opt.variables)}")
            for var, value in zip(opt.variables, arrays, strict=True):
                var.assign(value)
        self.step = int(state["step"])
        self.train_seconds = float(state.get("train_seconds", 0.0))
        self.best_psnr = state.get("best_psnr") or -np.inf
        return True

    # --- validation and logging -------------------------------------------------------------

    def validate(self) -> dict[str, float]:
        """Mean Y-PSNR/SSIM (the protocol of :mod:`srgan.metrics`) on the validation folder."""
        from srgan.images import to_uint8
        from srgan.metrics import psnr, ssim

        p, s = [], []
        for _, lr, hr in self.val:
            sr = to_uint8((np.asarray(self._predict(lr[None]))[0] + 1.0) / 2.0)
            p.append(psnr(sr, hr))
            s.append(ssim(sr, hr))
        return {"psnr": float(np.mean(p)), "ssim": float(np.mean(s))}

    def _append_csv(self, name: str, row: dict) -> None:
        path = self.out / name
        new = not path.exists()
        with path.open("a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(row))
            if new:
                w.writeheader()
            w.writerow(row)

    def _print(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=sys.stderr, flush=True)

    def _on_signal(self, signum, _frame):
        self._stop_signal = signum

    # --- the loop ---------------------------------------------------------------------------

    def init_from(self, weights: str | Path) -> None:
        self.generator.load_weights(str(weights))

    def fit(self) -> dict:
        """Train until ``cfg.steps``; returns the last losses and validation metrics."""
        cfg = self.cfg
        self.out.mkdir(parents=True, exist_ok=True)
        self.sampler.reseed(cfg.seed, self.step)
        data = iter(self.strategy.experimental_distribute_dataset(make_dataset(self.sampler, cfg.batch_size)))
        old_handlers = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        last: dict = {}
        val: dict = {}
        t_start, step_start = time.time(), self.step
        t_seg = time.time()
        try:
            while self.step < cfg.steps and self._stop_signal is None:
                lr, hr = next(data)
                last = {k: float(v) for k, v in self._train_step(lr, hr).items()}
                self.step += 1
                now = time.time()
                self.train_seconds += now - t_seg
                t_seg = now
                if self.step % cfg.log_every == 0 or self.step == cfg.steps:
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
                    val = self.validate()
                    self._append_csv(
                        "val.csv", {"step": self.step, "train_seconds": round(self.train_seconds, 1), **val}
                    )
                    self._print(
                        f"[{cfg.phase}] step {self.step} validation: PSNR {val['psnr']:.2f} dB, SSIM {val['ssim']:.4f}"
                    )
                    if val["psnr"] > self.best_psnr:
                        self.best_psnr = val["psnr"]
                        self.generator.save_weights(self.out / "best.weights.h5")
                    t_seg = time.time()  # validation time is not training time
                if self.step % cfg.ckpt_every == 0:
                    self.save_checkpoint()
                if cfg.keep_every and self.step % cfg.keep_every == 0:
                    (self.out / "snapshots").mkdir(exist_ok=True)
                    self.generator.save_weights(self.out / "snapshots" / f"step{self.step}.weights.h5")
        finally:
            for s, h in old_handlers.items():
                signal.signal(s, h)
        self.save_checkpoint()
        self.generator.save_weights(self.out / "generator.weights.h5")
        if self._stop_signal is not None:
            self._print(f"[{cfg.phase}] stopped by signal {self._stop_signal} at step {self.step}; checkpoint saved")
        return {"step": self.step, "losses": last, "validation": val, "train_seconds": self.train_seconds}


def train(cfg: TrainConfig, resume: bool = False, images: list[np.ndarray] | None = None, quiet: bool = False) -> dict:
    """Run (or resume) a training phase; see :class:`TrainConfig`."""
    trainer = Trainer(cfg, images=images, quiet=quiet)
    if resume and trainer.restore():
        trainer._print(f"[{cfg.phase}] resumed from step {trainer.step}")
    elif cfg.init_weights:
        trainer.init_from(cfg.init_weights)
    elif cfg.phase == "gan":
        raise ValueError("the gan phase starts from SRResNet weights: give init_weights (--init)")
    return trainer.fit()


def read_checkpoint_config(out: str | Path) -> TrainConfig:
    """The :class:`TrainConfig` stored in a run's checkpoint (for ``--resume``)."""
    state = json.loads((Path(out) / "checkpoint" / "state.json").read_text())
    return TrainConfig(**state["config"])
