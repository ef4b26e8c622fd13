"""cyclegan_lab.recipe.networks: the recipe's ResNet and its options build what they promise."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lab.recipe.config import RECIPE, RecipeConfig
from cyclegan_lab.recipe.networks import discriminator_for, generator_for, recipe_resnet


def test_the_subpixel_resnet_starts_as_a_resize_convolution_and_keeps_any_size():
    """A fresh sub-pixel generator is initialised like a resize-convolution (no chequerboard at the start)."""
    config = dict(generator="resnet", image_size=64, generator_filters=8, residual_blocks=1, downsamplings=1)
    generator = generator_for(RecipeConfig(**config, upsampling="subpixel"), "generator", any_size=True)
    fakes = generator(tf.random.stateless_uniform((2, 48, 80, 3), (0, 3), -1, 1))
    assert fakes.shape == (2, 48, 80, 3)
    conv = next(layer for layer in generator.layers if isinstance(layer, keras.layers.Conv2D) and layer.filters == 32)
    kernel = keras.ops.convert_to_numpy(conv.kernel)
    groups = [kernel[..., g * 8 : (g + 1) * 8] for g in range(4)]
    np.testing.assert_allclose(groups[0].sum(axis=(0, 1)), groups[3].sum(axis=(0, 1)), atol=1e-6)  # same taps
    assert np.abs(groups[0] - groups[3]).max() > 1e-3  # placed for each pixel of the block
    with pytest.raises(ValueError, match="upsampling"):
        RecipeConfig(**config, upsampling="bilinear")


def test_the_shipped_recipes_generator_is_the_labs_resnet_at_half_size_with_a_notch():
    """RECIPE's generator: the lab's ResNet (32 filters, blocks at half size, 490,435 weights) ending in the
    weightless notch; without a recipe option, the lab's network itself."""
    config = RecipeConfig(**RECIPE)
    shipped = generator_for(config)
    assert shipped.count_params() == recipe_resnet(filters=32, downsamplings=1).count_params() == 490_435
    assert type(shipped.layers[-1]).__name__ == "NyquistNotch"
    plain = RecipeConfig(generator="resnet", image_size=64)
    assert [type(layer) for layer in generator_for(plain).layers] == [
        type(layer) for layer in recipe_resnet(image_size=64).layers
    ]
    assert "ZeroPadding2D" not in {type(layer).__name__ for layer in generator_for(plain).layers}  # not the paper's
    assert discriminator_for(config).count_params() == discriminator_for(RecipeConfig(image_size=128)).count_params()


def test_the_recipes_half_size_resnet_keeps_its_residual_blocks_at_half_the_image_size():
    """downsamplings=1: one stride-2 convolution, so the blocks see 2x2 pixels a position (room for strokes)."""
    generator = recipe_resnet(image_size=64, filters=8, residual_blocks=2, downsamplings=1)
    block_outputs = [tuple(layer.output.shape) for layer in generator.layers if isinstance(layer, keras.layers.Add)]
    assert block_outputs == [(None, 32, 32, 16)] * 2
    assert generator(np.zeros((1, 64, 64, 3), "float32")).shape == (1, 64, 64, 3)
