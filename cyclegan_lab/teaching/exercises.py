"""The check cells of the notebooks' exercises.

Each exercise has a cell where the learner sets an answer (`None` until
they do), a hidden solution, and a check cell that calls `check`. It prints
one line and never raises, so a notebook with unanswered exercises still
runs top to bottom, and an instructor can grade from the printed lines.
"""

from __future__ import annotations


def check(answer, expected, hint: str = "", tolerance: float = 1e-3) -> None:
    """Print whether `answer` matches `expected`: "Correct!", "Not quite: ..." (with `hint`), or
    "Not answered yet" for None. Strings match ignoring case and surrounding spaces, tuples and
    lists element by element, numbers within `tolerance` (relative, and absolute below 1).
    It returns nothing, so a check cell shows only its line."""
    if answer is None:
        print("Not answered yet: set your answer in the cell above, run it, then run this cell again.")
        return
    try:
        if isinstance(expected, str):
            right = str(answer).strip().lower() == expected.lower()
        elif isinstance(expected, (tuple, list)):
            right = tuple(answer) == tuple(expected)
        else:
            right = abs(float(answer) - float(expected)) <= tolerance * max(1.0, abs(float(expected)))
    except (TypeError, ValueError):
        right = False
    print("Correct!" if right else f"Not quite: you answered {answer!r}. {hint}")


def check_function(function, inputs: tuple, expected, hint: str = "", tolerance: float = 1e-4) -> None:
    """Print whether `function(*inputs)` gives `expected` (an array, or what converts to one): for
    exercises that ask for code. "Not answered yet" while `function` is None; a function that raises,
    returns another shape or other values gets "Not quite: ..." naming what went wrong (values
    must agree within `tolerance`, absolute and relative). Like `check`, it never raises."""
    import numpy as np

    if function is None:
        print("Not answered yet: write your function in the cell above, run it, then run this cell again.")
        return
    try:
        got = np.asarray(function(*inputs), dtype="float64")
    except Exception as error:  # a learner's bug is an answer, not a crash of the notebook
        print(f"Not quite: your function raised {type(error).__name__}: {error}. {hint}")
        return
    want = np.asarray(expected, dtype="float64")
    if got.shape != want.shape:
        print(f"Not quite: your function returned shape {got.shape}, expected {want.shape}. {hint}")
    elif not np.allclose(got, want, rtol=tolerance, atol=tolerance):
        worst = float(np.abs(got - want).max())
        print(f"Not quite: the shape is right, but values differ by up to {worst:.3g}. {hint}")
    else:
        print("Correct!")
