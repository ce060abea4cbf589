"""Shipping is safe: a bad generator never reaches weights/, the replaced pair is kept, one command
undoes a ship (issue 16, item 7)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from srgan.cli import main
from tests.conftest import TINY, smooth_image


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def run(tmp_path, tiny_weights_dir, monkeypatch):
    """A finished two-step tiny run, and a weights folder holding tiny shipped models."""
    import shutil

    from srgan.training import TrainConfig, train

    weights = tmp_path / "weights"
    shutil.copytree(tiny_weights_dir, weights)
    monkeypatch.setenv("SRGAN_WEIGHTS", str(weights))
    monkeypatch.setenv("SRGAN_DATA", str(tmp_path / "no-data"))
    cfg = TrainConfig(
        out=str(tmp_path / "run"), steps=2, batch_size=2, hr_patch=32, ckpt_every=1, log_every=1,
        num_blocks=TINY["num_blocks"], channels=TINY["channels"],
    )  # fmt: skip
    train(cfg, images=[smooth_image(48, 48, s) for s in range(2)], quiet=True)
    return tmp_path / "run"


def test_a_truncated_generator_is_not_shipped(run, tmp_path, capsys):
    # `ship --no-eval` shipped a truncated generator (exit 0), after which every upscale failed
    weights = tmp_path / "weights"
    before = _digests(weights)
    latest = run / "generator.weights.h5"
    latest.write_bytes(latest.read_bytes()[:4000])
    assert main(["ship", str(run), "--name", "srgan", "--which", "latest", "--no-eval"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "generator.weights.h5: weights file is truncated or corrupt" in err[0]
    assert _digests(weights) == before and not (weights / "previous").exists()


def test_a_generator_with_nan_weights_is_not_shipped(run, tmp_path, capsys):
    from srgan.model.models import build_generator

    g = build_generator(**TINY)
    g.set_weights([np.full_like(w, np.nan) for w in g.get_weights()])
    g.save_weights(run / "generator.weights.h5")
    before = _digests(tmp_path / "weights")
    assert main(["ship", str(run), "--name", "srgan", "--which", "latest", "--no-eval"]) == 2
    assert "weights are not finite (NaN or inf in layer" in capsys.readouterr().err
    assert _digests(tmp_path / "weights") == before


def test_ship_keeps_the_replaced_pair_and_undo_restores_it(run, tmp_path, capsys):
    weights = tmp_path / "weights"
    before = _digests(weights)
    assert main(["ship", str(run), "--name", "srgan", "--which", "latest", "--no-eval"]) == 0
    shipped = _digests(weights)
    assert shipped["srgan_x4.weights.h5"] == hashlib.sha256((run / "generator.weights.h5").read_bytes()).hexdigest()
    assert _digests(weights / "previous") == {k: before[k] for k in ("srgan_x4.weights.h5", "srgan_x4.json")}
    assert "weights/previous" in capsys.readouterr().out.replace(str(tmp_path) + "/", "")
    # one command undoes it, and the undo can be undone
    assert main(["ship", "--undo", "--name", "srgan"]) == 0
    assert _digests(weights) == before
    assert main(["ship", "--undo", "--name", "srgan"]) == 0
    assert _digests(weights) == shipped
    # the shipped model runs
    Image.fromarray(smooth_image(12, 12)).save(tmp_path / "a.png")
    assert main(["upscale", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"), "--model", "srgan", "-q"]) == 0
    assert main(["ship", "--undo", "--name", "srresnet"]) == 2  # nothing kept for this one
    assert "nothing to undo" in capsys.readouterr().err
