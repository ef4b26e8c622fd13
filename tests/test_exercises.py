"""The notebooks' check cells tell a learner right from wrong, and never stop the notebook."""

import numpy as np
import pytest

from cyclegan_lab.teaching.exercises import check, check_function, check_loss, check_network


@pytest.mark.parametrize(
    "answer, expected, said",
    [
        (None, 3, "Not answered yet"),
        (3.0004, 3, "Correct!"),
        (3.1, 3, "Not quite: you answered 3.1. a hint"),
        (" Large", "large", "Correct!"),
        ("small", "large", "Not quite"),
        ([1, 30, 30, 1], (1, 30, 30, 1), "Correct!"),
        ((1, 30), (1, 30, 30, 1), "Not quite"),
        ("ten", 10, "Not quite"),  # not a number: a wrong answer, not an error
        (0.0005, 0.0, "Correct!"),  # near zero the tolerance is absolute
    ],
)
def test_check_prints_one_verdict_and_never_raises(answer, expected, said, capsys):
    assert check(answer, expected, "a hint") is None
    out = capsys.readouterr().out
    assert said in out and out.count("\n") == 1


def _square(x):
    return x**2


def _raises(x):
    raise KeyError("oops")


@pytest.mark.parametrize(
    "function, said",
    [
        (None, "Not answered yet"),
        (_square, "Correct!"),
        (lambda x: x**2 + 0.01, "values differ by up to 0.01"),
        (lambda x: (x**2)[:2], "returned shape (2,), expected (3,)"),
        (_raises, "raised KeyError"),
    ],
)
def test_check_function_runs_the_learners_code_and_never_raises(function, said, capsys):
    assert check_function(function, (np.array([1.0, 2.0, 3.0]),), [1.0, 4.0, 9.0], "a hint") is None
    out = capsys.readouterr().out
    assert said in out and out.count("\n") == 1


# --------------------------------------------------------------------------- implement-exercises: checked by behaviour
def _conv_block(norm, activation, filters=8, padding="same"):
    import keras

    return keras.Sequential(
        [keras.layers.Conv2D(filters, 4, strides=2, padding=padding, use_bias=False), norm(), activation()]
    )


def _downsample_versions():
    import keras

    instance = lambda: keras.layers.GroupNormalization(groups=-1, epsilon=1e-3)  # noqa: E731
    leaky = lambda: keras.layers.LeakyReLU(negative_slope=0.3)  # noqa: E731
    return {
        "the solution": (lambda: _conv_block(instance, leaky), "Correct!"),
        "layer norm": (lambda: _conv_block(keras.layers.LayerNormalization, leaky), "Layer 2 is a LayerNormalization"),
        "one group": (
            lambda: _conv_block(lambda: keras.layers.GroupNormalization(groups=1), leaky),
            "groups 1 (the lab's 8)",
        ),
        "ReLU": (lambda: _conv_block(instance, keras.layers.ReLU), "Layer 3 is a ReLU in yours, a LeakyReLU"),
        "valid padding": (lambda: _conv_block(instance, leaky, padding="valid"), "returns shape (2, 7, 7, 8)"),
        "16 filters": (lambda: _conv_block(instance, leaky, filters=16), "returns shape (2, 8, 8, 16)"),
    }


@pytest.mark.parametrize("version", list(_downsample_versions()))
def test_check_network_tells_the_downsampling_block_from_planted_wrong_ones(version, capsys):
    """The learner's block is judged by what it computes with the lab's weights; a wrong one is named."""
    from cyclegan_lab.models import downsample

    make, said = _downsample_versions()[version]
    inputs = np.random.default_rng(0).normal(size=(2, 16, 16, 3)).astype("float32")
    check_network(make(), downsample(8), inputs, "a hint")
    out = capsys.readouterr().out
    assert said in out and out.count("\n") == 1, out
    assert out.startswith("Correct!") == (version == "the solution")


def test_check_network_notices_a_missing_dropout_and_accepts_the_right_one(capsys):
    import keras

    from cyclegan_lab.models import upsample

    def mine(dropout):
        layers = [keras.layers.Conv2DTranspose(8, 4, strides=2, padding="same", use_bias=False)]
        layers += [keras.layers.GroupNormalization(groups=-1)] + [keras.layers.Dropout(0.5)] * dropout
        return keras.Sequential(layers + [keras.layers.ReLU()])

    inputs = np.random.default_rng(1).normal(size=(2, 4, 4, 16)).astype("float32")
    check_network(mine(True), upsample(8, apply_dropout=True), inputs)
    check_network(mine(False), upsample(8, apply_dropout=True), inputs)
    right, wrong = capsys.readouterr().out.splitlines()
    assert right == "Correct!"
    assert wrong.startswith("Not quite: in training mode") and "Layer 3 is a ReLU in yours, a Dropout" in wrong


def test_check_network_never_raises_on_a_broken_answer(capsys):
    from cyclegan_lab.models import downsample

    check_network(None, downsample(8), np.zeros((1, 8, 8, 3), "float32"))
    check_network(lambda x: 1 / 0, downsample(8), np.zeros((1, 8, 8, 3), "float32"))
    unanswered, broken = capsys.readouterr().out.splitlines()
    assert unanswered.startswith("Not answered yet") and "raised ZeroDivisionError" in broken


def _loss_cases():
    rng = np.random.default_rng(2)
    return [tuple(rng.normal(size=(1, 4, 4, 1)).astype("float32") for _ in range(2)) for _ in range(3)]


@pytest.mark.parametrize(
    "mine, said",
    [
        ("the solution", "Correct!"),
        ("no 0.5", "2 times the lab's on every case"),
        ("real and fake swapped", "on case"),
        ("None", "Not answered yet"),
    ],
)
def test_check_loss_says_how_a_discriminator_loss_differs(mine, said, capsys):
    import keras

    from cyclegan_lab.losses import discriminator_loss

    bce = lambda target, logits: keras.ops.mean(  # noqa: E731
        keras.losses.binary_crossentropy(keras.ops.full_like(logits, target), logits, from_logits=True)
    )
    versions = {
        "the solution": lambda real, fake: 0.5 * (bce(1.0, real) + bce(0.0, fake)),
        "no 0.5": lambda real, fake: bce(1.0, real) + bce(0.0, fake),
        "real and fake swapped": lambda real, fake: 0.5 * (bce(0.0, real) + bce(1.0, fake)),
        "None": None,
    }
    check_loss(versions[mine], discriminator_loss, _loss_cases(), "a hint")
    out = capsys.readouterr().out
    assert said in out and out.count("\n") == 1, out


def test_check_loss_names_a_wrong_lambda_as_a_factor(capsys):
    from cyclegan_lab.losses import cycle_loss

    cases = [(real, cycled, 10.0) for real, cycled in _loss_cases()]
    check_loss(lambda real, cycled, lam: 5.0 * np.mean(np.abs(real - cycled)), cycle_loss, cases)
    check_loss(lambda real, cycled, lam: lam * np.mean(np.abs(real - cycled)), cycle_loss, cases)
    wrong, right = capsys.readouterr().out.splitlines()
    assert "0.5 times the lab's" in wrong and right == "Correct!"


def test_reveal_shows_a_measured_value_only_once_the_learner_has_answered(capsys):
    from cyclegan_lab.teaching.exercises import reveal

    reveal(None, "grid:", (1, 14, 14, 1))
    assert capsys.readouterr().out == ""
    reveal((1, 2, 2, 1), "grid:", (1, 14, 14, 1))
    assert capsys.readouterr().out == "grid: (1, 14, 14, 1)\n"
