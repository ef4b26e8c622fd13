"""cyclegan_lab.losses: the four losses, LSGAN's least squares, photo negatives and the spectral loss against
values worked out by hand with numpy."""

import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lab.losses import (
    cycle_loss,
    discriminator_loss,
    generator_loss,
    identity_loss,
    radial_log_power,
    spectral_loss,
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


def textured(seed=0, size=64):
    """A smooth picture with fine grain over it, (1, size, size, 3) in [-1, 1]."""
    rng = np.random.default_rng(seed)
    rows, columns = np.indices((size, size)) / size
    smooth = 0.5 * np.sin(2 * np.pi * rows) * np.cos(2 * np.pi * columns)
    grain = 0.2 * rng.normal(size=(size, size))
    return np.repeat((smooth + grain)[None, :, :, None], 3, axis=3).astype("float32")


def blurred(images):
    """[1, 2, 1] x [1, 2, 1] blur of each channel (wrapping round): the finest octave nearly gone."""
    out = images
    for axis in (1, 2):
        out = 0.25 * np.roll(out, 1, axis) + 0.5 * out + 0.25 * np.roll(out, -1, axis)
    return out.astype("float32")


def test_radial_log_power_puts_stripes_of_period_4_in_the_ring_of_a_quarter_cycle_per_pixel():
    rows = np.indices((64, 64))[0]
    stripes = np.repeat(np.cos(2 * np.pi * rows / 4)[None, :, :, None], 3, axis=3).astype("float32")
    power = radial_log_power(stripes, rings=16).numpy()
    assert power.shape == (16,)
    assert int(np.argmax(power)) == int(0.25 / 0.7072 * 16)  # ring 5 holds 0.22-0.27 cycles per pixel
    assert power.max() - np.sort(power)[-2] > 5  # and nothing else holds much


def test_spectral_loss_ignores_where_things_are_and_sees_a_blur():
    """The power spectrum does not change when a picture moves or flips, so neither does the loss;
    a blurred copy has lost its finest octave, and the loss says so."""
    image = textured()
    moved = np.flip(np.roll(image, (9, 17), axis=(1, 2)), axis=2).copy()
    assert float(spectral_loss(image, moved, 1.0)) < 1e-4
    assert float(spectral_loss(image, blurred(image), 1.0)) > 0.3
    assert float(spectral_loss(image, blurred(image), 2.0)) == pytest.approx(
        2 * float(spectral_loss(image, blurred(image), 1.0)), rel=1e-6
    )


def test_descending_the_spectral_loss_gives_a_blurred_picture_its_fine_detail_back():
    """What the generators get from it: its gradient adds power where the fake lacks it,
    in the finest rings, until the fake's spectrum meets the real one's."""
    real = textured(seed=1)
    fake = tf.Variable(blurred(textured(seed=2)))
    start, first_loss = radial_log_power(fake).numpy(), float(spectral_loss(real, fake, 1.0))
    optimizer = tf.keras.optimizers.Adam(0.01)
    for _ in range(150):
        with tf.GradientTape() as tape:
            loss = spectral_loss(real, fake, 1.0)
        optimizer.apply_gradients([(tape.gradient(loss, fake), fake)])
    target, end = radial_log_power(real).numpy(), radial_log_power(fake).numpy()
    finest = slice(11, 16)  # 0.49 to 0.71 cycles per pixel
    assert np.all(start[finest] < target[finest] - 0.5)  # the blur took more than two thirds of their power
    assert np.abs(end[finest] - target[finest]).mean() < 0.5 * np.abs(start[finest] - target[finest]).mean()
    assert float(spectral_loss(real, fake, 1.0)) < 0.5 * first_loss


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
