"""The projected discriminator: Lite0's ImageNet eyes, frozen, and small heads that learn."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lab import checkpoints
from cyclegan_lab.data import load_folder
from cyclegan_lab.images import normalize
from cyclegan_lab.program import checkpoint_reading
from cyclegan_lab.recipe import efficientnet
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.recipe.projected import build_projected_discriminator
from cyclegan_lab.training import build_cyclegan

SMALL = dict(image_size=64, generator="resnet", generator_filters=4, residual_blocks=1, discriminator="projected")


def trunk_weights(discriminator) -> list[np.ndarray]:
    return [np.array(w) for w in discriminator.non_trainable_weights]


def test_a_fresh_projected_discriminator_sees_with_lite0_and_cannot_tell_yet():
    """Output (b, s/32, s/32, 4): one verdict map per depth; a fresh one says 0 of every image; only the
    heads are trainable; the trunk holds Lite0's ImageNet weights; sizes off the 1/32 grid are refused."""
    discriminator = build_projected_discriminator("d", 64)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    verdicts = np.asarray(discriminator(images, training=True))
    assert verdicts.shape == (2, 2, 2, 4)
    np.testing.assert_array_equal(verdicts, 0.0)
    assert all(w.path.split("/")[0].startswith("head") for w in discriminator.trainable_weights)
    assert len(discriminator.non_trainable_weights) > 100
    lite0 = efficientnet.load_lite()
    stem = discriminator.get_layer("d_lite0").get_layer("_conv_stem").get_weights()[0]
    np.testing.assert_array_equal(stem, lite0.get_layer("_conv_stem").get_weights()[0])
    with pytest.raises(ValueError, match="multiple of 32"):
        build_projected_discriminator("d", 48)


def test_a_projected_discriminator_can_see_through_lite2_instead():
    """RecipeConfig(discriminator="projected_lite2"): the heads judge Lite2's stage ends (blocks 3, 6, 14
    and 20; Lite0's are 2, 4, 10 and 15), the same verdict map, Lite2's ImageNet weights frozen."""
    from cyclegan_lab.recipe.networks import discriminator_for
    from cyclegan_lab.recipe.projected import tap_blocks

    assert tap_blocks("lite0") == [2, 4, 10, 15] and tap_blocks("lite2") == [3, 6, 14, 20]
    discriminator = discriminator_for(RecipeConfig(**{**SMALL, "discriminator": "projected_lite2"}), "d")
    images = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(discriminator(images)), np.zeros((2, 2, 2, 4)))
    stem = discriminator.get_layer("d_lite2").get_layer("_conv_stem").get_weights()[0]
    np.testing.assert_array_equal(stem, efficientnet.load_lite("lite2").get_layer("_conv_stem").get_weights()[0])
    assert all(w.path.split("/")[0].startswith("head") for w in discriminator.trainable_weights)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_training_steps_teach_the_heads_and_leave_lite0_as_trained(precision):
    """A CycleGAN with projected discriminators trains (finite losses), its heads move, and Lite0's
    weights and batch-norm statistics stay exactly as ImageNet left them."""
    cyclegan = build_cyclegan(RecipeConfig(**SMALL, precision=precision))
    before = {name: trunk_weights(getattr(cyclegan, name)) for name in ["monet_discriminator", "photo_discriminator"]}
    heads = [np.array(w) for w in cyclegan.monet_discriminator.trainable_weights]
    batch = tuple(tf.random.stateless_uniform((2, 1, 64, 64, 3), (0, 1), -1, 1))
    for _ in range(2):
        losses = cyclegan.train_step(batch)
    assert all(np.isfinite(float(v)) for v in losses.values())
    for name, weights in before.items():
        for after, was in zip(trunk_weights(getattr(cyclegan, name)), weights):
            np.testing.assert_array_equal(after, was)
    moved = [np.abs(np.array(w) - h).max() for w, h in zip(cyclegan.monet_discriminator.trainable_weights, heads)]
    assert max(moved) > 0


def test_its_heads_learn_in_a_few_steps_to_tell_paintings_from_blurred_copies(real_data):
    """Trained features make a quick learner: 40 steps on 6 paintings against their blurred copies, and the
    discriminator tells 6 *other* paintings from their blurred copies, every one."""
    paintings = np.asarray(normalize(load_folder(real_data / "monet", limit=12, size=64)))
    blurred = np.asarray(tf.nn.avg_pool2d(paintings, 3, 1, "SAME"))
    discriminator = build_projected_discriminator("d", 64)
    optimizer = tf.keras.optimizers.Adam(1e-3)
    for _ in range(40):
        with tf.GradientTape() as tape:
            real, fake = discriminator(paintings[:6], training=True), discriminator(blurred[:6], training=True)
            loss = tf.reduce_mean((real - 1) ** 2) + tf.reduce_mean(fake**2)
        variables = discriminator.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    real = np.asarray(discriminator(paintings[6:])).mean(axis=(1, 2, 3))
    fake = np.asarray(discriminator(blurred[6:])).mean(axis=(1, 2, 3))
    assert (real > fake).all(), (real, fake)


def test_a_checkpoint_keeps_its_verdicts(tmp_path):
    """Saved and restored into a new run, a projected discriminator judges exactly as before."""
    config = RecipeConfig(**SMALL, precision="float32")
    trained = build_cyclegan(config)
    batch = tuple(tf.random.stateless_uniform((2, 1, 64, 64, 3), (3, 1), -1, 1))
    trained.train_step(batch)
    path = checkpoints.save_checkpoint(trained, tmp_path, {"step": 1, "config": config.to_dict()})
    restored = build_cyclegan(config.replace(seed=5))
    checkpoints.restore_checkpoint(restored, checkpoint_reading.read_checkpoint(path))
    images = batch[0]
    np.testing.assert_array_equal(restored.monet_discriminator(images), trained.monet_discriminator(images))
