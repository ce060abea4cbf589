import io

import numpy as np
import pytest
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
    expected = Upscaler("srresnet", tile=1000, engine="keras").upscale(Picture(lr)).pixels
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


def test_serving_refuses_a_huge_image_before_decoding_it(tiny_weights, tmp_path):
    # item 9: a 16 KB PNG that declares 2000x2000 pixels drove the serving process past 6 GB
    import resource

    import tensorflow as tf

    assert main(["export", str(tmp_path / "sm"), "--model", "srresnet", "--max-pixels", "4096"]) == 0
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    encoded = loaded.signatures["upscale_encoded"]
    for fmt, size in (("PNG", (2000, 2000)), ("JPEG", (3000, 100)), ("GIF", (65, 64)), ("BMP", (100, 100))):
        buf = io.BytesIO()
        Image.new("RGB", size, (10, 200, 30)).save(buf, format=fmt)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with pytest.raises(tf.errors.InvalidArgumentError, match="limit of 4096 pixels"):
            encoded(data=tf.constant(buf.getvalue()))
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
        assert grown_mb < 100, f"{fmt}: peak RSS grew {grown_mb:.0f} MB for a refused input"
    with pytest.raises(tf.errors.InvalidArgumentError, match="limit of 4096 pixels"):
        loaded.signatures["serving_default"](image=tf.zeros((65, 64, 3), tf.uint8))
    # inside the limit: served
    buf = io.BytesIO()
    Image.fromarray(smooth_image(16, 24)).save(buf, format="BMP")
    png = encoded(data=tf.constant(buf.getvalue()))["png"].numpy()
    assert Image.open(io.BytesIO(png)).size == (96, 64)


def test_export_never_replaces_without_overwrite(tiny_weights, tmp_path, capsys):
    # item 8: export onto an existing path gave a traceback
    target = tmp_path / "existing"
    target.write_text("not mine to delete")
    assert main(["export", str(target), "--model", "srresnet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exists; not overwritten" in err[0]
    assert target.read_text() == "not mine to delete"
    folder = tmp_path / "sm"
    assert main(["export", str(folder), "--model", "srresnet"]) == 0
    assert main(["export", str(folder), "--model", "srresnet"]) == 2
    assert main(["export", str(folder), "--model", "srresnet", "--overwrite"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing", "sm"]  # no temporary folder left
