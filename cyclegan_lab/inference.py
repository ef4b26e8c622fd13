"""Use a trained generator: turn photos of any size into Monet paintings.

A U-Net halves the image once per encoder level and doubles it back, then
joins each decoder output to the encoder output of the same size. That only
lines up when the height and width divide by 2 once per level: by 128 for
the shipped model (7 levels), by 256 for the lab's. So each image is padded
by reflection (mirroring its own border, which looks like more of the photo,
unlike a black frame) up to the next multiple, run through the network, and
cropped back. A model whose saved signature takes one fixed size only (the
original lab's generator) gets the padded image in tiles of that size.

    from cyclegan_lab.pretrained import load_pretrained
    from cyclegan_lab.inference import stylize, stylize_file

    model = load_pretrained("monet")
    stylize_file("holiday.jpg", model).save("holiday_monet.png")
    paintings = stylize(photos, model)  # uint8 in, uint8 out, same shapes
    stylize_files(["holiday/", "beach.jpg"], "paintings/")  # what `cyclegan-lab stylize` does

`stylize_files` never overwrites a file: each painting gets the first free
name of `<name>_monet.png`, `<name>_monet-2.png`, ... A file that cannot be
painted is named and skipped; the others are painted.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image, ImageOps

from . import files as file_tools
from .data import image_files, normalize, to_rgb, to_uint8
from .pretrained import MODELS, load_pretrained

KEEP = ("aspect", "size", "square")
# The working scale's bounds. Below 16 pixels a painting shows no brush strokes at all. Above 4096 (16 times
# the 256 the generators learnt at) the strokes are too small to see, while time and memory grow with the
# pixel count: a 4096 x 4096 pass already needs several GB. For a photo's own size, use keep="size".
MIN_SIZE, MAX_SIZE = 16, 4096
MAX_BATCH = 1024
UNKNOWN_MULTIPLE = 256  # for a SavedModel of unknown depth that takes any size: safe for the lab's 8 levels


def check_number(name: str, value, low: int, high: int, unit: str = "") -> int:
    """`value` as an int if it is a whole number from `low` to `high`; else ValueError saying so.

    The Python functions and the command line share this check, so `size=0`
    and `--size 0` get the same answer.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}{unit}, got {value!r}")
    return int(value)


def check_size(size) -> int:
    """`size` (the working scale, in pixels) checked against MIN_SIZE..MAX_SIZE."""
    return check_number("size", size, MIN_SIZE, MAX_SIZE, " (pixels)")


def as_model(model) -> keras.Model:
    """A generator from what the user passed: a Keras model, a pretrained name like "monet", or None (monet)."""
    if model is None or isinstance(model, str):
        return load_pretrained(model or "monet")
    if not callable(getattr(model, "predict_on_batch", None)):
        raise ValueError(f"model must be a Keras generator or the name of a pretrained one "
                         f"({', '.join(MODELS)}), got {type(model).__name__}")
    return model


def stylize(images, model: keras.Model | str | None = None, size: int | None = 256, batch_size: int = 8):
    """Monet versions of uint8 RGB images, each the same shape as its photo.

    `images` is one (h, w, 3) array, an (n, h, w, 3) array, or a list of
    (h, w, 3) arrays of different sizes; you get back the same kind.
    `model` is a generator, or the name of a pretrained one (default
    ``"monet"``; pass a loaded model when calling often: loading takes a moment).

    `size` is the scale the network works at: each image is resized so its
    shorter side is `size` (the generators learnt brush strokes on 256x256
    images), stylised, and resized back. ``size=None`` works at each image's
    own size: sharper for big photos, but memory and time grow with the
    pixel count. `size` is checked (MIN_SIZE to MAX_SIZE). Images of the
    same shape go through the network `batch_size` at a time.
    """
    items, kind = _as_list(images)
    size = None if size is None else check_size(size)
    batch_size = check_number("batch_size", batch_size, 1, MAX_BATCH)
    model = as_model(model)
    work = [_resize_shorter(image, size) if size else image for image in items]
    multiple, fixed = network_grid(model)
    pieces, layouts = [], []  # what goes through the network, and how to put each image back together
    for image in work:
        padded, box = _reflect_pad(image, multiple)
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


def stylize_file(path, model: keras.Model | None = None, size: int = 256, keep: str = "aspect") -> Image.Image:
    """Read any image file and return its Monet version as an RGB PIL image.

    The file is turned upright (EXIF orientation) and converted to RGB
    (grayscale, palette, CMYK, 16-bit; transparency laid over white).
    `keep` chooses the output's size:

    * ``"aspect"`` (default): shorter side `size`, aspect ratio kept;
    * ``"size"``: the file's own size; the network runs at full resolution,
      so a 12-megapixel photo needs several GB of memory and many seconds
      (minutes on a small CPU), where "aspect" at 256 takes a fraction of a second;
    * ``"square"``: the centre `size` x `size` square, as the training data was cut.

    Raises ValueError naming the file when it is not a readable image.
    """
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {', '.join(KEEP)}, got {keep!r}")
    size = check_size(size)
    try:
        with Image.open(path) as opened:
            image = to_rgb(ImageOps.exif_transpose(opened))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path} is not a readable image ({error})") from error
    if keep == "aspect":
        image = _resize_pil(image, size)
    elif keep == "square":
        image = ImageOps.fit(image, (size, size), method=Image.Resampling.BICUBIC)
    painted = stylize(np.asarray(image, dtype=np.uint8), model, size=None, batch_size=1)
    return Image.fromarray(painted, "RGB")


@dataclass
class StylizeResult:
    """What `stylize_files` did: the paintings really written, and each input it could not paint, with why."""

    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    renamed: int = 0  # paintings written under -2, -3, ... because their usual name was taken


def find_images(inputs) -> tuple[list[Path], list[Path], list[Path]]:
    """The files named, and those inside the folders named (each once, hidden ones skipped).

    Returns (files, missing, subfolders): the paths that do not exist and
    the subfolders that were not searched, so the caller can say so.
    """
    found, missing, subfolders, seen = [], [], [], set()
    for name in inputs:
        path = Path(name)
        if not path.exists():
            missing.append(path)
            continue
        if path.is_dir():
            subfolders += sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
        for file in image_files(path) if path.is_dir() else [path]:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                found.append(file)
    return found, missing, subfolders


def painting_names(files: list[Path], out_dir, taken=()) -> list[Path]:
    """`out_dir/<stem>_monet.png` for each file, every one different from the others and from `taken`.

    A name already planned or taken (compared without case, as macOS and
    Windows do) becomes `<stem>_monet-2.png`, then -3, ...: checking each
    planned name against all others is what makes clashes impossible, whatever
    the input names (`a.jpg` in two folders, or `a.jpg` beside `a-2.jpg`).
    """
    used = {name.lower() for name in taken}
    return [Path(out_dir) / _free_name(Path(file).stem, used) for file in files]


def _free_name(stem: str, used: set) -> str:
    """The first of `<stem>_monet.png`, `<stem>_monet-2.png`, ... not in `used` (which it joins)."""
    number = 1
    while True:
        name = f"{stem}_monet.png" if number == 1 else f"{stem}_monet-{number}.png"
        if name.lower() not in used:
            used.add(name.lower())
            return name
        number += 1


def stylize_files(inputs, out_dir, model: keras.Model | str | None = "monet", size: int = 256,
                  keep: str = "aspect", progress: bool = True) -> StylizeResult:
    """Paint every image file named in `inputs` or inside the folders named; returns what was written.

    Each painting goes to `out_dir/<name>_monet.png` (see `stylize_file` for
    `size` and `keep`), or the next free name: an existing file is never
    overwritten, and each file is written whole or not at all. Before any
    painting, `out_dir` is created and checked writable, and leftovers of a
    killed earlier run there are removed. A missing path or an unreadable
    image is named on stderr and skipped; subfolders are not searched, and
    named too. Raises ValueError when there is nothing at all to paint, and
    `files.FolderNotWritableError` when `out_dir` cannot be written.
    """
    from tqdm import tqdm

    check_size(size)
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {', '.join(KEEP)}, got {keep!r}")
    say = (lambda text: tqdm.write(text, file=sys.stderr)) if progress else (lambda text: print(text, file=sys.stderr))
    found, missing, subfolders = find_images(inputs)
    result = StylizeResult(failed=[(path, "no such file or folder") for path in missing])
    for path in missing:
        say(f"skipped: no such file or folder: {path}")
    if subfolders:
        say(f"note: subfolders are not searched: {', '.join(map(str, subfolders))} (name them to paint their images)")
    if not found:
        raise ValueError(f"Nothing to paint: no files found in {', '.join(map(str, inputs))}")

    out_dir = file_tools.check_writable(out_dir, "output folder")
    for leftover in file_tools.remove_leftovers(out_dir):
        say(f"Removed {leftover.name}, the leftover of a painting that was interrupted.")
    model = as_model(model)
    used = {p.name.lower() for p in out_dir.iterdir()}
    with tqdm(total=len(found), desc="Painting", unit="image", file=sys.stderr, disable=not progress) as bar:
        for file in found:
            try:
                painting = stylize_file(file, model, size=size, keep=keep)
                target = _write_new(painting, file, out_dir, used)
                result.written.append(target)
                result.renamed += target.name.lower() != f"{file.stem}_monet.png".lower()
            except (ValueError, OSError, MemoryError, tf.errors.ResourceExhaustedError) as error:
                reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                result.failed.append((file, reason))
                say(f"skipped: {reason if str(file) in reason else f'{file}: {reason}'}")
            bar.update(1)
    return result


def _write_new(painting: Image.Image, file: Path, out_dir: Path, used: set) -> Path:
    """Save `painting` as PNG under the first free name for `file`; never replaces a file."""
    while True:
        target = out_dir / _free_name(file.stem, used)
        try:
            return file_tools.atomic_write(target, lambda out: painting.save(out, format="PNG"), overwrite=False)
        except FileExistsError:  # appeared since we looked (another program): take the next name
            continue


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
    halvings = sum(1 for layer in _all_layers(model)
                   if isinstance(layer, keras.layers.Conv2D) and max(layer.strides) == 2)
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
        raise ValueError(f"images must be an (h, w, 3) or (n, h, w, 3) uint8 array or a list of (h, w, 3) arrays, "
                         f"got {type(images).__name__} {getattr(images, 'shape', '')}")
    if not items:
        raise ValueError("stylize got no images (an empty list or batch); pass at least one image")
    for i, image in enumerate(items):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
            raise ValueError(f"image {i} is {image.dtype} {image.shape}; expected uint8 RGB (h, w, 3) "
                             "(convert others with data.to_rgb, or data.to_uint8 for [-1, 1] floats)")
    return items, kind


def _resize_pil(image: Image.Image, size: int) -> Image.Image:
    """`image` scaled so its shorter side is `size`, aspect ratio kept."""
    width, height = image.size
    scale = size / min(width, height)
    new = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image if new == image.size else image.resize(new, Image.Resampling.BICUBIC)


def _resize_shorter(image: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(_resize_pil(Image.fromarray(image), size))


def _reflect_pad(image: np.ndarray, multiple: int) -> tuple[np.ndarray, tuple]:
    """Pad to the next multiple on each side (half before, half after) by mirroring.

    Returns the padded image and ((top, bottom), (left, right)), where the
    original sits in it.
    """
    pads = []
    for side in image.shape[:2]:
        extra = math.ceil(side / multiple) * multiple - side
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
            chunk = indices[start:start + max(1, batch_size)]
            batch = normalize(np.stack([pieces[i] for i in chunk]))
            painted = to_uint8(model.predict_on_batch(batch))
            for i, image in zip(chunk, painted):
                outputs[i] = image
    return outputs
