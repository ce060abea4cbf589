"""Headless Debian Chromium, and the waits and clicks that read a Streamlit page as a user sees it:
its running status, the page's run counter, the compare view's frame."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

STATUS = "[data-testid='stStatusWidget']"  # Streamlit's "running" indicator
# The app root carries the script's run state; the running indicator only shows 0.5 s into a run, so its
# absence alone does not mean the run is over.
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']"


def make_driver(window_size: str = "1400,1500") -> webdriver.Chrome:
    """Headless Debian chromium via chromedriver, with a fresh profile and no background network
    traffic (this machine's network is closed)."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tempfile.mkdtemp()}",
        f"--window-size={window_size}",
        "--hide-scrollbars",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def until(predicate: Callable[[], object], timeout: float, what: str) -> float:
    """Poll ``predicate`` until true; the time it became true (perf_counter), or TimeoutError."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        with contextlib.suppress(Exception):  # elements replaced while read: try again
            if predicate():
                return time.perf_counter()
        time.sleep(0.02)
    raise TimeoutError(f"no {what} within {timeout:.0f} s")


def idle(driver: WebDriver) -> bool:
    """No script run in progress or requested, connected, and no status (running or connection) shown."""
    return bool(driver.find_elements(By.CSS_SELECTOR, IDLE)) and not driver.find_elements(By.CSS_SELECTOR, STATUS)


def settled(driver: WebDriver, timeout: float) -> None:
    """Wait until the app has been idle (:func:`idle`) for 0.3 s."""
    quiet_since, deadline = None, time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if not idle(driver):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.perf_counter()
        elif time.perf_counter() - quiet_since >= 0.3:
            return
        time.sleep(0.05)
    raise TimeoutError("the page kept running")


def watch_status(driver: WebDriver) -> None:
    """From now on, note in ``window.sawStatus`` whether the status shows, however briefly, and in
    ``window.statusText`` what it said (running, connecting, or a changed source file)."""
    driver.execute_script(
        f'window.sawStatus = false; window.statusText = ""; const seen = () => document.querySelector("{STATUS}");'
        "new MutationObserver(() => { const s = seen();"
        " if (s) { window.sawStatus = true; window.statusText ||= s.textContent || s.innerHTML.slice(0, 200); } })"
        ".observe(document.body, {childList: true, subtree: true, attributes: true});"
    )


def saw_status(driver: WebDriver) -> bool:
    return bool(driver.execute_script("return window.sawStatus"))


def page_runs(driver: WebDriver) -> int:
    """The page's run counter (pages/upscale.py writes it in a hidden element)."""
    return int(driver.execute_script("return document.getElementById('srgan-page-runs').dataset.runs"))


def click(driver: WebDriver, element: WebElement) -> None:
    """Scroll ``element`` to the middle of the window (clear of Streamlit's header), then click it."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def body_text(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


@contextlib.contextmanager
def in_compare(driver: WebDriver) -> Iterator[WebElement]:
    """Switch into the visible compare view's frame (and back out at the end); yields its root element."""
    frames = [f for f in driver.find_elements(By.CSS_SELECTOR, "iframe") if f.is_displayed()]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", frames[0])
    driver.switch_to.frame(frames[0])
    try:
        yield driver.find_element(By.CSS_SELECTOR, ".srgan-compare")
    finally:
        driver.switch_to.default_content()


def compare_ready(driver: WebDriver) -> bool:
    """The compare view is on the page with every image decoded."""
    with in_compare(driver):
        return bool(driver.execute_script("return [...document.images].every(i => i.complete && i.naturalWidth > 0)"))
