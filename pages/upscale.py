"""Upscale & compare: LR, bicubic, SR (and HR) side by side, measured against the ground truth."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from pages.common import (
    app_pixel_cap,
    get_slots,
    get_upscaler,
    literal,
    model_sidebar,
    one_line,
    page_errors,
    precision_sidebar,
    show_image,
    trim_heap,
)
from srgan.compare import (
    Comparison,
    example_images,
    fit_to_pixels,
    run_comparison,
    side_by_side,
    wipe,
    zoom_crop,
)
from srgan.image_io import (
    IMAGE_EXTENSIONS,
    ImageLoadError,
    Picture,
    encode_png,
    image_size,
    load_image,
)
from srgan.images import enlarge_nearest
from srgan.metrics import PROTOCOL

GALLERY_SIZE = 6  # results listed per browser session
GALLERY_MB = 60  # of them, kept in full per session (the newest always); older ones keep a thumbnail
PANEL_SIDE = 1024  # longest side of a panel as sent to the browser (a quarter of the page wide)
WIPE_SIDE = 1460  # the before/after view spans the page
UPLOAD_TYPES = tuple(ext.lstrip(".") for ext in IMAGE_EXTENSIONS)
ERROR_MAP_SIDE = 384  # error maps larger than this are shown as block means (a cell per few screen pixels)


@st.cache_data(show_spinner=False)
def _examples() -> dict[str, np.ndarray]:
    return example_images()


@st.cache_resource(show_spinner=False)
def _shared_results() -> dict[str, Comparison]:
    """Results of the bundled examples, shared by every session: each visitor starts on an
    example, and its result depends only on the image and the model, so it is computed once
    (at most 5 examples x 3 models)."""
    return {}


def _png(img: np.ndarray) -> bytes:
    return encode_png(Picture(img))


def _source() -> tuple[str, Picture | bytes, bool] | None:
    """(label, source, is_hr) from the chosen input, or None when there is nothing yet. The source is
    an example's picture, or an upload's bytes: those are decoded in the inference queue, one at a time."""
    how = st.segmented_control(
        "Input",
        ["Example", "High-res image", "Low-res image"],
        default="Example",
        key="source",
        help="A high-res image is downsampled x4 exactly as in the paper, so the result can be measured "
        "against it. A low-res image is upscaled as it is, with no ground truth.",
    )
    if how == "Example" or how is None:
        examples = _examples()
        name = st.selectbox("Example (scikit-image, used as high-res ground truth)", list(examples), key="example")
        return name, Picture(examples[name]), True
    upload = st.file_uploader(
        f"Upload a {'high' if how == 'High-res image' else 'low'}-resolution image",
        type=list(UPLOAD_TYPES),
        key=f"upload_{how}",
    )
    if upload is None:
        return None
    return upload.name, upload.getvalue(), how == "High-res image"


def _fit_choice(label: str, source: Picture | bytes, is_hr: bool) -> str | None:
    """ "none" when the image is within the app's size cap, else the user's choice ("downscale" or
    "crop"); None (with a one-line error) when the file's header cannot be read or is over the limit."""
    try:
        w, h = (source.width, source.height) if isinstance(source, Picture) else image_size(source)
    except ImageLoadError as e:  # unreadable header, or over MAX_PIXELS: before any decoding
        st.error(f"Cannot use {literal(label)}: {one_line(e)}")
        return None
    cap = app_pixel_cap(is_hr)
    if w * h <= cap:
        return "none"
    side = int(cap**0.5)
    st.warning(
        f"This image is {w}×{h} ({w * h / 1e6:.1f} Mpx). The app handles "
        f"{'high-res images' if is_hr else 'low-res inputs'} up to {cap / 1e6:.2f} Mpx (about {side}×{side}); "
        "the CLI has no such limit."
    )
    return st.radio(
        "Make it fit by",
        ["downscale", "crop"],
        horizontal=True,
        key="fit_how",
        format_func=lambda h: {"downscale": "downscaling it", "crop": "cropping the centre"}[h],
    )


def _decode(source: Picture | bytes, is_hr: bool, fit: str) -> Picture:
    """The picture to compare, within the app's cap: a large JPEG is reduced while it is decoded."""
    cap = app_pixel_cap(is_hr)
    downscale = cap if fit == "downscale" else None
    pic = source if isinstance(source, Picture) else load_image(source, fit_pixels=downscale)
    if fit == "crop" and pic.width * pic.height > cap:
        pic = Picture(fit_to_pixels(pic.rgb8(), cap, "crop"), notes=(*pic.notes, "cropped to fit the app's limit"))
    return pic


def _compute(
    label: str, source: Picture | bytes, is_hr: bool, fit: str, model: str, precision: str, example: bool = False
) -> Comparison | None:
    raw = source.pixels.tobytes() + str(source.pixels.shape).encode() if isinstance(source, Picture) else source
    digest = hashlib.sha1(raw).hexdigest()[:12]
    key = f"{digest}-{fit}-{model}-{precision}-{is_hr}"
    gallery: list[dict] = st.session_state.setdefault("gallery", [])
    for item in gallery:
        if item["key"] == key and item["comparison"] is not None:
            return item["comparison"]
    shared = _shared_results()
    if key in shared:  # an example another session has already run
        return _remember(gallery, key, label, shared[key])
    upscaler = get_upscaler(model, precision)
    bar = st.progress(0.0, text="Starting…")

    def queued(ahead: int) -> None:
        plural = "s" if ahead != 1 else ""
        bar.progress(0.0, text=f"Queued: {ahead} request{plural} from other sessions ahead of yours…")

    def progress(done: int, total: int) -> None:  # t0 is set once this session's turn has come
        bar.progress(done / total, text=f"Tile {done}/{total} · {time.perf_counter() - t0:.1f} s")

    try:
        # decoding too is in the queue: a large upload's pixels exist for one session at a time
        with get_slots().hold(on_wait=queued):
            t0 = time.perf_counter()  # time the work, not the wait
            comparison = run_comparison(_decode(source, is_hr, fit), upscaler, is_hr, progress)
            if comparison.has_ground_truth:  # here, in the queue, not beside another session's upscale
                comparison.error_maps(ERROR_MAP_SIDE)
            trim_heap()
    except ValueError as e:  # ImageLoadError is one
        bar.empty()
        st.error(f"Cannot process {literal(label)}: {one_line(e)}")
        return None
    bar.empty()
    if example:
        shared[key] = comparison
    return _remember(gallery, key, label, comparison)


def _remember(gallery: list[dict], key: str, label: str, comparison: Comparison) -> Comparison:
    """Put a result first in this session's gallery. Older results beyond :data:`GALLERY_MB` keep only
    their thumbnail: a session's memory stays bounded whatever it uploads."""
    gallery[:] = [item for item in gallery if item["key"] != key]
    c = comparison
    summary = f"{c.model} · " + (f"{c.psnr_gain:+.2f} dB" if c.has_ground_truth else "no ground truth")
    gallery.insert(0, {"key": key, "label": label, "comparison": c, "thumb": _thumb(c.sr), "summary": summary})
    del gallery[GALLERY_SIZE:]
    held = 0
    for item in gallery:
        if item["comparison"] is not None:
            held += item["comparison"].nbytes
            if held > GALLERY_MB * 1e6 and item is not gallery[0]:
                item["comparison"] = None
    return comparison


def _thumb(img: np.ndarray, size: int = 160) -> np.ndarray:
    im = Image.fromarray(img)
    im.thumbnail((size, size))
    return np.asarray(im)


NIQE_HELP = (
    "NIQE (Mittal et al. 2013): a no-reference score of how natural an image's local statistics are; "
    "lower is better. It needs no ground truth, but it is only a rough guide to what people see."
)


def _metrics(c: Comparison) -> None:
    if not c.has_ground_truth:
        st.info(
            "No ground truth for a low-resolution upload, so PSNR and SSIM cannot be measured: judge by eye, "
            "or upload the high-resolution original instead, which the app downsamples x4 and measures against."
        )
        if c.niqe:
            a, b = st.columns(2)
            a.metric("NIQE bicubic", f"{c.niqe['bicubic']:.2f}", help=NIQE_HELP)
            b.metric(
                f"NIQE {c.model}",
                f"{c.niqe['sr']:.2f}",
                f"{c.niqe['sr'] - c.niqe['bicubic']:+.2f}",
                delta_color="inverse",
                help=NIQE_HELP,
            )
        return
    b, s = c.metrics["bicubic"], c.metrics["sr"]
    cols = st.columns(4)
    cols[0].metric("PSNR bicubic", f"{b['psnr']:.2f} dB", help=PROTOCOL)
    cols[1].metric(f"PSNR {c.model}", f"{s['psnr']:.2f} dB", f"{s['psnr'] - b['psnr']:+.2f} dB", help=PROTOCOL)
    cols[2].metric("SSIM bicubic", f"{b['ssim']:.4f}", help=PROTOCOL)
    cols[3].metric(f"SSIM {c.model}", f"{s['ssim']:.4f}", f"{s['ssim'] - b['ssim']:+.4f}", help=PROTOCOL)


def _panels(c: Comparison) -> dict[str, np.ndarray]:
    panels = {"LR (nearest)": enlarge_nearest(c.lr), "Bicubic": c.bicubic, f"SR ({c.model})": c.sr}
    if c.hr is not None:
        panels["HR (ground truth)"] = c.hr
    return panels


def _show(label: str, c: Comparison) -> None:
    h, w = c.lr.shape[:2]
    st.markdown(
        f"**{literal(label)}** · input {w}×{h} → output {4 * w}×{4 * h} (×4) · {c.model} in {c.seconds:.1f} s"
        + (" · measured against the HR ground truth" if c.has_ground_truth else " · no ground truth")
    )
    for note in c.notes:
        st.caption(f"Note: {note}.")
    _metrics(c)
    panels = _panels(c)
    reduced = False
    for col, (name, img) in zip(st.columns(len(panels)), panels.items(), strict=True):
        reduced |= show_image(col, img, name, max_side=PANEL_SIDE)
    if reduced:
        st.caption("Panels are sent reduced to fit the page; the Zoom tab shows true pixels, downloads are full size.")

    wipe_tab, zoom_tab, error_tab, chart_tab = st.tabs(["Before / after", "Zoom", "Error maps", "Metrics chart"])
    with wipe_tab:
        pairs = [("Bicubic", f"SR ({c.model})")] + (
            [(f"SR ({c.model})", "HR (ground truth)")] if c.hr is not None else []
        )
        left, right = st.selectbox("Compare", pairs, format_func=lambda p: f"{p[0]} ↔ {p[1]}", key="wipe_pair")
        frac = st.slider(f"← {left} | {right} →", 0.0, 1.0, 0.5, 0.01, key="wipe")
        show_image(st, wipe(panels[left], panels[right], frac), max_side=WIPE_SIDE)
    with zoom_tab:
        a, b, z = st.columns(3)
        cx = a.slider("Centre x", 0.0, 1.0, 0.5, 0.01, key="zoom_x")
        cy = b.slider("Centre y", 0.0, 1.0, 0.5, 0.01, key="zoom_y")
        size = z.select_slider("Region (output pixels)", [32, 48, 64, 96, 128], 64, key="zoom_size")
        for col, (name, img) in zip(st.columns(len(panels)), panels.items(), strict=True):
            show_image(col, zoom_crop(img, cx, cy, size, max(256 // size, 2)), name)
    with error_tab:
        if c.hr is None:
            st.caption("Error maps need the ground truth: upload a high-resolution image.")
        else:
            # a heatmap cell per screen pixel is enough: a 2048² map would send 4 M numbers per chart
            maps, factor = c.error_maps(ERROR_MAP_SIDE)
            errs = {"|bicubic − HR|": maps["bicubic"], f"|SR − HR| ({c.model})": maps["sr"]}
            vmax = float(np.percentile(np.concatenate([e.ravel() for e in errs.values()]), 99.5))
            for col, (name, err) in zip(st.columns(2), errs.items(), strict=True):
                fig = go.Figure(
                    go.Heatmap(z=err[::-1], colorscale="Inferno", zmin=0, zmax=vmax, colorbar={"title": "ΔY"})
                )
                fig.update_layout(title=name, height=420, margin={"l": 0, "r": 0, "t": 40, "b": 0})
                fig.update_yaxes(scaleanchor="x", visible=False)
                fig.update_xaxes(visible=False)
                col.plotly_chart(fig, key=f"err_{name}")
            blocks = f" Each cell is the mean of {factor}×{factor} pixels." if factor > 1 else ""
            st.caption(
                f"Absolute error of the Y channel (0–255 scale), the quantity behind PSNR.{blocks} Darker is better."
            )
    with chart_tab:
        if c.hr is None:
            st.caption("Metrics need the ground truth.")
        else:
            names = ["bicubic", c.model]
            fig = go.Figure(
                [
                    go.Bar(x=names, y=[c.metrics[k]["psnr"] for k in ("bicubic", "sr")], name="PSNR (dB)", yaxis="y"),
                    go.Bar(
                        x=names,
                        y=[c.metrics[k]["ssim"] for k in ("bicubic", "sr")],
                        name="SSIM",
                        yaxis="y2",
                        offsetgroup=1,
                    ),
                ]
            )
            fig.update_layout(
                yaxis={"title": "PSNR (dB)"},
                yaxis2={"title": "SSIM", "overlaying": "y", "side": "right", "range": [0, 1]},
                barmode="group",
                height=360,
                margin={"t": 20},
            )
            st.plotly_chart(fig, key="metrics_chart")

    d1, d2 = st.columns(2)
    stem = label.rsplit(".", 1)[0].replace(" ", "_")
    # encoded when clicked (not on every rerun, not held per session), and a click does not rerun the page
    d1.download_button(
        "Download SR (PNG)",
        lambda: _png(c.sr),
        f"{stem}_x4_{c.model}.png",
        "image/png",
        key="dl_sr",
        on_click="ignore",
    )
    d2.download_button(
        "Download comparison (PNG)",
        lambda: _png(side_by_side(list(_panels(c).items()))),
        f"{stem}_comparison.png",
        "image/png",
        key="dl_cmp",
        on_click="ignore",
    )


def _gallery() -> None:
    gallery = st.session_state.get("gallery", [])
    if len(gallery) < 2:
        return
    st.divider()
    st.subheader("This session")
    cols = st.columns(len(gallery))
    for i, (col, item) in enumerate(zip(cols, gallery, strict=True)):
        col.image(item["thumb"], width="stretch")
        col.caption(f"{literal(item['label'])} · {item['summary']}")
        if item["comparison"] is None:
            col.caption("Thumbnail only: this session's memory keeps the newest results in full.")
        elif i and col.button("Reopen", key=f"reopen_{item['key']}"):
            gallery.insert(0, gallery.pop(i))
            st.session_state["reopen"] = item["key"]
            st.rerun()


st.title("Upscale & compare")
st.caption("×4 super-resolution with SRResNet / SRGAN, next to bicubic, measured honestly against the ground truth.")
with page_errors("upscaling and comparing"):
    model = model_sidebar()
    precision = precision_sidebar()
    reopen = st.session_state.pop("reopen", None)
    if reopen is not None:
        current = st.session_state["gallery"][0]
        _show(current["label"], current["comparison"])
    else:
        chosen = _source()
        if chosen is not None:
            label, source, is_hr = chosen
            fit = _fit_choice(label, source, is_hr)
            if fit is not None:
                example = st.session_state.get("source") in ("Example", None)
                comparison = _compute(label, source, is_hr, fit, model, precision, example=example)
                if comparison is not None:
                    st.session_state["current"] = comparison
                    _show(label, comparison)
# apart: an error above keeps the earlier results of this session within reach
with page_errors("showing this session's results"):
    _gallery()
