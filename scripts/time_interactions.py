"""Time the dashboard's interactions in a real headless Chromium, as a user feels them.

Starts ``streamlit run streamlit_app.py`` on a loopback port, opens the app, uploads a photo-like
high-res PNG (default 2048x2048: the app's largest without reduction), then times, each from the
user's action to the page showing the change with Streamlit's "running" indicator gone:

- upload: file chosen -> the model's PSNR shown;
- compare drag: five arrow-key steps on the before/after slider -> the wipe image replaced;
- zoom: five steps on the zoom's centre slider -> the zoomed crops replaced;
- download: click on "Download SR (PNG)" -> the file complete on disk (and whether the page reran);
- switch model: srgan -> srresnet (computed) and back to srgan (already computed).

    python scripts/time_interactions.py --size 2048 --json interactions.json

Bounded and self-stopping: every wait has a timeout; the browser and the server are always stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _settled(driver, timeout: float) -> None:
    """Wait until Streamlit's script-run indicator has been gone for 0.3 s."""
    from selenium.webdriver.common.by import By

    quiet_since, deadline = None, time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        running = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']")
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.perf_counter()
        elif time.perf_counter() - quiet_since >= 0.3:
            return
        time.sleep(0.05)
    raise TimeoutError("the page kept running")


def _until(predicate, timeout: float, what: str) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if predicate():
            return time.perf_counter()
        time.sleep(0.05)
    raise TimeoutError(f"no {what} within {timeout:.0f} s")


def _image_sources(driver) -> list[str]:
    """The displayed images' sources (read in the page itself: images replaced meanwhile are skipped)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('img')].filter(i => i.offsetParent !== null).map(i => i.src)"
    )


def _visible_sliders(driver):
    from selenium.webdriver.common.by import By

    sliders = [e for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid='stSlider']") if e.is_displayed()]
    return [e.find_element(By.CSS_SELECTOR, "input[type='range']") for e in sliders]


def _step_slider(driver, slider, steps: int, timeout: float) -> float:
    """Seconds from the first arrow key to the page showing new images, settled."""
    from selenium.webdriver.common.keys import Keys

    before = set(_image_sources(driver))
    t0 = time.perf_counter()
    for _ in range(steps):
        slider.send_keys(Keys.RIGHT)
    t1 = _until(lambda: bool(set(_image_sources(driver)) - before), timeout, "new image")
    _settled(driver, timeout)
    return t1 - t0


def run(size: int, timeout: float) -> dict:
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from scripts.load_test import photo_like, streamlit_server
    from scripts.screenshot import make_driver
    from srgan.machine import machine_info

    out: dict = {"machine": machine_info(), "hr_size": f"{size}x{size}", "date": time.strftime("%Y-%m-%d %H:%M")}
    with tempfile.TemporaryDirectory() as tmp, streamlit_server() as (url, _pid):
        photo = Path(tmp) / f"photo_{size}.png"
        Image.fromarray(photo_like(size, 7)).save(photo)
        downloads = Path(tmp) / "downloads"
        downloads.mkdir()
        driver = make_driver("1400,1400")
        try:
            driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
            wait = WebDriverWait(driver, timeout)
            t0 = time.perf_counter()
            driver.get(url)
            _until(lambda: "PSNR srgan" in driver.find_element(By.TAG_NAME, "body").text, timeout, "example")
            out["first_paint_s"] = time.perf_counter() - t0
            _settled(driver, timeout)
            hr = "//button[.//*[contains(text(), 'High-res image')]]"
            wait.until(ec.element_to_be_clickable((By.XPATH, hr))).click()
            upload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type='file']")))
            t0 = time.perf_counter()
            upload.send_keys(str(photo))
            done = f"{photo.name}"
            _until(
                lambda: done in (b := driver.find_element(By.TAG_NAME, "body").text) and "PSNR srgan" in b,
                timeout,
                "upload result",
            )
            out["upload_s"] = time.perf_counter() - t0
            _settled(driver, timeout)

            out["compare_drag_s"] = _step_slider(driver, _visible_sliders(driver)[0], 5, timeout)

            driver.find_element(By.XPATH, "//*[@role='tab'][contains(., 'Zoom')]").click()
            _settled(driver, timeout)
            out["zoom_s"] = _step_slider(driver, _visible_sliders(driver)[0], 5, timeout)

            button = driver.find_element(By.XPATH, "//button[contains(., 'Download SR (PNG)')]")
            t0 = time.perf_counter()
            button.click()
            saw_run = False

            def downloaded() -> bool:
                nonlocal saw_run
                saw_run |= bool(driver.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']"))
                files = [p for p in downloads.iterdir() if not p.name.endswith(".crdownload")]
                return bool(files)

            out["download_s"] = _until(downloaded, timeout, "downloaded file") - t0
            out["download_reran_page"] = saw_run
            out["download_bytes"] = sum(p.stat().st_size for p in downloads.iterdir())

            for model, key in (("srresnet", "switch_to_new_model_s"), ("srgan", "switch_back_to_computed_model_s")):
                box = driver.find_element(By.CSS_SELECTOR, "[data-testid='stSidebar'] [data-testid='stSelectbox']")
                box.click()
                option = wait.until(
                    ec.element_to_be_clickable((By.XPATH, f"//*[@role='option'][normalize-space(.)='{model}']"))
                )
                t0 = time.perf_counter()
                option.click()
                _until(lambda m=model: f"PSNR {m}" in driver.find_element(By.TAG_NAME, "body").text, timeout, model)
                out[key] = time.perf_counter() - t0
                _settled(driver, timeout)
        finally:
            driver.quit()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=2048, help="side of the high-res upload (default 2048)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds allowed for each step")
    p.add_argument("--json", help="also write the timings here")
    args = p.parse_args()
    result = run(args.size, args.timeout)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
