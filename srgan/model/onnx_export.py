"""The generator as an ONNX graph, written by code from its ``.weights.h5`` (no Keras, no tf2onnx).

The graph is the inference layout of :func:`srgan.model.models.inference_generator`, so it computes the
same function as the Keras model (tested to float rounding):

- input ``lr``: float32 (N, H, W, 3) RGB in [0, 1], any H and W;
- output ``sr``: float32 (N, 4H, 4W, 3) RGB in [0, 1]: the generator's [-1, 1] output mapped by
  (x + 1) / 2 and clipped, inside the graph.

Inside it runs NCHW (ONNX's layout), rewritten so that the runtime does less at the high
resolutions, each step exact: batch norm folded into the convolution before it; every PReLU
before its pixel shuffle (slopes repeated per sub-pixel block), so it fuses into the convolution;
the 9x9 tail moved before the last shuffle (:func:`srgan.model.kernels.tail_kernel_at_half_resolution`)
with (x + 1) / 2 folded into its weights; the bicubic skip (its fixed 5x5 convolution on the
edge-padded LR) added before that shuffle too (:func:`srgan.model.kernels.half_resolution_order`),
where it fuses into the tail. Pixel shuffle is ``DepthToSpace`` in DCR mode (TensorFlow's
``depth_to_space`` order). The same weights always give the same bytes, so a committed
graph can be checked against its weights file byte for byte.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from srgan import SCALE
from srgan.model.kernels import bicubic_kernel_at_half_resolution, tail_kernel_at_half_resolution

OPSET = 17
BN_EPSILON = 1e-3  # Keras BatchNormalization's default, which build_generator uses


def _fold_bn(kernel: np.ndarray, bias: np.ndarray, bn: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    gamma, beta, mean, var = (np.asarray(v, np.float64) for v in bn)
    scale = gamma / np.sqrt(var + BN_EPSILON)
    return (kernel * scale).astype(np.float32), ((bias - mean) * scale + beta).astype(np.float32)


def generator_graph(weights: dict[str, list], bicubic_skip: bool, scale: int = SCALE, name: str = "generator"):
    """An ``onnx.ModelProto`` from :func:`srgan.model.weights_file.read_generator_arrays`' arrays."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    convs, bns, prelus = iter(weights["conv2d"]), iter(weights["batch_normalization"]), iter(weights["p_re_lu"])
    counter = iter(range(10**6))

    def const(array: np.ndarray, label: str) -> str:
        tensor_name = f"{label}_{next(counter)}"
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), tensor_name))
        return tensor_name

    def node(op: str, inputs: list[str], label: str, **attrs) -> str:
        out = f"{label}_{next(counter)}"
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(x: str, kernel: np.ndarray, bias: np.ndarray, label: str, same: bool = True) -> str:
        """'same' (zero-padded) or, with ``same=False``, 'valid' convolution; Keras kernel layout."""
        pad = kernel.shape[0] // 2 if same else 0
        w = const(np.transpose(kernel, (3, 2, 0, 1)).astype(np.float32), f"{label}_w")  # (k,k,I,O) -> (O,I,k,k)
        return node("Conv", [x, w, const(bias.astype(np.float32), f"{label}_b")], label, pads=[pad] * 4)

    def conv_bn(x: str, label: str) -> str:
        kernel, bias = next(convs)
        return conv(x, *_fold_bn(kernel, bias, next(bns)), label)

    def prelu(x: str, alpha: np.ndarray, label: str) -> str:
        return node("PRelu", [x, const(alpha.reshape(-1, 1, 1).astype(np.float32), f"{label}_slope")], label)

    x = node("Transpose", ["lr"], "to_nchw", perm=[0, 3, 1, 2])
    x = skip = prelu(conv(x, *next(convs), "head_conv"), next(prelus)[0], "head_prelu")
    for b in range((len(weights["batch_normalization"]) - 1) // 2):  # two per block, one after the body
        y = prelu(conv_bn(x, f"block{b + 1}_conv1"), next(prelus)[0], f"block{b + 1}_prelu")
        x = node("Add", [x, conv_bn(y, f"block{b + 1}_conv2")], f"block{b + 1}_add")
    x = node("Add", [conv_bn(x, "body_conv"), skip], "body_add")
    stages = round(math.log2(scale))
    for s in range(stages):
        x = conv(x, *next(convs), f"up{s + 1}_conv")
        alpha = next(prelus)[0]
        x = prelu(x, np.tile(alpha, (1, 1, 4)), f"up{s + 1}_prelu_before_shuffle")
        if s == stages - 1:
            break
        x = node("DepthToSpace", [x], f"up{s + 1}_shuffle", blocksize=2, mode="DCR")
    # (x + 1) / 2 to [0, 1] folded into the tail's weights: sr / 2 + 1 / 2, or with the skip
    # sr + (2 * base - 1) mapped to sr / 2 + base, added before the last shuffle
    kernel, bias = tail_kernel_at_half_resolution(*next(convs))
    x = conv(x, kernel * 0.5, bias * 0.5 + (0.0 if bicubic_skip else 0.5), "tail_conv_before_shuffle")
    if bicubic_skip:
        lr = node("Transpose", ["lr"], "lr_nchw", perm=[0, 3, 1, 2])
        pads = const(np.array([0, 0, 2, 2, 0, 0, 2, 2], np.int64), "bicubic_pads")
        padded = node("Pad", [lr, pads], "bicubic_pad", mode="edge")
        kernel = bicubic_kernel_at_half_resolution(scale, 3)
        base = conv(padded, kernel, np.zeros(kernel.shape[-1], np.float32), "bicubic", same=False)
        if scale > 2:
            base = node("DepthToSpace", [base], "bicubic_shuffle", blocksize=scale // 2, mode="DCR")
        x = node("Add", [x, base], "plus_bicubic")
    lo, hi = const(np.array(0.0, np.float32), "zero"), const(np.array(1.0, np.float32), "one")
    x = node("Clip", [x, lo, hi], "clip")
    clipped = node("DepthToSpace", [x], "tail_shuffle", blocksize=2, mode="DCR")
    nodes.append(helper.make_node("Transpose", [clipped], ["sr"], name="to_nhwc", perm=[0, 2, 3, 1]))
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("lr", TensorProto.FLOAT, ["N", "H", "W", 3])],
        [helper.make_tensor_value_info("sr", TensorProto.FLOAT, ["N", f"{scale}H", f"{scale}W", 3])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="srgan")
    model.ir_version = 8  # readable by every runtime of the last years (OpenVINO, ONNX Runtime)
    onnx.checker.check_model(model)
    return model


def onnx_bytes(weights_path: str | Path, architecture: dict | None = None) -> bytes:
    """The serialised ONNX graph of a generator weights file (see the module doc)."""
    from srgan.model.weights_file import read_generator_arrays

    architecture = architecture or {}
    arrays = read_generator_arrays(weights_path, architecture)
    model = generator_graph(arrays, bool(architecture.get("bicubic_skip", False)))
    return model.SerializeToString(deterministic=True)


def export_onnx(
    weights_path: str | Path, out: str | Path, architecture: dict | None = None, overwrite: bool = False
) -> Path:
    """Write the ONNX graph of ``weights_path`` to ``out`` atomically; returns ``out``."""
    from srgan.files import write_bytes_atomic

    return write_bytes_atomic(out, onnx_bytes(weights_path, architecture), overwrite=overwrite)
