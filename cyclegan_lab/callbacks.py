"""Watching a long training run: previews and measures on photos the model never trains on.

`HeldOutMonitor` paints a fixed set of held-out photos every few hundred
steps, saves them side by side with the photos as a figure, and appends the
measures of `scores.held_out_measures` (chequerboard, copy, palette, style)
to a CSV file, so a run can be judged by eye and by number while it trains,
and two recipes can be compared at equal steps.
"""

from __future__ import annotations

import csv
from pathlib import Path

import keras
import numpy as np

from .data import normalize, to_uint8
from .models import generator_for
from .scores import held_out_measures


def monet_generator_of(cyclegan, config, into: keras.Model | None = None) -> keras.Model:
    """A float32 copy of the Monet generator that takes any image size: the moving average of its
    weights where the run keeps one (`config.ema_decay`), else its current weights. `into`, a
    generator built for `config` before, is filled instead of building a new one."""
    generator = into or generator_for(config, "monet_generator", any_size=True)
    generator.set_weights(cyclegan.monet_generator.get_weights())
    if getattr(cyclegan, "monet_average", None) is not None:
        cyclegan.monet_average.copy_to(generator)
    return generator


def paint(generator: keras.Model, photos: np.ndarray, batch_size: int = 8) -> np.ndarray:
    """uint8 photos (n, h, w, 3) -> uint8 Monets, a batch at a time."""
    return np.concatenate([to_uint8(generator(normalize(photos[i:i + batch_size]), training=False))
                           for i in range(0, len(photos), batch_size)])


class HeldOutMonitor(keras.callbacks.Callback):
    """Every `every` steps, paint `photos` (uint8, never trained on) and record how Monet-like they are.

    Writes `folder/previews/step-NNNNNN.png` (the first `shown` photos above
    their Monet versions) and appends a row to `folder/held_out.csv`: step,
    chequerboard, copy, palette, style_kid (see `scores.held_out_measures`).
    """

    def __init__(self, config, photos: np.ndarray, paintings: np.ndarray, folder, every: int = 250, shown: int = 8):
        super().__init__()
        self.config, self.photos, self.paintings = config, photos, paintings
        self.folder, self.every, self.shown = Path(folder), every, shown
        self.generator = None  # built once, refilled at each record

    def step(self) -> int:
        return int(keras.ops.convert_to_numpy(self.model.monet_generator_optimizer.iterations))

    def on_train_batch_end(self, batch, logs=None):
        step = self.step()
        if step % self.every == 0:
            self.record(step)

    def record(self, step: int) -> dict:
        import matplotlib.pyplot as plt

        from .plotting import show_images

        self.generator = monet_generator_of(self.model, self.config, into=self.generator)
        fakes = paint(self.generator, self.photos)
        measures = {"step": step, **held_out_measures(fakes, self.photos, self.paintings)}
        log = self.folder / "held_out.csv"
        new = not log.exists()
        with open(log, "a", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(measures))
            if new:
                writer.writeheader()
            writer.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in measures.items()})
        n = min(self.shown, len(self.photos))
        figure = show_images([*self.photos[:n], *fakes[:n]], [f"held-out photo {i + 1}" for i in range(n)]
                             + [f"step {step}" for _ in range(n)], ncols=n, size=2.0)
        (self.folder / "previews").mkdir(parents=True, exist_ok=True)
        figure.savefig(self.folder / "previews" / f"step-{step:06d}.png", dpi=80)
        plt.close(figure)
        print(f"held-out at step {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in measures.items() if k != "step"),
              flush=True)
        return measures
