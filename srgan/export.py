"""Export a generator as a TensorFlow SavedModel for TensorFlow Serving or any TF runtime.

Signatures (whole image, no tiling: serve inputs of a size the server's memory allows):
- ``serving_default``: ``image`` uint8 (H, W, 3) RGB -> ``sr`` uint8 (4H, 4W, 3);
- ``upscale_encoded``: ``data`` string (PNG/JPEG/BMP/GIF bytes) -> ``png`` string (the SR as PNG).
The pixel maths equal :class:`srgan.inference.Upscaler`'s: LR / 255, model, (x + 1) / 2, clip,
round, uint8.
"""

from __future__ import annotations

from pathlib import Path


def export_saved_model(generator, out_dir: str | Path) -> Path:
    """Write ``generator`` (a Keras SR generator) as a SavedModel to ``out_dir``; returns the path."""
    import tensorflow as tf

    class SRModule(tf.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.uint8, name="image")])
        def upscale(self, image):
            lr = tf.cast(image, tf.float32)[None] / 255.0
            sr = self.model(lr, training=False)[0]
            sr = tf.clip_by_value((sr + 1.0) * 127.5, 0.0, 255.0)
            return {"sr": tf.cast(tf.round(sr), tf.uint8)}

        @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="data")])
        def upscale_encoded(self, data):
            image = tf.io.decode_image(data, channels=3, expand_animations=False)
            return {"png": tf.io.encode_png(self.upscale(image)["sr"])}

    module = SRModule(generator)
    out = Path(out_dir)
    tf.saved_model.save(
        module,
        str(out),
        signatures={"serving_default": module.upscale, "upscale_encoded": module.upscale_encoded},
    )
    return out
