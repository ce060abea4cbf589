"""Load test of the dashboard: N browser sessions at once, each upscaling its own image.

Starts ``streamlit run streamlit_app.py`` on a free loopback port and opens N headless Chromium
windows (N real Streamlit sessions of one server, sharing its cached model and inference queue).
All open the app together, switch to "High-res image" and upload a different image each. Every
session's displayed file name and PSNR/SSIM are checked against the library run directly on that
image, so a session shown another's result fails. Reports completed, failed, p50/p95 latency
(upload to metrics shown), how many sessions saw the queue message, and the server's peak RSS.
Bounded and self-stopping: N sessions, each with a timeout, then the server is stopped.

    python scripts/load_test.py --sessions 4 --size 256        # shipped weights
    python scripts/load_test.py --sessions 3 --size 6000 --jpeg --rgba16   # 3 large JPEGs + a 16-bit RGBA PNG

Large uploads are what bounds the server's memory: the app reduces them to its cap while it decodes
them, one at a time in its inference queue; the result is checked against the same pipeline here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from srgan.reports.costs import memory_of  # noqa: E402
from tests.support.images import hr_image, photo_like  # noqa: E402
from tests.support.server import streamlit_server  # noqa: E402


def make_uploads(sessions: int, size: int, jpeg: bool, rgba16: bool, folder: Path) -> list[Path]:
    """One file per session: ``size`` x ``size`` PNG (or photo-like JPEG q90), plus with ``rgba16`` a
    16-bit RGBA PNG of the same size (flat blocks: a small file that decodes to a large image)."""
    import cv2
    from PIL import Image

    paths = []
    for i in range(sessions):
        path = folder / f"session{i}.{'jpg' if jpeg else 'png'}"
        if jpeg:
            Image.fromarray(photo_like(size, i)).save(path, quality=90)
        else:
            Image.fromarray(hr_image(size, i)).save(path)
        paths.append(path)
    if rgba16:
        blocks = np.random.default_rng(99).integers(0, 65536, (6, 6, 4)).astype(np.uint16)
        rgba = np.kron(blocks, np.ones((-(-size // 6), -(-size // 6), 1), np.uint16))[:size, :size]
        path = folder / f"session{sessions}_rgba16.png"
        cv2.imwrite(str(path), np.ascontiguousarray(rgba[..., [2, 1, 0, 3]]))
        paths.append(path)
    return paths


def expected_comparison(photo: Path, upscalers: dict):
    """What the app shows for ``photo`` uploaded as high-res: the same decode, fit and comparison."""
    from pages.common import app_pixel_cap
    from srgan.compare import run_comparison
    from srgan.image_io import load_image

    return run_comparison(load_image(photo.read_bytes(), fit_pixels=app_pixel_cap(True)), upscalers, is_hr=True)


def results_table(driver) -> dict[str, dict[str, str]]:
    """The page's results table as {column: {row: cell}}, stars and emphasis left out."""
    from selenium.webdriver.common.by import By

    for table in driver.find_elements(By.CSS_SELECTOR, "[data-testid='stMarkdownContainer'] table"):
        head = [th.text.strip() for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
        if "PSNR (dB) ↑" not in table.text and "NIQE ↓" not in table.text:
            continue
        out: dict[str, dict[str, str]] = {c: {} for c in head[1:]}
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
            cells = [td.text.strip() for td in tr.find_elements(By.TAG_NAME, "td")]
            for column, cell in zip(head[1:], cells[1:], strict=False):
                out[column][cells[0]] = cell.replace("★", "").strip()
        return out
    return {}


def one_session(
    url: str, index: int, photo: Path, lr_size: tuple[int, int], timeout: float, start: threading.Barrier
) -> dict:
    """One browser: open the app, upload ``photo`` as high-res, wait for its result, read the metrics."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.support.browser import make_driver

    driver = make_driver("1400,1200")
    try:
        wait = WebDriverWait(driver, timeout)
        start.wait(timeout)
        driver.get(url)
        wait.until(ec.element_to_be_clickable((By.XPATH, "//button[.//*[contains(text(), 'High-res image')]]"))).click()
        upload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type='file']")))
        t0 = time.perf_counter()
        upload.send_keys(str(photo))
        done = f"{photo.name} · input {lr_size[0]}×{lr_size[1]}"
        saw_queue = False
        while time.perf_counter() - t0 < timeout:
            body = driver.find_element(By.TAG_NAME, "body").text
            saw_queue = saw_queue or "Queued:" in body
            # the heading first, then the table: wait for the PSNR cells themselves ("PSNR" is in the sidebar too)
            if (
                done in body
                and (table := results_table(driver))
                and all(cells.get("PSNR (dB) ↑") not in (None, "") for cells in table.values())
            ):
                break
            time.sleep(0.2)
        else:
            raise TimeoutError(f"no result after {timeout:.0f} s")
        seconds = time.perf_counter() - t0
        return {"index": index, "seconds": seconds, "table": table, "saw_queue": saw_queue}
    finally:
        driver.quit()


def _upscalers_with_env(env: dict) -> dict:
    """The app's methods (bicubic and the learned models, not the optional peers), built while ``env``
    (e.g. SRGAN_WEIGHTS) is set, leaving os.environ as it was."""
    from pages.common import APP_ENGINE, APP_TILE
    from srgan.inference import Upscaler

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        learned = {m: Upscaler(m, tile=APP_TILE, engine=APP_ENGINE) for m in ("srresnet", "srgan")}
        return {"bicubic": Upscaler("bicubic"), **learned}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_load_test(
    sessions: int = 4,
    size: int = 256,
    timeout: float = 600.0,
    env: dict | None = None,
    jpeg: bool = False,
    rgba16: bool = False,
) -> dict:
    """``sessions`` browsers at once against one server (one more with ``rgba16``); returns counts,
    latencies and the server's memory."""
    with tempfile.TemporaryDirectory() as tmp:
        return _run_load_test(Path(tmp), sessions, size, timeout, env, jpeg, rgba16)


def _run_load_test(
    folder: Path, sessions: int, size: int, timeout: float, env: dict | None, jpeg: bool, rgba16: bool
) -> dict:
    from pages.common import METHOD_LABELS

    photos = make_uploads(sessions, size, jpeg, rgba16, folder)
    upscalers = _upscalers_with_env(env or {})  # the same weights the server uses
    expected = [expected_comparison(p, upscalers) for p in photos]
    results: list[dict] = [{"index": i, "error": "did not finish"} for i in range(len(photos))]
    start = threading.Barrier(len(photos))

    with streamlit_server(env) as (url, pid):
        before = memory_of(pid)

        def work(i: int) -> None:
            lr = expected[i].lr
            try:
                results[i] = one_session(url, i, photos[i], (lr.width, lr.height), timeout, start)
            except Exception as e:  # a failed session is counted, not fatal to the others
                results[i] = {"index": i, "error": f"{type(e).__name__}: {e}"}

        t0 = time.perf_counter()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(photos))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout + 120)
        wall = time.perf_counter() - t0
        after = memory_of(pid)

    failures = []
    for i, r in enumerate(results):
        if "error" in r:
            failures.append(f"session {i}: {r['error']}")
            continue
        want, shown = {}, {}
        for m, panel in expected[i].methods.items():
            column = METHOD_LABELS[m]
            want[column] = (f"{panel.psnr:.2f}", f"{panel.ssim:.4f}")
            cells = r["table"].get(column, {})
            shown[column] = (cells.get("PSNR (dB) ↑"), cells.get("SSIM ↑"))
        if shown != want:
            failures.append(f"session {i}: shown {shown}, expected {want}")
    latencies = sorted(r["seconds"] for r in results if "seconds" in r)
    return {
        "sessions": len(photos),
        "uploads": [f"{p.name} ({p.stat().st_size / 1e6:.2f} MB)" for p in photos],
        "hr_size": f"{size}x{size}",
        "completed": len(photos) - len(failures),
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
    p.add_argument("--size", type=int, default=256, help="side of each session's high-res upload")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per session")
    p.add_argument("--jpeg", action="store_true", help="upload photo-like JPEGs (q90) instead of PNGs")
    p.add_argument("--rgba16", action="store_true", help="and one more session uploading a 16-bit RGBA PNG")
    args = p.parse_args()
    result = run_load_test(args.sessions, args.size, args.timeout, jpeg=args.jpeg, rgba16=args.rgba16)
    print(json.dumps(result, indent=2))
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
