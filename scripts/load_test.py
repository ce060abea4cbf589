"""Load test of the dashboard: N browser sessions at once, each upscaling its own image.

Starts ``streamlit run streamlit_app.py`` on a free loopback port and opens N headless Chromium
windows (N real Streamlit sessions of one server, sharing its cached model and inference queue).
All open the app together, switch to "High-res image" and upload a different image each. Every
session's displayed file name and PSNR/SSIM are checked against the library run directly on that
image, so a session shown another's result fails. Reports completed, failed, p50/p95 latency
(upload to metrics shown), how many sessions saw the queue message, and the server's peak RSS.
Bounded and self-stopping: N sessions, each with a timeout, then the server is stopped.

    python scripts/load_test.py --sessions 4 --size 256        # shipped weights
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(env: dict | None = None, log_path: Path | None = None) -> Iterator[tuple[str, int]]:
    """Run the dashboard headless on a free loopback port; yields (url, server pid)."""
    port = free_port()
    log_path = log_path or Path(tempfile.mkdtemp()) / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 90
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                        break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise RuntimeError("streamlit did not start: " + log_path.read_text()[-2000:]) from None
                    time.sleep(0.5)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def memory_of(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, in MB (Linux)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1e3
    return out


def hr_image(size: int, seed: int) -> np.ndarray:
    """A distinct uint8 (size, size, 3) RGB image per seed."""
    from srgan.bench import bench_image

    img = bench_image(size, size, seed=seed).astype(np.int16)
    return np.clip(img + np.int16(seed * 23 % 80) - 40, 0, 255).astype(np.uint8)


def one_session(url: str, index: int, photo: Path, lr_side: int, timeout: float, start: threading.Barrier) -> dict:
    """One browser: open the app, upload ``photo`` as high-res, wait for its result, read the metrics."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from scripts.screenshot import make_driver

    driver = make_driver("1400,1200")
    try:
        wait = WebDriverWait(driver, timeout)
        start.wait(timeout)
        driver.get(url)
        wait.until(ec.element_to_be_clickable((By.XPATH, "//button[.//*[contains(text(), 'High-res image')]]"))).click()
        upload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type='file']")))
        t0 = time.perf_counter()
        upload.send_keys(str(photo))
        done = f"{photo.name} · input {lr_side}×{lr_side}"
        saw_queue = False
        while time.perf_counter() - t0 < timeout:
            body = driver.find_element(By.TAG_NAME, "body").text
            saw_queue = saw_queue or "Queued:" in body
            if done in body and "PSNR" in body:
                break
            time.sleep(0.2)
        else:
            raise TimeoutError(f"no result after {timeout:.0f} s")
        seconds = time.perf_counter() - t0
        labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid='stMetricLabel']")]
        values = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid='stMetricValue']")]
        return {
            "index": index,
            "seconds": seconds,
            "metrics": dict(zip(labels, values, strict=False)),
            "saw_queue": saw_queue,
        }
    finally:
        driver.quit()


def _upscaler_with_env(model: str, env: dict):
    """The app's Upscaler, built while ``env`` (e.g. SRGAN_WEIGHTS) is set, leaving os.environ as it was."""
    from pages.common import APP_ENGINE, APP_TILE
    from srgan.inference import Upscaler

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Upscaler(model, tile=APP_TILE, engine=APP_ENGINE)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_load_test(
    sessions: int = 4, size: int = 256, model: str = "srgan", timeout: float = 600.0, env: dict | None = None
) -> dict:
    """``sessions`` browsers at once against one server; returns counts, latencies and memory."""
    from PIL import Image

    from srgan.compare import run_comparison
    from srgan.image_io import Picture

    folder = Path(tempfile.mkdtemp())
    images = [hr_image(size, seed) for seed in range(sessions)]
    photos = []
    for i, img in enumerate(images):
        photos.append(folder / f"session{i}.png")
        Image.fromarray(img).save(photos[-1])
    results: list[dict] = [{"index": i, "error": "did not finish"} for i in range(sessions)]
    start = threading.Barrier(sessions)

    with streamlit_server(env) as (url, pid):
        before = memory_of(pid)

        def work(i: int) -> None:
            try:
                results[i] = one_session(url, i, photos[i], size // 4, timeout, start)
            except Exception as e:  # a failed session is counted, not fatal to the others
                results[i] = {"index": i, "error": f"{type(e).__name__}: {e}"}

        t0 = time.perf_counter()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout + 120)
        wall = time.perf_counter() - t0
        after = memory_of(pid)

    upscaler = _upscaler_with_env(model, env or {})  # the same weights the server used
    failures = []
    for i, r in enumerate(results):
        if "error" in r:
            failures.append(f"session {i}: {r['error']}")
            continue
        expected = run_comparison(Picture(images[i]), upscaler, is_hr=True).metrics
        want = {
            "PSNR bicubic": f"{expected['bicubic']['psnr']:.2f} dB",
            f"PSNR {model}": f"{expected['sr']['psnr']:.2f} dB",
            f"SSIM {model}": f"{expected['sr']['ssim']:.4f}",
        }
        shown = {k: r["metrics"].get(k) for k in want}
        if shown != want:
            failures.append(f"session {i}: shown {shown}, expected {want}")
    latencies = sorted(r["seconds"] for r in results if "seconds" in r)
    return {
        "sessions": sessions,
        "hr_size": f"{size}x{size}",
        "model": model,
        "completed": sessions - len(failures),
        "failed": len(failures),
        "failures": failures,
        "saw_queue": sum(bool(r.get("saw_queue")) for r in results),
        "p50_seconds": statistics.median(latencies) if latencies else None,
        "p95_seconds": float(np.percentile(latencies, 95)) if latencies else None,
        "wall_seconds": wall,
        "server_rss_before_mb": before.get("VmRSS"),
        "server_peak_rss_mb": after.get("VmHWM"),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=4)
    p.add_argument("--size", type=int, default=256, help="side of each session's high-res upload (not 512)")
    p.add_argument("--model", default="srgan")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per session")
    args = p.parse_args()
    result = run_load_test(args.sessions, args.size, args.model, args.timeout)
    print(json.dumps(result, indent=2))
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
