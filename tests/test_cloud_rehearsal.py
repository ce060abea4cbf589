"""Streamlit Community Cloud rehearsal (scripts/cloud_rehearsal.py): a clean copy of the repository, a fresh
venv from requirements.txt alone (uv, through PyPI: minutes the first time, its cache reused after), the
app served by `streamlit run`, every page and an upload driven in headless Chromium, and the server's peak
memory held under Community Cloud's smallest apps' limit.

Run it alone: pytest -m cloud
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import requires_chromium

ROOT = Path(__file__).resolve().parent.parent
COMMUNITY_CLOUD_MB = 690


@pytest.mark.cloud
@pytest.mark.slow
@pytest.mark.browser
@requires_chromium
def test_cloud_rehearsal_serves_every_page_and_an_upload_within_cloud_memory(tmp_path):
    report_path = tmp_path / "rehearsal.json"
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cloud_rehearsal.py"), "--json", str(report_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20 * 60,
    )
    assert report_path.is_file(), res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert res.returncode == 0, f"{report['failures']}\n{res.stdout[-3000:]}"
    assert report["pages_passed"] == {"Upscale & compare": True, "Architecture": True, "Benchmarks": True}
    assert report["errors"] == []
    assert report["upload"]["passed"] and report["upload_seconds"] > 0
    assert report["first_paint_seconds"] > 0
    assert not report["copy"]["shared_beside"] and not report["copy"]["venv_inside"]
    assert report["peak_rss_mb"] < COMMUNITY_CLOUD_MB, f"server peak RSS {report['peak_rss_mb']} MB"
