"""Streamlit helpers shared by the pages: the cached models, the methods sidebar, and how the pages
show names and errors safely (text as text, one-line errors)."""

from __future__ import annotations

import ctypes
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import streamlit as st

from srgan.inference import InferenceSlots, Upscaler
from srgan.model.weights_file import check_generator_weights
from srgan.store import MODEL_NAMES, model_card, weights_path

INFERENCE_SLOTS = 1  # upscales at once in this server process (2 cores: one uses both)
APP_TILE = 96  # smaller than the CLI's default: the engine's working memory follows the window (128x128 here)
# OpenVINO on the committed ONNX graphs: the server never imports TensorFlow, which alone takes
# ~600 MB, more than Community Cloud's smallest apps may use (README "Speed and memory").
APP_ENGINE = "openvino"
MAX_LR_PIXELS = 512 * 512  # largest LR the app super-resolves (seconds on 2 cores; the CLI has no cap)
PRECISION_LABELS = {"auto": "Automatic", "fp32": "Exact (float32)", "bf16": "Fast (bfloat16)"}

LOG = logging.getLogger("srgan.app")
# an absolute directory (POSIX or Windows) not inside a URL or a relative path: cut, keeping the file name
_ABS_DIR = re.compile(r"(?<![\w.:/\\])(?:[A-Za-z]:)?[/\\](?:[^\s'\"/\\]+[/\\])+")


def literal(text: str) -> str:
    """``text`` as a Markdown code span: shown as typed, never a link, emphasis or Streamlit directive
    (GFM links bare URLs in plain text even when escaped; code spans it leaves alone)."""
    text = " ".join(str(text).splitlines())
    fence = "`" * (max(map(len, re.findall(r"`+", text)), default=0) + 1)  # longer than any run inside
    return f"{fence} {text} {fence}"  # one space each side is dropped: text may start or end with `


def one_line(exc: BaseException, limit: int = 300) -> str:
    """What a visitor may see of an exception: its message's first line, absolute directories cut
    (file names kept), at most ``limit`` characters; the type's name if there is no message."""
    lines = str(exc).strip().splitlines()
    text = _ABS_DIR.sub("", lines[0]) if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report_unexpected(what: str, exc: Exception) -> None:
    """Log ``exc`` with its traceback for the operator; show the visitor one line without it."""
    LOG.exception("Unexpected error while %s", what)
    detail = one_line(exc)
    detail = detail if detail == type(exc).__name__ else f"{type(exc).__name__}: {detail}"
    st.error(f"Something went wrong while {what}: {literal(detail)}", icon=":material/error:")


@contextmanager
def page_errors(what: str) -> Iterator[None]:
    """Around a page's body: an unexpected error becomes one line (see :func:`report_unexpected`).

    Each page has its own, as Streamlit runs a page script without streamlit_app.py while it takes
    pages/ for a v1 pages folder (in AppTest, and on a server's first run). st.rerun, st.stop and
    st.switch_page raise ScriptControlException, a BaseException: they pass through.
    """
    try:
        yield
    except Exception as e:
        report_unexpected(what, e)


def tune_heap(arenas: int = 2, mmap_threshold: int = 1 << 20) -> None:
    """Keep freed memory from staying in the server process (glibc; nothing elsewhere): at most
    ``arenas`` malloc arenas (by default up to 8 per core, and each Streamlit session is a thread of
    its own), and blocks of ``mmap_threshold`` bytes or more always mapped apart, so that freeing an
    image returns it to the system (glibc's default raises that threshold as large blocks are freed)."""
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
        libc.mallopt(-3, mmap_threshold)  # M_MMAP_THRESHOLD (fixed: no dynamic adjustment)


tune_heap()


def trim_heap() -> None:
    """Give freed heap memory back to the system (glibc's malloc_trim; nothing elsewhere). After an
    image, the large buffers it freed may otherwise stay in the process, counted against the app's memory."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def app_pixel_cap(is_hr: bool) -> int:
    """Largest upload the app takes without downscaling or cropping it: an HR of 16x the LR cap."""
    return MAX_LR_PIXELS * (16 if is_hr else 1)


def available_models() -> list[str]:
    """Models whose weights are here (a damaged file included: see :func:`model_problems`), and bicubic."""
    return [m for m in MODEL_NAMES if m == "bicubic" or weights_path(m).is_file()]


@st.cache_resource(show_spinner="Loading the model…")
def get_upscaler(name: str, precision: str = "auto") -> Upscaler:
    """One Upscaler per model name and precision and process, shared by all sessions (it is stateless)."""
    return Upscaler(name, tile=APP_TILE, engine=APP_ENGINE, precision=precision, low_memory=True)


@st.cache_resource(show_spinner=False)
def _load_problem(name: str, version: tuple[int, int]) -> str | None:
    """Why model ``name`` cannot be loaded (None: it can). Once per version (mtime, size) of its
    file: a damaged file is not re-read on every rerun, a replaced one is tried again. The weights
    are checked without building the model, which takes memory only once it is used."""
    try:
        check_generator_weights(weights_path(name), Upscaler.card_architecture(name))
    except (ValueError, OSError) as e:  # srgan.model.weights_file.WeightsError is a ValueError
        LOG.warning("Model %s is unavailable: %s", name, e)
        return one_line(e)
    return None


def model_problems() -> dict[str, str]:
    """{model: one line on why it cannot run} for the learned models whose weights file is unusable."""
    problems = {}
    for m in available_models():
        if m == "bicubic":
            continue
        try:
            stat = weights_path(m).stat()
        except OSError as e:  # removed since available_models() looked
            problems[m] = one_line(e)
            continue
        if why := _load_problem(m, (stat.st_mtime_ns, stat.st_size)):
            problems[m] = why
    return problems


@st.cache_resource
def get_slots() -> InferenceSlots:
    """The one queue in front of the models, shared by all sessions so that memory stays bounded."""
    return InferenceSlots(INFERENCE_SLOTS)


# the methods as a user reads them: what each one is, in plain words
METHOD_LABELS = {"bicubic": "Bicubic", "srresnet": "SRResNet", "srgan": "SRGAN", "LR": "LR (input)", "HR": "HR (truth)"}
METHOD_HELP = {
    "bicubic": "interpolation, a smooth curve through the pixels; nothing learned. The baseline.",
    "srresnet": "the paper's network, trained to match every pixel (mean squared error). "
    "The best PSNR, but fine texture comes out smooth.",
    "srgan": "the same network, taught by a second network to make textures that look real. "
    "Sharper and more natural to the eye, at a lower PSNR: some detail is invented.",
}


def method_label(name: str) -> str:
    """How a method is named on the page; ``<model>+`` is its self-ensemble (EDSR's "+")."""
    if name.endswith("+"):
        return method_label(name[:-1]) + "+"
    return METHOD_LABELS.get(name, name)


def card_summary(name: str) -> str:
    """The method in plain words, with its Set5 numbers from its model card where there is one."""
    card = (model_card(name) or {}) if name != "bicubic" else {}
    metrics = card.get("metrics", {}).get("Set5", {})
    bits = [METHOD_HELP.get(name, card.get("summary", ""))]
    if metrics:
        bits.append(f"Set5: {metrics['psnr']:.2f} dB PSNR, SSIM {metrics['ssim']:.4f}.")
    return " ".join(b for b in bits if b)


@st.cache_resource(show_spinner=False)
def get_peer_upscalers() -> dict[str, Upscaler]:
    """The OpenCV peers (FSRCNN, ESPCN, LapSRN) where opencv-contrib and their models are installed."""
    from srgan.quality.peers import peer_upscalers

    try:
        return peer_upscalers()
    except Exception as e:  # an optional extra: a broken install must not take the page down
        LOG.warning("OpenCV peers unavailable: %s", e)
        return {}


def methods_sidebar() -> list[str]:
    """The methods every image is run through (bicubic, the learned models that can load, with their
    self-ensembles when the user asks, the OpenCV peers when installed), described in the sidebar;
    returns their names in display order."""
    problems = model_problems()
    present = available_models()
    learned = [m for m in ("srresnet", "srgan") if m in present and m not in problems]
    peers = list(get_peer_upscalers())
    for m, why in problems.items():
        st.error(f"{method_label(m)} cannot be loaded ({literal(why)}); the other methods are shown.")
    with st.sidebar:
        st.subheader("Methods")
        st.caption("Every image runs through each of these, side by side.")
        for m in ("bicubic", *learned):
            st.markdown(f"**{method_label(m)}**: {card_summary(m)}")
        if peers:
            st.markdown(f"**OpenCV peers** ({', '.join(peers)}): small published x4 networks, for reference.")
        missing = [m for m in MODEL_NAMES if m not in present]
        if missing:
            st.caption(f"Not available (no weights in weights/): {', '.join(map(method_label, missing))}.")
        for m, why in problems.items():
            st.caption(f"Not available: {method_label(m)} ({literal(why)}).")
        ensemble = bool(learned) and st.toggle(
            "Also self-ensembled (8× slower)",
            key="ensemble",
            help="Adds SRResNet+ and SRGAN+: each model run on the 8 flips and rotations of the image, the "
            "results turned back and averaged (EDSR's '+'). It costs 8 times the time. It raises SRResNet's "
            "PSNR a little, and smooths away much of the texture SRGAN invents: see the Benchmarks page.",
        )
    plus = [m + "+" for m in learned] if ensemble else []
    return ["bicubic", *sorted([*learned, *plus], key=lambda m: (learned.index(m.rstrip("+")), m)), *peers]


def get_upscalers(methods: list[str], precision: str) -> dict[str, Upscaler]:
    """{method: shared Upscaler} for ``methods`` (see :func:`methods_sidebar`)."""
    peers = get_peer_upscalers()
    ups = {m: peers.get(m) or get_upscaler(m.rstrip("+"), precision) for m in methods}
    return {m: up.ensembled() if m.endswith("+") else up for m, up in ups.items()}  # "+" shares its model's engine


def precision_sidebar() -> str:
    """The arithmetic the learned models run in (see srgan.engines); returns auto, fp32 or bf16."""
    from srgan.engines.openvino_engine import native_bf16, resolve_precision

    here = "bfloat16" if resolve_precision("auto") == "bf16" else "float32"
    labels = {**PRECISION_LABELS, "auto": f"Automatic ({here} on this server's CPU)"}
    if not native_bf16():  # no BF16 instructions at all: the engine refuses it
        del labels["bf16"]
    with st.sidebar:
        return st.radio(
            "Arithmetic",
            list(labels),
            format_func=labels.get,
            key="precision",
            help="bfloat16 keeps 8 bits of each number's mantissa. On AMD CPUs with AVX512-BF16 and on Intel CPUs "
            "with AMX it runs faster than float32; on other Intel CPUs it is slower. It changed PSNR by less than "
            "0.01 dB on the benchmark sets. Automatic picks it only where it is the faster one.",
        )
