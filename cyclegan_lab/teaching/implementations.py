"""The checks of what the learner builds in notebooks 3 to 6, by what it computes.

    check_implementation("downsample", downsample)  # "Correct!", or "Not quite: ..." saying what differs

Each check builds the learner's version and the lab's (`IMPLEMENTATIONS`
names them), gives both the same weights and compares their outputs
(`exercises.check_network`), their values on fixed inputs
(`exercises.check_loss`), or, for `train_step`, the weights one step leaves
behind from the same start. The lab's version is imported here, inside the
check, so a notebook need not have it in scope while the learner writes theirs.
"""

from __future__ import annotations

from .exercises import check_loss, check_network, draws_random, layers_of

__all__ = ["check_implementation", "IMPLEMENTATIONS"]


def check_implementation(name: str, mine) -> None:
    """Print whether the learner's `mine` does what the lab's function `name` does, by behaviour.

    `name` is one of IMPLEMENTATIONS: a block or network is built by both,
    given the same weights and run on fixed images (`check_network`); a loss
    is computed by both on fixed logits or images (`check_loss`). The lab's
    version is imported here, so the learner's notebook need not have it in
    scope. Never raises.
    """
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"no check for {name!r}; there are checks for {', '.join(IMPLEMENTATIONS)}")
    if mine is None:
        print("Not answered yet: write your code in the cell above, run it, then run this cell again.")
        return
    IMPLEMENTATIONS[name](mine)


def _network_cases(mine, lab, cases, inputs, hint):
    """check_network on each (args, kwargs) case, stopping at the first that is not right."""
    import contextlib
    import io

    for args, kwargs in cases:
        said = io.StringIO()
        with contextlib.redirect_stdout(said):
            try:
                built = mine(*args, **kwargs)
            except Exception as error:  # a learner's bug is an answer
                print(f"Not quite: your function raised {type(error).__name__}: {str(error).rstrip('.')}. {hint}")
                built = None
            if built is not None:
                check_network(built, lab(*args, **kwargs), inputs, hint)
        verdict = said.getvalue().strip()
        if verdict != "Correct!":
            call = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
            print(verdict.replace("Not quite: ", f"Not quite, for ({call}): ", 1))
            return
    print("Correct!")


def _images(shape, seed):
    import numpy as np

    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def _check_downsample(mine):
    from ..models import downsample

    hint = "Conv2D(filters, size, strides=2, padding='same', use_bias=False), instance norm if apply_norm, LeakyReLU."
    cases = [((8,), {}), ((8,), {"apply_norm": False})]
    _network_cases(mine, downsample, cases, _images((2, 16, 16, 3), 1), hint)


def _check_upsample(mine):
    from ..models import upsample

    hint = "Conv2DTranspose(filters, size, strides=2, padding='same', use_bias=False), instance norm, dropout, ReLU."
    cases = [((8,), {}), ((8,), {"apply_dropout": True})]
    _network_cases(mine, upsample, cases, _images((2, 4, 4, 16), 2), hint)


def _check_generator(mine):
    from ..models import build_generator

    hint = "Down to 1x1 keeping each output, then up, concatenating the skip of the same size; a last tanh layer."
    _network_cases(mine, build_generator, [((), {"image_size": 32, "filters": 8})], _images((1, 32, 32, 3), 3), hint)


def _check_discriminator(mine):
    from ..models import build_discriminator

    hint = (
        "Three downsampling blocks (the first without norm), then pad, 4x4 conv, norm, LeakyReLU, pad, 4x4 conv to 1."
    )
    _network_cases(mine, build_discriminator, [((), {"image_size": 64})], _images((1, 64, 64, 3), 4), hint)


def _logit_cases(count, shape=(1, 4, 4, 1)):
    import numpy as np

    rng = np.random.default_rng(5)
    return [rng.normal(0, 2, (count, *shape)).astype("float32") for _ in range(3)]


def _check_discriminator_loss(mine):
    from ..losses import discriminator_loss

    cases = [tuple(logits) for logits in _logit_cases(2)]
    check_loss(mine, discriminator_loss, cases, "The mean of BCE(1, real) and BCE(0, fake): 0.5 x their sum.")


def _check_generator_loss(mine):
    from ..losses import generator_loss

    cases = [tuple(logits) for logits in _logit_cases(1)]
    check_loss(mine, generator_loss, cases, "BCE with target 1 on the fake logits: the generator wants 'real'.")


def _check_cycle_loss(mine):
    from ..losses import cycle_loss

    cases = [
        (_images((1, 8, 8, 3), 6 + i), _images((1, 8, 8, 3), 9 + i), lam) for i, lam in enumerate([10.0, 3.0, 10.0])
    ]
    check_loss(mine, cycle_loss, cases, "LAMBDA times the mean absolute difference.")


def _check_identity_loss(mine):
    from ..losses import identity_loss

    cases = [
        (_images((1, 8, 8, 3), 12 + i), _images((1, 8, 8, 3), 15 + i), lam, weight)
        for i, (lam, weight) in enumerate([(10.0, 0.5), (3.0, 0.5), (10.0, 0.2)])
    ]
    check_loss(mine, identity_loss, cases, "weight times LAMBDA times the mean absolute difference.")


class _Watched:
    """A network that records the `training` argument of each call, and otherwise is the network itself."""

    def __init__(self, network):
        self.network, self.untrained_calls, self.calls = network, 0, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        self.untrained_calls += kwargs.get("training") is not True
        return self.network(*args, **kwargs)

    def __getattr__(self, name):  # name, trainable_variables, weights, ... of the network
        return getattr(self.network, name)


def _check_train_step(mine):
    """The learner's CycleGAN class (built from four networks and a config, compiled with four optimisers)
    against the lab's step, `reference.lab_train_step`, from the same weights on the same two images."""
    import keras
    import numpy as np

    from ..config import LOSS_NAMES, TrainConfig
    from ..cyclegan import NETWORKS
    from ..training import build_cyclegan
    from .reference import lab_train_step

    config = TrainConfig(image_size=32, generator_filters=8, precision="float32", lambda_cycle=3.0, identity_weight=0.2)

    def small():  # the same seed, the same weights; dropout off, so that two steps can agree exactly
        model = build_cyclegan(config)
        for name in NETWORKS[:2]:
            for layer in layers_of(getattr(model, name)):
                if draws_random(layer):
                    layer.rate = 0.0
        return model

    theirs, networks = small(), small()
    watched = [_Watched(getattr(networks, name)) for name in NETWORKS]
    batch = (_images((1, 32, 32, 3), 20), _images((1, 32, 32, 3), 21))  # (Monet, photo)
    hint = "Compare yours with the equations above, loss by loss."
    try:
        model = mine(*watched, config)
        model.compile(*[keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1) for _ in NETWORKS])
        returned = model.train_step(batch)
    except Exception as error:  # a learner's bug is an answer
        said = str(error).rstrip(".")
        print(f"Not quite: building, compiling or stepping your model raised {type(error).__name__}: {said}. {hint}")
        return
    expected = lab_train_step(theirs, *batch)
    careless = [f"{name} {w.untrained_calls} of {w.calls}" for name, w in zip(NETWORKS, watched) if w.untrained_calls]
    if careless:
        print(
            f"Not quite: your step calls networks without training=True ({', '.join(careless)} calls): "
            "dropout and the like then behave as at test time. Pass training=True to every call."
        )
        return
    if not isinstance(returned, dict) or set(returned) != set(LOSS_NAMES):
        keys = sorted(returned) if isinstance(returned, dict) else type(returned).__name__
        print(f"Not quite: train_step returns {keys}; fit() and the callbacks need a dict of {', '.join(LOSS_NAMES)}.")
        return
    off = {
        name: float(abs(float(returned[name]) - float(expected[name])))
        for name in LOSS_NAMES
        if not np.isclose(float(returned[name]), float(expected[name]), rtol=1e-4, atol=1e-5)
    }
    moved = []
    for name, watch in zip(NETWORKS, watched):
        gap = max(
            float(np.abs(np.asarray(a) - np.asarray(b)).max()) / max(float(np.abs(np.asarray(b)).max()), 1e-12)
            for a, b in zip(watch.network.weights, getattr(theirs, name).weights)
        )
        if gap > 1e-4:
            moved.append(name)
    if off or moved:
        losses = ", ".join(f"{name} differs by {gap:.3g}" for name, gap in off.items()) or "the losses agree"
        weights = ", ".join(moved) or "none"
        print(f"Not quite: from the lab's weights, {losses}; the networks your step moves otherwise: {weights}. {hint}")
        return
    print("Correct!")


IMPLEMENTATIONS = {
    "downsample": _check_downsample,
    "upsample": _check_upsample,
    "build_generator": _check_generator,
    "build_discriminator": _check_discriminator,
    "discriminator_loss": _check_discriminator_loss,
    "generator_loss": _check_generator_loss,
    "cycle_loss": _check_cycle_loss,
    "identity_loss": _check_identity_loss,
    "train_step": _check_train_step,
}
