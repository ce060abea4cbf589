"""Checking a generator's ``.weights.h5`` file before any engine loads it.

Keras 3 stores a functional model's weights as ``layers/<class name>[_<n>]/vars/<i>`` datasets,
numbered per class in the model's layer order (deterministic: the same model code gives the same
paths). :func:`generator_weight_shapes` states that layout for :func:`srgan.model.models.build_generator`
without importing Keras (a test compares it with Keras' own file), so every engine can refuse a
damaged file or one of another architecture in one line that names the file and the first layer
that does not fit, instead of a tensor dump or, worse, a silently wrong model.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from srgan import SCALE

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


GENERATOR_KEYS = ("num_blocks", "channels", "bicubic_skip")  # build_generator's architecture arguments


def generator_kwargs(settings: dict) -> dict:
    """The generator's architecture arguments (:data:`GENERATOR_KEYS`) found in a card's
    ``architecture``, a run's config or any other mapping; other keys are left out."""
    return {k: settings[k] for k in GENERATOR_KEYS if k in settings}


class WeightsError(ValueError):
    """A weights file that cannot be used; the message is one line naming the file."""


def generator_weight_shapes(num_blocks: int = 16, channels: int = 64, scale: int = SCALE) -> dict[str, tuple]:
    """``{"layers/conv2d/vars/0": (9, 9, 3, 64), ...}``: every dataset of a generator's weights file.

    The architecture's weights in the order the generator builds them: head conv + PReLU; per
    residual block conv, BN, PReLU, conv, BN; body conv + BN; per x2 stage conv (4C maps) + PReLU;
    tail conv. The bicubic skip has no weights, so ``bicubic_skip`` does not change the file.
    """
    counts: dict[str, int] = {}
    shapes: dict[str, tuple] = {}

    def add(kind: str, *var_shapes: tuple) -> None:
        n = counts.get(kind, 0)
        counts[kind] = n + 1
        layer = kind if n == 0 else f"{kind}_{n}"
        for i, shape in enumerate(var_shapes):
            shapes[f"layers/{layer}/vars/{i}"] = shape

    def conv(k: int, c_in: int, c_out: int) -> None:
        add("conv2d", (k, k, c_in, c_out), (c_out,))

    def bn(c: int) -> None:
        add("batch_normalization", (c,), (c,), (c,), (c,))

    def prelu(c: int) -> None:
        add("p_re_lu", (1, 1, c))

    conv(9, 3, channels)
    prelu(channels)
    for _ in range(num_blocks):
        conv(3, channels, channels)
        bn(channels)
        prelu(channels)
        conv(3, channels, channels)
        bn(channels)
    conv(3, channels, channels)
    bn(channels)
    for _ in range(int(math.log2(scale))):
        conv(3, channels, channels * 4)
        prelu(channels)
    conv(9, channels, 3)
    return shapes


def read_weight_shapes(path: str | Path) -> dict[str, tuple]:
    """Every dataset's shape in an HDF5 weights file; :class:`WeightsError` if it is no readable HDF5."""
    import h5py
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    with path.open("rb") as f:
        head = f.read(len(HDF5_SIGNATURE))
    if head != HDF5_SIGNATURE:
        raise WeightsError(f"{path}: not an HDF5 weights file (a Keras .weights.h5 is expected)")
    shapes: dict[str, tuple] = {}
    not_finite: list[str] = []
    try:
        with h5py.File(path, "r") as f:

            def visit(name: str, obj) -> None:
                if isinstance(obj, h5py.Dataset):
                    shapes[name] = tuple(obj.shape)
                    data = np.asarray(obj[()])  # read the data too: a truncated file fails here, not in the engine
                    if data.dtype.kind == "f" and not np.isfinite(data).all():
                        not_finite.append(name)

            f.visititems(visit)
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        reason = " ".join(str(e).split())[:120]
        raise WeightsError(f"{path}: weights file is truncated or corrupt ({reason})") from None
    if not_finite:  # a diverged run: every engine would compute NaN (or clip it to a flat image)
        layer = not_finite[0].rsplit("/vars/", 1)[0].removeprefix("layers/")
        raise WeightsError(f"{path}: weights are not finite (NaN or inf in layer {layer})")
    return shapes


def check_generator_weights(path: str | Path, architecture: dict | None = None) -> None:
    """Raise :class:`WeightsError` unless ``path`` holds complete weights of this generator.

    ``architecture``: ``num_blocks`` and ``channels`` (defaults: the paper's 16 x 64), e.g. from
    the model card. The message names the file and the first layer that does not fit.
    """
    arch = {k: v for k, v in (architecture or {}).items() if k in ("num_blocks", "channels")}
    expected = generator_weight_shapes(**arch)
    found = read_weight_shapes(path)
    want = f"{arch.get('num_blocks', 16)} blocks x {arch.get('channels', 64)} channels"
    for name, shape in expected.items():
        layer = name.rsplit("/vars/", 1)[0].removeprefix("layers/")
        if name not in found:
            raise WeightsError(f"{path}: not weights of the {want} generator (layer {layer} is missing)")
        if found[name] != shape:
            raise WeightsError(
                f"{path}: not weights of the {want} generator (layer {layer} has shape {found[name]}, expected {shape})"
            )
    extra = sorted(n for n in found if n.startswith("layers/") and n not in expected)
    if extra:
        layer = extra[0].rsplit("/vars/", 1)[0].removeprefix("layers/")
        raise WeightsError(f"{path}: not weights of the {want} generator (unexpected layer {layer})")


def read_generator_arrays(path: str | Path, architecture: dict | None = None) -> dict[str, list]:
    """The generator's weights in build order, without Keras, after :func:`check_generator_weights`:
    ``{"conv2d": [[kernel (k, k, C_in, C_out), bias (C_out,)], ...], "batch_normalization": [[gamma,
    beta, moving_mean, moving_variance], ...], "p_re_lu": [[alpha (1, 1, C)], ...]}``, float32."""
    import h5py
    import numpy as np

    check_generator_weights(path, architecture)
    layers: dict[str, list] = {}
    with h5py.File(path, "r") as f:
        arch = {k: v for k, v in (architecture or {}).items() if k in ("num_blocks", "channels")}
        for name in generator_weight_shapes(**arch):
            layer, index = name.removeprefix("layers/").rsplit("/vars/", 1)
            kind = re.sub(r"_\d+$", "", layer)  # conv2d_12 -> conv2d
            group = layers.setdefault(kind, [])
            if index == "0":
                group.append([])
            group[-1].append(np.asarray(f[name], np.float32))
    return layers
