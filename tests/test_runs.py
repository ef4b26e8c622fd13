"""cyclegan_lab.program.runs: keeping a training run (`train_run`) and reading its checkpoints.

A run's faults are named with nothing lost: a busy folder, a folder that is a
file, no room, leftovers of a killed save, another configuration, a damaged or
odd newest checkpoint (set aside for the older one). What a checkpoint file says
is checked before it is believed (`read_checkpoint`: its state, then each
array's declared size), and `load_generator` rebuilds any run's generator from
its checkpoint. The tiny runs (`tiny_data`, `finished_run`) are conftest.py's;
the checkpoints written by hand are test_checkpoints.py's (`write`).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import zipfile

import keras
import numpy as np
import pytest
from test_checkpoints import history, npy_header, write
from test_config import ABSURD
from test_inference import photo
from test_training import FAST, TINY, CountSteps, all_weights

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import LOSS_NAMES
from cyclegan_lab.inference import stylize
from cyclegan_lab.plumbing import files, folder_lock
from cyclegan_lab.program import runs
from cyclegan_lab.program.runs import as_generator, train_run
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.training import build_cyclegan


def files_in(folder):
    """The folder's files, without the empty file the operating system's lock is taken on (it stays)."""
    return sorted(p.name for p in folder.iterdir() if p.name != folder_lock.FLOCK_NAME)


def copy_of(folder, tmp_path):
    return shutil.copytree(folder, tmp_path / "copy")


# --------------------------------------------------------------------------- the folder: one run, room, no leftovers
def test_a_second_run_into_a_busy_folder_stops_at_once(tiny_data, tmp_path):
    """Case 2: two trainings into one folder destroyed each other silently."""
    counter = CountSteps()
    with folder_lock.FolderLock(tmp_path):
        with pytest.raises(folder_lock.FolderInUseError, match=f"PID {os.getpid()}"):
            train_run(FAST, tiny_data, checkpoint_dir=tmp_path, callbacks=[counter], verbose=0)
    assert counter.steps == 0
    assert checkpoints.list_checkpoints(tmp_path) == []


def test_a_run_holds_the_lock_while_it_trains_and_gives_it_back(tiny_data, tmp_path):
    seen = []

    class LookAtLock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(folder_lock.lock_holder(tmp_path))

    train_run(
        FAST.replace(epochs=1, steps_per_epoch=1),
        tiny_data,
        checkpoint_dir=tmp_path,
        callbacks=[LookAtLock()],
        verbose=0,
    )
    assert seen and seen[0]["pid"] == os.getpid()
    assert folder_lock.lock_holder(tmp_path) is None and not (tmp_path / folder_lock.LOCK_NAME).exists()


def test_a_checkpoint_folder_that_is_a_file_stops_before_training(tiny_data, tmp_path):
    """Case 4: the error came only at the first save, and those steps were lost."""
    (tmp_path / "checkpoints").write_text("a file")
    counter = CountSteps()
    with pytest.raises(files.FolderNotWritableError, match="is a file"):
        train_run(FAST, tiny_data, checkpoint_dir=tmp_path / "checkpoints", callbacks=[counter], verbose=0)
    assert counter.steps == 0


def test_too_little_disk_for_one_checkpoint_stops_before_training(tiny_data, tmp_path, monkeypatch):
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: (10**6, 10**6 - 1000, 1000))
    counter = CountSteps()
    with pytest.raises(files.FolderNotWritableError, match="3 checkpoints at once"):
        train_run(FAST, tiny_data, checkpoint_dir=tmp_path, callbacks=[counter], verbose=0)
    assert counter.steps == 0


def test_the_room_check_counts_every_checkpoint_that_exists_at_once(tiny_data, tmp_path, monkeypatch):
    """Keeping 2 writes a third before deleting the oldest: room for 2 is not enough."""
    size = runs.checkpoint_size(build_cyclegan(FAST))
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: (10**9, 10**9 - 2 * size - 10, 2 * size + 10))
    with pytest.raises(files.FolderNotWritableError, match=r"3 checkpoints at once \(keeping 2\)"):
        train_run(FAST, tiny_data, checkpoint_dir=tmp_path, verbose=0)


def test_leftovers_of_a_killed_save_are_removed_from_the_checkpoint_folder(tiny_data, tmp_path, capsys, killed_write):
    """Case 6: a kill during a save left half-written checkpoints (1.37 GB each for the lab's model)."""
    leftover = killed_write(tmp_path / "step-000002.npz")
    (tmp_path / "my-notes.part-1").write_text("not ours")
    train_run(FAST.replace(epochs=1, steps_per_epoch=1), tiny_data, checkpoint_dir=tmp_path, verbose=0)
    assert files_in(tmp_path) == ["my-notes.part-1", "step-000001.npz"]
    assert leftover.name in capsys.readouterr().out


# --------------------------------------------------------------------------- the same run's settings
def test_resuming_with_another_configuration_stops_and_lists_the_differences(finished_run, tiny_data, tmp_path, capsys):
    """Case 2: resuming with another seed or learning rate carried on with no warning."""
    folder = copy_of(finished_run[1], tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    changed = FAST.replace(seed=1, learning_rate=1e-3, epochs=3)
    with pytest.raises(runs.ConfigChangedError) as error:
        train_run(changed, tiny_data, checkpoint_dir=folder, verbose=0)
    message = str(error.value)
    assert "seed 0 -> 1" in message and "learning_rate 0.0002 -> 0.001" in message
    assert "epochs" not in message.split(":", 1)[1], "the run length may change"
    assert "allow_config_change" in message and "\n" not in message
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before, "nothing touched"

    cyclegan, _ = train_run(changed, tiny_data, checkpoint_dir=folder, verbose=0, allow_config_change=True)
    assert "seed 0 -> 1" in capsys.readouterr().out
    assert int(cyclegan.monet_generator_optimizer.iterations) == 9


def test_a_longer_run_resumes_without_a_question(finished_run, tiny_data, tmp_path):
    folder = copy_of(finished_run[1], tmp_path)
    longer = FAST.replace(epochs=3, checkpoint_every=None, keep_checkpoints=3)
    cyclegan, _ = train_run(longer, tiny_data, checkpoint_dir=folder, verbose=0)
    assert int(cyclegan.monet_generator_optimizer.iterations) == 9


# --------------------------------------------------------------------------- damaged and odd checkpoints set aside
@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_newest_checkpoint_falls_back_to_the_older_one(finished_run, tiny_data, tmp_path, capsys, damage):
    """Case 3: a damaged newest checkpoint raised zipfile.BadZipFile; the older one was not tried."""
    weights, original = finished_run
    folder = copy_of(original, tmp_path)
    newest = folder / "step-000006.npz"
    data = bytearray(newest.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        middle = len(data) // 2
        data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    newest.write_bytes(bytes(data))

    resumed, _ = train_run(FAST, tiny_data, checkpoint_dir=folder, verbose=0)

    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "step-000006.npz" in line and "cannot be used" in line]
    assert len(lines) == 1 and "step-000004.npz" in out, out
    assert (folder / "step-000006.npz.damaged").read_bytes() == bytes(data), "kept, not deleted"
    for a, b in zip(all_weights(resumed), weights):  # steps 5 and 6 trained again: the same weights
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert [p.name for p in checkpoints.list_checkpoints(folder)] == ["step-000004.npz", "step-000006.npz"]


def test_only_damaged_checkpoints_is_one_clear_error(tiny_data, tmp_path):
    (tmp_path / "step-000002.npz").write_bytes(b"")
    (tmp_path / "step-000004.npz").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(checkpoints.DamagedCheckpointError, match="No readable checkpoint") as error:
        train_run(FAST, tiny_data, checkpoint_dir=tmp_path, verbose=0)
    assert "step-000004.npz" in str(error.value)
    assert files_in(tmp_path) == ["step-000002.npz", "step-000004.npz"]


def rewrite(path, state=None, **arrays):
    """Write the checkpoint `path` again with another state (a dict, or any JSON value) or extra arrays."""
    with np.load(path) as stored:
        contents = dict(stored)
    if state is not None:
        contents["state"] = np.array(json.dumps(state(json.loads(str(contents["state"])))))
    contents.update(arrays)
    with open(path, "wb") as file:
        np.savez(file, **contents)


def with_member(path, key, data: bytes, compress: bool = False):
    """Rewrite the checkpoint `path` with its zip member `key`.npy holding `data` (deflated with `compress`)."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members[key + ".npy"] = data
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            deflate = compress and name == key + ".npy"
            archive.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)


def declaring(shape):
    """The .npy header of a float32 array of `shape`, followed by a few bytes of it: what a forged member holds."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return header.getvalue() + bytes(64)


def zeros_far_larger_than_any_variable(path):
    """Replace a variable of the checkpoint `path` by zeros ten times its largest array's size, compressed:
    a zip member of a few kilobytes that holds tens of megabytes."""
    with np.load(path) as stored:
        largest = max(stored[key].size for key in stored.files)
    npy = io.BytesIO()
    np.save(npy, np.zeros(10 * largest, "float32"))
    with_member(path, "monet_generator/0", npy.getvalue(), compress=True)


ODD = {
    "a setting from a newer version": (
        lambda p: rewrite(p, state=lambda s: {**s, "config": {**s["config"], "new_option": 1}}),
        "made by a newer version of cyclegan-lab: unknown settings new_option",
    ),
    "a state that is not a record": (lambda p: rewrite(p, state=lambda s: [1, 2]), "its state is a list"),
    "an .npy array named .npz": (lambda p: np.save(open(p, "wb"), np.zeros(3)), "it is a single NumPy array"),
    "a pickled object": (
        lambda p: rewrite(p, extra=np.array([{"x": 1}], dtype=object)),
        "it holds pickled Python objects, which no checkpoint does",
    ),
    # each once raised a raw MemoryError, or loaded tens of megabytes of zeros.
    "a member declaring 74.5 GiB": (
        lambda p: with_member(p, "monet_generator/0", declaring((100_000, 100_000, 2))),
        "member monet_generator/0 declares shape (100000, 100000, 2)",
    ),
    "a compressed member far larger than any variable": (
        zeros_far_larger_than_any_variable,
        "member monet_generator/0 declares shape (",
    ),
    # Case 6: a raw ResourceExhaustedError, or hours building a network.
    "settings too large to build": (
        lambda p: rewrite(p, state=lambda s: {**s, "config": {**s["config"], "generator_filters": 1_000_000}}),
        "its stored settings are invalid: generator_filters must be at most",
    ),
    # Case 7: a raw TypeError on every later run, or a run resumed at step -3.
    "a history that is a list": (
        lambda p: rewrite(p, state=lambda s: {**s, "history": [0.5]}),
        "its loss history is a list",
    ),
    "a history with an unknown key": (
        lambda p: rewrite(p, state=lambda s: {**s, "history": {**s["history"], "lr": [2e-4]}}),
        "its loss history holds unknown parts: lr",
    ),
    "a negative step": (lambda p: rewrite(p, state=lambda s: {**s, "step": -3}), "its state records step -3"),
}


@pytest.mark.parametrize("odd", list(ODD))
def test_an_odd_newest_checkpoint_is_named_set_aside_and_the_run_resumes(
    finished_run, tiny_data, tmp_path, capsys, odd
):
    """Once a raw TypeError or AttributeError, with the file left in place so the run could never resume."""
    spoil, reason = ODD[odd]
    folder = copy_of(finished_run[1], tmp_path)
    spoil(folder / "step-000006.npz")
    with pytest.raises(checkpoints.DamagedCheckpointError, match=re.escape(reason)) as error:
        runs.read_checkpoint(folder / "step-000006.npz")
    assert "allow_pickle" not in str(error.value)
    resumed, _ = train_run(FAST, tiny_data, checkpoint_dir=folder, verbose=0)
    out = capsys.readouterr().out
    assert f"step-000006.npz cannot be used ({reason}" in out and "resuming from step-000004.npz" in out, out
    assert (folder / "step-000006.npz.damaged").exists()
    assert int(resumed.monet_generator_optimizer.iterations) == 6


# --------------------------------------------------------------------------- what a checkpoint says, checked first
def test_a_checkpoint_of_a_run_reads_back(tmp_path):
    checkpoint = runs.read_checkpoint(write(tmp_path))
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
        runs.read_checkpoint(path)
    assert reason in str(error.value) and path.name in str(error.value)


def test_a_bad_newest_state_is_set_aside_for_the_older_good_one(tmp_path, capsys):
    write(tmp_path, step=3)
    newest = write(tmp_path, step=6, history=[0.5])
    found = runs.newest_readable_checkpoint(tmp_path)
    assert found.state["step"] == 3
    out = capsys.readouterr().out
    assert "step-000006.npz cannot be used (its loss history is a list" in out and "step-000003.npz" in out
    assert (tmp_path / "step-000006.npz.damaged").exists() and not newest.exists()


def test_a_checkpoint_whose_settings_are_null_is_named_damaged_not_another_models(tmp_path):
    """A stored "config": null was read as the default settings, which build another model: `load_generator`
    (cyclegan-lab stylize --model) said the checkpoint "does not fit this model", not what is wrong with it."""
    from cyclegan_lab.program.runs import load_generator

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
        runs.read_checkpoint(path)
    message = str(error.value)
    assert "cannot be used (member monet_generator/0 declares shape (100000, 100000, 2)" in message, message
    assert "more than any variable of its networks" in message


def test_a_member_declaring_more_than_it_holds_is_damage(tmp_path):
    path = write(tmp_path)
    with_member(path, "monet_generator/0", npy_header((4, 4, 3, 8)) + b"\0" * 16)  # cut off after 4 of 384 values
    with pytest.raises(checkpoints.DamagedCheckpointError, match="member monet_generator/0 declares shape .* holds"):
        runs.read_checkpoint(path)


def test_a_member_that_is_not_an_array_is_damage(tmp_path):
    path = write(tmp_path)
    with_member(path, "monet_generator/0", b"no array here")
    with pytest.raises(checkpoints.DamagedCheckpointError, match="member monet_generator/0 is not a NumPy array"):
        runs.read_checkpoint(path)


def test_a_checkpoint_without_a_state_is_damage(tmp_path):
    path = write(tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist() if info.filename != "state.npy"}
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.raises(checkpoints.DamagedCheckpointError, match="cannot be used"):
        runs.read_checkpoint(path)


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(image_size=64, generator_filters=64),  # the lab's U-Net, whose decoder holds the largest variable
        RecipeConfig(image_size=32, generator="compact", pool_size=3),
        RecipeConfig(
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
    assert largest <= runs.largest_variable(config)


def test_checkpoint_size_is_what_a_checkpoint_takes(finished_run):
    cyclegan = build_cyclegan(FAST)
    size = runs.checkpoint_size(cyclegan)
    written = (finished_run[1] / "step-000006.npz").stat().st_size
    assert size <= written < size * 1.05 + 100_000


@pytest.mark.parametrize("name", ["generator_filters", "residual_blocks"])
def test_a_checkpoint_storing_an_absurd_size_is_damaged_and_nothing_is_built(tmp_path, nothing_built, name):
    from cyclegan_lab.program.runs import load_generator

    config = {**TrainConfig(**TINY, generator="resnet").to_dict(), name: ABSURD[name]}
    path = checkpoints.write_checkpoint(
        tmp_path, {"monet_generator/0": np.zeros(3, "float32")}, {"step": 6, "config": config}
    )
    with pytest.raises(checkpoints.DamagedCheckpointError, match=f"cannot be used .*{name} must be at most"):
        runs.read_checkpoint(path)
    with pytest.raises(
        checkpoints.DamagedCheckpointError, match=f"{name} must be at most"
    ):  # what stylize --model does
        load_generator(path)


# --------------------------------------------------------------------------- a run's generator
def test_load_generator_rebuilds_any_runs_generator_from_its_checkpoint(tmp_path):
    """A checkpoint stores its configuration, so a ResNet run with a moving average loads as itself."""
    import keras

    from cyclegan_lab import checkpoints, load_generator
    from cyclegan_lab.config import TrainConfig
    from cyclegan_lab.judging.monitor import monet_generator_of
    from cyclegan_lab.training import build_cyclegan

    config = RecipeConfig(
        image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, ema_decay=0.5, precision="float32"
    )
    cyclegan = build_cyclegan(config)
    cyclegan.monet_generator.trainable_weights[0].assign_add(0.1)  # the live weights move away from the average
    path = checkpoints.save_checkpoint(cyclegan, tmp_path, {"step": 1, "config": config.to_dict()})
    photos = np.linspace(-1, 1, 2 * 48 * 64 * 3, dtype="float32").reshape(2, 48, 64, 3)  # not the training size
    averaged = keras.ops.convert_to_numpy(monet_generator_of(cyclegan, config)(photos))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(load_generator(tmp_path)(photos)), averaged)
    live = load_generator(path, averaged=False)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(live.trainable_weights[0]),
        keras.ops.convert_to_numpy(cyclegan.monet_generator.trainable_weights[0]),
    )
    assert not np.array_equal(keras.ops.convert_to_numpy(live(photos)), averaged)

    compact = TrainConfig(image_size=32, generator="compact", generator_filters=4, precision="float32")
    path = checkpoints.save_checkpoint(
        build_cyclegan(compact), tmp_path / "compact", {"step": 1, "config": compact.to_dict()}
    )
    assert load_generator(path).count_params() == build_cyclegan(compact).monet_generator.count_params()
    with pytest.raises(FileNotFoundError, match="neither a pretrained model"):
        load_generator(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="No checkpoint in"):
        load_generator(empty)


def test_the_default_model_is_the_shipped_one(tiny_shipped, model):
    """What the program paints with (`as_generator`: `stylize_files`, `write_submission`): by default the
    shipped model, else a pretrained name, a checkpoint or a generator already loaded."""
    image = photo(32, 48)
    expected = stylize(image, model, size=None)
    for given in (None, "monet", model):
        assert np.array_equal(stylize(image, as_generator(given), size=None), expected)
    with pytest.raises(ValueError, match="model must be"):
        as_generator(5)
