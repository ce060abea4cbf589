"""Losses of the paper, in ``keras.ops`` (backend-agnostic).

HR and SR are float (N, H, W, 3) in [-1, 1]; discriminator outputs are logits (N, 1).
"""

from __future__ import annotations

from keras import ops

from srgan import SCALE
from srgan.training.config import VGG_SCALE
from srgan.training.vgg import vgg_preprocess


def pixel_mse(hr, sr):
    """Mean squared error on [-1, 1] (the paper's SRResNet loss)."""
    return ops.mean(ops.square(hr - sr))


def pixel_l1(hr, sr):
    """Mean absolute error on [-1, 1]."""
    return ops.mean(ops.abs(hr - sr))


def grid_loss(hr, sr, period: int = SCALE):
    """Mean square of the fixed sub-pixel pattern of ``sr - hr``: the per-image, per-channel mean of
    the error at each of the ``period`` x ``period`` pixel phases, less its mean over the phases.

    A x4 pixel-shuffle generator can add a constant offset per output phase (a faint grid, period 4):
    the VGG54 content loss barely sees it, so its noisy gradient lets the pattern drift in GAN
    training (measured here: +-3 grey levels after 50 steps). Natural images have no preferred
    phase, so this term is ~0 for a grid-free output. Sides must be multiples of ``period``.
    Not in the paper.
    """
    _, h, w, c = ops.shape(sr)
    err = ops.reshape(sr - hr, (-1, h // period, period, w // period, period, c))
    phase_mean = ops.mean(err, axis=(1, 3))  # (N, period, period, C)
    return ops.mean(ops.square(phase_mean - ops.mean(phase_mean, axis=(1, 2), keepdims=True)))


def content_loss(features, hr, sr, weight: float = VGG_SCALE):
    """VGG54 content loss: MSE between VGG19 phi_{5,4} maps of SR and HR, times ``weight``
    (the paper's 1/12.75 by default).

    ``features``: the frozen extractor of :func:`srgan.training.vgg.build_feature_extractor`.
    """
    return weight * ops.mean(ops.square(features(vgg_preprocess(hr)) - features(vgg_preprocess(sr))))


def _bce_logits(target: float, logits):
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True))


def generator_adversarial_loss(fake_logits):
    """-log D(G(lr)), averaged over the batch (the paper's non-saturating adversarial loss)."""
    return _bce_logits(1.0, fake_logits)


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy: HR labelled real, SR labelled fake."""
    return _bce_logits(1.0, real_logits) + _bce_logits(0.0, fake_logits)
