"""The geometry of painting a picture of any size: the sides a generator accepts, and fitting a picture to them.

    network_grid(model)               # (256, False): any multiple of 256; (256, True): exactly 256 x 256
    shorter_side_to(600, 800, 256)    # (256, 341): the shape with its shorter side 256
    resize_pil(image, 256)            # a Pillow image scaled so; resize_shorter does it to a uint8 array
    reflect_pad(array, 256)           # padded by mirroring to multiples of 256, and where the picture sits
    to_tiles(padded, 256)             # cut into 256 x 256 tiles, and from_tiles puts them back
    check_pixels(w, h, "photo.jpg", advice)  # ValueError when a painting would be over MAX_PIXELS
    check_painted_size(size, model)   # the working scale, checked against what the model really paints

`inference.stylize` and `program.paint_files` use these to fit a picture to
the sizes a generator accepts and back.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from PIL import Image

from .checks import check_number

__all__ = [
    "MAX_PIXELS",
    "UNKNOWN_MULTIPLE",
    "network_grid",
    "all_layers",
    "check_pixels",
    "shorter_side_to",
    "resize_pil",
    "resize_shorter",
    "reflect_pad",
    "to_tiles",
    "from_tiles",
    "check_size",
    "check_painted_size",
    "zoom_text",
    "through_grid",
]

# The working scale's bounds. Below 16 pixels a painting shows no brush strokes at all. Above 4096 (16 times
# the 256 the generators learnt at) the strokes are too small to see, while time and memory grow with the
# pixel count: a 4096 x 4096 pass already needs several GB. For a photo's own size, use keep="size".
MIN_SIZE, MAX_SIZE = 16, 4096
# The largest picture one pass paints: 4096 x 4096 pixels' worth (the largest working scale squared), whatever
# its shape (a 1000x2 strip at --keep aspect would otherwise become 128000x256 and exhaust the memory).
MAX_PIXELS = MAX_SIZE * MAX_SIZE
UNKNOWN_MULTIPLE = 256  # for a SavedModel of unknown depth that takes any size: safe for the lab's 8 levels


def network_grid(model: keras.Model) -> tuple[int, bool]:
    """(multiple, fixed): the side lengths `model` accepts.

    fixed=False: any height and width that are multiples of `multiple`;
    fixed=True: exactly `multiple` x `multiple` (a saved signature of one size).
    For a Keras U-Net, `multiple` is 2 to the number of stride-2 convolutions.
    """
    if hasattr(model, "image_shape"):  # a SavedModelGenerator: its signature says
        shape = model.image_shape
        if shape is None:
            return UNKNOWN_MULTIPLE, False
    else:
        inputs = getattr(model, "inputs", None) or []
        shape = tuple(inputs[0].shape[1:3]) if inputs else (None, None)
        shape = None if None in shape else shape
    if shape is not None:
        if shape[0] != shape[1]:
            raise ValueError(f"Models with a fixed non-square input {shape} are not supported")
        return int(shape[0]), True
    halvings = sum(
        1 for layer in all_layers(model) if isinstance(layer, keras.layers.Conv2D) and max(layer.strides) == 2
    )
    return 2**halvings, False


def all_layers(layer):
    """`layer` and every layer inside it, however deeply nested (a model's sub-models' layers too)."""
    yield layer
    for inner in getattr(layer, "layers", None) or []:
        yield from all_layers(inner)


def check_pixels(width: int, height: int, what: str, advice: str) -> None:
    """ValueError if a `width` x `height` picture is over MAX_PIXELS, naming `what` and what to do."""
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"{what} would be {width}x{height} pixels ({width * height / 1e6:.1f} megapixels), over the "
            f"{MAX_PIXELS / 1e6:.1f}-megapixel limit of one painting: {advice}"
        )


def shorter_side_to(height: int, width: int, size: int) -> tuple[int, int]:
    """(height, width) scaled so the shorter side is `size`, aspect ratio kept."""
    scale = size / min(width, height)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_pil(image: Image.Image, size: int) -> Image.Image:
    """`image` scaled so its shorter side is `size`, aspect ratio kept."""
    height, width = shorter_side_to(image.height, image.width, size)
    return image if (width, height) == image.size else image.resize((width, height), Image.Resampling.BICUBIC)


def resize_shorter(image: np.ndarray, size: int) -> np.ndarray:
    """A uint8 (h, w, 3) `image` scaled so its shorter side is `size` (`resize_pil`), aspect ratio kept."""
    return np.asarray(resize_pil(Image.fromarray(image), size))


def reflect_pad(image: np.ndarray, multiple: int, smallest: int = 1) -> tuple[np.ndarray, tuple]:
    """Pad to the next multiple, and to at least `smallest`, on each side (half before, half after) by mirroring.

    Returns the padded image and ((top, bottom), (left, right)), where the
    original sits in it. A ResNet's reflection padding needs each feature
    map to keep at least 2 pixels, so a 3x3 image goes through as 2 x multiple.
    """
    pads = []
    for side in image.shape[:2]:
        extra = max(math.ceil(side / multiple) * multiple, smallest) - side
        pads.append((extra // 2, extra - extra // 2))
    mode = "reflect" if min(image.shape[:2]) > 1 else "edge"  # a 1-pixel line has nothing to mirror
    padded = np.pad(image, pads + [(0, 0)], mode=mode)
    box = tuple((before, before + side) for (before, _), side in zip(pads, image.shape[:2]))
    return padded, box


def to_tiles(image: np.ndarray, tile: int) -> list[np.ndarray]:
    """An (h, w, 3) image whose sides are multiples of `tile`, cut into `tile` x `tile` pieces, row by row."""
    rows, cols = image.shape[0] // tile, image.shape[1] // tile
    grid = image.reshape(rows, tile, cols, tile, 3).swapaxes(1, 2)
    return list(grid.reshape(rows * cols, tile, tile, 3))


def from_tiles(tiles: list[np.ndarray], shape: tuple) -> np.ndarray:
    """The image of `shape` that `to_tiles` cut into `tiles`, put back together."""
    tile = tiles[0].shape[0]
    rows, cols = shape[0] // tile, shape[1] // tile
    return np.stack(tiles).reshape(rows, cols, tile, tile, 3).swapaxes(1, 2).reshape(shape)


def check_size(size) -> int:
    """`size` (the working scale, in pixels) checked against MIN_SIZE..MAX_SIZE."""
    return check_number("size", size, MIN_SIZE, MAX_SIZE, " (pixels)")


def check_painted_size(size, model) -> int:
    """`size` checked (`check_size`), and checked against the size `model` will really paint.

    A generator trained with the paper's jitter paints at its `training_zoom`
    (see `stylize`): the shipped one at 286/256 of the size asked. So its
    largest `size` is not MAX_SIZE but the largest whose zoomed side stays
    within it (3666 for 286/256). Checked once, before any image is painted,
    the error says so in the option's terms, not of the n-th image.
    """
    size = check_size(size)
    zoom = getattr(model, "training_zoom", 1.0)
    if round(size * zoom) > MAX_SIZE:
        largest = min(MAX_SIZE, math.floor(MAX_SIZE / zoom + 0.5))
        while largest > 0 and round(largest * zoom) > MAX_SIZE:  # the side stylize paints is round(size * zoom)
            largest -= 1
        raise ValueError(
            f"size (--size) must be at most {largest} for this model (it paints at {zoom_text(zoom)} of the "
            f"size asked, and at most {MAX_SIZE}), got {size}"
        )
    return size


def zoom_text(zoom: float) -> str:
    """A zoom as the generators' own scale says it: 286/256 (they learnt at 256)."""
    return f"{round(zoom * 256)}/256"


def through_grid(images: list, paint, multiple: int, fixed: bool, smallest: int) -> list:
    """Each image painted by `paint` (a list of arrays -> their paintings, in order) at a side the network
    takes: padded by mirroring to multiples of `multiple` (and at least `smallest`), cut into `multiple`-sided
    tiles if the network takes that one size only (`fixed`), and put back and cropped to the image's own size."""
    pieces, layouts = [], []  # what goes through the network, and how to put each image back together
    for image in images:
        padded, box = reflect_pad(image, multiple, smallest)
        tiles = to_tiles(padded, multiple) if fixed else [padded]
        layouts.append((box, padded.shape, len(tiles)))
        pieces.extend(tiles)
    outputs = iter(paint(pieces))
    results = []
    for box, padded_shape, n_tiles in layouts:
        tiles = [next(outputs) for _ in range(n_tiles)]
        full = from_tiles(tiles, padded_shape) if fixed else tiles[0]
        (top, bottom), (left, right) = box
        results.append(full[top:bottom, left:right])
    return results
