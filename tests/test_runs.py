"""cyclegan_lab.program.runs: `train`, a run that may be stopped and started again.

It resumes exactly where it stopped (`fit_plan` finishes an epoch begun; the paper's recipe, pools and
schedule included), and does not train a finished run again. Its faults are named with nothing lost: a
busy folder, a folder that is a file, no room (`checkpoint_size`), leftovers of a killed save, another
configuration, a damaged or odd newest checkpoint (set aside for the older one), weights that diverge or
overflow, saves that fail. The tiny runs (`tiny_data`, `straight_run`, `finished_run`) are conftest.py's,
the shared constants test_training.py's. How a checkpoint is read and checked (`read_checkpoint`,
`load_generator`) is test_checkpoint_reading.py's; `ODD` and `copy_of` here are test_cli.py's too.
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
from test_training import FAST, CountSteps, StopAfter, all_weights

from cyclegan_lab import checkpoints
from cyclegan_lab.cyclegan import LOSS_NAMES
from cyclegan_lab.data import DataFolders, LabData
from cyclegan_lab.plumbing import files, folder_lock
from cyclegan_lab.plumbing.checkpoint_file import DamagedCheckpointError
from cyclegan_lab.program import checkpoint_reading, runs
from cyclegan_lab.program.runs import train
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
            train(FAST, tiny_data, checkpoint_dir=tmp_path, callbacks=[counter], verbose=0)
    assert counter.steps == 0
    assert checkpoints.list_checkpoints(tmp_path) == []


def test_a_run_holds_the_lock_while_it_trains_and_gives_it_back(tiny_data, tmp_path):
    seen = []

    class LookAtLock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(folder_lock.lock_holder(tmp_path))

    train(
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
        train(FAST, tiny_data, checkpoint_dir=tmp_path / "checkpoints", callbacks=[counter], verbose=0)
    assert counter.steps == 0


def test_too_little_disk_for_one_checkpoint_stops_before_training(tiny_data, tmp_path, monkeypatch):
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: (10**6, 10**6 - 1000, 1000))
    counter = CountSteps()
    with pytest.raises(files.FolderNotWritableError, match="3 checkpoints at once"):
        train(FAST, tiny_data, checkpoint_dir=tmp_path, callbacks=[counter], verbose=0)
    assert counter.steps == 0


def test_the_room_check_counts_every_checkpoint_that_exists_at_once(tiny_data, tmp_path, monkeypatch):
    """Keeping 2 writes a third before deleting the oldest: room for 2 is not enough."""
    size = runs.checkpoint_size(build_cyclegan(FAST))
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: (10**9, 10**9 - 2 * size - 10, 2 * size + 10))
    with pytest.raises(files.FolderNotWritableError, match=r"3 checkpoints at once \(keeping 2\)"):
        train(FAST, tiny_data, checkpoint_dir=tmp_path, verbose=0)


def test_checkpoint_size_is_what_a_checkpoint_takes(finished_run):
    cyclegan = build_cyclegan(FAST)
    size = runs.checkpoint_size(cyclegan)
    written = (finished_run[1] / "step-000006.npz").stat().st_size
    assert size <= written < size * 1.05 + 100_000


def test_leftovers_of_a_killed_save_are_removed_from_the_checkpoint_folder(tiny_data, tmp_path, capsys, killed_write):
    """Case 6: a kill during a save left half-written checkpoints (1.37 GB each for the lab's model)."""
    leftover = killed_write(tmp_path / "step-000002.npz")
    (tmp_path / "my-notes.part-1").write_text("not ours")
    train(FAST.replace(epochs=1, steps_per_epoch=1), tiny_data, checkpoint_dir=tmp_path, verbose=0)
    assert files_in(tmp_path) == ["my-notes.part-1", "step-000001.npz"]
    assert leftover.name in capsys.readouterr().out


# --------------------------------------------------------------------------- the same run's settings
def test_resuming_with_another_configuration_stops_and_lists_the_differences(finished_run, tiny_data, tmp_path, capsys):
    """Case 2: resuming with another seed or learning rate carried on with no warning."""
    folder = copy_of(finished_run[1], tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    changed = FAST.replace(seed=1, learning_rate=1e-3, epochs=3)
    with pytest.raises(runs.ConfigChangedError) as error:
        train(changed, tiny_data, checkpoint_dir=folder, verbose=0)
    message = str(error.value)
    assert "seed 0 -> 1" in message and "learning_rate 0.0002 -> 0.001" in message
    assert "epochs" not in message.split(":", 1)[1], "the run length may change"
    assert "allow_config_change" in message and "\n" not in message
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before, "nothing touched"

    cyclegan, _ = train(changed, tiny_data, checkpoint_dir=folder, verbose=0, allow_config_change=True)
    assert "seed 0 -> 1" in capsys.readouterr().out
    assert int(cyclegan.monet_generator_optimizer.iterations) == 9


def test_a_longer_run_resumes_without_a_question(finished_run, tiny_data, tmp_path):
    folder = copy_of(finished_run[1], tmp_path)
    longer = FAST.replace(epochs=3, checkpoint_every=None, keep_checkpoints=3)
    cyclegan, _ = train(longer, tiny_data, checkpoint_dir=folder, verbose=0)
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

    resumed, _ = train(FAST, tiny_data, checkpoint_dir=folder, verbose=0)

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
    with pytest.raises(DamagedCheckpointError, match="No readable checkpoint") as error:
        train(FAST, tiny_data, checkpoint_dir=tmp_path, verbose=0)
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
    with pytest.raises(DamagedCheckpointError, match=re.escape(reason)) as error:
        checkpoint_reading.read_checkpoint(folder / "step-000006.npz")
    assert "allow_pickle" not in str(error.value)
    resumed, _ = train(FAST, tiny_data, checkpoint_dir=folder, verbose=0)
    out = capsys.readouterr().out
    assert f"step-000006.npz cannot be used ({reason}" in out and "resuming from step-000004.npz" in out, out
    assert (folder / "step-000006.npz.damaged").exists()
    assert int(resumed.monet_generator_optimizer.iterations) == 6


# --------------------------------------------------------------------------- resuming exactly
def test_interrupted_training_resumes_exactly(straight_run, resumable, tiny_data, tmp_path):
    """Stopped after step 4 (mid-epoch 2) and resumed: the same as never stopping."""
    straight, straight_history, _ = straight_run
    with pytest.raises(KeyboardInterrupt):
        train(resumable, tiny_data, checkpoint_dir=tmp_path, callbacks=[StopAfter(4)], verbose=0)
    assert checkpoints.latest_checkpoint(tmp_path).name == "step-000004.npz"
    resumed, resumed_history = train(resumable, tiny_data, checkpoint_dir=tmp_path, verbose=0)

    assert int(resumed.monet_generator_optimizer.iterations) == 6
    for name in LOSS_NAMES:
        np.testing.assert_allclose(resumed_history.steps[name], straight_history.steps[name], rtol=1e-4)
        np.testing.assert_allclose(resumed_history.epochs[name], straight_history.epochs[name], rtol=1e-4)
    for a, b in zip(all_weights(resumed), all_weights(straight)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_finished_run_is_not_trained_again(straight_run, resumable, tiny_data, capsys):
    again, history = train(resumable, tiny_data, checkpoint_dir=straight_run[2], verbose=0)
    assert "already finished" in capsys.readouterr().out
    assert int(again.monet_generator_optimizer.iterations) == 6
    assert len(history.steps["monet_gen_loss"]) == 6


# --------------------------------------------------------------------------- the paper's recipe resumes exactly too
PAPER = RecipeConfig(
    image_size=64,
    crop_size=32,
    generator_filters=4,
    adversarial_loss="lsgan",
    pool_size=3,
    augment=True,
    epochs=2,
    decay_epochs=1,
    steps_per_epoch=3,
    checkpoint_every=2,
)


SHIPPED_RECIPE = PAPER.replace(
    generator="resnet",
    residual_blocks=2,
    diffaugment="translation,cutout,color",
    photo_negatives=True,
    ema_decay=0.9,
    cycle_blur=True,
    cycle_noise=0.1,
)


@pytest.mark.parametrize(
    "config", [PAPER, SHIPPED_RECIPE], ids=["paper", "resnet+diffaugment+negatives+ema+cycle-noise"]
)
def test_the_papers_recipe_resumes_exactly_pool_and_schedule_included(config, tmp_path):
    rng = np.random.default_rng(1)
    data = LabData(
        rng.integers(0, 256, (5, 64, 64, 3), dtype=np.uint8),
        rng.integers(0, 256, (7, 64, 64, 3), dtype=np.uint8),
        DataFolders(None, None),
    )
    straight, history = train(config, data, checkpoint_dir=tmp_path / "straight", verbose=0)
    with pytest.raises(KeyboardInterrupt):
        train(config, data, checkpoint_dir=tmp_path / "resumed", callbacks=[StopAfter(4)], verbose=0)
    resumed, resumed_history = train(config, data, checkpoint_dir=tmp_path / "resumed", verbose=0)

    np.testing.assert_allclose(resumed_history.steps["monet_disc_loss"], history.steps["monet_disc_loss"], rtol=1e-4)
    for part_a, part_b in zip(resumed.recipe_parts(), straight.recipe_parts()):  # pools, augmentation, average
        for a, b in zip(part_a.variables, part_b.variables):
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), rtol=1e-4, atol=1e-5, err_msg=part_a.name
            )
    assert int(straight.monet_pool.count) == 3
    # The learning rate has decayed to zero at the last step.
    optimizer = straight.monet_generator_optimizer
    assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-12)
    assert checkpoints.latest_checkpoint(tmp_path / "resumed").name == "step-000006.npz"


# --------------------------------------------------------------------------- faults named, nothing lost
def test_a_save_that_fails_mid_run_keeps_training_and_tries_again(tiny_data, tmp_path, monkeypatch, capsys):
    """Case 4: a full disk mid-run ended the run with a raw OSError."""
    real_savez = checkpoints.np.savez
    failures = []

    def full_disk_twice(file, **arrays):
        if len(failures) < 2:
            failures.append(int(json.loads(str(arrays["state"]))["step"]))
            raise OSError(28, "No space left on device")
        return real_savez(file, **arrays)

    monkeypatch.setattr(checkpoints.np, "savez", full_disk_twice)
    counter = CountSteps()
    cyclegan, _ = train(FAST, tiny_data, checkpoint_dir=tmp_path, callbacks=[counter], verbose=0)
    out = capsys.readouterr().out
    assert counter.steps == 6
    assert failures == [2, 3]
    assert out.count("No space left on device") == 1, out
    assert [p.name for p in checkpoints.list_checkpoints(tmp_path)] == ["step-000004.npz", "step-000006.npz"]
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name], "no half-written files left"


def test_a_run_resumed_mid_epoch_finishes_that_epoch_then_trains_the_whole_epochs_left():
    from cyclegan_lab.program.runs import fit_plan

    assert fit_plan(0, 300, 4) == [(0, 0, 4, 300)]  # a fresh run: one fit() of 4 epochs
    assert fit_plan(900, 300, 4) == [(900, 3, 4, 300)]  # resumed at an epoch's start
    assert fit_plan(700, 300, 4) == [(700, 2, 3, 200), (900, 3, 4, 300)]  # 200 steps finish epoch 3
    assert fit_plan(1100, 300, 4) == [(1100, 3, 4, 100)]  # in the last epoch: only its rest


class StopAtEpochStart(keras.callbacks.Callback):
    """Interrupts training as the second epoch begins: just after the first epoch's checkpoint is written."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_the_saved_loss_history_survives_an_interruption_like_the_weights(tiny_data, tmp_path):
    """Once, the save at an epoch's last step came before its mean was recorded and the epoch-end save
    was skipped: an uninterrupted run's final checkpoint lacked its last epoch's mean, and a run killed
    after an epoch's checkpoint lost that epoch's mean for good."""
    config = FAST.replace(checkpoint_every=3)  # every epoch's last step is also a multiple of checkpoint_every
    train(config, tiny_data, checkpoint_dir=tmp_path / "straight", verbose=0)
    with pytest.raises(KeyboardInterrupt):
        train(config, tiny_data, checkpoint_dir=tmp_path / "resumed", callbacks=[StopAtEpochStart()], verbose=0)
    first = checkpoint_reading.read_checkpoint(tmp_path / "resumed" / "step-000003.npz").state["history"]
    assert len(first["epochs"]["monet_gen_loss"]) == 1, "epoch 1's mean is in epoch 1's checkpoint"
    train(config, tiny_data, checkpoint_dir=tmp_path / "resumed", verbose=0)

    read = checkpoint_reading.read_checkpoint
    straight, resumed = (read(tmp_path / run / "step-000006.npz") for run in ("straight", "resumed"))
    assert len(straight.state["history"]["epochs"]["monet_gen_loss"]) == 2
    assert straight.state.keys() == resumed.state.keys()
    for part in ("steps", "epochs"):
        for name in LOSS_NAMES:
            np.testing.assert_allclose(
                resumed.state["history"][part][name], straight.state["history"][part][name], rtol=1e-4
            )
    assert {k: v for k, v in straight.state.items() if k != "history"} == {
        k: v for k, v in resumed.state.items() if k != "history"
    }
    assert straight.arrays.keys() == resumed.arrays.keys()
    for key in straight.arrays:
        if key != "state":
            np.testing.assert_allclose(resumed.arrays[key], straight.arrays[key], rtol=1e-4, atol=1e-5, err_msg=key)


class BreakWeightsAfter(keras.callbacks.Callback):
    """Turns one Monet generator weight into NaN after `step` steps, as an overflowing update does."""

    def __init__(self, step):
        super().__init__()
        self.break_step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.monet_generator_optimizer.iterations) == self.break_step:
            weight = self.model.monet_generator.trainable_weights[0]
            weight.assign(np.full(weight.shape, np.nan, weight.dtype))


def test_a_diverging_run_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(tiny_data, tmp_path):
    """A run whose weights overflowed once printed nan losses, saved NaN weights and exited 0."""
    from cyclegan_lab.callbacks import TrainingDivergedError

    config = FAST.replace(checkpoint_every=1)
    with pytest.raises(TrainingDivergedError, match=r"Training diverged at step 5: its losses are not finite") as error:
        train(config, tiny_data, checkpoint_dir=tmp_path, callbacks=[BreakWeightsAfter(4)], verbose=0)
    assert checkpoints.latest_checkpoint(tmp_path).name == "step-000004.npz"  # saved before the weights broke
    assert f"last good checkpoint is {tmp_path / 'step-000004.npz'}" in str(error.value), "it names it"
    assert all(
        np.isfinite(v).all()
        for v in checkpoint_reading.read_checkpoint(tmp_path / "step-000004.npz").arrays.values()
        if v.dtype.kind == "f"
    )


def test_a_run_whose_weights_overflow_with_finite_losses_says_it_diverged(tiny_data, tmp_path):
    """at --learning-rate 1e12 the weights overflowed while the step's losses were still finite: the
    checkpoint refused to save, said "Not saving step N" as a plain error (the CLI's exit 2, "could not start")
    and that the last good checkpoint was on disk when none was."""
    from cyclegan_lab.callbacks import TrainingDivergedError

    config = FAST.replace(epochs=1, steps_per_epoch=2, learning_rate=1e12)  # saved first at the epoch's end
    with pytest.raises(TrainingDivergedError, match="diverged at step 2: the weights of .* are not finite") as error:
        train(config, tiny_data, checkpoint_dir=tmp_path, verbose=0)
    assert "No checkpoint was saved" in str(error.value) and "last good" not in str(error.value)
    assert checkpoints.list_checkpoints(tmp_path) == []


def test_a_run_whose_last_save_failed_says_so_and_fails(tiny_data, tmp_path, monkeypatch):
    from cyclegan_lab.callbacks import CheckpointNotSavedError

    real_savez = checkpoints.np.savez

    def full_from_step_4(file, **arrays):
        if json.loads(str(arrays["state"]))["step"] >= 4:
            raise OSError(28, "No space left on device")
        return real_savez(file, **arrays)

    monkeypatch.setattr(checkpoints.np, "savez", full_from_step_4)
    with pytest.raises(CheckpointNotSavedError, match="newest steps are not saved"):
        train(FAST, tiny_data, checkpoint_dir=tmp_path, verbose=0)
    assert checkpoints.latest_checkpoint(tmp_path).name == "step-000003.npz"
