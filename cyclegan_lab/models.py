"""The lab's two networks, a U-Net generator and a PatchGAN discriminator, and the paper's ResNet generator.

The lab's are built from two small blocks:

- `downsample`: Conv2D(stride 2) -> instance norm -> LeakyReLU halves the image size;
- `upsample`: Conv2DTranspose(stride 2) -> instance norm -> (Dropout) -> ReLU doubles it
  (or, with `resize=True`, nearest-neighbour x2 then a 3x3 convolution: no chequerboard).

`build_resnet_generator` is the CycleGAN paper's generator, as its authors'
code builds it: it keeps the image at a quarter of its size through residual
blocks and has no skip connection from input to output, so it cannot simply
copy the photo.

The lab trains four networks. Their names, and the paper's (Zhu et al. 2017):

| here                  | paper | maps                  |
|-----------------------|-------|-----------------------|
| `monet_generator`     | G     | photo -> Monet        |
| `photo_generator`     | F     | Monet -> photo        |
| `monet_discriminator` | D_Y   | is this a real Monet? |
| `photo_discriminator` | D_X   | is this a real photo? |
"""

from __future__ import annotations

import keras
from keras import layers

from .plumbing.checks import check_power_of_two

__all__ = ["downsample", "upsample", "build_generator", "build_discriminator", "build_resnet_generator"]


def weight_init() -> keras.initializers.Initializer:
    """Convolution weights start as N(0, 0.02), as in the DCGAN and CycleGAN papers."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def instance_norm(gamma_initializer=None) -> layers.Layer:
    """Instance normalisation: each image's each channel to mean 0, variance 1.

    Keras 3 has no InstanceNormalization layer; GroupNormalization with one
    group per channel (`groups=-1`) is exactly that. (`groups=1` would be
    layer normalisation, a bug seen in ports.) The scale gamma starts as
    N(0, 0.02), a quirk of the Kaggle notebook the lab copies (the TensorFlow
    tutorial starts it at N(1, 0.02)); the ResNet generator starts it at 1.
    """
    return layers.GroupNormalization(groups=-1, epsilon=1e-3, gamma_initializer=gamma_initializer or weight_init())


def downsample(
    filters: int, size: int = 4, apply_norm: bool = True, name: str | None = None, gamma_initializer=None
) -> keras.Sequential:
    """Halve height and width: (b, h, w, c) -> (b, h/2, w/2, filters).

    Conv2D(filters, size, strides=2, "same", no bias) -> instance norm -> LeakyReLU(0.3).
    The bias is dropped because the normalisation that follows removes it anyway.
    `gamma_initializer` starts the norm's scales (default: the lab's N(0, 0.02)).
    """
    block = keras.Sequential(name=name)
    block.add(layers.Conv2D(filters, size, strides=2, padding="same", kernel_initializer=weight_init(), use_bias=False))
    if apply_norm:
        block.add(instance_norm(gamma_initializer))
    block.add(layers.LeakyReLU(negative_slope=0.3))
    return block


def upsample(
    filters: int, size: int = 4, apply_dropout: bool = False, name: str | None = None, resize: bool = False
) -> keras.Sequential:
    """Double height and width: (b, h, w, c) -> (b, 2h, 2w, filters).

    Conv2DTranspose(filters, size, strides=2, "same", no bias) -> instance norm
    -> Dropout(0.5) when asked -> ReLU. Dropout stays on during training only.

    A stride-2 transposed convolution paints even and odd output pixels
    with different taps of its kernel (and, where the kernel size is not a
    multiple of the stride, with more taps on some pixels than others), so
    unless the taps happen to agree, neighbouring pixels alternate: a
    chequerboard (Odena et al. 2016). With `resize=True` the block instead
    repeats each pixel 2x2 (nearest neighbour) and then runs a 3x3
    convolution, which treats every output pixel alike.
    """
    block = keras.Sequential(name=name)
    if resize:
        block.add(layers.UpSampling2D(2, interpolation="nearest"))
        block.add(layers.Conv2D(filters, 3, padding="same", kernel_initializer=weight_init(), use_bias=False))
    else:
        block.add(
            layers.Conv2DTranspose(
                filters, size, strides=2, padding="same", kernel_initializer=weight_init(), use_bias=False
            )
        )
    block.add(instance_norm())
    if apply_dropout:
        block.add(layers.Dropout(0.5))
    block.add(layers.ReLU())
    return block


def build_generator(
    name: str = "generator",
    image_size: int = 256,
    filters: int = 64,
    any_size: bool = False,
    upsampling: str = "transposed",
) -> keras.Model:
    """The lab's U-Net generator: (b, 256, 256, 3) in [-1, 1] -> (b, 256, 256, 3) in [-1, 1].

    The encoder downsamples until the image is 1x1 (8 times for 256: 64, 128,
    256, then 512 five times); the decoder upsamples back (512 x4, 256, 128,
    64), and after each step concatenates the encoder output of the same size
    (the U-Net skip connections), so fine detail can flow straight across.
    The first three decoder blocks use dropout. A last Conv2DTranspose to 3
    channels with tanh gives the image. 54,414,979 parameters.

    `image_size` (a power of two, at least 32) and `filters` (of the first
    block; they double per level up to 8 x filters) make smaller variants for
    tests and quick experiments; the defaults are the lab's. With
    `any_size=True` the same network (same weights) accepts images whose
    height and width are any multiples of `image_size`, e.g. 256x512.
    `upsampling="resize"` builds the decoder from resize-convolutions (see `upsample`).
    """
    levels = _levels(image_size)
    if upsampling not in ("transposed", "resize"):
        raise ValueError(f"upsampling must be 'transposed' or 'resize', got {upsampling!r}")
    resize = upsampling == "resize"
    down_filters = [min(filters * 2**level, filters * 8) for level in range(levels)]
    down_stack = [downsample(f, apply_norm=level > 0) for level, f in enumerate(down_filters)]
    up_filters = down_filters[-2::-1]  # mirror of the encoder, without the bottleneck
    up_stack = [upsample(f, apply_dropout=level < 3, resize=resize) for level, f in enumerate(up_filters)]
    last = layers.Conv2DTranspose(
        3, 4, strides=2, padding="same", kernel_initializer=weight_init(), activation="tanh", dtype="float32"
    )  # float32 output under any precision (see plumbing/precision.py)

    side = None if any_size else image_size
    inputs = keras.Input(shape=(side, side, 3))
    x = inputs
    skips = []
    for down in down_stack:  # 256 -> 128 -> ... -> 1
        x = down(x)
        skips.append(x)
    skips = reversed(skips[:-1])  # mirror order, without the 1x1 bottleneck
    for up, skip in zip(up_stack, skips):  # 1 -> 2 -> ... -> 128
        x = up(x)
        x = layers.Concatenate()([x, skip])  # channels: up's + skip's
    outputs = last(x)  # (b, 256, 256, 3)
    return keras.Model(inputs=inputs, outputs=outputs, name=name)


class ReflectionPadding(layers.Layer):
    """Pad height and width by `pad` pixels that mirror the image's border (no dark frame, unlike zeros)."""

    def __init__(self, pad: int, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad

    def call(self, images):
        p = self.pad
        return keras.ops.pad(images, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda side: None if side is None else side + 2 * self.pad
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])


def _conv(x, filters: int, size: int, strides: int = 1, pad: str = "reflect", relu: bool = True):
    """A bias-free convolution after its padding (mirrored, or zeros), instance norm (gamma from 1), ReLU."""
    x = ReflectionPadding(size // 2)(x) if pad == "reflect" else layers.ZeroPadding2D(size // 2)(x)
    x = layers.Conv2D(filters, size, strides=strides, kernel_initializer=weight_init(), use_bias=False)(x)
    x = instance_norm("ones")(x)
    return layers.ReLU()(x) if relu else x


def build_resnet_generator(
    name: str = "generator",
    image_size: int = 256,
    filters: int = 32,
    residual_blocks: int = 6,
    any_size: bool = False,
    upsampling: str = "transposed",
) -> keras.Model:
    """The CycleGAN paper's generator (Johnson et al. 2016), as its authors' code builds it.

    (b, h, w, 3) in [-1, 1] -> the same shape: a 7x7 convolution to `filters`
    channels; two 3x3 stride-2 convolutions, zero-padded, to 4 x filters at a
    quarter of the size; `residual_blocks` blocks x + f(x), f two 3x3
    convolutions (the paper: 9 for 256 pixels); two 3x3 stride-2 transposed
    convolutions back (cropped to the pixels the authors' `ConvTranspose2d(padding=1,
    output_padding=1)` keeps); a 7x7 convolution to 3 channels and tanh. The
    7x7 and residual convolutions pad by reflection. Instance norm follows
    every convolution but the last, ReLU every one but the last and each
    block's second (the authors' convolutions keep a bias and their norm no
    scale; here the norm's scale and shift do both).
    The paper uses 64 filters (11.4 M weights); 32 filters and 6 blocks make
    2.0 M. `upsampling="resize"` replaces each transposed convolution with
    nearest x2 and a 3x3 convolution: the fix for chequerboards (notebook 8).
    """
    if upsampling not in ("transposed", "resize"):
        raise ValueError(f"upsampling must be 'transposed' or 'resize', got {upsampling!r}")
    side = None if any_size else image_size
    inputs = keras.Input(shape=(side, side, 3))
    x = _conv(inputs, filters, 7)  # (b, h, w, f)
    for f in (2 * filters, 4 * filters):  # (b, h/2, w/2, 2f), then (b, h/4, w/4, 4f)
        x = _conv(x, f, 3, strides=2, pad="zeros")
    for _ in range(residual_blocks):
        x = layers.Add()([x, _conv(_conv(x, 4 * filters, 3), 4 * filters, 3, relu=False)])
    for f in (2 * filters, filters):  # back up: (b, h/2, w/2, 2f), then (b, h, w, f)
        if upsampling == "resize":
            x = _conv(layers.UpSampling2D(2, interpolation="nearest")(x), f, 3)
        else:
            x = layers.Conv2DTranspose(f, 3, strides=2, kernel_initializer=weight_init(), use_bias=False)(x)
            x = layers.ReLU()(instance_norm("ones")(layers.Cropping2D(((1, 0), (1, 0)))(x)))  # 2n + 1 -> 2n
    return keras.Model(inputs=inputs, outputs=to_rgb(x), name=name)


def to_rgb(x):
    """The ResNet's last layer: reflection padding and a 7x7 convolution to 3 channels, tanh (in float32)."""
    x = ReflectionPadding(3)(x)
    return layers.Conv2D(3, 7, kernel_initializer=weight_init(), activation="tanh", dtype="float32")(x)


def generator_for(config, name: str = "monet_generator", any_size: bool = False) -> keras.Model:
    """The generator a `TrainConfig` describes (U-Net, compact U-Net or ResNet), at its training size.

    It carries `training_zoom` (see `TrainConfig.training_zoom`): the scale
    `inference.stylize` paints at.
    """
    if config.generator == "resnet":
        generator = build_resnet_generator(
            name, config.train_size, config.filters, config.residual_blocks, any_size, config.upsampling_mode
        )
    else:
        generator = build_generator(
            name, config.train_size, config.filters, any_size=any_size, upsampling=config.upsampling_mode
        )
    generator.training_zoom = config.training_zoom
    return generator


def _levels(image_size: int) -> int:
    return check_power_of_two("image_size", int(image_size)).bit_length() - 1


def discriminator_for(config, name: str = "monet_discriminator") -> keras.Model:
    """The lab's PatchGAN discriminator at a `TrainConfig`'s training size."""
    return build_discriminator(name, config.train_size)


def build_discriminator(name: str = "discriminator", image_size: int = 256, scales_at_one: bool = False) -> keras.Model:
    """The lab's PatchGAN discriminator: (b, 256, 256, 3) -> (b, 30, 30, 1) logits.

    Each of the 30x30 outputs judges one 70x70 patch of the input: a logit
    above 0 means "looks real". 2,765,569 parameters. Smaller images give a
    smaller grid of patches.

    The lab starts every instance norm's scale gamma at N(0, 0.02), so the
    last one multiplies the features by about 0.02 and the logits barely
    depend on the image: a fresh discriminator says about the same of every
    picture until Adam, a step of about 2e-4 at a time, has grown those
    scales (thousands of steps). `scales_at_one=True` starts them at 1, as
    the TensorFlow tutorial does, and the discriminator judges from its
    first steps.
    """
    gamma = "ones" if scales_at_one else None
    _levels(image_size)
    inputs = keras.Input(shape=(image_size, image_size, 3), name="input_image")
    x = downsample(64, apply_norm=False)(inputs)  # (b, 128, 128, 64)
    x = downsample(128, gamma_initializer=gamma)(x)  # (b, 64, 64, 128)
    x = downsample(256, gamma_initializer=gamma)(x)  # (b, 32, 32, 256)
    x = layers.ZeroPadding2D()(x)  # (b, 34, 34, 256)
    x = layers.Conv2D(512, 4, strides=1, kernel_initializer=weight_init(), use_bias=False)(x)  # (b, 31, 31, 512)
    x = instance_norm(gamma)(x)
    x = layers.LeakyReLU(negative_slope=0.3)(x)
    x = layers.ZeroPadding2D()(x)  # (b, 33, 33, 512)
    last = layers.Conv2D(1, 4, strides=1, kernel_initializer=weight_init(), dtype="float32")  # float32 logits
    outputs = last(x)  # (b, 30, 30, 1)
    return keras.Model(inputs=inputs, outputs=outputs, name=name)
