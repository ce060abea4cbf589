"""End to end in a real headless Chromium: start `streamlit run`, upload a photo, wait for SR and PSNR.

Needs Debian's chromium and chromium-driver (installed by .ci/run); skipped with a reason without them.
Set SRGAN_SCREENSHOT=path to keep the screenshot (the README's is made this way).
"""

import os
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import requires_chromium, smooth_image

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture
def server(tiny_weights_dir, tmp_path):
    from tests.support.server import streamlit_server

    with streamlit_server({"SRGAN_WEIGHTS": str(tiny_weights_dir)}, tmp_path / "streamlit.log") as (url, _pid):
        yield url


def test_upload_shows_sr_and_psnr_in_a_real_browser(server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.support.browser import make_driver

    photo = tmp_path / "photo.png"
    Image.fromarray(smooth_image(192, 256, seed=3)).save(photo)
    driver = make_driver("1500,1300")
    try:
        wait = WebDriverWait(driver, 120)
        driver.get(server)
        wait.until(ec.presence_of_element_located((By.XPATH, "//th[contains(text(), 'SRGAN')]")))  # the example
        driver.find_element(By.XPATH, "//button[.//*[contains(text(), 'High-res image')]]").click()
        upload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type='file']")))
        upload.send_keys(str(photo))
        wait.until(ec.presence_of_element_located((By.XPATH, "//*[contains(text(), 'photo.png')]")))
        wait.until(lambda d: "input 64×48 → output 256×192" in d.find_element(By.TAG_NAME, "body").text)
        psnr = wait.until(ec.presence_of_element_located((By.XPATH, "//td[contains(text(), 'PSNR (dB)')]")))
        assert psnr.is_displayed()
        time.sleep(1)  # let images finish painting
        shot = Path(os.environ.get("SRGAN_SCREENSHOT", tmp_path / "screenshot.png"))
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        driver.quit()


def test_interactions_do_not_rerun_the_page_after_a_2048_upload(tiny_weights):
    # the case: a 2048x2048 high-res upload, then every interaction a user makes with the result
    from scripts.time_interactions import run

    result = run(2048, timeout=240, env={"SRGAN_WEIGHTS": str(tiny_weights)}, visitors=1)
    assert result["compare_reran_page"] is False  # wipe drag, zoom, pan, switching the wipe's panel
    assert result["columns_reran_page"] is False  # hiding and showing a column reran its fragment only
    assert result["download_reran_page"] is False
    assert result["download_bytes"] > 1_000_000  # the full 2048x2048 SRGAN PNG
    assert result["compare_switch_s"] <= 0.5  # another, already computed, method in the wipe
