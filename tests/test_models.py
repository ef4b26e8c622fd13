"""cyclegan_lab.models: the lab's networks (exact sizes, shapes and ranges, instance norm checked against
numpy), and the recipe's generators: the compact U-Net, the paper's ResNet, resize and sub-pixel upsampling."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.models import (
    build_discriminator,
    build_generator,
    build_resnet_generator,
    downsample,
    generator_for,
    instance_norm,
    upsample,
)
from cyclegan_lab.training import build_cyclegan


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(0)
    return build_generator()


@pytest.fixture(scope="module")
def discriminator():
    keras.utils.set_random_seed(0)
    return build_discriminator()


def test_generator_has_the_labs_parameter_count(generator):
    assert generator.count_params() == 54_414_979


def test_discriminator_has_the_labs_parameter_count(discriminator):
    assert discriminator.count_params() == 2_765_569


def test_generator_maps_images_to_images_in_tanh_range(generator):
    photos = np.random.default_rng(0).uniform(-1, 1, (2, 256, 256, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(generator(photos, training=False))
    assert out.shape == (2, 256, 256, 3)
    assert out.min() >= -1.0 and out.max() <= 1.0
    assert np.isfinite(out).all()


def test_discriminator_gives_30x30_patch_logits(discriminator):
    images = np.zeros((2, 256, 256, 3), "float32")
    assert discriminator(images).shape == (2, 30, 30, 1)


def test_generator_encoder_and_decoder_shapes(generator):
    """The U-Net halves 256 down to 1 and doubles back, concatenating the mirrored skip."""
    shapes = [layer.output.shape[1:] for layer in generator.layers[1:]]
    downs = [
        (128, 128, 64),
        (64, 64, 128),
        (32, 32, 256),
        (16, 16, 512),
        (8, 8, 512),
        (4, 4, 512),
        (2, 2, 512),
        (1, 1, 512),
    ]
    assert [tuple(s) for s in shapes[:8]] == downs
    concatenated = [
        tuple(layer.output.shape[1:]) for layer in generator.layers if isinstance(layer, keras.layers.Concatenate)
    ]
    assert concatenated == [
        (2, 2, 1024),
        (4, 4, 1024),
        (8, 8, 1024),
        (16, 16, 1024),
        (32, 32, 512),
        (64, 64, 256),
        (128, 128, 128),
    ]


def test_blocks_follow_the_lab():
    down = downsample(128)
    down.build((None, 64, 64, 3))
    conv, norm, act = down.layers
    assert (conv.filters, conv.kernel_size, conv.strides, conv.padding, conv.use_bias) == (
        128,
        (4, 4),
        (2, 2),
        "same",
        False,
    )
    assert isinstance(norm, keras.layers.GroupNormalization) and norm.groups == 128  # one group per channel
    assert isinstance(act, keras.layers.LeakyReLU)
    assert len(downsample(64, apply_norm=False).layers) == 2

    up = upsample(256, apply_dropout=True)
    up.build((None, 8, 8, 16))
    kinds = [type(layer).__name__ for layer in up.layers]
    assert kinds == ["Conv2DTranspose", "GroupNormalization", "Dropout", "ReLU"]
    assert up.layers[2].rate == 0.5 and up.layers[0].use_bias is False


def test_instance_norm_matches_a_per_image_per_channel_numpy_reference():
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, (2, 5, 7, 4)).astype("float32") * np.arange(1, 5, dtype="float32")
    layer = instance_norm()
    layer.build(x.shape)
    gamma = rng.normal(1.0, 0.5, 4).astype("float32")
    beta = rng.normal(0.0, 0.5, 4).astype("float32")
    layer.set_weights([gamma, beta])

    mean = x.mean(axis=(1, 2), keepdims=True)  # one mean per image and channel
    var = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta

    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, rtol=1e-4, atol=1e-4)


def test_instance_norm_is_not_layer_norm():
    """Channels are normalised separately: a channel's scale must not leak into another's."""
    x = np.ones((1, 4, 4, 2), "float32")
    x[..., 0] = np.arange(16).reshape(4, 4)
    x[..., 1] = 100 * np.arange(16).reshape(4, 4)
    layer = instance_norm()
    layer.build(x.shape)
    layer.set_weights([np.ones(2, "float32"), np.zeros(2, "float32")])
    out = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(out[..., 0], out[..., 1], atol=1e-3)


def test_small_variants_keep_the_shape_and_scale_down():
    small = build_generator(image_size=32, filters=8)
    assert small.output_shape == (None, 32, 32, 3)
    assert small.count_params() < 500_000
    assert build_discriminator(image_size=32).output_shape == (None, 2, 2, 1)


@pytest.mark.parametrize("size", [0, 16, 100, 257])
def test_bad_image_sizes_are_refused(size):
    with pytest.raises(ValueError, match="power of two"):
        build_generator(image_size=size)


def test_with_scales_at_one_a_fresh_discriminator_tells_images_apart_from_the_first_step():
    """The lab's instance-norm scales start at N(0, 0.02): a fresh discriminator's logits hardly depend on
    the image. Started at 1 (the TensorFlow tutorial's choice), the same network's logits differ from
    image to image and from patch to patch at once; the weights are the same in number."""
    images = np.random.default_rng(0).uniform(-1, 1, (4, 64, 64, 3)).astype("float32")
    images[2:] = np.round(images[2:])  # two images of another kind: only -1, 0 and 1
    spreads = {}
    for at_one in (False, True):
        keras.utils.set_random_seed(0)
        discriminator = build_discriminator(image_size=64, scales_at_one=at_one)
        assert discriminator.count_params() == build_discriminator(image_size=64).count_params()
        logits = np.asarray(discriminator(images, training=True))
        spreads[at_one] = logits.std()
    assert spreads[True] > 10 * spreads[False]


def test_compact_generator_is_the_unet_with_16_filters_and_fits_in_25_mb():
    config = TrainConfig(generator="compact")
    cyclegan = build_cyclegan(config)
    params = cyclegan.monet_generator.count_params()
    assert config.filters == 16 and params == 3_404_707
    assert params * 4 < 25e6  # float32 weights file
    assert TrainConfig(generator="compact", generator_filters=8).filters == 8


def test_resnet_generator_is_the_papers_and_keeps_any_size():
    """The paper's ResNet-9 at 64 filters has 11.4 M weights; the CPU recipe's (32 filters, 6 blocks) 2.0 M."""
    assert build_resnet_generator(filters=64, residual_blocks=9).count_params() == 11_383_427
    small = build_resnet_generator(image_size=128, filters=32, residual_blocks=6, any_size=True)
    assert small.count_params() == 1_966_915
    photos = tf.random.stateless_uniform((2, 96, 160, 3), (0, 1), -1, 1)  # any multiple of 4
    fakes = small(photos)
    assert fakes.shape == (2, 96, 160, 3) and fakes.dtype == "float32"
    assert float(tf.reduce_max(tf.abs(fakes))) <= 1.0
    config = TrainConfig(generator="resnet", image_size=128)
    assert config.filters == 32 and config.upsampling_mode == "transposed"
    assert generator_for(config).count_params() == 1_966_915
    assert build_resnet_generator(upsampling="resize").count_params() == build_resnet_generator().count_params()


def test_the_papers_resnet_strides_with_zero_padding_and_upsamples_with_transposed_convolutions():
    """As the authors' networks.py: Conv2d(3, stride 2, padding=1) down, ConvTranspose2d(3, stride 2, padding=1,
    output_padding=1) up, reflection padding for the 7x7 and residual convolutions."""
    generator = build_resnet_generator(image_size=32, filters=4, residual_blocks=1)
    kinds = [type(layer).__name__ for layer in generator.layers]
    assert kinds.count("ZeroPadding2D") == 2 and kinds.count("Conv2DTranspose") == 2
    assert kinds.count("ReflectionPadding") == 1 + 2 + 1  # the 7x7 in, the residual block's two, the 7x7 out
    resized = build_resnet_generator(image_size=32, filters=4, residual_blocks=1, upsampling="resize")
    assert [type(layer).__name__ for layer in resized.layers].count("Conv2DTranspose") == 0
    with pytest.raises(ValueError, match="upsampling must be"):
        build_resnet_generator(upsampling="subpixel")


def test_the_transposed_convolution_keeps_the_pixels_the_authors_keep():
    """A one-channel 3x3 stride-2 transposed convolution scatters input i over output 2i..2i+2; the authors'
    padding=1 and output_padding=1 keep outputs 1..2n of those 2n+1, which is what the cropping keeps."""
    generator = build_resnet_generator(image_size=8, filters=1, residual_blocks=0)
    transposed = next(layer for layer in generator.layers if isinstance(layer, keras.layers.Conv2DTranspose))
    crop = generator.layers[generator.layers.index(transposed) + 1]
    x = np.zeros((1, 2, 2, transposed.kernel.shape[-1]), "float32")
    x[0, 0, 0, 0] = 1.0  # one input pixel of one channel
    kernel = np.zeros(transposed.kernel.shape, "float32")  # (3, 3, out, in)
    kernel[:, :, 0, 0] = np.arange(9, dtype="float32").reshape(3, 3)
    transposed.kernel.assign(kernel)
    kept = np.asarray(crop(transposed(x)))[0, :, :, 0]
    full = np.zeros((5, 5), "float32")
    full[0:3, 0:3] = np.arange(9).reshape(3, 3)  # input (0, 0) stamps the kernel on outputs 0..2
    np.testing.assert_array_equal(kept, full[1:5, 1:5])


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
