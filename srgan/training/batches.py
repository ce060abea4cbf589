"""The data the training loop reads: training batches prepared ahead on threads
(:func:`prefetched_batches`, the JAX backend's feed; TensorFlow uses :func:`srgan.training.data.make_dataset`)
and the validation images (:func:`load_validation`)."""

from __future__ import annotations

import copy
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.training.data import PatchSampler


def load_validation(folder: str | Path, scale: int = SCALE) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, LR float32 (h, w, 3) in [0, 1], HR uint8 (4h, 4w, 3)) per image, LR made by the protocol."""
    from srgan.image_io import list_images, load_image
    from srgan.images import downscale, modcrop

    out = []
    for path in list_images(folder):
        hr = modcrop(load_image(path).rgb8(), scale)
        out.append((path.stem, downscale(hr, scale).astype(np.float32) / 255.0, hr))
    return out


def prefetched_batches(
    sampler: PatchSampler, batch_size: int, workers: int = 1, depth: int = 8, stop: threading.Event | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(lr, hr) batches of ``sampler.sample(batch_size)`` prepared by ``workers`` background threads.

    Worker 0 uses ``sampler`` itself; the others use copies of it with their own random streams,
    seeded from ``sampler``'s (PIL's resize releases the GIL, so threads help).
    The threads end when ``stop`` is set.
    """
    stop = stop or threading.Event()
    q: queue.Queue = queue.Queue(depth)
    samplers = [sampler]
    for w in range(1, workers):
        clone = copy.copy(sampler)  # shallow: the decoded images are shared (only read)
        clone.rng = np.random.default_rng([int(sampler.rng.integers(2**31)), w])
        samplers.append(clone)

    def work(s: PatchSampler) -> None:
        while not stop.is_set():
            batch = s.sample(batch_size)
            while not stop.is_set():
                try:
                    q.put(batch, timeout=0.1)
                    break
                except queue.Full:
                    continue

    for s in samplers:
        threading.Thread(target=work, args=(s,), daemon=True).start()
    while True:
        yield q.get()
