"""Helpers that the tests and ``scripts/`` share: a dashboard server (:mod:`.server`), a headless
Chromium and the waits that read Streamlit's page (:mod:`.browser`), synthetic images (:mod:`.images`).
Scripts import them with the repository root on ``sys.path``: ``from tests.support.server import ...``."""
