"""How a training run starts, saves and resumes: :class:`RunCheckpoints`, the checkpoint half of
:class:`srgan.training.loop.Trainer` (a base class of it, split off to keep each file readable).

A run folder holds ``checkpoints/`` (generator, discriminator, optimizer states, step, config:
written every ``ckpt_every`` steps and when SIGINT/SIGTERM stops the run; see
:mod:`srgan.training.checkpoint`), ``log.csv`` (loss terms), ``val.csv`` (validation PSNR/SSIM),
``best.weights.h5`` (the generator with the best validation PSNR), ``generator.weights.h5`` (the
generator of the latest checkpoint) and, with ``keep_every``, generator snapshots
``snapshots/step<N>.weights.h5``: GAN checkpoints differ a lot from one to the next, and
validation PSNR is not what picks among them. Every file is replaced atomically; resuming brings
the logs and ``best.weights.h5`` back to the checkpoint's step, so a killed run resumes cleanly.
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np

from srgan.training.checkpoint import CheckpointError, CheckpointMismatch, CheckpointStore, atomic_copy, rewind_run
from srgan.training.config import TrainConfig


class RunCheckpoints:
    """Checkpoints of a :class:`~srgan.training.loop.Trainer`: the attributes below are set by its
    ``__init__``; ``_sync_variables`` and ``_print`` are its methods."""

    cfg: TrainConfig
    out: Path
    store: CheckpointStore
    step: int
    train_seconds: float
    best_psnr: float
    best_step: int | None
    images: int
    hardware: dict
    restore_notes: list[str]

    def _optimizers(self) -> dict:
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

    def init_from(self, weights: str | Path) -> None:
        """Start from a generator weights file (checked first: one line names the file and its problem)."""
        from srgan.model.weights_file import check_generator_weights, generator_kwargs

        check_generator_weights(weights, generator_kwargs(vars(self.cfg)))
        self.generator.load_weights(str(weights))
        self._jax_state = None


def _save_optimizer(opt, path: Path) -> None:
    np.savez(path, *[np.asarray(v) for v in opt.variables])
