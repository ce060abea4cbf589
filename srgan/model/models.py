"""SRResNet / SRGAN generator and discriminator (Ledig et al., CVPR 2017), built by code.

Pixel conventions (the paper's):
- generator input: LR float32 (N, h, w, 3) RGB in [0, 1], any h, w (fully convolutional);
- generator output: SR float32 (N, 4h, 4w, 3) RGB, nominally in [-1, 1] (unclipped);
- discriminator input: HR or SR float32 (N, 96, 96, 3) in [-1, 1]; output: one logit per image
  (the paper's final sigmoid is folded into the loss for numerical stability).

No ``Lambda`` layers: the two custom layers (:class:`PixelShuffle`, :class:`BicubicUpsample`)
are registered and serialisable, so weights round-trip through ``.weights.h5`` and models
load in Keras safe mode.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from srgan import SCALE
from srgan.model.kernels import bicubic_kernel, cubic_weights, tail_kernel_at_half_resolution

__all__ = [  # the kernels are re-exported: they belong to these layers
    "BicubicUpsample",
    "PixelShuffle",
    "RowShiftedConv2D",
    "bicubic_kernel",
    "build_discriminator",
    "build_generator",
    "cubic_weights",
    "inference_generator",
    "tail_kernel_at_half_resolution",
]


@keras.saving.register_keras_serializable(package="srgan")
class PixelShuffle(layers.Layer):
    """Sub-pixel convolution's rearrangement (depth_to_space): (N, H, W, r*r*C) -> (N, rH, rW, C)."""

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return ops.depth_to_space(x, self.factor)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        r = self.factor
        return (n, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _pad_edge(x, p: int):
    """Replicate the border rows/columns of (N, H, W, C) ``p`` times (TF's pad has no 'edge' mode)."""
    x = ops.concatenate([x[:, :1]] * p + [x] + [x[:, -1:]] * p, axis=1)
    return ops.concatenate([x[:, :, :1]] * p + [x] + [x[:, :, -1:]] * p, axis=2)


@keras.saving.register_keras_serializable(package="srgan")
class BicubicUpsample(layers.Layer):
    """Bicubic x``scale`` upsampling as a fixed convolution: (N, h, w, C) -> (N, s*h, s*w, C).

    Keys a = -0.5 with half-pixel centres, written in ``keras.ops`` so it runs on every Keras
    backend and tiles exactly (each output pixel depends on a 5x5 LR neighbourhood). Away from
    the border it equals PIL's and ``tf.image.resize``'s bicubic to float precision; on the two
    outermost LR pixels it clamps to the edge where they renormalise the kernel. Not trainable.
    """

    def __init__(self, scale: int = SCALE, channels: int = 3, **kwargs):
        kwargs["trainable"] = False  # a fixed interpolation kernel, never learned
        super().__init__(**kwargs)
        self.scale = scale
        self.channels = channels
        self._kernel = bicubic_kernel(scale, channels)

    def call(self, x):
        x = _pad_edge(x, 2)
        y = ops.conv(x, ops.convert_to_tensor(self._kernel, dtype=x.dtype), padding="valid")
        return ops.depth_to_space(y, self.scale)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        s = self.scale
        return (n, None if h is None else h * s, None if w is None else w * s, c)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "channels": self.channels}


@keras.saving.register_keras_serializable(package="srgan")
class RowShiftedConv2D(layers.Layer):
    """A k x k 'same' convolution (stride 1, zero padding) for few output maps and many input maps.

    Computed as one 1 x k convolution to k x O maps (one group of O per kernel row), whose k groups
    are then added with their row shifts. The same function as ``Conv2D(O, k, padding="same")``
    with the same ``kernel`` (k, k, C, O) and ``bias`` (O,) weights; it exists for speed: on 2 CPU
    cores with XLA, the tail's 5x5 256 -> 12 convolution on a 512x512 map takes 0.45-0.52 s this way
    against 0.66-0.69 s as one convolution (12 output maps make a thin matrix product; 60 do not).

    Input float32 (N, H, W, C); output float32 (N, H, W, O).
    """

    def __init__(self, filters: int, kernel_size: int, **kwargs):
        super().__init__(**kwargs)
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.filters, self.kernel_size = filters, kernel_size

    def build(self, input_shape):
        k = self.kernel_size
        self.kernel = self.add_weight(name="kernel", shape=(k, k, input_shape[-1], self.filters))
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, x):
        k, o, r = self.kernel_size, self.filters, self.kernel_size // 2
        c = ops.shape(self.kernel)[2]
        # (k_row, k_col, C, O) -> (1, k_col, C, k_row * O): row i's taps produce maps [i*O, (i+1)*O)
        taps = ops.reshape(ops.transpose(self.kernel, (1, 2, 0, 3)), (1, k, c, k * o))
        y = ops.conv(x, taps, padding="same")
        y = ops.pad(y, ((0, 0), (r, r), (0, 0), (0, 0)))
        out = self.bias
        for i in range(k):  # output row h reads input row h + i - r: padded row h + i
            out = out + y[:, i : (i - 2 * r) or None, :, i * o : (i + 1) * o]
        return out

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size}


def _residual_block(x, channels: int, name: str):
    """conv3x3 - BN - PReLU - conv3x3 - BN, plus the input (paper Fig. 4)."""
    y = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.PReLU(shared_axes=[1, 2], name=f"{name}_prelu")(y)
    y = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def build_generator(
    num_blocks: int = 16,
    channels: int = 64,
    scale: int = SCALE,
    bicubic_skip: bool = False,
    name: str = "srresnet",
    tail_before_shuffle: bool = False,
) -> keras.Model:
    """SRResNet, the SRGAN generator, with the paper's hyper-parameters as defaults (~1.55 M params).

    Args:
        num_blocks: residual blocks B (paper: 16).
        channels: feature maps per conv (paper: 64).
        scale: upscaling factor, a power of two (paper: 4; one x2 sub-pixel stage per factor 2).
        bicubic_skip: if True, add bicubic-upsampled LR (mapped to [-1, 1]) to the output so the
            network learns only the residual detail. A deviation from the paper that makes
            training on 2 CPU cores far more efficient (see the model cards); no extra weights.
        name: model name.
        tail_before_shuffle: the inference layout of :func:`inference_generator` (same function,
            different weight shapes in the last two layers); leave False to train.

    Input LR float32 (N, h, w, 3) in [0, 1]; output SR float32 (N, scale*h, scale*w, 3) ~[-1, 1].
    """
    stages = round(math.log2(scale))
    if 2**stages != scale:
        raise ValueError(f"scale must be a power of two, got {scale}")
    lr = keras.Input(shape=(None, None, 3), name="lr")
    x = layers.Conv2D(channels, 9, padding="same", name="head_conv")(lr)
    x = skip = layers.PReLU(shared_axes=[1, 2], name="head_prelu")(x)
    for b in range(num_blocks):
        x = _residual_block(x, channels, name=f"block{b + 1}")
    x = layers.Conv2D(channels, 3, padding="same", name="body_conv")(x)
    x = layers.BatchNormalization(name="body_bn")(x)
    x = layers.Add(name="body_add")([x, skip])
    for s in range(stages):
        x = layers.Conv2D(channels * 4, 3, padding="same", name=f"up{s + 1}_conv")(x)
        if tail_before_shuffle and s == stages - 1:
            x = layers.PReLU(shared_axes=[1, 2], name=f"up{s + 1}_prelu_before_shuffle")(x)
            break
        x = PixelShuffle(2, name=f"up{s + 1}_shuffle")(x)
        x = layers.PReLU(shared_axes=[1, 2], name=f"up{s + 1}_prelu")(x)
    if tail_before_shuffle:
        x = RowShiftedConv2D(12, 5, name="tail_conv_before_shuffle")(x)
        sr = PixelShuffle(2, name="tail_shuffle")(x)
    else:
        sr = layers.Conv2D(3, 9, padding="same", name="tail_conv")(x)
    if bicubic_skip:
        base = BicubicUpsample(scale, name="bicubic")(lr)
        base = layers.Rescaling(2.0, offset=-1.0, name="bicubic_to_pm1")(base)
        sr = layers.Add(name="bicubic_add")([sr, base])
    return keras.Model(lr, sr, name=name)


def inference_generator(generator: keras.Model) -> keras.Model:
    """The same function as ``generator`` (a :func:`build_generator` model), laid out for fast inference.

    The last PReLU and the tail convolution move before the last pixel shuffle (see
    :func:`tail_kernel_at_half_resolution`); PReLU has one slope per map, so it commutes with the
    shuffle once its slopes are repeated per sub-pixel. The full-resolution C-map tensor is then
    never made: on 2 CPU cores this removes the slowest layer (a 9x9 conv with 3 output maps) and
    much of the working memory per tile. Outputs match to float rounding (tested).
    Input and output as :func:`build_generator`; a new model with the weights copied.
    """
    names = {layer.name: layer for layer in generator.layers}
    stages = sum(1 for n in names if n.startswith("up") and n.endswith("_conv"))
    fast = build_generator(
        num_blocks=sum(1 for n in names if n.startswith("block") and n.endswith("_add")),
        channels=names["head_conv"].filters,
        scale=2**stages,
        bicubic_skip="bicubic" in names,
        name=f"{generator.name}_inference",
        tail_before_shuffle=True,
    )
    for layer in fast.layers:
        if layer.name in names and layer.weights:
            layer.set_weights(names[layer.name].get_weights())
    alpha = names[f"up{stages}_prelu"].get_weights()[0]  # (1, 1, C)
    fast.get_layer(f"up{stages}_prelu_before_shuffle").set_weights([np.tile(alpha, (1, 1, 4))])
    fast.get_layer("tail_conv_before_shuffle").set_weights(
        list(tail_kernel_at_half_resolution(*names["tail_conv"].get_weights()))
    )
    return fast


def build_discriminator(
    hr_size: int = 96, channels: int = 64, dense_units: int = 1024, name: str = "discriminator"
) -> keras.Model:
    """The paper's discriminator: 8 conv3x3 layers (64, 64, 128, 128, 256, 256, 512, 512 maps,
    stride 2 on every second), BN after all but the first, LeakyReLU 0.2, Dense 1024, Dense 1.

    Input float32 (N, hr_size, hr_size, 3) in [-1, 1]; output float32 (N, 1) logits.
    """
    hr = keras.Input(shape=(hr_size, hr_size, 3), name="hr")
    x = hr
    for i in range(8):
        filters = channels * 2 ** (i // 2)
        x = layers.Conv2D(filters, 3, strides=1 + i % 2, padding="same", name=f"conv{i + 1}")(x)
        if i > 0:
            x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = layers.LeakyReLU(0.2, name=f"lrelu{i + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, name="dense1")(x)
    x = layers.LeakyReLU(0.2, name="dense1_lrelu")(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(hr, logit, name=name)
