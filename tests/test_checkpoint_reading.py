"""cyclegan_lab.program.checkpoint_reading: what a run's checkpoint says is checked before it is believed.

`read_checkpoint` takes a file's word only once its state is a run's record (a step, a loss history of
finite numbers, settings this version knows and can build) and each array declares no more than any
variable of those settings' networks holds (`largest_variable`) and no more than it holds; anything else is
a `DamagedCheckpointError` saying why. `newest_readable_checkpoint` sets a damaged newest checkpoint aside
for the older one; `load_generator` rebuilds any run's generator from its checkpoint, and `as_generator`
hands the program the shipped model by default. The checkpoints are written by hand with
test_checkpoints.py's `write`; what a run does with a damaged one is test_runs.py's.
"""

from __future__ import annotations

import zipfile

import keras
import numpy as np
import pytest
from test_checkpoints import history, npy_header, with_member, write
from test_config import ABSURD
from test_inference import photo
from test_training import TINY

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import LOSS_NAMES
from cyclegan_lab.inference import stylize
from cyclegan_lab.plumbing.checkpoint_file import DamagedCheckpointError
from cyclegan_lab.program import checkpoint_reading
from cyclegan_lab.program.checkpoint_reading import as_generator
from cyclegan_lab.recipe.config import RecipeConfig


# --------------------------------------------------------------------------- what a checkpoint says, checked first
def test_a_checkpoint_of_a_run_reads_back(tmp_path):
    checkpoint = checkpoint_reading.read_checkpoint(write(tmp_path))
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
    with pytest.raises(DamagedCheckpointError, match="cannot be used") as error:
        checkpoint_reading.read_checkpoint(path)
    assert reason in str(error.value) and path.name in str(error.value)


def test_a_bad_newest_state_is_set_aside_for_the_older_good_one(tmp_path, capsys):
    write(tmp_path, step=3)
    newest = write(tmp_path, step=6, history=[0.5])
    found = checkpoint_reading.newest_readable_checkpoint(tmp_path)
    assert found.state["step"] == 3
    out = capsys.readouterr().out
    assert "step-000006.npz cannot be used (its loss history is a list" in out and "step-000003.npz" in out
    assert (tmp_path / "step-000006.npz.damaged").exists() and not newest.exists()


def test_a_checkpoint_whose_settings_are_null_is_named_damaged_not_another_models(tmp_path):
    """A stored "config": null was read as the default settings, which build another model: `load_generator`
    (cyclegan-lab stylize --model) said the checkpoint "does not fit this model", not what is wrong with it."""
    from cyclegan_lab.program.checkpoint_reading import load_generator

    path = write(tmp_path, config=None)
    with pytest.raises(DamagedCheckpointError, match="cannot be used") as error:
        load_generator(path)
    assert path.name in str(error.value) and "stored settings are missing" in str(error.value)
    with pytest.raises(DamagedCheckpointError, match="stored settings are missing"):
        load_generator(tmp_path)  # the run's folder: its only checkpoint is damaged, and said so


# --------------------------------------------------------------------------- member sizes (case 5)
def test_a_member_declaring_an_enormous_array_is_damage_and_is_never_read(tmp_path):
    """The report: a header declaring 74.5 GiB made `stylize --model it.npz` exit with a raw MemoryError."""
    path = write(tmp_path)
    with_member(path, "monet_generator/0", npy_header((100_000, 100_000, 2)) + b"\0" * 64)
    with pytest.raises(DamagedCheckpointError) as error:
        checkpoint_reading.read_checkpoint(path)
    message = str(error.value)
    assert "cannot be used (member monet_generator/0 declares shape (100000, 100000, 2)" in message, message
    assert "more than any variable of its networks" in message


def test_a_member_declaring_more_than_it_holds_is_damage(tmp_path):
    path = write(tmp_path)
    with_member(path, "monet_generator/0", npy_header((4, 4, 3, 8)) + b"\0" * 16)  # cut off after 4 of 384 values
    with pytest.raises(DamagedCheckpointError, match="member monet_generator/0 declares shape .* holds"):
        checkpoint_reading.read_checkpoint(path)


def test_a_member_that_is_not_an_array_is_damage(tmp_path):
    path = write(tmp_path)
    with_member(path, "monet_generator/0", b"no array here")
    with pytest.raises(DamagedCheckpointError, match="member monet_generator/0 is not a NumPy array"):
        checkpoint_reading.read_checkpoint(path)


def test_a_checkpoint_without_a_state_is_damage(tmp_path):
    path = write(tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist() if info.filename != "state.npy"}
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.raises(DamagedCheckpointError, match="cannot be used"):
        checkpoint_reading.read_checkpoint(path)


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
    assert largest <= checkpoint_reading.largest_variable(config)


@pytest.mark.parametrize("name", ["generator_filters", "residual_blocks"])
def test_a_checkpoint_storing_an_absurd_size_is_damaged_and_nothing_is_built(tmp_path, nothing_built, name):
    from cyclegan_lab.program.checkpoint_reading import load_generator

    config = {**TrainConfig(**TINY, generator="resnet").to_dict(), name: ABSURD[name]}
    path = checkpoints.write_checkpoint(
        tmp_path, {"monet_generator/0": np.zeros(3, "float32")}, {"step": 6, "config": config}
    )
    with pytest.raises(DamagedCheckpointError, match=f"cannot be used .*{name} must be at most"):
        checkpoint_reading.read_checkpoint(path)
    with pytest.raises(DamagedCheckpointError, match=f"{name} must be at most"):  # what stylize --model does
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


def test_load_network_gives_back_the_trained_generator(straight_run, resumable):
    """A generator rebuilt in the run's precision and loaded from its checkpoint computes the same images."""
    from cyclegan_lab.models import build_generator
    from cyclegan_lab.plumbing.precision import dtype_policy

    cyclegan, _, folder = straight_run
    with dtype_policy(resumable.precision):
        fresh = build_generator(image_size=32, filters=8)
    checkpoint_reading.load_network(fresh, checkpoints.latest_checkpoint(folder))
    photos = np.linspace(-1, 1, 2 * 32 * 32 * 3, dtype="float32").reshape(2, 32, 32, 3)
    expected = cyclegan.monet_generator(photos)
    got = fresh(photos)
    assert got.dtype == expected.dtype == "float32"  # whatever the precision, images come back as float32
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(expected))
