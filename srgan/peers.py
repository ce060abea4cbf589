"""Peer x4 models: OpenCV ``dnn_superres`` (FSRCNN, ESPCN, LapSRN) from ``<data>/peers``.

They need ``opencv-contrib-python-headless`` (the plain wheel has no ``dnn_superres``); without
it :func:`opencv_peers` returns the reason instead of the models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
        sr.setModel(algo, 4)

        def method(lr: np.ndarray, _sr=sr) -> np.ndarray:
            return np.ascontiguousarray(_sr.upsample(np.ascontiguousarray(lr[..., ::-1]))[..., ::-1])

        methods[name] = method
    return methods, skipped
