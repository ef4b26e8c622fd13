"""cyclegan_lab.plumbing.folder_lock: one run at a time in a folder. A second lock names the run that holds
it, a lock held by another process stops this one, a dead process's lock is taken over; and the lock and
its note never write through a symbolic link.

A link in the checkpoint folder named like the lock's files once made a
training run overwrite the file it pointed to (the note's JSON replaced a
user's file, then the link was deleted), or fail with a raw OSError. Both
files are refused with one line naming the link, before any work (test_cli.py
runs `cyclegan-lab train` into such a folder), and what the link points to is
left as it was.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from test_files import dead_pid

from cyclegan_lab.plumbing import files, folder_lock

LOCK_FILES = [folder_lock.LOCK_NAME, folder_lock.FLOCK_NAME]


# --------------------------------------------------------------------------- symbolic links
def linked(folder, name, target):
    """`folder` (created) holding `name`, a symbolic link to `target`; returns the link."""
    folder.mkdir(exist_ok=True)
    link = folder / name
    link.symlink_to(target)
    return link


def assert_untouched(link, target, precious):
    assert link.is_symlink() and link.readlink() == target, "the link is left as it was"
    assert precious.read_text() == "a week of notes", "what it points to is left as it was"


@pytest.mark.parametrize("name", LOCK_FILES)
@pytest.mark.parametrize("points_to", ["a file elsewhere", "itself"])
def test_a_lock_file_that_is_a_link_is_refused_naming_it(tmp_path, precious, name, points_to):
    folder = tmp_path / "ck"
    target = precious if points_to == "a file elsewhere" else folder / name
    link = linked(folder, name, target)
    with pytest.raises(files.FolderNotWritableError, match="symbolic link") as error:
        folder_lock.FolderLock(folder).acquire()
    message = str(error.value)
    assert str(link) in message and "\n" not in message
    assert_untouched(link, target, precious)
    with pytest.raises(files.FolderNotWritableError, match="symbolic link"):  # the check before work says it too
        folder_lock.check_not_in_use(folder)
    assert_untouched(link, target, precious)

    link.unlink()  # once the link is gone, the folder locks as usual
    with folder_lock.FolderLock(folder):
        assert folder_lock.lock_holder(folder) is not None
    assert precious.read_text() == "a week of notes"


# --------------------------------------------------------------------------- one run at a time (case 2)
def test_a_second_lock_on_a_folder_names_the_run_that_holds_it(tmp_path):
    with folder_lock.FolderLock(tmp_path):
        with pytest.raises(folder_lock.FolderInUseError) as error:
            folder_lock.FolderLock(tmp_path).acquire()
        message = str(error.value)
        assert f"PID {os.getpid()}" in message and str(tmp_path) in message and "\n" not in message
        assert folder_lock.lock_holder(tmp_path)["pid"] == os.getpid()
    assert not (tmp_path / folder_lock.LOCK_NAME).exists(), "released: the lock file is gone"
    assert folder_lock.lock_holder(tmp_path) is None
    with folder_lock.FolderLock(tmp_path):  # and can be taken again
        pass


@pytest.mark.slow
def test_a_lock_held_by_another_process_stops_this_one(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from cyclegan_lab.plumbing.folder_lock import FolderLock\n"
            f"with FolderLock({str(tmp_path)!r}):\n    print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(folder_lock.FolderInUseError, match=f"PID {holder.pid}"):
            folder_lock.FolderLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    with folder_lock.FolderLock(tmp_path) as lock:  # its process was killed: the lock is stale and taken over
        assert lock.took_over["pid"] == holder.pid


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path, capsys):
    gone = dead_pid()
    (tmp_path / folder_lock.LOCK_NAME).write_text(
        json.dumps({"pid": gone, "host": socket.gethostname(), "started": "2024-01-01 12:00:00"})
    )
    with folder_lock.FolderLock(tmp_path) as lock:
        assert lock.took_over["pid"] == gone
        assert json.loads((tmp_path / folder_lock.LOCK_NAME).read_text())["pid"] == os.getpid()
    assert f"PID {gone}" in capsys.readouterr().out
