"""The loader's modes, round trips and error paths, on images generated here."""

import contextlib
import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from srgan.image_io import ImageLoadError, Picture, encode_png, load_image
from tests.conftest import smooth_image


def _png_bytes(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG", **kw)
    return buf.getvalue()


def _png16_rgb(arr: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", arr[..., ::-1].copy())
    assert ok
    return buf.tobytes()


def test_rgb_png_round_trip():
    img = smooth_image(20, 30)
    pic = load_image(_png_bytes(Image.fromarray(img)))
    assert pic.mode == "RGB" and pic.bit_depth == 8 and pic.alpha is None
    np.testing.assert_array_equal(pic.pixels, img)
    np.testing.assert_array_equal(load_image(encode_png(pic)).pixels, img)


def test_rgba_keeps_alpha():
    img = smooth_image(16, 16)
    alpha = np.tile(np.arange(16, dtype=np.uint8) * 16, (16, 1))
    pic = load_image(_png_bytes(Image.fromarray(np.dstack([img, alpha]), "RGBA")))
    assert pic.mode == "RGBA"
    np.testing.assert_array_equal(pic.alpha, alpha)
    back = load_image(encode_png(pic))
    np.testing.assert_array_equal(back.alpha, alpha)


@pytest.mark.parametrize("mode", ["L", "LA"])
def test_grey_modes_round_trip(mode):
    grey = smooth_image(12, 14)[..., 0]
    im = (
        Image.fromarray(grey)
        if mode == "L"
        else Image.merge("LA", (Image.fromarray(grey), Image.fromarray(grey[::-1].copy())))
    )
    pic = load_image(_png_bytes(im))
    assert pic.mode == mode and pic.pixels.shape == (12, 14, 3)
    np.testing.assert_array_equal(pic.pixels[..., 1], grey)
    assert Image.open(io.BytesIO(encode_png(pic))).mode == mode


def test_16bit_rgb_png_keeps_16_bits():
    arr = (np.random.default_rng(0).random((10, 12, 3)) * 65535).astype(np.uint16)
    pic = load_image(_png16_rgb(arr))
    assert pic.bit_depth == 16 and pic.mode == "RGB"
    np.testing.assert_array_equal(pic.pixels, arr)
    np.testing.assert_array_equal(load_image(encode_png(pic)).pixels, arr)


def test_16bit_grey_png():
    arr = (np.random.default_rng(1).random((9, 7)) * 65535).astype(np.uint16)
    pic = load_image(_png_bytes(Image.fromarray(arr)))
    assert pic.bit_depth == 16 and pic.mode == "L"
    np.testing.assert_array_equal(pic.pixels[..., 0], arr)


def test_16bit_grey_with_alpha_is_written_as_16bit_rgba_without_loss():
    # PNG has 16-bit grey+alpha, but neither OpenCV nor PIL writes it: every level survives as RGBA
    rng = np.random.default_rng(2)
    grey = (rng.random((6, 5)) * 65535).astype(np.uint16)
    alpha = (rng.random((6, 5)) * 65535).astype(np.uint16)
    pic = Picture(np.repeat(grey[..., None], 3, axis=2), alpha=alpha, mode="LA")
    back = load_image(encode_png(pic))
    assert back.bit_depth == 16 and back.mode == "RGBA"
    np.testing.assert_array_equal(back.pixels, pic.pixels)
    np.testing.assert_array_equal(back.alpha, alpha)


def test_exif_orientation_is_applied():
    img = smooth_image(10, 20)  # 20 wide, 10 high
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", exif=exif.tobytes(), quality=95)
    pic = load_image(buf.getvalue())
    assert pic.pixels.shape[:2] == (20, 10)
    assert any("EXIF orientation 6" in n for n in pic.notes)


def test_palette_with_transparency_becomes_rgba():
    im = Image.fromarray(smooth_image(8, 8)).convert("P", palette=Image.ADAPTIVE, colors=8)
    pic = load_image(_png_bytes(im, transparency=0))
    assert pic.mode == "RGBA" and pic.alpha is not None


def test_cmyk_jpeg_is_converted():
    buf = io.BytesIO()
    Image.fromarray(smooth_image(8, 8)).convert("CMYK").save(buf, format="JPEG")
    pic = load_image(buf.getvalue())
    assert pic.mode == "RGB" and any("CMYK" in n for n in pic.notes)


def test_animated_gif_uses_first_frame():
    frames = [Image.fromarray(np.full((6, 6, 3), v, np.uint8)) for v in (10, 200, 90)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    pic = load_image(buf.getvalue())
    assert abs(int(pic.pixels[0, 0, 0]) - 10) <= 2
    assert any("first of 3 frames" in n for n in pic.notes)


def _bomb_png(w: int, h: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"hello, I am text pretending to be a PNG", "not a recognised image"),
        (np.random.default_rng(0).bytes(2048), "not a recognised image"),
        (_bomb_png(100_000, 100_000), "limit is"),
    ],
)
def test_bad_inputs_get_one_clear_error(data, message):
    with pytest.raises(ImageLoadError, match=message) as info:
        load_image(data)
    assert "\n" not in str(info.value)


def test_truncated_png_and_jpeg_are_reported():
    img = Image.fromarray(smooth_image(64, 64))
    for fmt in ("PNG", "JPEG"):
        buf = io.BytesIO()
        img.save(buf, format=fmt)
        with pytest.raises(ImageLoadError, match=r"truncated or corrupt|cannot read"):
            load_image(buf.getvalue()[: len(buf.getvalue()) // 2])


def test_byte_limit_and_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="limit is"):
        load_image(b"x" * 2000, max_bytes=1000)
    with pytest.raises(ImageLoadError, match="no such file"):
        load_image(tmp_path / "missing.png")


def test_with_pixels_clips_never_wraps():
    pic = Picture(np.zeros((2, 2, 3), np.uint8))
    out = pic.with_pixels(np.array([[[-0.5, 1.5, 0.5]] * 2] * 2, np.float32))
    np.testing.assert_array_equal(out.pixels[0, 0], [0, 255, 128])


def _seed_files() -> list[bytes]:
    img = Image.fromarray(smooth_image(24, 24))
    out = []
    for fmt in ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP"):
        buf = io.BytesIO()
        img.save(buf, format=fmt)
        out.append(buf.getvalue())
    return out


SEEDS = _seed_files()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(range(len(SEEDS))),
    cut=st.integers(0, 4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=8),
)
def test_loader_never_fails_with_anything_but_a_clear_error(seed, cut, flips):
    # real files of every supported format, truncated and with random bytes overwritten
    data = bytearray(SEEDS[seed][: max(cut, 1)])
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    try:
        pic = load_image(bytes(data))
    except ImageLoadError as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert pic.pixels.ndim == 3 and pic.pixels.shape[2] == 3
        assert pic.pixels.dtype in (np.uint8, np.uint16)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048))
def test_loader_on_random_bytes(data):
    with contextlib.suppress(ImageLoadError):
        load_image(data)


def _encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize(("fmt", "lossless"), [("TIFF", True), ("BMP", True), ("WEBP", False), ("PNG", True)])
def test_other_formats_load_as_rgb(fmt, lossless):
    rgb = smooth_image(20, 28)
    pic = load_image(_encoded(Image.fromarray(rgb), fmt, **({"quality": 95} if fmt == "WEBP" else {})))
    assert pic.mode == "RGB" and pic.pixels.shape == (20, 28, 3) and pic.pixels.dtype == np.uint8
    err = np.abs(pic.pixels.astype(int) - rgb).max()
    assert err == 0 if lossless else err < 40


@pytest.mark.parametrize("side", [1, 3])
def test_tiny_images_load_and_upscale(side, tiny_weights):
    from srgan.inference import Upscaler

    rgb = smooth_image(side, side)
    pic = load_image(_png_bytes(Image.fromarray(rgb)))
    np.testing.assert_array_equal(pic.pixels, rgb)
    for model in ("srresnet", "bicubic"):
        sr = Upscaler(model).upscale(pic)
        assert sr.pixels.shape == (4 * side, 4 * side, 3) and sr.pixels.dtype == np.uint8


def test_animated_webp_uses_first_frame():
    frames = [Image.fromarray(np.full((8, 8, 3), v, np.uint8)) for v in (30, 220)]
    data = _encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    pic = load_image(data)
    assert abs(int(pic.pixels[0, 0, 0]) - 30) <= 2
    assert any("first of 2 frames" in n for n in pic.notes)


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
        b"name,psnr\nbaby,31.2\n",
    ],
    ids=["svg", "text"],
)
def test_svg_or_text_named_png_is_refused(tmp_path, data):
    path = tmp_path / "picture.png"
    path.write_bytes(data)
    with pytest.raises(ImageLoadError, match="not a recognised image") as info:
        load_image(path)
    assert "\n" not in str(info.value)


def test_fit_pixels_decodes_a_large_jpeg_small_and_keeps_depth_elsewhere(tmp_path):
    # bounded memory for the app: a large photo is reduced while it is decoded, never held at full size
    import io
    import resource

    import cv2
    from PIL import Image

    from srgan.image_io import image_size, load_image

    rgb = np.zeros((3000, 4000, 3), np.uint8)
    rgb[:, :, 0] = np.linspace(0, 255, 4000, dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=90)
    assert image_size(buf.getvalue()) == (4000, 3000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pic = load_image(buf.getvalue(), fit_pixels=1_000_000)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert pic.width * pic.height <= 1_000_000 and abs(pic.width / pic.height - 4 / 3) < 0.01
    assert any("downscaled from 4000x3000" in n for n in pic.notes)
    assert grown_mb < 30, f"peak RSS grew {grown_mb:.0f} MB: the 36 MB full-size image was decoded"
    assert abs(int(pic.pixels[0, -1, 0]) - 255) < 8  # the content is the image's, reduced
    # 16-bit RGBA: reduced in 16 bits, alpha too
    deep = (np.random.default_rng(0).random((400, 300, 4)) * 65535).astype(np.uint16)
    _, png = cv2.imencode(".png", deep)
    pic16 = load_image(png.tobytes(), fit_pixels=30_000)
    assert pic16.bit_depth == 16 and pic16.alpha is not None and pic16.alpha.dtype == np.uint16
    assert pic16.width * pic16.height <= 30_000 and pic16.alpha.shape == pic16.pixels.shape[:2]
    small = load_image(png.tobytes(), fit_pixels=10**7)  # within the limit: untouched
    assert (small.width, small.height) == (300, 400) and not small.notes
