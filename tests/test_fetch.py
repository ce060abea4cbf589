"""``srgan data fetch``: small fake files served by a local HTTP mirror (no internet), and the committed
manifest checked against the shared data folder where it is present."""

from __future__ import annotations

import functools
import hashlib
import http.server
import inspect
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from srgan import fetch
from srgan.cli import main
from srgan.paths import BENCHMARK_SETS, data_dir
from tests.conftest import requires_data

REPO, COMMIT = "someone/sr-data", "0123456789abcdef0123456789abcdef01234567"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def files(tmp_path, monkeypatch) -> dict[str, bytes]:
    """Two small fake files per set (HR and LR), a manifest naming them (``tmp_path/manifest.tsv``, see the
    ``manifest`` fixture), and ``tmp_path/shared``: a folder laid out like shared/data holding them."""
    contents = {}
    rows = ["\t".join(fetch.COLUMNS)]
    for i, name in enumerate(BENCHMARK_SETS):
        for folder in fetch.FOLDERS:
            path = f"{folder}/{name}/img {i}.png"  # a space: the URL must be quoted
            data = os.urandom(100 + 37 * i) + folder.encode()
            contents[path] = data
            rows.append("\t".join((path, REPO, COMMIT, f"src/{path}", str(len(data)), _sha256(data))))
            (tmp_path / "shared" / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "shared" / path).write_bytes(data)
    (tmp_path / "manifest.tsv").write_text("\n".join(rows) + "\n")
    monkeypatch.delenv(fetch.MIRROR_ENV, raising=False)
    return contents


@pytest.fixture
def manifest(tmp_path, files) -> Path:
    """The manifest of the fake files, to pass as ``manifest=`` (in place of the committed one)."""
    return tmp_path / "manifest.tsv"


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, *args) -> None:  # keep the server's access log out of the captured stderr
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def mirror(tmp_path, files):
    """A local HTTP server laid out like GitHub's raw host (``<repo>/<commit>/<path>``): (URL, its root,
    the request paths it served)."""
    root = tmp_path / "mirror"
    for path, data in files.items():
        target = root / REPO / COMMIT / "src" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    handler = type("Handler", (_Handler,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root, handler.requests
    server.shutdown()
    server.server_close()
    thread.join()


def _stray(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


def test_fetch_puts_every_file_in_place(files, manifest, mirror, tmp_path, capsys):
    url, _root, requests = mirror
    out = tmp_path / "data"
    assert fetch.fetch_command(to=out, mirror=url, manifest=manifest) == 0
    for path, data in files.items():
        assert (out / path).read_bytes() == data
    assert len(requests) == len(files)
    assert _stray(out) == []
    lines = capsys.readouterr().out.splitlines()
    for name in BENCHMARK_SETS:
        assert f"{name}: 2 files fetched, 0 already present" in lines
    assert any("research / non-commercial use only" in line and REPO in line for line in lines)
    assert lines[-1].startswith(f"Ready. To use them: export SRGAN_DATA={out.resolve()}")


def test_second_run_fetches_nothing(manifest, mirror, tmp_path, capsys):
    url, _root, requests = mirror
    out = tmp_path / "data"
    sets = ["Set5", "BSD100"]
    assert fetch.fetch_command(sets, out, mirror=url, manifest=manifest) == 0
    assert not (out / "benchmark" / "Set14").exists()
    served = len(requests)
    capsys.readouterr()
    assert fetch.fetch_command(sets, out, mirror=url, manifest=manifest) == 0
    assert len(requests) == served  # nothing downloaded again
    lines = capsys.readouterr().out.splitlines()
    assert "Set5: 0 files fetched, 2 already present" in lines
    assert "BSD100: 0 files fetched, 2 already present" in lines


def test_a_file_that_does_not_match_its_checksum_is_refused(files, manifest, mirror, tmp_path, capsys):
    url, root, _requests = mirror
    bad = "benchmark_lr_x4/Set14/img 1.png"
    served = root / REPO / COMMIT / "src" / bad
    served.write_bytes(b"X" + served.read_bytes()[1:])  # same size, other bytes
    out = tmp_path / "data"
    assert fetch.fetch_command(to=out, mirror=url, manifest=manifest) == 1
    assert not (out / bad).exists()
    assert _stray(out) == []  # no partial or temporary file left behind
    assert (out / "benchmark/Set14/img 1.png").read_bytes() == files["benchmark/Set14/img 1.png"]
    captured = capsys.readouterr()
    naming = [line for line in captured.err.splitlines() if bad in line]
    assert len(naming) == 1 and "refused" in naming[0]
    assert "Traceback" not in captured.err
    assert "Set14: 1 files fetched, 0 already present, 1 failed" in captured.out


def test_a_killed_run_is_completed(files, manifest, mirror, tmp_path, capsys):
    url, _root, _requests = mirror
    out = tmp_path / "data"
    assert fetch.fetch_command(to=out, mirror=url, manifest=manifest) == 0
    missing = out / "benchmark/Set5/img 0.png"
    missing.unlink()
    # what a kill during write_bytes_atomic leaves: a temporary file of a process that is gone
    dead_pid = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1 if Path("/proc").is_dir() else 2**22 + 1
    stale = missing.with_name(f".{missing.name}.tmp-{dead_pid}")
    stale.write_bytes(files["benchmark/Set5/img 0.png"][:10])
    live = missing.with_name(f".{missing.name}.tmp-{os.getppid()}")  # a writer still running: not touched
    live.write_bytes(b"in progress")
    capsys.readouterr()
    counts = fetch.fetch(out, mirror=url, manifest=manifest)  # the library call, as the command makes it
    assert counts["Set5"] == fetch.SetCounts(fetched=1, present=1)
    assert missing.read_bytes() == files["benchmark/Set5/img 0.png"]
    assert "Set5: 1 files fetched, 1 already present" in capsys.readouterr().out.splitlines()
    if os.name == "posix":
        assert not stale.exists()
        assert live.exists()


def test_a_present_file_with_another_checksum_is_left_alone_unless_overwrite(files, manifest, mirror, tmp_path, capsys):
    url, _root, _requests = mirror
    out = tmp_path / "data"
    mine = out / "benchmark/BSD100/img 2.png"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"my own file")
    assert fetch.fetch_command(to=out, mirror=url, manifest=manifest) == 1
    assert mine.read_bytes() == b"my own file"
    assert any(str(mine) in line and "--overwrite" in line for line in capsys.readouterr().err.splitlines())
    assert fetch.fetch_command(to=out, mirror=url, overwrite=True, manifest=manifest) == 0
    assert mine.read_bytes() == files["benchmark/BSD100/img 2.png"]


def test_from_a_local_folder(files, manifest, tmp_path, capsys):
    out, shared = tmp_path / "data", tmp_path / "shared"
    assert fetch.fetch_command(to=out, source_dir=shared, manifest=manifest) == 0
    for path, data in files.items():
        assert (out / path).read_bytes() == data
    (shared / "benchmark/Set5/img 0.png").unlink()  # a source folder with a file missing
    (out / "benchmark/Set5/img 0.png").unlink()
    capsys.readouterr()
    assert fetch.fetch_command(["Set5"], out, source_dir=shared, manifest=manifest) == 1
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("benchmark/Set5/img 0.png: cannot read") for line in err)
    # a missing --from folder is refused before anything is read: a usage error of the command
    assert main(["data", "fetch", "--to", str(out), "--from", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_the_command_passes_its_flags_to_fetch_command(monkeypatch, tmp_path):
    calls, real = [], fetch.fetch_command
    monkeypatch.setattr(fetch, "fetch_command", lambda *args, **kwargs: calls.append((args, kwargs)) or 0)
    cmd = ["data", "fetch", "--to", str(tmp_path), "--sets", "Set5", "BSD100", "--mirror", "http://m", "--overwrite"]
    assert main(cmd) == 0
    [(args, kwargs)] = calls
    given = inspect.signature(real).bind(*args, **kwargs).arguments
    assert list(given["sets"]) == ["Set5", "BSD100"] and given["to"] == str(tmp_path)
    assert given["mirror"] == "http://m" and not given["source_dir"] and given["overwrite"] is True
    assert "manifest" not in given  # the committed one


def test_a_mirror_that_is_no_url_is_refused(manifest, tmp_path):
    with pytest.raises(ValueError, match="not an http\\(s\\) or file URL"):
        fetch.fetch_command(to=tmp_path / "data", mirror="ftp://example.org", manifest=manifest)


def test_an_unreachable_mirror_is_one_line_and_exit_1(manifest, tmp_path, capsys):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "data"
    assert fetch.fetch_command(to=out, mirror=f"http://127.0.0.1:{port}", manifest=manifest) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "could not download" in err[0] and "--from DIR" in err[0]
    assert not [p for p in out.rglob("*") if p.is_file()]  # nothing written (rglob of a missing folder: none)


def test_defaults_come_from_the_environment(manifest, mirror, tmp_path, monkeypatch, capsys):
    url, _root, requests = mirror
    monkeypatch.setenv(fetch.MIRROR_ENV, url)
    monkeypatch.setenv("SRGAN_DATA", str(tmp_path / "env-data"))
    assert fetch.fetch_command(["Set5"], manifest=manifest) == 0
    assert (tmp_path / "env-data/benchmark_lr_x4/Set5/img 0.png").is_file()
    assert len(requests) == 2
    assert capsys.readouterr().out.splitlines()[-1].startswith("Ready: the benchmarks are in")


def test_importing_fetch_leaves_the_network_modules_unimported():
    # every CLI command imports srgan.fetch (for its flags); only a download needs these
    heavy = ["urllib.request", "ssl", "http.client", "concurrent.futures"]
    code = f"import sys, srgan.fetch; print([m for m in {heavy!r} if m in sys.modules])"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_committed_manifest_lists_the_benchmark_files_only():
    entries = fetch.read_manifest()
    per_set = {name: sorted(e.path for e in entries if e.set_name == name) for name in BENCHMARK_SETS}
    assert {name: len(paths) for name, paths in per_set.items()} == {"Set5": 10, "Set14": 28, "BSD100": 200}
    assert len(entries) == 238
    for paths in per_set.values():  # every HR image has its LR, under the same name
        hr = [p.split("/", 1)[1] for p in paths if p.startswith("benchmark/")]
        lr = [p.split("/", 1)[1] for p in paths if p.startswith("benchmark_lr_x4/")]
        assert hr == lr
    assert {e.source_repo for e in entries} == {"majedelhelou/denoising_datasets", "jbhuang0604/SelfExSR"}
    assert all(len(e.source_commit) == 40 for e in entries)
    url = entries[0].url(fetch.DEFAULT_MIRROR)
    assert url.startswith("https://raw.githubusercontent.com/jbhuang0604/SelfExSR/8f6dd8c1")


def test_make_manifest_keeps_the_benchmark_rows_and_checks_the_files(tmp_path):
    src = tmp_path / "shared"
    rows, sums = [], []
    for path in [f"{f}/{s}/a.png" for f in fetch.FOLDERS for s in BENCHMARK_SETS] + ["train/T91/t1.png"]:
        data = path.encode()
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_bytes(data)
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        rows.append(f"{path}\t{REPO}\t{COMMIT}\tup/{path}\t{blob}")
        sums.append(f"{_sha256(data)}  {path}")
    header = "path\tsource_repo\tsource_commit\tsource_path\tgit_blob_sha1\n"
    (src / "PROVENANCE.tsv").write_text(header + "\n".join(rows))
    (src / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    out = tmp_path / "m.tsv"
    assert fetch.make_manifest(src, out) == 6
    entries = fetch.read_manifest(out)
    assert sorted(e.path for e in entries) == sorted(f"{f}/{s}/a.png" for f in fetch.FOLDERS for s in BENCHMARK_SETS)
    assert all(e.source_path == f"up/{e.path}" and e.size == len(e.path) for e in entries)
    (src / "benchmark/Set5/a.png").write_bytes(b"changed")
    with pytest.raises(ValueError, match="SHA256SUMS"):
        fetch.make_manifest(src, out)


@requires_data
@pytest.mark.data
def test_the_committed_manifest_matches_the_shared_data(tmp_path):
    root = data_dir()
    for e in fetch.read_manifest():
        path = root / e.path
        assert path.is_file(), path
        assert path.stat().st_size == e.size, path
        assert _sha256(path.read_bytes()) == e.sha256, path
    if (root / "PROVENANCE.tsv").is_file():  # and regenerating it from there gives the same bytes
        assert fetch.make_manifest(root, tmp_path / "m.tsv") == 238
        assert (tmp_path / "m.tsv").read_bytes() == fetch.MANIFEST.read_bytes()
