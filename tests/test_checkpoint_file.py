"""plumbing.checkpoint_file: a checkpoint file is read whole, its state judged before any array, and each
array only once its header declares no more than the state allows; anything else is one DamagedCheckpointError
naming the file and the reason. test_checkpoints.py and test_checkpoint_reading.py read real runs' files."""

import json

import numpy as np
import pytest

from cyclegan_lab.plumbing.checkpoint_file import DamagedCheckpointError, check_resumable, read_checked

STATE = {"step": 3, "history": {"steps": {}, "epochs": {}}}


def saved(path, state=STATE, **arrays):
    np.savez(path, state=np.array(json.dumps(state)), **arrays)
    return path


def allow(limit):
    """A `check` that believes any state and lets each array take at most `limit` bytes."""
    return lambda state: (limit, "what this test allows")


def test_a_good_file_reads_back_whole(tmp_path):
    path = saved(tmp_path / "step-000003.npz", **{"net/0": np.ones((2, 3), "float32")})
    checkpoint = read_checked(path, allow(1000))
    assert checkpoint.state == STATE and checkpoint.path == path
    np.testing.assert_array_equal(checkpoint.arrays["net/0"], np.ones((2, 3), "float32"))


def test_the_state_is_judged_before_any_array_is_read(tmp_path):
    path = saved(tmp_path / "step-000003.npz", **{"net/0": np.ones((2, 3), "float32")})
    judged = []

    def check(state):
        judged.append(state)
        raise ValueError("its state is not one this test accepts")

    with pytest.raises(DamagedCheckpointError, match="cannot be used \\(its state is not one this test accepts\\)"):
        read_checked(path, check)
    assert judged == [STATE]


def test_an_array_larger_than_the_state_allows_is_damage(tmp_path):
    path = saved(tmp_path / "step-000003.npz", **{"net/0": np.ones((100, 100), "float32")})
    with pytest.raises(DamagedCheckpointError, match="more than what this test allows") as error:
        read_checked(path, allow(1000))
    assert str(path) in str(error.value) and "declares shape (100, 100)" in error.value.reason


@pytest.mark.parametrize(
    "write, reason",
    [
        (lambda path: path.write_bytes(b"not a zip"), "not a checkpoint's .npz archive"),
        (lambda path: np.savez(path, **{"net/0": np.ones(3)}), "holds no state"),
        (lambda path: np.savez(path, state=np.array([{"step": 1}], dtype=object)), "pickled Python objects"),
    ],
)
def test_a_file_that_is_no_checkpoint_is_one_clear_error(tmp_path, write, reason):
    path = tmp_path / "step-000001.npz"
    write(path)
    with pytest.raises(DamagedCheckpointError, match="Use another checkpoint") as error:
        read_checked(path, allow(10**6))
    assert reason in error.value.reason


@pytest.mark.parametrize(
    "state, reason",
    [
        ([3], "its state is a list"),
        ({"history": {}}, "records no training step"),
        ({"step": True}, "records no training step"),
        ({"step": -1}, "records step -1"),
        ({"step": 1, "history": []}, "its loss history is a list"),
        ({"step": 1, "history": {"weeks": {}}}, "unknown parts: weeks"),
        ({"step": 1, "history": {"steps": [1.0]}}, "steps are a list"),
    ],
)
def test_a_state_training_cannot_go_on_from_is_named(state, reason):
    with pytest.raises(ValueError, match=reason):
        check_resumable(state)
    check_resumable(STATE)  # and a good one passes
