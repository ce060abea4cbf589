"""A training run's checkpoints, and the crash-safe writes of its other files.

A run folder holds::

    checkpoints/step-000250/  generator.weights.h5, discriminator.weights.h5 (gan), g_opt.npz, d_opt.npz (gan),
                              best.weights.h5 (the best generator so far, once validated), state.json (step,
                              best_step, best_psnr, train_seconds, hardware, config), manifest.json (size and
                              SHA-256 of each of those files)
    checkpoints/latest.json   {"step": 250, "folder": "step-000250"}: the pointer to the newest complete one

A checkpoint is written into ``checkpoints/.tmp-step-000250/``, every file fsynced, the manifest
last; the folder is then renamed into place and the pointer replaced atomically (temp file, fsync,
``os.replace``). Older folders are deleted only after that, and the one before stays: a kill at any
moment leaves a complete checkpoint that the pointer (or, without one, a scan) finds, and the
manifest tells a damaged file from a good one.

Runs written before this layout hold ``checkpoint/state.json`` (and, killed mid-rotation,
``checkpoint.tmp``/``checkpoint.old``): they are read as further candidates, without a manifest.
Paths are stored relative to the run, so a moved or copied run stays whole.

A little over the project's ~300 lines on purpose: the store and every crash-safe write of a run
(logs, best generator, rewinding) go through one hook, :func:`_fs_step`, at which the crash tests
kill the process before each filesystem change; split in two, a write could escape those tests.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from srgan.files import sha256_file

CHECKPOINTS = "checkpoints"
POINTER = "latest.json"
STATE, MANIFEST = "state.json", "manifest.json"
LEGACY = ("checkpoint", "checkpoint.tmp", "checkpoint.old")  # the layout before numbered checkpoints
_STEP_FOLDER = re.compile(r"step-(\d+)")
TMP = ".tmp-"  # prefix of files and folders being written


class CheckpointError(ValueError):
    """No checkpoint to resume from: one line naming the run folder and why."""


class CheckpointMismatch(ValueError):
    """The checkpoint belongs to another configuration (not damage: no fall-back)."""


def _fs_step(action: str, path: Path) -> None:
    """Called before each filesystem change (mkdir, write, append, fsync, rename, replace, delete);
    crash tests replace it to kill the process at a chosen step."""


# --- crash-safe file operations -----------------------------------------------------------------


def _fsync(path: Path, flags: int = os.O_RDWR) -> None:
    _fs_step("fsync", path)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Make a rename or replace inside ``path`` durable (POSIX; elsewhere directories cannot be opened)."""
    if os.name == "posix":
        _fsync(path, os.O_RDONLY)


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through ``write(tmp)`` into a temp file beside it, fsync it and ``os.replace`` it:
    readers see the old file or the new one, never a part. The temp name keeps the file's suffix
    (Keras' ``save_weights`` wants ``.weights.h5``)."""
    path = Path(path)
    tmp = path.with_name(TMP + path.name)
    _fs_step("write", tmp)
    write(tmp)
    _fsync(tmp)
    _fs_step("replace", path)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(text.encode()))  # bytes: no newline translation


def atomic_copy(src: Path, dst: Path) -> None:
    atomic_write(dst, lambda tmp: shutil.copyfile(src, tmp))


def remove(path: Path) -> None:
    """Delete a file or a folder (a checkpoint folder's manifest first, so a half-deleted folder reads as damaged)."""
    path = Path(path)
    if path.is_dir():
        for marker in (MANIFEST, STATE):
            if (path / marker).exists():
                _fs_step("delete", path / marker)
                (path / marker).unlink()
        _fs_step("delete", path)
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        _fs_step("delete", path)
        path.unlink()


def append_csv_row(path: Path, row: dict) -> None:
    """Append a row to a CSV file, with a header when the file is new."""
    new = not path.exists()
    text = io.StringIO()
    w = csv.DictWriter(text, fieldnames=list(row))
    if new:
        w.writeheader()
    w.writerow(row)
    _fs_step("append", path)
    with path.open("a", newline="") as f:
        f.write(text.getvalue())


def truncate_csv(path: Path, last_step: int) -> None:
    """Keep the rows of ``path`` with ``step <= last_step`` (rows of steps a resumed run discards, and
    a row cut short by a crash, go); rewritten atomically, removed when no row is left."""
    if not path.is_file():
        return
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames or [], list(reader)
    kept = [r for r in rows if _row_step(r, fields) is not None and _row_step(r, fields) <= last_step]
    if len(kept) == len(rows):
        return
    if not kept:
        remove(path)
        return
    text = io.StringIO()
    w = csv.DictWriter(text, fieldnames=fields)
    w.writeheader()
    w.writerows(kept)
    atomic_write_text(path, text.getvalue())


def _row_step(row: dict, fields: list[str]) -> int | None:
    if None in row or any(row.get(k) in (None, "") for k in fields):  # a row cut short or run on
        return None
    try:
        return int(float(row["step"]))
    except (KeyError, ValueError):
        return None


def rewind_run(run: Path, step: int, checkpoint: Path | None = None, state: dict | None = None) -> None:
    """Bring a run's records back to ``step``, the step it resumes from (``checkpoint``, whose state
    is ``state``) or 0 for a fresh start: rows of later steps leave log.csv and val.csv,
    best.weights.h5 becomes the checkpoint's best generator, and temp files of killed writes go.
    Checkpoints of the older layout do not record their best generator: best.weights.h5 stays."""
    run = Path(run)
    for name in ("log.csv", "val.csv"):
        truncate_csv(run / name, step)
    for leftover in [*run.glob(TMP + "*"), *run.glob(f"snapshots/{TMP}*")]:
        remove(leftover)
    if checkpoint is None or "best_step" not in (state or {}):
        return
    if state["best_step"] is None:
        remove(run / "best.weights.h5")  # the generator of a discarded step
    elif (checkpoint / "best.weights.h5").is_file():
        atomic_copy(checkpoint / "best.weights.h5", run / "best.weights.h5")


def file_digest(path: Path) -> dict:
    """A checkpoint manifest's record of a file: {"size": bytes, "sha256": hex}."""
    digest = sha256_file(path)
    return {"size": Path(path).stat().st_size, "sha256": digest}


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# --- the store --------------------------------------------------------------------------------


def step_of(folder: Path) -> int | None:
    m = _STEP_FOLDER.fullmatch(folder.name)
    return int(m.group(1)) if m else None


class CheckpointStore:
    """The checkpoints of one run folder (see the module doc)."""

    def __init__(self, run: str | Path):
        self.run = Path(run)
        self.root = self.run / CHECKPOINTS
        self.last: Path | None = None  # committed or restored by this process: kept until the next commit

    def _pointer_target(self) -> Path | None:
        try:
            data = json.loads((self.root / POINTER).read_text())
            folder = self.root / data["folder"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        ok = step_of(folder) is not None and folder.parent == self.root and folder.is_dir()
        return folder if ok else None

    def candidates(self) -> list[Path]:
        """Checkpoint folders to try, best first: the pointer's, the older numbered ones, then older-layout ones.

        Numbered folders newer than the pointer's were never committed: the run went on from the pointer's step.
        """
        numbered = sorted(
            (p for p in (self.root.iterdir() if self.root.is_dir() else []) if step_of(p) is not None and p.is_dir()),
            key=step_of,
            reverse=True,
        )
        pointed = self._pointer_target()
        if pointed is not None:
            numbered = [pointed, *(p for p in numbered if step_of(p) < step_of(pointed))]
        legacy = [self.run / name for name in LEGACY if (self.run / name / STATE).is_file()]
        return numbered + sorted(legacy, key=_legacy_step, reverse=True)

    def verify(self, folder: Path) -> dict:
        """The checkpoint's state, after checking each file against the manifest; raises on damage."""
        if step_of(folder) is None:  # the older layout: no manifest, the loading tells
            return json.loads((folder / STATE).read_text())
        if not (folder / MANIFEST).is_file():
            raise ValueError("no manifest.json (written last: the checkpoint is incomplete)")
        manifest = json.loads((folder / MANIFEST).read_text())
        for name, want in manifest["files"].items():
            path = folder / name
            if not path.is_file():
                raise ValueError(f"{name} is missing")
            size = path.stat().st_size
            if size != want["size"]:
                raise ValueError(f"{name} is {size} bytes, its manifest says {want['size']}")
            if sha256_file(path) != want["sha256"]:
                raise ValueError(f"{name} differs from its manifest (SHA-256)")
        state = json.loads((folder / STATE).read_text())
        if state.get("step") != step_of(folder):
            raise ValueError(f"state.json says step {state.get('step')}")
        return state

    def latest(self) -> tuple[Path, dict]:
        """(folder, state) of the newest checkpoint whose files verify; :class:`CheckpointError` if none."""
        return self._first_good(lambda folder, state: None)[:2]

    def load(self, read: Callable[[Path, dict], None]) -> tuple[Path, dict, list[str]]:
        """Load the newest good checkpoint through ``read(folder, state)`` (which raises on a file it
        cannot load); returns (folder, state, [why each newer checkpoint was passed over])."""
        folder, state, skipped = self._first_good(read)
        self.last = folder
        return folder, state, skipped

    def _first_good(self, read: Callable[[Path, dict], None]) -> tuple[Path, dict, list[str]]:
        candidates = self.candidates()
        if not candidates:
            raise CheckpointError(f"no checkpoint in {self.run}; run without --resume to start")
        skipped = []
        for folder in candidates:
            try:
                state = self.verify(folder)
                read(folder, state)
            except CheckpointMismatch:
                raise
            except Exception as e:  # any damage (h5py, zip, JSON, sizes): try the one before
                skipped.append(f"{folder.relative_to(self.run)} is damaged: {_one_line(e)}")
                continue
            return folder, state, skipped
        raise CheckpointError(f"no usable checkpoint in {self.run}: " + "; ".join(skipped))

    def save(self, step: int, files: dict[str, Callable[[Path], object]], state: dict) -> Path:
        """Write checkpoint ``step``: ``files`` maps each file name to a function writing it at the
        path given; ``state`` goes to state.json. Returns the committed folder."""
        name = f"step-{step:06d}"
        tmp, final = self.root / (TMP + name), self.root / name
        if not self.root.is_dir():
            _fs_step("mkdir", self.root)
            self.root.mkdir(parents=True, exist_ok=True)
            _fsync_dir(self.run)
        remove(tmp)  # left by a killed save
        _fs_step("mkdir", tmp)
        tmp.mkdir()
        digests = {}
        writers = {**files, STATE: lambda p: Path(p).write_text(json.dumps(state, indent=2))}
        for file_name, write in writers.items():
            path = tmp / file_name
            _fs_step("write", path)
            write(path)
            _fsync(path)
            digests[file_name] = file_digest(path)
        _fs_step("write", tmp / MANIFEST)
        (tmp / MANIFEST).write_text(json.dumps({"step": step, "files": digests}, indent=2))
        _fsync(tmp / MANIFEST)
        _fsync_dir(tmp)
        previous = self.last or self._pointer_target()
        if final.exists():  # an uncommitted or damaged folder of steps the run went back on (never `previous`)
            remove(final)
        _fs_step("rename", final)
        os.rename(tmp, final)
        _fsync_dir(self.root)
        atomic_write_text(self.root / POINTER, json.dumps({"step": step, "folder": name}) + "\n")
        self.last = final
        self._prune(keep={final, previous})
        return final

    def _prune(self, keep: set) -> None:
        """Delete every checkpoint but ``keep`` (the new one and the one before), and temp leftovers."""
        for path in sorted(self.root.iterdir()):
            if path.name != POINTER and path not in keep:
                remove(path)
        for name in LEGACY:
            if (self.run / name).exists() and self.run / name not in keep:
                remove(self.run / name)


def _legacy_step(folder: Path) -> int:
    try:
        return int(json.loads((folder / STATE).read_text())["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def latest(run: str | Path) -> tuple[Path, dict]:
    """(folder, state) of a run's newest checkpoint whose files verify; :class:`CheckpointError` if none."""
    return CheckpointStore(run).latest()


def latest_state(run: str | Path) -> dict:
    """The state (step, best_step, train_seconds, hardware, config, ...) of a run's newest good checkpoint."""
    return latest(run)[1]
