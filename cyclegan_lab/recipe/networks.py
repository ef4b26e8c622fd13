"""The networks a `RecipeConfig` describes: the lab's, with the recipe's options.

The generator is the lab's (`models.generator_for`) unless it is the ResNet
with a recipe option: `upsampling="subpixel"` (`layers.PixelShuffle`),
`input_skip`, `output_blur` (`layers.BinomialBlur`) or `output_notch`
(`layers.NyquistNotch`), or residual blocks at half size (`downsamplings=1`).
The discriminator is the lab's PatchGAN, its norms' scales started at 1 with
`discriminator_scales_at_one`, or a projected one (`projected.py`).
"""

from __future__ import annotations

import keras
from keras import layers

from ..models import (
    ReflectionPadding,
    build_discriminator,
    instance_norm,
    resnet_features,
    to_rgb,
    weight_init,
)
from ..models import (
    generator_for as lab_generator_for,
)
from .layers import BinomialBlur, NyquistNotch, PixelShuffle, subpixel_kernel
from .projected import build_projected_discriminator

__all__ = ["generator_for", "subpixel_step", "discriminator_for"]


def generator_for(config, name: str = "monet_generator", any_size: bool = False) -> keras.Model:
    """The generator `config` describes, at its training size, carrying `training_zoom` (see `models.generator_for`).

    `input_skip=True` hands the input image itself to the last 7x7
    convolution, beside the features (a long skip, as a U-Net has at every
    level): the photo's finest detail, which the way down and up through half
    size cannot carry, is at hand where the painting is drawn. 3 x 49 x 3
    more weights; `program.export.warm_start` starts them at 0, so a warm-started
    generator paints as the shipped one until training uses the skip.
    """
    if config.generator != "resnet":
        return lab_generator_for(config, name, any_size)
    side = None if any_size else config.train_size
    inputs = keras.Input(shape=(side, side, 3))
    upsampling = subpixel_step if config.upsampling_mode == "subpixel" else config.upsampling_mode
    x = resnet_features(inputs, config.filters, config.residual_blocks, upsampling, config.downsamplings)
    if config.input_skip:
        x = layers.Concatenate()([x, inputs])  # (b, h, w, f + 3)
    outputs = to_rgb(x)
    if config.output_blur:
        outputs = BinomialBlur(dtype="float32")(outputs)
    if config.output_notch:
        outputs = NyquistNotch(dtype="float32")(outputs)
    generator = keras.Model(inputs=inputs, outputs=outputs, name=name)
    generator.training_zoom = config.training_zoom
    return generator


def subpixel_step(x, filters: int):
    """Double x's size with a 3x3 convolution to four times `filters` channels and `PixelShuffle`.

    It starts as a resize-convolution (`subpixel_kernel`): no chequerboard;
    training may then give each pixel of a 2x2 block its own kernel.
    """
    conv = layers.Conv2D(4 * filters, 3, use_bias=False)
    x = conv(ReflectionPadding(1)(x))
    resize_kernel = keras.ops.convert_to_numpy(weight_init()((3, 3, conv.kernel.shape[2], filters)))
    conv.kernel.assign(subpixel_kernel(resize_kernel))
    return layers.ReLU()(instance_norm("ones")(PixelShuffle()(x)))


def discriminator_for(config, name: str = "monet_discriminator") -> keras.Model:
    """The discriminator `config` describes (the lab's PatchGAN or a projected one), at its training size."""
    if config.discriminator.startswith("projected"):  # "projected": through Lite0; "projected_lite2"
        network = config.discriminator.partition("_")[2] or "lite0"
        return build_projected_discriminator(name, config.train_size, network)
    return build_discriminator(name, config.train_size, config.discriminator_scales_at_one)
