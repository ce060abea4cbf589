"""CLI success and error paths, run in-process (one subprocess test checks the entry point)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from srgan.cli import main
from tests.conftest import requires_data, smooth_image


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(smooth_image(32, 40, 0)).save(folder / "a.png")
    Image.fromarray(smooth_image(28, 28, 1)).save(folder / "b.jpg", quality=95)
    return folder


def test_upscale_folder_writes_pngs(tiny_weights, images, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["upscale", str(images), "-o", str(out), "--model", "srresnet", "--tile", "8"]) == 0
    assert Image.open(out / "a.png").size == (160, 128)
    assert Image.open(out / "b.png").size == (112, 112)
    err = capsys.readouterr().err
    assert "tiles" in err  # the progress bar


def test_openvino_and_keras_engines_write_the_same_pngs(tiny_weights, images, tmp_path):
    outs = {}
    for engine in ("keras", "openvino"):
        out = tmp_path / engine
        cmd = ["upscale", str(images), "-o", str(out), "--model", "srgan", "--engine", engine, "-q"]
        assert main([*cmd, "--precision", "fp32"]) == 0
        outs[engine] = np.asarray(Image.open(out / "a.png"), np.int16)
    assert np.abs(outs["keras"] - outs["openvino"]).max() <= 1


def test_bad_file_in_a_batch_is_reported_and_the_rest_processed(tiny_weights, images, tmp_path, capsys):
    (images / "broken.png").write_bytes(b"not an image at all")
    out = tmp_path / "out"
    assert (
        main(["upscale", str(images), str(tmp_path / "missing.png"), "-o", str(out), "--model", "bicubic", "-q"]) == 1
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert any("broken.png: not a recognised image file" in line for line in err)
    assert any("missing.png: no such file or folder" in line for line in err)
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]
    assert all("Traceback" not in line for line in err)


def test_missing_weights_is_one_line(tmp_path, images, monkeypatch, capsys):
    monkeypatch.setenv("SRGAN_WEIGHTS", str(tmp_path / "empty"))
    assert main(["upscale", str(images), "-o", str(tmp_path / "o"), "--model", "srgan"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no weights for model 'srgan'" in err[0]


def test_bad_flag_is_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        main(["upscale", "--tile", "abc", "x", "-o", "y"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid int value" in err[0]
    with pytest.raises(SystemExit) as info:
        main(["upscale", "x", "-o", "y", "--tile", "0"])
    assert info.value.code == 2
    assert "must be >= 1" in capsys.readouterr().err


def test_degrade_then_evaluate_round_trip(tmp_path, images, capsys):
    lr_dir, sr_dir = tmp_path / "lr", tmp_path / "sr"
    assert main(["degrade", str(images), "-o", str(lr_dir), "-q"]) == 0
    assert Image.open(lr_dir / "a.png").size == (10, 8)
    assert main(["upscale", str(lr_dir), "-o", str(sr_dir), "--model", "bicubic", "-q"]) == 0
    report = tmp_path / "r.json"
    assert main(["evaluate", "--hr", str(images), "--sr", str(sr_dir), "--json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert {r["image"] for r in data["images"]} == {"a", "b"}
    # the same numbers as the model path, which makes its LR from the HR
    capsys.readouterr()
    assert main(["evaluate", "--hr", str(images), "--model", "bicubic", "--json", str(tmp_path / "m.json")]) == 0
    direct = json.loads((tmp_path / "m.json").read_text())
    assert direct["mean"]["psnr"] == pytest.approx(data["mean"]["psnr"], abs=1e-9)


def test_evaluate_missing_folder(capsys):
    assert main(["evaluate", "--hr", "/nonexistent/folder", "--model", "bicubic"]) == 2
    assert "no such folder" in capsys.readouterr().err


@requires_data
@pytest.mark.data
def test_cli_bicubic_on_reference_lr_gives_the_literature_number(tmp_path, capsys):
    from srgan.paths import benchmark_dir, benchmark_lr_dir

    out = tmp_path / "sr"
    assert main(["upscale", str(benchmark_lr_dir("Set5")), "-o", str(out), "--model", "bicubic", "-q"]) == 0
    assert (
        main(["evaluate", "--hr", str(benchmark_dir("Set5")), "--sr", str(out), "--json", str(tmp_path / "r.json")])
        == 0
    )
    assert json.loads((tmp_path / "r.json").read_text())["mean"]["psnr"] == pytest.approx(28.43, abs=0.01)


def test_large_rgba_upscales_with_alpha_intact(tmp_path):
    # 2000x1500 RGBA through the CLI: alpha survives and the output is 8000x6000
    rgb = np.zeros((1500, 2000, 3), np.uint8)
    rgb[..., 1] = 120
    alpha = np.zeros((1500, 2000), np.uint8)
    alpha[:, 1000:] = 255
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(tmp_path / "big.png")
    assert main(["upscale", str(tmp_path / "big.png"), "-o", str(tmp_path / "o"), "--model", "bicubic", "-q"]) == 0
    out = Image.open(tmp_path / "o" / "big.png")
    assert out.mode == "RGBA" and out.size == (8000, 6000)
    a = np.asarray(out.getchannel("A"))
    assert a[:, :3900].max() == 0 and a[:, 4100:].min() == 255


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "srgan", "--help"], capture_output=True, text=True, check=True)
    for command in ("upscale", "degrade", "evaluate", "train"):
        assert command in out.stdout


def test_evaluate_skips_images_too_small_to_score_and_scores_the_rest(tmp_path, capsys):
    # item 8: an image of <= 8 px a side raised ZeroDivisionError and the whole folder was lost
    folder = tmp_path / "hr"
    folder.mkdir()
    Image.fromarray(smooth_image(8, 8, 0)).save(folder / "tiny.png")
    Image.fromarray(smooth_image(4, 40, 1)).save(folder / "thin.png")
    Image.fromarray(smooth_image(48, 48, 2)).save(folder / "ok.png")
    assert main(["evaluate", "--hr", str(folder), "--model", "bicubic", "--json", str(tmp_path / "r.json")]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 2 and all("too small" in line for line in err)
    assert "Traceback" not in captured.err
    assert [r["image"] for r in json.loads((tmp_path / "r.json").read_text())["images"]] == ["ok"]


def test_a_truncated_16_bit_png_is_one_line_from_the_project_only(tmp_path, capfd):
    # item 11: libpng/OpenCV printed their own warning beside the project's line
    import cv2

    _, buf = cv2.imencode(".png", (np.random.default_rng(0).random((32, 32, 3)) * 65535).astype(np.uint16))
    (tmp_path / "t.png").write_bytes(buf.tobytes()[: len(buf) // 2])
    assert main(["upscale", str(tmp_path / "t.png"), "-o", str(tmp_path / "o"), "--model", "bicubic", "-q"]) == 1
    err = capfd.readouterr().err.strip().splitlines()
    assert err == [f"srgan: {tmp_path / 't.png'}: 16-bit PNG is truncated or corrupt"]
