"""Helpers that the tests and ``scripts/`` share: a dashboard server (:mod:`.server`), a headless
Chromium and the waits that read Streamlit's page (:mod:`.browser`), synthetic images (:mod:`.images`).
A process's memory is :func:`srgan.reports.costs.memory_of`. Scripts import these with the repository
root on ``sys.path``: ``from tests.support.server import ...``."""
