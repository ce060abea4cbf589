"""Screenshots of the running dashboard for the README (headless Debian chromium).

Usage: streamlit run streamlit_app.py --server.port 8599 &   then
       python scripts/screenshot.py http://127.0.0.1:8599 docs
(writes docs/screenshot.png and docs/screenshot_perception_distortion.png; the benchmarks and
architecture pages' screenshots were taken the same way, at 1500 px wide).
"""

import io
import sys
import time
from pathlib import Path

from selenium.webdriver.common.by import By


def main() -> None:
    """The README's figures: the landing page (the example's table and the wipe, zoomed in) and the
    perception-distortion view of the same result."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from PIL import Image

    from tests.support.browser import click, compare_ready, in_compare, make_driver, until

    url, out = sys.argv[1], Path(sys.argv[2] if len(sys.argv) > 2 else "docs")
    driver = make_driver("1500,1650")
    try:
        driver.get(url)
        until(lambda: compare_ready(driver), 300, "the example's compare view")
        with in_compare(driver) as root:  # zoom in about the astronaut's face
            stage = root.find_element(By.CSS_SELECTOR, ".sc-wipe")
            driver.execute_script(
                "const r = arguments[0].getBoundingClientRect();"
                "arguments[0].dispatchEvent(new WheelEvent('wheel', {deltaY: -220, clientX: r.left + r.width * 0.5,"
                " clientY: r.top + r.height * 0.32, bubbles: true, cancelable: true}));",
                stage,
            )
        shots = {}
        for name, scroll in (("screenshot.png", 240), ("screenshot_perception_distortion.png", 600)):
            if name != "screenshot.png":
                click(driver, driver.find_element(By.XPATH, "//button[normalize-space(.)='Perception–distortion']"))
                time.sleep(4)
            driver.execute_script(f"window.scrollTo(0, {scroll})")
            time.sleep(1.5)
            shots[name] = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    finally:
        driver.quit()
    main_shot = shots["screenshot.png"]
    main_shot.resize((1100, round(main_shot.height * 1100 / main_shot.width)), Image.LANCZOS).save(
        out / "screenshot.png", optimize=True
    )
    plane = shots["screenshot_perception_distortion.png"].crop((370, 300, 1500, 1240))
    plane.resize((900, round(plane.height * 900 / plane.width)), Image.LANCZOS).save(
        out / "screenshot_perception_distortion.png", optimize=True
    )
    print(f"wrote {out / 'screenshot.png'} and {out / 'screenshot_perception_distortion.png'}")


if __name__ == "__main__":
    main()
