"""The networks a `RecipeConfig` describes: the lab's, with the recipe's options.

The U-Net is the lab's (`models.generator_for`). The ResNet is the recipe's
(`recipe_resnet`): the paper's with reflection padding everywhere and
resize-convolutions, and the recipe's options: `upsampling="subpixel"`
(`layers.PixelShuffle`), `input_skip`, `output_blur` (`layers.BinomialBlur`)
or `output_notch` (`layers.NyquistNotch`), or residual blocks at half size
(`downsamplings=1`).
The discriminator is the lab's PatchGAN, its norms' scales started at 1 with
`discriminator_scales_at_one`, or a projected one (`projected.py`).
"""

from __future__ import annotations

import keras
from keras import layers

from ..models import ReflectionPadding, build_discriminator, instance_norm, to_rgb, weight_init
from ..models import generator_for as lab_generator_for
from .layers import BinomialBlur, NyquistNotch, PixelShuffle, subpixel_kernel
from .projected import build_projected_discriminator

__all__ = ["generator_for", "discriminator_for", "recipe_resnet", "resnet_features", "subpixel_step"]


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
    inputs = keras.Input(shape=(side, side, 3))  # the recipe's ResNet (`recipe_resnet`), with its options
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


def recipe_resnet(
    name: str = "generator",
    image_size: int = 256,
    filters: int = 32,
    residual_blocks: int = 6,
    upsampling="resize",
    any_size: bool = False,
    downsamplings: int = 2,
) -> keras.Model:
    """The recipe's ResNet: the paper's (`models.build_resnet_generator`), but every convolution pads by
    reflection, the way up is resize-convolutions ("resize"; or "transposed", or a function), and with
    `downsamplings=1` the residual blocks work at *half* the size (2 x filters channels), where each
    position covers 2x2 pixels, not 4x4: room for a painter's strokes (the shipped generator's)."""
    side = None if any_size else image_size
    inputs = keras.Input(shape=(side, side, 3))
    features = resnet_features(inputs, filters, residual_blocks, upsampling, downsamplings)
    return keras.Model(inputs=inputs, outputs=to_rgb(features), name=name)


def _conv_norm_relu(x, filters: int, size: int, strides: int = 1, relu: bool = True):
    """Reflection padding, a bias-free convolution, instance norm (gamma starts at 1), ReLU."""
    x = ReflectionPadding(size // 2)(x)
    x = layers.Conv2D(filters, size, strides=strides, kernel_initializer=weight_init(), use_bias=False)(x)
    x = instance_norm("ones")(x)
    return layers.ReLU()(x) if relu else x


def resnet_features(inputs, filters: int, residual_blocks: int, upsampling="resize", downsamplings: int = 2):
    """The ResNet generator up to its last convolution: (b, h, w, 3) -> (b, h, w, filters).

    `upsampling` is "resize", "transposed", or a function (x, filters) -> x
    that doubles x's height and width (`recipe.networks` passes one).
    """
    if downsamplings not in (1, 2):
        raise ValueError(f"downsamplings must be 1 or 2, got {downsamplings!r}")
    upsample_step = {"resize": _resize_step, "transposed": _transposed_step}.get(upsampling, upsampling)
    if not callable(upsample_step):
        raise ValueError(f"upsampling must be 'transposed', 'resize' or 'subpixel', got {upsampling!r}")
    x = _conv_norm_relu(inputs, filters, 7)  # (b, h, w, f)
    widths = [filters * 2 ** (level + 1) for level in range(downsamplings)]  # [2f] or [2f, 4f]
    for f in widths:  # (b, h/2, w/2, 2f), then (b, h/4, w/4, 4f)
        x = _conv_norm_relu(x, f, 3, strides=2)
    channels = widths[-1]
    for _ in range(residual_blocks):
        x = layers.Add()([x, _conv_norm_relu(_conv_norm_relu(x, channels, 3), channels, 3, relu=False)])
    for f in [*widths[-2::-1], filters]:  # back up: 2f, then f (or just f from half size)
        x = upsample_step(x, f)
    return x


def _resize_step(x, filters: int):
    return _conv_norm_relu(layers.UpSampling2D(2, interpolation="nearest")(x), filters, 3)


def _transposed_step(x, filters: int):
    x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", kernel_initializer=weight_init(), use_bias=False)(
        x
    )
    return layers.ReLU()(instance_norm("ones")(x))


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
