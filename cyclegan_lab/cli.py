"""The `cyclegan-lab` command line.

    cyclegan-lab data                      # find or download the lab's images, print where they are
    cyclegan-lab train --epochs 1 --checkpoint-dir checkpoints
    cyclegan-lab train --smoke             # one step on a few images, to check an install
    cyclegan-lab train --strategy mirrored # all GPUs of this machine (also: tpu, multiworker)
    cyclegan-lab stylize photos/ -o paintings/   # Monet versions of your photos, no training needed

Every `TrainConfig` field is an option (`--steps-per-epoch`, `--lambda-cycle`, ...).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import os
import pathlib
import secrets
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


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of pixels, got {text}")
    return value


def _stylize_options(parser: argparse.ArgumentParser) -> None:
    from .pretrained import MODELS
    from .inference import KEEP

    parser.add_argument("inputs", nargs="+", metavar="IN",
                        help="image files, or folders of them (hidden files skipped)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT_DIR",
                        help="folder for the <name>_monet.png paintings (created if missing)")
    parser.add_argument("--model", choices=list(MODELS), default="monet",
                        help="; ".join(f"{name}: {what}" for name, what in MODELS.items()) + " (default: %(default)s)")
    parser.add_argument("--size", type=_positive_int, default=256, metavar="PIXELS",
                        help="the output's shorter side (aspect) or side (square) (default: %(default)s)")
    parser.add_argument("--keep", choices=KEEP, default="aspect",
                        help="aspect: shorter side PIXELS, shape kept; size: the photo's own size "
                             "(slow and memory-hungry for big photos); square: the centre PIXELS x PIXELS "
                             "(default: %(default)s)")


def _stylize_inputs(paths: list[str]) -> tuple[list[pathlib.Path], list[str]]:
    """The image files named or inside the folders named (each once), and the paths that do not exist."""
    from .data import image_files

    files, missing, seen = [], [], set()
    for name in paths:
        path = pathlib.Path(name)
        if not path.exists():
            missing.append(name)
            continue
        for file in image_files(path) if path.is_dir() else [path]:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files, missing


def _painting_names(files: list[pathlib.Path], out_dir: pathlib.Path) -> list[pathlib.Path]:
    """OUT_DIR/<stem>_monet.png for each file; a stem seen before gets -2, -3, ... so none overwrites another."""
    counts: collections.Counter[str] = collections.Counter()
    names = []
    for file in files:
        counts[file.stem] += 1
        stem = file.stem if counts[file.stem] == 1 else f"{file.stem}-{counts[file.stem]}"
        names.append(out_dir / f"{stem}_monet.png")
    return names


def _stylize_command(args: argparse.Namespace) -> int:
    """Paint every input; report bad files and go on. 0: all done, 1: some failed, 2: nothing to do."""
    import tensorflow as tf
    from tqdm import tqdm

    from .download import DownloadError
    from .pretrained import PretrainedNotFoundError, load_pretrained
    from .inference import stylize_file

    files, missing = _stylize_inputs(args.inputs)
    if missing:
        print(f"cyclegan-lab: error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not files:
        print(f"cyclegan-lab: error: no files found in {', '.join(args.inputs)}", file=sys.stderr)
        return 2
    out_dir = pathlib.Path(args.output)
    try:
        model = load_pretrained(args.model)
        out_dir.mkdir(parents=True, exist_ok=True)
    except (PretrainedNotFoundError, DownloadError, ValueError, OSError) as error:
        print(f"cyclegan-lab: error: {error}", file=sys.stderr)
        return 2

    inputs = {file.resolve() for file in files}
    failed = 0
    try:
        with tqdm(total=len(files), desc="Painting", unit="image", file=sys.stderr) as bar:
            for file, target in zip(files, _painting_names(files, out_dir)):
                try:
                    if target.resolve() in inputs:
                        raise ValueError(f"{file}: its painting {target} would overwrite an input; "
                                         "choose another -o folder")
                    painting = stylize_file(file, model, size=args.size, keep=args.keep)
                    tmp = target.with_name(f".{target.stem}.tmp-{secrets.token_hex(4)}.png")
                    try:
                        painting.save(tmp, format="PNG")
                        os.replace(tmp, target)  # never a half-written painting under the final name
                    finally:
                        tmp.unlink(missing_ok=True)
                except (ValueError, OSError, MemoryError, tf.errors.ResourceExhaustedError) as error:
                    failed += 1
                    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                    reason = reason if str(file) in reason else f"{file}: {reason}"
                    tqdm.write(f"cyclegan-lab: skipped: {reason}", file=sys.stderr)
                bar.update(1)
    except KeyboardInterrupt:
        print("\nInterrupted; the paintings written so far are complete.", file=sys.stderr)
        return 130
    done = len(files) - failed
    print(f"Wrote {done} painting{'s' * (done != 1)} to {out_dir}.")
    if failed:
        print(f"cyclegan-lab: {failed} of {len(files)} images failed (named above).", file=sys.stderr)
        return 1
    return 0


STRATEGIES = ("default", "mirrored", "tpu", "multiworker")  # distribute.STRATEGIES, without importing TensorFlow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cyclegan-lab", description="Turn photos into Monet paintings with a CycleGAN.")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="find or download the lab's images and print where they are")
    data.add_argument("--data", help="folder with the images (default: $CYCLEGAN_LAB_DATA, the cache, or download)")

    train = commands.add_parser("train", help="train a CycleGAN (resumes from --checkpoint-dir)")
    train.add_argument("--data", help="folder with the images (default: $CYCLEGAN_LAB_DATA, the cache, or download)")
    train.add_argument("--checkpoint-dir", default="checkpoints", help="where checkpoints go (default: %(default)s)")
    train.add_argument("--smoke", action="store_true", help="one step on 4 images per domain, to check an install")
    train.add_argument("--strategy", choices=STRATEGIES, default="default",
                       help="default: one device; mirrored: all GPUs of this machine; tpu: a TPU; multiworker: "
                            "several machines, as TF_CONFIG says. --batch-size is per replica (default: %(default)s)")
    _config_options(train)

    stylize = commands.add_parser("stylize", help="paint photos in Monet's style with a pretrained generator")
    _stylize_options(stylize)

    args = parser.parse_args(argv)
    if args.command == "stylize":
        return _stylize_command(args)
    from . import data as data_module
    from .config import TrainConfig
    from .download import DownloadError

    try:
        if args.command == "data":
            folders = data_module.find_data(args.data)
            print(f"Monet paintings: {folders.monet}\nPhotos:          {folders.photo}")
            return 0
        from .distribute import describe, make_strategy
        from .training import train as run_training

        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
        config = TrainConfig.smoke(**overrides) if args.smoke else TrainConfig(**overrides)
        strategy = make_strategy(args.strategy)  # first: a cluster's strategy must exist before other TF work
        lab_data = data_module.load_data(config, args.data)
        print(f"Training on {len(lab_data.monet)} Monet paintings and {len(lab_data.photo)} photos; "
              f"checkpoints in {args.checkpoint_dir}.")
        print(f"Strategy: {args.strategy} ({describe(strategy)}).")
        run_training(config, lab_data, checkpoint_dir=args.checkpoint_dir, strategy=strategy)
        return 0
    except (data_module.DataNotFoundError, DownloadError, ValueError) as error:
        print(f"cyclegan-lab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted. Run the same command again to resume from the last checkpoint.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
