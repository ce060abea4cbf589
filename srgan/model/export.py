"""Export a generator as a TensorFlow SavedModel for TensorFlow Serving or any TF runtime.

Signatures (whole image, no tiling):
- ``serving_default``: ``image`` uint8 (H, W, 3) RGB -> ``sr`` uint8 (4H, 4W, 3);
- ``upscale_encoded``: ``data`` string (PNG/JPEG/BMP/GIF bytes) -> ``png`` string (the SR as PNG).
The pixel maths equal :class:`srgan.inference.Upscaler`'s: LR / 255, model, (x + 1) / 2, clip,
round, uint8.

Both refuse an input of more than ``max_pixels`` LR pixels (default :data:`SERVING_MAX_PIXELS`)
with an ``InvalidArgumentError`` before any large buffer exists: ``upscale_encoded`` reads the size
from the file's header, before decoding, so a small file that declares a huge image (a 16 KB PNG
of 2000x2000) costs nothing. The model runs on the whole image at once, and its activations grow
with the pixel count (several KB per LR pixel), so the limit is what bounds the server's memory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SERVING_MAX_PIXELS = 512 * 512  # LR pixels per request (x4 output: 2048x2048)


def _declared_size(data):
    """(height, width) int64 from an encoded image's header, without decoding it (PNG, JPEG, GIF,
    BMP; (0, 0) for anything else, which ``decode_image`` then refuses)."""
    import tensorflow as tf

    def field(offset: int, size: int, little_endian: bool):
        raw = tf.io.decode_raw(tf.strings.substr(data, offset, size), tf.uint8)
        raw = tf.cast(raw, tf.int64)
        order = tf.range(size, dtype=tf.int64) if little_endian else tf.range(size - 1, -1, -1, dtype=tf.int64)
        return tf.reduce_sum(raw * tf.bitwise.left_shift(tf.constant(1, tf.int64), 8 * order))

    magic = tf.strings.substr(data, 0, 4)
    long_enough = tf.strings.length(data) >= 26

    def png():
        return field(20, 4, False), field(16, 4, False)

    def jpeg():
        shape = tf.cast(tf.image.extract_jpeg_shape(data), tf.int64)
        return shape[0], shape[1]

    def gif():
        return field(8, 2, True), field(6, 2, True)

    def bmp():
        h = field(22, 4, True)
        return tf.where(h >= 2**31, 2**32 - h, h), field(18, 4, True)  # top-down BMPs store -height

    def unknown():
        return tf.constant(0, tf.int64), tf.constant(0, tf.int64)

    return tf.case(
        [
            (tf.logical_and(long_enough, tf.equal(magic, b"\x89PNG")), png),
            (tf.equal(tf.strings.substr(data, 0, 2), b"\xff\xd8"), jpeg),
            (tf.logical_and(long_enough, tf.equal(tf.strings.substr(data, 0, 3), b"GIF")), gif),
            (tf.logical_and(long_enough, tf.equal(tf.strings.substr(data, 0, 2), b"BM")), bmp),
        ],
        default=unknown,
    )


def export_saved_model(
    generator, out_dir: str | Path, max_pixels: int = SERVING_MAX_PIXELS, overwrite: bool = False
) -> Path:
    """Write ``generator`` (a Keras SR generator) as a SavedModel to ``out_dir``; returns the path.

    An existing ``out_dir`` raises :class:`FileExistsError` unless ``overwrite``; it is replaced only
    once the new SavedModel is complete.
    """
    import tensorflow as tf

    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; not overwritten (use --overwrite to replace it)")

    def check_size(height, width):
        pixels = tf.cast(height, tf.int64) * tf.cast(width, tf.int64)
        return tf.debugging.assert_less_equal(
            pixels,
            tf.constant(max_pixels, tf.int64),
            message=f"input is larger than this model's limit of {max_pixels} pixels (height x width)",
        )

    class SRModule(tf.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.uint8, name="image")])
        def upscale(self, image):
            with tf.control_dependencies([check_size(tf.shape(image)[0], tf.shape(image)[1])]):
                lr = tf.cast(image, tf.float32)[None] / 255.0
            sr = self.model(lr, training=False)[0]
            sr = tf.clip_by_value((sr + 1.0) * 127.5, 0.0, 255.0)
            return {"sr": tf.cast(tf.round(sr), tf.uint8)}

        @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="data")])
        def upscale_encoded(self, data):
            height, width = _declared_size(data)
            with tf.control_dependencies([check_size(height, width)]):
                image = tf.io.decode_image(data, channels=3, expand_animations=False)
            return {"png": tf.io.encode_png(self.upscale(image)["sr"])}

    module = SRModule(generator)
    # written beside the destination, then renamed: a failed export leaves no half SavedModel
    tmp, old = out.with_name(f".{out.name}.tmp"), out.with_name(f".{out.name}.old")
    for leftover in (tmp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        tf.saved_model.save(
            module,
            str(tmp),
            signatures={"serving_default": module.upscale, "upscale_encoded": module.upscale_encoded},
        )
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return out
