"""A tiny app around pages.compare_view for the browser test: synthetic panels, and a run counter.

    streamlit run tests/apps/compare_app.py     (?size=2048 for large panels)

The counter goes up on every script run: the test checks that dragging, zooming and panning leave it alone.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # `streamlit run` puts this script's folder on the path, not the repository's

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from pages.compare_view import compare_html, show_compare  # noqa: E402
from srgan.image_io import Picture, encode_png  # noqa: E402


def scene(size: int) -> np.ndarray:
    """uint8 (size, size, 3): scikit-image's astronaut resized, else a synthetic pattern."""
    try:
        from skimage import data

        return np.asarray(Image.fromarray(data.astronaut()).resize((size, size), Image.Resampling.LANCZOS))
    except ImportError:
        y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
        img = np.stack([0.5 + 0.45 * np.sin(14 * np.hypot(x - 0.5, y - 0.5) * np.pi), x, y], axis=-1)
        return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


@st.cache_data(show_spinner=False)
def document(size: int) -> str:
    hr = scene(size)
    lr = hr[::4, ::4]
    bicubic = np.asarray(Image.fromarray(lr).resize((size, size), Image.Resampling.BICUBIC))
    sr = np.asarray(Image.fromarray(bicubic).filter(ImageFilter.UnsharpMask(2, 160, 2)))  # stands in for SR
    y, x = np.mgrid[0:size, 0:size] / size
    alpha = np.clip(255 * (1.6 - 2.4 * np.hypot(x - 0.5, y - 0.5)), 0, 255).astype(np.uint8)  # a soft disc
    panels = [
        ("LR (nearest)", encode_png(Picture(lr))),
        ("Bicubic", encode_png(Picture(bicubic))),
        ("SR (srgan)", encode_png(Picture(sr))),
        ("HR (RGBA)", encode_png(Picture(hr, alpha=alpha, mode="RGBA"))),
    ]
    notes = {"Bicubic": "PSNR 24.10 dB", "SR (srgan)": "PSNR 26.35 dB"}
    return compare_html(panels, left="Bicubic", right="SR (srgan)", notes=notes)


st.set_page_config(page_title="Compare view test", layout="wide")
st.session_state["runs"] = st.session_state.get("runs", 0) + 1
size = int(st.query_params.get("size", 256))
st.title("Compare view")
show_compare(document(size), height=620)
st.caption(f"Script runs: {st.session_state['runs']}")
st.button("Rerun the app")  # a rerun from elsewhere on the page: the comparison should keep its state
