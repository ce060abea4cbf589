"""Time the dashboard's interactions in a real headless Chromium, as a user feels them.

Starts ``streamlit run streamlit_app.py`` on a loopback port (or uses ``--url``), and times, each from
the user's action to the page showing the change:

- first paint: a new visitor's page load -> the example's numbers, and -> its compare view with
  every image decoded (the first visitor of a fresh server computes the example; for the next
  ``--visitors`` ones, who get it cached, the median);
- upload: a photo-like high-res PNG (default 2048x2048, the app's largest without reduction) chosen
  -> every method's numbers and the compare view shown;
- compare drag, zoom, pan and switching the wipe's right panel to another method: in the browser;
- hiding a column and showing it again (a fragment rerun, not the page's);
- download: a click on a method's PNG -> the file complete on disk.

For each interaction it also records whether the whole page reran (the page's run counter) and
whether Streamlit's "running" status showed at all.

    python scripts/time_interactions.py --size 2048 --json interactions.json

Bounded and self-stopping: every wait has a timeout; the browser and the server are always stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import (  # noqa: E402
    body_text,
    click,
    compare_ready,
    in_compare,
    page_runs,
    saw_status,
    settled,
    until,
    watch_status,
)


def table_columns(driver) -> list[str]:
    """The headers of the results table, without its first (row-name) column."""
    return driver.execute_script(
        "const t = [...document.querySelectorAll('[data-testid=stMarkdownContainer] table')]"
        ".find(t => t.innerText.includes('NIQE'));"
        "return t ? [...t.querySelectorAll('thead th')].slice(1).map(th => th.innerText.trim()) : [];"
    )


def shown(driver, text: str) -> bool:
    """The results for ``text`` (a file name or example) are on the page: table and compare view."""
    return text in body_text(driver) and bool(table_columns(driver)) and compare_ready(driver)


def _attr(root, name: str) -> str:
    return root.get_attribute(f"data-{name}")


def time_in_compare(driver, action: str, timeout: float) -> float:
    """Seconds from a wipe drag / zoom / pan / right-panel switch in the compare view to its effect."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with in_compare(driver) as root:
        stage = root.find_element(By.CSS_SELECTOR, ".sc-wipe")
        if action in ("drag", "pan"):  # pointer events dispatched in the page: the browser's time, not the driver's
            target = root.find_element(By.CSS_SELECTOR, ".srgan-divider") if action == "drag" else stage
            start = 0.5 if action == "drag" else 0.15  # panning starts clear of the divider
            name = "wipe" if action == "drag" else "pan-x"
            before = _attr(root, name)
            t0 = time.perf_counter()
            driver.execute_script(
                "const t = arguments[0], r = t.getBoundingClientRect(), y = r.top + r.height / 2;"
                "let x = r.left + r.width * arguments[1];"
                "const ev = (type) => t.dispatchEvent(new PointerEvent(type, {pointerId: 1, pointerType: 'mouse',"
                " isPrimary: true, button: 0, buttons: type === 'pointerup' ? 0 : 1, clientX: x, clientY: y,"
                " bubbles: true, cancelable: true}));"
                "ev('pointerdown'); for (let i = 0; i < 5; i++) { x += 30; ev('pointermove'); } ev('pointerup');",
                target,
                start,
            )
            return until(lambda: _attr(root, name) != before, timeout, action) - t0
        if action == "zoom":
            before = _attr(root, "zoom")
            t0 = time.perf_counter()
            driver.execute_script(
                "const r = arguments[0].getBoundingClientRect();"
                "arguments[0].dispatchEvent(new WheelEvent('wheel', {deltaY: -400, clientX: r.left + r.width * 0.4,"
                " clientY: r.top + r.height * 0.4, bubbles: true, cancelable: true}));",
                stage,
            )
            return until(lambda: _attr(root, "zoom") != before, timeout, "zoom") - t0
        if action == "switch":  # the wipe's right panel to SRResNet, until its image is drawn
            pick = Select(root.find_element(By.CSS_SELECTOR, "select.sc-right"))
            target = next(o.get_attribute("value") for o in pick.options if o.text.strip() == "SRResNet")
            t0 = time.perf_counter()
            pick.select_by_value(target)
            return (
                until(
                    lambda: (
                        _attr(root, "right") == target
                        and driver.execute_script(
                            "const i = document.querySelector('.sc-layer-r img');"
                            "return i.complete && i.naturalWidth > 0"
                        )
                    ),
                    timeout,
                    "right panel",
                )
                - t0
            )
    raise ValueError(f"unknown action {action!r}")


def toggle_column(driver, label: str, timeout: float) -> float:
    """Seconds from a click on a column's pill to the table (and compare view) following it."""
    from selenium.webdriver.common.by import By

    had = label in table_columns(driver)
    pill = driver.find_element(By.XPATH, f"//button[normalize-space(.)='{label}']")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", pill)
    t0 = time.perf_counter()
    pill.click()
    t1 = until(lambda: (label in table_columns(driver)) != had and compare_ready(driver), timeout, "column")
    settled(driver, timeout)
    return t1 - t0


def first_paint(url: str, timeout: float) -> tuple[float, float]:
    """(seconds to the example's numbers, seconds to its compare view with every image decoded) from
    a new visitor's page load."""
    from tests.support.browser import make_driver

    driver = make_driver("1400,1400")
    try:
        t0 = time.perf_counter()
        driver.get(url)
        numbers = until(lambda: "Astronaut" in body_text(driver) and bool(table_columns(driver)), timeout, "table")
        return numbers - t0, until(lambda: compare_ready(driver), timeout, "compare view") - t0
    finally:
        driver.quit()


def run(size: int, timeout: float, url: str | None = None, env: dict | None = None, visitors: int = 5) -> dict:
    from PIL import Image
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from srgan.machine import machine_info
    from tests.support.browser import make_driver
    from tests.support.images import photo_like
    from tests.support.server import streamlit_server

    out: dict = {"machine": machine_info(), "hr_size": f"{size}x{size}", "date": time.strftime("%Y-%m-%d %H:%M")}
    server = contextlib.nullcontext((url, None)) if url else streamlit_server(env)
    with tempfile.TemporaryDirectory() as tmp, server as (url, _pid):
        photo = Path(tmp) / f"photo_{size}.png"
        Image.fromarray(photo_like(size, 7)).save(photo)
        downloads = Path(tmp) / "downloads"
        downloads.mkdir()
        # the first visitor of a fresh server computes the example; the next ones get it cached
        out["first_visitor_numbers_s"], out["first_visitor_compare_s"] = first_paint(url, timeout)
        later = [first_paint(url, timeout) for _ in range(visitors)]
        out["first_paint_numbers_s"] = statistics.median(t for t, _ in later)
        out["first_paint_compare_s"] = statistics.median(t for _, t in later)
        driver = make_driver("1400,1400")
        try:
            driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
            wait = WebDriverWait(driver, timeout)
            driver.get(url)
            until(lambda: shown(driver, "Astronaut"), timeout, "example")
            settled(driver, timeout)
            hr = "//button[.//*[contains(text(), 'High-res image')]]"
            click(driver, wait.until(ec.element_to_be_clickable((By.XPATH, hr))))
            upload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type='file']")))
            t0 = time.perf_counter()
            upload.send_keys(str(photo))
            out["upload_s"] = until(lambda: shown(driver, photo.name), timeout, "upload result") - t0
            settled(driver, timeout)

            runs = page_runs(driver)
            watch_status(driver)
            for action in ("drag", "zoom", "pan", "switch"):
                out[f"compare_{action}_s"] = time_in_compare(driver, action, timeout)
            time.sleep(0.5)  # a rerun, had one started, would show by now
            out["compare_reran_page"] = page_runs(driver) != runs or saw_status(driver)

            out["hide_column_s"] = toggle_column(driver, "SRResNet", timeout)
            out["show_column_again_s"] = toggle_column(driver, "SRResNet", timeout)
            out["columns_reran_page"] = page_runs(driver) != runs

            settled(driver, timeout)  # the column's fragment run may still be replacing the buttons
            srgan_png = "//button[contains(., 'SRGAN (PNG)')]"
            for attempt in range(3):  # a fragment run can still replace the button between find and click
                try:
                    button = driver.find_element(By.XPATH, srgan_png)
                    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
                    watch_status(driver)
                    t0 = time.perf_counter()
                    button.click()
                    break
                except StaleElementReferenceException:
                    if attempt == 2:
                        raise

            def downloaded() -> bool:
                return any(not p.name.endswith(".crdownload") for p in downloads.iterdir())

            out["download_s"] = until(downloaded, timeout, "downloaded file") - t0
            time.sleep(0.5)
            out["download_reran_page"] = page_runs(driver) != runs
            out["download_showed_status"] = saw_status(driver)
            out["download_bytes"] = sum(p.stat().st_size for p in downloads.iterdir())
        finally:
            driver.quit()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=2048, help="side of the high-res upload (default 2048)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds allowed for each step")
    p.add_argument("--url", help="a running app instead of a fresh server (first paint is then not a cold start)")
    p.add_argument("--visitors", type=int, default=5, help="later visitors whose first paint is timed (median)")
    p.add_argument("--json", help="also write the timings here")
    args = p.parse_args()
    result = run(args.size, args.timeout, args.url, visitors=args.visitors)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
