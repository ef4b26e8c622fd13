"""cyclegan_lab.checkpoints: saving (only finite weights, keeping the newest, nothing lost when a save
fails), restoring (not into another model, nor from a corrupt file) and loading one network, and what a
checkpoint file says is checked (`plumbing.checkpoint_file.read_checked`) before it is restored.

Most tests write small checkpoints by hand (`write_checkpoint`, or a zip
crafted member by member) and need no training; a few save a tiny model's, or
read those of a tiny training run (conftest.py's `straight_run`).
test_checkpoint_reading.py checks how a run's checkpoints are read (`read_checkpoint`, `load_generator`),
writing them with `write`, `with_member` and `npy_header` below; test_runs.py checks that a run sets a
bad file aside and resumes from an older one.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from test_training import FAST, TINY

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import LOSS_NAMES
from cyclegan_lab.plumbing.checkpoint_file import DamagedCheckpointError
from cyclegan_lab.training import build_cyclegan

TINY_CONFIG = TrainConfig(**TINY)  # the settings the checkpoints written by hand store


def history(steps: int = 6) -> dict:
    """What `LossHistory.to_dict` saves after `steps` steps of 3-step epochs."""
    return {
        "steps": {name: [0.5] * steps for name in LOSS_NAMES},
        "epochs": {name: [0.5] * (steps // 3) for name in LOSS_NAMES},
    }


def write(folder, step: int = 6, **state) -> object:
    """A small checkpoint of the TINY run at `step`, its state changed by `state`."""
    record = {"step": step, "config": TINY_CONFIG.to_dict(), "history": history(step), "replicas": 1, **state}
    return checkpoints.write_checkpoint(folder, {"monet_generator/0": np.zeros((4, 4, 3, 8), "float32")}, record)


def with_member(path, key: str, data: bytes, compress: bool = False) -> None:
    """Rewrite the checkpoint `path` with the zip member `key`.npy holding `data` (replacing any)."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members[key + ".npy"] = data
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            method = zipfile.ZIP_DEFLATED if compress and name == key + ".npy" else zipfile.ZIP_STORED
            archive.writestr(name, content, compress_type=method)


def npy_header(shape, dtype="<f4") -> bytes:
    """The .npy header of an array of `shape`, without the array."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


# --------------------------------------------------------------------------- restoring checks the file first
@pytest.fixture(scope="module")
def tiny_cyclegan():
    """A fresh model of the TINY run, to restore into (nothing is assigned when a restore is refused)."""
    return build_cyclegan(TINY_CONFIG)


REFUSED = {
    "a member declaring 74.5 GiB": (
        {},
        lambda path: with_member(path, "monet_generator/0", npy_header((100_000, 100_000, 2)) + b"\0" * 64),
        "member monet_generator/0 declares shape (100000, 100000, 2) of float32 (80 GB): more than any variable "
        "of the model it is loaded into takes",
    ),
    "a member that is not an array": (
        {},
        lambda path: with_member(path, "monet_generator/0", b"no array here"),
        "member monet_generator/0 is not a NumPy array",
    ),
    "a negative step": ({"step": -3}, None, "its state records step -3"),
    "a history that is a list": ({"history": [0.5]}, None, "its loss history is a list"),
}


@pytest.mark.parametrize("odd", list(REFUSED))
def test_restore_believes_nothing_a_file_says_before_it_is_checked(tiny_cyclegan, tmp_path, odd):
    """`restore_checkpoint` takes any path (notebook 6 restores its folder's newest): a forged header must
    not take the memory it declares, and a state training cannot go on from is named, both as damage."""
    state, spoil, reason = REFUSED[odd]
    path = write(tmp_path, **state)
    if spoil is not None:
        spoil(path)
    with pytest.raises(DamagedCheckpointError, match="cannot be used") as error:
        checkpoints.restore_checkpoint(tiny_cyclegan, path)
    assert reason in str(error.value) and path.name in str(error.value)


def test_checkpoints_keep_only_the_newest(straight_run):
    assert [p.name for p in checkpoints.list_checkpoints(straight_run[2])] == ["step-000004.npz", "step-000006.npz"]


def test_a_save_that_fails_midway_loses_nothing(tiny_data, tmp_path, monkeypatch):
    config = TrainConfig(**TINY, steps_per_epoch=1)
    cyclegan = build_cyclegan(config)
    good = checkpoints.save_checkpoint(cyclegan, tmp_path, {"step": 1})
    good_bytes = good.read_bytes()

    def broken_savez(file, **arrays):
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        checkpoints.save_checkpoint(cyclegan, tmp_path, {"step": 2})
    assert [p.name for p in tmp_path.iterdir()] == ["step-000001.npz"]
    assert good.read_bytes() == good_bytes


def test_restore_refuses_a_checkpoint_of_another_model(tmp_path):
    small = build_cyclegan(TrainConfig(**TINY))
    path = checkpoints.save_checkpoint(small, tmp_path, {"step": 0})
    other = build_cyclegan(TrainConfig(image_size=32, generator_filters=4))
    with pytest.raises(ValueError, match="does not fit this model"):
        checkpoints.restore_checkpoint(other, path)


def test_restore_names_a_corrupt_checkpoint(tmp_path):
    path = tmp_path / "step-000001.npz"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"cannot be used \(it is not a checkpoint's .npz archive"):
        checkpoints.restore_checkpoint(build_cyclegan(TrainConfig(**TINY)), path)


def test_weights_that_are_not_finite_are_never_saved(tmp_path):
    cyclegan = build_cyclegan(FAST)
    weight = cyclegan.photo_discriminator.trainable_weights[0]
    weight.assign(np.full(weight.shape, np.inf, weight.dtype))
    with pytest.raises(ValueError, match="Not saving step 7: photo_discriminator holds values that are not finite"):
        checkpoints.save_checkpoint(cyclegan, tmp_path, {"step": 7})
    assert list(tmp_path.iterdir()) == []
