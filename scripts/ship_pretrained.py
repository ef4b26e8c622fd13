"""Export the Monet generator of a training run as the shipped model, measure it on unseen photos, draw its figures.

    python scripts/ship_pretrained.py CHECKPOINT_DIR --data PATH/monet2photo [--held-out-from 1200] [--no-export]
        [--output-notch] [--step N]

1. Rebuilds the run's Monet generator from the newest checkpoint (the moving
   average of its weights where the run kept one), or with --step N takes the
   pair the run exported at that preview step (CHECKPOINT_DIR/generators/
   step-NNNNNN, which outlives the rotated checkpoints: the step the measures
   picked); with --output-notch, ending in `recipe.layers.NyquistNotch`, which
   has no weights, so it fits any run.
2. Measures it on photos it never saw (the sorted photo files from index
   --held-out-from on; the run trained with --max-images of that value) with
   `cyclegan_lab.judging.scores.held_out_measures`, next to the photos themselves and
   the generator shipped now, and prints the table. The measure that decides
   is the judge's (`cyclegan_lab.judging.judge`): the share of the
   photos-to-paintings KID on VGG19's features, against the paintings no run
   trains on, that the generator closes. EfficientNet's gap_closed and
   gap_closed_lite2 are printed beside it, but projected discriminators look
   through that family, so they cannot decide.
3. Unless --no-export, or the new generator does not close more of the judge's
   gap than the shipped one by more than twice the noise, or fails a bar (at
   least half the judge's gap closed; composition kept, >= 0.9; chequerboard
   <= 1.5; at most 25 MB and 150 ms a 256x256 photo here) (--force ships it
   anyway), writes
   cyclegan_lab/pretrained/monet.weights.h5 + monet.json (with the
   measures, and the weights file's SHA-256, which `export_generator` records
   and loading checks), photo.weights.h5 + photo.json (its partner, Monet -> photo,
   from which `train_monet.py --warm-start` starts a next run, with the run's
   two discriminators, discriminators.npz, where a checkpoint of that step holds them),
   unseen_photos.png (8 unseen photos, the shipped generator's and the new
   one's Monets), training_losses.png, training_progress.png (5 of
   the run's previews of unseen photos, from CHECKPOINT_DIR/previews) and
   held_out_kid.png (the gap closed against training steps, as the run
   measured it in CHECKPOINT_DIR/held_out.csv, and as `scripts/measure_run.py`
   re-measured it in CHECKPOINT_DIR/held_out_kid.csv, where it did).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
from PIL import Image

from cyclegan_lab.data import find_data, load_folder
from cyclegan_lab.images import fingerprint, image_files, load_image
from cyclegan_lab.inference import stylize
from cyclegan_lab.judging.judge import Judge, calibration_margin, coarse_change, edge_energy
from cyclegan_lab.judging.scores import held_out_measures
from cyclegan_lab.plotting import plot_losses, show_images
from cyclegan_lab.program.checkpoint_reading import load_generator, load_network, newest_readable_checkpoint
from cyclegan_lab.program.export import export_discriminators, export_generator
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.recipe.networks import generator_for
from cyclegan_lab.recipe.pretrained import DISCRIMINATORS, PACKAGE_FOLDER, load_pretrained, load_shipped

ROOT = Path(__file__).resolve().parent.parent
# The KID alone could be fooled by a generator that paints Monet-like pictures of something else;
# composition says the photo is still there, and no shipped generator may add chequerboards.
BARS = {
    "judge >= 0.5": lambda measures: measures["judge"] >= 0.5,
    "composition >= 0.9": lambda measures: measures["composition"] >= 0.9,
    "chequerboard <= 1.5": lambda measures: measures["chequerboard"] <= 1.5,
    "at most 150 ms a photo": lambda measures: measures["ms_per_photo"] <= 150,
}
MAX_MEGABYTES = 25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint_dir")
    parser.add_argument("--data", help="the lab's images (default: the library's lookup)")
    parser.add_argument("--held-out-from", type=int, default=1200, help="first unseen photo (default %(default)s)")
    parser.add_argument("--no-export", action="store_true", help="measure the checkpoint without shipping it")
    parser.add_argument("--force", action="store_true", help="ship even if it does not beat the shipped model")
    parser.add_argument(
        "--output-notch",
        action="store_true",
        help="end both exported generators with recipe.layers.NyquistNotch (no weights: fits a run trained without it)",
    )
    parser.add_argument(
        "--step", type=int, help="ship the pair the run exported at this preview step, not its newest checkpoint"
    )
    args = parser.parse_args()

    checkpoint = newest_readable_checkpoint(args.checkpoint_dir, set_aside=False)
    source = checkpoint.path if checkpoint is not None else None
    if args.step is not None:
        source = Path(args.checkpoint_dir) / "generators" / f"step-{args.step:06d}"
        try:
            new, partner, state = exported_pair(source, checkpoint)
        except FileNotFoundError as error:
            parser.error(str(error))
        config = RecipeConfig(**state["config"])
        checkpoint = None if checkpoint is None or checkpoint.state["step"] != args.step else checkpoint
    elif checkpoint is None:
        parser.error(f"no checkpoint in {args.checkpoint_dir}")
    else:
        state, config = checkpoint.state, RecipeConfig(**checkpoint.state["config"])
        new = load_generator(checkpoint.path)  # rebuilt from the run's configuration, its averaged weights
        partner = load_network(
            generator_for(config, "photo_generator", any_size=True), checkpoint.path, name="photo_generator"
        )
    trained_config = config
    if args.output_notch and not config.output_notch:
        config = config.replace(output_notch=True)
        new = with_weights_of(new, config, "monet_generator")
        print("Added at export: the NyquistNotch at the generators' end (the run trained without it)")
    averaged = " (moving average of its weights)" if config.ema_decay else ""
    print(f"{source}: step {state['step']}, generator {new.count_params():,} weights{averaged}")

    folders = find_data(args.data)
    photos = np.stack([load_image(path) for path in image_files(folders.photo)[args.held_out_from :]])
    paintings = load_folder(folders.monet)
    shipped = load_pretrained("monet")
    new_monets = stylize(photos, new, batch_size=16)
    stylize(photos[:2], new, batch_size=1)  # warm up, then time one photo at a time
    start = time.perf_counter()
    stylize(photos[:20], new, batch_size=1)
    milliseconds = (time.perf_counter() - start) / 20 * 1000
    shipped_monets = stylize(photos, shipped, batch_size=16)
    the_judge = Judge(photos, paintings)
    verdicts = {"shipped generator": the_judge(shipped_monets), "new generator": the_judge(new_monets)}
    judged = lambda monets, verdict: {
        "judge": verdict["gap_closed"],
        "judge_noise": verdict["gap_noise"],
        "coarse_change": coarse_change(monets, photos),
        "edge_energy": edge_energy(monets),
    }
    table = {
        "photos themselves": {
            **held_out_measures(photos, photos, paintings),
            **judged(photos, {"gap_closed": 0.0, "gap_noise": 0.0}),
        },
        "shipped generator": {
            **held_out_measures(shipped_monets, photos, paintings),
            **judged(shipped_monets, verdicts["shipped generator"]),
        },
        f"new generator (step {state['step']})": {
            **held_out_measures(new_monets, photos, paintings),
            **judged(new_monets, verdicts["new generator"]),
        },
    }
    print(
        f"\nOn {len(photos)} unseen photos, against {len(paintings)} paintings "
        "(chequerboard: period-2 energy / the photo's, 1 = none added; copy: mean |G(x) - x|, 0 = a copy; "
        "composition: correlation of the light and dark layout with the photo's, 1 = kept; "
        "palette: colour distance to the paintings, 0-255; fine_detail: power above 0.4 cycles per pixel over the "
        "photos', 1 = as crisp, 0 = a blur (Monet's paintings: about 0.7); "
        "kid: KID x 1000 on ImageNet features against half the paintings, lower is more Monet-like; "
        "gap_closed: the share of the photos-to-paintings KID closed; gap_closed_lite2: the same on a second "
        "network's features, EfficientNet-Lite2; judge: the share closed on VGG19's features against the paintings "
        "no run trains on, which decides, with its noise; coarse_change: how far the colours of 8x8 squares move; "
        "edge_energy: the mean brightness gradient, levels of 255):"
    )
    columns = list(next(iter(table.values())))
    print("| | " + " | ".join(columns) + " |\n|---" + "|---" * len(columns) + "|")
    for name, measures in table.items():
        print(f"| {name} | " + " | ".join(f"{value:.3f}" for value in measures.values()) + " |")
    print(f"The new generator paints a 256x256 photo in {milliseconds:.0f} ms on this machine (one at a time).")

    old, now = table["shipped generator"], table[f"new generator (step {state['step']})"]
    now["ms_per_photo"] = milliseconds
    margin, noises = calibration_margin(verdicts["new generator"], verdicts["shipped generator"])
    print(f"The judge: the new generator closes {margin:+.1%} of the gap more than the shipped one", end=" ")
    print(f"({noises:.1f} times the noise; more than 2 to ship)")
    beaten = [] if noises > 2 else ["the judge, by more than twice its noise"]
    beaten += [bar for bar, passes in BARS.items() if not passes(now)]
    if beaten:
        print(f"\nThe new generator does not beat the shipped one on: {', '.join(beaten)}.")
    if args.no_export or (beaten and not args.force):
        print("Nothing exported.")
        return

    trained_on = image_files(folders.photo)[: config.max_images]  # the run's photos: the first max_images
    info = {
        "step": state["step"],
        # By content, so notebook 7 finds the photos it never saw in any folder, whatever their names:
        "trained_on_photos": [fingerprint(load_image(path)) for path in trained_on],
        "config": config.to_dict(),
        **added_at_export(trained_config, config),
        "held_out": {  # as the exported model's own description sees them
            "photos themselves": table["photos themselves"],
            "previous generator": old,
            f"this generator (step {state['step']})": now,
        },
    }
    export_generator(new, PACKAGE_FOLDER, "monet", info)
    partner = with_weights_of(partner, config, "photo_generator")
    partner_info = {"step": state["step"], "config": config.to_dict(), **added_at_export(trained_config, config)}
    partner_info["partner"] = "monet"
    export_generator(partner, PACKAGE_FOLDER, "photo", partner_info)  # Monet -> photo; a next run's warm start
    stale = PACKAGE_FOLDER / DISCRIMINATORS
    if config.discriminator == "patchgan" and checkpoint is not None:
        export_discriminators(checkpoint.path, PACKAGE_FOLDER)  # ... with the discriminators that know these fakes
    elif stale.exists():  # a projected run's hold a frozen ImageNet network (20 MB); a warm start trains new heads
        stale.unlink()  # (and an exported step has none: its checkpoint was rotated away)
        print(f"Removed {stale.name}: the previous generators' discriminators do not know these fakes.")
    size = (PACKAGE_FOLDER / "monet.weights.h5").stat().st_size / 1e6
    print(f"Exported to {(PACKAGE_FOLDER / 'monet.weights.h5').relative_to(ROOT)} ({size:.1f} MB)")
    if size > MAX_MEGABYTES:
        print(f"Warning: {size:.1f} MB is over the {MAX_MEGABYTES} MB a shipped generator may take.")

    pick = np.linspace(0, len(photos) - 1, 8).astype(int)
    titles = ["unseen photo"] * 8 + ["previous generator"] * 8 + [f"new, step {state['step']}"] * 8
    figure = show_images([*photos[pick], *shipped_monets[pick], *new_monets[pick]], titles, ncols=8, size=2.2)
    figure.savefig(PACKAGE_FOLDER / "unseen_photos.png", dpi=80, bbox_inches="tight")
    losses = state["history"]["steps"]
    if any(losses.values()):
        plot_losses(losses, smooth=150).savefig(PACKAGE_FOLDER / "training_losses.png", dpi=80, bbox_inches="tight")
    else:  # the run's checkpoints are gone, and with them its losses: the old figure belongs to the old generator
        (PACKAGE_FOLDER / "training_losses.png").unlink(missing_ok=True)
        print("No checkpoint of the run is left to draw its losses from: training_losses.png removed.")
    previews = sorted((Path(args.checkpoint_dir) / "previews").glob("step-*.png"))
    previews = [path for path in previews if int(path.stem.split("-")[1]) <= state["step"]]  # up to the one shipped
    if previews:  # 5 of the run's previews of unseen photos, first to last, one above the other
        picked = [previews[i] for i in sorted(set(np.linspace(0, len(previews) - 1, 5).astype(int)))]
        rows = [Image.open(path).convert("RGB") for path in picked]
        progress = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
        for i, row in enumerate(rows):
            progress.paste(row, (0, sum(r.height for r in rows[:i])))
        progress.save(PACKAGE_FOLDER / "training_progress.png", optimize=True)
    if (Path(args.checkpoint_dir) / "held_out.csv").exists():
        figure = plot_gap_curve(Path(args.checkpoint_dir))
        figure.savefig(PACKAGE_FOLDER / "held_out_kid.png", dpi=80, bbox_inches="tight")
    print(
        f"Figures: {(PACKAGE_FOLDER / 'unseen_photos.png').relative_to(ROOT)}, training_losses.png, "
        f"training_progress.png ({len(previews)} previews)"
    )


def exported_pair(folder: Path, newest=None) -> tuple:
    """(Monet generator, its photo partner, {"step", "config", "history"}) as a run exported them in
    `folder` (`train_monet.py`'s `RUN/generators/step-NNNNNN/`). The loss history is the newest checkpoint's
    (`newest`, where there is one) up to that step. FileNotFoundError naming the steps exported, if not there."""
    if not (folder / "monet.json").is_file():
        exported = sorted(int(p.name.split("-")[1]) for p in folder.parent.glob("step-*") if p.is_dir())
        listed = ", ".join(map(str, exported)) or "none"
        step = int(folder.name.split("-")[1])
        raise FileNotFoundError(f"the run exported no generators at step {step} ({folder}); steps exported: {listed}")
    monet, partner = load_shipped("monet", folder), load_shipped("photo", folder)
    info = json.loads((folder / "monet.json").read_text(encoding="utf-8"))
    history = newest.state["history"] if newest is not None else {"steps": {}}
    history = {"steps": {name: values[: info["step"]] for name, values in history["steps"].items()}}
    return monet, partner, {"step": info["step"], "config": info["config"], "history": history}


def with_weights_of(generator, config: RecipeConfig, name: str):
    """The generator `config` describes, holding `generator`'s weights (a weightless layer added or not)."""
    rebuilt = generator_for(config, name, any_size=True)
    rebuilt.set_weights(generator.get_weights())
    return rebuilt


def added_at_export(trained: RecipeConfig, shipped: RecipeConfig) -> dict:
    """{"added_at_export": the settings the shipped config has and the run did not train with}, or {}."""
    before = trained.to_dict()
    changed = {k: v for k, v in shipped.to_dict().items() if before[k] != v}
    return {"added_at_export": changed} if changed else {}


def gap_by_step(path: Path, column: str = "gap_closed") -> tuple[np.ndarray, np.ndarray]:
    """(steps, gap closed) from a run's held_out.csv or held_out_kid.csv, in step order; where a resumed
    run measured a step twice, its last measure. `column`: e.g. "gap_closed_lite2", where the file has it
    (else no steps)."""
    rows = [row for row in csv.DictReader(open(path)) if row.get(column)]
    gaps = {int(row["step"]): float(row[column]) for row in rows}
    steps = np.array(sorted(gaps))
    return steps, np.array([gaps[step] for step in steps])


def plot_gap_curve(run_dir: Path):
    """The share of the photos-to-paintings gap closed on held-out photos, against training steps: the
    judge's, as the run measured it (held_out.csv's judge column, where it has one) and as measure_run.py
    re-measured it after the fact (held_out_kid.csv, where it did), on EfficientNet-Lite0's features as the
    run measured it (held_out.csv), and on EfficientNet-Lite2's features where the run has them."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 3.2))
    curves = [
        ("held_out.csv", "judge", "the judge's: VGG19's features, held-out paintings (decides)"),
        ("held_out_kid.csv", "gap_closed", "the judge's, re-measured by measure_run.py"),
        ("held_out.csv", "gap_closed", "on EfficientNet-Lite0's features, as the run measured it"),
        ("held_out.csv", "gap_closed_lite2", "on EfficientNet-Lite2's features"),
    ]
    for name, column, label in curves:
        if (run_dir / name).exists():
            steps, gaps = gap_by_step(run_dir / name, column)
            if len(steps):
                axis.plot(steps, 100 * gaps, marker="o", markersize=2, linewidth=1, label=label)
    axis.axhline(0, color="grey", linewidth=0.8)
    axis.axhline(50, color="green", linewidth=0.8, linestyle="--")
    axis.set(xlabel="training step", ylabel="gap closed (%)", title="Held-out photos: how far towards Monet")
    left = axis.get_xlim()[0]
    axis.text(left, 52, " the bar to ship: half the gap", color="green", fontsize=8)
    axis.text(left, 2, " no closer than the photos", color="grey", fontsize=8)
    axis.legend(fontsize=8, loc="lower right")
    return figure


if __name__ == "__main__":
    main()
