"""Screenshot of the running dashboard's main page for the README (headless Debian chromium).

Usage: streamlit run streamlit_app.py --server.port 8599 &   then
       python scripts/screenshot.py http://127.0.0.1:8599 docs/screenshot.png
"""

import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


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


def main() -> None:
    url, out = sys.argv[1], sys.argv[2]
    driver = make_driver()
    try:
        driver.get(url)
        WebDriverWait(driver, 300).until(ec.presence_of_element_located((By.XPATH, "//*[contains(text(), 'PSNR')]")))
        time.sleep(3)  # images finish painting
        driver.save_screenshot(out)
        print(f"wrote {out}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
