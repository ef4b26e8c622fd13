"""From the course to the competition: paint every photo into one `images.zip` for Kaggle.

Kaggle's "I'm Something of a Painter Myself" asks for 7,000 to 10,000
Monet-style images, 256x256 JPEGs, in one `images.zip`, and ranks them by
MiFID (`scores.mifid`). `write_submission` paints each photo (its centre
square, at 256x256) with a generator and streams the JPEG straight into
the zip: no folder of thousands of temporary files, and memory stays that of
one batch. The zip is written under a temporary name and takes its own only
when complete, so an interrupted run never leaves an `images.zip` that looks
finished. Members are numbered (`00001.jpg`, ...), so names cannot collide.

    cyclegan-lab submission photo_jpg/ -o images.zip                 # the shipped generator
    cyclegan-lab submission photo_jpg/ -o images.zip --model checkpoints/lab
"""

from __future__ import annotations

import io
import re
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image
from tqdm import tqdm

from ..images import load_image
from ..inference import stylize
from ..plumbing import files as file_tools
from .checkpoint_reading import as_generator
from .paint_files import find_images, say_skipped

__all__ = ["SIZE", "KAGGLE_COUNT", "BATCH", "SubmissionResult", "write_submission", "is_submission"]

SIZE = 256  # the competition's image size
KAGGLE_COUNT = (7_000, 10_000)  # how many images the competition accepts
BATCH = 16  # photos painted at once


@dataclass
class SubmissionResult:
    """What `write_submission` wrote: the zip, how many paintings, and each input it skipped, with why."""

    path: Path
    count: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def megabytes(self) -> float:
        return self.path.stat().st_size / 1e6


def write_submission(inputs, out_zip, model=None, progress: bool = True, quality: int = 95) -> SubmissionResult:
    """Paint every image file of `inputs` (files or folders) into the zip `out_zip` as 256x256 JPEGs.

    `model` is a generator, a pretrained name or a checkpoint (see
    `checkpoint_reading.as_generator`; default: the shipped one). Files that are not
    readable images, folders it may not read and anything that is not a
    regular file (a FIFO, a device: never opened) are named on stderr and
    skipped. Says so when the count is outside what Kaggle accepts. Raises ValueError when there is nothing
    to paint, when `out_zip` is a folder or a file that is not a submission (a zip of numbered JPEGs, as this
    writes: nothing else is ever replaced), and when no file could be painted (then nothing is written). An
    existing submission at `out_zip` is replaced only once the new one is whole.
    """
    say = (lambda text: tqdm.write(text, file=sys.stderr)) if progress else (lambda text: print(text, file=sys.stderr))
    found, skipped, _, _ = find_images(inputs)
    result = SubmissionResult(Path(out_zip), failed=list(skipped))
    say_skipped(say, skipped)
    if not found:
        raise ValueError(f"Nothing to paint: no files found in {', '.join(map(str, inputs))}")
    if result.path.is_dir():
        raise ValueError(f"{result.path} is a folder: name the zip to write, e.g. {result.path / 'images.zip'}")
    if result.path.exists() and not is_submission(result.path):
        raise ValueError(
            f"{result.path} exists and is not a submission zip (numbered JPEGs); it is left alone. "
            "Name a new file, or move that one away first."
        )
    file_tools.check_writable(result.path.parent, "output folder")
    for leftover in file_tools.remove_leftovers(result.path.parent):
        say(f"Removed {leftover.name}, the leftover of a submission that was interrupted.")
    model = as_generator(model)
    start = time.perf_counter()

    def fill(file) -> None:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:  # JPEGs do not compress
            with tqdm(total=len(found), desc="Painting", unit="photo", file=sys.stderr, disable=not progress) as bar:
                for first in range(0, len(found), BATCH):
                    squares = []
                    for path in found[first : first + BATCH]:
                        try:
                            squares.append(load_image(path, SIZE))  # the centre square, upright, RGB
                        except (ValueError, OSError, MemoryError) as error:
                            result.failed.append((path, str(error).splitlines()[0]))
                            say(f"skipped: {result.failed[-1][1]}")
                    if squares:
                        for painting in stylize(np.stack(squares), model, size=None, batch_size=BATCH):
                            result.count += 1
                            archive.writestr(f"{result.count:05d}.jpg", _jpeg(painting, quality))
                    bar.update(len(found[first : first + BATCH]))
        if not result.count:
            raise _NothingPaintedError

    try:
        file_tools.atomic_write(result.path, fill)
    except tf.errors.OpError as error:  # the generator itself failed: nothing is written
        raise ValueError(f"The generator could not paint: {error.message.splitlines()[0]}") from error
    except _NothingPaintedError:
        raise ValueError(
            f"None of the {len(found)} files could be painted (named above): nothing was written{_kept(result.path)}."
        ) from None
    except OSError as error:  # the disk filled up while writing: the half-written zip is dropped
        raise ValueError(
            f"Could not write {result.path} ({error.strerror or error}): nothing was written{_kept(result.path)}."
        ) from error
    result.seconds = time.perf_counter() - start
    low, high = KAGGLE_COUNT
    if not low <= result.count <= high:
        say(
            f"warning: {result.count:,} images; the competition accepts {low:,} to {high:,} "
            "(Kaggle's photo_jpg folder has 7,038 photos)"
        )
    return result


def _kept(path: Path) -> str:
    return f"; the {path.name} already there is untouched" if path.exists() else ""


class _NothingPaintedError(Exception):
    """No input could be painted: the zip being written is dropped."""


def is_submission(path: Path) -> bool:
    """Is `path` a zip whose members are all numbered JPEGs (00001.jpg, ...), as `write_submission` writes?"""
    try:
        with zipfile.ZipFile(path) as archive:
            return all(re.fullmatch(r"\d{5}\.jpg", name) for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _jpeg(painting: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(painting, "RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
