"""The four losses of the lab's CycleGAN.

Discriminators output logits (any real number; above 0 means "real"), so the
adversarial losses use binary cross-entropy *from logits*:
BCE(target, logit) = -[target * log(sigmoid(logit)) + (1 - target) * log(1 - sigmoid(logit))].

Each loss returns one scalar: the mean over the batch and over the
discriminator's 30x30 patches. (The Kaggle notebook the lab copies kept the
30x30 map unreduced, so its gradients were those of the *sum* over patches;
we use the mean, as the CycleGAN paper's code does, and say so here.)
"""

from __future__ import annotations

import tensorflow as tf

LAMBDA = 10.0  # weight of the cycle-consistency loss in the lab


def _bce(target: float, logits: tf.Tensor) -> tf.Tensor:
    labels = tf.fill(tf.shape(logits), tf.cast(target, logits.dtype))
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """0.5 x (BCE(1, real) + BCE(0, fake)): call real images real and fakes fake.

    Halving slows the discriminator down relative to the generator, which
    keeps it from winning too early (the CycleGAN paper does the same).
    """
    return 0.5 * (_bce(1.0, real_logits) + _bce(0.0, fake_logits))


def generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """BCE(1, fake): the generator wins when the discriminator calls its fakes real."""
    return _bce(1.0, fake_logits)


def cycle_loss(real: tf.Tensor, cycled: tf.Tensor, lambda_cycle: float = LAMBDA) -> tf.Tensor:
    """LAMBDA x mean|real - cycled|: a photo sent to Monet and back must be the same photo.

    `real` and `cycled` are images of the same shape, values in [-1, 1].
    """
    return lambda_cycle * tf.reduce_mean(tf.abs(real - cycled))


def identity_loss(real: tf.Tensor, same: tf.Tensor, lambda_cycle: float = LAMBDA, weight: float = 0.5) -> tf.Tensor:
    """weight x LAMBDA x mean|real - same|: a Monet fed to the Monet generator should come out unchanged.

    This keeps the generator from shifting colours it has no reason to change.
    """
    return weight * lambda_cycle * tf.reduce_mean(tf.abs(real - same))
