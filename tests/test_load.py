"""Several dashboard sessions at once: each gets its own correct result, none sees another's data."""

import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import requires_chromium
from tests.support.images import hr_image
from tests.test_app import APP, _png


@pytest.mark.browser
@requires_chromium
def test_concurrent_browser_sessions_each_get_their_own_correct_result(tiny_weights):
    sessions = 3
    from scripts.load_test import run_load_test

    result = run_load_test(sessions, size=96, timeout=240, env={"SRGAN_WEIGHTS": str(tiny_weights)})
    assert result["failures"] == [] and result["completed"] == sessions
    assert result["p95_seconds"] >= result["p50_seconds"] > 0
    assert result["server_peak_rss_mb"] >= result["server_rss_before_mb"] > 0


def test_two_sessions_cannot_see_each_others_images(tiny_weights, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # any temporary file an upload made would land here
    images = [hr_image(64, seed) for seed in (1, 2)]
    sessions = []
    for i, img in enumerate(images):
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["source"] = "High-res image"  # straight to the uploader
        at.run()
        at.file_uploader(key="upload_High-res image").set_value((f"private{i}.png", _png(img), "image/png")).run()
        assert not at.exception and not at.error
        sessions.append(at)
    for mine, at in enumerate(sessions):
        assert [item["label"] for item in at.session_state["gallery"]] == [f"private{mine}.png"]
        assert np.array_equal(at.session_state["gallery"][0]["comparison"].hr.rgb8(), images[mine])
    assert not np.array_equal(images[0], images[1])
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [], f"uploads touched the disk: {written}"
    assert not any(Path(os.getcwd()).rglob("private*.png"))


@pytest.mark.browser
@pytest.mark.slow
@requires_chromium
def test_large_uploads_keep_the_server_within_community_clouds_memory():
    # three sessions upload large photo-like JPEGs and one a 16-bit RGBA PNG, at once, with the shipped
    # models: every result is right, and the server stays within Cloud's smallest memory (690 MB)
    from scripts.load_test import run_load_test

    result = run_load_test(3, size=4000, timeout=600, jpeg=True, rgba16=True)
    assert result["failures"] == [] and result["completed"] == 4
    assert result["server_peak_rss_mb"] <= 690, result
