"""Write files so that nothing is lost: atomic writes, leftover cleanup, and checks before work.

Checkpoints, paintings and exported generators are written the same careful way:

* **atomically**: into a hidden temporary file in the same folder, which is
  renamed to its final name only once complete (`atomic_write`). A run
  killed mid-write leaves the old file, or none, never half a file;
* **leftovers cleaned**: such a kill does leave the temporary file. Its name
  says which process wrote it (`.step-000300.npz.tmp-<pid>-<random>`), so
  the next run removes those whose process has ended (`remove_leftovers`),
  and only those, only in the folder it writes to;
* **one run per folder**: see `folder_lock.py`;
* **checked first**: `check_writable` and `check_free_space` find an
  unwritable folder or a full disk before any work, not after an hour of it;
* **never through a link**: a temporary file is always created anew
  (`open(..., "x")` refuses any existing name, a symbolic link included),
  and the rename that gives it its final name replaces a link found there,
  not the file the link points to, which stays as it was. A file that is
  added to in place (a log) is opened by `open_no_link`, which refuses a
  link of its name, naming it (`refuse_link`), and follows none.

None of this needs TensorFlow, so it is quick to import and to test.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "FolderNotWritableError",
    "temporary_path",
    "atomic_write",
    "atomic_save",
    "refuse_link",
    "open_no_link",
    "remove_leftovers",
    "process_running",
    "check_writable",
    "check_free_space",
    "human_size",
]

# .NAME.tmp-PID-RANDOM, what atomic_write makes (atomic_save may add an ending such as .weights.h5)
_TEMPORARY = re.compile(r"^\..+\.tmp-(?P<pid>\d+)-[0-9a-f]{8}(\.[A-Za-z0-9]+)*$")


class FolderNotWritableError(OSError):
    """A folder we must write to is not a folder, not writable, too full, or holds a link where we write."""


# --- Atomic writes -------------------------------------------------------------


def temporary_path(path: str | os.PathLike, suffix: str = "") -> Path:
    """A hidden name beside `path` for writing it: `.NAME.tmp-<this process id>-<random><suffix>`."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}{suffix}")


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object], *, overwrite: bool = True) -> Path:
    """Write `path` all at once: `write(file)` fills a temporary file, which then takes its name.

    The data is flushed to disk before the rename, so even a power cut leaves
    the old file or the new one. On any error (or Ctrl-C) the temporary file
    is removed and the error raised. With `overwrite=False` an existing
    `path` is never replaced: FileExistsError instead. A symbolic link at
    `path` is replaced by the new file (or, without overwrite, counts as an
    existing name); nothing is ever written through it.
    """

    def fill(temporary: Path) -> None:
        with open(temporary, "xb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())

    return _write_then_rename(Path(path), fill, overwrite, suffix="")


def atomic_save(
    path: str | os.PathLike, save: Callable[[Path], object], *, suffix: str = "", overwrite: bool = True
) -> Path:
    """`atomic_write` for writers that want a file name rather than an open file.

    `save(name)` writes a temporary file of that name, which ends in `suffix`
    (Keras' `save_weights` insists on ``".weights.h5"``); it is flushed to
    disk, then takes the name `path`, exactly as in `atomic_write`.
    """

    def fill(temporary: Path) -> None:
        save(temporary)
        with open(temporary, "r+b") as file:
            os.fsync(file.fileno())

    return _write_then_rename(Path(path), fill, overwrite, suffix)


def _write_then_rename(path: Path, fill: Callable[[Path], None], overwrite: bool, suffix: str) -> Path:
    temporary = temporary_path(path, suffix)
    try:
        fill(temporary)
        if overwrite:
            os.replace(temporary, path)
        else:
            _link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _link(temporary: Path, path: Path) -> None:
    """Give `temporary` the name `path` unless that exists: a hard link fails if it does, even if the
    file appeared a moment ago. Where links are not possible (some network or FAT disks), look, then rename."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(path):  # a link counts, even one to nothing
            raise FileExistsError(17, "File exists", str(path)) from None
        os.replace(temporary, path)


def refuse_link(path: str | os.PathLike, what: str) -> None:
    """FolderNotWritableError if `path` is a symbolic link, naming it and where it points; else nothing.

    `what` (e.g. "the held-out log") is written in its folder itself: a link
    planted there could point anywhere (another run's file, one of yours),
    and writing through it would change that file instead.
    """
    path = Path(path)
    if path.is_symlink():
        raise FolderNotWritableError(
            f"{path} is a symbolic link (to {os.readlink(path)}): {what} is written in its folder itself, never "
            "through a link. Remove the link, or choose another folder."
        )


def open_no_link(path: str | os.PathLike, flags: int, what: str) -> int:
    """`os.open(path, flags)`, a file descriptor, that never follows a symbolic link at `path`.

    A link is refused, naming it (`refuse_link`); O_NOFOLLOW, where the system
    has it, refuses one made since that look too. For files added to in
    place; a file written whole goes through `atomic_write`.
    """
    refuse_link(path, what)
    try:
        return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:  # a link, made after the look
            refuse_link(path, what)
        raise


def remove_leftovers(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writes left in `folder`; returns what was removed.

    Only this project's temporary names count (see `atomic_write`), only in
    `folder` itself (not its subfolders), and only those whose writing
    process has ended: a write in progress is left alone.
    """
    folder = Path(folder)
    removed = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.is_file() and _is_leftover(path.name):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _is_leftover(name: str) -> bool:
    match = _TEMPORARY.match(name)
    return match is not None and not process_running(int(match["pid"]))


def process_running(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: sends nothing, only checks
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, it is someone else's (or we cannot tell: assume it runs)
    return True


# --- Checks before work ----------------------------------------------------------


def check_writable(folder: str | os.PathLike, what: str = "folder") -> Path:
    """Create `folder` if needed and check that a file can be written in it; returns it.

    Raises FolderNotWritableError with one line saying why (a file is in the
    way, no permission, read-only disk, ...). `what` names the folder in the
    message, e.g. "checkpoint folder".
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FolderNotWritableError(f"The {what} {folder} is a file, not a folder. Choose another {what}.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = temporary_path(folder / "write-check")
        descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(descriptor)
        probe.unlink()
    except OSError as error:
        reason = error.strerror or str(error)
        raise FolderNotWritableError(
            f"Cannot write to the {what} {folder} ({reason}). Choose another {what}, or fix its permissions."
        ) from error
    return folder


def check_free_space(folder: str | os.PathLike, needed: int, what: str) -> None:
    """Raise FolderNotWritableError unless `folder`'s disk has `needed` bytes free for `what`."""
    free = shutil.disk_usage(folder)[2]
    if free < needed:
        raise FolderNotWritableError(
            f"Not enough free disk space in {folder} for {what}: it needs about "
            f"{human_size(needed)}, {human_size(free)} free. "
            "Free some space, or choose a folder on another disk."
        )


def human_size(n: int) -> str:
    """Bytes as people say them: 1.4 GB, 2 MB, 512 bytes."""
    for unit, factor in [("GB", 10**9), ("MB", 10**6), ("kB", 10**3)]:
        if n >= factor:
            value = n / factor
            return (f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}") + f" {unit}"
    return f"{n} bytes"
