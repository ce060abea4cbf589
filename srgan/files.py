"""Writing files so that a kill, a full disk or a second writer never leaves a half-written file
under the final name, and an existing file is replaced only when the caller says so.

Every write goes to a temporary file in the destination's own folder (same filesystem, so the
final step is one atomic rename), is flushed to disk, and then takes the final name.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
from pathlib import Path

_TMP_MARK = ".tmp-"  # temporary files are named .<name>.tmp-<pid> (the writer's process id)


def _temp_path(path: Path) -> Path:
    """The temporary file this process writes ``path`` through (hidden, in the same folder)."""
    return path.with_name(f".{path.name}{_TMP_MARK}{os.getpid()}")


def remove_stale_temps(path: str | Path) -> None:
    """Remove the temporary files that killed earlier writes of ``path`` left behind.

    Only call it where this process is the only writer of ``path`` (its own temporary file is removed too).
    """
    # A temporary file whose writer process is gone (or is this one: the caller is the only writer) is
    # stale. Liveness is asked of POSIX only, where kill(pid, 0) just checks; elsewhere they are left alone.
    path = Path(path)
    if os.name != "posix" or not path.parent.is_dir():
        return
    for tmp in path.parent.glob(f".{glob.escape(path.name)}{_TMP_MARK}*"):
        pid = tmp.name.rpartition(_TMP_MARK)[2]
        if not pid.isdigit():
            continue
        if int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                continue  # that writer is still running
            except ProcessLookupError:
                pass
            except OSError:  # e.g. another user's process: alive
                continue
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def sha256_file(path: str | Path) -> str:
    """The hex SHA-256 of the file at ``path``."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):  # in blocks, so a large file is never held in memory whole
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(folder: Path) -> None:
    # the rename itself is durable only once the folder's entry is on disk (POSIX; not on Windows)
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomic(path: str | Path, data: bytes, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` all or nothing; parent folders are created.

    With ``overwrite=False`` an existing ``path`` is left untouched and :class:`FileExistsError`
    is raised, also when another process creates it meanwhile (the final step is a hard link,
    which fails on an existing name; where links are unsupported, a check just before the rename).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and path.exists():
        raise FileExistsError(errno.EEXIST, "exists; not overwritten", str(path))
    tmp = _temp_path(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsError(errno.EEXIST, "exists; not overwritten", str(path)) from None
            except OSError:  # a filesystem without hard links
                if path.exists():
                    raise FileExistsError(errno.EEXIST, "exists; not overwritten", str(path)) from None
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(path.parent)
    return path


def write_text_atomic(path: str | Path, text: str, overwrite: bool = True) -> Path:
    """:func:`write_bytes_atomic` for UTF-8 text; replaces by default (results files the user named)."""
    return write_bytes_atomic(path, text.encode("utf-8"), overwrite=overwrite)
