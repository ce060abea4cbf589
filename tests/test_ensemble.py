"""Geometric self-ensemble (EDSR's "+"): the transforms, the averaging, tiling, naming, CLI."""

import json

import numpy as np
import pytest
from PIL import Image

from srgan.cli import main
from srgan.engines.bicubic import BicubicEngine
from srgan.ensemble import N_TRANSFORMS, inverse_transform, self_ensemble, transform
from srgan.image_io import Picture
from srgan.inference import Upscaler
from tests.conftest import smooth_image


class PixelEngine:
    """Exactly equivariant: a per-pixel map, then nearest-neighbour x4."""

    name, precision, whole_image = "pixel", "fp32", False

    def __init__(self):
        self.shapes = []

    def __call__(self, window):
        self.shapes.append(window.shape)
        return np.sqrt(window).repeat(4, axis=0).repeat(4, axis=1)


class RampEngine(PixelEngine):
    """Not equivariant: adds a left-to-right ramp in the window's own orientation."""

    name = "ramp"

    def __call__(self, window):
        up = window.repeat(4, axis=0).repeat(4, axis=1)
        ramp = np.linspace(0.0, 0.2, up.shape[1], dtype=np.float32)[None, :, None]
        return np.clip(up * 0.9 + ramp, 0.0, 1.0)


def test_transforms_are_inverted_and_distinct_on_a_non_square_array():
    x = np.arange(5 * 7 * 3).reshape(5, 7, 3)
    seen = set()
    for k in range(N_TRANSFORMS):
        t = transform(x, k)
        assert t.shape == ((7, 5, 3) if k % 2 else (5, 7, 3))
        np.testing.assert_array_equal(inverse_transform(t, k), x)
        seen.add(t.tobytes() + bytes(t.shape))
    assert len(seen) == N_TRANSFORMS  # the 8 elements of the dihedral group, none repeated
    with pytest.raises(ValueError):
        transform(x, 8)


def test_equivariant_engine_is_unchanged_by_the_ensemble():
    lr = smooth_image(13, 22).astype(np.float32) / 255
    engine = PixelEngine()
    plain = Upscaler.with_engine(engine, tile=8, tile_pad=2).upscale_array(lr)
    engine.shapes.clear()
    plus = Upscaler.with_engine(engine, tile=8, tile_pad=2).ensembled().upscale_array(lr)
    np.testing.assert_array_equal(plus, plain)  # summed in float64: 8 equal answers average exactly
    # every tile window was run 8 times, half of them with h and w swapped
    shapes = engine.shapes
    assert len(shapes) % 8 == 0 and {(w, h, c) for h, w, c in shapes[0::2]} == set(shapes[1::2])


def test_non_equivariant_engine_gives_the_mean_of_the_eight():
    lr = smooth_image(6, 9).astype(np.float32) / 255
    engine = RampEngine()
    # the 8 transforms and their inverses, written out by hand
    pairs = [
        (lambda a: a, lambda a: a),
        (lambda a: np.rot90(a, 1), lambda a: np.rot90(a, -1)),
        (lambda a: np.rot90(a, 2), lambda a: np.rot90(a, 2)),
        (lambda a: np.rot90(a, 3), lambda a: np.rot90(a, 1)),
        (lambda a: np.fliplr(a), lambda a: np.fliplr(a)),
        (lambda a: np.fliplr(np.rot90(a, 1)), lambda a: np.rot90(np.fliplr(a), -1)),
        (lambda a: np.flipud(a), lambda a: np.flipud(a)),
        (lambda a: np.transpose(a, (1, 0, 2)), lambda a: np.transpose(a, (1, 0, 2))),
    ]
    expected = np.mean([inv(engine(np.ascontiguousarray(fwd(lr)))) for fwd, inv in pairs], axis=0)
    plain = engine(lr)
    assert np.abs(plain - expected).max() > 0.05  # the ensemble does change this engine's output
    np.testing.assert_allclose(self_ensemble(engine, lr), expected, atol=1e-6)
    whole = Upscaler.with_engine(engine, tile=100).ensembled().upscale_array(lr)
    np.testing.assert_allclose(whole, expected, atol=1e-6)


def test_tiled_ensemble_equals_whole_image_ensemble_within_one_level(tiny_weights):
    lr = smooth_image(70, 90).astype(np.float32) / 255
    tiled = Upscaler("srresnet", tile=24, ensemble=True)  # default pad: 2 x 3 non-square windows
    whole = Upscaler("srresnet", tile=1000, ensemble=True)
    seen = []
    a, b = tiled.upscale_array(lr, progress=lambda d, t: seen.append(t)), whole.upscale_array(lr)
    assert seen[-1] == 6 and a.shape == (280, 360, 3)
    assert np.abs(a - b).max() <= 1 / 255
    assert np.abs(b - Upscaler("srresnet", tile=1000).upscale_array(lr)).max() > 1e-4  # not a no-op here


def test_ensemble_progress_counts_tiles_and_alpha_stays_bicubic(tiny_weights):
    up = Upscaler("srgan", tile=16, tile_pad=4, ensemble=True)
    assert up.method_name == "srgan+" and Upscaler("srgan").method_name == "srgan"
    seen = []
    rgb = smooth_image(15, 30)
    alpha = np.zeros((15, 30), np.uint8)
    alpha[:, 15:] = 255
    out = up.upscale(Picture(rgb, alpha, "RGBA"), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)]
    plain = Upscaler("srgan", tile=16, tile_pad=4).upscale(Picture(rgb, alpha, "RGBA"))
    np.testing.assert_array_equal(out.alpha, plain.alpha)
    assert out.pixels.dtype == np.uint8 and out.pixels.shape == (60, 120, 3)


def test_bicubic_with_ensemble_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SRGAN_WEIGHTS", str(tmp_path))
    with pytest.raises(ValueError, match="self-ensemble is for learned models"):
        Upscaler("bicubic", ensemble=True)
    with pytest.raises(ValueError, match="self-ensemble is for learned models"):
        Upscaler.with_engine(BicubicEngine()).ensembled()


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(smooth_image(32, 40, 0)).save(folder / "a.png")
    return folder


def test_cli_upscale_with_ensemble_writes_the_ensembled_image(tiny_weights, images, tmp_path):
    out = tmp_path / "out"
    assert main(["upscale", str(images), "-o", str(out), "--model", "srresnet", "--ensemble", "-q"]) == 0
    written = np.asarray(Image.open(out / "a.png"))
    expected = Upscaler("srresnet", ensemble=True).upscale(Picture(smooth_image(32, 40, 0))).pixels
    assert written.shape == (128, 160, 3)
    np.testing.assert_array_equal(written, expected)
    plain = Upscaler("srresnet").upscale(Picture(smooth_image(32, 40, 0))).pixels
    assert not np.array_equal(written, plain)  # the flag took effect: the tiny model is far from equivariant


def test_cli_evaluate_with_ensemble_names_the_method_plus(tiny_weights, images, tmp_path, capsys):
    report = tmp_path / "r.json"
    assert main(["evaluate", "--hr", str(images), "--model", "srresnet", "--ensemble", "--json", str(report)]) == 0
    assert "model srresnet+" in capsys.readouterr().out
    assert json.loads(report.read_text())["model"] == "srresnet+"


def test_cli_benchmarks_with_ensemble_adds_the_plus_rows(tiny_weights, tmp_path, monkeypatch):
    import srgan.quality.suites

    (tmp_path / "data" / "benchmark").mkdir(parents=True)
    monkeypatch.setenv("SRGAN_DATA", str(tmp_path / "data"))
    ran = {}

    def fake_run_benchmarks(methods, data_root, **kw):
        lr = smooth_image(8, 8)
        ran.update({name: m(lr).shape for name, m in methods.items()})
        return {"results": {}}

    monkeypatch.setattr(srgan.quality.suites, "run_benchmarks", fake_run_benchmarks)
    assert main(["evaluate", "--benchmarks", "--ensemble", "--json", str(tmp_path / "b.json")]) == 0
    assert {"bicubic", "srresnet", "srresnet+", "srgan", "srgan+"} <= set(ran)
    assert all(shape == (32, 32, 3) for shape in ran.values())


def test_cli_bicubic_with_ensemble_is_one_line_exit_2(images, tmp_path, capsys):
    assert main(["upscale", str(images), "-o", str(tmp_path / "o"), "--model", "bicubic", "--ensemble"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "self-ensemble is for learned models" in err[0]
    assert not (tmp_path / "o").exists()
    assert main(["evaluate", "--hr", str(images), "--model", "bicubic", "--ensemble"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["evaluate", "--hr", str(images), "--sr", str(images), "--ensemble"]) == 2


def test_ensembled_shares_the_models_engine(tiny_weights):
    plain = Upscaler("srresnet")
    plus = plain.ensembled()
    assert plus.engine is plain.engine  # one compiled model for srresnet and srresnet+
    assert (plain.method_name, plus.method_name) == ("srresnet", "srresnet+")
    with pytest.raises(ValueError, match="self-ensemble is for learned models"):
        Upscaler("bicubic").ensembled()
