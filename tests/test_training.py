"""cyclegan_lab.training: `build_cyclegan` makes a model Keras' `fit()` trains: one fit() reports the four
losses and updates all four networks, each with its own optimiser.

Most tests, here and in the files that import the constants below, use a tiny variant of the lab's model
(32x32 images, 8 generator filters) so they run in seconds; the CLI smoke test (test_cli.py) trains the
real one. TINY, RESUMABLE, FAST, all_weights, StopAfter and CountSteps are shared: conftest.py's tiny runs
(`tiny_data`, `straight_run`, `finished_run`), test_runs.py, test_checkpoints.py,
test_checkpoint_reading.py, test_callbacks.py and test_pretrained.py import them from here. A run that
resumes exactly, keeps its folder in order and names its faults (`program.runs.train`) is test_runs.py's.
"""

import keras
import numpy as np

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import LOSS_NAMES, NETWORKS
from cyclegan_lab.pipeline import make_dataset
from cyclegan_lab.training import build_cyclegan

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

FAST = RESUMABLE.replace(precision="float32")  # 2 epochs of 3 steps; checkpoints at steps 2, 3, 4, 6


class CountSteps(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1


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
