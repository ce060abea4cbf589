"""Charts shared by the pages: one colour per method, and the perception–distortion plane."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

# one colour per method on every chart: bicubic, the baseline, grey; the others D3's strong colours.
# Streamlit's chart theme keeps colours set on the traces (it only supplies the default colourway), so
# these charts keep theme="streamlit"
PALETTE = [c for c in px.colors.qualitative.D3 if c != "#7F7F7F"]
BICUBIC_COLOUR = "#7F7F7F"


def colours_for(methods: Iterable[str]) -> dict[str, str]:
    """{method: colour} for ``methods`` in order, bicubic grey."""
    others = [m for m in methods if m != "bicubic"]
    return {"bicubic": BICUBIC_COLOUR} | {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(others)}


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
