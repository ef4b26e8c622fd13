"""Fixed layers of the shipped generator's recipe: a blur, a notch, and the sub-pixel upsampling.

None of them has weights. `BinomialBlur` and `NyquistNotch` take away the
period-2 patterns (chequerboards) a generator can hide its photo in;
`PixelShuffle` with `subpixel_kernel` is the sub-pixel convolution the
recipe's ResNet generator may upsample with (`networks.recipe_resnet`).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

__all__ = ["BinomialBlur", "NyquistNotch", "PixelShuffle", "period_two_mask", "subpixel_kernel"]


class BinomialBlur(layers.Layer):
    """A fixed 3x3 blur, [1, 2, 1] x [1, 2, 1] / 16, with reflection padding; no weights.

    Its response is exactly zero at the highest frequency an image holds, the
    period-2 pattern of a chequerboard, and close to one for anything three
    pixels or wider. On a generator's output it makes chequerboards impossible,
    and with them the invisible high-frequency signal a CycleGAN generator
    learns to hide its photo in, to pass the cycle test (Chu et al. 2017).
    """

    def call(self, images):
        taps = keras.ops.convert_to_tensor([1.0, 2.0, 1.0], dtype=images.dtype) / 4.0
        kernel = keras.ops.tile((taps[:, None] * taps[None, :])[:, :, None, None], (1, 1, images.shape[-1], 1))
        padded = keras.ops.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
        return keras.ops.depthwise_conv(padded, kernel, strides=1, padding="valid")


def period_two_mask(height, width, reach: int = 2):
    """(height, width) booleans: the 2-D Fourier frequencies within `reach` steps of the three
    period-2 frequencies, half a cycle per pixel down the rows, across the columns, or both.

    Patterns that repeat every 2 pixels (chequerboards, one-pixel stripes) put
    their energy there; `measures.chequerboard_energy` measures it, `NyquistNotch`
    removes it. Works with sizes known only when the image arrives.
    """
    near = lambda k, n, target: keras.ops.abs((k - target + n // 2) % n - n // 2) <= reach
    rows, columns = keras.ops.arange(height)[:, None], keras.ops.arange(width)[None, :]
    row_top, column_top = near(rows, height, height // 2), near(columns, width, width // 2)
    row_zero, column_zero = near(rows, height, 0), near(columns, width, 0)
    both, either = keras.ops.logical_and, keras.ops.logical_or
    return either(either(both(row_top, column_zero), both(row_zero, column_top)), both(row_top, column_top))


class NyquistNotch(layers.Layer):
    """A fixed notch filter: removes an image's period-2 patterns and nothing else; no weights.

    It takes each channel's 2-D Fourier transform, sets to zero the
    frequencies of `period_two_mask` (75 of each channel's 65,536 at 256x256)
    and transforms back. A chequerboard of any strength vanishes; a pattern
    that repeats every three pixels or more passes unchanged, and a real
    painting's pixels move by a fraction of a grey level. `BinomialBlur` also
    removes period-2 patterns, but halves everything two to four pixels wide
    on the way: a blurred real Monet looks less like a Monet to the KID of
    `scores.painting_gap`, a notched one does not.
    """

    def __init__(self, reach: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.reach = reach

    def call(self, images):
        x = keras.ops.transpose(keras.ops.cast(images, "float32"), (0, 3, 1, 2))  # fft2 transforms the last two axes
        shape = keras.ops.shape(x)
        real, imaginary = keras.ops.fft2((x, keras.ops.zeros_like(x)))
        keep = 1.0 - keras.ops.cast(period_two_mask(shape[2], shape[3], self.reach), "float32")
        real, _ = keras.ops.ifft2((real * keep, imaginary * keep))  # a real image stays real
        return keras.ops.cast(keras.ops.transpose(real, (0, 2, 3, 1)), images.dtype)

    def get_config(self):
        return {**super().get_config(), "reach": self.reach}


class PixelShuffle(layers.Layer):
    """(b, h, w, 4c) -> (b, 2h, 2w, c): each pixel's four channel groups become its 2x2 block.

    Group a * 2 + c (a, c in {0, 1}) lands at row offset a, column offset c:
    a convolution that computes 4c channels followed by this layer is a
    *sub-pixel convolution* (Shi et al. 2016), which draws each of the four
    pixels of a block with its own kernel.
    """

    def call(self, x):
        b, h, w = keras.ops.shape(x)[0], keras.ops.shape(x)[1], keras.ops.shape(x)[2]
        c = x.shape[-1] // 4
        x = keras.ops.reshape(x, (b, h, w, 2, 2, c))
        x = keras.ops.transpose(x, (0, 1, 3, 2, 4, 5))  # (b, h, a, w, c', c)
        return keras.ops.reshape(x, (b, 2 * h, 2 * w, c))

    def compute_output_shape(self, shape):
        grow = lambda side: None if side is None else 2 * side
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3] // 4)


def subpixel_kernel(resize_kernel: np.ndarray) -> np.ndarray:
    """The sub-pixel convolution kernel (3, 3, in, 4 x out) that computes what a nearest-neighbour x2
    resize followed by the 3x3 convolution `resize_kernel` (3, 3, in, out) computes.

    After the resize, the 3x3 window of output row 2i reads input rows
    i - 1, i, i (taps 0, 1, 2) and that of row 2i + 1 reads i, i, i + 1: each
    of a block's four pixels sees a 2x2 window of the input, with some taps
    summed. Away from the border the two layers agree exactly (Aitken et
    al. 2017 start sub-pixel convolutions this way, free of chequerboards);
    training can then give each pixel of a block its own kernel, which a
    resize-convolution cannot, and draw the finest detail.
    """
    tap_row = {0: (0, 1, 1), 1: (1, 1, 2)}  # for an even (0) or odd (1) output row: where each tap lands
    k = np.asarray(resize_kernel)
    out = k.shape[3]
    kernel = np.zeros((3, 3, k.shape[2], 4 * out), k.dtype)
    for a in (0, 1):
        for c in (0, 1):
            group = slice((a * 2 + c) * out, (a * 2 + c + 1) * out)
            for u in range(3):
                for v in range(3):
                    kernel[tap_row[a][u], tap_row[c][v], :, group] += k[u, v]
    return kernel
