"""A projected discriminator: an ImageNet network's features, frozen, judged by small trained heads.

The lab's PatchGAN discriminator learns to see from nothing, on 300
paintings: for thousands of steps it knows little more than colour and
blur, and the generator learns only what it can tell. Sauer et al. (2021,
"Projected GANs converge faster") give the discriminator the eyes of a
network already trained to recognise real photographs, EfficientNet-Lite,
frozen, and train only small heads on its features at four depths: from
strokes and edges (a quarter of the image size) to objects and scenes
(1/32). The generator then hears from its first steps what a trained eye
sees in a painting.

    image (b, s, s, 3) in [-1, 1]
      -> Lite0 (frozen, `efficientnet.build_lite`), features after blocks 2, 4, 10 and 15:
         (s/4, 24), (s/8, 40), (s/16, 112), (s/32, 320) channels
      -> each: a trained head, 1x1 convolution, then 4x4 stride-2 convolutions down to s/32
         (LeakyReLU 0.2 after each), a 1x1 convolution to one logit per place
      -> (b, s/32, s/32, 4) logits, one channel per depth, each weighing alike in the loss

Its heads have 1.89 M weights; Lite0's 3.0 M (up to block 15) stay as trained
(batch norm with ImageNet's statistics). A caution the measure needs: the
project's painting score (`scores.painting_gap`) compares features of the
same Lite0, so a generator trained against this discriminator must also be
judged with another network (`scores.painting_gap(..., network="lite2")`) and
by eye; or the discriminator looks through Lite2 (`network="lite2"`,
`RecipeConfig(discriminator="projected_lite2")`) and Lite0 judges.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from . import efficientnet

__all__ = ["TAP_STAGES", "HEAD_WIDTHS", "SMALLEST", "build_projected_discriminator", "is_projected", "tap_blocks"]

TAP_STAGES = (1, 2, 4, 6)  # the stages whose last blocks the heads judge: 1/4, 1/8, 1/16, 1/32 of the image size
HEAD_WIDTHS = (64, 128, 256, 256)  # channels of each head
SMALLEST = 32  # the deepest tap is 1/32 of the image: images must be at least this large


def build_projected_discriminator(name: str = "discriminator", image_size: int = 256, network: str = "lite0"):
    """(b, image_size, image_size, 3) in [-1, 1] -> (b, image_size/32, image_size/32, 4) logits.

    The trunk (`network`: "lite0", or "lite2", wider and deeper: then Lite0
    is the one left to judge with) carries ImageNet's weights and is frozen
    (its batch norms use their stored statistics even in training); only the heads learn.
    """
    if image_size % SMALLEST:
        raise ValueError(f"a projected discriminator needs an image size that is a multiple of 32, got {image_size}")
    lite = efficientnet.fill_weights(efficientnet.build_lite(network), network)
    lite.trainable = False
    taps = [_block_output(lite, block) for block in tap_blocks(network)]
    trunk = keras.Model(lite.input, taps, name=f"{name}_{network}")
    trunk.trainable = False

    inputs = keras.Input((image_size, image_size, 3), name="input_image")
    verdicts = []
    for depth, (features, width) in enumerate(zip(trunk(inputs, training=False), HEAD_WIDTHS)):
        x = layers.Conv2D(width, 1, name=f"head{depth}_project")(features)
        x = layers.LeakyReLU(0.2)(x)
        for down in range(len(TAP_STAGES) - 1 - depth):
            x = layers.Conv2D(width, 4, strides=2, padding="same", name=f"head{depth}_down{down}")(x)
            x = layers.LeakyReLU(0.2)(x)
        logits = layers.Conv2D(1, 1, kernel_initializer="zeros", dtype="float32", name=f"head{depth}_logits")
        verdicts.append(logits(x))  # zeros: a fresh head says 0 ("can't tell") of every image
    outputs = layers.Concatenate(dtype="float32")(verdicts)
    return keras.Model(inputs, outputs, name=name)


def is_projected(discriminator: keras.Model) -> bool:
    """Whether `discriminator` is one `build_projected_discriminator` built (it holds a frozen Lite trunk)."""
    trunks = [f"{discriminator.name}_{network}" for network in efficientnet.NETWORKS]
    return any(layer.name in trunks for layer in discriminator.layers)


def tap_blocks(network: str = "lite0") -> list[int]:
    """The blocks the heads judge: the last of each stage in TAP_STAGES (Lite0: 2, 4, 10, 15)."""
    ends = np.cumsum([blocks for *_, blocks in efficientnet.STAGES[network]]) - 1
    return [int(ends[stage]) for stage in TAP_STAGES]


def _block_output(lite: keras.Model, block: int):
    """The output tensor of Lite's MBConv block `block` (its residual sum, where it has one)."""
    for suffix in (".add", "._bn2"):
        try:
            return lite.get_layer(f"_blocks.{block}{suffix}").output
        except ValueError:
            continue
    raise ValueError(f"{lite.name} has no block {block}")
