import pytest

from srgan.paths import data_dir
from srgan.quality.peers import opencv_peers
from tests.conftest import requires_data


def test_without_contrib_the_peers_are_skipped_with_a_reason():
    import cv2

    methods, skipped = opencv_peers()
    if hasattr(cv2, "dnn_superres"):
        pytest.skip("opencv-contrib is installed here; see the next test")
    assert methods == {} and set(skipped) == {"FSRCNN", "ESPCN", "LapSRN"}
    assert all("opencv-contrib" in reason for reason in skipped.values())


@requires_data
def test_peers_reproduce_their_published_sanity_numbers():
    import cv2

    if not hasattr(cv2, "dnn_superres"):
        pytest.skip("needs opencv-contrib-python-headless (cv2.dnn_superres)")
    from srgan.quality.suites import evaluate_folder

    methods, skipped = opencv_peers()
    assert not skipped, skipped
    # shared/data/README: Set5 Y-PSNR with the reference LR, FSRCNN 28.41 and LapSRN 28.75
    lr = data_dir() / "benchmark_lr_x4" / "Set5"
    hr = data_dir() / "benchmark" / "Set5"
    assert evaluate_folder(hr, methods["FSRCNN"], lr_dir=lr)["mean"]["psnr"] == pytest.approx(28.41, abs=0.02)
    assert evaluate_folder(hr, methods["LapSRN"], lr_dir=lr)["mean"]["psnr"] == pytest.approx(28.75, abs=0.02)
