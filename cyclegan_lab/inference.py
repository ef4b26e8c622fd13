"""Use a trained generator: turn photos of any size into Monet paintings.

A generator halves the image with stride-2 convolutions and doubles it back:
the lab's U-Net 8 times, joining each decoder output to the encoder output
of the same size; the paper's ResNet once or twice. That only lines up when
the height and width divide by 2 that many times: by 256 for the lab's
U-Net, by 2 or 4 for a ResNet. So each image is padded
by reflection (mirroring its own border, which looks like more of the photo,
unlike a black frame) up to the next multiple, run through the network, and
cropped back. A model whose saved signature takes one fixed size only (the
original lab's generator) gets the padded image in tiles of that size.

    from cyclegan_lab import load_generator, stylize

    model = load_generator("monet")  # or "original-50-epochs", or a checkpoint file or folder
    paintings = stylize(photos, model)  # uint8 in, uint8 out, same shapes

To paint an image file, or whole folders of them as `cyclegan-lab stylize`
does, see `program.paint_files` (`stylize_file`, `stylize_files`).
"""

from __future__ import annotations

import math
import os
from collections import defaultdict

import keras
import numpy as np
from PIL import Image

from .images import normalize, to_uint8
from .models import ReflectionPadding
from .plumbing.checks import check_number

# The working scale's bounds. Below 16 pixels a painting shows no brush strokes at all. Above 4096 (16 times
# the 256 the generators learnt at) the strokes are too small to see, while time and memory grow with the
# pixel count: a 4096 x 4096 pass already needs several GB. For a photo's own size, use keep="size".
MIN_SIZE, MAX_SIZE = 16, 4096
# The largest picture one pass paints: 4096 x 4096 pixels' worth, whatever its shape (a 1000x2 strip at
# --keep aspect would otherwise become 128000x256 and exhaust the memory).
MAX_PIXELS = MAX_SIZE * MAX_SIZE
MAX_BATCH = 1024
UNKNOWN_MULTIPLE = 256  # for a SavedModel of unknown depth that takes any size: safe for the lab's 8 levels


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


def as_model(model) -> keras.Model:
    """`model`, checked to be a generator (anything with `predict_on_batch`, as a Keras model has).

    A name, a path or None is one ValueError saying how to load a generator
    first: `stylize` paints with a model, it does not fetch one.
    """
    if callable(getattr(model, "predict_on_batch", None)):
        return model
    if model is None or isinstance(model, (str, os.PathLike)):
        raise ValueError(
            f"model must be a loaded generator, got {'None' if model is None else repr(str(model))}: load one first, "
            'e.g. model = load_pretrained("monet") (the shipped one) or model = load_generator(path) (a training '
            "run's checkpoint file or folder), both from cyclegan_lab"
        )
    raise ValueError(f"model must be a Keras generator (with predict_on_batch), got {type(model).__name__}")


def stylize(images, model: keras.Model, size: int | None = 256, batch_size: int = 8):
    """Monet versions of uint8 RGB images, each the same shape as its photo.

    `images` is one (h, w, 3) array, an (n, h, w, 3) array, or a list of
    (h, w, 3) arrays of different sizes; you get back the same kind.
    `model` is a loaded generator: ``load_pretrained("monet")`` for the
    shipped one, ``load_generator(path)`` for a training run's (see `as_model`).

    `size` is the scale the network works at: each image is resized so its
    shorter side is `size` (the generators learnt brush strokes on 256x256
    images), stylised, and resized back. ``size=None`` works at each image's
    own size: sharper for big photos, but memory and time grow with the
    pixel count. `size` is checked (MIN_SIZE to MAX_SIZE, and what the model
    paints of it, `check_painted_size`). Images of the same shape go through
    the network `batch_size` at a time.

    A generator trained with the paper's jitter saw every scene enlarged
    256 -> 286 (its `training_zoom`, see `TrainConfig.training_zoom`), so it
    paints at that zoom too: a 256 photo goes through the network at 286 and
    comes back at 256. Its brush strokes then have the size it learnt them
    at; painted at 256 they come out coarser, and the shipped generator's
    paintings further from Monet's (pretrained/MODEL_CARD.md measures both).
    Set ``model.training_zoom = 1.0`` to paint at `size` itself.
    """
    items, kind = _as_list(images)
    size = None if size is None else check_size(size)
    batch_size = check_number("batch_size", batch_size, 1, MAX_BATCH)
    model = as_model(model)
    size = None if size is None else check_painted_size(size, model)  # once, for all images
    zoom = getattr(model, "training_zoom", 1.0)
    sides = [round((size or min(image.shape[:2])) * zoom) for image in items]  # each one's shorter side at work
    for i, (image, side) in enumerate(zip(items, sides)):
        height, width = shorter_side_to(image.shape[0], image.shape[1], side)
        check_pixels(width, height, f"image {i}", "crop it, or pass a smaller size")
    work = [_resize_shorter(image, side) for image, side in zip(items, sides)]
    multiple, fixed = network_grid(model)
    mirrors = any(isinstance(layer, ReflectionPadding) for layer in _all_layers(model))
    smallest = 2 * multiple if mirrors and not fixed else multiple  # the deepest map must keep 2 pixels to mirror
    pieces, layouts = [], []  # what goes through the network, and how to put each image back together
    for image in work:
        padded, box = _reflect_pad(image, multiple, smallest)
        tiles = _to_tiles(padded, multiple) if fixed else [padded]
        layouts.append((box, padded.shape, len(tiles)))
        pieces.extend(tiles)
    outputs = iter(_run(model, pieces, batch_size))
    results = []
    for (box, padded_shape, n_tiles), original in zip(layouts, items):
        tiles = [next(outputs) for _ in range(n_tiles)]
        full = _from_tiles(tiles, padded_shape) if fixed else tiles[0]
        (top, bottom), (left, right) = box
        painted = full[top:bottom, left:right]
        if painted.shape != original.shape:  # worked at another scale: back to the photo's size
            painted = np.asarray(Image.fromarray(painted).resize(original.shape[1::-1], Image.Resampling.BICUBIC))
        results.append(painted)
    return results[0] if kind == "one" else np.stack(results) if kind == "array" else results


def check_pixels(width: int, height: int, what: str, advice: str) -> None:
    """ValueError if a `width` x `height` picture is over MAX_PIXELS, naming `what` and what to do."""
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"{what} would be {width}x{height} pixels ({width * height / 1e6:.1f} megapixels), over the "
            f"{MAX_PIXELS / 1e6:.1f}-megapixel limit of one painting: {advice}"
        )


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
        1 for layer in _all_layers(model) if isinstance(layer, keras.layers.Conv2D) and max(layer.strides) == 2
    )
    return 2**halvings, False


def _all_layers(layer):
    yield layer
    for inner in getattr(layer, "layers", None) or []:
        yield from _all_layers(inner)


def _as_list(images) -> tuple[list[np.ndarray], str]:
    """The images as a list of (h, w, 3) uint8 arrays, and what kind of input they came as."""
    if isinstance(images, np.ndarray) and images.ndim in (3, 4):
        kind, items = ("one", [images]) if images.ndim == 3 else ("array", list(images))
    elif isinstance(images, (list, tuple)):
        kind, items = "list", [np.asarray(image) for image in images]
    else:
        raise ValueError(
            f"images must be an (h, w, 3) or (n, h, w, 3) uint8 array or a list of (h, w, 3) arrays, "
            f"got {type(images).__name__} {getattr(images, 'shape', '')}"
        )
    if not items:
        raise ValueError("stylize got no images (an empty list or batch); pass at least one image")
    for i, image in enumerate(items):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
            raise ValueError(
                f"image {i} is {image.dtype} {image.shape}; expected uint8 RGB (h, w, 3) "
                "(convert others with images.to_rgb, or images.to_uint8 for [-1, 1] floats)"
            )
    return items, kind


def shorter_side_to(height: int, width: int, size: int) -> tuple[int, int]:
    """(height, width) scaled so the shorter side is `size`, aspect ratio kept."""
    scale = size / min(width, height)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_pil(image: Image.Image, size: int) -> Image.Image:
    """`image` scaled so its shorter side is `size`, aspect ratio kept."""
    height, width = shorter_side_to(image.height, image.width, size)
    return image if (width, height) == image.size else image.resize((width, height), Image.Resampling.BICUBIC)


def _resize_shorter(image: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(resize_pil(Image.fromarray(image), size))


def _reflect_pad(image: np.ndarray, multiple: int, smallest: int = 1) -> tuple[np.ndarray, tuple]:
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


def _to_tiles(image: np.ndarray, tile: int) -> list[np.ndarray]:
    rows, cols = image.shape[0] // tile, image.shape[1] // tile
    grid = image.reshape(rows, tile, cols, tile, 3).swapaxes(1, 2)
    return list(grid.reshape(rows * cols, tile, tile, 3))


def _from_tiles(tiles: list[np.ndarray], shape: tuple) -> np.ndarray:
    tile = tiles[0].shape[0]
    rows, cols = shape[0] // tile, shape[1] // tile
    return np.stack(tiles).reshape(rows, cols, tile, tile, 3).swapaxes(1, 2).reshape(shape)


def _run(model: keras.Model, pieces: list[np.ndarray], batch_size: int) -> list[np.ndarray]:
    """The network's uint8 output for each piece, in order; pieces of one shape share batches.

    `predict_on_batch` runs a compiled (tf.function) call, traced once per
    new shape, not the slow layer-by-layer eager call.
    """
    by_shape = defaultdict(list)
    for index, piece in enumerate(pieces):
        by_shape[piece.shape].append(index)
    outputs: list[np.ndarray | None] = [None] * len(pieces)
    for indices in by_shape.values():
        for start in range(0, len(indices), max(1, batch_size)):
            chunk = indices[start : start + max(1, batch_size)]
            batch = normalize(np.stack([pieces[i] for i in chunk]))
            painted = to_uint8(model.predict_on_batch(batch))  # refuses NaN: no black paintings
            for i, image in zip(chunk, painted):
                outputs[i] = image
    return outputs
