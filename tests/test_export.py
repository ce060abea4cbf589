import io

import numpy as np
from PIL import Image

from srgan.cli import main
from tests.conftest import smooth_image


def test_saved_model_reproduces_the_in_process_output(tiny_weights, tmp_path):
    import tensorflow as tf

    from srgan.image_io import Picture
    from srgan.inference import Upscaler

    assert main(["export", str(tmp_path / "sm"), "--model", "srresnet"]) == 0
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    lr = smooth_image(21, 30)
    expected = Upscaler("srresnet", tile=1000).upscale(Picture(lr)).pixels
    got = loaded.signatures["serving_default"](image=tf.constant(lr))["sr"].numpy()
    assert got.shape == (84, 120, 3) and got.dtype == np.uint8
    assert np.abs(got.astype(int) - expected).max() <= 1  # float rounding at .5 boundaries
    buf = io.BytesIO()
    Image.fromarray(lr).save(buf, format="PNG")
    png = loaded.signatures["upscale_encoded"](data=tf.constant(buf.getvalue()))["png"].numpy()
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), got)


def test_bicubic_cannot_be_exported(tmp_path, capsys):
    assert main(["export", str(tmp_path / "x"), "--model", "bicubic"]) == 2
    assert "no model to export" in capsys.readouterr().err
