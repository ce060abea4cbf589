"""Upscale & compare: one image through every method (the paper's Figure 2 on the user's own image).

LR, bicubic, each SR and the HR side by side, measured against the ground truth. The result is
computed once per (image, fit, arithmetic) and kept; everything after that (wipe, zoom and pan in
the browser; columns, error maps and charts in fragments; downloads of bytes already encoded)
recomputes nothing.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages import state
from pages.charts import colours_for, perception_distortion_figure
from pages.common import (
    app_pixel_cap,
    get_slots,
    get_upscalers,
    literal,
    method_label,
    methods_sidebar,
    one_line,
    page_errors,
    precision_sidebar,
    trim_heap,
)
from pages.compare_view import compare_html, media_url, show_compare
from srgan.compare import Comparison, Panel, comparison_png, crop_centre, example_images, run_comparison
from srgan.image_io import IMAGE_EXTENSIONS, ImageLoadError, Picture, image_size, load_image
from srgan.quality.metrics import PROTOCOL
from srgan.quality.niqe import MIN_SIDE as NIQE_MIN_SIDE

UPLOAD_TYPES = tuple(ext.lstrip(".") for ext in IMAGE_EXTENSIONS)
COMPARE_HEIGHT = 720  # px of the compare view

NIQE_HELP = (
    "NIQE (Mittal et al. 2013, MATLAB's model as SR papers report it): how natural an image's local "
    "statistics are, without a reference; lower is better. A rough guide to what people see."
)


@st.cache_data(show_spinner=False)
def _examples() -> dict[str, np.ndarray]:
    return example_images()


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
        f"This image is {w:,}×{h:,} ({w * h / 1e6:.1f} Mpx). The app handles "
        f"{'high-res images' if is_hr else 'low-res inputs'} up to {cap / 1e6:.2f} Mpx (about {side:,}×{side:,}); "
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
    pic = source if isinstance(source, Picture) else load_image(source, fit_pixels=cap if fit == "downscale" else None)
    return crop_centre(pic, cap) if fit == "crop" else pic


def _compute(
    label: str, source: Picture | bytes, is_hr: bool, fit: str, methods: list[str], precision: str, example: bool
) -> tuple[str, Comparison] | None:
    """(key, result) of every method on this image, computed once and then kept (this session's
    gallery; the examples for every session); None with a one-line error when it cannot be done."""
    key = state.result_key(source, fit, methods, precision, is_hr)
    if (known := state.find(key)) is not None:  # this session's, or an example another session has run
        return key, state.remember(key, label, known)
    upscalers = get_upscalers(methods, precision)
    bar = st.progress(0.0, text="Starting…")

    def queued(ahead: int) -> None:
        plural = "s" if ahead != 1 else ""
        bar.progress(0.0, text=f"Queued: {ahead} request{plural} from other sessions ahead of yours…")

    def progress(fraction: float, what: str) -> None:  # t0 is set once this session's turn has come
        bar.progress(min(fraction, 1.0), text=f"{what} · {time.perf_counter() - t0:.1f} s")

    try:
        # decoding too is in the queue: a large upload's pixels exist for one session at a time
        with get_slots().hold(on_wait=queued):
            t0 = time.perf_counter()  # time the work, not the wait
            comparison = run_comparison(_decode(source, is_hr, fit), upscalers, is_hr, progress)
            trim_heap()
    except ValueError as e:  # ImageLoadError is one
        bar.empty()
        st.error(f"Cannot process {literal(label)}: {one_line(e)}")
        return None
    bar.empty()
    return key, state.remember(key, label, comparison, share=example)


def _fmt(value: float | None, digits: int, unit: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def _table(c: Comparison, shown: list[str]) -> str:
    """A Markdown table, one column per shown panel: size, PSNR, SSIM, NIQE and time; the best
    method of each row in bold with a star."""
    best = {m: c.best(m) for m in ("psnr", "ssim", "niqe")}
    panels = c.panels

    def cell(name: str, metric: str, digits: int, unit: str = "") -> str:
        text = _fmt(getattr(panels[name], metric), digits, unit)
        return f"**{text} ★**" if best[metric] == name and len(c.methods) > 1 else text

    rows = {
        "Size": [f"{panels[n].width:,}×{panels[n].height:,}" for n in shown],
        "PSNR (dB) ↑": [cell(n, "psnr", 2) for n in shown],
        "SSIM ↑": [cell(n, "ssim", 4) for n in shown],
        "NIQE ↓": [cell(n, "niqe", 2) for n in shown],
        "Time": [_fmt(panels[n].seconds, 2, " s") for n in shown],
    }
    if not c.has_ground_truth:
        del rows["PSNR (dB) ↑"], rows["SSIM ↑"]
    head = "| | " + " | ".join(method_label(n) for n in shown) + " |"
    lines = [head, "|---|" + "---:|" * len(shown)]
    lines += [f"| {name} | " + " | ".join(vals) + " |" for name, vals in rows.items()]
    return "\n".join(lines)


def _panel_note(p: Panel) -> str:
    bits = []
    if p.psnr is not None:
        bits.append(f"PSNR {p.psnr:.2f} dB · SSIM {p.ssim:.4f}")
    if p.niqe is not None:
        bits.append(f"NIQE {p.niqe:.2f}")
    return " · ".join(bits)


def _compare_view(c: Comparison, shown: list[str]) -> None:
    panels = c.panels
    learned = [m for m in c.methods if m != "bicubic" and m in shown]
    right = "srgan" if "srgan" in shown else (learned[-1] if learned else shown[-1])
    left = "bicubic" if "bicubic" in shown and right != "bicubic" else shown[0]
    markup = compare_html(
        [(method_label(n), panels[n].png) for n in shown],
        left=method_label(left),
        right=method_label(right),
        notes={method_label(n): _panel_note(panels[n]) for n in shown},
        url_for=media_url,  # the PNG bytes the result holds, by URL: not copied into the document
    )
    show_compare(markup, height=COMPARE_HEIGHT)
    st.caption(
        "Drag the divider to wipe between two panels (pick them above the image); scroll or pinch to zoom, "
        "drag to pan, double-click to reset: every panel follows, pixel for pixel. The LR is drawn enlarged "
        "with square pixels."
    )


def _error_maps(c: Comparison, shown: list[str]) -> None:
    maps = {m: p.error_map for m, p in c.methods.items() if m in shown and p.error_map is not None}
    if not maps:
        st.caption("Show at least one method to see its error map.")
        return
    vmax = float(np.percentile(np.concatenate([e.ravel() for e in maps.values()]), 99.5)) or 1.0
    per_row = 3
    items = list(maps.items())
    for start in range(0, len(items), per_row):
        cols = st.columns(per_row)
        for col, (name, err) in zip(cols, items[start : start + per_row], strict=False):
            fig = go.Figure(
                go.Heatmap(
                    z=err,
                    colorscale="Inferno",  # sequential, black at zero error
                    zmin=0,
                    zmax=vmax,
                    colorbar={"title": {"text": "|ΔY|"}},
                    hovertemplate="|ΔY| %{z:.1f}<extra></extra>",
                )
            )
            fig.update_layout(height=360, margin={"l": 0, "r": 0, "t": 0, "b": 0})
            fig.update_yaxes(scaleanchor="x", visible=False, autorange="reversed")
            fig.update_xaxes(visible=False)
            col.markdown(f"**{method_label(name)}** · mean |ΔY| {float(np.nanmean(err)):.2f}")
            # theme=None: Streamlit's chart theme replaces the colour scale with its own, light at zero
            col.plotly_chart(fig, key=f"err_{name}", theme=None, config={"displayModeBar": False})
    block = c.methods[items[0][0]].error_map_block
    blocks = f" Each cell is the mean of {block}×{block} pixels." if block > 1 else ""
    st.caption(
        "Absolute error of the Y channel against the HR (0–255 scale), the quantity behind PSNR, on one colour "
        f"scale for all maps (clipped at {vmax:.0f}).{blocks} Black is no error: darker is better."
    )


def _perception_distortion(c: Comparison, shown: list[str]) -> None:
    points = {
        m: (p.psnr, p.niqe) for m, p in c.methods.items() if m in shown and p.psnr is not None and p.niqe is not None
    }
    if not points:
        side = min(c.hr.width, c.hr.height) if c.hr else 0
        st.caption(f"NIQE needs images of at least {NIQE_MIN_SIDE}×{NIQE_MIN_SIDE} px; this one is {side} px a side.")
        return
    means = pd.DataFrame(
        [{"method": method_label(m), "psnr": psnr, "niqe": niqe} for m, (psnr, niqe) in points.items()],
        columns=["method", "psnr", "niqe"],
    )
    colours = {method_label(m): colour for m, colour in colours_for(c.methods).items()}
    fig = perception_distortion_figure(
        means, None, colours, "NIQE (MATLAB model)", legend="method", reference_niqe=c.hr.niqe if c.hr else None
    )
    st.plotly_chart(fig, key="pd_chart")
    st.caption(
        "Blau & Michaeli (2018): past a point, an image cannot be both closer to the truth pixel for pixel "
        "(PSNR) and more natural-looking (NIQE). SRResNet sits at the PSNR end, SRGAN trades PSNR for "
        "naturalness. The Benchmarks page shows the same plane for each benchmark set."
    )


def _downloads(label: str, c: Comparison, shown: list[str]) -> None:
    stem = label.rsplit(".", 1)[0].replace(" ", "_")
    methods = [m for m in c.methods if m in shown]
    cols = st.columns(len(methods) + 1)
    for col, m in zip(cols, methods, strict=False):
        # the bytes were encoded once with the result; a click does not rerun anything
        col.download_button(
            f"{method_label(m)} (PNG)",
            c.methods[m].png,
            f"{stem}_x4_{m}.png",
            "image/png",
            key=f"dl_{m}",
            on_click="ignore",
            width="stretch",
        )
    labels = {n: method_label(n) for n in c.panels}
    cols[-1].download_button(
        "All side by side (PNG)",
        lambda: comparison_png(c, labels),  # made when clicked, not held
        f"{stem}_comparison.png",
        "image/png",
        key="dl_cmp",
        on_click="ignore",
        width="stretch",
    )


@st.fragment
def _results(key: str, label: str, c: Comparison) -> None:
    """Everything shown about one result. Its controls rerun only this fragment, on data already made."""
    names = list(c.panels)
    shown = st.pills(
        "Columns",
        names,
        default=names,
        selection_mode="multi",
        format_func=method_label,
        key=f"shown_{key}",
        help="Hide the columns you do not need; the table, the views and the charts follow.",
    )
    shown = [n for n in names if n in (shown or [])]
    if not shown:
        st.caption("Pick at least one column to show.")
        return
    st.markdown(_table(c, shown))
    if not c.has_ground_truth:
        st.caption(
            "No ground truth for a low-resolution upload, so PSNR and SSIM cannot be measured: judge by eye, or "
            "upload the high-resolution original, which the app downsamples x4 and measures against."
        )
    if all(p.niqe is None for p in c.methods.values()):
        first = next(iter(c.methods.values()))
        st.caption(
            f"No NIQE: it needs at least {NIQE_MIN_SIDE}×{NIQE_MIN_SIDE} px, and these outputs are "
            f"{first.width}×{first.height}."
        )
    st.caption(f"★ best of the methods. PSNR and SSIM: {PROTOCOL.rstrip('.')}. {NIQE_HELP}")
    views = {"Compare": _compare_view}
    if c.has_ground_truth:  # both measure against the HR
        views |= {"Error maps": _error_maps, "Perception–distortion": _perception_distortion}
    # one view drawn at a time (tabs would draw every chart, hidden or not, on each run)
    view = st.segmented_control("View", list(views), default="Compare", key="view") if len(views) > 1 else None
    views[view or "Compare"](c, shown)
    _downloads(label, c, shown)


def _show(key: str, label: str, c: Comparison) -> None:
    lr = c.lr
    seconds = sum(p.seconds or 0.0 for p in c.methods.values())
    st.markdown(
        f"**{literal(label)}** · input {lr.width:,}×{lr.height:,} → output {4 * lr.width:,}×{4 * lr.height:,} (×4) · "
        f"{len(c.methods)} methods in {seconds:.1f} s"
        + (" · measured against the HR ground truth" if c.has_ground_truth else " · no ground truth")
    )
    for note in c.notes:
        st.caption(f"Note: {note}.")
    _results(key, label, c)


def _gallery() -> None:
    gallery = state.gallery()
    if len(gallery) < 2:
        return
    st.divider()
    st.subheader("This session")
    cols = st.columns(state.GALLERY_SIZE)
    for i, (col, item) in enumerate(zip(cols, gallery, strict=False)):
        col.image(item["thumb"], width="content")
        c = item["comparison"]
        col.caption(literal(item["label"]))
        if c is None:
            col.caption("Thumbnail only: this session's memory keeps the newest results in full.")
        elif i and col.button("Reopen", key=f"reopen_{item['key']}"):
            state.bring_forward(i)
            st.session_state["reopen"] = item["key"]
            st.rerun()


def _count_run() -> None:
    """Count this session's runs of the whole page (fragment reruns do not count), in a hidden element
    the browser test reads: an interaction that should not rerun the page must leave it unchanged."""
    runs = st.session_state["page_runs"] = st.session_state.get("page_runs", 0) + 1
    st.html(f'<span id="srgan-page-runs" data-runs="{runs}" hidden></span>')


st.title("Upscale & compare")
st.caption("×4 super-resolution by every method at once, next to bicubic, measured honestly against the ground truth.")
_count_run()
with page_errors("upscaling and comparing"):
    methods = methods_sidebar()
    precision = precision_sidebar()
    reopen = st.session_state.pop("reopen", None)
    if reopen is not None and (item := state.shown()) is not None:
        _show(item["key"], item["label"], item["comparison"])
    else:
        chosen = _source()
        if chosen is not None:
            label, source, is_hr = chosen
            fit = _fit_choice(label, source, is_hr)
            if fit is not None:
                example = st.session_state.get("source") in ("Example", None)
                done = _compute(label, source, is_hr, fit, methods, precision, example=example)
                if done is not None:
                    _show(done[0], label, done[1])
# apart: an error above keeps the earlier results of this session within reach
with page_errors("showing this session's results"):
    _gallery()
