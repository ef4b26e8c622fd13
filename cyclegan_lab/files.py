"""Write files so that nothing is lost: atomic writes, a folder lock, and checks before work.

Checkpoints, paintings and exported generators are written the same careful way:

* **atomically**: into a hidden temporary file in the same folder, which is
  renamed to its final name only once complete (`atomic_write`). A run
  killed mid-write leaves the old file, or none, never half a file;
* **leftovers cleaned**: such a kill does leave the temporary file. Its name
  says which process wrote it (`.step-000300.npz.tmp-<pid>-<random>`), so
  the next run removes those whose process has ended (`remove_leftovers`),
  and only those, only in the folder it writes to;
* **one run per folder**: a training run holds a lock file in its checkpoint
  folder (`FolderLock`); a second run into it stops at once and says which
  run holds it. A run that was killed cannot unlock; the operating system's
  file lock ends with its process, so the next run sees that and takes over;
* **checked first**: `check_writable` and `check_free_space` find an
  unwritable folder or a full disk before any work, not after an hour of it.

None of this needs TensorFlow, so it is quick to import and to test.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import secrets
import shutil
import socket
from pathlib import Path
from typing import BinaryIO, Callable

try:
    import fcntl  # Linux and macOS: a lock that ends with the process that holds it
except ImportError:  # Windows: fall back on the PID written in the lock file
    fcntl = None

LOCK_NAME = "cyclegan-lab.lock"
# .NAME.tmp-PID-RANDOM, what atomic_write makes (atomic_save may add an ending such as .weights.h5)
_TEMPORARY = re.compile(r"^\..+\.tmp-(?P<pid>\d+)-[0-9a-f]{8}(\.[A-Za-z0-9]+)*$")
_EARLIER_TEMPORARY = [  # the names of earlier versions, which did not say their writer
    re.compile(r"^step-\d+\.npz\.part-[0-9a-f]{8}$"),  # checkpoints
    re.compile(r"^\..+\.tmp-[0-9a-f]{8}\.png$"),  # paintings of `cyclegan-lab stylize`
]


class FolderNotWritableError(OSError):
    """A folder we must write to is not a folder, not writable, or too full."""


class FolderInUseError(RuntimeError):
    """Another run is writing to this folder right now."""


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
    `path` is never replaced: FileExistsError instead.
    """
    def fill(temporary: Path) -> None:
        with open(temporary, "xb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())

    return _write_then_rename(Path(path), fill, overwrite, suffix="")


def atomic_save(path: str | os.PathLike, save: Callable[[Path], object], *, suffix: str = "",
                overwrite: bool = True) -> Path:
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
        if path.exists():
            raise FileExistsError(17, "File exists", str(path)) from None
        os.replace(temporary, path)


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
    if match := _TEMPORARY.match(name):
        return not process_running(int(match["pid"]))
    return any(pattern.match(name) for pattern in _EARLIER_TEMPORARY)


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
        raise FolderNotWritableError(f"Cannot write to the {what} {folder} ({reason}). "
                                     f"Choose another {what}, or fix its permissions.") from error
    return folder


def check_free_space(folder: str | os.PathLike, needed: int, what: str) -> None:
    """Raise FolderNotWritableError unless `folder`'s disk has `needed` bytes free for `what`."""
    free = shutil.disk_usage(folder)[2]
    if free < needed:
        raise FolderNotWritableError(f"Not enough free disk space in {folder} for {what}: it needs about "
                                     f"{human_size(needed)}, {human_size(free)} free. "
                                     "Free some space, or choose a folder on another disk.")


def human_size(n: int) -> str:
    """Bytes as people say them: 1.4 GB, 2 MB, 512 bytes."""
    for unit, factor in [("GB", 10**9), ("MB", 10**6), ("kB", 10**3)]:
        if n >= factor:
            value = n / factor
            return (f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}") + f" {unit}"
    return f"{n} bytes"


# --- The folder lock ---------------------------------------------------------------


class FolderLock:
    """One run at a time in a folder: ``with FolderLock(folder): ...train...``.

    Taking the lock writes `folder/cyclegan-lab.lock` with who holds it
    (process id, machine, start time, command) and locks that file with the
    operating system's `flock`, which ends with the process, even a killed
    one. So:

    * a second run finds the file locked: FolderInUseError, naming the first;
    * a run finds the file there but not locked: its run was killed. The lock
      is taken over (`took_over` holds what the old file said) and a line
      says so.

    Leaving the `with` block removes the file.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.took_over: dict | None = None
        self._descriptor: int | None = None

    def __enter__(self) -> "FolderLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(descriptor):
                holder = _read_note(descriptor)
                os.close(descriptor)
                if fcntl is None and not _note_alive(holder):
                    self.path.unlink(missing_ok=True)  # no OS lock here: the note's process has ended
                    continue
                raise _in_use(self.folder, holder)
            if _same_file(descriptor, self.path):
                break
            os.close(descriptor)  # the holder removed the file while we opened it: try the new one
        previous = _read_note(descriptor)
        if previous:
            self.took_over = previous
            print(f"Taking over {self.path} from a run that is no longer running ({describe_holder(previous)}).")
        _write_note(descriptor)
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            self.path.unlink(missing_ok=True)  # first remove, then unlock: nobody locks a removed file for long
            os.close(self._descriptor)
            self._descriptor = None


def lock_holder(folder: str | os.PathLike) -> dict | None:
    """What the lock file of a running run in `folder` says, or None when no run holds it."""
    path = Path(folder) / LOCK_NAME
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        note = _read_note(descriptor)
        if fcntl is None:
            return note if _note_alive(note) else None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return note or {}
        return None
    finally:
        os.close(descriptor)


def check_not_in_use(folder: str | os.PathLike) -> None:
    """FolderInUseError, naming the run, if a running run holds `folder`'s lock (a check; it takes nothing)."""
    holder = lock_holder(folder)
    if holder is not None:
        raise _in_use(Path(folder), holder)


def _in_use(folder: Path, holder: dict | None) -> FolderInUseError:
    return FolderInUseError(f"{folder} is in use by another run ({describe_holder(holder)}). "
                            "Wait for it to finish, stop it, or choose another folder.")


def describe_holder(note: dict | None) -> str:
    """"PID 123 on host lab-1, started 2024-05-01 12:00:00: cyclegan-lab train ..." from a lock note."""
    if not note:
        return "details not written yet"
    text = f"PID {note.get('pid', '?')} on host {note.get('host', '?')}, started {note.get('started', '?')}"
    return text + (f": {note['command']}" if note.get("command") else "")


def _try_lock(descriptor: int) -> bool:
    if fcntl is None:
        return not _note_alive(_read_note(descriptor))
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _note_alive(note: dict | None) -> bool:
    """Without an OS lock: whether the note's process still runs (another machine's: assume so)."""
    if not note:
        return False
    if note.get("host") != socket.gethostname():
        return True
    return process_running(int(note.get("pid", 0)))


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        return os.fstat(descriptor).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _read_note(descriptor: int) -> dict | None:
    os.lseek(descriptor, 0, os.SEEK_SET)
    text = os.read(descriptor, 64 * 1024)
    try:
        note = json.loads(text)
    except ValueError:
        return None
    return note if isinstance(note, dict) else None


def _write_note(descriptor: int) -> None:
    import sys

    note = {"pid": os.getpid(), "host": socket.gethostname(),
            "started": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else ""}
    os.ftruncate(descriptor, 0)
    os.lseek(descriptor, 0, os.SEEK_SET)
    os.write(descriptor, json.dumps(note).encode())
    os.fsync(descriptor)
