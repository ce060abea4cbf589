"""The client-side comparison (pages/compare_view.py, issue 18): self-contained, escaped, lossless HTML,
and in a real browser the wipe, zoom and pan work without a single rerun of the app."""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pages.compare_view import compare_html
from srgan.image_io import Picture, encode_png
from tests.conftest import requires_chromium, smooth_image

ROOT = Path(__file__).resolve().parent.parent
DATA_URL = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
EVIL = "<img src=x onerror=alert(1)>"


def _panels() -> list[tuple[str, bytes]]:
    hr = smooth_image(32, 48, seed=1)
    alpha = np.random.default_rng(2).integers(0, 256, (32, 48), dtype=np.uint8)
    rgba = encode_png(Picture(smooth_image(32, 48, seed=3), alpha=alpha, mode="RGBA"))
    return [
        ("LR (nearest)", encode_png(Picture(np.ascontiguousarray(hr[::4, ::4])))),
        ("Bicubic", encode_png(Picture(smooth_image(32, 48, seed=4)))),
        (EVIL, rgba),
        ("HR", encode_png(Picture(hr))),
    ]


def test_self_contained_no_external_urls():
    doc = compare_html(_panels(), left="Bicubic", right="HR")
    for bad in ("http://", "https://", "//cdn", "<link", "@import"):
        assert bad not in doc.lower(), bad
    assert not re.search(r"<script[^>]*\bsrc\s*=", doc, re.IGNORECASE)
    assert doc.count("<script>") == 1  # inline only
    assert 'class="srgan-compare' in doc and "srgan-divider" in doc


def test_labels_and_notes_are_escaped():
    notes = {"HR": 'PSNR <b>31.2</b> dB & "quoted"', EVIL: "alpha"}
    doc = compare_html(_panels(), left=EVIL, right="HR", notes=notes)
    assert EVIL not in doc and "<b>31.2" not in doc
    assert "&lt;img src=x onerror=alert(1)&gt;" in doc
    assert "PSNR &lt;b&gt;31.2&lt;/b&gt; dB &amp; &quot;quoted&quot;" in doc
    for label in ("LR (nearest)", "Bicubic", "HR"):
        assert label in doc
    assert len(re.findall(r"<script", doc)) == 1  # nothing a label or note could have opened


def test_images_embedded_once_each_and_exactly():
    panels = _panels()
    doc = compare_html(panels, left="Bicubic", right="HR")
    found = DATA_URL.findall(doc)
    assert len(found) == len(panels)  # each image sent once, in panel order
    assert [base64.b64decode(b) for b in found] == [png for _, png in panels]  # bytes in, the same bytes out
    assert 'data-w="48" data-h="32"' in doc  # the largest panel's frame
    assert 'data-left="1" data-right="3"' in doc


def test_any_png_is_sized_from_its_header():
    import cv2

    grey16 = cv2.imencode(".png", (np.arange(40 * 60, dtype=np.uint16).reshape(40, 60) * 27))[1].tobytes()
    palette = Image.fromarray(smooth_image(32, 48, seed=7)).convert("P")
    buf = io.BytesIO()
    palette.save(buf, format="PNG", transparency=0)
    lr = encode_png(Picture(smooth_image(8, 12, seed=5)))
    panels = [("LR", lr), ("16-bit grey", grey16), ("palette+tRNS", buf.getvalue())]
    doc = compare_html(panels, left="LR", right="16-bit grey")
    assert [base64.b64decode(b) for b in DATA_URL.findall(doc)] == [png for _, png in panels]
    assert 'data-w="60" data-h="40"' in doc


def test_url_for_gets_each_panel_and_its_index():
    panels = _panels()
    seen = []

    def url_for(png: bytes, index: int) -> str:
        seen.append((png, index))
        return f"media/panel-{index}.png"

    doc = compare_html(panels, left="Bicubic", right="HR", url_for=url_for)
    assert seen == [(png, i) for i, (_, png) in enumerate(panels)]
    assert "base64" not in doc
    assert [doc.count(f'src="media/panel-{i}.png"') for i in range(len(panels))] == [1] * len(panels)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"left": "nope", "right": "HR"},
        {"left": "HR", "right": "HR"},
        {"left": "Bicubic", "right": "HR", "notes": {"missing": "x"}},
    ],
)
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        compare_html(_panels(), **kwargs)


def test_a_single_panel_is_shown_side_by_side():
    doc = compare_html([("SR", encode_png(Picture(smooth_image(8, 8))))], left="SR", right="SR")
    assert 'data-mode="side"' in doc and "sc-single" in doc and len(DATA_URL.findall(doc)) == 1


def test_bad_images_are_refused():
    good = encode_png(Picture(smooth_image(8, 8)))
    for bad in (b"", b"\xff\xd8\xff\xe0" + bytes(40), good[:20]):
        with pytest.raises(ValueError, match="panel 'b'"):
            compare_html([("a", good), ("b", bad)], left="a", right="b")
    with pytest.raises(TypeError):
        compare_html([("a", good), ("b", smooth_image(8, 8))], left="a", right="b")
    with pytest.raises(ValueError, match="unique"):
        compare_html([("a", good), ("a", good)], left="a", right="a")
    with pytest.raises(ValueError, match="no panels"):
        compare_html([], left="a", right="a")


def test_app_test_runs_the_component_without_error():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "tests" / "apps" / "compare_app.py"), default_timeout=60).run()
    assert not at.exception
    (frame,) = at.get("iframe")
    doc = frame.proto.srcdoc
    assert doc.count('class="sc-panel"') == 4 and 'data-w="256" data-h="256"' in doc
    assert len(DATA_URL.findall(doc)) == 4  # no media endpoint in the test app: embedded


# --- in a real browser -------------------------------------------------------------------------------


@pytest.fixture
def compare_app(tmp_path):
    """``streamlit run tests/apps/compare_app.py`` on a free loopback port; yields its URL."""
    from tests.support.server import streamlit_server

    with streamlit_server(log_path=tmp_path / "streamlit.log", script=ROOT / "tests" / "apps" / "compare_app.py") as (
        url,
        _pid,
    ):
        yield url


@pytest.mark.browser
@requires_chromium
def test_wipe_zoom_and_pan_run_in_the_browser_without_a_rerun(compare_app):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.support.browser import idle, make_driver, saw_status, settled, watch_status

    driver = make_driver("1500,1000")
    try:
        wait = WebDriverWait(driver, 40)
        driver.get(compare_app)
        runs = wait.until(ec.presence_of_element_located((By.XPATH, "//*[contains(text(), 'Script runs:')]")))
        assert runs.text.strip() == "Script runs: 1"
        settled(driver, 40)  # the first run has ended ("Script runs: 1" shows before its status can)
        watch_status(driver)  # from here on, note whether Streamlit's "Running..." status ever shows
        frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe")))
        driver.switch_to.frame(frame)
        root = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".srgan-compare")))
        wait.until(lambda d: d.execute_script("return [...document.images].every(i => i.complete && i.naturalWidth)"))

        def state() -> dict[str, str]:
            return {k: root.get_attribute(f"data-{k}") for k in ("mode", "wipe", "zoom", "pan-x", "pan-y")}

        def style(selector: str, prop: str) -> str:
            return driver.execute_script(f"return document.querySelector('{selector}').style.{prop}")

        assert state() == {"mode": "wipe", "wipe": "0.5", "zoom": "1", "pan-x": "0", "pan-y": "0"}
        clip0 = style(".sc-layer-l", "clipPath")
        transform0 = style(".sc-layer-l .sc-frame", "transform")

        # drag the divider 200 px to the right (mouse pointer events)
        divider = driver.find_element(By.CSS_SELECTOR, ".srgan-divider")
        ActionChains(driver).click_and_hold(divider).move_by_offset(100, 0).move_by_offset(100, 0).release().perform()
        wait.until(lambda d: float(root.get_attribute("data-wipe")) > 0.6)
        assert style(".sc-layer-l", "clipPath") != clip0
        assert float(style(".sc-divider", "left").rstrip("%")) > 60
        dragged = float(state()["wipe"])
        divider.send_keys(Keys.ARROW_LEFT)  # the keyboard moves it too
        wait.until(lambda d: float(root.get_attribute("data-wipe")) < dragged - 0.005)

        # zoom: the + button, then the wheel about a point off-centre
        root.find_element(By.CSS_SELECTOR, ".sc-in").click()
        wait.until(lambda d: float(root.get_attribute("data-zoom")) == 2)
        assert root.find_element(By.CSS_SELECTOR, ".sc-zoom").text == "2×"
        stage = root.find_element(By.CSS_SELECTOR, ".sc-wipe")
        driver.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "arguments[0].dispatchEvent(new WheelEvent('wheel', {deltaY: -400, clientX: r.left + r.width * 0.3,"
            " clientY: r.top + r.height * 0.3, bubbles: true, cancelable: true}));",
            stage,
        )
        wait.until(lambda d: float(root.get_attribute("data-zoom")) > 5)
        # zoomed about the cursor: the point under it stays, so the view's centre moves towards it
        assert float(state()["pan-x"]) < 0 and float(state()["pan-y"]) < 0
        transform1 = style(".sc-layer-l .sc-frame", "transform")
        assert transform1 != transform0
        assert driver.execute_script("return document.querySelector('.sc-layer-l img').classList.contains('sc-px')")

        # pan: drag the image (away from the divider)
        before = state()
        rect = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", stage)
        ActionChains(driver).move_to_element_with_offset(
            stage, -int(rect["width"] * 0.35), 0
        ).click_and_hold().move_by_offset(60, 40).move_by_offset(60, 40).release().perform()
        wait.until(lambda d: state()["pan-x"] != before["pan-x"] and state()["pan-y"] != before["pan-y"])
        assert float(state()["pan-x"]) < float(before["pan-x"])  # dragging right shows more of the left
        assert state()["wipe"] == before["wipe"]  # panning leaves the divider where it was
        assert style(".sc-layer-l .sc-frame", "transform") != transform1

        # side by side keeps zoom and pan, all panels shown; then reset
        root.find_element(By.CSS_SELECTOR, ".sc-mode[data-mode=side]").click()
        wait.until(lambda d: state()["mode"] == "side")
        assert float(state()["zoom"]) > 5
        views = root.find_elements(By.CSS_SELECTOR, ".sc-panel .sc-view")
        assert len(views) == 4 and all(v.is_displayed() and v.size["width"] > 100 for v in views)
        transforms = {
            driver.execute_script("return arguments[0].querySelector('.sc-frame').style.transform", v) for v in views
        }
        assert len(transforms) == 1  # the same view in every panel
        root.find_element(By.CSS_SELECTOR, ".sc-reset").click()
        wait.until(lambda d: state()["zoom"] == "1" and state()["pan-x"] == "0")
        # at 1x a wheel out cannot zoom: the page may scroll (not cancelled); Ctrl+= is the browser's zoom
        cancelled = (  # dispatchEvent is false when a listener called preventDefault
            "return !arguments[0].dispatchEvent(new (window[arguments[1]])(arguments[2],"
            " Object.assign({bubbles: true, cancelable: true}, arguments[3])))"
        )
        assert not driver.execute_script(cancelled, views[0], "WheelEvent", "wheel", {"deltaY": 100})
        assert not driver.execute_script(cancelled, root, "KeyboardEvent", "keydown", {"key": "=", "ctrlKey": True})
        assert state()["zoom"] == "1"

        # two fingers apart zoom in (touch pointer events); a double-click resets
        driver.execute_script(
            "const v = arguments[0], r = v.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;"
            "const ev = (type, id, dx) => v.dispatchEvent(new PointerEvent(type, {pointerId: id, pointerType: 'touch',"
            " isPrimary: id === 1, clientX: x + dx, clientY: y, bubbles: true, cancelable: true}));"
            "ev('pointerdown', 1, -20); ev('pointerdown', 2, 20); ev('pointermove', 2, 60); ev('pointermove', 1, -60);"
            "ev('pointerup', 1, -60); ev('pointerup', 2, 60);",
            views[0],
        )
        wait.until(lambda d: 2.5 < float(state()["zoom"]) < 3.5)  # fingers 3x as far apart
        ActionChains(driver).double_click(views[1]).perform()
        wait.until(lambda d: state()["zoom"] == "1")

        # none of it went to the server: no rerun, no "Running..." status
        driver.switch_to.default_content()
        assert idle(driver)
        assert not saw_status(driver), driver.execute_script("return window.statusText")
        assert driver.find_element(By.XPATH, "//*[contains(text(), 'Script runs:')]").text.strip() == "Script runs: 1"
        # a rerun from elsewhere on the page neither reloads the frame nor resets the view
        driver.switch_to.frame(frame)
        driver.execute_script("window.sameDocument = true")
        root.find_element(By.CSS_SELECTOR, ".sc-in").click()
        wait.until(lambda d: state()["zoom"] == "2")
        driver.switch_to.default_content()
        driver.find_element(By.XPATH, "//button[.//*[contains(text(), 'Rerun the app')]]").click()
        wait.until(lambda d: "Script runs: 2" in d.find_element(By.TAG_NAME, "body").text)
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe"))
        assert driver.execute_script("return window.sameDocument") is True
        assert state()["zoom"] == "2"
        driver.switch_to.default_content()
        if os.environ.get("SRGAN_COMPARE_SHOTS"):
            driver.save_screenshot(str(Path(os.environ["SRGAN_COMPARE_SHOTS"]) / "compare_test_end.png"))
    finally:
        driver.quit()
