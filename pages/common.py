"""Streamlit helpers shared by the pages: the cached model loader and the model sidebar."""

from __future__ import annotations

import streamlit as st

from srgan.inference import MODEL_NAMES, InferenceSlots, Upscaler, model_card, weights_path

INFERENCE_SLOTS = 1  # upscales at once in this server process (2 cores: one uses both)
APP_TILE = 128  # smaller than the CLI's default: less peak memory per upscale, a little slower
# NumPy, not TensorFlow: the same function (tested), and the server never imports TensorFlow, which
# alone takes ~600 MB, more than Community Cloud's smallest apps may use (README "Speed and memory").
APP_ENGINE = "numpy"


def available_models() -> list[str]:
    """Models that can run here: the learned ones whose weights exist, and bicubic."""
    return [m for m in MODEL_NAMES if m == "bicubic" or weights_path(m).is_file()]


@st.cache_resource(show_spinner="Loading the model…")
def get_upscaler(name: str) -> Upscaler:
    """One Upscaler per model name and process, shared by all sessions (it is stateless)."""
    return Upscaler(name, tile=APP_TILE, engine=APP_ENGINE)


@st.cache_resource
def get_slots() -> InferenceSlots:
    """The one queue in front of the models, shared by all sessions so that memory stays bounded."""
    return InferenceSlots(INFERENCE_SLOTS)


def card_summary(name: str) -> str:
    if name == "bicubic":
        return "Bicubic interpolation (PIL, a = −0.5): the baseline every method is compared with."
    card = model_card(name) or {}
    metrics = card.get("metrics", {}).get("Set5", {})
    bits = [card.get("summary", "")]
    if metrics:
        bits.append(f"Set5: {metrics['psnr']:.2f} dB / SSIM {metrics['ssim']:.4f}")
    return " · ".join(b for b in bits if b)


def model_sidebar() -> str:
    """The model picker with its card summary; returns the chosen model name."""
    models = available_models()
    default = next((m for m in ("srgan", "srresnet") if m in models), "bicubic")
    if st.session_state.get("model") not in models:
        st.session_state["model"] = default
    with st.sidebar:
        name = st.selectbox(
            "Model", models, key="model", help="Learned models appear when weights/ holds their weights."
        )
        st.caption(card_summary(name))
        missing = [m for m in MODEL_NAMES if m not in models]
        if missing:
            st.caption(f"Not available (no weights in weights/): {', '.join(missing)}.")
    return name
