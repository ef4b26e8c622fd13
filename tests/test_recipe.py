"""The training recipe's options: compact generator, crops, LSGAN, image pool, learning-rate decay.

The defaults are the original lab's; each option is the CycleGAN paper's or
a speed-up for CPUs, and each must do what its name promises.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.data import DataFolders, LabData, make_dataset
from cyclegan_lab.losses import discriminator_loss, generator_loss
from cyclegan_lab.training import ImagePool, LinearDecay, build_cyclegan, train
from test_training import StopAfter


def test_defaults_are_the_labs_recipe():
    config = TrainConfig()
    assert (config.generator, config.filters, config.train_size) == ("unet", 64, 256)
    assert (config.adversarial_loss, config.pool_size, config.decay_epochs) == ("bce", 0, 0)
    assert (config.lambda_cycle, config.identity_weight) == (10.0, 0.5)


def test_compact_generator_is_the_unet_with_16_filters_and_fits_in_25_mb():
    config = TrainConfig(generator="compact")
    cyclegan = build_cyclegan(config)
    params = cyclegan.monet_generator.count_params()
    assert config.filters == 16 and params == 3_404_707
    assert params * 4 < 25e6  # float32 weights file
    assert TrainConfig(generator="compact", generator_filters=8).filters == 8


@pytest.mark.parametrize("bad", [
    dict(generator="resnet"), dict(adversarial_loss="wgan"), dict(precision="float16"),
    dict(pool_size=-1), dict(decay_epochs=3, epochs=2), dict(crop_size=48), dict(crop_size=512),
    dict(generator_filters=0),
])
def test_bad_recipe_options_are_refused_with_the_options_name(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        TrainConfig(**bad)


def test_lsgan_losses_are_least_squares():
    real = tf.constant([[1.0, 0.5]])
    fake = tf.constant([[0.0, 1.0]])
    assert float(generator_loss(fake, "lsgan")) == pytest.approx(np.mean([(0 - 1) ** 2, (1 - 1) ** 2]))
    expected = 0.5 * (np.mean([0.0, 0.25]) + np.mean([0.0, 1.0]))
    assert float(discriminator_loss(real, fake, "lsgan")) == pytest.approx(expected)


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


def test_crops_are_random_patches_of_the_requested_size():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, 64, 64, 3), dtype=np.uint8)
    config = TrainConfig(image_size=64, crop_size=32, batch_size=2)
    monet, photo = next(iter(make_dataset(images, images, config)))
    assert monet.shape == (2, 32, 32, 3) and photo.shape == (2, 32, 32, 3)
    again, _ = next(iter(make_dataset(images, images, config)))
    np.testing.assert_array_equal(monet, again)  # seeded: the same crops every run


PAPER = TrainConfig(image_size=64, crop_size=32, generator_filters=4, adversarial_loss="lsgan", pool_size=3,
                    augment=True, epochs=2, decay_epochs=1, steps_per_epoch=3, checkpoint_every=2)


def test_the_papers_recipe_resumes_exactly_pool_and_schedule_included(tmp_path):
    rng = np.random.default_rng(1)
    data = LabData(rng.integers(0, 256, (5, 64, 64, 3), dtype=np.uint8),
                   rng.integers(0, 256, (7, 64, 64, 3), dtype=np.uint8), DataFolders(None, None))
    straight, history = train(PAPER, data, checkpoint_dir=tmp_path / "straight", verbose=0)
    with pytest.raises(KeyboardInterrupt):
        train(PAPER, data, checkpoint_dir=tmp_path / "resumed", callbacks=[StopAfter(4)], verbose=0)
    resumed, resumed_history = train(PAPER, data, checkpoint_dir=tmp_path / "resumed", verbose=0)

    np.testing.assert_allclose(resumed_history.steps["monet_disc_loss"], history.steps["monet_disc_loss"], rtol=1e-4)
    for a, b in zip(resumed.pools[0].variables, straight.pools[0].variables):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), rtol=1e-4, atol=1e-5)
    assert int(straight.pools[0].count) == 3
    # The learning rate has decayed to zero at the last step.
    optimizer = straight.monet_generator_optimizer
    assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-12)
    assert checkpoints.latest_checkpoint(tmp_path / "resumed").name == "step-000006.npz"
