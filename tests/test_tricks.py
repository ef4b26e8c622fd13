"""cyclegan_lab.recipe.tricks: the CycleGAN paper's image pool and linear learning-rate decay, a start
held at zero, differentiable augmentation, a moving average of the weights and the spectral loss each do what
their names promise.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lab.recipe.tricks import (
    DiffAugment,
    ImagePool,
    LinearDecay,
    MovingAverage,
    StartAfter,
    radial_log_power,
    spectral_loss,
)


def test_image_pool_fills_then_hands_back_old_fakes_about_half_the_time():
    pool = ImagePool(3, (2, 2, 3), seed=1)
    fakes = [np.full((1, 2, 2, 3), float(i), np.float32) for i in range(200)]
    answers = [float(keras.ops.convert_to_numpy(pool(f))[0, 0, 0, 0]) for f in fakes]
    assert answers[:3] == [0.0, 1.0, 2.0]  # filling: every fake passes straight through
    later = np.array(answers[3:])
    old = later != np.arange(3, 200)
    assert 0.35 < old.mean() < 0.65  # the rest: about half are older fakes
    assert np.all(later[old] < np.arange(3, 200)[old])  # ...and they are older, never newer
    stored = sorted(keras.ops.convert_to_numpy(pool.images)[:, 0, 0, 0])
    assert len(set(stored)) == 3 and int(pool.count) == 3


def test_learning_rate_is_constant_then_falls_linearly_to_zero():
    schedule = LinearDecay(2e-4, total_steps=100, decay_steps=40)
    rates = [float(schedule(step)) for step in (0, 60, 80, 100, 120)]
    np.testing.assert_allclose(rates, [2e-4, 2e-4, 1e-4, 0.0, 0.0], atol=1e-10)
    assert float(LinearDecay(2e-4, 100, 0)(99)) == pytest.approx(2e-4)


def test_start_after_holds_the_rate_at_zero_then_follows_its_schedule():
    rates = [float(StartAfter(LinearDecay(2e-4, 100, 40), 10)(step)) for step in (0, 9, 10, 80)]
    np.testing.assert_allclose(rates, [0.0, 0.0, 2e-4, 1e-4], atol=1e-10)
    assert float(StartAfter(3e-4, 5)(4)) == 0.0 and float(StartAfter(3e-4, 5)(5)) == pytest.approx(3e-4)


def test_diffaugment_changes_each_image_its_own_way_and_lets_gradients_through():
    images = tf.random.stateless_uniform((4, 32, 32, 3), (2, 2), -1, 1)
    for policy in ("translation", "cutout", "color"):
        augment = DiffAugment([policy], seed=3)
        with tf.GradientTape() as tape:
            tape.watch(images)
            out = augment(images)
            total = tf.reduce_sum(out)
        assert out.shape == images.shape, policy
        changed = keras.ops.convert_to_numpy(tf.reduce_mean(tf.abs(out - images), axis=[1, 2, 3]))
        assert np.all(changed > 0) and len(set(np.round(changed, 6))) > 1, policy  # each image, differently
        assert float(tf.reduce_max(tf.abs(tape.gradient(total, images)))) > 0, policy
    cut = keras.ops.convert_to_numpy(DiffAugment(["cutout"], seed=1)(tf.ones((3, 32, 32, 3))))
    grey = (cut == 0).all(axis=3).sum(axis=(1, 2))
    assert np.all((grey > 0) & (grey <= 16 * 16))  # a square of half the side (clipped at the border)
    shifted = keras.ops.convert_to_numpy(DiffAugment(["translation"], seed=4)(tf.ones((8, 32, 32, 3))))
    border = (shifted == 0).all(axis=3)
    assert border.sum(axis=(1, 2)).max() <= 32 * 32 - 28 * 28  # at most 4 pixels (1/8 of 32) shifted in


def test_moving_average_follows_the_weights_slowly_after_a_short_warm_up():
    network = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    average = MovingAverage(network, decay=0.99)
    kernel = network.trainable_weights[0]
    kernel.assign(np.ones((2, 1), np.float32))
    expected = 0.0
    for n in range(300):
        average.update()
        d = min(0.99, (1 + n) / (10 + n))
        expected = d * expected + (1 - d) * 1.0
    got = keras.ops.convert_to_numpy(average.averages[0])
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert 0.9 < expected < 1.0  # close to the weights, not yet equal
    fresh = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(average.copy_to(fresh).trainable_weights[0]), got)


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
