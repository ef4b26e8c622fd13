"""cyclegan_lab.callbacks: the loss history, the sample preview, the live figure and the divergence guard.

The history and the preview are looked at in a tiny training run (conftest.py's `straight_run`, in float32
and in bfloat16); what a run does when these callbacks stop it is test_runs.py's.
"""

import keras
import numpy as np
import pytest
from test_training import FAST

from cyclegan_lab.callbacks import LossHistory
from cyclegan_lab.cyclegan import LOSS_NAMES
from cyclegan_lab.training import build_cyclegan


def test_loss_history_keeps_every_step_and_epoch_means(straight_run):
    cyclegan, history, _ = straight_run
    for name in LOSS_NAMES:
        steps = history.steps[name]
        assert len(steps) == 6 and np.isfinite(steps).all()
        assert history.epochs[name] == pytest.approx([np.mean(steps[:3]), np.mean(steps[3:])])
        # Keras' own History gets the epoch means too, not the last step.
        assert cyclegan.history.history[name][-1] == pytest.approx(np.mean(steps[3:]))


def test_loss_history_round_trips_through_a_dict():
    history = LossHistory(steps={"monet_gen_loss": [1.0, 2.0]}, epochs={"monet_gen_loss": [1.5]})
    again = LossHistory(**history.to_dict())
    assert again.steps["monet_gen_loss"] == [1.0, 2.0] and again.epochs["monet_gen_loss"] == [1.5]


def test_sample_preview_shows_the_generators_output_every_n_steps(straight_run, monkeypatch):
    from cyclegan_lab.callbacks import SamplePreview

    cyclegan, _, _ = straight_run
    # This run trained with jitter, so previews paint at its training zoom (test_inference checks that);
    # at zoom 1 the preview is the network's own output, compared below.
    monkeypatch.setattr(cyclegan.monet_generator, "training_zoom", 1.0)
    shown = []
    preview = SamplePreview(np.zeros((2, 32, 32, 3), np.uint8), every=2, show=shown.append)
    preview.set_model(cyclegan)
    for batch in range(5):
        preview.on_train_batch_end(batch)
    assert len(shown) == 2
    figure = shown[0]
    assert len([ax for ax in figure.axes if ax.images]) == 4
    assert figure.axes[2].get_title() == "Monet 1, step 6"
    # What the generator paints of the same two black photos (pixel value 0 is -1 in [-1, 1]).
    expected = keras.ops.convert_to_numpy(cyclegan.monet_generator(np.full((2, 32, 32, 3), -1.0, "float32")))[0]
    shown = figure.axes[2].images[0].get_array().astype(float)
    assert np.abs(shown - (expected + 1) * 127.5).max() <= 1.0  # the same picture, rounded to whole pixel values


def test_a_nan_loss_stops_training_before_anything_is_saved(tiny_data, tmp_path):
    from cyclegan_lab.callbacks import DivergenceGuard, TrainingDivergedError

    guard = DivergenceGuard()
    guard.set_model(build_cyclegan(FAST))
    logs = {name: 0.5 for name in LOSS_NAMES}
    guard.on_train_batch_end(0, logs)  # finite: nothing happens
    with pytest.raises(TrainingDivergedError, match=r"diverged at step 0: .*monet_disc_loss is nan.*none was saved"):
        guard.on_train_batch_end(0, {**logs, "monet_disc_loss": float("nan")})
