"""Charts and tables of the pages: one colour per method, the perception–distortion plane, the
benchmarks page's PSNR gains and quality-against-speed figures, and st.dataframe's column formats."""

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


SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down", "pentagon"]


def gains_figure(gains: pd.DataFrame, colours: dict[str, str]) -> go.Figure:
    """Grouped bars: each method's PSNR gain over bicubic per set, bicubic as the zero line."""
    fig = px.bar(
        gains,
        x="set",
        y="gain",
        color="method",
        barmode="group",
        color_discrete_map=colours,
        custom_data=["psnr"],
        text="gain",
        height=400,
        labels={"gain": "PSNR gain over bicubic (dB)", "set": "benchmark set"},
    )
    fig.update_traces(
        texttemplate="%{y:+.2f}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x}: %{y:+.2f} dB over bicubic (PSNR %{customdata[0]:.2f} dB)",
    )
    fig.add_hline(y=0, line_color=BICUBIC_COLOUR)  # bicubic; named in the axis title (a label would hit bars)
    fig.update_layout(margin={"t": 30})
    return fig


def speed_figure(points: pd.DataFrame, colours: dict[str, str], set_name: str) -> go.Figure:
    """Set PSNR against ms per output megapixel (log): one trace per method, a point per engine it was
    timed on, told apart by symbol (a second legend). No text labels: methods timed alike would print
    them on each other."""
    several = points[points.duplicated("model", keep=False)]  # methods timed on several engines
    symbols = {e: SYMBOLS[i % len(SYMBOLS)] for i, e in enumerate(dict.fromkeys(several["engine"]))}
    fig = go.Figure()
    models = list(dict.fromkeys([m for m in colours if m in set(points["model"])] + list(points["model"])))
    for model in models:  # in benchmarks.json's order, as on the other charts
        rows = points[points["model"] == model]
        notes = ["" if t == model else f" (the {t} network's time)" for t in rows["timed_as"]]
        fig.add_scatter(
            x=rows["ms_per_output_mpx"],
            y=rows["psnr"],
            mode="markers",
            name=model,
            marker={
                "color": colours.get(model),
                "size": 12,
                "symbol": [symbols.get(e, "circle") if len(rows) > 1 else "circle" for e in rows["engine"]],
            },
            text=[f"{m}{n}" for m, n in zip(rows["method"], notes, strict=True)],
            hovertemplate="%{text}: %{x:,.0f} ms per MP, PSNR %{y:.2f} dB<extra></extra>",
        )
    for engine, symbol in symbols.items():  # the symbols' key, drawn nowhere
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=engine,
            legend="legend2",
            marker={"color": "grey", "size": 10, "symbol": symbol},
            hoverinfo="skip",
        )
    fig.update_layout(
        height=460,
        margin={"t": 30},
        xaxis={"type": "log", "dtick": 1, "title": "ms per output megapixel (log scale): lower is faster"},
        yaxis_title=f"{set_name} PSNR (dB): higher is better",
        legend={"title_text": "method", "y": 1, "yanchor": "top"},
        legend2={"title_text": "engine", "y": 0.35, "yanchor": "top", "itemclick": False, "itemdoubleclick": False},
    )
    return fig
