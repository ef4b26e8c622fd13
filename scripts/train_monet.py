"""Train the shipped Monet generator with the paper's recipe, watching held-out photos as it goes.

    python scripts/train_monet.py --data PATH/monet2photo                 # the recipe below, resumable
    python scripts/train_monet.py --set photo_negatives=True --set epochs=2 --checkpoint-dir /tmp/try

The run trains on the first 1,200 photos (sorted by file name) and the first
240 paintings; photos 1,201 on and the last 60 paintings (`data.HELD_OUT_PAINTINGS`,
the judge's reference) are never trained on. Every --preview-every steps
it paints the first --held-out of those, saves 8 of them as a figure in
CHECKPOINT_DIR/previews/ (and all of them as step-NNNNNN.npy, for measures
computed later) and appends the held-out measures (chequerboard, copy,
composition, palette, fine detail, KID and the share of the gap closed, see
`scores.held_out_measures`) to CHECKPOINT_DIR/held_out.csv. Checkpoints go
to CHECKPOINT_DIR (default: the user cache, outside the repository); run the
same command again to resume. `scripts/ship_pretrained.py CHECKPOINT_DIR`
then exports the generator and its partner (Monet -> photo).

Every preview also exports the generator pair as it is at that step
(`program.export.export_generator`: the Monet generator's moving average where
the run keeps one, and its partner) into CHECKPOINT_DIR/generators/step-NNNNNN/,
the layout of the shipped folder (4 MB): checkpoints are rotated away, these
are not, so the step the measures pick can still be painted with, judged or
started from (`load_shipped("monet", that folder)`, --warm-start FOLDER).

With --warm-start a new run starts its two generators from the shipped pair
(`program.export.warm_start`), or from the pair in --warm-start FOLDER (such a
step folder), and its discriminators from the shipped run's
where they ship (discriminators.npz; else fresh ones, and
--set generator_warmup_steps=1000 lets them learn first): a long training
goes on from exported weights where its checkpoints did not survive.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import keras
import numpy as np

from cyclegan_lab.callbacks import training_step
from cyclegan_lab.data import load_data, load_folder, split_held_out
from cyclegan_lab.images import image_files, load_image
from cyclegan_lab.judging.monitor import HeldOutMonitor, monet_generator_of
from cyclegan_lab.plumbing.download import cache_dir
from cyclegan_lab.plumbing.files import refuse_link
from cyclegan_lab.program.export import export_generator, warm_start
from cyclegan_lab.program.runs import train
from cyclegan_lab.recipe.config import RECIPE, with_settings
from cyclegan_lab.recipe.networks import generator_for

HELD_OUT_FROM = 1200
GENERATORS = ("monet_generator", "photo_generator")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="folder with monet/ and photo/ (default: the library's lookup)")
    parser.add_argument("--checkpoint-dir", type=Path, help="default: <user cache>/runs/monet-resnet")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="change one RecipeConfig field of the recipe, e.g. --set identity_weight=0.1",
    )
    parser.add_argument("--preview-every", type=int, default=250, help="steps between previews (default 250)")
    parser.add_argument("--held-out", type=int, default=100, help="held-out photos to measure (default 100)")
    parser.add_argument("--stop-at", type=int, help="stop (with a checkpoint) at this step; run again to go on")
    parser.add_argument(
        "--warm-start",
        nargs="?",
        const=True,
        type=Path,
        metavar="FOLDER",
        help="a new run starts its generators from the shipped pair (or from the pair exported in FOLDER)",
    )
    parser.add_argument(
        "--allow-config-change", action="store_true", help="resume a run whose stored settings differ from these"
    )
    args = parser.parse_args()

    try:
        config = with_settings(RECIPE, args.set)
    except ValueError as error:
        parser.error(str(error))
    folder = args.checkpoint_dir or cache_dir() / "runs" / "monet-resnet"
    folder.mkdir(parents=True, exist_ok=True)

    data = load_data(config, args.data)
    data.monet, _ = split_held_out(data.monet)  # the judge's reference paintings stay unseen
    photo_folder = data.folders.photo
    held_out_files = image_files(photo_folder)[HELD_OUT_FROM : HELD_OUT_FROM + args.held_out]
    held_out = np.stack([load_image(f) for f in held_out_files])
    paintings = load_folder(data.folders.monet)
    print(
        f"{len(data.monet)} paintings and {len(data.photo)} photos to train on; "
        f"{len(held_out)} held-out photos from {held_out_files[0].name}; checkpoints in {folder}",
        flush=True,
    )
    monitor = HeldOutMonitor(config, held_out, paintings, folder, every=args.preview_every, save_paintings=True)
    callbacks = [monitor, ExportGenerators(config, folder / "generators", every=args.preview_every)]
    callbacks += [StopAt(args.stop_at)] if args.stop_at else []
    if args.warm_start:
        callbacks.insert(0, WarmStart(None if args.warm_start is True else args.warm_start))
    train(
        config,
        data,
        checkpoint_dir=folder,
        callbacks=callbacks,
        verbose=2,
        allow_config_change=args.allow_config_change,
    )


class WarmStart(keras.callbacks.Callback):
    """At step 0 only, puts the shipped generators (or those exported in `folder`) into the run (a resumed
    run has its own)."""

    def __init__(self, folder: Path | None = None):
        super().__init__()
        self.folder = folder

    def on_train_begin(self, logs=None):
        if training_step(self.model) == 0:
            taken = warm_start(self.model, self.folder)
            fresh = "" if "monet_discriminator" in taken else "; fresh discriminators"
            source = self.folder or "the shipped model"
            print(f"Warm start: {', '.join(taken)} from {source}{fresh}.", flush=True)


class ExportGenerators(keras.callbacks.Callback):
    """Every `every` steps, exports the run's generator pair into `folder`/step-NNNNNN/ (monet and photo
    .weights.h5 + .json, as `scripts/ship_pretrained.py` ships them), so no step the measures pick is lost."""

    def __init__(self, config, folder: Path, every: int):
        super().__init__()
        self.config, self.folder, self.every = config, folder, every
        self.generators = None  # built once, refilled at each export

    def on_train_batch_end(self, batch, logs=None):
        step = training_step(self.model)
        if step % self.every:
            return
        if self.generators is None:
            self.generators = [generator_for(self.config, name, any_size=True) for name in GENERATORS]
        monet, photo = self.generators
        monet_generator_of(self.model, self.config, into=monet)
        photo.set_weights(self.model.photo_generator.get_weights())
        refuse_link(self.folder, "the exported generators' folder")  # its files would go wherever it points
        target = self.folder / f"step-{step:06d}"
        refuse_link(target, "a step's exported generators")
        info = {"step": step, "config": self.config.to_dict()}
        export_generator(monet, target, "monet", info)
        export_generator(photo, target, "photo", {**info, "partner": "monet"})


class StopAt(keras.callbacks.Callback):
    """Ends training after the step `step` (the epoch's end then saves a checkpoint)."""

    def __init__(self, step: int):
        super().__init__()
        self.stop_step = step

    def on_train_batch_end(self, batch, logs=None):
        if training_step(self.model) >= self.stop_step:
            self.model.stop_training = True


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
