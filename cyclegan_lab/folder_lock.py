"""One training run per checkpoint folder: a lock file that names the run holding it.

A training run holds `cyclegan-lab.lock` in its checkpoint folder
(`FolderLock`); a second run into the same folder stops at once and says
which run holds it (process id, host, start time, command). A run that was
killed cannot unlock; the operating system's file lock ends with its
process, so the next run sees that and takes the lock over.

None of this needs TensorFlow, so it is quick to import and to test.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
from pathlib import Path

from .files import process_running

try:
    import fcntl  # Linux and macOS: a lock that ends with the process that holds it
except ImportError:  # Windows: fall back on the PID written in the lock file
    fcntl = None

LOCK_NAME = "cyclegan-lab.lock"


class FolderInUseError(RuntimeError):
    """Another run is writing to this folder right now."""


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

    def __enter__(self) -> FolderLock:
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
    return FolderInUseError(
        f"{folder} is in use by another run ({describe_holder(holder)}). "
        "Wait for it to finish, stop it, or choose another folder."
    )


def describe_holder(note: dict | None) -> str:
    """ "PID 123 on host lab-1, started 2024-05-01 12:00:00: cyclegan-lab train ..." from a lock note."""
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

    note = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "",
    }
    os.ftruncate(descriptor, 0)
    os.lseek(descriptor, 0, os.SEEK_SET)
    os.write(descriptor, json.dumps(note).encode())
    os.fsync(descriptor)
