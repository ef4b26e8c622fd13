"""Watching training: loss history, live previews, checkpoints.

- `LossHistory` keeps every step's four losses and their epoch means.
- `Checkpointer` saves a checkpoint every few steps and at every epoch's end
  (`checkpoints.save_checkpoint`), and keeps training when a save fails.
- `SamplePreview` shows, in the notebook, what the Monet generator makes of
  a few fixed photos, one picture updated in place (`plumbing.live_figure`).
- `DivergenceGuard` stops a run whose losses are no longer finite.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from . import checkpoints
from .cyclegan import LOSS_NAMES
from .inference import stylize
from .plumbing import distribute
from .plumbing.live_figure import LiveFigure

__all__ = ["LossHistory", "Checkpointer", "SamplePreview", "DivergenceGuard", "TrainingDivergedError"]


def training_step(cyclegan) -> int:
    """How many steps `cyclegan` has trained: the counter of its Monet generator's optimiser."""
    return int(keras.ops.convert_to_numpy(cyclegan.monet_generator_optimizer.iterations))


class LossHistory(keras.callbacks.Callback):
    """Every step's four losses (`steps`) and their mean over each epoch (`epochs`).

    At each epoch's end it also puts the epoch means into Keras' logs, so the
    `History` object that `fit()` returns holds means too, not the last step.
    """

    def __init__(self, steps: dict | None = None, epochs: dict | None = None, epoch_start: int | None = None):
        super().__init__()
        self.steps = {name: list((steps or {}).get(name, [])) for name in LOSS_NAMES}
        self.epochs = {name: list((epochs or {}).get(name, [])) for name in LOSS_NAMES}
        self._resumed_start = epoch_start  # where the next epoch began, when resuming mid-epoch
        self._epoch_start = 0

    def on_epoch_begin(self, epoch, logs=None):
        recorded = len(self.steps[LOSS_NAMES[0]])
        self._epoch_start = recorded if self._resumed_start is None else self._resumed_start
        self._resumed_start = None

    def on_train_batch_end(self, batch, logs=None):
        for name in LOSS_NAMES:
            self.steps[name].append(float(logs[name]))

    def on_epoch_end(self, epoch, logs=None):
        for name in LOSS_NAMES:
            mean = float(np.mean(self.steps[name][self._epoch_start :]))
            self.epochs[name].append(mean)
            if logs is not None:
                logs[name] = mean

    def to_dict(self) -> dict:
        return {"steps": self.steps, "epochs": self.epochs}


class TrainingDivergedError(ValueError):
    """A loss, or a weight about to be saved, became NaN or infinite: the weights are broken from that step on."""


def diverged(step: int, what: str, folder=None) -> TrainingDivergedError:
    """The error for a run that diverged at `step` (`what` says how), naming the last good checkpoint in
    `folder`, if there is one, with how to go on from it; else saying that none was saved."""
    newest = checkpoints.latest_checkpoint(folder) if folder is not None else None
    if newest is not None:
        advice = (
            "Lower the learning rate or the loss weights, and resume from it with --allow-config-change "
            "(allow_config_change=True), or train afresh in another checkpoint folder."
        )
    else:
        advice = "Lower the learning rate or the loss weights and train again."
    return TrainingDivergedError(
        f"Training diverged at step {step}: {what}. Nothing of this step was saved. "
        f"{checkpoints.last_good(folder)} {advice}"
    )


class DivergenceGuard(keras.callbacks.Callback):
    """Stop training at the first loss that is not finite, before anything saves the broken weights.

    A too-large learning rate or loss weight makes the weights overflow; from
    then on every loss is NaN and every output black. This runs before the
    Checkpointer, so the newest checkpoint on disk is the last good one: the
    error names it, from `folder` (the run's checkpoint folder), or says that
    none was saved. (Weights can overflow while the step's losses are still
    finite; then the Checkpointer, refused by `checkpoints.write_checkpoint`,
    raises the same error.)
    """

    def __init__(self, folder=None):
        super().__init__()
        self.folder = folder

    def on_train_batch_end(self, batch, logs=None):
        bad = {name: float(logs[name]) for name in LOSS_NAMES if not np.isfinite(float(logs[name]))}
        if bad:
            losses = ", ".join(f"{name} is {value}" for name, value in bad.items())
            raise diverged(training_step(self.model), f"its losses are not finite ({losses})", self.folder)


class SamplePreview(keras.callbacks.Callback):
    """Every `every` steps, show what the Monet generator makes of a few fixed photos.

    `photos` is a (n, h, w, 3) uint8 array. `show` receives each figure; by
    default the figure appears in the notebook and is replaced in place at
    each update, so the preview stays one live picture (outside a notebook,
    nothing is shown).
    """

    def __init__(self, photos: np.ndarray, every: int = 50, show=None):
        super().__init__()
        self.photos = np.asarray(photos)
        self.every = every
        self.show = show or LiveFigure()
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen % self.every == 0:
            self.show(self.figure())

    def figure(self):
        from .plotting import show_images

        fakes = stylize(self.photos, self.model.monet_generator, size=None)
        step = training_step(self.model)
        n = len(self.photos)
        titles = [f"photo {i + 1}" for i in range(n)] + [f"Monet {i + 1}, step {step}" for i in range(n)]
        return show_images(list(self.photos) + list(fakes), titles, ncols=n)


class Checkpointer(keras.callbacks.Callback):
    """Save a checkpoint every `every` steps (if given) and at the end of every epoch.

    `state` is called at each save and returns the extra JSON state (loss
    history, configuration); the step is read from the optimiser's counter.
    In a multi-worker cluster only the chief saves; on the others it does nothing.
    """

    def __init__(self, folder, state=lambda: {}, every: int | None = None, keep: int = 2):
        super().__init__()
        self.folder, self.state, self.every, self.keep = Path(folder), state, every, keep
        self.saved_step = None
        self.failure: OSError | None = None  # why the last save failed, until one succeeds

    def step(self) -> int:
        return training_step(self.model)

    def save(self) -> None:
        """Save now; if that fails (a full disk), say so once and go on training: the next save point tries again.

        Weights that are not finite are never saved: the run diverged (`TrainingDivergedError`, see `diverged`).
        """
        if not distribute.is_chief(self.model.distribute_strategy):
            return
        step = self.step()
        if step == self.saved_step:
            return
        try:
            checkpoints.save_checkpoint(self.model, self.folder, {**self.state(), "step": step}, keep=self.keep)
        except checkpoints.NotFiniteError as refused:  # the losses were finite, the weights overflowed after them
            what = f"the weights of {refused.network} are not finite (NaN or infinity)"
            raise diverged(step, what, self.folder) from None
        except OSError as error:
            if self.failure is None:
                print(
                    f"Could not save the checkpoint of step {step} in {self.folder} "
                    f"({error.strerror or error}); training goes on and the next save point tries again."
                )
            self.failure = error
            return
        if self.failure is not None:
            print(f"Saved the checkpoint of step {step}: saving works again.")
        self.saved_step, self.failure = step, None

    def on_train_batch_end(self, batch, logs=None):
        last_of_epoch = batch + 1 == self.params.get("steps")  # saved at the epoch's end, with its mean loss
        if self.every and self.step() % self.every == 0 and not last_of_epoch:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self.save()

    def on_train_end(self, logs=None):
        if self.failure is not None:  # one more try, then say plainly what is not on disk
            self.save()
        if self.failure is not None:
            raise CheckpointNotSavedError(
                f"The newest steps are not saved ({self.failure.strerror or self.failure}): they exist only in "
                f"this process. Free space in {self.folder} and train again to repeat them from the last checkpoint."
            )


class CheckpointNotSavedError(OSError):
    """Training ended, but its last checkpoint could not be written."""
