"""Paint whole files and folders: what `cyclegan-lab stylize` does, as one Python call.

    from cyclegan_lab.machinery.paint_files import stylize_files

    result = stylize_files(["holiday/", "beach.jpg"], "paintings/")  # model: "monet" by default
    print(result.written, result.failed)

Each image file named, or inside a folder named, goes through
`inference.stylize_file` and is saved as `<name>_monet.png`. Nothing is ever
lost: no file is overwritten (a name already taken becomes
`<name>_monet-2.png`, `-3`, ...), each painting is written whole or not at all
(`files.atomic_write`), and a file that cannot be painted is named and
skipped while the others are painted.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import keras
import tensorflow as tf
from PIL import Image
from tqdm import tqdm

from ..images import image_files
from ..inference import as_model, check_keep, check_size, stylize_file
from . import files as file_tools


@dataclass
class StylizeResult:
    """What `stylize_files` did: the paintings really written, and each input it could not paint, with why."""

    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    renamed: int = 0  # paintings written under -2, -3, ... because their usual name was taken


PAINTING_NAME = re.compile(r".+_monet(-\d+)?\.png$", re.IGNORECASE)  # what _free_name writes


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
    folder (see `inference.as_model`); it is loaded only once the inputs and
    `out_dir` are checked. Each painting goes to `out_dir/<name>_monet.png` (see `stylize_file` for
    `size` and `keep`), or the next free name: an existing file is never
    overwritten, and each file is written whole or not at all. Before any
    painting, `out_dir` is created and checked writable, and leftovers of a
    killed earlier run there are removed. A missing path or an unreadable
    image is named on stderr and skipped; subfolders are not searched, and
    named too. Raises ValueError when there is nothing at all to paint, and
    `files.FolderNotWritableError` when `out_dir` cannot be written.
    """
    check_size(size)
    check_keep(keep)
    say = (lambda text: tqdm.write(text, file=sys.stderr)) if progress else (lambda text: print(text, file=sys.stderr))
    found, missing, subfolders = find_images(inputs)
    result = StylizeResult(failed=[(path, "no such file or folder") for path in missing])
    for path in missing:
        say(f"skipped: no such file or folder: {path}")
    if subfolders:
        say(f"note: subfolders are not searched: {', '.join(map(str, subfolders))} (name them to paint their images)")
    out_dir = Path(out_dir)
    scanned = {Path(name).resolve() for name in inputs if Path(name).is_dir()}  # folders searched, not files named
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
    model = as_model(model)
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
