"""Peer x4 models: OpenCV ``dnn_superres`` (FSRCNN, ESPCN, LapSRN) from ``<data>/peers``.

They need ``opencv-contrib-python-headless`` (the plain wheel has no ``dnn_superres``); without
it :func:`opencv_peers` returns the reason instead of the models.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.images import to_float, to_uint8
from srgan.paths import data_dir

PEER_FILES = {
    "FSRCNN": ("fsrcnn", "FSRCNN_x4.pb"),
    "ESPCN": ("espcn", "ESPCN_x4.pb"),
    "LapSRN": ("lapsrn", "LapSRN_x4.pb"),
}


def opencv_peers(folder: Path | None = None) -> tuple[dict, dict[str, str]]:
    """({name: method}, {name: reason skipped}) for the OpenCV peers; methods map uint8 RGB LR
    (h, w, 3) -> uint8 RGB SR (4h, 4w, 3)."""
    import cv2

    folder = folder or data_dir() / "peers" / "opencv_dnn_superres"
    if not hasattr(cv2, "dnn_superres"):
        reason = "cv2.dnn_superres missing: install opencv-contrib-python-headless"
        return {}, dict.fromkeys(PEER_FILES, reason)
    methods, skipped = {}, {}
    for name, (algo, file) in PEER_FILES.items():
        path = folder / file
        if not path.is_file():
            skipped[name] = f"{path} not found"
            continue
        sr = cv2.dnn_superres.DnnSuperResImpl_create()
        sr.readModel(str(path))
        sr.setModel(algo, SCALE)

        def method(lr: np.ndarray, _sr=sr) -> np.ndarray:
            return np.ascontiguousarray(_sr.upsample(np.ascontiguousarray(lr[..., ::-1]))[..., ::-1])

        methods[name] = method
    return methods, skipped


class PeerEngine:
    """An OpenCV peer as an engine (see :mod:`srgan.engines`): whole images at once, exact on 8 bits."""

    precision = "fp32"
    whole_image = True

    def __init__(self, name: str, method):
        self.name, self._method = name, method
        self._lock = threading.Lock()  # one cv2 net, not safe to share between threads

    def upscale_uint8(self, rgb: np.ndarray) -> np.ndarray:
        """uint8 (h, w, 3) RGB -> uint8 (4h, 4w, 3) RGB."""
        with self._lock:
            return self._method(rgb)

    def __call__(self, window: np.ndarray) -> np.ndarray:
        """float32 (h, w, 3) in [0, 1] -> float32 (4h, 4w, 3) in [0, 1], through 8 bits."""
        return to_float(self.upscale_uint8(to_uint8(window)))


def peer_upscalers(folder: Path | None = None) -> dict:
    """{name: Upscaler} for the OpenCV peers that can run here (none without opencv-contrib or the models)."""
    from srgan.inference import Upscaler

    methods, _ = opencv_peers(folder)
    return {name: Upscaler.with_engine(PeerEngine(name, m), name=name) for name, m in methods.items()}
