"""Every dashboard page under Streamlit's AppTest, with tiny weights: no exceptions, real numbers.

Longer than ~300 lines because it is one test per thing a visitor can do on the upscale page, sharing
the AppTest helpers at the top."""

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import smooth_image

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


@pytest.fixture
def app(tiny_weights):
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP, default_timeout=120)


def _png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _upload(at, how: str, name: str, data: bytes):
    at.segmented_control(key="source").set_value(how).run()
    at.file_uploader(key=f"upload_{how}").set_value((name, data, "image/png")).run()
    return at


def _table(at) -> dict[str, list[str]]:
    """The results table (Markdown) as {row name: cells}, with the header row under "columns"."""
    text = next(m.value for m in at.markdown if m.value.startswith("| |"))
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines() if "---" not in line]
    return {"columns": rows[0][1:], **{r[0]: r[1:] for r in rows[1:]}}


def _shown(at):
    """The result on the page: the newest of the session's gallery."""
    return at.session_state["gallery"][0]["comparison"]


def _decode(png: bytes):
    from srgan.image_io import load_image

    return load_image(png)


def test_example_path_runs_every_method_and_marks_the_best(app):
    at = app.run()
    assert not at.exception and not at.error
    current = _shown(at)
    assert list(current.methods) == ["bicubic", "srresnet", "srgan"]
    assert current.hr.width == current.methods["srgan"].width == 512  # the astronaut
    table = _table(at)
    assert table["columns"] == ["LR (input)", "Bicubic", "SRResNet", "SRGAN", "HR (truth)"]
    best = current.best("psnr")
    for name, label in (("bicubic", "Bicubic"), ("srresnet", "SRResNet"), ("srgan", "SRGAN")):
        cell = table["PSNR (dB) ↑"][table["columns"].index(label)]
        assert f"{current.methods[name].psnr:.2f}" in cell
        assert ("★" in cell) == (name == best)
    assert table["PSNR (dB) ↑"][0] == "—"  # the LR has no PSNR: it is not the HR's size
    assert at.segmented_control(key="view").options == ["Compare", "Error maps", "Perception–distortion"]
    for view, charts in (("Error maps", 3), ("Perception–distortion", 1)):
        at.segmented_control(key="view").set_value(view).run()
        assert not at.exception and len(at.get("plotly_chart")) == charts
    assert len(at.download_button) == 4  # each method, and all side by side


def test_compare_view_serves_the_results_bytes_by_url_not_inline(app):
    import re

    at = app.run()
    document = at.get("iframe")[0].proto.srcdoc
    urls = re.findall(r'src="([^"]+)"', document)
    assert len(urls) == 5 and all(re.fullmatch(r"(mock/)?media/\w+\.png", u) for u in urls), urls  # 5 panels
    assert "data:image" not in document and len(document) < 100_000  # no megabytes of base64 per session


def test_hr_upload_metrics_equal_the_librarys(app):
    from pages.common import APP_ENGINE, APP_TILE
    from srgan.compare import run_comparison
    from srgan.image_io import Picture
    from srgan.inference import Upscaler

    hr = smooth_image(96, 128, seed=5)
    at = _upload(app.run(), "High-res image", "photo.png", _png(hr))
    assert not at.exception and not at.error
    upscalers = {"bicubic": Upscaler("bicubic")}
    upscalers |= {m: Upscaler(m, tile=APP_TILE, engine=APP_ENGINE) for m in ("srresnet", "srgan")}
    expected = run_comparison(Picture(hr), upscalers, is_hr=True)
    table = _table(at)
    for name, label in (("bicubic", "Bicubic"), ("srresnet", "SRResNet"), ("srgan", "SRGAN")):
        i = table["columns"].index(label)
        assert table["PSNR (dB) ↑"][i].strip("*★ ") == f"{expected.methods[name].psnr:.2f}"
        assert table["SSIM ↑"][i].strip("*★ ") == f"{expected.methods[name].ssim:.4f}"
    current = _shown(at)
    assert (current.lr.width, current.lr.height) == (32, 24)
    assert _decode(current.methods["srgan"].png).pixels.shape == (96, 128, 3)


def test_lr_upload_has_no_ground_truth_metrics(app):
    at = _upload(app.run(), "Low-res image", "small.png", _png(smooth_image(20, 24)))
    assert not at.exception and not at.error
    table = _table(at)
    assert "PSNR (dB) ↑" not in table and "SSIM ↑" not in table
    assert table["NIQE ↓"] == ["—"] * 4  # too small to score: and the page says why
    assert any("No ground truth" in c.value for c in at.caption)
    assert any("NIQE: it needs at least" in c.value for c in at.caption)
    assert "view" not in at.session_state  # no error maps or perception-distortion chart without the HR
    assert _decode(_shown(at).methods["srgan"].png).pixels.shape == (80, 96, 3)


def test_larger_lr_upload_gets_a_no_reference_score(app):
    at = _upload(app.run(), "Low-res image", "lr.png", _png(smooth_image(50, 60)))
    assert not at.exception and not at.error
    niqe = _table(at)["NIQE ↓"]
    assert niqe[0] == "—" and all(v != "—" for v in niqe[1:])  # the 50x60 LR is too small; the outputs are not


def test_self_ensemble_toggle_adds_the_plus_methods(app):
    from pages.common import APP_ENGINE, APP_TILE
    from srgan.compare import run_comparison
    from srgan.image_io import Picture
    from srgan.inference import Upscaler

    hr = smooth_image(64, 64, seed=8)
    at = _upload(app.run(), "High-res image", "photo.png", _png(hr))
    at.sidebar.toggle(key="ensemble").set_value(True).run()
    assert not at.exception and not at.error
    current = _shown(at)
    assert list(current.methods) == ["bicubic", "srresnet", "srresnet+", "srgan", "srgan+"]
    assert _table(at)["columns"][3] == "SRResNet+"
    plus = Upscaler("srresnet", tile=APP_TILE, engine=APP_ENGINE, ensemble=True)
    expected = run_comparison(Picture(hr), {"srresnet+": plus}, is_hr=True).methods["srresnet+"]
    assert current.methods["srresnet+"].png == expected.png  # the library's self-ensemble, byte for byte
    assert current.methods["srresnet+"].png != current.methods["srresnet"].png


def test_hiding_a_column_hides_it_everywhere(app):
    at = app.run()
    columns = at.pills[0]
    assert columns.label == "Columns" and columns.value == ["LR", "bicubic", "srresnet", "srgan", "HR"]
    columns.set_value(["LR", "bicubic", "srgan"]).run()
    assert not at.exception
    assert _table(at)["columns"] == ["LR (input)", "Bicubic", "SRGAN"]
    assert len(at.download_button) == 3  # bicubic, srgan, all side by side


def test_gallery_reopens_an_earlier_result(app):
    at = app.run()  # astronaut
    at.selectbox(key="example").set_value("Coffee cup").run()
    assert len(at.session_state["gallery"]) == 2
    at.button(key=f"reopen_{at.session_state['gallery'][1]['key']}").click().run()
    assert not at.exception
    assert at.session_state["gallery"][0]["label"] == "Astronaut (Eileen Collins)"
    assert any("Astronaut" in m.value for m in at.markdown)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"this is not an image", "not a recognised image"), (b"", "empty file")],
)
def test_bad_upload_gives_an_error_and_keeps_the_gallery(app, data, message):
    at = app.run()  # the example goes into the gallery
    at = _upload(at, "High-res image", "bad.png", data)
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert len(at.session_state["gallery"]) == 1


def test_too_small_hr_upload_is_explained_with_the_minimum(app):
    at = _upload(app.run(), "High-res image", "tiny.png", _png(smooth_image(8, 8)))
    assert not at.exception
    assert any("too small to downsample" in e.value and "16x16" in e.value for e in at.error)


def test_rgba_upload_keeps_its_alpha_and_says_so(app):
    alpha = np.tile(np.linspace(0, 255, 40, dtype=np.uint8), (40, 1))
    rgba = np.dstack([smooth_image(40, 40), alpha])
    at = _upload(app.run(), "High-res image", "rgba.png", _png(rgba))
    assert not at.exception and not at.error
    current = _shown(at)
    for panel in (current.lr, *current.methods.values(), current.hr):
        pic = _decode(panel.png)
        assert pic.mode == "RGBA" and pic.alpha is not None
    sr_alpha = _decode(current.methods["srgan"].png).alpha
    assert sr_alpha[:, 0].mean() < 40 < 215 < sr_alpha[:, -1].mean()  # the gradient is upscaled, not lost
    assert any("transparency kept" in c.value for c in at.caption)
    at = _upload(app.run(), "High-res image", "grey.png", _png(smooth_image(40, 40)[..., 0]))
    assert not at.exception and not at.error
    assert _decode(_shown(at).methods["srgan"].png).mode == "L"


def test_16_bit_upload_is_processed_and_downloadable_at_16_bits(app):
    import cv2

    lr16 = (smooth_image(24, 32, seed=4).astype(np.uint16) * 257 + 77)[..., ::-1]
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(lr16))
    assert ok
    at = _upload(app.run(), "Low-res image", "deep.png", buf.tobytes())
    assert not at.exception and not at.error
    sr = _decode(_shown(at).methods["srgan"].png)
    assert sr.bit_depth == 16 and sr.pixels.shape == (96, 128, 3)
    assert len(np.unique(sr.pixels[..., 0] % 257)) > 1  # real 16-bit values, not 8-bit ones scaled up
    assert any("16-bit input" in c.value for c in at.caption)


def test_oversized_upload_is_capped_with_a_choice(app):
    big = np.zeros((2100, 2100, 3), np.uint8)
    big[::7] = 200
    at = _upload(app.run(), "High-res image", "big.png", _png(big))
    assert not at.exception and not at.error
    assert any("up to 4.19 Mpx" in w.value for w in at.warning)
    assert _shown(at).hr.width == 2048  # downscaled to fit, then modcropped
    at.radio(key="fit_how").set_value("crop").run()
    assert not at.exception
    assert _shown(at).hr.width == 2048
    assert len(at.session_state["gallery"]) == 3  # example, downscaled, cropped


def test_architecture_page_is_computed_from_the_models(app):
    at = app.run()
    at.switch_page("pages/architecture.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "1,554,883 parameters" in text
    assert len(at.latex) >= 2


def test_benchmarks_page_without_results_says_how_to_make_them(app):
    at = app.run()
    at.switch_page("pages/benchmarks.py").run()
    assert not at.exception
    assert any("python -m srgan evaluate --benchmarks" in w.value for w in at.warning)


def test_benchmarks_page_shows_the_measured_file(app, tiny_weights):
    import shutil

    shutil.copyfile(Path(APP).parent / "weights" / "benchmarks.json", tiny_weights / "benchmarks.json")
    try:
        at = app.run()
        at.switch_page("pages/benchmarks.py").run()
        assert not at.exception
        assert not at.warning
        assert len(at.dataframe) >= 3  # measured table, paper table, per-image table
    finally:
        (tiny_weights / "benchmarks.json").unlink()


def test_example_results_are_shared_between_sessions_but_uploads_are_not(app, tiny_weights):
    from streamlit.testing.v1 import AppTest

    first = app.run()
    second = AppTest.from_file(APP, default_timeout=120).run()
    assert _shown(second) is _shown(first)  # computed once
    hr = smooth_image(64, 64, seed=9)
    a = _upload(first, "High-res image", "mine.png", _png(hr))
    b = _upload(second, "High-res image", "mine.png", _png(hr))
    assert _shown(a) is not _shown(b)


def test_benchmarks_page_shows_speed_and_the_quality_speed_chart(app, tiny_weights):
    import json
    import shutil

    from srgan.reports.speed import run_bench

    speed = run_bench(sizes=((16, 16),), min_runs=1, budget_s=0, with_peers=False, cold_start=False)
    (tiny_weights / "speed.json").write_text(json.dumps(speed))
    shutil.copyfile(Path(APP).parent / "weights" / "benchmarks.json", tiny_weights / "benchmarks.json")
    try:
        at = app.run()
        at.switch_page("pages/benchmarks.py").run()
        assert not at.exception and not at.info
        text = " ".join(m.value for m in at.markdown)
        assert f"{speed['generator']['inference_flops_per_lr_pixel'] / 1e6:.2f} MFLOP per LR pixel" in text
        assert at.selectbox[-1].value == "16x16"
        assert len(at.get("plotly_chart")) >= 3  # per-set bars, per-image scatter, quality against speed
    finally:
        (tiny_weights / "speed.json").unlink()
        (tiny_weights / "benchmarks.json").unlink()


def test_no_page_loads_tensorflow_into_the_server(tiny_weights):
    # TensorFlow alone holds ~600 MB; the pages run OpenVINO and build Keras models in a child process
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout=300).run()\n"
        "assert not at.exception and at.session_state['gallery'][0]['comparison'].methods['srgan'].png\n"
        "for page in ('pages/architecture.py', 'pages/benchmarks.py'):\n"
        "    at.switch_page(page).run()\n"
        "    assert not at.exception, page\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().splitlines()[-1] == "[]"


# --- issue 16: the app never shows a traceback -----------------------------------------------------------


def _markdown_elements(at) -> list:
    """Every element whose text Streamlit renders as Markdown."""
    return [*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.success]


def _assert_no_links(at, name: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")  # CommonMark, as Streamlit's renderer (keras needs it, via rich)
    md = markdown_it.MarkdownIt("commonmark")
    shown = False
    for el in _markdown_elements(at):
        for block in md.parse(el.value):
            for tok in block.children or []:
                assert tok.type not in ("link_open", "autolink", "html_inline"), el.value
                # GFM turns bare URLs in text into links (remark-gfm): names must stay out of plain text
                assert tok.type == "code_inline" or "http" not in tok.content, el.value
                shown |= tok.type == "code_inline" and tok.content == name
    assert shown  # the name itself is on the page, literally


def test_very_wide_lr_upload_is_upscaled_in_full(app):
    at = _upload(app.run(), "Low-res image", "strip.png", _png(smooth_image(1, 65535)))
    assert not at.exception and not at.error
    sr = _shown(at).methods["srgan"]
    assert (sr.width, sr.height) == (4 * 65535, 4)  # the result itself is full size


def test_markdown_in_a_file_name_is_shown_as_text(app):
    name = "[x](http://evil.example).png"
    at = _upload(app.run(), "High-res image", name, b"not an image")
    assert not at.exception
    assert any("not a recognised image" in e.value for e in at.error)
    _assert_no_links(at, name)
    at = _upload(at, "High-res image", name, _png(smooth_image(48, 48, seed=3)))
    assert not at.exception and not at.error
    _assert_no_links(at, name)  # the result's heading and the gallery caption


def test_damaged_weights_file_falls_back_and_names_the_file(app, tiny_weights_dir, tmp_path, monkeypatch):
    import shutil

    import streamlit as st

    folder = tmp_path / "weights"
    shutil.copytree(tiny_weights_dir, folder)
    broken = folder / "srgan_x4.weights.h5"
    broken.write_bytes(broken.read_bytes()[:1000])  # truncated
    monkeypatch.setenv("SRGAN_WEIGHTS", str(folder))
    st.cache_resource.clear()  # the models are cached per process by name
    try:
        at = app.run()
        assert not at.exception
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and "srgan_x4.weights.h5" in errors[0], errors
        assert "\n" not in errors[0] and str(tmp_path) not in errors[0]  # one line, no server path
        assert list(_shown(at).methods) == ["bicubic", "srresnet"]  # the others keep serving
        assert any("SRGAN" in c.value and "srgan_x4.weights.h5" in c.value for c in at.sidebar.caption)
        assert "SRGAN" not in _table(at)["columns"]
    finally:
        st.cache_resource.clear()


@pytest.mark.parametrize(
    ("target", "page"),
    [
        ("srgan.compare.run_comparison", "pages/upscale.py"),
        ("srgan.reports.cards.validation_points", "pages/architecture.py"),
    ],
)
def test_unexpected_error_in_a_page_is_one_line(app, monkeypatch, caplog, target, page):
    def boom(*args, **kwargs):
        raise RuntimeError("boom in /srv/app/secret/module.py\nsecond line")

    at = app.run()
    # a fresh upload, so the upscale page computes (the example's result is cached)
    at = _upload(at, "High-res image", "fresh.png", _png(smooth_image(40, 44, seed=11)))
    monkeypatch.setattr(target, boom)
    with caplog.at_level("ERROR"):
        if page == "pages/upscale.py":
            at = _upload(at, "High-res image", "other.png", _png(smooth_image(40, 44, seed=12)))
        else:
            at.switch_page(page).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Something went wrong while"), errors
    assert "boom in module.py" in errors[0] and "/srv" not in errors[0] and "second line" not in errors[0]
    assert "Traceback" in caplog.text and "/srv/app/secret/module.py" in caplog.text  # the server log has it all


def test_config_hides_error_details_from_visitors():
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


@pytest.mark.parametrize("native", [True, False])
def test_arithmetic_choice_offers_bf16_only_where_the_cpu_has_it(app, monkeypatch, native):
    from srgan.engines import openvino_engine

    monkeypatch.setattr(openvino_engine, "native_bf16", lambda: native)
    at = app.run()
    assert not at.exception
    options = at.radio(key="precision").options
    assert ("Fast (bfloat16)" in options) == native and "Exact (float32)" in options


def test_config_keeps_the_file_watcher_off_the_virtual_environment():
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "poll"  # no recursive inotify watch over .venv
