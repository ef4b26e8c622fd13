"""Read a NumPy .npz archive that may be damaged or forged, believing nothing it says before it is checked.

An .npz is a zip file of .npy members, each a header (the array's shape and
type) followed by the array's bytes. `np.load` believes the header: NumPy
takes the memory it declares before it reads a byte, so a forged header asks
for 75 GB, and a member of compressed zeros holds gigabytes in a few
kilobytes. `open_npz` first checks that the file is a zip at all (and not a
single .npy array); `NpzArchive.read` then reads one member only once its
header passes: no pickled Python objects, a declared size of at most the
limit the caller gives, and exactly what the member holds.

What fails raises ValueError with a reason a person can read, or one of the
other errors of `DAMAGE` (a cut-off zip, a broken compressed stream); the
caller says which file it was and what to do.
"""

from __future__ import annotations

import contextlib
import math
import os
import zipfile
import zlib
from collections.abc import Iterator

import numpy as np

from .files import human_size

__all__ = ["DAMAGE", "NpzArchive", "open_npz"]

# What a damaged .npz raises while it is read: a cut-off or overwritten zip, a broken array header, a missing member.
DAMAGE = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)
_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class NpzArchive:
    """An open .npz archive: `members` by array name ("state", "monet_generator/0", ...), each read by `read`."""

    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive
        self.members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}

    def read(self, key: str, largest: int, what: str) -> np.ndarray:
        """The array of member `key`, read only once its header passes.

        The declared size must be at most `largest` bytes (`what` says whose
        size that is, e.g. "any variable of its networks"), and exactly what
        the member holds. ValueError, naming the member, if not.
        """
        info = self.members[key]
        with self._archive.open(info) as member:
            try:
                read_header = _HEADERS.get(np.lib.format.read_magic(member))
            except ValueError:
                raise ValueError(f"member {key} is not a NumPy array") from None
            if read_header is None:
                raise ValueError(f"member {key} is in a .npy format that no checkpoint uses")
            shape, _, dtype = read_header(member)
            if dtype.hasobject:  # never unpickled
                raise ValueError(f"member {key} holds pickled Python objects")
            size = math.prod(shape) * dtype.itemsize
            declared = f"member {key} declares shape {shape} of {dtype} ({human_size(size)})"
            if size > largest:
                raise ValueError(f"{declared}: more than {what} takes ({human_size(largest)} at most)")
            if size != info.file_size - member.tell():
                raise ValueError(f"{declared} but holds {human_size(info.file_size - member.tell())}")
            member.seek(0)
            return np.lib.format.read_array(member, allow_pickle=False)


@contextlib.contextmanager
def open_npz(path: str | os.PathLike, kind: str = "an .npz archive") -> Iterator[NpzArchive]:
    """The .npz archive at `path`, open for the `with` block; ValueError first if it is not a zip file.

    `kind` names what the file should be in that error, e.g. "a checkpoint's
    .npz archive": "it is not a checkpoint's .npz archive (a zip file)".
    """
    with open(path, "rb") as file:
        head = file.read(6)
    if head.startswith(b"\x93NUMPY"):
        raise ValueError(f"it is a single NumPy array, not {kind}")
    if not head.startswith(b"PK"):
        raise ValueError(f"it is not {kind} (a zip file)")
    with zipfile.ZipFile(path) as archive:
        yield NpzArchive(archive)
