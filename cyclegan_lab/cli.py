"""The `cyclegan-lab` command line.

    cyclegan-lab data                      # find or download the lab's images, print where they are
    cyclegan-lab train --epochs 1 --checkpoint-dir checkpoints
    cyclegan-lab train --smoke             # one step on a few images, to check an install

Every `TrainConfig` field is an option (`--steps-per-epoch`, `--lambda-cycle`, ...).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing


def _config_options(parser: argparse.ArgumentParser) -> None:
    from .config import CHOICES, TrainConfig

    hints = typing.get_type_hints(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        kind = hints[field.name]
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        elif kind is str:
            parser.add_argument(flag, choices=CHOICES[field.name], default=None)
        else:
            base = float if float in typing.get_args(kind) or kind is float else int
            parser.add_argument(flag, type=base, default=None, metavar=base.__name__.upper())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cyclegan-lab", description="Turn photos into Monet paintings with a CycleGAN.")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="find or download the lab's images and print where they are")
    data.add_argument("--data", help="folder with the images (default: $CYCLEGAN_LAB_DATA, the cache, or download)")

    train = commands.add_parser("train", help="train a CycleGAN (resumes from --checkpoint-dir)")
    train.add_argument("--data", help="folder with the images (default: $CYCLEGAN_LAB_DATA, the cache, or download)")
    train.add_argument("--checkpoint-dir", default="checkpoints", help="where checkpoints go (default: %(default)s)")
    train.add_argument("--smoke", action="store_true", help="one step on 4 images per domain, to check an install")
    _config_options(train)

    args = parser.parse_args(argv)
    from . import data as data_module
    from .config import TrainConfig
    from .download import DownloadError

    try:
        if args.command == "data":
            folders = data_module.find_data(args.data)
            print(f"Monet paintings: {folders.monet}\nPhotos:          {folders.photo}")
            return 0
        from .training import train as run_training

        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
        config = TrainConfig.smoke(**overrides) if args.smoke else TrainConfig(**overrides)
        lab_data = data_module.load_data(config, args.data)
        print(f"Training on {len(lab_data.monet)} Monet paintings and {len(lab_data.photo)} photos; "
              f"checkpoints in {args.checkpoint_dir}.")
        run_training(config, lab_data, checkpoint_dir=args.checkpoint_dir)
        return 0
    except (data_module.DataNotFoundError, DownloadError, ValueError) as error:
        print(f"cyclegan-lab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted. Run the same command again to resume from the last checkpoint.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
