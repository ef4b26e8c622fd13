"""cyclegan_lab.plumbing.npz: an .npz archive is read only once what it says is checked.

A file that is not a zip, a member that is not an array, one holding pickled objects, one declaring
more than the caller allows or more than it holds: each is a ValueError naming the member, raised
before any memory is taken for it. test_checkpoints.py and test_checkpoint_reading.py see the same reasons through
the checkpoints that use it.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from cyclegan_lab.plumbing.npz import open_npz


def npz(path, **members: bytes):
    """A zip at `path` whose members `name.npy` hold the given bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name + ".npy", content)
    return path


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def header(shape) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def test_an_array_within_the_limit_reads_back(tmp_path):
    path = npz(tmp_path / "a.npz", weights=npy(np.arange(6, dtype="float32").reshape(2, 3)))
    with open_npz(path) as archive:
        assert list(archive.members) == ["weights"]
        np.testing.assert_array_equal(archive.read("weights", 24, "any weight"), np.arange(6).reshape(2, 3))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (header((100_000, 100_000, 2)) + bytes(64), "member w declares shape (100000, 100000, 2) of float32 (80 GB): "),
        (npy(np.zeros(100, "float32")), "more than any weight takes (100 bytes at most)"),
        (header((4, 4)) + bytes(16), "member w declares shape (4, 4) of float32 (64 bytes) but holds 16 bytes"),
        (b"no array here", "member w is not a NumPy array"),
    ],
    ids=["a forged header", "larger than allowed", "cut off", "not an array"],
)
def test_a_member_is_refused_by_its_header_before_it_is_read(tmp_path, content, reason):
    with open_npz(npz(tmp_path / "a.npz", w=content)) as archive:
        with pytest.raises(ValueError) as error:
            archive.read("w", 100, "any weight")
    assert reason in str(error.value)


def test_pickled_objects_are_never_unpickled(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with open_npz(npz(tmp_path / "a.npz", w=buffer.getvalue())) as archive:
        with pytest.raises(ValueError, match="member w holds pickled Python objects"):
            archive.read("w", 10**6, "any weight")


def test_a_file_that_is_not_a_zip_is_named_so(tmp_path):
    (tmp_path / "one.npz").write_bytes(npy(np.zeros(3)))
    (tmp_path / "text.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="it is a single NumPy array, not a run's archive"):
        with open_npz(tmp_path / "one.npz", "a run's archive"):
            pass
    with pytest.raises(ValueError, match=r"it is not an .npz archive \(a zip file\)"):
        with open_npz(tmp_path / "text.npz"):
            pass
