"""cyclegan_lab.cyclegan: the CycleGAN's training step computes what the lab's step computes.

`CycleGAN.compute_gradients` takes one backward pass for both generators and
one for both discriminators; `reference.lab_gradients` is the lab's step as
the lab writes it (four `tape.gradient` calls). In float32 they must agree.
"""

import keras
import numpy as np
import tensorflow as tf

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import LOSS_NAMES, CycleGAN, batched
from cyclegan_lab.teaching.reference import lab_gradients
from cyclegan_lab.training import build_cyclegan

TINY = dict(image_size=32, generator_filters=8, precision="float32")


def a_batch(size=32, seed=0):
    real_monet, real_photo = tf.unstack(tf.random.stateless_uniform((2, 1, size, size, 3), (seed, 1), -1, 1))
    return real_monet, real_photo


def assert_same(losses_a, grads_a, losses_b, grads_b):
    for name in LOSS_NAMES:
        np.testing.assert_allclose(float(losses_a[name]), float(losses_b[name]), rtol=1e-5, err_msg=name)
    assert grads_a.keys() == grads_b.keys()
    for network in grads_a:
        assert len(grads_a[network]) == len(grads_b[network])
        for a, b in zip(grads_a[network], grads_b[network]):
            a, b = keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b)
            scale = max(np.abs(b).max(), 1e-12)
            # Batched convolutions sum in another order: float32 rounding through ~40 layers, < 2e-3.
            np.testing.assert_allclose(a / scale, b / scale, atol=2e-3, err_msg=network)


def without_dropout(cyclegan):
    """Batched passes draw other dropout masks than the lab's one-by-one calls; without dropout
    (the U-Net generators have some) the two steps do the same maths."""
    for name in ["monet_generator", "photo_generator"]:
        for layer in getattr(cyclegan, name)._flatten_layers():
            if isinstance(layer, keras.layers.Dropout):
                layer.rate = 0.0
    return cyclegan


def test_the_step_gives_the_labs_losses_and_gradients():
    cyclegan = without_dropout(build_cyclegan(TrainConfig(**TINY)))
    real_monet, real_photo = a_batch(seed=3)
    lab_losses, lab_grads = tf.function(lambda m, p: lab_gradients(cyclegan, m, p))(real_monet, real_photo)
    losses, grads = tf.function(cyclegan.compute_gradients)(real_monet, real_photo)
    assert_same(losses, grads, lab_losses, lab_grads)
    # The gradients are real ones: every network gets a non-zero gradient.
    for network in grads:
        assert any(np.abs(keras.ops.convert_to_numpy(g)).max() > 0 for g in grads[network]), network


def test_a_batched_call_gives_what_one_call_per_input_gives():
    """Instance norm treats each image alone: one call on a batch of 1 + 2 images, cut back into a
    batch of 1 and one of 2, is the same as two calls."""
    generator = build_cyclegan(TrainConfig(**TINY, generator="resnet")).monet_generator
    one, two = (
        tf.random.stateless_uniform((1, 32, 32, 3), (1, 1), -1, 1),
        tf.random.stateless_uniform((2, 32, 32, 3), (2, 2), -1, 1),
    )
    got_one, got_two = batched(lambda x: generator(x, training=True), one, two)
    assert got_one.shape == (1, 32, 32, 3) and got_two.shape == (2, 32, 32, 3)
    np.testing.assert_allclose(got_one, generator(one, training=True), atol=1e-5)
    np.testing.assert_allclose(got_two, generator(two, training=True), atol=1e-5)


def test_a_recipe_with_nothing_switched_on_steps_as_the_lab_does():
    """`build_cyclegan` builds the class a config names: the lab's `CycleGAN` for a `TrainConfig`, a
    `RecipeCycleGAN` for a `RecipeConfig`. With none of the recipe's settings on, the two step alike."""
    from cyclegan_lab.recipe.config import RecipeConfig
    from cyclegan_lab.recipe.cyclegan import RecipeCycleGAN

    lab = without_dropout(build_cyclegan(TrainConfig(**TINY)))
    recipe = without_dropout(build_cyclegan(RecipeConfig(**TINY)))
    assert type(lab) is CycleGAN and type(recipe) is RecipeCycleGAN
    for (_, ours, _), (_, theirs, _) in zip(lab.pairs(), recipe.pairs()):
        theirs.set_weights(ours.get_weights())
    real_monet, real_photo = a_batch(seed=4)
    assert_same(*lab.compute_gradients(real_monet, real_photo), *recipe.compute_gradients(real_monet, real_photo))
