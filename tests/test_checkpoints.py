"""cyclegan_lab.checkpoints: saving, restoring and loading checkpoints, and what a checkpoint file says is
checked before it is believed.

Most tests write small checkpoints by hand (`write_checkpoint`, or a zip
crafted member by member) and need no training; a few save a tiny model's, or
read those of a tiny training run (conftest.py's `straight_run` and
`finished_run`). `test_training.py` checks that a training run sets a bad file
aside and resumes from an older one.
"""

from __future__ import annotations

import io
import zipfile

import keras
import numpy as np
import pytest
from test_config import ABSURD
from test_training import FAST, TINY

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import LOSS_NAMES
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


def test_a_checkpoint_of_a_run_reads_back(tmp_path):
    checkpoint = checkpoints.read_checkpoint(write(tmp_path))
    assert checkpoint.state["step"] == 6 and checkpoint.state["history"] == history(6)
    assert checkpoint.arrays["monet_generator/0"].shape == (4, 4, 3, 8)


# --------------------------------------------------------------------------- step and history (case 7)
def renamed_loss(h):
    h["steps"]["monet_gen_los"] = h["steps"].pop("monet_gen_loss")
    return h


def shorter_loss(h):
    h["steps"]["photo_disc_loss"].pop()
    return h


STATES = {
    "a negative step": (dict(step=-3), "its state records step -3"),
    "a history that is a list": (dict(history=[0.5, 0.4]), "its loss history is a list"),
    "a history with an unknown part": (dict(history={**history(), "lr": [2e-4]}), "unknown parts: lr"),
    "a history of strings": (
        dict(history={**history(), "steps": {name: ["0.5"] * 6 for name in LOSS_NAMES}}),
        "its loss history's steps of monet_gen_loss are not a list of finite numbers",
    ),
    "a history holding NaN": (
        dict(history={**history(), "epochs": {name: [float("nan")] * 2 for name in LOSS_NAMES}}),
        "its loss history's epochs of monet_gen_loss are not a list of finite numbers",
    ),
    "a history with an unknown loss": (dict(history=renamed_loss(history())), "unknown losses: monet_gen_los"),
    "a history missing a step of one loss": (dict(history=shorter_loss(history())), "not as many of each"),
    "a history missing a loss": (
        dict(history={"steps": {"monet_gen_loss": [0.5] * 6}, "epochs": {}}),
        "not as many of each",
    ),
    "no replicas": (dict(replicas=0), "its state records 0 replicas"),
    "settings that are null": (dict(config=None), "its stored settings are missing: config is null"),
    "settings that are a list": (dict(config=[256]), "its stored settings (config) are a list, not named settings"),
}


@pytest.mark.parametrize("odd", list(STATES))
def test_a_state_training_cannot_go_on_from_is_damage_saying_why(tmp_path, odd):
    """Once read as it was: a list or unknown key made `train` die with a raw TypeError on every run,
    step -3 trained 23 steps instead of 12, and strings were saved back as NaN means."""
    changes, reason = STATES[odd]
    path = write(tmp_path, **changes)
    with pytest.raises(checkpoints.DamagedCheckpointError, match="cannot be used") as error:
        checkpoints.read_checkpoint(path)
    assert reason in str(error.value) and path.name in str(error.value)


def test_a_bad_newest_state_is_set_aside_for_the_older_good_one(tmp_path, capsys):
    write(tmp_path, step=3)
    newest = write(tmp_path, step=6, history=[0.5])
    found = checkpoints.newest_readable_checkpoint(tmp_path)
    assert found.state["step"] == 3
    out = capsys.readouterr().out
    assert "step-000006.npz cannot be used (its loss history is a list" in out and "step-000003.npz" in out
    assert (tmp_path / "step-000006.npz.damaged").exists() and not newest.exists()


def test_a_checkpoint_whose_settings_are_null_is_named_damaged_not_another_models(tmp_path):
    """A stored "config": null was read as the default settings, which build another model: `load_generator`
    (cyclegan-lab stylize --model) said the checkpoint "does not fit this model", not what is wrong with it."""
    from cyclegan_lab.pretrained import load_generator

    path = write(tmp_path, config=None)
    with pytest.raises(checkpoints.DamagedCheckpointError, match="cannot be used") as error:
        load_generator(path)
    assert path.name in str(error.value) and "stored settings are missing" in str(error.value)
    with pytest.raises(checkpoints.DamagedCheckpointError, match="stored settings are missing"):
        load_generator(tmp_path)  # the run's folder: its only checkpoint is damaged, and said so


# --------------------------------------------------------------------------- member sizes (case 5)
def test_a_member_declaring_an_enormous_array_is_damage_and_is_never_read(tmp_path):
    """The report: a header declaring 74.5 GiB made `stylize --model it.npz` exit with a raw MemoryError."""
    path = write(tmp_path)
    with_member(path, "monet_generator/0", npy_header((100_000, 100_000, 2)) + b"\0" * 64)
    with pytest.raises(checkpoints.DamagedCheckpointError) as error:
        checkpoints.read_checkpoint(path)
    message = str(error.value)
    assert "cannot be used (member monet_generator/0 declares shape (100000, 100000, 2)" in message, message
    assert "more than any variable of its networks" in message


def test_a_member_declaring_more_than_it_holds_is_damage(tmp_path):
    path = write(tmp_path)
    with_member(path, "monet_generator/0", npy_header((4, 4, 3, 8)) + b"\0" * 16)  # cut off after 4 of 384 values
    with pytest.raises(checkpoints.DamagedCheckpointError, match="member monet_generator/0 declares shape .* holds"):
        checkpoints.read_checkpoint(path)


def test_a_member_that_is_not_an_array_is_damage(tmp_path):
    path = write(tmp_path)
    with_member(path, "monet_generator/0", b"no array here")
    with pytest.raises(checkpoints.DamagedCheckpointError, match="member monet_generator/0 is not a NumPy array"):
        checkpoints.read_checkpoint(path)


def test_a_checkpoint_without_a_state_is_damage(tmp_path):
    path = write(tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist() if info.filename != "state.npy"}
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.raises(checkpoints.DamagedCheckpointError, match="cannot be used"):
        checkpoints.read_checkpoint(path)


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(image_size=64, generator_filters=64),  # the lab's U-Net, whose decoder holds the largest variable
        TrainConfig(image_size=32, generator="compact", pool_size=3),
        TrainConfig(
            image_size=64,
            crop_size=32,
            generator="resnet",
            generator_filters=64,
            downsamplings=2,
            upsampling="subpixel",
            input_skip=True,
            pool_size=50,
        ),
    ],
    ids=["unet", "compact", "resnet"],
)
def test_no_variable_of_a_real_network_is_larger_than_the_limit_checkpoints_are_read_with(config):
    """The limit that refuses absurd members must never refuse a real checkpoint of `config`'s run."""
    from cyclegan_lab.training import build_cyclegan

    cyclegan = build_cyclegan(config)
    largest = max(int(np.prod(variable.shape)) for variable in cyclegan.variables)
    assert largest <= checkpoints.largest_variable(config)


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


def test_load_network_gives_back_the_trained_generator(straight_run, resumable):
    """A generator rebuilt in the run's precision and loaded from its checkpoint computes the same images."""
    from cyclegan_lab.models import build_generator
    from cyclegan_lab.plumbing.precision import dtype_policy

    cyclegan, _, folder = straight_run
    with dtype_policy(resumable.precision):
        fresh = build_generator(image_size=32, filters=8)
    checkpoints.load_network(fresh, checkpoints.latest_checkpoint(folder))
    photos = np.linspace(-1, 1, 2 * 32 * 32 * 3, dtype="float32").reshape(2, 32, 32, 3)
    expected = cyclegan.monet_generator(photos)
    got = fresh(photos)
    assert got.dtype == expected.dtype == "float32"  # whatever the precision, images come back as float32
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(expected))


def test_checkpoint_size_is_what_a_checkpoint_takes(finished_run):
    cyclegan = build_cyclegan(FAST)
    size = checkpoints.checkpoint_size(cyclegan)
    written = (finished_run[1] / "step-000006.npz").stat().st_size
    assert size <= written < size * 1.05 + 100_000


def test_weights_that_are_not_finite_are_never_saved(tmp_path):
    cyclegan = build_cyclegan(FAST)
    weight = cyclegan.photo_discriminator.trainable_weights[0]
    weight.assign(np.full(weight.shape, np.inf, weight.dtype))
    with pytest.raises(ValueError, match="Not saving step 7: photo_discriminator holds values that are not finite"):
        checkpoints.save_checkpoint(cyclegan, tmp_path, {"step": 7})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["generator_filters", "residual_blocks"])
def test_a_checkpoint_storing_an_absurd_size_is_damaged_and_nothing_is_built(tmp_path, nothing_built, name):
    from cyclegan_lab.pretrained import load_generator

    config = {**TrainConfig(**TINY, generator="resnet").to_dict(), name: ABSURD[name]}
    path = checkpoints.write_checkpoint(
        tmp_path, {"monet_generator/0": np.zeros(3, "float32")}, {"step": 6, "config": config}
    )
    with pytest.raises(checkpoints.DamagedCheckpointError, match=f"cannot be used .*{name} must be at most"):
        checkpoints.read_checkpoint(path)
    with pytest.raises(
        checkpoints.DamagedCheckpointError, match=f"{name} must be at most"
    ):  # what stylize --model does
        load_generator(path)
