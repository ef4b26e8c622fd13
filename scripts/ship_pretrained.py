"""Export the Monet generator of a training run as the shipped model, score it, and draw its figure.

    python scripts/ship_pretrained.py checkpoints/monet-compact --data PATH/monet2photo [--held-out-from 1200]

1. Copies the photo -> Monet generator of the newest checkpoint into
   cyclegan_lab/pretrained/monet.weights.h5 (+ monet.json), unless --no-export.
2. Scores it on photos it never saw (the sorted photo files from index
   --held-out-from on; train with --max-images of that value) with the style
   KID proxy of cyclegan_lab.scores, against all Monet paintings, next to the
   photos themselves and an untrained generator of the same shape.
3. Draws cyclegan_lab/pretrained/unseen_photos.png (8 unseen photos above their
   Monet versions) and training_losses.png (the run's four losses).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from cyclegan_lab import TrainConfig  # noqa: E402
from cyclegan_lab.checkpoints import latest_checkpoint, load_network  # noqa: E402
from cyclegan_lab.data import find_data, image_files, load_folder, load_image  # noqa: E402
from cyclegan_lab.models import build_generator  # noqa: E402
from cyclegan_lab.plotting import plot_losses, show_images  # noqa: E402
from cyclegan_lab.pretrained import PACKAGE_FOLDER, export_generator, load_pretrained  # noqa: E402
from cyclegan_lab.scores import style_kid  # noqa: E402
from cyclegan_lab.inference import stylize  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint_dir")
    parser.add_argument("--data", help="the lab's images (default: the library's lookup)")
    parser.add_argument("--held-out-from", type=int, default=1200, help="first unseen photo (default %(default)s)")
    parser.add_argument("--no-export", action="store_true", help="score the checkpoint without shipping it")
    args = parser.parse_args()

    checkpoint = latest_checkpoint(args.checkpoint_dir)
    if checkpoint is None:
        parser.error(f"no checkpoint in {args.checkpoint_dir}")
    with np.load(checkpoint) as stored:
        state = json.loads(str(stored["state"]))
    config = TrainConfig(**state["config"])
    size, filters = config.train_size, config.filters
    trained = load_network(build_generator("monet_generator", size, filters, any_size=True), checkpoint)
    print(f"{checkpoint}: step {state['step']}, generator {trained.count_params():,} weights")

    if not args.no_export:
        info = {"image_size": size, "filters": filters, "step": state["step"], "config": config.to_dict()}
        export_generator(trained, PACKAGE_FOLDER, "monet", info)
        trained = load_pretrained("monet")  # score what users will load
        print(f"Exported to {PACKAGE_FOLDER / 'monet.weights.h5'} "
              f"({(PACKAGE_FOLDER / 'monet.weights.h5').stat().st_size / 1e6:.1f} MB)")

    folders = find_data(args.data)
    unseen_files = image_files(folders.photo)[args.held_out_from:]
    photos = np.stack([load_image(path) for path in unseen_files])
    paintings = load_folder(folders.monet)
    untrained = build_generator("untrained", size, filters, any_size=True)
    print(f"Style KID proxy against {len(paintings)} Monet paintings ({len(photos)} unseen photos; lower is better):")
    start = time.perf_counter()
    monets = stylize(photos, trained, batch_size=16)
    seconds = time.perf_counter() - start
    for name, images in [("photos themselves", photos), ("untrained generator", stylize(photos, untrained)),
                         ("shipped generator", monets)]:
        mean, std = style_kid(images, paintings)
        print(f"  {name:>20}: {mean:7.3f} +- {std:.3f}")
    print(f"Stylised {len(photos)} photos in {seconds:.1f} s")

    pick = np.linspace(0, len(photos) - 1, 8).astype(int)
    titles = ["unseen photo"] * 8 + ["its Monet version"] * 8
    figure = show_images(list(photos[pick]) + list(monets[pick]), titles, ncols=8, size=2.2)
    figure.suptitle(f"The shipped generator (step {state['step']}) on photos it never saw", y=1.04)
    out = PACKAGE_FOLDER / "unseen_photos.png"
    figure.savefig(out, dpi=80, bbox_inches="tight")
    print(f"Figure: {out.relative_to(ROOT)}")
    losses = plot_losses(state["history"]["steps"], smooth=150)
    losses.savefig(PACKAGE_FOLDER / "training_losses.png", dpi=80, bbox_inches="tight")


if __name__ == "__main__":
    main()
