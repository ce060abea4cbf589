"""One comparison of LR, bicubic and SR (and HR when known), as the dashboard shows it.

The app decides what to show; this module decides what is true: how the LR is made from an HR
upload, which images the metrics compare (always against the HR ground truth, never against
bicubic or the LR), and the image maths behind the wipe slider, the zoom and the error maps.
All images here are uint8 (H, W, 3) RGB.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from srgan import SCALE
from srgan.image_io import Picture
from srgan.images import downscale, enlarge_nearest, modcrop, resize_bicubic, upscale_bicubic
from srgan.inference import Progress, Upscaler
from srgan.metrics import STRIP_ROWS, evaluate_pair, rgb_to_y


@dataclass
class Comparison:
    """LR input, SR x4 and (for an HR upload) the HR ground truth, with metrics; bicubic x4 on demand.

    metrics: {"bicubic": {...}, "sr": {...}} with ``psnr``, ``ssim`` (Y, shave 4) and ``psnr_rgb``;
    empty when there is no ground truth. niqe: no-reference NIQE of bicubic and SR (lower is more
    natural), where the output is large enough. notes: what the loader and the preparation did.
    """

    lr: np.ndarray
    sr: np.ndarray
    hr: np.ndarray | None = None
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    niqe: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    model: str = ""
    notes: tuple[str, ...] = ()
    _derived: dict = field(default_factory=dict, repr=False, compare=False)  # computed once, on demand

    @property
    def has_ground_truth(self) -> bool:
        return self.hr is not None

    @property
    def bicubic(self) -> np.ndarray:
        """Bicubic x4 of the LR, made again when asked (~30 ms for a 512x512 LR): one image less held
        per result and session."""
        return upscale_bicubic(self.lr)

    @property
    def nbytes(self) -> int:
        """Memory held by the images."""
        return sum(a.nbytes for a in (self.lr, self.sr, self.hr) if a is not None)

    def error_maps(self, max_side: int) -> tuple[dict[str, np.ndarray], int]:
        """``({"bicubic": map, "sr": map}, f)``: |Y - Y(HR)| (0-255 scale) of each, averaged over f x f
        blocks so that no side exceeds ``max_side`` (float32); computed once per comparison."""
        key = ("error_maps", max_side)
        if key not in self._derived:
            if self.hr is None:
                raise ValueError("error maps need the HR ground truth")
            maps = {
                k: block_mean(abs_error_y(img, self.hr), max_side)
                for k, img in (("bicubic", self.bicubic), ("sr", self.sr))
            }
            self._derived[key] = ({k: m for k, (m, _) in maps.items()}, maps["sr"][1])
        return self._derived[key]

    @property
    def psnr_gain(self) -> float | None:
        """SR PSNR minus bicubic PSNR in dB (None without ground truth)."""
        return self.metrics["sr"]["psnr"] - self.metrics["bicubic"]["psnr"] if self.metrics else None


def hr_to_lr(hr: np.ndarray, scale: int = SCALE) -> tuple[np.ndarray, np.ndarray]:
    """(modcropped HR, LR) exactly as the paper's protocol makes them. uint8 in, uint8 out."""
    if min(hr.shape[:2]) < scale * 4:
        raise ValueError(
            f"image is {hr.shape[1]}x{hr.shape[0]}: too small to downsample x{scale} "
            f"(needs at least {scale * 4} px a side)"
        )
    hr = np.ascontiguousarray(modcrop(hr, scale))
    return hr, downscale(hr, scale)


def run_comparison(pic: Picture, upscaler: Upscaler, is_hr: bool, progress: Progress | None = None) -> Comparison:
    """Make LR (from an HR upload) or take it (LR upload), upscale it with bicubic and the model,
    and measure both against the HR where there is one. Alpha is dropped for the comparison."""
    rgb = pic.rgb8()
    hr, lr = hr_to_lr(rgb) if is_hr else (None, rgb)
    t0 = time.perf_counter()
    sr = upscaler.upscale(Picture(lr), progress=progress).pixels
    seconds = time.perf_counter() - t0
    bicubic = upscale_bicubic(lr)
    metrics = {}
    if hr is not None:
        metrics = {"bicubic": evaluate_pair(bicubic, hr), "sr": evaluate_pair(sr, hr)}
    return Comparison(lr, sr, hr, metrics, no_reference_scores(bicubic, sr), seconds, upscaler.name, pic.notes)


def no_reference_scores(bicubic: np.ndarray, sr: np.ndarray) -> dict[str, float]:
    """NIQE of bicubic and SR where NIQE can score them (large enough, model file installed)."""
    from srgan.niqe import MIN_SIDE, niqe, params_path

    if params_path() is None or min(sr.shape[:2]) < MIN_SIDE:
        return {}
    return {"bicubic": niqe(bicubic), "sr": niqe(sr)}


def wipe(left: np.ndarray, right: np.ndarray, fraction: float, line: int = 2) -> np.ndarray:
    """Before/after view: columns left of ``fraction`` of the width from ``left``, the rest from
    ``right``, with a thin white divider."""
    out = right.copy()
    x = round(np.clip(fraction, 0.0, 1.0) * left.shape[1])
    out[:, :x] = left[:, :x]
    if 0 < x < out.shape[1]:
        out[:, max(x - line // 2, 0) : x + (line + 1) // 2] = 255
    return out


def zoom_crop(img: np.ndarray, cx: float, cy: float, size: int, factor: int) -> np.ndarray:
    """A ``size`` x ``size`` crop centred at fractions (cx, cy) of the image, enlarged ``factor``x by
    nearest neighbour so pixels stay visible. The crop is clamped inside the image."""
    h, w = img.shape[:2]
    size = min(size, h, w)
    x0 = int(np.clip(round(cx * w - size / 2), 0, w - size))
    y0 = int(np.clip(round(cy * h - size / 2), 0, h - size))
    return enlarge_nearest(img[y0 : y0 + size, x0 : x0 + size], factor)


def abs_error_y(img: np.ndarray, hr: np.ndarray) -> np.ndarray:
    """|Y(img) - Y(hr)| as float32 (H, W), the quantity PSNR averages (before the border shave).
    Computed in row strips: float64 copies of whole 2048x2048 images would be ~100 MB at once."""
    out = np.empty(img.shape[:2], np.float32)
    for r0 in range(0, img.shape[0], STRIP_ROWS):
        out[r0 : r0 + STRIP_ROWS] = np.abs(rgb_to_y(img[r0 : r0 + STRIP_ROWS]) - rgb_to_y(hr[r0 : r0 + STRIP_ROWS]))
    return out


def block_mean(img: np.ndarray, max_side: int) -> tuple[np.ndarray, int]:
    """Average (H, W) float ``img`` over f x f blocks so that no side exceeds ``max_side``; returns
    (reduced float32 array, f). f = 1 leaves it as it is. Edge rows/columns that do not fill a
    block are averaged over what they have."""
    h, w = img.shape
    f = max(1, -(-max(h, w) // max_side))
    if f == 1:
        return img.astype(np.float32, copy=False), 1
    ph, pw = -(-h // f) * f, -(-w // f) * f
    padded = np.full((ph, pw), np.nan, np.float32)
    padded[:h, :w] = img
    return np.nanmean(padded.reshape(ph // f, f, pw // f, f), axis=(1, 3)), f


def side_by_side(panels: list[tuple[str, np.ndarray]], gap: int = 8, label_height: int = 22) -> np.ndarray:
    """A labelled strip of equally sized uint8 RGB panels (for the comparison download)."""
    h, w = panels[0][1].shape[:2]
    canvas = Image.new("RGB", (len(panels) * w + (len(panels) - 1) * gap, h + label_height), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (label, img) in enumerate(panels):
        x = i * (w + gap)
        canvas.paste(Image.fromarray(img), (x, label_height))
        draw.text((x + 4, 4), label, fill="black")
    return np.asarray(canvas)


def fit_to_pixels(img: np.ndarray, max_pixels: int, how: str = "downscale") -> np.ndarray:
    """Bring a uint8 image within ``max_pixels``: ``downscale`` it (antialiased bicubic, aspect kept)
    or ``crop`` its centre to the largest region of the same aspect ratio that fits."""
    h, w = img.shape[:2]
    if h * w <= max_pixels:
        return img
    f = (max_pixels / (h * w)) ** 0.5
    nh, nw = max(int(h * f), 1), max(int(w * f), 1)
    if how == "crop":
        y0, x0 = (h - nh) // 2, (w - nw) // 2
        return np.ascontiguousarray(img[y0 : y0 + nh, x0 : x0 + nw])
    if how == "downscale":
        return resize_bicubic(img, (nw, nh))
    raise ValueError(f"how must be 'downscale' or 'crop', got {how!r}")


def example_images() -> dict[str, np.ndarray]:
    """Built-in HR examples from scikit-image's bundled images (offline), uint8 RGB."""
    from skimage import data

    grey = data.camera()
    return {
        "Astronaut (Eileen Collins)": data.astronaut(),
        "Cat (Chelsea)": data.chelsea(),
        "Coffee cup": data.coffee(),
        "Rocket": data.rocket(),
        "Cameraman (grey)": np.repeat(grey[..., None], 3, axis=2),
    }
