"""scripts/extra_photos.py: DEP-5 licence lookup, the box-filter reduce, and a reproducible build/check run on
tiny generated images with a fake dpkg (no Debian wallpaper packages needed)."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("extra_photos", ROOT / "scripts" / "extra_photos.py")
ep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ep)

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: backgrounds

Files: *
Copyright: 2020 Someone
License: GPL-2+

Files: desktop/*
Copyright: 2019 A Designer
License: LGPL-3

Files: nature/Aqua.jpg
       nature/Lady*.jpg
Copyright: 2011 A Photographer
License: CC-BY-SA-4.0

Files: 20.04/Kleiber_by_Lukas_Baubkus.jpg
Copyright: 2020 Lukas
License: CC-BY-SA-3.0

Files: debian/*
Copyright: 2021 A Maintainer
License: Expat

License: GPL-2+
 This program is free software.
"""


@pytest.mark.parametrize(
    ("path", "licence"),
    [
        ("backgrounds/mate/nature/Aqua.jpg", "CC-BY-SA-4.0"),  # a listed file beats Files: *
        ("backgrounds/mate/nature/LadyBird.jpg", "CC-BY-SA-4.0"),  # wildcard on a continuation line
        ("backgrounds/mate/nature/Storm.jpg", "GPL-2+"),  # only Files: * matches
        ("backgrounds/mate/desktop/Aqua.jpg", "LGPL-3"),  # a folder match beats a name-only match
        ("backgrounds/Kleiber_by_Lukas_Baubkus.jpg", "CC-BY-SA-3.0"),  # installed without its 20.04/ folder
    ],
)
def test_licence_for_picks_the_specific_stanza(path, licence):
    assert ep.licence_for(COPYRIGHT, path) == licence


def test_licence_for_without_a_match_is_unknown():
    assert ep.licence_for("Files: other/*\nLicence: x\nLicense: MIT\n", "a/b.jpg") == "unknown"


def _image(w: int, h: int, seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def test_reduce_halves_the_size_as_uint8_rgb_box_means():
    img = _image(10, 6, 0)
    small = ep.reduce_photo(img, 2)
    arr = np.asarray(small)
    assert small.mode == "RGB" and small.size == (5, 3) and arr.dtype == np.uint8
    box = np.asarray(img, dtype=np.float64)[:2, :2].mean(axis=(0, 1))
    assert np.abs(arr[0, 0] - box).max() <= 1


def test_reduce_crops_the_remainder_and_converts_grey_and_rejects_factor_1():
    small = ep.reduce_photo(_image(11, 7, 1).convert("L"), 2)
    assert small.mode == "RGB" and small.size == (5, 3)
    with pytest.raises(ValueError):
        ep.reduce_photo(_image(4, 4, 2), 1)


def test_reduce_applies_the_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    _image(8, 4, 3).save(buf, format="PNG", exif=exif)
    small = ep.reduce_photo(Image.open(io.BytesIO(buf.getvalue())), 2)
    assert small.size == (2, 4)  # upright 4x8, halved


@pytest.fixture
def fake_root(tmp_path):
    """A fake /usr/share with two tiny photos of package 'pics' and its DEP-5 copyright file."""
    root = tmp_path / "share"
    (root / "backgrounds" / "mate" / "nature").mkdir(parents=True)
    _image(64, 48, 4).save(root / "backgrounds" / "mate" / "nature" / "Aqua.jpg", quality=90)
    _image(40, 30, 5).save(root / "backgrounds" / "mate" / "nature" / "Storm.png")
    (root / "doc" / "pics").mkdir(parents=True)
    (root / "doc" / "pics" / "copyright").write_text(COPYRIGHT)
    photos = (
        ("pics", "backgrounds/mate/nature/Aqua.jpg", "noise as JPEG"),
        ("pics", "backgrounds/mate/nature/Storm.png", "noise as PNG"),
    )
    return {"photos": photos, "root": root, "version_of": {"pics": "1.0-1"}.get}


def test_build_writes_pngs_and_a_manifest_and_reproduces_them(tmp_path, fake_root):
    out = tmp_path / "out"
    manifest = ep.build(out, **fake_root)
    assert manifest["factor"] == 2 and manifest["list_version"] == ep.LIST_VERSION
    assert json.loads((out / "MANIFEST.json").read_text()) == manifest
    aqua, storm = manifest["images"]
    assert (aqua["output"], aqua["width"], aqua["height"], aqua["licence"]) == ("Aqua.png", 32, 24, "CC-BY-SA-4.0")
    assert (storm["output"], storm["width"], storm["height"], storm["licence"]) == ("Storm.png", 20, 15, "GPL-2+")
    assert aqua["version"] == "1.0-1" and aqua["copyright_file"].endswith("doc/pics/copyright")
    assert aqua["source_sha256"] == ep.sha256_file(fake_root["root"] / "backgrounds/mate/nature/Aqua.jpg")
    for e in manifest["images"]:
        assert ep.sha256_file(out / e["output"]) == e["sha256"]
        assert Image.open(out / e["output"]).mode == "RGB"
    assert sorted(p.name for p in out.iterdir()) == ["Aqua.png", "MANIFEST.json", "Storm.png"]  # no temp files

    before = {p.name: p.read_bytes() for p in out.iterdir()}
    ep.build(out, **fake_root)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # byte for byte
    assert ep.check(out, **fake_root) == []

    (out / "Storm.png").write_bytes(ep.png_bytes(_image(20, 15, 9)))
    assert any("Storm.png" in d for d in ep.check(out, **fake_root))


def test_check_notices_a_changed_source_and_a_missing_manifest(tmp_path, fake_root):
    out = tmp_path / "out"
    assert ep.check(out, **fake_root) == [f"{out / 'MANIFEST.json'} is missing"]
    ep.build(out, **fake_root)
    _image(40, 30, 6).save(fake_root["root"] / "backgrounds" / "mate" / "nature" / "Storm.png")
    assert ep.check(out, **fake_root) != []


def test_build_removes_outputs_dropped_from_the_list(tmp_path, fake_root):
    out = tmp_path / "out"
    ep.build(out, **fake_root)
    ep.build(out, **{**fake_root, "photos": fake_root["photos"][:1]})
    assert sorted(p.name for p in out.iterdir()) == ["Aqua.png", "MANIFEST.json"]


def test_a_missing_package_is_one_line_with_the_install_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(ep, "dpkg_version", lambda pkg: None)
    assert ep.main(["--out", str(tmp_path / "out")]) == 2
    line = capsys.readouterr().out.strip()
    assert "\n" not in line and "apt-get install -y --no-install-recommends" in line
    assert "plasma-workspace-wallpapers" in line and "mate-backgrounds" in line
    assert not (tmp_path / "out").exists()
