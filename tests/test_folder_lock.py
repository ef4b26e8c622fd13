"""cyclegan_lab.plumbing.folder_lock: the lock and its note never write through a symbolic link.

A link in the checkpoint folder named like the lock's files once made a
training run overwrite the file it pointed to (the note's JSON replaced a
user's file, then the link was deleted), or fail with a raw OSError. Both
files are refused with one line naming the link, before any work, and what
the link points to is left as it was.
"""

from __future__ import annotations

import pytest

from cyclegan_lab.plumbing import files, folder_lock

LOCK_FILES = [folder_lock.LOCK_NAME, folder_lock.FLOCK_NAME]


@pytest.fixture
def precious(tmp_path):
    """A file outside the checkpoint folder that nothing may change."""
    path = tmp_path / "precious.txt"
    path.write_text("a week of notes")
    return path


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


@pytest.mark.parametrize("name", LOCK_FILES)
def test_train_into_a_folder_with_a_linked_lock_file_is_one_line_before_any_work(
    tmp_path, precious, capsys, monkeypatch, name
):
    """The report: `ln -s precious.txt ck/cyclegan-lab.lock; cyclegan-lab train --checkpoint-dir ck`
    overwrote precious.txt with the lock's note."""
    from cyclegan_lab import data, training
    from cyclegan_lab.program.cli import main

    def no_work(*args, **kwargs):
        raise AssertionError("work began")

    monkeypatch.setattr(data, "load_data", no_work)
    monkeypatch.setattr(training, "build_cyclegan", no_work)
    link = linked(tmp_path / "ck", name, precious)
    assert main(["train", "--smoke", "--checkpoint-dir", str(tmp_path / "ck")]) == 2
    err = capsys.readouterr().err
    assert str(link) in err and "symbolic link" in err and err.count("\n") == 1, err
    assert_untouched(link, precious, precious)
