"""The check cells of the notebooks' exercises.

Each exercise has a cell where the learner sets an answer (`None` until
they do), a hidden solution, and a check cell that calls `check`. It prints
one line and never raises, so a notebook with unanswered exercises still
runs top to bottom, and an instructor can grade from the printed lines.
"""

from __future__ import annotations

__all__ = ["check", "check_function", "check_network", "check_loss", "reveal"]


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
        print(f"Not quite: your function raised {type(error).__name__}: {str(error).rstrip('.')}. {hint}")
        return
    want = np.asarray(expected, dtype="float64")
    if got.shape != want.shape:
        print(f"Not quite: your function returned shape {got.shape}, expected {want.shape}. {hint}")
    elif not np.allclose(got, want, rtol=tolerance, atol=tolerance):
        worst = float(np.abs(got - want).max())
        print(f"Not quite: the shape is right, but values differ by up to {worst:.3g}. {hint}")
    else:
        print("Correct!")


def check_network(mine, lab, inputs, hint: str = "", tolerance: float = 1e-4) -> None:
    """Print whether the learner's network `mine` computes what the lab's `lab` computes.

    Behaviour, not names: both are called on `inputs` (which builds them),
    then both get the same weights (random, of a trained network's scale,
    assigned to both in order), and both run again (in inference mode, and in training mode unless a layer draws random
    numbers there, like dropout). Same outputs: "Correct!". Otherwise one
    "Not quite: ..." line says what differs: the output's shape, the weights'
    shapes, or the values, with the first layer whose kind or settings differ
    from the lab's, where there is one. Never raises.
    """
    import numpy as np

    if mine is None:
        print("Not answered yet: write your code in the cell above, run it, then run this cell again.")
        return
    try:
        got, want = np.asarray(mine(inputs)), np.asarray(lab(inputs))
        if got.shape != want.shape:
            difference = _first_layer_difference(mine, lab)
            print(f"Not quite: your network returns shape {got.shape}, the lab's {want.shape}. {difference}{hint}")
            return
        mine_shapes = [tuple(w.shape) for w in mine.weights]
        lab_shapes = [tuple(w.shape) for w in lab.weights]
        if mine_shapes != lab_shapes:
            print(f"Not quite: {_weights_differ(mine_shapes, lab_shapes)}. {_first_layer_difference(mine, lab)}{hint}")
            return
        rng = np.random.default_rng(0)  # weights of a trained network's scale, the same in both
        for ours, theirs in zip(mine.weights, lab.weights):
            fan_in = int(np.prod(theirs.shape[:-1])) if len(theirs.shape) > 1 else 0
            value = rng.normal(0, fan_in**-0.5, theirs.shape) if fan_in else rng.uniform(0.5, 1.5, theirs.shape)
            theirs.assign(value.astype(str(theirs.dtype)))
            ours.assign(theirs)
        modes = [False] if any(draws_random(layer) for layer in layers_of(lab)) else [False, True]
        if modes == [False] and np.allclose(mine(inputs, training=True), mine(inputs, training=False)):
            print(
                "Not quite: in training mode your network gives what it gives in inference mode, but the lab's "
                f"drops out units at random while it trains. {_first_layer_difference(mine, lab)}{hint}"
            )
            return
        for training in modes:
            got = np.asarray(mine(inputs, training=training), dtype="float64")
            want = np.asarray(lab(inputs, training=training), dtype="float64")
            if not np.allclose(got, want, rtol=tolerance, atol=tolerance * max(1.0, float(np.abs(want).max()))):
                worst = float(np.abs(got - want).max())
                mode = "training" if training else "inference"
                print(
                    f"Not quite: with the same weights, your network's outputs (in {mode} mode) differ from the "
                    f"lab's by up to {worst:.3g}. {_first_layer_difference(mine, lab)}{hint}"
                )
                return
    except Exception as error:  # a learner's bug is an answer, not a crash of the notebook
        print(f"Not quite: your network raised {type(error).__name__}: {str(error).rstrip('.')}. {hint}")
        return
    print("Correct!")


def check_loss(mine, lab, cases, hint: str = "", tolerance: float = 1e-4) -> None:
    """Print whether the learner's loss function `mine` gives the lab's `lab` values on each of `cases`
    (tuples of arguments). Where it does not, say by how much, and whether yours is a constant multiple
    of the lab's (a missing 0.5, a wrong weight) or the opposite sign. Never raises."""
    import numpy as np

    if mine is None:
        print("Not answered yet: write your function in the cell above, run it, then run this cell again.")
        return
    try:
        got = np.array([np.asarray(mine(*case), dtype="float64") for case in cases])
    except Exception as error:
        print(f"Not quite: your function raised {type(error).__name__}: {str(error).rstrip('.')}. {hint}")
        return
    want = np.array([np.asarray(lab(*case), dtype="float64") for case in cases])
    if got.shape != want.shape:
        print(f"Not quite: your function returns shape {got.shape[1:]}, the lab's {want.shape[1:]}. {hint}")
        return
    if np.allclose(got, want, rtol=tolerance, atol=tolerance):
        print("Correct!")
        return
    ratios = got[want != 0] / want[want != 0]
    if len(ratios) > 1 and np.allclose(ratios, ratios[0], rtol=1e-3) and abs(ratios[0]) > 1e-6:
        how = "the opposite" if np.isclose(ratios[0], -1) else f"{ratios[0]:.4g} times"
        print(f"Not quite: your values are {how} the lab's on every case: a factor or a sign differs. {hint}")
        return
    worst = int(np.argmax(np.abs(got - want).reshape(len(cases), -1).max(axis=1)))
    print(
        f"Not quite: on case {worst + 1} of {len(cases)} your function gives {got[worst].ravel()[0]:.4g}, "
        f"the lab's {want[worst].ravel()[0]:.4g}. {hint}"
    )


def layers_of(network) -> list:
    """Every layer inside `network` that computes something, in order, nested blocks opened."""
    found = []
    for layer in getattr(network, "layers", None) or []:
        inner = getattr(layer, "layers", None)
        if inner:
            found += layers_of(layer)
        elif type(layer).__name__ != "InputLayer":
            found.append(layer)
    return found


def draws_random(layer) -> bool:
    return "Dropout" in type(layer).__name__ or "Noise" in type(layer).__name__


_NOT_BEHAVIOUR = {"name", "trainable", "dtype", "dtype_policy", "seed"}


def _settings(layer) -> dict:
    """A layer's settings that change what it computes (not its name, nor how its weights start)."""
    config = layer.get_config()
    return {
        k: v
        for k, v in config.items()
        if k not in _NOT_BEHAVIOUR and not k.endswith(("initializer", "regularizer", "constraint"))
    }


def _first_layer_difference(mine, lab) -> str:
    """A sentence naming the first layer of `mine` whose kind or settings differ from the lab's, or ""."""
    ours, theirs = layers_of(mine), layers_of(lab)
    for i, (a, b) in enumerate(zip(ours, theirs), 1):
        if type(a) is not type(b):
            return f"Layer {i} is a {type(a).__name__} in yours, a {type(b).__name__} in the lab's. "
        differ = {k: (v, _settings(b).get(k)) for k, v in _settings(a).items() if _settings(b).get(k) != v}
        if differ:
            said = ", ".join(f"{k} {v!r} (the lab's {w!r})" for k, (v, w) in sorted(differ.items()))
            return f"Layer {i} ({type(a).__name__}) has {said}. "
    if len(ours) != len(theirs):
        return f"Yours has {len(ours)} layers, the lab's {len(theirs)}. "
    return ""


def _weights_differ(mine: list, lab: list) -> str:
    if len(mine) != len(lab):
        return f"your network has {len(mine)} weight arrays, the lab's {len(lab)}"
    i = next(i for i, (a, b) in enumerate(zip(mine, lab)) if a != b)
    return f"weight array {i + 1} has shape {mine[i]} in yours, {lab[i]} in the lab's"


def reveal(answer, *values, **print_options) -> None:
    """`print(*values)`, but only once `answer` is given: a check cell shows the value it measured after the
    learner has committed to a prediction, never before (run unanswered, it shows nothing)."""
    if answer is not None:
        print(*values, **print_options)
