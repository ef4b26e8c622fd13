"""cyclegan_lab.training: `build_cyclegan` and `train()`. fit() reports the four losses, an interrupted
run resumes exactly (the paper's recipe too), and a run's faults are named with nothing lost: weights that
diverge, saves that fail. What keeps a run's folder in order around `train()` (a busy folder, no room, a
damaged or odd newest checkpoint, another configuration) is test_runs.py's.

Most tests use a tiny variant of the lab's model (32x32 images, 8 generator
filters) so they run in seconds; the CLI smoke test (test_cli.py) trains the real
one. The tiny runs (`tiny_data`, `straight_run`, `finished_run`) are conftest.py's:
test_checkpoints.py, test_runs.py, test_callbacks.py and test_cli.py look at them too.
"""

import json

import keras
import numpy as np
import pytest

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import LOSS_NAMES, NETWORKS
from cyclegan_lab.data import DataFolders, LabData
from cyclegan_lab.pipeline import make_dataset
from cyclegan_lab.program import runs
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.training import build_cyclegan, train

TINY = dict(image_size=32, generator_filters=8)


def all_weights(cyclegan):
    return [keras.ops.convert_to_numpy(v) for name in NETWORKS for v in getattr(cyclegan, name).weights]


class StopAfter(keras.callbacks.Callback):
    """Interrupts training after `steps` steps, like Ctrl-C would."""

    def __init__(self, steps):
        super().__init__()
        self.steps, self.seen = steps, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.steps:
            raise KeyboardInterrupt


RESUMABLE = TrainConfig(**TINY, epochs=2, steps_per_epoch=3, checkpoint_every=2, keep_checkpoints=2, augment=True)


def test_fit_reports_the_four_losses_and_updates_all_four_networks(tiny_data):
    config = TrainConfig(**TINY, steps_per_epoch=2)
    cyclegan = build_cyclegan(config)
    before = all_weights(cyclegan)
    history = cyclegan.fit(
        make_dataset(tiny_data.monet, tiny_data.photo, config), epochs=1, steps_per_epoch=2, verbose=0, shuffle=False
    )
    assert set(history.history) == set(LOSS_NAMES)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    after = all_weights(cyclegan)
    for name in NETWORKS:
        network = getattr(cyclegan, name)
        assert int(getattr(cyclegan, name + "_optimizer").iterations) == 2, name
        changed = [not np.array_equal(a, b) for a, b in zip(before, after)]
        assert any(changed), f"{name} did not learn"
        assert network.trainable_variables


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
FAST = RESUMABLE.replace(precision="float32")  # 2 epochs of 3 steps; checkpoints at steps 2, 3, 4, 6


class CountSteps(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1


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
    from cyclegan_lab.training import _fit_plan

    assert _fit_plan(0, 300, 4) == [(0, 0, 4, 300)]  # a fresh run: one fit() of 4 epochs
    assert _fit_plan(900, 300, 4) == [(900, 3, 4, 300)]  # resumed at an epoch's start
    assert _fit_plan(700, 300, 4) == [(700, 2, 3, 200), (900, 3, 4, 300)]  # 200 steps finish epoch 3
    assert _fit_plan(1100, 300, 4) == [(1100, 3, 4, 100)]  # in the last epoch: only its rest


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
    first = runs.read_checkpoint(tmp_path / "resumed" / "step-000003.npz").state["history"]
    assert len(first["epochs"]["monet_gen_loss"]) == 1, "epoch 1's mean is in epoch 1's checkpoint"
    train(config, tiny_data, checkpoint_dir=tmp_path / "resumed", verbose=0)

    straight, resumed = (runs.read_checkpoint(tmp_path / run / "step-000006.npz") for run in ("straight", "resumed"))
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
        for v in runs.read_checkpoint(tmp_path / "step-000004.npz").arrays.values()
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
