"""Watching a long run: paint held-out photos every few hundred steps and record how Monet-like they are.

`HeldOutMonitor` saves the paintings beside their photos as a figure and
appends the measures of `scores.held_out_measures` and the judge's verdict
(`judge.Judge`: the gap closed on VGG19 against held-out paintings) to a CSV
file, so a long run can be judged by eye and by number while it trains, and
two recipes can be compared at equal steps.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import keras
import numpy as np

from ..callbacks import training_step
from ..inference import stylize
from ..plumbing.files import atomic_write, open_no_link, refuse_link
from ..recipe.networks import generator_for
from .judge import Judge, coarse_change
from .scores import held_out_measures

__all__ = ["HeldOutMonitor", "append_row", "monet_generator_of"]


def monet_generator_of(cyclegan, config, into: keras.Model | None = None) -> keras.Model:
    """A float32 copy of the Monet generator that takes any image size: the moving average of its
    weights where the run keeps one (`config.ema_decay`), else its current weights. `into`, a
    generator built for `config` before, is filled instead of building a new one."""
    generator = into or generator_for(config, "monet_generator", any_size=True)
    generator.set_weights(cyclegan.monet_generator.get_weights())
    if getattr(cyclegan, "monet_average", None) is not None:
        cyclegan.monet_average.copy_to(generator)
    return generator


class HeldOutMonitor(keras.callbacks.Callback):
    """Every `every` steps, paint `photos` (uint8, never trained on) and record how Monet-like they are.

    Writes `folder/previews/step-NNNNNN.png` (the first `shown` photos above
    their Monet versions; whole or not at all, replacing a link of that name,
    never writing through it: `files.atomic_write`) and appends a row to
    `folder/held_out.csv` (`append_row`: a link there is refused): step,
    chequerboard, copy, composition, palette, fine_detail, kid, gap_closed (see
    `scores.held_out_measures`), judge (`judge.Judge`'s gap closed: `paintings`
    must be all the sorted paintings, its last ones held out of training),
    coarse_change; with `save_paintings`, also all the painted photos as `folder/previews/step-NNNNNN.npy` (uint8).
    """

    def __init__(
        self,
        config,
        photos: np.ndarray,
        paintings: np.ndarray,
        folder,
        every: int = 250,
        shown: int = 8,
        save_paintings: bool = False,
    ):
        super().__init__()
        self.config, self.photos, self.paintings = config, photos, paintings
        self.folder, self.every, self.shown = Path(folder), every, shown
        self.save_paintings = save_paintings  # also keep every painted photo, for measures computed later
        self.generator = None  # built once, refilled at each record
        self.judge = None  # the judge's reference statistics, computed at the first record

    def step(self) -> int:
        return training_step(self.model)

    def on_train_batch_end(self, batch, logs=None):
        step = self.step()
        if step % self.every == 0:
            self.record(step)

    def record(self, step: int) -> dict:
        import matplotlib.pyplot as plt

        from ..plotting import show_images

        self.generator = monet_generator_of(self.model, self.config, into=self.generator)
        fakes = stylize(self.photos, self.generator, size=None)
        self.judge = self.judge or Judge(self.photos, self.paintings)
        measures = {
            "step": step,
            **held_out_measures(fakes, self.photos, self.paintings),
            "judge": self.judge(fakes)["gap_closed"],
            "coarse_change": coarse_change(fakes, self.photos),
        }
        append_row(
            self.folder / "held_out.csv", {k: (round(v, 4) if isinstance(v, float) else v) for k, v in measures.items()}
        )
        n = min(self.shown, len(self.photos))
        figure = show_images(
            [*self.photos[:n], *fakes[:n]],
            [f"held-out photo {i + 1}" for i in range(n)] + [f"step {step}" for _ in range(n)],
            ncols=n,
            size=2.0,
        )
        previews = self.folder / "previews"
        refuse_link(previews, "the previews folder")  # its files would go wherever the link points
        previews.mkdir(parents=True, exist_ok=True)
        if self.save_paintings:
            atomic_write(previews / f"step-{step:06d}.npy", lambda file: np.save(file, fakes))
        atomic_write(previews / f"step-{step:06d}.png", lambda file: figure.savefig(file, format="png", dpi=80))
        plt.close(figure)
        print(
            f"held-out at step {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in measures.items() if k != "step"),
            flush=True,
        )
        return measures


def append_row(path: Path, row: dict) -> None:
    """Append `row` to the CSV file `path`, created with `row`'s columns as its header if missing.

    A row whose columns are not the file's is refused (ValueError naming the
    file), so no value ever lands under another column's name. Nothing is
    read or written through a symbolic link: a link at `path`, planted in the
    run's folder to point at a file elsewhere, is refused by name
    (`files.FolderNotWritableError`), and that file stays as it was.
    """
    what = f"the log {path.name}"
    if os.path.lexists(path):  # a link to nothing counts: it is refused, not replaced
        with open(open_no_link(path, os.O_RDONLY, what), newline="") as file:
            header = next(csv.reader(file), [])
        if header != list(row):
            raise ValueError(f"{path} has the columns {header}, not {list(row)}: move it away to start a new one")
        with open(open_no_link(path, os.O_WRONLY | os.O_APPEND, what), "a", newline="") as file:
            csv.writer(file).writerow(row.values())
        return
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    atomic_write(path, lambda file: file.write(text.getvalue().encode()))
