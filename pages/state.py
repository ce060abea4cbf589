"""What the upscale page keeps between runs: each session's gallery of results, and the bundled
examples' results, shared by every session. Memory stays bounded whatever a session uploads."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st
from PIL import Image

from srgan.compare import Comparison
from srgan.image_io import Picture

GALLERY_SIZE = 6  # results listed per browser session
GALLERY_MB = 60  # of them, kept in full per session (the newest always); older ones keep a thumbnail
THUMB_SIDE = 160


def result_key(source: Picture | bytes, fit: str, methods: list[str], precision: str, is_hr: bool) -> str:
    """What a result depends on: the image's bytes, how it was fitted, the methods, the arithmetic."""
    raw = source.pixels.tobytes() + str(source.pixels.shape).encode() if isinstance(source, Picture) else source
    return f"{hashlib.sha1(raw).hexdigest()[:12]}-{fit}-{'+'.join(methods)}-{precision}-{is_hr}"


@st.cache_resource(show_spinner=False)
def shared_results() -> dict[str, Comparison]:
    """Results of the bundled examples, shared by every session: each visitor starts on an example,
    and its result depends only on the image, the methods and the arithmetic, so it is computed once."""
    return {}


def gallery() -> list[dict]:
    """This session's results, newest (the one shown) first: dicts of key, label, comparison (None
    once only the thumbnail is kept) and thumb."""
    return st.session_state.setdefault("gallery", [])


def shown() -> dict | None:
    """The gallery item on the page now (the newest), or None."""
    return gallery()[0] if gallery() else None


def find(key: str) -> Comparison | None:
    """A result already made for ``key``: this session's, or a shared example's."""
    for item in gallery():
        if item["key"] == key and item["comparison"] is not None:
            return item["comparison"]
    return shared_results().get(key)


def remember(key: str, label: str, comparison: Comparison, share: bool = False) -> Comparison:
    """Put a result first in this session's gallery (and among the shared examples with ``share``).
    Older results beyond :data:`GALLERY_MB` keep only their thumbnail."""
    if share:
        shared_results()[key] = comparison
    items = gallery()
    known = next((item for item in items if item["key"] == key), None)
    if known is not None and known["comparison"] is comparison:  # shown again: move it, nothing to make
        items.remove(known)
        items.insert(0, {**known, "label": label})
        return comparison
    items[:] = [item for item in items if item["key"] != key]
    items.insert(0, {"key": key, "label": label, "comparison": comparison, "thumb": thumbnail(comparison)})
    del items[GALLERY_SIZE:]
    held = 0
    for item in items:
        if item["comparison"] is not None:
            held += item["comparison"].nbytes
            if held > GALLERY_MB * 1e6 and item is not items[0]:
                item["comparison"] = None
    return comparison


def bring_forward(index: int) -> None:
    """Make the gallery's item ``index`` the one shown."""
    items = gallery()
    items.insert(0, items.pop(index))


def thumbnail(c: Comparison) -> np.ndarray:
    """A small picture of SRGAN's output (the last method's where there is no SRGAN), uint8 RGB."""
    im = Image.fromarray(c.methods.get("srgan", list(c.methods.values())[-1]).rgb8())
    im.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return np.asarray(im)
