"""Architecture: the generator and discriminator drawn from the real Keras models."""

import pandas as pd
import plotly.express as px
import streamlit as st

from pages.charts import table_columns
from pages.common import page_errors
from srgan.reports.architecture import load_description, short_layer_name
from srgan.reports.cards import validation_points
from srgan.store import benchmark_mean, model_card


@st.cache_data(show_spinner="Building the models…")
def _describe(bicubic_skip: bool) -> dict:
    # from weights/architecture.json (tested to equal the models), else built in a child process:
    # this server never loads TensorFlow, whose memory it would hold from then on
    return load_description(bicubic_skip)


COUNT = "%,d"  # parameter counts and repeats: whole numbers with thousands separators


def layer_table(title: str, layers: list[dict]) -> None:
    """A network's layers (one row each, as srgan.reports.architecture describes them) in an expander."""
    frame = pd.DataFrame(layers)
    with st.expander(title):
        st.dataframe(frame, hide_index=True, column_config=table_columns(frame, COUNT, widths={"type": "medium"}))


with page_errors("showing the architecture"):
    st.title("Architecture")
    st.markdown(
        "SRGAN (Ledig et al., CVPR 2017) trains a deep residual **generator** (SRResNet) to turn a low-resolution "
        "image into one four times larger, first with a pixel loss, then against a **discriminator** that learns to "
        "tell generated images from real photographs, with a loss measured in the feature space of VGG19."
    )
    card = model_card("srresnet") or {}
    skip = card.get("architecture", {}).get("bicubic_skip", True)
    models = _describe(skip)
    generator, discriminator = models["generator"], models["discriminator"]

    st.header("Generator")
    drawing, text = st.columns(2, gap="large")
    # drawn top to bottom (stages_dot), so that it fits a column beside the text: left to right, it is as
    # wide as all its stages together and its text shrinks to fit the page
    drawing.graphviz_chart(generator["dot"])
    with text:
        st.markdown(
            f"**{generator['parameters']:,} parameters** (the paper: about 1.55 M). "
            "Fully convolutional: any input size works."
        )
        st.subheader("Residual block")
        st.markdown(
            "conv 3×3 (64) → batch norm → PReLU → conv 3×3 (64) → batch norm, **plus the block's input**. "
            "The skip lets 16 blocks train: each block only learns a correction. PReLU learns one negative slope "
            "per channel."
        )
        st.subheader("Pixel shuffle (sub-pixel convolution)")
        st.markdown(
            "A 3×3 conv makes 256 = 4 × 64 maps at low resolution; the shuffle rearranges each group of 4 channels "
            "into a 2×2 block of pixels, doubling height and width. Two such stages give ×4. Upsampling late keeps "
            "the costly convolutions at low resolution."
        )
        if skip:
            st.info(
                "**Deviation from the paper in the shipped weights:** a global bicubic skip. The bicubic ×4 of the "
                "input (a fixed convolution, no weights) is added to the output, so the network learns only the "
                "missing detail. On two CPU cores this learns far faster; the paper's exact network is "
                "`--paper-exact` in training."
            )
    stages = pd.DataFrame(
        [
            {
                "stage": s["stage"],
                "layers": " → ".join(map(short_layer_name, s["layers"])),
                "repeat": s["repeat"],
                "parameters": s["parameters"],
            }
            for s in generator["stages"]
        ]
    )
    st.dataframe(
        stages,
        hide_index=True,
        column_config=table_columns(stages, COUNT, widths={"stage": "medium", "layers": "large", "repeat": "small"}),
    )
    blocks = next((s["repeat"] for s in generator["stages"] if s["stage"] == "residual blocks"), None)
    repeated = f"Residual blocks: the layers of one block, repeated {blocks}×; parameters for all {blocks}. "
    st.caption((repeated if blocks else "") + "BatchNorm is Keras' BatchNormalization.")
    layer_table("Every generator layer", generator["layers"])

    st.header("Discriminator")
    st.markdown(
        "Eight 3×3 convolutions (64, 64, 128, 128, 256, 256, 512, 512 maps; stride 2 on every second), batch norm "
        "after all but the first, LeakyReLU 0.2, then Dense 1024 → LeakyReLU → Dense 1. It sees 96×96 HR or SR "
        f"patches. **{discriminator['parameters']:,} parameters.** Here it outputs a logit: the paper's sigmoid is "
        "folded into the loss."
    )
    layer_table("Every discriminator layer", discriminator["layers"])

    st.header("Loss")
    st.markdown(
        "The generator of SRGAN minimises the **perceptual loss**, a content loss plus a small adversarial term:"
    )
    st.latex(
        r"l^{SR} = \underbrace{l^{SR}_{VGG/5.4}}_{\text{content}}"
        r" + 10^{-3}\,\underbrace{l^{SR}_{Gen}}_{\text{adversarial}}"
    )
    st.latex(
        r"l^{SR}_{VGG/5.4} = \frac{1}{12.75}\cdot\frac{1}{W H C}\sum_{x,y,c}"
        r"\big(\phi_{5,4}(I^{HR})_{x,y,c} - \phi_{5,4}(G(I^{LR}))_{x,y,c}\big)^2"
    )
    st.latex(r"l^{SR}_{Gen} = \sum_{n} -\log D\big(G(I^{LR}_n)\big)")
    st.markdown(
        "φ5,4 is the feature map of VGG19's 4th convolution before its 5th max-pool (after ReLU). SRResNet itself "
        "is trained first with the pixel MSE on [−1, 1]; SRGAN starts from it."
    )

    st.header("Training of the shipped weights")
    cards = {name: c for name in ("srresnet", "srgan") if (c := model_card(name))}
    if not cards:
        st.caption("No model cards in weights/ yet: train and ship weights (README, Training).")
    curves = [  # each model's own runs; SRGAN's SRResNet pretraining is drawn with SRResNet
        {"model": f"{name} run {p['run']}", "step": p["step"], "Set5 PSNR (dB)": p["psnr"]}
        for name, c in cards.items()
        for p in validation_points(c)
        if p["name"] == name
    ]
    if curves:
        fig = px.line(pd.DataFrame(curves), x="step", y="Set5 PSNR (dB)", color="model", markers=True, height=340)
        # bicubic's Set5 PSNR as measured here (weights/benchmarks.json), as in scripts/plot_training.py
        if (bicubic := benchmark_mean("bicubic", "Set5")) is not None:
            fig.add_hline(y=bicubic, line_dash="dot", annotation_text=f"bicubic {bicubic:.2f} dB")
        st.plotly_chart(fig)
    for name, c in cards.items():
        st.subheader(name)
        t = c.get("training")
        if not t:
            st.caption("Its model card records no training details.")
            continue
        earlier = c.get("earlier_training", [])
        before = (
            f" after {sum(e.get('steps', 0) for e in earlier):,} steps of earlier runs "
            f"({', '.join(e.get('name') or '?' for e in earlier)}; {c.get('total_train_hours', 0):.1f} h in all)"
            if earlier
            else ""
        )
        st.markdown(
            f"{t['steps']:,} steps of batch {t['batch_size']} ({t['hr_patch']}-px HR crops) on {', '.join(t['data'])}; "
            f"Adam, learning rate {t['learning_rate']:g} ({t['schedule']}); {t['train_hours']:.1f} h on {t['hardware']}"
            f"{before}."
        )
        st.markdown("Deviations from the paper:\n" + "\n".join(f"- {d}" for d in c.get("deviations_from_paper", [])))
        if c.get("notes"):
            st.markdown("Notes on this training:\n" + "\n".join(f"- {n}" for n in c["notes"]))
        with st.expander(f"{name} model card"):
            st.json(c, expanded=False)
