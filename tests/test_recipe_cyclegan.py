"""cyclegan_lab.recipe.cyclegan: each of the recipe's settings changes the lab's training step as its name promises."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_cyclegan import TINY, a_batch

from cyclegan_lab.cyclegan import LOSS_NAMES
from cyclegan_lab.losses import cycle_loss, discriminator_loss, generator_loss, identity_loss
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.recipe.layers import BinomialBlur
from cyclegan_lab.recipe.tricks import spectral_loss
from cyclegan_lab.training import build_cyclegan


def test_with_cycle_blur_the_way_back_sees_a_blurred_fake_and_period_2_patterns_do_not_pay():
    """cycle_blur: the cycle losses are computed from F(blur(G(x))) and G(blur(F(y))), the rest is unchanged,
    so a period-2 pattern on a fake changes nothing the other generator sees."""
    config = RecipeConfig(**TINY, generator="resnet", residual_blocks=1, cycle_blur=True)
    cyclegan = build_cyclegan(config)
    real_monet, real_photo = a_batch(seed=7)
    losses, _ = cyclegan.compute_gradients(real_monet, real_photo)

    G, F = cyclegan.monet_generator, cyclegan.photo_generator  # noqa: N806
    blur = BinomialBlur()
    cycle = cycle_loss(real_photo, F(blur(G(real_photo, training=True)), training=True), config.lambda_cycle)
    cycle += cycle_loss(real_monet, G(blur(F(real_monet, training=True)), training=True), config.lambda_cycle)
    fake_verdict = cyclegan.monet_discriminator(G(real_photo, training=True), training=True)
    identity = identity_loss(real_monet, G(real_monet, training=True), config.lambda_cycle, config.identity_weight)
    expected = generator_loss(fake_verdict, "bce") + cycle + identity
    np.testing.assert_allclose(float(losses["monet_gen_loss"]), float(expected), rtol=1e-5)

    rows, columns = np.indices((32, 32))
    chequer = np.where((rows + columns) % 2, 0.2, -0.2)[None, :, :, None].astype("float32")
    fake = G(real_photo, training=True)
    np.testing.assert_allclose(cyclegan.cycle_view(fake + chequer), cyclegan.cycle_view(fake), atol=1e-5)
    plain = build_cyclegan(config.replace(cycle_blur=False))
    assert np.abs(plain.cycle_view(fake + chequer) - plain.cycle_view(fake)).max() > 0.1  # without it, it passes


def test_with_cycle_noise_the_way_back_sees_a_fresh_noisy_fake_and_the_discriminator_a_clean_one():
    """cycle_noise: the other generator gets the fake plus new Gaussian noise of that deviation at every
    call, so a hidden pattern much fainter than the noise is lost in it; the discriminator judges the fake."""
    config = RecipeConfig(**TINY, generator="resnet", residual_blocks=1, cycle_noise=0.1)
    cyclegan = build_cyclegan(config)
    real_monet, real_photo = a_batch(seed=7)
    fake = cyclegan.monet_generator(real_photo, training=True)
    first, second = cyclegan.cycle_view(fake), cyclegan.cycle_view(fake)
    for seen in (first, second):
        noise = keras.ops.convert_to_numpy(seen - fake)
        assert abs(noise.std() - 0.1) < 0.01 and abs(noise.mean()) < 0.01
    assert np.abs(keras.ops.convert_to_numpy(first - second)).max() > 0.1  # fresh noise each time

    rows, columns = np.indices((32, 32))
    hidden = np.where((rows // 2 + columns // 2) % 2, 0.01, -0.01)[None, :, :, None].astype("float32")
    change = keras.ops.convert_to_numpy(cyclegan.cycle_view(fake + hidden) - cyclegan.cycle_view(fake))
    assert np.abs(change).mean() > 5 * np.abs(hidden).mean()  # the hidden pattern drowns in the noise

    verdicts = cyclegan.judge(cyclegan.monet_discriminator, real_monet, fake)
    clean = cyclegan.monet_discriminator(fake, training=True)
    np.testing.assert_allclose(verdicts["fake"], clean, atol=1e-5)
    plain = build_cyclegan(config.replace(cycle_noise=0.0))
    np.testing.assert_array_equal(plain.cycle_view(fake), fake)  # without it, the fake itself


def test_spectral_weight_adds_each_generators_spectral_loss_to_its_own_loss_only():
    """spectral_weight: the Monet generator's loss grows by spectral_loss(real Monets, its fakes), the photo
    generator's by spectral_loss(real photos, its fakes); the discriminators' losses do not change."""
    config = RecipeConfig(**TINY, generator="resnet", residual_blocks=1, spectral_weight=2.0)
    cyclegan = build_cyclegan(config)
    plain = build_cyclegan(config.replace(spectral_weight=0.0))
    for (_, with_it, _), (_, without, _) in zip(cyclegan.pairs(), plain.pairs()):
        without.set_weights(with_it.get_weights())
    real_monet, real_photo = a_batch(seed=9)
    computed, gradients = cyclegan.compute_gradients(real_monet, real_photo)
    baseline, plain_gradients = plain.compute_gradients(real_monet, real_photo)
    for name, real, generator in [
        ("monet_gen_loss", real_monet, cyclegan.monet_generator),
        ("photo_gen_loss", real_photo, cyclegan.photo_generator),
    ]:
        source = real_photo if generator is cyclegan.monet_generator else real_monet
        expected = spectral_loss(real, generator(source, training=True), 2.0)
        assert float(expected) > 0.05
        np.testing.assert_allclose(float(computed[name]) - float(baseline[name]), float(expected), rtol=1e-3)
    for name in ["monet_disc_loss", "photo_disc_loss"]:
        np.testing.assert_allclose(float(computed[name]), float(baseline[name]), rtol=1e-5)
    changed = [
        np.abs(keras.ops.convert_to_numpy(a - b)).max()
        for a, b in zip(gradients["monet_generator"], plain_gradients["monet_generator"])
    ]
    assert max(changed) > 1e-4  # it reaches the generator's gradients


def test_label_smoothing_reaches_both_discriminators_losses_in_the_step():
    config = RecipeConfig(**TINY, generator="resnet", residual_blocks=1, adversarial_loss="lsgan", label_smoothing=0.1)
    cyclegan = build_cyclegan(config)
    for D in (cyclegan.monet_discriminator, cyclegan.photo_discriminator):  # noqa: N806
        last = D.layers[-1]
        last.bias.assign(last.bias + 3.0)  # a discriminator sure of "real", where smoothing changes the loss
    real_monet, real_photo = a_batch(seed=5)
    computed, _ = cyclegan.compute_gradients(real_monet, real_photo)
    for name, D, real, fake in [  # noqa: N806
        ("monet_disc_loss", cyclegan.monet_discriminator, real_monet, cyclegan.monet_generator(real_photo)),
        ("photo_disc_loss", cyclegan.photo_discriminator, real_photo, cyclegan.photo_generator(real_monet)),
    ]:
        real_logits, fake_logits = D(real, training=True), D(fake, training=True)
        smoothed = discriminator_loss(real_logits, fake_logits, "lsgan", label_smoothing=0.1)
        np.testing.assert_allclose(float(computed[name]), float(smoothed), rtol=1e-4, err_msg=name)
        assert abs(float(discriminator_loss(real_logits, fake_logits, "lsgan")) - float(smoothed)) > 0.05  # it matters


@pytest.mark.parametrize(
    "setting",
    [
        dict(cycle_blur=True),
        dict(output_notch=True),
        dict(upsampling="subpixel"),
        dict(upsampling="subpixel", input_skip=True, spectral_weight=1.0),
    ],
    ids=str,
)
def test_a_step_with_a_fixed_filter_or_subpixel_upsampling_trains_in_bfloat16_too(setting):
    """The blur on the way back and the notch at the generators' end compute in float32 inside a
    bfloat16 step, and the sub-pixel upsampling trains there too (forced, so an AVX2 CPU tests this
    path): finite losses, and every network moves."""
    config = RecipeConfig(
        image_size=32,
        generator="resnet",
        generator_filters=4,
        residual_blocks=1,
        precision="bfloat16",
        **setting,
    )
    cyclegan = build_cyclegan(config)
    before = {name: [w.copy() for w in network.get_weights()] for name, network, _ in cyclegan.pairs()}
    losses = tf.function(cyclegan.train_step)(a_batch(seed=9))
    assert all(np.isfinite(float(value)) for value in losses.values())
    for name, network, _ in cyclegan.pairs():
        assert any(np.abs(a - b).max() > 0 for a, b in zip(network.get_weights(), before[name])), name


def test_each_verdict_is_the_discriminators_own_on_the_image_it_names():
    cyclegan = build_cyclegan(RecipeConfig(**TINY, pool_size=2))
    discriminator = cyclegan.monet_discriminator
    real, fake, negative = tf.unstack(tf.random.stateless_uniform((3, 1, 32, 32, 3), (4, 4), -1, 1))
    plain = build_cyclegan(RecipeConfig(**TINY)).judge(discriminator, real, fake)
    assert plain["negative"] is None and plain["older_fake"] is plain["fake"]  # no pool: its own fake
    with_all = cyclegan.judge(discriminator, real, fake, negative)
    for name, image in [("real", real), ("fake", fake), ("negative", negative)]:
        np.testing.assert_allclose(with_all[name], discriminator(image, training=True), atol=1e-5, err_msg=name)
    # The pool's first fakes go in and one comes out: here it holds only `fake` so far.
    np.testing.assert_allclose(with_all["older_fake"], with_all["fake"], atol=1e-5)


def test_a_step_with_a_pool_and_lsgan_trains_sanely():
    config = RecipeConfig(**TINY, pool_size=2, adversarial_loss="lsgan", batch_size=2)
    cyclegan = build_cyclegan(config)
    real_monet, real_photo = tf.unstack(tf.random.stateless_uniform((2, 2, 32, 32, 3), (5, 5), -1, 1))
    step = tf.function(cyclegan.train_step)
    before = keras.ops.convert_to_numpy(cyclegan.monet_generator.trainable_variables[0])
    for _ in range(3):
        losses = step((real_monet, real_photo))
    assert all(np.isfinite(float(losses[name])) for name in LOSS_NAMES)
    assert not np.allclose(before, keras.ops.convert_to_numpy(cyclegan.monet_generator.trainable_variables[0]))


@pytest.mark.parametrize("mode", ["float32", "bfloat16"])
def test_with_a_generator_warmup_only_the_discriminators_learn_at_first(mode):
    """generator_warmup_steps=2: two steps move the discriminators and leave the generators as they
    were (a warm start keeps what its generators learnt); the third step moves the generators too,
    in either precision."""
    cyclegan = build_cyclegan(RecipeConfig(**{**TINY, "precision": mode}, generator_warmup_steps=2))
    step = tf.function(cyclegan.train_step)

    def weights(name):
        return [keras.ops.convert_to_numpy(w).copy() for w in getattr(cyclegan, name).trainable_variables]

    def moved(before, name):
        return any(not np.array_equal(a, b) for a, b in zip(before, weights(name)))

    names = ["monet_generator", "photo_generator", "monet_discriminator", "photo_discriminator"]
    start = {name: weights(name) for name in names}
    for seed in range(2):
        step(a_batch(seed=seed))
    assert [moved(start[name], name) for name in names] == [False, False, True, True]
    step(a_batch(seed=2))
    assert moved(start["monet_generator"], "monet_generator") and moved(start["photo_generator"], "photo_generator")


def test_photo_negatives_show_the_steps_real_photos_to_the_monet_discriminator_only():
    """photo_negatives: the Monet discriminator's loss also calls this step's real photos fakes;
    the photo discriminator's loss is the lab's."""
    config = RecipeConfig(
        **TINY, generator="resnet", residual_blocks=1, photo_negatives=True, discriminator_scales_at_one=True
    )
    cyclegan = build_cyclegan(config)
    real_monet, real_photo = a_batch(seed=6)
    computed, _ = cyclegan.compute_gradients(real_monet, real_photo)
    G, F = cyclegan.monet_generator, cyclegan.photo_generator  # noqa: N806
    D_Y, D_X = cyclegan.monet_discriminator, cyclegan.photo_discriminator  # noqa: N806
    real, fake, negative = (D_Y(x, training=True) for x in (real_monet, G(real_photo, training=True), real_photo))
    expected = discriminator_loss(real, fake, "bce", negative)
    np.testing.assert_allclose(float(computed["monet_disc_loss"]), float(expected), rtol=1e-5)
    assert abs(float(expected) - float(discriminator_loss(real, fake, "bce"))) > 1e-3  # the negatives count
    photo = discriminator_loss(D_X(real_photo, training=True), D_X(F(real_monet, training=True), training=True), "bce")
    np.testing.assert_allclose(float(computed["photo_disc_loss"]), float(photo), rtol=1e-5)
