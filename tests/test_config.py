"""cyclegan_lab.config: sizes no real run uses are refused before any network is built.

`generator_filters: 1000000` once ran out of memory with a raw
ResourceExhaustedError, and `residual_blocks: 1000000` spent hours building
the network before anything was checked: on the command line, in a
checkpoint's stored settings and in the shipped model's ``monet.json`` alike.
Each is now one message naming the setting, and nothing is built.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cyclegan_lab import checkpoints
from cyclegan_lab.config import RECIPE, TrainConfig

TINY = dict(image_size=32, generator_filters=8)
# Settings far beyond any network that fits in memory; image_size stays a power of two, so only its size is wrong.
ABSURD = {
    "generator_filters": 1_000_000,
    "residual_blocks": 1_000_000,
    "image_size": 2**20,
    "batch_size": 1_000_000,
    "pool_size": 1_000_000,
}


@pytest.mark.parametrize("name", list(ABSURD))
def test_an_absurd_size_is_refused_naming_the_setting(name):
    with pytest.raises(ValueError, match=f"^{name} must be at most .*got {ABSURD[name]}") as error:
        TrainConfig(**{name: ABSURD[name]})
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "values",
    [
        {},  # the lab's
        RECIPE,  # the shipped model's
        dict(generator="resnet", generator_filters=64, residual_blocks=9, pool_size=50),  # the paper's, 256 pixels
        dict(image_size=1024, batch_size=64, generator_filters=128, residual_blocks=18),  # larger than any of those
    ],
)
def test_the_sizes_real_runs_use_are_accepted(values):
    TrainConfig(**values)


@pytest.fixture
def nothing_built(monkeypatch):
    """Any attempt to build a network fails the test: the settings must be refused before."""
    from cyclegan_lab import models, pretrained, training

    def build(*args, **kwargs):
        raise AssertionError("a network was built before the settings were checked")

    for module in (models, pretrained, training):
        for name in ("generator_for", "build_cyclegan"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, build)


@pytest.mark.parametrize("name", ["generator_filters", "residual_blocks"])
def test_an_absurd_size_on_the_command_line_is_one_line_and_exit_2(tmp_path, capsys, nothing_built, name):
    from cyclegan_lab.program.cli import main

    flag = "--" + name.replace("_", "-")
    code = main(
        ["train", "--smoke", "--generator", "resnet", flag, str(ABSURD[name]), "--checkpoint-dir", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2 and f"{name} must be at most" in err and err.count("\n") == 1, err


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


@pytest.mark.parametrize("name", ["generator_filters", "residual_blocks"])
def test_a_shipped_model_describing_an_absurd_size_is_one_error_and_nothing_is_built(tmp_path, nothing_built, name):
    from cyclegan_lab.pretrained import load_pretrained

    config = {**TrainConfig(**TINY, generator="resnet").to_dict(), name: ABSURD[name]}
    (tmp_path / "monet.json").write_text(json.dumps({"config": config}))
    (tmp_path / "monet.weights.h5").write_bytes(b"never read")
    with pytest.raises(ValueError, match=f"monet.json .*{name} must be at most") as error:
        load_pretrained("monet", folder=tmp_path)
    assert "\n" not in str(error.value)
