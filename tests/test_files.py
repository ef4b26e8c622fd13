"""cyclegan_lab.plumbing.files: atomic writes, leftovers of killed writes, the checks before work, and
symbolic links never written through (the folder lock is test_folder_lock.py's).

No TensorFlow here: these are plain file operations, so the tests take milliseconds.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cyclegan_lab.plumbing import files


def dead_pid() -> int:
    """The id of a process that has already ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# --------------------------------------------------------------------------- atomic_write
def test_atomic_write_leaves_the_whole_file_or_nothing(tmp_path):
    target = tmp_path / "a.txt"
    files.atomic_write(target, lambda file: file.write(b"complete"))
    assert target.read_bytes() == b"complete"

    def half(file):
        file.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        files.atomic_write(target, half)
    assert target.read_bytes() == b"complete"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"], "the temporary file is removed"


def test_atomic_write_without_overwrite_refuses_an_existing_name(tmp_path):
    target = tmp_path / "painting.png"
    target.write_bytes(b"someone's painting")
    with pytest.raises(FileExistsError):
        files.atomic_write(target, lambda file: file.write(b"new"), overwrite=False)
    assert target.read_bytes() == b"someone's painting"
    assert [p.name for p in tmp_path.iterdir()] == ["painting.png"]


def test_atomic_save_hands_a_writer_a_temporary_name_with_the_ending_it_needs(tmp_path):
    """For Keras' save_weights, which wants a file name ending in .weights.h5, not an open file."""
    target = tmp_path / "monet.weights.h5"
    names = []

    def save(name):
        names.append(name)
        name.write_bytes(b"weights")

    assert files.atomic_save(target, save, suffix=".weights.h5") == target
    assert target.read_bytes() == b"weights"
    assert names[0].parent == tmp_path and names[0].name.startswith(".monet.weights.h5.tmp-")
    assert names[0].name.endswith(".weights.h5") and not names[0].exists()

    def fail(name):
        name.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        files.atomic_save(target, fail, suffix=".weights.h5")
    assert target.read_bytes() == b"weights", "the old file is kept"
    assert [p.name for p in tmp_path.iterdir()] == ["monet.weights.h5"], "the temporary file is removed"


def test_temporary_names_are_hidden_and_name_their_writer(tmp_path):
    temporary = files.temporary_path(tmp_path / "step-000300.npz")
    assert temporary.parent == tmp_path and temporary.name.startswith(".step-000300.npz.tmp-")
    assert f"-{os.getpid()}-" in temporary.name


# --------------------------------------------------------------------------- leftovers of killed writes
def test_leftovers_of_a_killed_save_are_removed_and_nothing_else(tmp_path):
    gone = dead_pid()
    ours = [
        f".step-000300.npz.tmp-{gone}-1a2b3c4d",  # its writer dead
        f".monet.weights.h5.tmp-{gone}-1a2b3c4d.weights.h5",  # atomic_save's, with the ending Keras needs
    ]
    kept = [
        "step-000300.npz",
        "step-000300.npz.part-1a2b3c4d",  # not a name we write
        ".lake_monet.tmp-1a2b3c4d.png",
        "notes.part-1",
        ".lake.png",
        "lake_monet.png",
        "step-1.npz.part-mine",
        f".step-000400.npz.tmp-{os.getpid()}-1a2b3c4d",  # being written right now, by a running process
    ]
    for name in ours + kept:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "step-000300.npz.part-1a2b3c4d").write_bytes(b"x")

    removed = files.remove_leftovers(tmp_path)

    assert sorted(p.name for p in removed) == sorted(ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept + ["sub"])
    assert (tmp_path / "sub" / "step-000300.npz.part-1a2b3c4d").exists(), "only the folder being written"


# --------------------------------------------------------------------------- checks before work (case 4)
def test_a_file_where_a_folder_should_be_is_one_clear_error(tmp_path):
    (tmp_path / "checkpoints").write_text("I am a file")
    with pytest.raises(files.FolderNotWritableError, match="is a file") as error:
        files.check_writable(tmp_path / "checkpoints", "checkpoint folder")
    assert str(tmp_path / "checkpoints") in str(error.value) and "\n" not in str(error.value)


def test_an_unwritable_folder_is_found_before_any_work(tmp_path, monkeypatch):
    def refuse(path, flags, mode=0o777):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "open", refuse)
    with pytest.raises(files.FolderNotWritableError, match="Permission denied"):
        files.check_writable(tmp_path, "checkpoint folder")


def test_check_writable_creates_the_folder_and_leaves_nothing(tmp_path):
    folder = files.check_writable(tmp_path / "new" / "deeper", "output folder")
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_too_little_free_disk_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: (10**9, 10**9 - 2_000_000, 2_000_000))
    with pytest.raises(files.FolderNotWritableError, match=r"needs about 1\.4 GB, 2 MB free"):
        files.check_free_space(tmp_path, 1_370_000_000, "one checkpoint")
    files.check_free_space(tmp_path, 1_000_000, "one checkpoint")  # enough: no error


# --------------------------------------------------------------------------- symbolic links
def test_atomic_write_replaces_a_link_at_its_name_and_never_writes_through_it(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_bytes(b"a week of notes")
    (tmp_path / "out").mkdir()
    link = tmp_path / "out" / "painting.png"
    link.symlink_to(precious)
    files.atomic_write(link, lambda file: file.write(b"new"))
    assert precious.read_bytes() == b"a week of notes", "the file the link pointed to is untouched"
    assert not link.is_symlink() and link.read_bytes() == b"new", "the name now holds the new file"


@pytest.mark.parametrize("hard_links", ["possible", "impossible"])
def test_atomic_write_without_overwrite_counts_a_dangling_link_as_taken(tmp_path, monkeypatch, hard_links):
    """Where hard links are not possible (some network or FAT disks) a link to nothing was taken for a free name."""
    if hard_links == "impossible":

        def no_hard_links(source, destination):
            raise OSError(1, "Operation not permitted")

        monkeypatch.setattr(files.os, "link", no_hard_links)
    link = tmp_path / "painting.png"
    link.symlink_to(tmp_path / "nowhere.png")
    with pytest.raises(FileExistsError):
        files.atomic_write(link, lambda file: file.write(b"new"), overwrite=False)
    assert link.is_symlink() and not (tmp_path / "nowhere.png").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["painting.png"], "the temporary file is removed"
