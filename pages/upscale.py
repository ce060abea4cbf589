"""Upscale & compare: one image through every method (the paper's Figure 2 on the user's own image).

LR, bicubic, each SR and the HR side by side, measured against the ground truth. The result is
computed once per (image, fit, arithmetic) and kept; everything after that (wipe, zoom and pan in
the browser; columns, error maps and charts in fragments; downloads of bytes already encoded)
recomputes nothing. What is shown of a result is drawn by :mod:`pages.results`.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from pages import state
from pages.common import (
    app_pixel_cap,
    get_slots,
    get_upscalers,
    literal,
    methods_sidebar,
    one_line,
    page_errors,
    precision_sidebar,
    trim_heap,
)
from pages.results import show_result
from srgan.compare import Comparison, crop_centre, example_images, run_comparison
from srgan.image_io import IMAGE_EXTENSIONS, ImageLoadError, Picture, image_size, load_image

UPLOAD_TYPES = tuple(ext.lstrip(".") for ext in IMAGE_EXTENSIONS)


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
        show_result(item["key"], item["label"], item["comparison"])
    else:
        chosen = _source()
        if chosen is not None:
            label, source, is_hr = chosen
            fit = _fit_choice(label, source, is_hr)
            if fit is not None:
                example = st.session_state.get("source") in ("Example", None)
                done = _compute(label, source, is_hr, fit, methods, precision, example=example)
                if done is not None:
                    show_result(done[0], label, done[1])
# apart: an error above keeps the earlier results of this session within reach
with page_errors("showing this session's results"):
    _gallery()
