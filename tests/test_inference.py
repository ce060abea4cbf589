import itertools

import numpy as np
import pytest

from srgan.image_io import Picture
from srgan.inference import Upscaler, WeightsMissing, tile_windows
from tests.conftest import smooth_image


def test_tile_windows_use_the_fewest_windows():
    assert tile_windows(256, 224, 16) == [(0, 256, 0, 256)]  # fits one window: no second, overlapping one
    assert [w1 - w0 for _, _, w0, w1 in tile_windows(256, 128, 16)] == [144, 144]  # not 2 x 160
    assert len(tile_windows(1024, 128, 16)) == 8


def test_tile_windows_cover_the_axis_with_fixed_length():
    for size in (1, 5, 37, 40, 41, 128, 300, 1023):
        wins = tile_windows(size, tile=32, pad=8)
        cores = [(a, b) for a, b, _, _ in wins]
        assert cores[0][0] == 0 and cores[-1][1] == size
        assert all(b0 == a1 for (_, b0), (a1, _) in itertools.pairwise(cores))
        assert len({w1 - w0 for _, _, w0, w1 in wins}) == 1
        for a, b, w0, w1 in wins:
            assert 0 <= w0 <= a and b <= w1 <= size
            assert a - w0 >= min(8, a) and w1 - b >= min(8, size - b)


def test_tiled_equals_whole_image_within_one_level(tiny_weights):
    lr = smooth_image(70, 90).astype(np.float32) / 255
    tiled = Upscaler("srresnet", tile=24)  # default pad
    whole = Upscaler("srresnet", tile=1000)
    a, b = tiled.upscale_array(lr), whole.upscale_array(lr)
    assert a.shape == (280, 360, 3)
    assert np.abs(a - b).max() <= 1 / 255


def test_progress_reports_every_tile(tiny_weights):
    seen = []
    Upscaler("srresnet", tile=16, tile_pad=4).upscale_array(
        np.zeros((20, 40, 3), np.float32), progress=lambda d, t: seen.append((d, t))
    )
    total = len(tile_windows(20, 16, 4)) * len(tile_windows(40, 16, 4))
    assert total == 2  # rows fit one 20-px window; 40 columns need two 24-px windows
    assert seen == [(i, total) for i in range(1, total + 1)]


def test_rgba_alpha_is_upscaled_and_reattached(tiny_weights):
    rgb = smooth_image(15, 21)
    alpha = np.zeros((15, 21), np.uint8)
    alpha[:, 10:] = 255
    out = Upscaler("srgan").upscale(Picture(rgb, alpha, "RGBA"))
    assert out.mode == "RGBA" and out.pixels.shape == (60, 84, 3) and out.alpha.shape == (60, 84)
    assert out.alpha[:, :36].max() < 30 and out.alpha[:, 48:].min() > 225


def test_grey_and_16bit_come_back_as_they_went_in(tiny_weights):
    up = Upscaler("srresnet")
    grey = np.repeat(smooth_image(9, 11)[..., :1], 3, axis=2)
    out = up.upscale(Picture(grey, None, "L"))
    assert out.mode == "L"
    np.testing.assert_array_equal(out.pixels[..., 0], out.pixels[..., 2])
    deep = (smooth_image(9, 11).astype(np.uint16) * 257) + 3
    out16 = up.upscale(Picture(deep))
    assert out16.pixels.dtype == np.uint16 and out16.pixels.shape == (36, 44, 3)


def test_bicubic_needs_no_weights_and_matches_pil(tmp_path, monkeypatch):
    from srgan.images import upscale_bicubic

    monkeypatch.setenv("SRGAN_WEIGHTS", str(tmp_path))
    lr = smooth_image(13, 17)
    out = Upscaler("bicubic").upscale(Picture(lr))
    np.testing.assert_array_equal(out.pixels, upscale_bicubic(lr))


def test_missing_weights_say_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SRGAN_WEIGHTS", str(tmp_path))
    with pytest.raises(WeightsMissing, match=r"no weights for model 'srgan'.*bicubic"):
        Upscaler("srgan")


def test_input_pixel_cap(tiny_weights, monkeypatch):
    import srgan.inference as inf

    monkeypatch.setattr(inf, "MAX_INPUT_PIXELS", 100)
    with pytest.raises(ValueError, match="limit for x4"):
        Upscaler("bicubic").upscale(Picture(np.zeros((20, 20, 3), np.uint8)))


def test_tracing_is_bounded_across_image_sizes(tiny_weights):
    up = Upscaler("srresnet", tile=16, tile_pad=4, engine="keras")  # windows of at most 24x24, sized per image
    sizes = ((30, 40), (50, 26), (64, 64), (33, 97), (25, 24), (10, 12), (7, 9), (13, 5), (120, 77))
    for h, w in sizes:
        assert up.upscale_array(np.zeros((h, w, 3), np.float32)).shape == (4 * h, 4 * w, 3)
    # one trace for the first window shape, then one with relaxed (unknown) sizes that serves the rest
    assert up.engine._forward.experimental_get_tracing_count() <= 2


def test_inference_slots_bound_concurrency_and_report_the_queue():
    import threading
    import time

    from srgan.inference import InferenceSlots

    slots = InferenceSlots(1)
    active, peak, waits = [0], [0], []
    lock = threading.Lock()

    def job(i):
        with slots.hold(on_wait=lambda ahead: waits.append((i, ahead))):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.05)
            with lock:
                active[0] -= 1

    with slots.hold():  # occupy the slot so every thread has to queue
        threads = [threading.Thread(target=job, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        deadline = time.time() + 5
        while slots.waiting < 4 and time.time() < deadline:
            time.sleep(0.01)
        assert slots.waiting == 4 and slots.running == 1
    for t in threads:
        t.join(5)
    assert peak[0] == 1
    assert sorted(a for _, a in waits) == [1, 2, 3, 4]  # each was told how many were ahead of it
    assert slots.waiting == 0 and slots.running == 0
