"""The training step of each backend and phase, and the loss terms they share.

- TensorFlow: :func:`tf_step`, a ``tf.function`` (XLA-compiled unless off or under
  ``MirroredStrategy``) that updates the Keras variables in place.
- JAX: :func:`jax_step`, one ``jax.jit`` program over Keras' stateless calls; the variables' values
  travel as a state tuple (:func:`variable_values`) and go back into the Keras variables with
  :func:`assign_values`.

The loss terms (:func:`pretrain_terms`, :func:`gan_terms`) are backend-agnostic ``keras.ops``; their
names are the columns of ``log.csv``. TensorFlow and JAX are imported where a step is built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from srgan.training.config import TrainConfig


def pretrain_terms(cfg: TrainConfig, hr, sr) -> tuple:
    """Pretrain loss and its log terms (backend-agnostic ``keras.ops``)."""
    from srgan.training import losses

    pixel = losses.pixel_mse if cfg.pixel_loss == "mse" else losses.pixel_l1
    loss = pixel(hr, sr)
    return loss, {"pixel": loss, "mse": losses.pixel_mse(hr, sr)}


def gan_terms(cfg: TrainConfig, features: Callable, hr, sr, real, fake, fake_for_g=None) -> tuple:
    """(generator loss, discriminator loss, log terms) from the SR batch and the discriminator's
    logits on HR (``real``) and SR (``fake``; ``fake_for_g``: the same logits along the path
    whose gradient reaches the generator, where the backend needs two paths).
    ``features``: a callable giving VGG54 maps (backend-agnostic ``keras.ops``)."""
    from keras import ops

    from srgan.training import losses

    pixel = losses.pixel_mse if cfg.pixel_loss == "mse" else losses.pixel_l1
    content = losses.content_loss(features, hr, sr, cfg.content_weight)
    adversarial = losses.generator_adversarial_loss(fake if fake_for_g is None else fake_for_g)
    g_loss = content + cfg.adv_weight * adversarial
    extra = {}
    if cfg.pixel_weight:
        extra["weighted_pixel"] = cfg.pixel_weight * pixel(hr, sr)
        g_loss = g_loss + extra["weighted_pixel"]
    if cfg.grid_weight:
        extra["weighted_grid"] = cfg.grid_weight * losses.grid_loss(hr, sr)
        g_loss = g_loss + extra["weighted_grid"]
    d_loss = losses.discriminator_loss(real, fake)
    logs = {
        "g_loss": g_loss,
        "content": content,
        "adversarial": adversarial,
        "weighted_adversarial": cfg.adv_weight * adversarial,
        **extra,
        "d_loss": d_loss,
        "mse": losses.pixel_mse(hr, sr),
        "d_real": ops.mean(ops.sigmoid(real)),
        "d_fake": ops.mean(ops.sigmoid(fake)),
    }
    return g_loss, d_loss, logs


def tf_step(cfg: TrainConfig, strategy, generator, g_opt, discriminator=None, d_opt=None, features=None) -> Callable:
    """The TensorFlow step: ``step(lr, hr) -> logs``, updating the Keras variables.
    ``discriminator``, ``d_opt`` and ``features`` (VGG54): the gan phase's."""
    import tensorflow as tf

    g = generator
    replicas = strategy.num_replicas_in_sync

    def pretrain(lr, hr):
        with tf.GradientTape() as tape:
            sr = g(lr, training=True)
            loss, logs = pretrain_terms(cfg, hr, sr)
            scaled = loss / replicas  # replica gradients are summed
        grads = tape.gradient(scaled, g.trainable_variables)
        g_opt.apply_gradients(zip(grads, g.trainable_variables, strict=False))
        return logs

    def gan(lr, hr):
        d = discriminator
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            sr = g(lr, training=True)
            real, fake = d(hr, training=True), d(sr, training=True)
            g_loss, d_loss, logs = gan_terms(cfg, features, hr, sr, real, fake)
            g_scaled, d_scaled = g_loss / replicas, d_loss / replicas  # replica gradients are summed
        g_grads = g_tape.gradient(g_scaled, g.trainable_variables)
        d_grads = d_tape.gradient(d_scaled, d.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, g.trainable_variables, strict=False))
        d_opt.apply_gradients(zip(d_grads, d.trainable_variables, strict=False))
        return logs

    fn = pretrain if cfg.phase == "pretrain" else gan
    # XLA fuses the batch-norm, PReLU and loss element-wise work between the convolutions
    # (a faster step on CPU; the measurement is in README "Training").
    # Under MirroredStrategy it stays off: that path (several GPUs) was not measured with XLA here.
    xla = cfg.xla and cfg.strategy == "default"

    @tf.function(jit_compile=xla)
    def step(lr, hr):
        per_replica = strategy.run(fn, args=(lr, hr))
        return {k: strategy.reduce("MEAN", v, axis=None) for k, v in per_replica.items()}

    return step


def jax_step(cfg: TrainConfig, generator, g_opt, discriminator=None, d_opt=None, features=None) -> Callable:
    """The JAX step: ``step(state, frozen, lr, hr) -> (state, logs)``, one ``jax.jit`` program.

    ``state``: per trained model, (trainable, non-trainable, optimizer) variable values (see
    :func:`variable_values`); ``frozen``: the VGG19 weights (gan) or ``()``.
    Keras' stateless calls keep the Keras variables untouched until :func:`assign_values`.
    """
    import jax

    g = generator

    def frozen_copy(tree):
        return jax.tree_util.tree_map(jax.lax.stop_gradient, tree)

    if cfg.phase == "pretrain":

        def loss_fn(g_tr, g_ntr, lr, hr):
            sr, g_ntr = g.stateless_call(g_tr, g_ntr, lr, training=True)
            loss, logs = pretrain_terms(cfg, hr, sr)
            return loss, (g_ntr, logs)

        grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

        def step(state, frozen, lr, hr):
            ((g_tr, g_ntr, g_opt_values),) = state
            (_, (g_ntr, logs)), grads = grad_fn(g_tr, g_ntr, lr, hr)
            g_tr, g_opt_values = g_opt.stateless_apply(g_opt_values, grads, g_tr)
            return ((g_tr, g_ntr, g_opt_values),), logs

    else:
        d, feats = discriminator, features

        def loss_fn(trainable, g_ntr, d_ntr, vgg, lr, hr):
            g_tr, d_tr = trainable
            sr, g_ntr = g.stateless_call(g_tr, g_ntr, lr, training=True)
            real, d_ntr = d.stateless_call(d_tr, d_ntr, hr, training=True)
            fake, d_ntr = d.stateless_call(d_tr, d_ntr, jax.lax.stop_gradient(sr), training=True)
            # the same logits again through a frozen D (BN uses batch statistics in training
            # mode, so the values are equal): their gradient reaches G only, as d_loss's reaches D only
            fake_for_g, _ = d.stateless_call(frozen_copy(d_tr), d_ntr, sr, training=True)
            vgg54 = lambda x: feats.stateless_call([], vgg, x)[0]  # noqa: E731
            g_loss, d_loss, logs = gan_terms(cfg, vgg54, hr, sr, real, fake, fake_for_g)
            return g_loss + d_loss, (g_ntr, d_ntr, logs)

        grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

        def step(state, frozen, lr, hr):
            (g_tr, g_ntr, g_opt_values), (d_tr, d_ntr, d_opt_values) = state
            (_, (g_ntr, d_ntr, logs)), (g_grads, d_grads) = grad_fn((g_tr, d_tr), g_ntr, d_ntr, frozen, lr, hr)
            g_tr, g_opt_values = g_opt.stateless_apply(g_opt_values, g_grads, g_tr)
            d_tr, d_opt_values = d_opt.stateless_apply(d_opt_values, d_grads, d_tr)
            return ((g_tr, g_ntr, g_opt_values), (d_tr, d_ntr, d_opt_values)), logs

    return jax.jit(step, donate_argnums=0)


def variable_values(trained: Sequence[tuple]) -> tuple:
    """The JAX step's state: per (model, optimizer) pair, the values of the model's trainable and
    non-trainable variables and of the optimizer's variables."""

    def values(variables):
        return [v.value for v in variables]

    return tuple(
        (values(m.trainable_variables), values(m.non_trainable_variables), values(opt.variables)) for m, opt in trained
    )


def assign_values(trained: Sequence[tuple], state: tuple) -> None:
    """Write a JAX step's ``state`` (:func:`variable_values`' layout) back into the Keras variables."""
    for (model, opt), (tr, ntr, opt_values) in zip(trained, state, strict=True):
        for variables, arrays in (
            (model.trainable_variables, tr),
            (model.non_trainable_variables, ntr),
            (opt.variables, opt_values),
        ):
            for var, value in zip(variables, arrays, strict=True):
                var.assign(value)
