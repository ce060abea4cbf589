"""One comparison of every method on one image, as the dashboard shows it (the paper's Figure 2).

The app decides what to show; this module decides what is true: how the LR is made from an HR
upload, which images the metrics compare (always against the HR ground truth, never against
bicubic or the LR), and what is kept of each result. A :class:`Comparison` holds each panel as
PNG bytes in the input's own mode and bit depth (alpha kept), encoded once: the same bytes are
shown in the browser and downloaded, and no full-size array outlives the computation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image, ImageDraw

from srgan import SCALE
from srgan.image_io import Picture, encode_png, load_image
from srgan.images import downscale, modcrop, to_float, to_uint16
from srgan.inference import Upscaler
from srgan.quality.metrics import STRIP_ROWS, evaluate_pair, rgb_to_y
from srgan.quality.niqe import MIN_SIDE as NIQE_MIN_SIDE
from srgan.quality.niqe import matlab_model_path, niqe

ERROR_MAP_SIDE = 384  # error maps are kept as block means no larger than this (a cell per few screen pixels)
MIN_HR_SIDE = SCALE * 4  # smallest HR side the app downsamples (a 4x4 LR)

Progress = Callable[[float, str], None]  # (fraction done, what is being done)


@dataclass(frozen=True)
class Panel:
    """One image of a comparison: the LR, a method's x4 output, or the HR ground truth.

    png: the image in the input's mode and depth (RGB/RGBA/L/LA, 8 or 16 bits); width, height:
    its size in pixels. psnr, ssim (Y channel, 4-px border shaved) against the HR, None without one
    or for the LR/HR themselves; niqe: MATLAB-model NIQE (lower is more natural), None where the
    image is too small to score; seconds: the method's run time; error_map: |Y - Y(HR)| (0-255)
    averaged over ``error_map_block`` x ``error_map_block`` blocks, float32, None without HR.
    """

    label: str
    png: bytes
    width: int
    height: int
    psnr: float | None = None
    ssim: float | None = None
    niqe: float | None = None
    seconds: float | None = None
    error_map: np.ndarray | None = field(default=None, repr=False, compare=False)
    error_map_block: int = 1

    def rgb8(self) -> np.ndarray:
        """uint8 (H, W, 3) RGB decoded from the PNG (alpha dropped, 16 bits rounded to 8)."""
        return load_image(self.png).rgb8()


@dataclass
class Comparison:
    """LR, every method's x4 output and (for an HR upload) the HR, each a :class:`Panel`.

    methods: method name -> panel, in the order they were run (bicubic first). notes: what the
    loader and the preparation did that the user should know (alpha, bit depth, resizing).
    """

    lr: Panel
    methods: dict[str, Panel]
    hr: Panel | None = None
    notes: tuple[str, ...] = ()

    @property
    def has_ground_truth(self) -> bool:
        return self.hr is not None

    @property
    def panels(self) -> dict[str, Panel]:
        """LR, each method, HR (when known), in display order."""
        out = {"LR": self.lr, **self.methods}
        if self.hr is not None:
            out["HR"] = self.hr
        return out

    @property
    def nbytes(self) -> int:
        """Memory held by the encoded images and error maps."""
        return sum(len(p.png) + (p.error_map.nbytes if p.error_map is not None else 0) for p in self.panels.values())

    def best(self, metric: str) -> str | None:
        """The method with the best ``metric`` (psnr, ssim: highest; niqe: lowest), None if none has it."""
        scored = {m: getattr(p, metric) for m, p in self.methods.items() if getattr(p, metric) is not None}
        if not scored:
            return None
        pick = min if metric == "niqe" else max
        return pick(scored, key=scored.get)


def hr_to_lr(hr: np.ndarray, scale: int = SCALE) -> tuple[np.ndarray, np.ndarray]:
    """(modcropped HR, LR) exactly as the paper's protocol makes them. uint8 in, uint8 out.
    Raises ValueError (one line, with the minimum) for an image too small to downsample."""
    if min(hr.shape[:2]) < MIN_HR_SIDE:
        raise ValueError(
            f"image is {hr.shape[1]}x{hr.shape[0]}: too small to downsample x{scale} as a high-res image "
            f"(needs at least {MIN_HR_SIDE}x{MIN_HR_SIDE} px); upload it as a low-res image instead"
        )
    return np.ascontiguousarray(modcrop(hr, scale)), downscale(hr, scale)


def hr_picture_to_lr(pic: Picture) -> tuple[Picture, Picture, np.ndarray, np.ndarray]:
    """(HR picture modcropped, LR picture, HR uint8 RGB, LR uint8 RGB) from an HR upload.

    The 8-bit colour LR is the protocol's (antialiased bicubic of the 8-bit HR) and is what is
    measured; a 16-bit HR gives a 16-bit LR (the same resize in float) that the models run on;
    alpha is resized the same way and kept.
    """
    hr8, lr8 = hr_to_lr(pic.rgb8())

    def shrink(a: np.ndarray | None) -> np.ndarray | None:
        if a is None:
            return None
        return downscale(a) if a.dtype == np.uint8 else to_uint16(downscale(to_float(a)))

    def crop(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.ascontiguousarray(modcrop(a))

    lr_pixels = lr8 if pic.bit_depth == 8 else shrink(pic.pixels)
    hr_pic = replace(pic, pixels=crop(pic.pixels), alpha=crop(pic.alpha))
    return hr_pic, replace(pic, pixels=lr_pixels, alpha=shrink(pic.alpha)), hr8, lr8


def picture_notes(pic: Picture, is_hr: bool) -> tuple[str, ...]:
    """What a user should know about how their image's mode and depth were handled."""
    notes = []
    if pic.alpha is not None:
        notes.append(
            "transparency kept: the alpha channel is upscaled with bicubic and is in every download; "
            "the panels show it over a checkerboard, and the metrics measure the colour channels only"
        )
    if pic.bit_depth == 16:
        notes.append(
            "16-bit input: the models run on all 16 bits and the downloads are 16-bit PNGs; "
            + ("PSNR/SSIM/NIQE are measured at 8 bits, as in the literature" if is_hr else "NIQE is measured at 8 bits")
        )
    if pic.mode in ("L", "LA"):
        notes.append("greyscale input: the models see it as grey RGB and the results are saved grey")
    return tuple(notes)


def run_comparison(
    pic: Picture,
    upscalers: Mapping[str, Upscaler],
    is_hr: bool,
    progress: Progress | None = None,
    error_map_side: int = ERROR_MAP_SIDE,
) -> Comparison:
    """Run every method of ``upscalers`` (name -> Upscaler, bicubic among them) on one image.

    An HR upload is downsampled x4 by the protocol and each output is measured against it (PSNR,
    SSIM on Y with a 4-px shave); an LR upload is upscaled as it is. Every output gets a NIQE score
    where it is large enough. Outputs keep the input's alpha and bit depth.
    """
    say = progress or (lambda _f, _t: None)
    if is_hr:
        hr_pic, lr_pic, hr8, lr8 = hr_picture_to_lr(pic)
    else:
        hr_pic, hr8, lr_pic, lr8 = None, None, pic, pic.rgb8()
    n = len(upscalers)
    methods: dict[str, Panel] = {}
    for i, (name, up) in enumerate(upscalers.items()):
        say(i / n, f"{name} ({i + 1}/{n})")

        def tiles(done: int, total: int, i: int = i, name: str = name) -> None:
            say((i + 0.8 * done / total) / n, f"{name} ({i + 1}/{n}) · tile {done}/{total}")

        t0 = time.perf_counter()
        sr = up.upscale(lr_pic, progress=tiles)
        seconds = time.perf_counter() - t0
        say((i + 0.8) / n, f"{name} ({i + 1}/{n}) · scoring")
        methods[name] = _panel(name, sr, hr8, seconds, error_map_side)
        del sr
    lr = _panel("LR", lr_pic, None, None, error_map_side, rgb=lr8)
    hr = None if hr_pic is None else _panel("HR", hr_pic, None, None, error_map_side, rgb=hr8)
    say(1.0, "done")
    return Comparison(lr, methods, hr, (*pic.notes, *picture_notes(pic, is_hr)))


def _panel(
    label: str,
    pic: Picture,
    hr8: np.ndarray | None,
    seconds: float | None,
    error_map_side: int,
    rgb: np.ndarray | None = None,
) -> Panel:
    rgb = pic.rgb8() if rgb is None else rgb
    psnr = ssim = emap = None
    block = 1
    if hr8 is not None:
        scores = evaluate_pair(rgb, hr8)
        psnr, ssim = scores["psnr"], scores["ssim"]
        emap, block = block_mean(abs_error_y(rgb, hr8), error_map_side)
    return Panel(
        label,
        encode_png(pic),
        pic.width,
        pic.height,
        psnr,
        ssim,
        niqe_score(rgb),
        seconds,
        emap,
        block,
    )


def niqe_score(rgb: np.ndarray) -> float | None:
    """MATLAB-model NIQE of a uint8 RGB image, or None where it is smaller than NIQE can score."""
    if matlab_model_path() is None or min(rgb.shape[:2]) < NIQE_MIN_SIDE:
        return None
    return niqe(rgb, "matlab")


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
    """A labelled strip of uint8 RGB panels (for the comparison download); smaller panels (the LR)
    are enlarged by nearest neighbour to the largest one's size."""
    h, w = max(img.shape[0] for _, img in panels), max(img.shape[1] for _, img in panels)
    canvas = Image.new("RGB", (len(panels) * w + (len(panels) - 1) * gap, h + label_height), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (label, img) in enumerate(panels):
        x = i * (w + gap)
        im = Image.fromarray(img)
        if im.size != (w, h):
            im = im.resize((w, h), Image.Resampling.NEAREST)
        canvas.paste(im, (x, label_height))
        draw.text((x + 4, 4), label, fill="black")
    return np.asarray(canvas)


def comparison_png(c: Comparison, labels: Mapping[str, str] | None = None) -> bytes:
    """PNG of every panel of ``c`` side by side, labelled (``labels``: panel name -> caption)."""
    labels = labels or {}
    return encode_png(Picture(side_by_side([(labels.get(k, k), p.rgb8()) for k, p in c.panels.items()])))


def crop_centre(pic: Picture, max_pixels: int) -> Picture:
    """``pic``'s centre, the largest region of the same aspect ratio within ``max_pixels`` (alpha
    and bit depth kept); ``pic`` itself when it fits."""
    h, w = pic.height, pic.width
    if h * w <= max_pixels:
        return pic
    f = (max_pixels / (h * w)) ** 0.5
    nh, nw = max(int(h * f), 1), max(int(w * f), 1)
    y0, x0 = (h - nh) // 2, (w - nw) // 2

    def cut(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.ascontiguousarray(a[y0 : y0 + nh, x0 : x0 + nw])

    note = f"cropped from {w}x{h} to its centre {nw}x{nh} to fit the app's limit"
    return replace(pic, pixels=cut(pic.pixels), alpha=cut(pic.alpha), notes=(*pic.notes, note))


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
