"""Getting the benchmark sets (Set5, Set14, BSD100: HR and reference x4 LR): ``python -m srgan data fetch``.

Every file is named in a committed manifest, ``srgan/data/benchmarks_manifest.tsv``: its path under the data
folder, the public GitHub repository, commit and path it was taken from byte for byte, its size and sha256.
A file is downloaded from ``<mirror>/<repo>/<commit>/<source path>`` (by default GitHub's raw file host) or
copied from a local folder laid out like the shared data folder (``--from``), checked against its size and
sha256 while in memory, and only then written, atomically (:func:`srgan.files.write_bytes_atomic`). Files
already in place with the right checksum are skipped, so a killed fetch resumes when run again.

The manifest is made from the shared data folder's ``PROVENANCE.tsv`` and ``SHA256SUMS``::

    python -m srgan.fetch --make-manifest ../shared/data

A little over the project's ~300 lines on purpose: the manifest's reader and its maker share the one
:class:`Entry` format, and the fetch is its only user.
"""

from __future__ import annotations

# Only what reading the manifest needs is imported here: every CLI command imports this module (for
# `data fetch`'s flags), so the network and thread-pool modules are imported by the functions that download.
import argparse
import hashlib
import os
import re
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from srgan import __version__
from srgan.files import remove_stale_temps, sha256_file, write_bytes_atomic, write_text_atomic
from srgan.paths import BENCHMARK_HR_FOLDER, BENCHMARK_LR_FOLDER, BENCHMARK_SETS, data_dir

FOLDERS = (BENCHMARK_HR_FOLDER, BENCHMARK_LR_FOLDER)  # the data folder's folders a manifest may write into
MANIFEST = Path(__file__).resolve().parent / "data" / "benchmarks_manifest.tsv"
COLUMNS = ("path", "source_repo", "source_commit", "source_path", "size", "sha256")
DEFAULT_MIRROR = "https://raw.githubusercontent.com"
MIRROR_ENV = "SRGAN_DATA_MIRROR"
TIMEOUT_S = 30.0
WORKERS = 8  # parallel downloads: one TLS connection per file, so latency, not bandwidth, is what limits


class FetchError(Exception):
    """The source could not be reached (network, mirror): the fetch stopped; what was written is kept."""


@dataclass(frozen=True)
class Entry:
    """One manifest row: a file of the data folder and where it comes from."""

    path: str  # relative to the data folder, e.g. benchmark/Set5/baby.png
    source_repo: str  # owner/name on GitHub
    source_commit: str
    source_path: str  # path inside the repository at that commit
    size: int
    sha256: str

    @property
    def set_name(self) -> str:
        return self.path.split("/")[1]

    def url(self, mirror: str) -> str:
        """Where ``mirror`` serves this file: ``<mirror>/<repo>/<commit>/<source path>``."""
        return f"{mirror.rstrip('/')}/{self.source_repo}/{self.source_commit}/{urllib.parse.quote(self.source_path)}"


@dataclass
class SetCounts:
    """What a fetch did for one set."""

    fetched: int = 0
    present: int = 0
    failed: int = 0


def read_manifest(path: str | Path | None = None) -> list[Entry]:
    """The manifest's rows (default: the committed ``srgan/data/benchmarks_manifest.tsv``)."""
    path = Path(path) if path else MANIFEST
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise ValueError(f"{path}: not a benchmarks manifest (its header must be: {' '.join(COLUMNS)})")
    entries = []
    for n, line in enumerate(lines[1:], 2):
        fields = line.split("\t")
        if len(fields) != len(COLUMNS) or not fields[4].isdigit() or not re.fullmatch(r"[0-9a-f]{64}", fields[5]):
            raise ValueError(f"{path}:{n}: malformed row")
        entry = Entry(*fields[:4], size=int(fields[4]), sha256=fields[5])
        parts = entry.path.split("/")
        # rows name where files are written: nothing outside the data folder's benchmark folders
        if len(parts) != 3 or parts[0] not in FOLDERS or ".." in parts or not all(parts):
            raise ValueError(f"{path}:{n}: {entry.path!r} is not a benchmark file path")
        entries.append(entry)
    return entries


def _sha256(data: bytes) -> str:
    """The hex SHA-256 of ``data`` (a file read into memory, checked before it is written)."""
    return hashlib.sha256(data).hexdigest()


def make_manifest(src_dir: str | Path, out: str | Path | None = None, sets: Sequence[str] = BENCHMARK_SETS) -> int:
    """Write the manifest of ``sets`` (HR and x4 LR) from a shared data folder's ``PROVENANCE.tsv`` and
    ``SHA256SUMS``, after checking every file there against both (sha256, and git blob sha1: the file is
    the repository's blob). Returns the number of rows written."""
    src = Path(src_dir)
    sums = {}
    for line in (src / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        sums[name.strip()] = digest.strip()
    prefixes = tuple(f"{folder}/{name}/" for folder in FOLDERS for name in sets)
    rows = []
    provenance = (src / "PROVENANCE.tsv").read_text(encoding="utf-8").splitlines()
    for line in provenance[1:]:
        path, repo, commit, source_path, blob_sha1 = line.split("\t")
        if not path.startswith(prefixes):
            continue
        data = (src / path).read_bytes()
        digest = _sha256(data)
        if sums.get(path) != digest:
            raise ValueError(f"{src / path}: sha256 {digest} is not the one SHA256SUMS lists")
        if hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() != blob_sha1:
            raise ValueError(f"{src / path}: not the git blob {blob_sha1} that PROVENANCE.tsv names")
        rows.append((path, repo, commit, source_path, str(len(data)), digest))
    for prefix in prefixes:
        if not any(row[0].startswith(prefix) for row in rows):
            raise ValueError(f"{src}: PROVENANCE.tsv lists no file under {prefix}")
    rows.sort()
    text = "".join("\t".join(row) + "\n" for row in [COLUMNS, *rows])
    write_text_atomic(Path(out) if out else MANIFEST, text)
    return len(rows)


def _download(url: str, size: int) -> bytes:
    """The file at ``url`` (at most ``size`` + 1 bytes), or :class:`FetchError` saying why not."""
    import http.client
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": f"srgan-studio/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.read(size + 1)  # one byte more than expected shows a wrong file without reading it all
    except urllib.error.HTTPError as e:
        raise FetchError(f"HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise FetchError(str(e.reason)) from None
    except (OSError, http.client.HTTPException) as e:  # timeouts, resets, bad responses
        raise FetchError(str(e) or type(e).__name__) from None


def _checked(
    sets: Iterable[str], source_dir: str | Path | None, mirror: str | None
) -> tuple[list[str], Path | None, str]:
    """The sets (deduplicated), the source folder and the mirror URL, or ValueError saying what is wrong."""
    sets = list(dict.fromkeys(sets))
    unknown = [s for s in sets if s not in BENCHMARK_SETS]
    if unknown:
        raise ValueError(f"unknown set {', '.join(unknown)} (choose from {', '.join(BENCHMARK_SETS)})")
    source = Path(source_dir) if source_dir else None
    if source is not None and not source.is_dir():
        raise ValueError(f"--from {source}: no such folder")
    mirror = mirror or os.environ.get(MIRROR_ENV) or DEFAULT_MIRROR
    if source is None and urllib.parse.urlsplit(mirror).scheme not in ("http", "https", "file"):
        raise ValueError(f"mirror {mirror!r}: not an http(s) or file URL")
    return sets, source, mirror


def fetch(
    to: str | Path | None = None,
    sets: Iterable[str] = BENCHMARK_SETS,
    *,
    source_dir: str | Path | None = None,
    mirror: str | None = None,
    overwrite: bool = False,
    manifest: str | Path | None = None,
    log: Callable[[str], None] = print,
    problem: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> dict[str, SetCounts]:
    """Put the benchmark files of ``sets`` under ``to`` (default :func:`srgan.paths.data_dir`).

    Files come from ``source_dir`` (a folder laid out like the shared data folder) if given, else from
    ``mirror`` (default ``$SRGAN_DATA_MIRROR``, else GitHub's raw file host). Each is checked against the
    size and sha256 in ``manifest`` (default the committed one) before it is written; a mismatch is refused
    (``problem`` gets one line) and nothing is written. A file already present with the right checksum is
    skipped; one with another checksum is reported and left alone unless ``overwrite``. ``log`` gets one
    line per set.

    Raises :class:`FetchError` when the mirror cannot be reached (files written so far are kept: running
    again resumes) and ValueError for an unknown set, a missing ``source_dir`` or a bad mirror URL.
    """
    sets, source, mirror = _checked(sets, source_dir, mirror)
    target = Path(to) if to else data_dir()
    return _fetch_checked(target, sets, source, mirror, read_manifest(manifest), overwrite, log, problem)


def _fetch_checked(
    to: Path,
    sets: list[str],
    source: Path | None,
    mirror: str,
    entries: list[Entry],
    overwrite: bool,
    log: Callable[[str], None],
    problem: Callable[[str], None],
) -> dict[str, SetCounts]:
    """:func:`fetch` with its arguments already checked (:func:`_checked`) and the manifest read."""
    from concurrent.futures import ThreadPoolExecutor

    def get(entry: Entry) -> str:
        """fetched, present or failed (its line already given to ``problem``)."""
        dest = to / entry.path
        remove_stale_temps(dest)  # this thread is the only writer of dest in this process
        replace = False
        if dest.exists():
            if dest.is_file() and dest.stat().st_size == entry.size and sha256_file(dest) == entry.sha256:
                return "present"
            if not overwrite:
                problem(f"{dest}: exists but is not the manifest's file (sha256 differs); left alone (use --overwrite)")
                return "failed"
            replace = True
        if source is not None:
            origin = source / entry.path
            try:
                data = origin.read_bytes()
            except OSError as e:
                problem(f"{entry.path}: cannot read {origin} ({e.strerror or e}); not fetched")
                return "failed"
        else:
            origin = entry.url(mirror)
            try:
                data = _download(origin, entry.size)
            except FetchError as e:
                raise FetchError(f"could not download {entry.path} from {origin}: {e}") from None
        if len(data) != entry.size or _sha256(data) != entry.sha256:
            problem(f"{entry.path}: {origin} does not match the manifest's size and sha256; refused, nothing written")
            return "failed"
        try:
            write_bytes_atomic(dest, data, overwrite=replace)
        except FileExistsError:  # another fetch wrote it meanwhile: fine if it is the same file
            if sha256_file(dest) == entry.sha256:
                return "present"
            problem(f"{dest}: appeared meanwhile and is not the manifest's file; left alone")
            return "failed"
        return "fetched"

    counts: dict[str, SetCounts] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for name in sets:
            todo = [e for e in entries if e.set_name == name]
            if not todo:
                raise ValueError(f"the manifest lists no file of {name}")
            counts[name] = SetCounts()
            try:
                for status in pool.map(get, todo):
                    setattr(counts[name], status, getattr(counts[name], status) + 1)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # those running finish (atomic writes); no more start
                raise
            c = counts[name]
            log(
                f"{name}: {c.fetched} files fetched, {c.present} already present"
                + (f", {c.failed} failed" if c.failed else "")
            )
    return counts


def fetch_command(
    sets: Iterable[str] = BENCHMARK_SETS,
    to: str | Path | None = None,
    source_dir: str | Path | None = None,
    mirror: str | None = None,
    overwrite: bool = False,
    manifest: str | Path | None = None,
    log: Callable[[str], None] = print,
    err: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> int:
    """``srgan data fetch``: :func:`fetch` with the lines a user needs around it (``manifest``: default the
    committed one). Returns the exit status: 0, or 1 when a file failed or the source could not be reached
    (one line on ``err``). ValueError for bad arguments (see :func:`fetch`)."""
    sets, source, mirror = _checked(sets, source_dir, mirror)
    target = Path(to) if to else data_dir()
    entries = [e for e in read_manifest(manifest) if e.set_name in sets]
    mib = sum(e.size for e in entries) / 2**20
    origin = str(source) if source else mirror
    log(f"{', '.join(sets)} (HR and x4 LR, {len(entries)} files, {mib:.1f} MiB) from {origin} into {target}")
    repos = sorted({e.source_repo for e in entries})
    log(
        "These images are third-party research data: research / non-commercial use only, cite the original "
        f"papers; sources: {', '.join('https://github.com/' + r for r in repos)} (each file's commit and path: "
        "srgan/data/benchmarks_manifest.tsv)"
    )
    try:
        counts = _fetch_checked(target, sets, source, mirror, entries, overwrite, log, err)
    except FetchError as e:
        err(
            f"{e}. Files fetched so far are kept: run the command again to resume. Without internet, copy a "
            f"shared data folder (with {BENCHMARK_HR_FOLDER}/ and {BENCHMARK_LR_FOLDER}/) here and run: "
            "python -m srgan data fetch --from DIR"
        )
        return 1
    except OSError as e:  # the target folder cannot be written (permissions, full disk)
        err(f"{e.filename or target}: {e.strerror or e}; nothing more fetched (files fetched so far are kept)")
        return 1
    failed = sum(c.failed for c in counts.values())
    if failed:
        err(f"{failed} file(s) not in place (see the lines above); run the command again once that is fixed")
        return 1
    if target.resolve() == data_dir().resolve():
        log(f"Ready: the benchmarks are in {target}, where srgan looks (e.g. python -m srgan evaluate --benchmarks)")
    else:
        log(f"Ready. To use them: export SRGAN_DATA={target.resolve()} (then: python -m srgan evaluate --benchmarks)")
    return 0


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m srgan.fetch", description="Regenerate the benchmarks manifest.")
    p.add_argument("--make-manifest", metavar="SRC_DIR", required=True, help="shared data folder to read")
    p.add_argument("--out", metavar="FILE", help=f"manifest to write (default {MANIFEST})")
    args = p.parse_args(argv)
    try:
        n = make_manifest(args.make_manifest, args.out)
    except (OSError, ValueError) as e:
        print(f"srgan.fetch: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out or MANIFEST} ({n} files)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
