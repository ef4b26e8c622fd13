"""One training run per checkpoint folder: a lock, and a note that names the run holding it.

A training run holds the checkpoint folder (`FolderLock`); a second run into
the same folder stops at once and says which run holds it (process id,
host, start time, command). The lock itself is `filelock`'s: the operating
system's lock on `.cyclegan-lab.flock`, which ends with the process that
holds it, even a killed one, on Linux, macOS and Windows alike. Beside it,
`cyclegan-lab.lock` is the note: who holds the lock. A killed run leaves
its note behind; the next run takes the lock, finds the old note and says
it takes over from a run that is no longer running.

Both are written in the folder itself, never through a symbolic link: a
link of either name (to a file elsewhere, or to itself) is refused before
anything is opened, with a line naming it, and what it points to is left
as it was. The note is also opened with O_NOFOLLOW where the system has it.

None of this needs TensorFlow, so it is quick to import and to test.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
from pathlib import Path

import filelock

from .files import FolderNotWritableError

__all__ = [
    "LOCK_NAME",
    "FLOCK_NAME",
    "FolderInUseError",
    "FolderLock",
    "lock_holder",
    "check_not_in_use",
    "describe_holder",
]

LOCK_NAME = "cyclegan-lab.lock"  # the note naming the run that holds the folder
FLOCK_NAME = ".cyclegan-lab.flock"  # the file the operating system locks (empty; it stays)


class FolderInUseError(RuntimeError):
    """Another run is writing to this folder right now."""


class FolderLock:
    """One run at a time in a folder: ``with FolderLock(folder): ...train...``.

    * a second run finds the folder locked: FolderInUseError, naming the first;
    * a run finds a note but no lock: that run was killed. The lock is taken
      over (`took_over` holds what the old note said) and a line says so;
    * the lock's file or note is a symbolic link: FolderNotWritableError,
      naming it, before anything is written.

    Leaving the `with` block removes the note and releases the lock.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.took_over: dict | None = None
        self._lock = filelock.FileLock(self.folder / FLOCK_NAME, timeout=0)

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _refuse_links(self.folder)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise _in_use(self.folder, _read_note(self.path)) from None
        previous = _read_note(self.path)
        if previous:
            self.took_over = previous
            print(f"Taking over {self.path} from a run that is no longer running ({describe_holder(previous)}).")
        _write_note(self.path)

    def release(self) -> None:
        if self._lock.is_locked:
            self.path.unlink(missing_ok=True)  # first the note, then the lock: a new holder's note is never removed
            self._lock.release()


def lock_holder(folder: str | os.PathLike) -> dict | None:
    """What the note of a running run in `folder` says ({} if not written yet), or None when none holds it."""
    folder = Path(folder)
    _refuse_links(folder)
    if not (folder / FLOCK_NAME).exists():
        return None
    probe = filelock.FileLock(folder / FLOCK_NAME, timeout=0)
    try:
        probe.acquire()
    except filelock.Timeout:
        return _read_note(folder / LOCK_NAME) or {}
    probe.release()
    return None


def check_not_in_use(folder: str | os.PathLike) -> None:
    """FolderInUseError, naming the run, if a running run holds `folder`'s lock (a check; it takes nothing)."""
    holder = lock_holder(folder)
    if holder is not None:
        raise _in_use(Path(folder), holder)


def _refuse_links(folder: Path) -> None:
    """FolderNotWritableError if the lock or its note in `folder` is a symbolic link.

    Writing the note through a link would overwrite the file it points to,
    outside the folder; the operating system's lock refuses to open one at all.
    """
    for path in (folder / FLOCK_NAME, folder / LOCK_NAME):
        if path.is_symlink():
            raise FolderNotWritableError(
                f"{path} is a symbolic link (to {os.readlink(path)}): the lock of a run is written in its folder "
                "itself, never through a link. Remove the link, or choose another folder."
            )


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


def _read_note(path: Path) -> dict | None:
    try:
        note = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return note if isinstance(note, dict) else None


def _write_note(path: Path) -> None:
    note = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "",
    }
    no_link = getattr(os, "O_NOFOLLOW", 0)  # never through a link, even one made since _refuse_links looked
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | no_link, 0o644), "w") as file:
        file.write(json.dumps(note))
