"""Charts and tables shared by the pages: one colour per method, the perception–distortion plane, and
st.dataframe's column formats."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

# one colour per method on every chart and page: fixed for the methods the project knows (bicubic, the
# baseline, grey; the others D3's strong colours, a self-ensemble "+" its model's hue, lighter), so that
# a method keeps its colour whichever methods a chart shows. Streamlit's chart theme keeps colours set on
# the traces (it only supplies the default colourway), so these charts keep theme="streamlit"
BICUBIC_COLOUR = "#7F7F7F"
METHOD_COLOURS = {
    "bicubic": BICUBIC_COLOUR,
    "srresnet": "#1F77B4",
    "srresnet+": "#AEC7E8",
    "srgan": "#FF7F0E",
    "srgan+": "#FFBB78",
    "FSRCNN": "#2CA02C",
    "ESPCN": "#D62728",
    "LapSRN": "#9467BD",
}
# for names not in METHOD_COLOURS: D3's colours that no known method has
PALETTE = [c for c in px.colors.qualitative.D3 if c.upper() not in {v.upper() for v in METHOD_COLOURS.values()}]


def colours_for(methods: Iterable[str]) -> dict[str, str]:
    """{method: colour} for ``methods`` in order: a known method's from :data:`METHOD_COLOURS`, the
    others :data:`PALETTE`'s in turn."""
    methods = list(dict.fromkeys(methods))
    unknown = [m for m in methods if m not in METHOD_COLOURS]
    return {m: METHOD_COLOURS.get(m) or PALETTE[unknown.index(m) % len(PALETTE)] for m in methods}


def table_columns(
    table: pd.DataFrame,
    fmt: str = "%.2f",
    formats: dict[str, str] | None = None,
    widths: dict[str, str] | None = None,
) -> dict:
    """column_config for st.dataframe of ``table``: every numeric column a NumberColumn with ``fmt``
    (or its own in ``formats``, e.g. ``"%,d"``: thousands separators), columns named in ``widths``
    ("small", "medium", "large") that wide."""
    formats, widths = formats or {}, widths or {}
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    return {
        **{c: st.column_config.TextColumn(width=w) for c, w in widths.items() if c not in numeric},
        **{c: st.column_config.NumberColumn(format=formats.get(c, fmt), width=widths.get(c)) for c in numeric},
    }


def perception_distortion_figure(
    means: pd.DataFrame,
    images: pd.DataFrame | None,
    colours: dict[str, str],
    niqe_label: str,
    legend: str = "method (set mean)",
    reference_niqe: float | None = None,
) -> go.Figure:
    """PSNR (distortion) against NIQE (perception): one large point per method (rows of ``means``:
    method, psnr, niqe), and with ``images`` (the same plus image) a faint cloud of per-image points
    behind it; ``reference_niqe`` (the HR's, where known) as a dotted line."""
    fig = go.Figure()
    if images is not None:
        for method, cloud in images.groupby("method", sort=False):
            fig.add_scatter(
                x=cloud["niqe"],
                y=cloud["psnr"],
                mode="markers",
                name=f"{method} (images)",
                legendgroup=method,
                showlegend=False,
                marker={"color": colours.get(method), "size": 6, "opacity": 0.35},
                text=cloud["image"],
                hovertemplate=f"{method}, %{{text}}: NIQE %{{x:.2f}}, PSNR %{{y:.2f}} dB<extra></extra>",
            )
    for row in means.itertuples():
        fig.add_scatter(
            x=[row.niqe],
            y=[row.psnr],
            mode="markers",
            name=row.method,
            legendgroup=row.method,
            marker={"color": colours.get(row.method), "size": 15, "line": {"color": "white", "width": 1.5}},
            hovertemplate=f"{row.method} (mean): NIQE %{{x:.2f}}, PSNR %{{y:.2f}} dB<extra></extra>",
        )
    fig.update_layout(
        height=440,
        margin={"t": 30},
        xaxis_title=f"{niqe_label}: lower looks more natural",
        yaxis_title="PSNR (dB): higher is closer to the original",
        legend_title_text=legend,
    )
    if reference_niqe is not None:
        fig.add_vline(
            x=reference_niqe,
            line_dash="dot",
            annotation_text=f"HR (truth) {reference_niqe:.2f}",
            annotation_position="bottom right",  # clear of the "better" note at the top left
        )
    fig.add_annotation(
        text="better on both ↖", xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="top", showarrow=False
    )
    return fig
