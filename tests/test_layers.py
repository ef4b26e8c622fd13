"""cyclegan_lab.recipe.layers: the output blur and the Nyquist notch remove period-2 patterns and add no
weights; a sub-pixel convolution started from a resize convolution computes the same, and can draw finer.
"""

import keras
import numpy as np
import tensorflow as tf

from cyclegan_lab.models import ReflectionPadding
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.recipe.layers import PixelShuffle, subpixel_kernel
from cyclegan_lab.recipe.networks import generator_for


def half_size_resnet(image_size=32, **settings):
    """A tiny half-size ResNet generator of the recipe, with `settings` (output_blur, output_notch, upsampling)."""
    config = dict(generator="resnet", image_size=image_size, generator_filters=4, residual_blocks=1, downsamplings=1)
    return generator_for(RecipeConfig(**{**config, **settings}), "generator", any_size=True)


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
    plain, smooth = half_size_resnet(), half_size_resnet(output_blur=True)
    assert [w.shape for w in smooth.weights] == [w.shape for w in plain.weights]
    smooth.set_weights(plain.get_weights())
    x = tf.random.stateless_uniform((1, 32, 32, 3), (0, 3), -1, 1)
    expected = keras.ops.convert_to_numpy(BinomialBlur()(plain(x)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(smooth(x)), expected, rtol=1e-5, atol=1e-6)


def test_the_nyquist_notch_removes_period_two_patterns_and_keeps_everything_wider():
    """A chequerboard and one-pixel stripes vanish; stripes four pixels apart and a flat colour pass
    unchanged; a generator ending in the notch has the same weights as one without and its paintings
    have no period-2 energy, at any image size."""
    from cyclegan_lab.judging.measures import chequerboard_energy
    from cyclegan_lab.recipe.layers import NyquistNotch

    rows, columns = np.indices((32, 48))
    period_two = 0.5 * np.where((rows + columns) % 2, 1, -1) + 0.3 * np.where(columns % 2, 1, -1)
    wider = 0.4 * np.cos(2 * np.pi * rows / 4) + 0.2 * np.sin(2 * np.pi * columns / 8) + 0.1
    images = np.stack([period_two + wider, wider])[..., None].repeat(3, axis=3).astype("float32")
    notched = keras.ops.convert_to_numpy(NyquistNotch()(images))
    np.testing.assert_allclose(notched, np.stack([wider, wider])[..., None].repeat(3, axis=3), atol=1e-5)

    plain, clean = half_size_resnet(), half_size_resnet(output_notch=True)
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
