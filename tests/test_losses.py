"""cyclegan_lab.losses: the four losses, LSGAN's least squares and photo negatives against
values worked out by hand with numpy."""

import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lab.losses import (
    cycle_loss,
    discriminator_loss,
    generator_loss,
    identity_loss,
)


def bce_with_logits(target, logits):
    """-[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))], averaged."""
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    return float(np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p))))


def test_bce_of_a_zero_logit_is_log_2():
    zeros = np.zeros((1, 30, 30, 1), "float32")
    assert float(generator_loss(zeros)) == pytest.approx(np.log(2), abs=1e-6)
    assert float(discriminator_loss(zeros, zeros)) == pytest.approx(np.log(2), abs=1e-6)


def test_discriminator_loss_is_half_the_real_plus_fake_bce():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(2, 2, 30, 30, 1)).astype("float32")
    expected = 0.5 * (bce_with_logits(1, real) + bce_with_logits(0, fake))
    assert float(discriminator_loss(real, fake)) == pytest.approx(expected, rel=1e-5)


def test_a_confident_right_discriminator_has_low_loss_and_a_fooled_one_high():
    sure = np.full((1, 30, 30, 1), 8.0, "float32")
    assert float(discriminator_loss(sure, -sure)) < 1e-3
    assert float(discriminator_loss(-sure, sure)) > 7.9


@pytest.mark.parametrize("kind", ["bce", "lsgan"])
def test_with_label_smoothing_the_discriminator_is_best_at_90_percent_not_certain(kind):
    """label_smoothing=0.1: targets 0.9 and 0.1, so the loss is lowest where the discriminator says 90% real
    for real images and 10% for fakes (logit +-log 9 for BCE, 0.9 and 0.1 for LSGAN) and more certainty costs."""
    best = np.log(9.0) if kind == "bce" else 0.4  # LSGAN's targets are 0.9 and 0.1: a shift of 0.4 from 0.5
    centre = 0.0 if kind == "bce" else 0.5
    real = np.full((1, 30, 30, 1), centre + best, "float32")
    fake = np.full((1, 30, 30, 1), centre - best, "float32")
    losses = [float(discriminator_loss(real + d, fake - d, kind, label_smoothing=0.1)) for d in (-0.3, 0.0, 0.3)]
    assert losses[1] < losses[0] and losses[1] < losses[2]
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(2, 2, 30, 30, 1)).astype("float32")
    if kind == "bce":
        expected = 0.5 * (bce_with_logits(0.9, real) + bce_with_logits(0.1, fake))
        assert float(discriminator_loss(real, fake, label_smoothing=0.1)) == pytest.approx(expected, rel=1e-5)
    unsmoothed = float(discriminator_loss(real, fake, kind))
    assert float(discriminator_loss(real, fake, kind, label_smoothing=0.0)) == unsmoothed


def test_generator_loss_is_bce_against_real():
    fake = np.array([[[[2.0]], [[-1.0]]]], "float32")
    expected = np.mean([np.log1p(np.exp(-2.0)), np.log1p(np.exp(1.0))])
    assert float(generator_loss(fake)) == pytest.approx(expected, rel=1e-6)


def test_cycle_loss_is_lambda_times_mean_absolute_error():
    real = np.zeros((1, 2, 2, 3), "float32")
    cycled = np.full((1, 2, 2, 3), 0.5, "float32")
    cycled[0, 0, 0] = -1.0  # three values off by 1, nine by 0.5
    expected = 10 * (3 * 1.0 + 9 * 0.5) / 12
    assert float(cycle_loss(real, cycled, 10.0)) == pytest.approx(expected)
    assert float(cycle_loss(real, cycled, lambda_cycle=2.0)) == pytest.approx(expected / 5)
    assert float(cycle_loss(real, real, 10.0)) == 0.0


def test_identity_loss_is_half_lambda_times_mean_absolute_error():
    real = np.full((1, 4, 4, 3), 0.2, "float32")
    same = np.full((1, 4, 4, 3), -0.2, "float32")
    assert float(identity_loss(real, same, 10.0, 0.5)) == pytest.approx(0.5 * 10 * 0.4, rel=1e-6)
    assert float(identity_loss(real, same, lambda_cycle=10, weight=0.0)) == 0.0


def test_lsgan_losses_are_least_squares():
    real = tf.constant([[1.0, 0.5]])
    fake = tf.constant([[0.0, 1.0]])
    assert float(generator_loss(fake, "lsgan")) == pytest.approx(np.mean([(0 - 1) ** 2, (1 - 1) ** 2]))
    expected = 0.5 * (np.mean([0.0, 0.25]) + np.mean([0.0, 1.0]))
    assert float(discriminator_loss(real, fake, "lsgan")) == pytest.approx(expected)


def test_photo_negatives_count_as_fakes_for_the_monet_discriminator():
    real, fake, photo = tf.constant([[0.9]]), tf.constant([[0.2]]), tf.constant([[0.6]])
    expected = 0.5 * ((0.9 - 1) ** 2 + 0.5 * (0.2**2 + 0.6**2))
    assert float(discriminator_loss(real, fake, "lsgan", photo)) == pytest.approx(expected)
    assert float(discriminator_loss(real, fake, "lsgan")) == pytest.approx(0.5 * ((0.9 - 1) ** 2 + 0.2**2))
