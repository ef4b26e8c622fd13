"""The judge's verdict on a training run, step by step: how much of the photo-to-painting gap it closes.

    python scripts/measure_run.py RUN_DIR [RUN_DIR ...] --data PATH/monet2photo [--held-out-from 1200] [--output-notch]

`scripts/train_monet.py` keeps every held-out painting it makes as
RUN_DIR/previews/step-NNNNNN.npy (the first N unseen photos, painted by the
run's Monet generator at that step). For each, this prints KID x 1000 on the
judge's features (`cyclegan_lab.judging.judge`: pooled VGG19 features against the
held-out paintings), the share of the gap closed between the same photos
(0%) and the paintings runs train on (100%), with its noise, and the
diagnostics beside it (chequerboard, coarse colour change, edge energy), and
writes the table to RUN_DIR/held_out_kid.csv. Measured after the fact, with
the code of today, so a run that trains from a frozen copy of older code
still gets today's measure. With --output-notch the paintings pass through
`recipe.layers.NyquistNotch` first, as a generator exported with
`ship_pretrained.py --output-notch` paints them.

With --trained-reference it also judges each step against 60 paintings the
run trained on (the last 60 of those it trains on), the floor for both being
the first 180: how much more of the gap a run seems to close against
paintings it learnt from than against paintings it never saw (columns
gap_held_out, gap_trained, flattery). A measure whose reference the
generator trained on rewards what it memorised, not painting.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from cyclegan_lab.data import HELD_OUT_PAINTINGS, find_data, load_folder
from cyclegan_lab.images import image_files, load_image, normalize, to_uint8
from cyclegan_lab.judging.judge import Judge, coarse_change, edge_energy
from cyclegan_lab.judging.measures import chequerboard_ratio
from cyclegan_lab.plumbing.files import atomic_write
from cyclegan_lab.recipe.layers import NyquistNotch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--data", help="folder with monet/ and photo/ (default: the library's lookup)")
    parser.add_argument("--held-out-from", type=int, default=1200, help="first unseen photo (default %(default)s)")
    parser.add_argument(
        "--output-notch", action="store_true", help="measure the paintings through NyquistNotch, as shipped"
    )
    parser.add_argument(
        "--trained-reference", action="store_true", help="also judge against 60 paintings the run trained on"
    )
    args = parser.parse_args()

    folders = find_data(args.data)
    paintings = load_folder(folders.monet)
    unseen = image_files(folders.photo)[args.held_out_from :]
    judges, photo_sets, pairs = {}, {}, {}  # by how many photos a run paints
    trained, held_out = paintings[:-HELD_OUT_PAINTINGS], paintings[-HELD_OUT_PAINTINGS:]
    floor = trained[:-HELD_OUT_PAINTINGS]
    # two judges with one floor: the reference the run never saw, and the last 60 paintings it trained on
    same_floor = {"held_out": np.concatenate([floor, held_out]), "trained": trained}
    for run in args.runs:
        rows = []
        for path in sorted((run / "previews").glob("step-*.npy")):
            painted = np.load(path, allow_pickle=False)
            if args.output_notch:
                painted = to_uint8(NyquistNotch()(normalize(painted)))
            n = len(painted)
            if n not in judges:
                photo_sets[n] = np.stack([load_image(f) for f in unseen[:n]])
                judges[n] = Judge(photo_sets[n], paintings)
                if args.trained_reference:
                    pairs[n] = {name: Judge(photo_sets[n], both) for name, both in same_floor.items()}
            photos = photo_sets[n]
            verdict = judges[n](painted)
            row = {
                "step": int(path.stem.split("-")[1]),
                "kid": verdict["generated"],
                "gap_closed": verdict["gap_closed"],
                "noise": verdict["gap_noise"],
                "chequerboard": chequerboard_ratio(painted, photos),
                "coarse_change": coarse_change(painted, photos),
                "edge_energy": edge_energy(painted),
            }
            if args.trained_reference:
                row["gap_held_out"], row["gap_trained"] = (pairs[n][k](painted)["gap_closed"] for k in same_floor)
                row["flattery"] = row["gap_trained"] - row["gap_held_out"]
            rows.append(row)
            print(
                f"{run.name} step {row['step']}: KID {row['kid']:.1f} (photos {verdict['photos']:.1f}, floor "
                f"{verdict['floor']:.1f}), gap closed {row['gap_closed']:+.0%} +- {row['noise']:.0%}, chequerboard "
                f"{row['chequerboard']:.2f}, coarse change {row['coarse_change']:.3f}, edges {row['edge_energy']:.1f}",
                flush=True,
            )
            if args.trained_reference:
                print(
                    f"  against paintings it never saw {row['gap_held_out']:+.0%}, against paintings it trained on "
                    f"{row['gap_trained']:+.0%}: flattered by {row['flattery']:+.0%}",
                    flush=True,
                )
        text = ",".join(rows[0]) + "\n" if rows else "step\n"
        text += "".join(
            ",".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in r.values()) + "\n" for r in rows
        )
        body = text.encode()
        atomic_write(run / "held_out_kid.csv", lambda file, body=body: file.write(body))


if __name__ == "__main__":
    main()
