"""Writing files so that a kill, a full disk or a second writer never leaves a half-written file
under the final name, and an existing file is replaced only when the caller says so.

Every write goes to a temporary file in the destination's own folder (same filesystem, so the
final step is one atomic rename), is flushed to disk, and then takes the final name.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path


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
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
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
