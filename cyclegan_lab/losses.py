"""The four losses of the lab's CycleGAN.

Discriminators output logits (any real number; above 0 means "real"), so the
adversarial losses use binary cross-entropy *from logits*:
BCE(target, logit) = -[target * log(sigmoid(logit)) + (1 - target) * log(1 - sigmoid(logit))].

Each loss returns one scalar: the mean over the batch and over the
discriminator's 30x30 patches. (The Kaggle notebook the lab copies kept the
30x30 map unreduced and added the scalar cycle and identity losses to it, so
its gradients were those of the *sum* over the 900 patches: every term scaled
by 900 alike. The balance between the terms is the same, and Adam ignores a
constant factor, so both train alike; we use the mean, as the CycleGAN
paper's code does.)

They are written in `keras.ops`, so the same functions compute the losses of
the TensorFlow step (`cyclegan.CycleGAN`) and of the JAX one
(`scripts/train_monet_jax.py`).
"""

from __future__ import annotations

from keras import ops

__all__ = ["discriminator_loss", "generator_loss", "cycle_loss", "identity_loss", "bce_from_logits", "least_squares"]


def bce_from_logits(target: float, logits):
    """mean BCE(target, logits) over all elements; target is 0 ("fake"), 1 ("real") or between."""
    labels = ops.full_like(logits, target)
    return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))


def least_squares(target: float, logits):
    """mean (logits - target)^2: the CycleGAN paper's LSGAN loss (Mao et al. 2017).

    Its gradient, 2 (logits - target), grows with the error: harsher than BCE
    on confident mistakes, and still non-zero for a fake the discriminator
    already calls real with confidence, where BCE's gradient vanishes.
    """
    return ops.mean(ops.square(logits - target))


ADVERSARIAL = {"bce": bce_from_logits, "lsgan": least_squares}


def discriminator_loss(
    real_logits,
    fake_logits,
    kind: str = "bce",
    negative_logits=None,
    label_smoothing: float = 0.0,
):
    """0.5 x (BCE(1, real) + BCE(0, fake)): call real images real and fakes fake.

    `kind="lsgan"` puts least squares in place of BCE (the paper's choice).
    With `negative_logits` (the Monet discriminator's verdicts on real
    photos, Sanakoyeu et al. 2018) the fake term is the mean of BCE(0, fake)
    and BCE(0, negatives): a real photo is not a Monet either, so a generator
    that hands back its photo unchanged is caught. With `label_smoothing` s
    the targets are 1 - s and s instead of 1 and 0 (e.g. 0.9 and 0.1): the
    discriminator is never asked to be certain, so its logits stay moderate
    and the generator's gradient does not vanish (Salimans et al. 2016 smooth
    the real side only; many CycleGANs smooth both).

    The CycleGAN paper halves it to slow the discriminator down relative to
    the generator. With Adam a constant factor mostly cancels out, so here it
    chiefly puts the discriminator's loss on the generator's scale (log 2 at chance).
    """
    adversarial = ADVERSARIAL[kind]
    real_target, fake_target = 1.0 - label_smoothing, label_smoothing
    fake = adversarial(fake_target, fake_logits)
    if negative_logits is not None:
        fake = 0.5 * (fake + adversarial(fake_target, negative_logits))
    return 0.5 * (adversarial(real_target, real_logits) + fake)


def generator_loss(fake_logits, kind: str = "bce"):
    """BCE(1, fake): the generator wins when the discriminator calls its fakes real (or LSGAN's (fake - 1)^2)."""
    return ADVERSARIAL[kind](1.0, fake_logits)


def cycle_loss(real, cycled, lambda_cycle: float):
    """LAMBDA x mean|real - cycled|: a photo sent to Monet and back must be the same photo.

    `real` and `cycled` are images of the same shape, values in [-1, 1];
    `lambda_cycle` is LAMBDA (the lab's 10: `TrainConfig.lambda_cycle`).
    """
    return lambda_cycle * ops.mean(ops.abs(real - cycled))


def identity_loss(real, same, lambda_cycle: float, weight: float):
    """weight x LAMBDA x mean|real - same|: a Monet fed to the Monet generator should come out unchanged.

    The lab's weight is 0.5 (`TrainConfig.identity_weight`), its LAMBDA 10.

    This keeps the generator from shifting colours it has no reason to change.
    """
    return weight * lambda_cycle * ops.mean(ops.abs(real - same))
