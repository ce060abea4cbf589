"""One result of the Upscale & compare page: its headline, the results table with the best of each
metric marked, the views (compare, error maps, perception–distortion) and the downloads.

:func:`show_result` draws it; everything below the headline is one fragment, so hiding a column or
switching a view reruns only that, on the comparison already computed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages.charts import colours_for, perception_distortion_figure
from pages.common import literal, method_label
from pages.compare_view import compare_html, media_url, show_compare
from srgan.compare import Comparison, Panel, comparison_png
from srgan.quality.metrics import PROTOCOL
from srgan.quality.niqe import MIN_SIDE as NIQE_MIN_SIDE

COMPARE_HEIGHT = 720  # px of the compare view

NIQE_HELP = (
    "NIQE (Mittal et al. 2013, MATLAB's model as SR papers report it): how natural an image's local "
    "statistics are, without a reference; lower is better. A rough guide to what people see."
)


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


def show_result(key: str, label: str, c: Comparison) -> None:
    """One result: its headline and notes, then :func:`_results` (the fragment)."""
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
