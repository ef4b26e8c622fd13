"""The training recipe's options: compact and ResNet generators, resize-convolutions, crops, LSGAN,
image pool, learning-rate decay, differentiable augmentation, photo negatives, moving average.

The defaults are the original lab's; each option is the CycleGAN paper's or
a speed-up for CPUs, and each must do what its name promises.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_training import StopAfter

from cyclegan_lab import checkpoints
from cyclegan_lab.config import RECIPE, TrainConfig, with_settings
from cyclegan_lab.data import DataFolders, LabData
from cyclegan_lab.losses import discriminator_loss, generator_loss
from cyclegan_lab.models import ReflectionPadding, build_generator, build_resnet_generator, generator_for, upsample
from cyclegan_lab.pipeline import make_dataset
from cyclegan_lab.recipe.layers import PixelShuffle, subpixel_kernel
from cyclegan_lab.recipe.tricks import DiffAugment, ImagePool, LinearDecay, MovingAverage, StartAfter
from cyclegan_lab.training import build_cyclegan, train


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


@pytest.mark.parametrize(
    "bad",
    [
        dict(generator="transformer"),
        dict(adversarial_loss="wgan"),
        dict(precision="float16"),
        dict(upsampling="bilinear"),
        dict(diffaugment="translation,rotation"),
        dict(ema_decay=1.0),
        dict(residual_blocks=0),
        dict(pool_size=-1),
        dict(decay_epochs=3, epochs=2),
        dict(crop_size=48),
        dict(crop_size=512),
        dict(generator_filters=0),
        dict(downsamplings=3),
        dict(cycle_noise=-0.1),
        dict(cycle_noise=2.0),
        dict(cycle_noise=float("nan")),
        dict(label_smoothing=0.5),
        dict(label_smoothing=-0.1),
        dict(spectral_weight=-1.0),
        dict(spectral_weight=float("inf")),
        dict(upsampling="subpixel", generator="unet"),
        dict(input_skip=True, generator="compact"),
        dict(input_skip="yes", generator="resnet"),
        dict(discriminator_scales_at_one="yes"),
        dict(discriminator="stylegan"),
    ],
)
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


def test_start_after_holds_the_rate_at_zero_then_follows_its_schedule():
    rates = [float(StartAfter(LinearDecay(2e-4, 100, 40), 10)(step)) for step in (0, 9, 10, 80)]
    np.testing.assert_allclose(rates, [0.0, 0.0, 2e-4, 1e-4], atol=1e-10)
    assert float(StartAfter(3e-4, 5)(4)) == 0.0 and float(StartAfter(3e-4, 5)(5)) == pytest.approx(3e-4)


def test_crops_are_random_patches_of_the_requested_size():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, 64, 64, 3), dtype=np.uint8)
    config = TrainConfig(image_size=64, crop_size=32, batch_size=2)
    monet, photo = next(iter(make_dataset(images, images, config)))
    assert monet.shape == (2, 32, 32, 3) and photo.shape == (2, 32, 32, 3)
    again, _ = next(iter(make_dataset(images, images, config)))
    np.testing.assert_array_equal(monet, again)  # seeded: the same crops every run


PAPER = TrainConfig(
    image_size=64,
    crop_size=32,
    generator_filters=4,
    adversarial_loss="lsgan",
    pool_size=3,
    augment=True,
    epochs=2,
    decay_epochs=1,
    steps_per_epoch=3,
    checkpoint_every=2,
)
SHIPPED_RECIPE = PAPER.replace(
    generator="resnet",
    residual_blocks=2,
    diffaugment="translation,cutout,color",
    photo_negatives=True,
    ema_decay=0.9,
    cycle_blur=True,
    cycle_noise=0.1,
)


@pytest.mark.parametrize(
    "config", [PAPER, SHIPPED_RECIPE], ids=["paper", "resnet+diffaugment+negatives+ema+cycle-noise"]
)
def test_the_papers_recipe_resumes_exactly_pool_and_schedule_included(config, tmp_path):
    rng = np.random.default_rng(1)
    data = LabData(
        rng.integers(0, 256, (5, 64, 64, 3), dtype=np.uint8),
        rng.integers(0, 256, (7, 64, 64, 3), dtype=np.uint8),
        DataFolders(None, None),
    )
    straight, history = train(config, data, checkpoint_dir=tmp_path / "straight", verbose=0)
    with pytest.raises(KeyboardInterrupt):
        train(config, data, checkpoint_dir=tmp_path / "resumed", callbacks=[StopAfter(4)], verbose=0)
    resumed, resumed_history = train(config, data, checkpoint_dir=tmp_path / "resumed", verbose=0)

    np.testing.assert_allclose(resumed_history.steps["monet_disc_loss"], history.steps["monet_disc_loss"], rtol=1e-4)
    for part_a, part_b in zip(resumed.recipe_parts(), straight.recipe_parts()):  # pools, augmentation, average
        for a, b in zip(part_a.variables, part_b.variables):
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), rtol=1e-4, atol=1e-5, err_msg=part_a.name
            )
    assert int(straight.monet_pool.count) == 3
    # The learning rate has decayed to zero at the last step.
    optimizer = straight.monet_generator_optimizer
    assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-12)
    assert checkpoints.latest_checkpoint(tmp_path / "resumed").name == "step-000006.npz"


def test_resnet_generator_is_the_papers_and_keeps_any_size():
    """The paper's ResNet-9 at 64 filters has 11.4 M weights; the CPU recipe's (32 filters, 6 blocks) 2.0 M."""
    assert build_resnet_generator(filters=64, residual_blocks=9).count_params() == 11_383_427
    small = build_resnet_generator(image_size=128, filters=32, residual_blocks=6, any_size=True)
    assert small.count_params() == 1_966_915
    photos = tf.random.stateless_uniform((2, 96, 160, 3), (0, 1), -1, 1)  # any multiple of 4
    fakes = small(photos)
    assert fakes.shape == (2, 96, 160, 3) and fakes.dtype == "float32"
    assert float(tf.reduce_max(tf.abs(fakes))) <= 1.0
    config = TrainConfig(generator="resnet", crop_size=128)
    assert config.filters == 32 and config.upsampling_mode == "resize"
    assert generator_for(config).count_params() == 1_966_915
    assert TrainConfig().upsampling_mode == "transposed"


def test_half_size_resnet_keeps_its_residual_blocks_at_half_the_image_size():
    """downsamplings=1: one stride-2 convolution, so the blocks see 2x2 pixels a position (room for strokes)."""
    generator = build_resnet_generator(image_size=64, filters=8, residual_blocks=2, downsamplings=1)
    block_outputs = [tuple(layer.output.shape) for layer in generator.layers if isinstance(layer, keras.layers.Add)]
    assert block_outputs == [(None, 32, 32, 16)] * 2
    fakes = generator(tf.random.stateless_uniform((1, 64, 64, 3), (0, 2), -1, 1))
    assert fakes.shape == (1, 64, 64, 3)
    config = TrainConfig(generator="resnet", generator_filters=32, downsamplings=1)
    assert generator_for(config).count_params() == 490_435  # 64 channels at half size, like the 16-filter one's 495,011


def test_resize_convolution_paints_no_chequerboard_where_a_transposed_one_does():
    """On a flat grey image, a transposed convolution's output alternates with the pixel's parity
    (different kernel taps reach odd and even pixels); nearest x2 + 3x3 convolution stays flat."""
    flat = tf.fill((1, 16, 16, 8), 0.5)
    keras.utils.set_random_seed(0)
    transposed = keras.layers.Conv2DTranspose(4, 4, strides=2, padding="same")(flat)
    keras.utils.set_random_seed(0)
    resized = keras.layers.Conv2D(4, 3, padding="same")(keras.layers.UpSampling2D(2)(flat))
    inner = lambda x: keras.ops.convert_to_numpy(x)[0, 4:-4, 4:-4]
    assert inner(transposed).std(axis=(0, 1)).min() > 1e-3
    assert inner(resized).std(axis=(0, 1)).max() < 1e-4  # float32 rounding only
    block = upsample(4, resize=True)
    assert block(flat).shape == (1, 32, 32, 4)
    assert (
        build_generator(image_size=32, filters=4, upsampling="resize").count_params()
        < build_generator(image_size=32, filters=4).count_params()
    )  # 3x3 kernels instead of 4x4


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


def test_photo_negatives_count_as_fakes_for_the_monet_discriminator():
    real, fake, photo = tf.constant([[0.9]]), tf.constant([[0.2]]), tf.constant([[0.6]])
    expected = 0.5 * ((0.9 - 1) ** 2 + 0.5 * (0.2**2 + 0.6**2))
    assert float(discriminator_loss(real, fake, "lsgan", photo)) == pytest.approx(expected)
    assert float(discriminator_loss(real, fake, "lsgan")) == pytest.approx(0.5 * ((0.9 - 1) ** 2 + 0.2**2))


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


def test_the_output_blur_removes_chequerboards_and_adds_no_weights():
    """[1, 2, 1] x [1, 2, 1] / 16 answers a period-2 pattern with 0 and a flat image with itself; a generator
    with it has the same weights as one without, so a run can take it up on resume."""
    from cyclegan_lab.recipe.layers import BinomialBlur

    rows, columns = np.indices((16, 16))
    chequer = np.where((rows + columns) % 2, 1.0, -1.0)[None, :, :, None].repeat(3, axis=3).astype("float32")
    blurred = keras.ops.convert_to_numpy(BinomialBlur()(chequer))
    np.testing.assert_allclose(blurred, 0.0, atol=1e-6)
    flat = np.full((1, 8, 8, 3), 0.3, "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(BinomialBlur()(flat)), flat, rtol=1e-6)
    plain = build_resnet_generator(filters=4, residual_blocks=1, downsamplings=1, image_size=32)
    smooth = build_resnet_generator(filters=4, residual_blocks=1, downsamplings=1, image_size=32, output_blur=True)
    assert [w.shape for w in smooth.weights] == [w.shape for w in plain.weights]
    smooth.set_weights(plain.get_weights())
    x = tf.random.stateless_uniform((1, 32, 32, 3), (0, 3), -1, 1)
    expected = keras.ops.convert_to_numpy(BinomialBlur()(plain(x)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(smooth(x)), expected, rtol=1e-5, atol=1e-6)


def test_the_nyquist_notch_removes_period_two_patterns_and_keeps_everything_wider():
    """A chequerboard and one-pixel stripes vanish; stripes four pixels apart and a flat colour pass
    unchanged; a generator ending in the notch has the same weights as one without and its paintings
    have no period-2 energy, at any image size."""
    from cyclegan_lab.measures import chequerboard_energy
    from cyclegan_lab.recipe.layers import NyquistNotch

    rows, columns = np.indices((32, 48))
    period_two = 0.5 * np.where((rows + columns) % 2, 1, -1) + 0.3 * np.where(columns % 2, 1, -1)
    wider = 0.4 * np.cos(2 * np.pi * rows / 4) + 0.2 * np.sin(2 * np.pi * columns / 8) + 0.1
    images = np.stack([period_two + wider, wider])[..., None].repeat(3, axis=3).astype("float32")
    notched = keras.ops.convert_to_numpy(NyquistNotch()(images))
    np.testing.assert_allclose(notched, np.stack([wider, wider])[..., None].repeat(3, axis=3), atol=1e-5)

    plain = build_resnet_generator(filters=4, residual_blocks=1, downsamplings=1, image_size=32, any_size=True)
    clean = build_resnet_generator(
        filters=4, residual_blocks=1, downsamplings=1, image_size=32, any_size=True, output_notch=True
    )
    assert [w.shape for w in clean.weights] == [w.shape for w in plain.weights]
    clean.set_weights(plain.get_weights())
    x = tf.random.stateless_uniform((2, 40, 40, 3), (0, 4), -1, 1)
    to_uint8 = lambda t: np.clip(np.round((keras.ops.convert_to_numpy(t) + 1) * 127.5), 0, 255).astype(np.uint8)
    before, after = chequerboard_energy(to_uint8(plain(x))), chequerboard_energy(to_uint8(clean(x)))
    assert np.all(after < 0.01 * before)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(clean(x)), keras.ops.convert_to_numpy(NyquistNotch()(plain(x))), atol=1e-6
    )


def test_a_subpixel_convolution_started_from_a_resize_convolution_computes_the_same_and_can_do_more():
    """subpixel_kernel(k) followed by PixelShuffle equals nearest x2 + the 3x3 convolution k away from the
    border; a sub-pixel kernel of its own draws each pixel of a 2x2 block differently, a resize one cannot."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 16, 16, 5)).astype("float32")
    k = rng.normal(size=(3, 3, 5, 4)).astype("float32")
    resized = keras.ops.conv(ReflectionPadding(1)(keras.layers.UpSampling2D(2)(x)), k)
    shuffled = PixelShuffle()(keras.ops.conv(ReflectionPadding(1)(x), subpixel_kernel(k)))
    assert shuffled.shape == resized.shape == (2, 32, 32, 4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(shuffled)[:, 1:-1, 1:-1], resized[:, 1:-1, 1:-1], atol=1e-5)

    groups = np.arange(4 * 3, dtype="float32").reshape(1, 1, 1, 12)  # group a * 2 + c goes to row a, column c
    block = keras.ops.convert_to_numpy(PixelShuffle()(groups))[0]
    np.testing.assert_array_equal(block[:, :, 0], [[0, 3], [6, 9]])
    flat = np.full((1, 8, 8, 5), 0.5, "float32")
    own = rng.normal(size=(3, 3, 5, 16)).astype("float32")
    free = keras.ops.convert_to_numpy(PixelShuffle()(keras.ops.conv(flat, own)))
    assert free[0, 2:-2, 2:-2].std(axis=(0, 1)).min() > 1e-2  # its own kernel per pixel: detail finer than 2 px


def test_the_subpixel_resnet_starts_as_a_resize_convolution_and_keeps_any_size():
    """A fresh sub-pixel generator is initialised like a resize-convolution (no chequerboard at the start)."""
    generator = build_resnet_generator(
        image_size=64, filters=8, residual_blocks=1, upsampling="subpixel", any_size=True, downsamplings=1
    )
    fakes = generator(tf.random.stateless_uniform((2, 48, 80, 3), (0, 3), -1, 1))
    assert fakes.shape == (2, 48, 80, 3)
    conv = next(layer for layer in generator.layers if isinstance(layer, keras.layers.Conv2D) and layer.filters == 32)
    kernel = keras.ops.convert_to_numpy(conv.kernel)
    groups = [kernel[..., g * 8 : (g + 1) * 8] for g in range(4)]
    np.testing.assert_allclose(groups[0].sum(axis=(0, 1)), groups[3].sum(axis=(0, 1)), atol=1e-6)  # same taps
    assert np.abs(groups[0] - groups[3]).max() > 1e-3  # placed for each pixel of the block
    with pytest.raises(ValueError, match="upsampling"):
        build_resnet_generator(image_size=64, filters=8, upsampling="bilinear")


def test_command_line_settings_change_the_recipe_and_name_what_is_wrong():
    """`--set` values are Python literals where they parse (numbers, None, True) and strings otherwise;
    the recipe itself is left as it was; a setting without "=", an unknown one or a bad value is refused."""
    config = with_settings(RECIPE, ["identity_weight=0.1", "crop_size=None", "diffaugment=translation,color", "seed=3"])
    assert (config.identity_weight, config.crop_size, config.seed) == (0.1, None, 3)
    assert config.diffaugment_policies == ("translation", "color")
    assert RECIPE["crop_size"] == 128 and with_settings(RECIPE, []) == TrainConfig(**RECIPE)
    for bad, message in [
        (["identity_weight"], "FIELD=VALUE"),
        (["identity_wieght=0.1"], "no setting identity_wieght"),
        (["learning_rate=-1"], "learning_rate"),
    ]:
        with pytest.raises(ValueError, match=message):
            with_settings(RECIPE, bad)
