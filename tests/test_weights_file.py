"""A damaged or foreign weights file is one line naming the file, with every engine (issue 16, item 8)."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from srgan.cli import main
from srgan.inference import ENGINES, Upscaler
from srgan.model.weights_file import WeightsError, check_generator_weights, generator_weight_shapes, read_weight_shapes
from tests.conftest import TINY, smooth_image


@pytest.mark.parametrize("arch", [{"num_blocks": 2, "channels": 8}, {"num_blocks": 16, "channels": 64}])
def test_the_stated_layout_is_keras_own(tmp_path, arch):
    from srgan.model.models import build_generator

    path = tmp_path / "g.weights.h5"
    build_generator(**arch, bicubic_skip=True).save_weights(path)
    assert read_weight_shapes(path) == generator_weight_shapes(**arch)
    check_generator_weights(path, arch)


def _broken_files(tiny_weights_dir, tmp_path) -> dict:
    src = tiny_weights_dir / "srresnet_x4.weights.h5"
    data = src.read_bytes()
    files = {"truncated": data[: len(data) // 2], "not HDF5": b"GIF89a not weights at all", "empty": b""}
    out = {}
    for label, content in files.items():
        out[label] = tmp_path / f"{label.replace(' ', '_')}.weights.h5"
        out[label].write_bytes(content)
    from srgan.model.models import build_generator

    out["wrong architecture"] = tmp_path / "wide.weights.h5"
    build_generator(num_blocks=2, channels=16).save_weights(out["wrong architecture"])
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_refuses_a_bad_file_in_one_line(tiny_weights, tmp_path, engine):
    for label, path in _broken_files(tiny_weights, tmp_path).items():
        with pytest.raises(WeightsError) as info:
            Upscaler("srresnet", weights=path, architecture=TINY, engine=engine)
        message = str(info.value)
        assert str(path) in message and "\n" not in message and len(message) < 300, label
    with pytest.raises(WeightsError, match=r"layer conv2d has shape \(9, 9, 3, 16\), expected \(9, 9, 3, 8\)"):
        Upscaler("srresnet", weights=tmp_path / "wide.weights.h5", architecture=TINY, engine=engine)


def test_a_bad_weights_file_is_reported_once_and_not_blamed_on_the_images(tiny_weights, tmp_path, capsys):
    bad = _broken_files(tiny_weights, tmp_path)["truncated"]
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(3):
        Image.fromarray(smooth_image(12, 12, k)).save(folder / f"{k}.png")
    code = main(["upscale", str(folder), "-o", str(tmp_path / "o"), "--model", "srresnet", "--weights", str(bad)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and "truncated or corrupt" in err[0]
    assert not (tmp_path / "o").exists()


def test_a_damaged_shipped_file_names_itself(tiny_weights, tmp_path, monkeypatch, capsys):
    copy = tmp_path / "w"
    shutil.copytree(tiny_weights, copy)
    (copy / "srgan_x4.weights.h5").write_bytes((copy / "srgan_x4.weights.h5").read_bytes()[:5000])
    monkeypatch.setenv("SRGAN_WEIGHTS", str(copy))
    Image.fromarray(smooth_image(12, 12)).save(tmp_path / "a.png")
    assert main(["upscale", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"), "--model", "srgan"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "srgan_x4.weights.h5: weights file is truncated or corrupt" in err[0]
    assert main(["upscale", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"), "--model", "srresnet", "-q"]) == 0
