"""The notebooks' check cells tell a learner right from wrong, and never stop the notebook."""

import numpy as np
import pytest

from cyclegan_lab.teaching.exercises import check, check_function


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
