"""Paint whole files and folders: what `cyclegan-lab stylize` does, as one Python call.

    from cyclegan_lab.program.paint_files import stylize_files

    result = stylize_files(["holiday/", "beach.jpg"], "paintings/")  # model: "monet" by default
    print(result.written, result.failed)

Each image file named, or inside a folder named, goes through
`stylize_file` and is saved as `<name>_monet.png`. Nothing is ever
lost: no file is overwritten (a name already taken becomes
`<name>_monet-2.png`, `-3`, ...), each painting is written whole or not at all
(`files.atomic_write`), and a file that cannot be painted is named and
skipped while the others are painted. So is a folder that cannot be read, and
anything that is not a regular file (a FIFO, a device, a socket), which is
never opened: opening a FIFO waits for a writer forever.
"""

from __future__ import annotations

import errno
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf
from PIL import Image, ImageOps
from tqdm import tqdm

from ..inference import as_model, stylize
from ..plumbing import files as file_tools
from ..plumbing.image_reading import open_image, special_file
from ..plumbing.tiles import check_painted_size, check_pixels, check_size, resize_pil, shorter_side_to, zoom_text
from .checkpoint_reading import as_generator

__all__ = [
    "KEEP",
    "check_keep",
    "stylize_file",
    "StylizeResult",
    "PAINTING_NAME",
    "FoundImages",
    "find_images",
    "say_skipped",
    "painting_names",
    "stylize_files",
]

KEEP = ("aspect", "size", "square")  # what of an image's shape its painting keeps (`stylize_file`)


def check_keep(keep: str) -> str:
    """`keep` (what of the image's shape to keep), if it is one of KEEP; else one ValueError."""
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {', '.join(KEEP)}, got {keep!r}")
    return keep


def stylize_file(path, model: keras.Model, size: int = 256, keep: str = "aspect") -> Image.Image:
    """Read any image file and return its Monet version as an RGB PIL image.

    The file is opened by `plumbing.image_reading.open_image`: turned upright (EXIF orientation)
    and converted to RGB (grayscale, palette, CMYK, 16-bit; transparency laid over white).
    `keep` chooses the output's size:

    * ``"aspect"`` (default): shorter side `size`, aspect ratio kept;
    * ``"size"``: the file's own size; the network runs at full resolution,
      so a 12-megapixel photo needs several GB of memory and many seconds
      (minutes on a small CPU), where "aspect" at 256 takes a fraction of a second;
    * ``"square"``: the centre `size` x `size` square, as the training data was cut.

    Raises ValueError naming the file when it is not a readable image, or
    when its painting would be over MAX_PIXELS; and ValueError, before the
    file is opened, when `size` is more than `model` paints (`check_painted_size`).
    """
    check_keep(keep)
    size = check_size(size)
    model = as_model(model)
    if keep != "size":
        check_painted_size(size, model)
    zoom = getattr(model, "training_zoom", 1.0)
    painted_at = f", painted at {zoom_text(zoom)} of that," if zoom != 1 else ""
    image = open_image(path)
    if keep == "aspect":
        height, width = _painted_shape(image.height, image.width, size, zoom)
        check_pixels(
            width, height, f"{path} at size {size} with keep aspect{painted_at}", "use keep square or a smaller size"
        )
        image = resize_pil(image, size)
    elif keep == "size":
        height, width = _painted_shape(image.height, image.width, min(image.size), zoom)
        check_pixels(width, height, f"{path} at its own size{painted_at}", "use keep aspect (the default)")
    elif keep == "square":
        image = ImageOps.fit(image, (size, size), method=Image.Resampling.BICUBIC)
    painted = stylize(np.asarray(image, dtype=np.uint8), model, size=None, batch_size=1)
    return Image.fromarray(painted, "RGB")


def _painted_shape(height: int, width: int, size: int, zoom: float) -> tuple[int, int]:
    """(height, width) that `stylize` paints a picture at: shorter side `size`, then zoomed (its `sides`)."""
    height, width = shorter_side_to(height, width, size)
    return shorter_side_to(height, width, round(min(height, width) * zoom))


@dataclass
class StylizeResult:
    """What `stylize_files` did: the paintings really written, and each input it could not paint, with why."""

    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    renamed: int = 0  # paintings written under -2, -3, ... because their usual name was taken


PAINTING_NAME = re.compile(r".+_monet(-\d+)?\.png$", re.IGNORECASE)  # what _free_name writes


class FoundImages(NamedTuple):
    """What `find_images` found: the files to paint, the inputs skipped (with why), and the subfolders
    not searched and the folders searched (so the caller can say so)."""

    files: list[Path]
    skipped: list[tuple[Path, str]]
    subfolders: list[Path]
    folders: list[Path]


def find_images(inputs) -> FoundImages:
    """The regular files named, and those inside the folders named (each once, hidden ones skipped).

    Nothing is opened here. An input that does not exist, a folder that cannot
    be listed (no permission), and anything that is not a regular file (a FIFO,
    a device, a socket), named or inside a folder, is returned in `skipped` with
    why; subfolders are not searched, and returned too.
    """
    found, skipped, subfolders, folders, seen = [], [], [], [], set()

    def add(file: Path) -> None:
        if file.resolve() not in seen:
            seen.add(file.resolve())
            found.append(file)

    for name in inputs:
        path = Path(name)
        try:
            kind = special_file(path)
        except OSError as error:
            skipped.append((path, _why(error)))
            continue
        if kind is None:
            add(path)
        elif kind != "a folder":
            skipped.append((path, f"{kind}, not an image file"))
        else:
            try:
                entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            except OSError as error:  # a folder it may not read
                skipped.append((path, f"cannot read this folder ({_reason(error)})"))
                continue
            folders.append(path)
            for entry in entries:
                try:
                    kind = special_file(entry)
                except OSError as error:  # a broken link, or gone since the listing
                    if entry.is_symlink() or error.errno != errno.ENOENT:
                        skipped.append((entry, _why(error, link=entry.is_symlink())))
                    continue
                if kind is None:
                    add(entry)
                elif kind == "a folder":
                    subfolders.append(entry)
                else:
                    skipped.append((entry, f"{kind}, not an image file"))
    return FoundImages(found, skipped, subfolders, folders)


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def _why(error: OSError, link: bool = False) -> str:
    """Why a path that cannot be looked at is skipped, in a few words."""
    if error.errno == errno.ENOENT:
        return "a link to a file that does not exist" if link else "no such file or folder"
    return f"cannot be read ({_reason(error)})"


def say_skipped(say, skipped: list[tuple[Path, str]]) -> None:
    """One line for each input `find_images` skipped."""
    for path, why in skipped:
        say(f"skipped: {why}: {path}" if why == "no such file or folder" else f"skipped: {path}: {why}")


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


def stylize_files(
    inputs,
    out_dir,
    model: keras.Model | str | None = "monet",
    size: int = 256,
    keep: str = "aspect",
    progress: bool = True,
) -> StylizeResult:
    """Paint every image file named in `inputs` or inside the folders named; returns what was written.

    `model` is a generator, a pretrained model's name or a checkpoint file or
    folder (see `checkpoint_reading.as_generator`); it is loaded only once the inputs and
    `out_dir` are checked. Each painting goes to `out_dir/<name>_monet.png` (see `stylize_file` for
    `size` and `keep`), or the next free name: an existing file is never
    overwritten, and each file is written whole or not at all. Before any
    painting, `out_dir` is created and checked writable, and leftovers of a
    killed earlier run there are removed. A missing path, a folder it may not
    read, anything that is not a regular file (a FIFO, a device: never opened)
    and an unreadable image are named on stderr and skipped; subfolders are not
    searched, and named too. Raises ValueError when there is nothing at all to paint or `size`
    is more than the model paints (`plumbing.tiles.check_painted_size`), and
    `files.FolderNotWritableError` when `out_dir` cannot be written.
    """
    check_size(size)
    check_keep(keep)
    say = (lambda text: tqdm.write(text, file=sys.stderr)) if progress else (lambda text: print(text, file=sys.stderr))
    found, skipped, subfolders, folders = find_images(inputs)
    result = StylizeResult(failed=list(skipped))
    say_skipped(say, skipped)
    if subfolders:
        say(f"note: subfolders are not searched: {', '.join(map(str, subfolders))} (name them to paint their images)")
    out_dir = Path(out_dir)
    scanned = {folder.resolve() for folder in folders}  # folders searched, not files named
    ours = [
        f
        for f in found
        if out_dir.resolve() in scanned and f.parent.resolve() == out_dir.resolve() and PAINTING_NAME.match(f.name)
    ]
    if ours:  # the output folder is an input too: its paintings are not photos to paint again
        say(
            f"note: skipped {len(ours)} painting{'s' * (len(ours) != 1)} this command wrote in {out_dir} "
            "(the output folder is also an input)"
        )
        found = [f for f in found if f not in ours]
    if not found:
        raise ValueError(f"Nothing to paint: no files found in {', '.join(map(str, inputs))}")

    out_dir = file_tools.check_writable(out_dir, "output folder")
    for leftover in file_tools.remove_leftovers(out_dir):
        say(f"Removed {leftover.name}, the leftover of a painting that was interrupted.")
    model = as_generator(model)
    if keep != "size":  # once, here, not once for each file: the size is the same for all
        check_painted_size(size, model)
    used = {p.name.lower() for p in out_dir.iterdir()}
    with tqdm(total=len(found), desc="Painting", unit="image", file=sys.stderr, disable=not progress) as bar:
        for file in found:
            try:
                painting = stylize_file(file, model, size=size, keep=keep)
                target = _write_new(painting, file, out_dir, used)
                result.written.append(target)
                result.renamed += target.name.lower() != f"{file.stem}_monet.png".lower()
            except (ValueError, OSError, MemoryError, tf.errors.OpError) as error:  # any TensorFlow failure too
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
