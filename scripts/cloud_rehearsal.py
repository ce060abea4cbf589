"""Streamlit Community Cloud rehearsal: deploy the app as Cloud would, then use it as a visitor.

1. Copies the repository as Cloud clones it (``git ls-files``, plus untracked files that git does not
   ignore, so the working tree is what is rehearsed) into a fresh temporary folder, with no
   ``../shared`` research data beside it and no ``.venv``.
2. Makes a fresh virtual environment from ``requirements.txt`` alone: ``uv venv`` and
   ``uv pip install -r requirements.txt`` (uv from PyPI, installed by pip into a small bootstrap venv
   when it is not at hand). ``--cache-dir`` is uv's cache, kept between runs so a second one is fast.
3. Runs ``python -m streamlit run streamlit_app.py`` from the copy's root with that environment's
   Python, on a free loopback port, timing its start (process start to ``/_stcore/health`` = 200) and
   sampling its resident memory every ~50 ms (VmRSS, and VmHWM at the end).
4. Drives it in headless Chromium (the dev environment's selenium, ``tests.support.browser.make_driver``):
   the landing page until the example's PSNR numbers show, the Architecture and Benchmarks pages
   through the sidebar, then an upload of a generated 512×512 PNG as "High-res image" until its
   PSNR shows. Each page must show its title and no exception or error element.
5. Reports JSON (``--json PATH``) and a short summary; exits 1 when a page or step failed or timed out.

Bounded and self-stopping: every wait has a timeout, the server and browser are always stopped, and
all traffic goes to 127.0.0.1 (the install itself reaches PyPI through uv, by package name).

    .venv/bin/python scripts/cloud_rehearsal.py --json /tmp/rehearsal.json

Longer than the project's ~300 lines on purpose: it is one sequence (copy, install, serve, visit,
report) that CI and a person run as one file, and no other code uses its steps; the helpers it
shares with the tests are in ``tests/support``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from srgan.reports.costs import memory_of  # noqa: E402
from tests.support.server import free_port  # noqa: E402

DEFAULT_CACHE = Path.home() / ".cache" / "srgan-cloud-rehearsal-uv"
COMMUNITY_CLOUD_MB = 690  # memory of Community Cloud's smallest apps
PAGES = (  # (title, url path): the landing page first
    ("Upscale & compare", ""),
    ("Architecture", "architecture"),
    ("Benchmarks", "benchmarks"),
)
ERROR_SELECTOR = "[data-testid='stException'], [data-testid='stAlertContentError']"
UPLOAD_NAME = "cloud_rehearsal_512.png"
UPLOAD_SIDE = 512
DB_NUMBER = re.compile(r"\b\d{1,2}\.\d{2} ?★?(?:\s|$)")  # a PSNR cell of the results table, e.g. "29.57 ★"
# environment variables that would point the rehearsal at this checkout instead of the clean copy
NOT_PASSED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONSTARTUP")


class StepFailed(Exception):
    """A step that did not complete: its message says which and why."""


class StepTimeout(StepFailed):
    pass


def log(msg: str) -> None:
    print(f"[rehearsal {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


# --- 1. the clone -------------------------------------------------------------------------------


def repo_files(root: Path = ROOT) -> list[str]:
    """What a clone of the working tree holds: tracked files that exist, and untracked files git does
    not ignore (so files another session has not committed yet are rehearsed too)."""

    def ls(*args: str) -> list[str]:
        out = subprocess.run(["git", "ls-files", "-z", *args], cwd=root, capture_output=True, check=True).stdout
        return [p for p in out.decode().split("\0") if p]

    names = sorted(set(ls()) | set(ls("--others", "--exclude-standard")))
    return [n for n in names if (root / n).is_file() or (root / n).is_symlink()]


def clean_copy(dest: Path, root: Path = ROOT) -> dict:
    """Copy the repository's files into ``dest`` (which must not exist); returns files and size."""
    files = repo_files(root)
    size = 0
    for name in files:
        src, dst = root / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
        size += dst.lstat().st_size
    return {"files": len(files), "mb": round(size / 1e6, 1), "path": str(dest)}


# --- 2. the environment -------------------------------------------------------------------------


def find_uv(cache_dir: Path, timeout: float) -> str:
    """uv on PATH or beside this Python, else a bootstrap venv beside the cache with ``pip install uv``."""
    for cand in (shutil.which("uv"), str(Path(sys.executable).parent / "uv")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    tools = cache_dir.parent / f"{cache_dir.name}-tools"
    uv = tools / "bin" / "uv"
    if not uv.is_file():
        log(f"installing uv (pip install uv) into {tools}")
        subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True, timeout=timeout)
        subprocess.run(
            [str(tools / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "uv"],
            check=True,
            timeout=timeout,
        )
    return str(uv)


def du_mb(path: Path) -> float:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, f)).st_size
    return round(total / 1e6, 1)


def make_venv(uv: str, python: str, app: Path, venv: Path, cache_dir: Path, timeout: float, log_path: Path) -> dict:
    """``uv venv`` + ``uv pip install -r requirements.txt`` in the copy; returns timings and versions."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED}
    env.update(UV_CACHE_DIR=str(cache_dir), UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    vpy = venv / "bin" / "python"
    t0 = time.perf_counter()
    with open(log_path, "w") as out:
        for cmd in (
            [uv, "venv", "--python", python, str(venv)],
            [uv, "pip", "install", "--python", str(vpy), "-r", "requirements.txt"],
        ):
            left = timeout - (time.perf_counter() - t0)
            out.write(f"$ {' '.join(cmd)}\n")
            out.flush()
            try:
                res = subprocess.run(cmd, cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=left)
            except subprocess.TimeoutExpired:
                raise StepTimeout(f"install: not done after {timeout:.0f} s") from None
            if res.returncode:
                raise StepFailed(f"install: {cmd[1]} {cmd[2]} exited {res.returncode}: {tail(log_path, 1500)}")
    seconds = time.perf_counter() - t0
    version = subprocess.run(
        [str(vpy), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    versions = subprocess.run(  # the library versions the rehearsal runs, as the benchmark files name them
        [str(vpy), "-c", "from srgan.machine import machine_info; print(machine_info())"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.strip()
    freeze = subprocess.run(
        [uv, "pip", "freeze", "--python", str(vpy)], env=env, capture_output=True, text=True, timeout=120
    ).stdout.split()
    uv_version = subprocess.run([uv, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    return {
        "seconds": round(seconds, 1),
        "python_version": version,
        "packages": len(freeze),
        "venv_mb": du_mb(venv),
        "machine": versions or None,
        "uv": uv_version,
        "cache_dir": str(cache_dir),
    }


# --- 3. the server ------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """Child processes, recursively (/proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()[:300]
    except OSError:
        return ""


def mapped_packages(pid: int, packages: tuple[str, ...] = ("tensorflow", "openvino")) -> dict[str, bool]:
    """Whether a shared library of each installed package (``site-packages/<name>/``) is mapped into the
    process, i.e. whether the server imported it (OpenVINO's own TensorFlow frontend does not count)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return {}
    return {name: f"/site-packages/{name}/" in maps for name in packages}


class MemorySampler:
    """Samples a process's VmRSS (and its process tree's total) every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_tree = 0.0
        self.samples = 0
        self.children: set[str] = set()  # their command lines
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = memory_of(self.pid).get("VmRSS")
            if rss is not None:
                kids = descendants(self.pid)
                tree = rss + sum(memory_of(k).get("VmRSS", 0.0) for k in kids)
                self.peak_rss, self.peak_tree = max(self.peak_rss, rss), max(self.peak_tree, tree)
                own = cmdline(self.pid)
                self.children.update(c if c != own else "(a fork of the server)" for c in map(cmdline, kids) if c)
                self.samples += 1
            self._stop.wait(self.interval)

    def start(self) -> MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def start_server(vpy: Path, app: Path, venv: Path, log_path: Path, timeout: float) -> tuple[subprocess.Popen, str]:
    """``python -m streamlit run streamlit_app.py`` as Cloud runs it; returns the process once healthy."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED and not k.startswith(("SRGAN_", "STREAMLIT_"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    cmd = [str(vpy), "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with open(log_path, "w") as out:
        proc = subprocess.Popen(cmd, cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(proc: subprocess.Popen, url: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise StepFailed(f"server exited {proc.returncode} before answering: {tail(log_path, 1500)}")
        if time.monotonic() > deadline:
            raise StepTimeout(f"server start: /_stcore/health not 200 after {timeout:.0f} s")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server and any child process it started (by their ids)."""
    kids = descendants(proc.pid) if proc.poll() is None else []
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
    for pid in kids:
        with contextlib.suppress(OSError):  # already gone
            os.kill(pid, signal.SIGKILL)


# --- 4. the visitor -----------------------------------------------------------------------------


def upload_image(path: Path, side: int = UPLOAD_SIDE, seed: int = 7) -> Path:
    """A natural-looking ``side``×``side`` RGB PNG: smooth colour waves, edges and mild noise."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32)
    img = np.stack(
        [0.5 + 0.35 * np.sin(x / (9 + 4 * c) + rng.uniform(0, 6)) * np.cos(y / (15 + 3 * c)) for c in range(3)], -1
    )
    img += 0.12 * ((x // 64 + y // 64) % 2)[..., None]  # sharp edges, where SR and bicubic differ
    img += rng.normal(0, 0.02, img.shape)
    Image.fromarray(np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)).save(path)
    return path


class Visitor:
    """One headless Chromium session on the app, with bounded polling waits."""

    def __init__(self, url: str, timeout: float, shots: Path | None):
        from tests.support.browser import make_driver

        self.url, self.timeout, self.shots = url, timeout, shots
        self.driver = make_driver("1400,1400")
        self.driver.set_page_load_timeout(timeout)

    def quit(self) -> None:
        self.driver.quit()

    def body(self) -> str:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By

        try:
            return self.driver.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            return ""

    def errors(self) -> list[str]:
        """Texts of exception and error elements, and a traceback or a failure shown anywhere."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By

        found = []
        try:
            for e in self.driver.find_elements(By.CSS_SELECTOR, ERROR_SELECTOR):
                found.append(" ".join(e.text.split()) or e.get_attribute("data-testid"))
        except WebDriverException:
            pass
        body = self.body()
        for marker in ("Traceback", "Something went wrong"):
            if marker in body and not any(marker in f for f in found):
                line = next(ln for ln in body.splitlines() if marker in ln)
                found.append(line.strip()[:300])
        return found

    def titles(self) -> list[str]:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By

        try:
            return [" ".join(e.text.split()) for e in self.driver.find_elements(By.TAG_NAME, "h1")]
        except WebDriverException:
            return []

    def running(self) -> bool:
        from selenium.common.exceptions import WebDriverException

        from tests.support.browser import idle

        try:
            return not idle(self.driver)
        except WebDriverException:
            return True

    def wait(self, what: str, done: Callable[[], bool], stop_on_error: bool = True) -> float:
        """Poll ``done`` every 0.1 s; seconds it took. Fails at once on an error element."""
        t0 = time.perf_counter()
        while not done():
            if stop_on_error and (errs := self.errors()):
                raise StepFailed(f"{what}: the page shows an error: {errs[0]}")
            if time.perf_counter() - t0 > self.timeout:
                raise StepTimeout(f"{what}: not done after {self.timeout:.0f} s")
            time.sleep(0.1)
        return time.perf_counter() - t0

    def settled(self, what: str, quiet: float = 1.0) -> None:
        """Wait until the script has finished running: the app idle (``tests.support.browser.idle``)
        and the text unchanged for ``quiet`` seconds."""
        t0 = time.perf_counter()
        last, since = None, time.perf_counter()
        while True:
            text = self.body()
            if self.running() or text != last:
                last, since = text, time.perf_counter()
            elif time.perf_counter() - since >= quiet:
                return
            if time.perf_counter() - t0 > self.timeout:
                raise StepTimeout(f"{what}: still running after {self.timeout:.0f} s")
            time.sleep(0.1)

    def shot(self, name: str) -> None:
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(self.shots / f"{name}.png"))

    def example_numbers(self) -> bool:
        body = self.body()
        return "PSNR (dB)" in body and len(DB_NUMBER.findall(body)) >= 2

    def go(self, path: str) -> None:
        """Open a page through its sidebar link (one session, as a visitor clicks), else by URL."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By

        try:
            for link in self.driver.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebarNav'] a"):
                href = (link.get_attribute("href") or "").rstrip("/")
                if href.rsplit("/", 1)[-1] == path or (not path and href == self.url):
                    link.click()
                    return
        except WebDriverException:
            pass
        self.driver.get(f"{self.url}/{path}")

    def check_page(self, title: str, path: str, first: bool = False) -> dict:
        """Open one page, wait for its title and for its script to finish; its errors if any."""
        t0 = time.perf_counter()
        record: dict = {"name": title, "path": f"/{path}", "passed": False, "errors": []}
        try:
            if first:
                self.driver.get(self.url)
            else:
                self.go(path)
            self.wait(f"page {title!r}", lambda: any(t.startswith(title) for t in self.titles()))
            if not path:  # the landing page: the example's numbers
                record["numbers_seconds"] = round(self.wait(f"page {title!r} numbers", self.example_numbers), 2)
            self.settled(f"page {title!r}")
            record["errors"] = self.errors()
            record["passed"] = not record["errors"]
        except StepFailed as e:
            record["errors"] = [*self.errors(), str(e)]
            record["timed_out"] = isinstance(e, StepTimeout)
        record["seconds"] = round(time.perf_counter() - t0, 2)
        self.shot(path or "upscale")
        return record

    def upload(self, photo: Path) -> dict:
        """Back on the landing page: 'High-res image', upload ``photo``, wait for its PSNR."""
        from selenium.webdriver.common.by import By

        lr = UPLOAD_SIDE // 4
        expected = f"{photo.name} · input {lr}×{lr}"
        record: dict = {"file": photo.name, "expected": expected, "passed": False, "errors": [], "seconds": None}
        try:
            self.go("")
            self.wait("landing page", lambda: any(t.startswith(PAGES[0][0]) for t in self.titles()))
            self.wait("landing page numbers", self.example_numbers)
            button = "//button[.//*[contains(text(), 'High-res image')]]"
            self.wait("'High-res image' button", lambda: bool(self.driver.find_elements(By.XPATH, button)))
            self.driver.find_element(By.XPATH, button).click()
            inputs = "input[type='file']"
            self.wait("file uploader", lambda: bool(self.driver.find_elements(By.CSS_SELECTOR, inputs)))
            t0 = time.perf_counter()
            self.driver.find_element(By.CSS_SELECTOR, inputs).send_keys(str(photo))

            def shown() -> bool:
                body = self.body()
                return expected in body and "PSNR (dB)" in body and len(DB_NUMBER.findall(body)) >= 2

            self.wait(f"upload of {photo.name}", shown)
            record["seconds"] = round(time.perf_counter() - t0, 2)
            self.settled("upload result")
            record["errors"] = self.errors()
            record["passed"] = not record["errors"]
            line = next((ln for ln in self.body().splitlines() if expected in ln), "")
            record["result_line"] = line.strip()
        except StepFailed as e:
            record["errors"] = [*self.errors(), str(e)]
            record["timed_out"] = isinstance(e, StepTimeout)
        self.shot("upload")
        return record


# --- 5. the report ------------------------------------------------------------------------------


def machine() -> str:
    try:
        from srgan.machine import machine_info

        return machine_info()
    except Exception as e:  # the report is still useful without it
        return f"unknown ({type(e).__name__}: {e})"


def summary(report: dict) -> str:
    def num(key: str, unit: str = "s") -> str:
        v = report.get(key)
        return "—" if v is None else f"{v:.1f} {unit}" if unit == "s" else f"{v:.0f} {unit}"

    lines = [
        f"Cloud rehearsal: {'PASS' if report['ok'] else 'FAIL'}  (Python {report.get('python_version') or '?'}, "
        f"{report['machine']})",
        f"  install {num('install_seconds')} · start {num('start_seconds')} · first paint "
        f"{num('first_paint_seconds')} · upload {num('upload_seconds')}",
        f"  server peak RSS {num('peak_rss_mb', 'MB')} (VmHWM), sampled {num('sampled_peak_rss_mb', 'MB')}, "
        f"process tree {num('sampled_peak_tree_mb', 'MB')}; Community Cloud's smallest: {COMMUNITY_CLOUD_MB} MB",
    ]
    loaded = report.get("server_loaded") or {}
    if loaded or report.get("child_processes"):
        names = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in loaded.items())
        lines.append(f"  libraries in the server: {names or '?'}; child processes: {report.get('child_processes')}")
    for p in [*report["pages"], *([report["upload"]] if report.get("upload") else [])]:
        name = p.get("name") or f"upload {p.get('file')}"
        lines.append(f"  {'ok  ' if p['passed'] else 'FAIL'} {name} ({p.get('seconds') or 0:.1f} s)")
        lines += [f"       {e}" for e in p["errors"]]
    lines += [f"  failure: {f}" for f in report["failures"]]
    return "\n".join(lines)


def rehearse(args: argparse.Namespace) -> dict:
    t_all = time.perf_counter()
    report: dict = {
        "ok": False,
        "machine": machine(),
        "python_executable": args.python,
        "pages": [],
        "upload": None,
        "failures": [],
        "errors": [],
        "timed_out": False,
    }
    work = Path(tempfile.mkdtemp(prefix="srgan-cloud-rehearsal-"))
    app, venv = work / "srgan-studio", work / "venv"  # nothing else beside the clone: no ../shared
    report["workdir"] = str(work)
    cache_dir = Path(args.cache_dir).expanduser().resolve()
    proc = sampler = visitor = None
    server_log = work / "streamlit.log"
    try:
        log(f"copying the repository into {app}")
        report["copy"] = clean_copy(app)
        report["copy"]["shared_beside"] = (app.parent / "shared").exists()
        report["copy"]["venv_inside"] = (app / ".venv").exists()

        log(f"installing requirements.txt with uv (cache {cache_dir})")
        cache_dir.mkdir(parents=True, exist_ok=True)
        uv = find_uv(cache_dir, args.install_timeout)
        report["install"] = make_venv(uv, args.python, app, venv, cache_dir, args.install_timeout, work / "install.log")
        report["install_seconds"] = report["install"]["seconds"]
        report["python_version"] = report["install"]["python_version"]
        log(f"installed {report['install']['packages']} packages in {report['install_seconds']:.0f} s")

        log("starting streamlit run streamlit_app.py")
        t0 = time.perf_counter()
        proc, url = start_server(venv / "bin" / "python", app, venv, server_log, args.timeout)
        sampler = MemorySampler(proc.pid).start()
        wait_healthy(proc, url, server_log, args.timeout)
        report["start_seconds"] = round(time.perf_counter() - t0, 2)
        rss_at = {"started": memory_of(proc.pid).get("VmRSS")}
        log(f"healthy after {report['start_seconds']:.1f} s at {url}")

        visitor = Visitor(url, args.timeout, Path(args.shots) if args.shots else None)
        for i, (title, path) in enumerate(PAGES):
            log(f"page {title!r}")
            page = visitor.check_page(title, path, first=i == 0)
            report["pages"].append(page)
            if i == 0:
                report["first_paint_seconds"] = page.get("numbers_seconds")
                rss_at["first_paint"] = memory_of(proc.pid).get("VmRSS")
        rss_at["pages"] = memory_of(proc.pid).get("VmRSS")
        log(f"upload of a {UPLOAD_SIDE}×{UPLOAD_SIDE} PNG as 'High-res image'")
        report["upload"] = visitor.upload(upload_image(work / UPLOAD_NAME))
        report["upload_seconds"] = report["upload"]["seconds"]
        rss_at["upload"] = memory_of(proc.pid).get("VmRSS")
        report["rss_at_mb"] = {k: v and round(v, 1) for k, v in rss_at.items()}
    except StepFailed as e:
        report["failures"].append(str(e))
        report["timed_out"] = isinstance(e, StepTimeout)
    except (OSError, subprocess.SubprocessError) as e:
        report["failures"].append(f"{type(e).__name__}: {e}")
        report["timed_out"] = isinstance(e, subprocess.TimeoutExpired)
    finally:
        if visitor is not None:
            visitor.quit()
        if proc is not None:
            if sampler is not None:
                sampler.stop()
                report["sampled_peak_rss_mb"] = round(sampler.peak_rss, 1)
                report["sampled_peak_tree_mb"] = round(sampler.peak_tree, 1)
                report["rss_samples"] = sampler.samples
                report["child_processes"] = sorted(sampler.children)
            if proc.poll() is None:
                mem = memory_of(proc.pid)
                report["peak_rss_mb"] = round(mem["VmHWM"], 1) if "VmHWM" in mem else None
                report["server_loaded"] = mapped_packages(proc.pid)
            stop_server(proc)
            text = tail(server_log, 200_000)
            report["server_log_tracebacks"] = text.count("Traceback")
            if "Traceback" in text:
                report["server_log_tail"] = text[text.index("Traceback") :][:3000]
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    for page in [*report["pages"], *([report["upload"]] if report["upload"] else [])]:
        report["errors"] += page["errors"]
        report["timed_out"] = report["timed_out"] or bool(page.get("timed_out"))
        if not page["passed"]:
            report["failures"].append(f"{page.get('name') or 'upload'} failed")
    if report.get("server_log_tracebacks"):
        report["failures"].append(f"the server logged {report['server_log_tracebacks']} traceback(s)")
    if len(report["pages"]) < len(PAGES) or report["upload"] is None:
        report["failures"].append("not every page was checked")
    report["pages_passed"] = {p["name"]: p["passed"] for p in report["pages"]}
    report["ok"] = not report["failures"]
    report["total_seconds"] = round(time.perf_counter() - t_all, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--python", default=sys.executable, help="interpreter of the rehearsal venv (default: this one)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (clone, venv, logs)")
    p.add_argument("--cache-dir", default=str(DEFAULT_CACHE), help="uv's cache, reused between runs")
    p.add_argument("--json", help="write the report here")
    p.add_argument("--timeout", type=float, default=300, help="seconds for each server or browser step")
    p.add_argument("--install-timeout", type=float, default=1800, help="seconds for the install")
    p.add_argument("--shots", help="save a screenshot of each page into this folder")
    args = p.parse_args(argv)
    report = rehearse(args)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(summary(report), flush=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
