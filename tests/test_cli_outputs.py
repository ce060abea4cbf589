"""The CLI never loses or replaces a user's file: output names, in-place runs, existing outputs,
atomic writes (issue 16, items 1-3), and a property test over random batches."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from srgan.cli import main, output_names
from tests.conftest import smooth_image


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def _save(path: Path, seed: int, size: int = 8) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(smooth_image(size, size + seed % 3, seed)).save(path)


def _x4_of(src: Path) -> np.ndarray:
    """What ``upscale --model bicubic`` writes for ``src`` (PIL's bicubic x4 of the RGB pixels)."""
    im = Image.open(src).convert("RGB")
    return np.asarray(im.resize((im.width * 4, im.height * 4), Image.Resampling.BICUBIC))


def test_colliding_stems_keep_their_extension(tmp_path, capsys):
    # item 1: a.png and a.jpg used to both write out/a.png, one result lost, exit 0
    src = tmp_path / "in"
    _save(src / "a.png", 0)
    _save(src / "a.jpg", 1)
    _save(src / "b.png", 2)
    out = tmp_path / "out"
    assert main(["upscale", str(src), "-o", str(out), "--model", "bicubic", "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a_jpg.png", "a_png.png", "b.png"]
    np.testing.assert_array_equal(np.asarray(Image.open(out / "a_png.png")), _x4_of(src / "a.png"))
    np.testing.assert_array_equal(np.asarray(Image.open(out / "a_jpg.png")), _x4_of(src / "a.jpg"))


def test_same_name_in_two_folders_is_refused_not_replaced(tmp_path, capsys):
    _save(tmp_path / "x" / "a.png", 0)
    _save(tmp_path / "y" / "a.png", 1)
    _save(tmp_path / "y" / "c.png", 2)
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "x"), str(tmp_path / "y"), "-o", str(out), "--model", "bicubic"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert sum("another input has the same name" in line for line in err) == 2
    assert sorted(p.name for p in out.iterdir()) == ["c.png"]


def test_output_names_rule():
    names = output_names([Path("i/a.png"), Path("i/a.JPG"), Path("i/b.png"), Path("j/b.png"), Path("i/A.tif")])
    assert names == {
        Path("i/a.png"): "a_png.png",
        Path("i/a.JPG"): "a_jpg.png",
        Path("i/A.tif"): "A_tif.png",
        Path("i/b.png"): None,
        Path("j/b.png"): None,
    }


@pytest.mark.parametrize("command", ["upscale", "degrade"])
def test_in_place_run_is_refused_and_changes_nothing(tmp_path, capsys, command):
    # item 2: `upscale -o in in` replaced in/a.png by the SR of a.jpg; `degrade -o hr hr` replaced each HR by its LR
    src = tmp_path / "in"
    _save(src / "a.png", 0, 16)
    _save(src / "a.jpg", 1, 16)
    before = _digests(src)
    extra = ["--model", "bicubic"] if command == "upscale" else []
    assert main([command, str(src), "-o", str(src), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is an input folder" in err[0]
    assert _digests(src) == before
    # the same folder named another way, and a file input whose result would replace another input
    assert main([command, str(src), "-o", str(src / ".." / "in"), *extra]) == 2
    assert main([command, str(src / "a.jpg"), str(src / "a.png"), "-o", str(tmp_path / "o"), *extra]) == 0
    assert main([command, str(src / "a.png"), "-o", str(src), *extra]) == 2
    assert "is an input and would be overwritten" in capsys.readouterr().err
    assert _digests(src) == before


def test_existing_outputs_are_kept_unless_overwrite(tmp_path, capsys):
    # item 3: existing outputs used to be overwritten without notice
    src = tmp_path / "in"
    _save(src / "a.png", 0)
    _save(src / "b.png", 1)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.png").write_bytes(b"mine")
    assert main(["upscale", str(src), "-o", str(out), "--model", "bicubic", "-q"]) == 1
    err = capsys.readouterr().err
    assert "exists; not overwritten (use --overwrite" in err
    assert (out / "a.png").read_bytes() == b"mine"
    np.testing.assert_array_equal(np.asarray(Image.open(out / "b.png")), _x4_of(src / "b.png"))
    assert main(["upscale", str(src), "-o", str(out), "--model", "bicubic", "-q", "--overwrite"]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(out / "a.png")), _x4_of(src / "a.png"))


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    # atomic writes: a kill or error while writing never leaves a half PNG under the final name
    import srgan.files as files

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    _save(tmp_path / "in" / "a.png", 0)
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "in"), "-o", str(out), "--model", "bicubic", "-q"]) == 1
    assert list(out.iterdir()) == []


def test_write_bytes_atomic_never_replaces_without_overwrite(tmp_path):
    from srgan.files import write_bytes_atomic

    target = tmp_path / "f.bin"
    write_bytes_atomic(target, b"one")
    with pytest.raises(FileExistsError):
        write_bytes_atomic(target, b"two")
    assert target.read_bytes() == b"one"
    write_bytes_atomic(target, b"three", overwrite=True)
    assert target.read_bytes() == b"three"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]  # no temporary file left


# --- property test: random batches never lose or replace anything -------------------------------

_names = st.sampled_from(["a", "b", "A", "a_png", "c"])
_exts = st.sampled_from([".png", ".jpg", ".bmp", ".PNG"])
_entry = st.tuples(st.sampled_from(["in1", "in2"]), _names, _exts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(_entry, min_size=1, max_size=6, unique_by=lambda e: (e[0], (e[1] + e[2]).casefold())),
    out_choice=st.sampled_from(["fresh", "in1", "in1/sub"]),
    preexisting=st.lists(_names, max_size=2),
    overwrite=st.booleans(),
    command=st.sampled_from(["upscale", "degrade"]),
)
def test_batches_never_modify_inputs_or_lose_results(entries, out_choice, preexisting, overwrite, command):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for k, (folder, stem, ext) in enumerate(entries):
            _save(root / folder / f"{stem}{ext}", k, 8)
        out = root / out_choice
        out.mkdir(parents=True, exist_ok=True)
        for stem in preexisting:
            if not (out / f"{stem}.png").exists():
                (out / f"{stem}.png").write_bytes(b"earlier result")
        before = _digests(root)
        inputs = sorted({str(root / folder) for folder, _, _ in entries})
        args = [command, *inputs, "-o", str(out)] + (["--model", "bicubic"] if command == "upscale" else [])
        code = main([*args, "-q"] + (["--overwrite"] if overwrite else []))
        after = _digests(root)
        input_files = [root / f / f"{s}{e}" for f, s, e in entries]
        for path in input_files:  # no input is ever modified
            rel = str(path.relative_to(root))
            assert after[rel] == before[rel]
        if out_choice == "in1" and (root / "in1").exists() and str(root / "in1") in inputs:
            assert code == 2 and after == before  # in-place: refused before anything is written
            return
        names = output_names(input_files)
        written = 0
        for path in input_files:
            name = names[path]
            if name is None:
                continue
            dest = out / name
            rel = str(dest.relative_to(root))
            if rel in before and not overwrite:
                assert after[rel] == before[rel]  # kept, and reported through the exit status
            else:
                assert dest.is_file()
                written += 1
        # exit status: 0 only when every input's result was written
        assert (code == 0) == (written == len(input_files))
        assert code in (0, 1)
        assert list(out.rglob(".*.tmp-*")) == []  # no temporary file left behind
