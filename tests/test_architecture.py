"""The architecture page's data: computed from the models, and the committed copy is current."""

import json

import pytest

from srgan.paths import PROJECT_ROOT
from srgan.reports.architecture import describe, load_description

COMMITTED = PROJECT_ROOT / "weights" / "architecture.json"


@pytest.mark.skipif(not COMMITTED.is_file(), reason="no weights/architecture.json")
def test_committed_architecture_equals_the_models():
    saved = json.loads(COMMITTED.read_text())
    # to rewrite it: python -m srgan.reports.architecture --write
    assert saved == json.loads(json.dumps(describe(saved["bicubic_skip"])))
    assert saved["generator"]["parameters"] == 1_554_883


def test_description_is_read_from_the_file_only_for_its_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("SRGAN_WEIGHTS", str(tmp_path))
    (tmp_path / "architecture.json").write_text(json.dumps({"bicubic_skip": True, "marker": 1}))
    assert load_description(True)["marker"] == 1
    computed = load_description(False)  # a different setting: built in a child process
    assert "marker" not in computed and computed["bicubic_skip"] is False
    assert computed["generator"]["parameters"] == 1_554_883
