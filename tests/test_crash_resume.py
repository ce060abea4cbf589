"""A training run survives being killed at any moment: --resume continues from the newest complete
checkpoint, with clean logs and a best.weights.h5 that matches val.csv (tiny models, 32-px crops).

Longer than ~300 lines because each kill scenario needs its own run and its own checks; they share
the run helpers at the top."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import TINY, smooth_image

IMAGES = [smooth_image(48, 48, seed) for seed in range(4)]


class Killed(BaseException):
    """A process death at a chosen filesystem step (a BaseException: nothing in the library catches it)."""


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Training images and a validation image on disk (the CLI reads folders)."""
    root = tmp_path_factory.mktemp("data")
    (root / "train").mkdir()
    (root / "val").mkdir()
    for seed, img in enumerate(IMAGES):
        Image.fromarray(img).save(root / "train" / f"{seed}.png")
    Image.fromarray(smooth_image(64, 64, 9)).save(root / "val" / "v.png")
    return {"data": root / "train", "val": root / "val"}


def _cli_args(out: Path, folders: dict[str, Path], steps: int) -> list[str]:
    return [
        "train", "--out", str(out), "--data", str(folders["data"]), "--val-dir", str(folders["val"]),
        "--steps", str(steps), "--batch-size", "2", "--hr-patch", "32", "--num-blocks", "2", "--channels", "8",
        "--learning-rate", "3e-3", "--schedule", "constant", "--log-every", "1", "--val-every", "2",
        "--ckpt-every", "2", "--keep-every", "2", "--no-xla",
    ]  # fmt: skip


def _cfg(run: Path, val: Path, **kw):
    from srgan.training import TrainConfig

    base = dict(
        out=str(run), steps=6, batch_size=2, hr_patch=32, learning_rate=3e-3, schedule="constant",
        num_blocks=TINY["num_blocks"], channels=TINY["channels"], log_every=1, val_every=2, keep_every=2,
        ckpt_every=3, val_dir=str(val), xla=False,
    )  # fmt: skip
    return TrainConfig(**{**base, **kw})


def _steps(path: Path) -> list[int]:
    if not path.is_file():
        return []
    with path.open() as f:
        return [int(r["step"]) for r in csv.DictReader(f)]


def _weights(path: Path) -> dict[str, np.ndarray]:
    import h5py

    arrays = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: arrays.update({name: obj[()]}) if isinstance(obj, h5py.Dataset) else None)
    return arrays


def _same_weights(a: Path, b: Path) -> bool:
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)


def _check_run_at(run: Path, step: int, val_steps: list[int]) -> None:
    """The run's records stop at ``step``: one log row per step, the validation rows up to it, and
    best.weights.h5 the generator of val.csv's best step (its snapshot: keep_every = val_every)."""
    from srgan.reports.ship import source_weights

    assert _steps(run / "log.csv") == list(range(1, step + 1))
    assert _steps(run / "val.csv") == [s for s in val_steps if s <= step]
    best, best_step = source_weights(run, "best")
    assert _same_weights(best, run / "snapshots" / f"step{best_step}.weights.h5"), best_step


def _check_finished_run(run: Path, steps: int, val_steps: list[int]) -> None:
    """As :func:`_check_run_at`, and generator.weights.h5 is the last step's, the newest checkpoint
    holds it, and no temp file is left (the two last checkpoints stay, or three after a kill
    interrupted the deletion of the oldest)."""
    from srgan.training.checkpoint import latest_state

    _check_run_at(run, steps, val_steps)
    assert _same_weights(run / "generator.weights.h5", run / "snapshots" / f"step{steps}.weights.h5")
    assert latest_state(run)["step"] == steps
    assert 2 <= len([p for p in (run / "checkpoints").iterdir() if p.name.startswith("step-")]) <= 3
    assert not [p for p in run.rglob("*") if p.name.startswith(".tmp")]


def test_kill_at_every_filesystem_step_then_resume(tmp_path, folders, monkeypatch):
    """In-process: a run resumed from step 2 to 6 (checkpoints at 3 and 6, validation and snapshots
    at 4 and 6) is killed before each filesystem step in turn; a second trainer (a fresh process'
    stand-in) resumes it, and finishes it after every third kill."""
    from srgan.training import Trainer, checkpoint, read_checkpoint_config

    run, base = tmp_path / "run", tmp_path / "base"
    cfg = _cfg(run, folders["val"])
    victim, survivor = Trainer(cfg, images=IMAGES, quiet=True), Trainer(cfg, images=IMAGES, quiet=True)
    with monkeypatch.context() as m:  # the base: the run stopped (SIGTERM) at step 2, checkpointed there
        m.setattr(Trainer, "train_step", _sigterm_at({1}))
        victim.start()
        assert victim.fit()["stopped_by"] == signal.SIGTERM
    shutil.copytree(run, base)
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(checkpoint, "_fs_step", lambda action, path: calls.append((action, path.name)))
    victim.resume()
    victim.fit()
    _check_finished_run(run, 6, [2, 4, 6])
    kinds = {action for action, _ in calls}
    assert {"write", "fsync", "rename", "replace", "delete", "append"} <= kinds, kinds
    for k in range(len(calls)):
        shutil.rmtree(run)
        shutil.copytree(base, run)
        seen, committed = 0, 2

        def kill_at_k(action: str, path: Path, k: int = k) -> None:
            nonlocal seen, committed
            if seen == k:
                raise Killed(f"{action} {path}")
            seen += 1
            if action == "replace" and path.name == checkpoint.POINTER:
                committed = victim.step  # the pointer moves: this checkpoint is the newest complete one

        monkeypatch.setattr(checkpoint, "_fs_step", kill_at_k)
        with pytest.raises(Killed):
            victim.resume()
            victim.fit()
        monkeypatch.setattr(checkpoint, "_fs_step", lambda action, path: None)
        assert asdict(read_checkpoint_config(run)) == asdict(cfg)
        survivor.resume()
        assert survivor.step == committed, (k, calls[k])
        _check_run_at(run, committed, [2, 4, 6])
        if k % 3 == 0:
            assert survivor.fit()["step"] == 6
            _check_finished_run(run, 6, [2, 4, 6])


_KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from srgan.training import checkpoint
from srgan.training import train
from tests.test_crash_resume import IMAGES, _cfg
action, name, nth, run, val, steps = sys.argv[1:]
seen = 0
def hook(a, path):
    global seen
    if a == action and name in path.name:
        seen += 1
        if seen == int(nth):
            os.kill(os.getpid(), signal.SIGKILL)
checkpoint._fs_step = hook
train(_cfg(Path(run), Path(val), ckpt_every=2, steps=int(steps)), images=IMAGES, quiet=True)
"""


def test_sigkill_in_a_subprocess_then_resume(tmp_path, folders):
    """Real process deaths: SIGKILL before the first checkpoint is renamed into place (nothing to
    resume: --resume refuses, a fresh start cleans the logs), before the second pointer move
    (resumes from step 2) and at an arbitrary moment from outside."""
    from srgan.training import read_checkpoint_config, train
    from srgan.training.checkpoint import CheckpointError, latest_state

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.getcwd()}
    points = {"first-rename": ("rename", "step-", 1, 6), "second-pointer": ("replace", "latest", 2, 6)}
    points["outside"] = ("none", "", 0, 100_000)
    procs = {}
    for label, (action, name, nth, steps) in points.items():
        cmd = [sys.executable, "-c", _KILL_SCRIPT, action, name, str(nth), str(tmp_path / label), str(folders["val"])]
        procs[label] = subprocess.Popen([*cmd, str(steps)], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and len(_steps(tmp_path / "outside" / "log.csv")) < 5:
        time.sleep(0.2)
    procs["outside"].send_signal(signal.SIGKILL)
    for label, proc in procs.items():
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == -signal.SIGKILL, (label, err[-2000:])

    with pytest.raises(CheckpointError, match="no checkpoint in"):
        read_checkpoint_config(tmp_path / "first-rename")
    train(_cfg(tmp_path / "first-rename", folders["val"], ckpt_every=2), images=IMAGES, quiet=True)
    _check_finished_run(tmp_path / "first-rename", 6, [2, 4, 6])

    cfg = read_checkpoint_config(tmp_path / "second-pointer")
    assert cfg.steps == 6 and cfg.ckpt_every == 2
    messages = []
    result = train(cfg, resume=True, images=IMAGES, log=messages.append)
    assert result["step"] == 6 and any("resumed from step 2" in m for m in messages)
    _check_finished_run(tmp_path / "second-pointer", 6, [2, 4, 6])

    outside = tmp_path / "outside"  # killed between any two instructions: resumes from its pointer's step
    cfg = read_checkpoint_config(outside)
    resumed_from = latest_state(outside)["step"]
    assert resumed_from >= 2
    cfg.steps = resumed_from + 2
    assert train(cfg, resume=True, images=IMAGES, quiet=True)["step"] == cfg.steps
    assert _steps(outside / "log.csv") == list(range(1, cfg.steps + 1))


def test_resume_discards_the_rows_and_best_weights_of_lost_steps(tmp_path, folders, monkeypatch):
    """Killed after validating steps 4 to 6 (better than steps 1 to 3) but before checkpointing
    them: the resumed run's val.csv stops at its step, and `ship --which best` names a kept step."""
    import keras

    from srgan.reports.ship import source_weights
    from srgan.training import Trainer, checkpoint, train

    keras.utils.set_random_seed(0)  # a run whose validation PSNR rises over the six steps
    run = tmp_path / "run"
    cfg = _cfg(run, folders["val"], ckpt_every=3, val_every=1, keep_every=1, steps=6)

    def kill_at_the_last_save(action, path):
        if path.name.startswith(".tmp-step-000006"):
            raise Killed

    monkeypatch.setattr(checkpoint, "_fs_step", kill_at_the_last_save)
    with pytest.raises(Killed):
        train(cfg, images=IMAGES, quiet=True)
    monkeypatch.setattr(checkpoint, "_fs_step", lambda action, path: None)
    assert _steps(run / "val.csv") == [1, 2, 3, 4, 5, 6]
    assert source_weights(run, "best")[1] > 3  # what ship would take from the killed run: a lost step
    cfg.steps = 3  # resume, and stop at once: what the run holds now is what ship sees
    trainer = Trainer(cfg, images=IMAGES, quiet=True)
    trainer.resume()
    assert trainer.step == 3 and trainer.fit()["step"] == 3
    assert _steps(run / "val.csv") == [1, 2, 3] and _steps(run / "log.csv") == [1, 2, 3]
    best, step = source_weights(run, "best")
    assert step <= 3 and _same_weights(best, run / "snapshots" / f"step{step}.weights.h5")


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    return lines[-1] if lines else ""


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory, folders) -> Path:
    """A run trained by the CLI to step 4: checkpoints at steps 2 and 4."""
    from srgan.cli import main

    run = tmp_path_factory.mktemp("cli") / "run"
    assert main(_cli_args(run, folders, 4)) == 0
    return run


def test_resume_trains_the_folder_given_when_the_run_was_moved_or_copied(tmp_path, folders, cli_run, capsys):
    from srgan.cli import main
    from srgan.training.checkpoint import latest_state

    moved = tmp_path / "moved"
    shutil.copytree(cli_run, tmp_path / "original")
    shutil.move(tmp_path / "original", moved)
    capsys.readouterr()
    assert main(["train", "--out", str(moved), "--resume", "--steps", "6"]) == 0
    assert "resumed from step 4" in capsys.readouterr().err
    assert not (tmp_path / "original").exists()
    assert _steps(moved / "log.csv") == [1, 2, 3, 4, 5, 6]
    state = latest_state(moved)
    assert state["step"] == 6 and "out" not in state["config"]  # nothing stored points at a folder of the run
    copy = tmp_path / "copy"
    shutil.copytree(moved, copy)
    assert main(["train", "--out", str(copy), "--resume", "--steps", "7"]) == 0
    assert latest_state(moved)["step"] == 6 and _steps(moved / "log.csv") == [1, 2, 3, 4, 5, 6]
    assert latest_state(copy)["step"] == 7 and _steps(copy / "log.csv") == list(range(1, 8))


@pytest.mark.parametrize("damaged", ["generator.weights.h5", "g_opt.npz", "state.json"])
def test_resume_falls_back_from_a_damaged_checkpoint_in_one_line(tmp_path, cli_run, capsys, damaged):
    from srgan.cli import main

    run = tmp_path / "run"
    shutil.copytree(cli_run, run)
    path = run / "checkpoints" / "step-000004" / damaged
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # as a full disk or a crash leaves it
    capsys.readouterr()
    assert main(["train", "--out", str(run), "--resume", "--steps", "5"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "resumed" in line]
    assert len(lines) == 1
    assert "resumed from step 2" in lines[0] and "step-000004" in lines[0] and damaged in lines[0]
    assert _steps(run / "log.csv") == [1, 2, 3, 4, 5]
    assert _steps(run / "val.csv") == [2, 4, 5]


def test_resume_refuses_in_one_line_without_a_good_checkpoint(tmp_path, cli_run, capsys):
    from srgan.cli import main

    run = tmp_path / "run"
    shutil.copytree(cli_run, run)
    for folder in (run / "checkpoints").glob("step-*"):
        (folder / "state.json").write_text("{")
    capsys.readouterr()
    assert main(["train", "--out", str(run), "--resume"]) == 2  # instead of starting afresh
    err = capsys.readouterr().err
    assert "no usable checkpoint in" in _one_line(err) and len(err.strip().splitlines()) == 1
    assert main(["train", "--out", str(tmp_path / "empty"), "--resume"]) == 2
    assert "no checkpoint in" in _one_line(capsys.readouterr().err)
    # a fresh start in a folder that holds a run would mix two runs: refused, nothing written
    before = sorted(p.name for p in run.rglob("*"))
    assert main(["train", "--out", str(run), "--data", str(tmp_path)]) == 2
    assert "--resume" in _one_line(capsys.readouterr().err)
    assert sorted(p.name for p in run.rglob("*")) == before


def test_a_run_of_the_older_layout_resumes(tmp_path, cli_run, capsys):
    """Runs written before numbered checkpoints hold checkpoint/state.json (config.out inside); one
    killed mid-rotation holds checkpoint.tmp and checkpoint.old: the newer that loads is used."""
    from srgan.cli import main
    from srgan.reports.ship import source_weights
    from srgan.training.checkpoint import latest_state

    run = tmp_path / "run"
    shutil.copytree(cli_run, run)
    for step, legacy in ((2, "checkpoint.old"), (4, "checkpoint.tmp")):
        folder = run / legacy
        shutil.move(run / "checkpoints" / f"step-{step:06d}", folder)
        (folder / "manifest.json").unlink()
        (folder / "best.weights.h5").unlink(missing_ok=True)
        state = json.loads((folder / "state.json").read_text())
        state["config"]["out"] = "/somewhere/else"
        state.pop("best_step", None)
        (folder / "state.json").write_text(json.dumps(state))
    shutil.rmtree(run / "checkpoints")
    assert latest_state(run)["step"] == 4
    (run / "checkpoint.tmp" / "g_opt.npz").write_bytes(b"PK")  # damaged: falls back to checkpoint.old
    capsys.readouterr()
    assert main(["train", "--out", str(run), "--resume", "--steps", "5"]) == 0
    assert "resumed from step 2" in capsys.readouterr().err
    assert _steps(run / "log.csv") == [1, 2, 3, 4, 5] and latest_state(run)["step"] == 5
    assert not Path("/somewhere/else").exists()
    assert source_weights(run, "best")[1] in (2, 4, 5)


def _sigterm_at(steps: set[int]):
    """A Trainer.train_step that sends this process SIGTERM while the step after ``steps`` runs."""
    from srgan.training import Trainer

    step = Trainer.train_step

    def step_then_sigterm(self, lr, hr):
        logs = step(self, lr, hr)
        if self.step in steps:
            os.kill(os.getpid(), signal.SIGTERM)
        return logs

    return step_then_sigterm


def test_a_stopped_run_exits_with_128_plus_the_signal(tmp_path, folders, capsys, monkeypatch):
    from srgan.cli import main
    from srgan.training import Trainer, read_checkpoint_config, train
    from srgan.training.checkpoint import latest_state

    monkeypatch.setattr(Trainer, "train_step", _sigterm_at({2, 4}))
    run = tmp_path / "run"
    assert main(_cli_args(run, folders, 100)) == 128 + signal.SIGTERM
    assert "stopped by signal" in capsys.readouterr().err
    assert latest_state(run)["step"] == 3 and _steps(run / "log.csv") == [1, 2, 3]
    result = train(read_checkpoint_config(run), resume=True, images=IMAGES, quiet=True)
    assert result["stopped_by"] == signal.SIGTERM and result["step"] == 5  # the library says so
