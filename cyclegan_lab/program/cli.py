"""The `cyclegan-lab` command line.

    cyclegan-lab data                      # find or download the lab's images, print where they are
    cyclegan-lab train --epochs 1 --checkpoint-dir checkpoints
    cyclegan-lab train --smoke             # one step on a few images, to check an install
    cyclegan-lab train --strategy mirrored # all GPUs of this machine (also: tpu, multiworker)
    cyclegan-lab stylize photos/ -o paintings/   # Monet versions of your photos, no training needed
    cyclegan-lab stylize photos/ -o paintings/ --model checkpoints   # ... by your own run's generator

Every `RecipeConfig` field (the lab's `TrainConfig` and the recipe's) is an option (`--steps-per-epoch`,
`--lambda-cycle`, `--pool-size`, ...).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import typing
import warnings

from ..config import STRATEGIES

__all__ = ["main"]


def _config_options(parser: argparse.ArgumentParser) -> None:
    from ..config import CHOICES
    from ..recipe.config import CHOICES as RECIPE_CHOICES
    from ..recipe.config import RecipeConfig

    choices = {**CHOICES, **RECIPE_CHOICES}
    hints = typing.get_type_hints(RecipeConfig)
    for field in dataclasses.fields(RecipeConfig):
        flag = "--" + field.name.replace("_", "-")
        kind = hints[field.name]
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        elif kind is str:
            parser.add_argument(flag, choices=choices.get(field.name), default=None)
        else:
            base = float if float in typing.get_args(kind) or kind is float else int
            parser.add_argument(flag, type=base, default=None, metavar=base.__name__.upper())


def _size(text: str) -> int:
    """--size PIXELS, checked by the same rule as the Python functions (plumbing.tiles.check_size)."""
    from ..plumbing.tiles import check_size

    try:
        value = int(text)
    except ValueError:
        value = text  # not a number: the check names it as typed
    try:
        return check_size(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _stylize_options(parser: argparse.ArgumentParser) -> None:
    from ..recipe.pretrained import MODELS
    from .paint_files import KEEP

    parser.add_argument(
        "inputs", nargs="+", metavar="IN", help="image files, or folders of them (hidden files skipped)"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT_DIR",
        help="folder for the <name>_monet.png paintings (created if missing; a name "
        "already taken gets -2, -3, ...: no file is ever overwritten)",
    )
    parser.add_argument(
        "--model",
        default="monet",
        metavar="NAME_OR_CHECKPOINT",
        help="a pretrained generator ("
        + "; ".join(f"{name}: {what}" for name, what in MODELS.items())
        + "), or a checkpoint file (step-NNNNNN.npz) or folder of a training run, whose newest "
        "readable checkpoint is used (default: %(default)s)",
    )
    parser.add_argument(
        "--size",
        type=_size,
        default=256,
        metavar="PIXELS",
        help="the output's shorter side (aspect) or side (square) (default: %(default)s)",
    )
    parser.add_argument(
        "--keep",
        choices=KEEP,
        default="aspect",
        help="aspect: shorter side PIXELS, shape kept; size: the photo's own size "
        "(slow and memory-hungry for big photos); square: the centre PIXELS x PIXELS "
        "(default: %(default)s)",
    )


def _stylize_command(args: argparse.Namespace) -> int:
    """Paint every input (paint_files.stylize_files). 0: all done, 1: some failed, 2: nothing done.

    --model goes to `checkpoint_reading.load_generator`: a model or checkpoint that is not there is a
    FileNotFoundError, a damaged or mismatched checkpoint a ValueError; each ends in exit code 2.
    """
    from ..plumbing.download import DownloadError
    from ..plumbing.files import FolderNotWritableError
    from .paint_files import stylize_files

    try:
        result = stylize_files(args.inputs, args.output, model=args.model, size=args.size, keep=args.keep)
    except (FileNotFoundError, DownloadError, FolderNotWritableError, ValueError) as error:
        print(f"cyclegan-lab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted; the paintings written so far are complete.", file=sys.stderr)
        return 130
    done = len(result.written)
    renamed = f" ({result.renamed} under a -N name, as theirs was taken)" if result.renamed else ""
    print(f"Wrote {done} painting{'s' * (done != 1)} to {args.output}{renamed}.")
    if result.failed:
        total = done + len(result.failed)
        print(f"cyclegan-lab: {len(result.failed)} of {total} inputs failed (named above).", file=sys.stderr)
        return 1
    return 0


def _submission_command(args: argparse.Namespace) -> int:
    """Write images.zip (submission.write_submission). 0: all painted, 1: some inputs failed, 2: nothing written."""
    from ..plumbing.download import DownloadError
    from ..plumbing.files import FolderNotWritableError, human_size
    from .submission import write_submission

    try:
        result = write_submission(args.inputs, args.output, model=args.model)
    except (FileNotFoundError, DownloadError, FolderNotWritableError, ValueError) as error:
        print(f"cyclegan-lab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nInterrupted; {args.output} was not written.", file=sys.stderr)
        return 130
    rate = result.count / max(result.seconds, 1e-9)
    print(
        f"Wrote {result.count:,} paintings to {args.output} ({human_size(result.path.stat().st_size)}) "
        f"in {result.seconds:.0f} s ({rate:.1f} photos/s). Upload it as your Kaggle submission."
    )
    if result.failed:
        print(f"cyclegan-lab: {len(result.failed)} inputs could not be painted (named above).", file=sys.stderr)
        return 1
    return 0


@contextlib.contextmanager
def _one_line_warnings():
    """The lab's own warnings about the user's files (an image skipped, one very large) as one line each,
    "cyclegan-lab: warning: ...", not in Python's format with a source line; other warnings as usual."""
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        from PIL.Image import DecompressionBombWarning

        from ..data import BadImageWarning
        from ..plumbing.image_reading import LargeImageWarning

        if issubclass(category, (BadImageWarning, LargeImageWarning, DecompressionBombWarning)):
            from tqdm import tqdm

            tqdm.write(f"cyclegan-lab: warning: {message}", file=sys.stderr)  # above a progress bar, if one shows
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = shown


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code: 0 done, 1 partly failed, 2 could not start, 130 Ctrl-C."""
    try:
        args = _parser().parse_args(argv)  # building it imports TensorFlow (for stylize's models): slow
        with _one_line_warnings():
            if args.command == "stylize":
                return _stylize_command(args)
            if args.command == "data":
                return _data_command(args)
            if args.command == "submission":
                return _submission_command(args)
            return _train_command(args)
    except KeyboardInterrupt:  # say it in one line, wherever it came (even inside the TensorFlow import)
        print("\nInterrupted.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cyclegan-lab", description="Turn photos into Monet paintings with a CycleGAN."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="find or download the lab's images and print where they are")
    data.add_argument("--data", help="folder with the images (default: $CYCLEGAN_LAB_DATA, the cache, or download)")

    train = commands.add_parser("train", help="train a CycleGAN (resumes from --checkpoint-dir)")
    train.add_argument("--data", help="folder with the images (default: $CYCLEGAN_LAB_DATA, the cache, or download)")
    train.add_argument("--checkpoint-dir", default="checkpoints", help="where checkpoints go (default: %(default)s)")
    train.add_argument("--smoke", action="store_true", help="one step on 4 images per domain, to check an install")
    train.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="default",
        help="default: one device; mirrored: all GPUs of this machine; tpu: a TPU; multiworker: "
        "several machines, as TF_CONFIG says. --batch-size is per replica (default: %(default)s)",
    )
    train.add_argument(
        "--allow-config-change",
        action="store_true",
        help="resume even though the checkpoints were made with other settings (other than the "
        "run length: epochs, steps per epoch, checkpoint options)",
    )
    _config_options(train)

    stylize = commands.add_parser(
        "stylize", help="paint photos in Monet's style with a pretrained generator or a training run's checkpoint"
    )
    _stylize_options(stylize)

    submission = commands.add_parser(
        "submission", help="paint photos into images.zip for Kaggle's Monet competition (256x256 JPEGs)"
    )
    submission.add_argument("inputs", nargs="+", metavar="PHOTO_OR_FOLDER", help="image files, or folders of them")
    submission.add_argument("-o", "--output", default="images.zip", help="the zip to write (default: %(default)s)")
    submission.add_argument(
        "--model", default="monet", metavar="NAME_OR_CHECKPOINT", help="as for stylize (default: %(default)s)"
    )
    return parser


def _data_command(args: argparse.Namespace) -> int:
    from .. import data as data_module
    from ..plumbing.download import DownloadError

    try:
        folders = data_module.find_data(args.data)
    except (data_module.DataNotFoundError, DownloadError) as error:
        print(f"cyclegan-lab: error: {error}", file=sys.stderr)
        return 2
    print(f"Monet paintings: {folders.monet}\nPhotos:          {folders.photo}")
    return 0


def _train_command(args: argparse.Namespace) -> int:
    """Check the checkpoint folder (writable, not in use), load the data, train."""
    from .. import data as data_module
    from ..callbacks import CheckpointNotSavedError, TrainingDivergedError
    from ..plumbing import files, folder_lock
    from ..plumbing.distribute import describe, is_chief, make_strategy
    from ..plumbing.download import DownloadError
    from ..recipe.config import RecipeConfig
    from . import runs

    try:
        fields = {f.name for f in dataclasses.fields(RecipeConfig)}
        overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
        config = RecipeConfig.smoke(**overrides) if args.smoke else RecipeConfig(**overrides)
        strategy = make_strategy(args.strategy)  # first: a cluster's strategy must exist before other TF work
        if is_chief(strategy):  # before loading the data: the lock itself is taken by train()
            files.check_writable(args.checkpoint_dir, "checkpoint folder")
            folder_lock.check_not_in_use(args.checkpoint_dir)
            from ..training import build_cyclegan

            runs.check_room_for(build_cyclegan(config), args.checkpoint_dir, config.keep_checkpoints)
        lab_data = data_module.load_data(config, args.data)
        print(
            f"Training on {len(lab_data.monet)} Monet paintings and {len(lab_data.photo)} photos; "
            f"checkpoints in {args.checkpoint_dir}."
        )
        print(f"Strategy: {args.strategy} ({describe(strategy)}).")
        runs.train(
            config,
            lab_data,
            checkpoint_dir=args.checkpoint_dir,
            strategy=strategy,
            allow_config_change=args.allow_config_change,
        )
        return 0
    except (TrainingDivergedError, CheckpointNotSavedError) as error:  # the run failed, not the command line
        print(f"cyclegan-lab: error: {error}", file=sys.stderr)
        return 1
    except (
        data_module.DataNotFoundError,
        DownloadError,
        ValueError,
        files.FolderNotWritableError,
        folder_lock.FolderInUseError,
    ) as error:
        print(f"cyclegan-lab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted. Run the same command again to resume from the last checkpoint.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
