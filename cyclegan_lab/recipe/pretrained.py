"""Ready-trained photo -> Monet generators, so you can stylise photos without training.

Two models, by name:

``"monet"`` (the default, shipped with the package, works offline)
    The recipe's variant of the CycleGAN paper's ResNet generator
    (`networks.recipe_resnet`: reflection padding throughout, 6 residual
    blocks, resize-convolution upsampling)
    with 32 filters instead of the paper's 64 and its residual blocks at half
    the image size, ending in a fixed Fourier notch that removes period-2
    patterns (`layers.NyquistNotch`, no weights): half a million weights,
    trained with this library by ``scripts/train_monet.py`` (see
    MODEL_CARD.md). It lives in the package folder ``cyclegan_lab/pretrained/``
    as two files: ``monet.weights.h5`` (the weights, Keras 3 `save_weights`
    format) and ``monet.json`` (the run's whole `RecipeConfig`, from which
    `networks.generator_for` rebuilds the network, plus how it was trained and
    measured, and the SHA-256 of the weights file: loading refuses a file
    damaged or changed since, `PretrainedChangedError`; reinstalling brings it back).
    It is rebuilt with ``any_size=True``, so it accepts images
    whose height and width are multiples of 2 (`stylize` pads the others).

``"original-50-epochs"`` (downloaded once, 193 MiB, then cached)
    The original lab's generator: the full 54-million-weight U-Net, trained
    for 50 epochs by the course authors and saved by Keras 2 as a TensorFlow
    SavedModel. We cannot rebuild it from code, so we run its saved
    ``serving_default`` signature through `keras.layers.TFSMLayer`, wrapped
    in `plumbing.saved_model.SavedModelGenerator` so it is called like ours.
    Its signature may fix the input size (the lab built it for 256x256 only);
    `stylize` then works in tiles of that size.

Both map a batch of photos (b, h, w, 3), float32 in [-1, 1], to Monet-style
images of the same shape and range: ``model(images)`` or
``model(images, training=False)`` gives one tensor.

Our generators compute in the `precision` you ask for, by default the one
their run trained in (`TrainConfig.precision`; the shipped run's is "auto"):
"auto" is bfloat16 mixed precision where the processor computes bfloat16
natively (AVX512_BF16 or AMX, see `plumbing.precision`), float32 elsewhere.
The weights stay float32 either way; in bfloat16 a 256x256 photo is painted
in a quarter to a third less time, and its pixels differ from float32's by a fraction of
one level of 255 on average (``benchmarks/inference.py`` prints both).

Where the shipped files are looked for, in this order: the ``folder=`` argument
of `load_pretrained`; the folder named by the ``CYCLEGAN_LAB_PRETRAINED``
environment variable (for tests and for trying your own export; not needed
in normal use); the package's ``pretrained/`` folder.
`program.export.export_generator` writes such a pair of files from any generator of `models`.
`scripts/ship_pretrained.py` writes the Monet generator's partner from the same
run beside it, ``photo.weights.h5`` + ``photo.json`` (the paper's F, Monet ->
photo), and, where that run's discriminators were the lab's PatchGANs, the two of
them, ``discriminators.npz`` (float16, `export_discriminators`; a projected
one is mostly a frozen ImageNet network, and its heads learn anew in a few
hundred steps), so that a new run can start where the shipped one ended
(`program.export.warm_start`) even when the run's checkpoints are gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re

import keras

from ..plumbing.download import Remote
from ..plumbing.precision import dtype_policy, resolve_precision
from ..plumbing.saved_model import load_saved_model
from .config import RecipeConfig
from .networks import generator_for

__all__ = [
    "PRETRAINED_ENV",
    "WEIGHTS_HASH",
    "DISCRIMINATORS",
    "PACKAGE_FOLDER",
    "ORIGINAL",
    "MODELS",
    "PretrainedNotFoundError",
    "PretrainedChangedError",
    "load_pretrained",
    "generator_from_info",
    "shipped_folder",
    "load_shipped",
    "file_sha256",
]

PRETRAINED_ENV = "CYCLEGAN_LAB_PRETRAINED"
WEIGHTS_HASH = "weights_sha256"  # the key of <name>.json that records the SHA-256 of <name>.weights.h5
DISCRIMINATORS = "discriminators.npz"  # the shipped run's two discriminators, for warm starts
PACKAGE_FOLDER = pathlib.Path(__file__).resolve().parents[1] / "pretrained"  # cyclegan_lab/pretrained/
ORIGINAL = Remote(
    url="https://cf-courses-data.s3.us.cloud-object-storage.appdomain.cloud/"
    "IBMDeveloperSkillsNetwork-ML311-Coursera/LargeData/monet_generator_50_epochs.tgz",
    size=202_293_808,  # no SHA-256 is published, so the size is all we can check
)
MODELS = {
    "monet": "ResNet generator trained with this library, shipped with the package (offline)",
    "original-50-epochs": "the original lab's full U-Net after 50 epochs (downloads 193 MiB once)",
}


class PretrainedNotFoundError(FileNotFoundError):
    """The files of a shipped model are not where we looked."""


class PretrainedChangedError(ValueError):
    """A shipped model's weights file is not the one its JSON describes: damaged, or changed since its export."""


# --- Loading ----------------------------------------------------------------


def load_pretrained(
    name: str = "monet",
    *,
    folder=None,
    remote: Remote | None = None,
    progress: bool = True,
    precision: str | None = None,
) -> keras.Model:
    """A trained photo -> Monet generator: (b, h, w, 3) in [-1, 1] -> same shape in [-1, 1].

    `name` is one of `MODELS` (see the module docstring). ``"monet"`` reads the
    shipped files from `folder` (default: ``$CYCLEGAN_LAB_PRETRAINED``, else the
    package's ``pretrained/`` folder) and raises PretrainedNotFoundError naming
    the missing file. ``"original-50-epochs"`` downloads the lab's archive
    into the cache once (`download.cache_dir()`; `remote` replaces where it
    comes from, for tests), unpacks it, and later calls reuse it without the
    network; failures raise `download.DownloadError`. `progress` shows that
    download's progress bar. `precision` ("auto", "float32", "bfloat16"; None:
    the run's own) is the number format ``"monet"`` computes in (see the module
    docstring); the lab's SavedModel always runs as it was saved.
    """
    if name == "monet":
        return load_shipped(name, folder, precision)
    if name == "original-50-epochs":
        return load_saved_model(
            remote or ORIGINAL,
            "original_50_epochs_generator",
            progress=progress,
            hint="Check your connection, or use the shipped model: load_pretrained('monet').",
            what="the lab's generator",
        )
    raise ValueError(f"Unknown pretrained model {name!r}; choose one of: {', '.join(MODELS)}")


def generator_from_info(info: dict, name: str, precision: str | None = None) -> keras.Model:
    """Rebuild, for any image size, the generator a shipped model's JSON describes: from the
    training run's `config` (U-Net or ResNet), computing in `precision` (None: the run's)."""
    config = RecipeConfig(**info["config"])
    with dtype_policy(precision or config.precision):
        return generator_for(config, f"{name}_generator", any_size=True)


def shipped_folder(folder=None) -> pathlib.Path:
    """Where the shipped model files are looked for: `folder`, $CYCLEGAN_LAB_PRETRAINED, or the package's."""
    if folder is not None:
        return pathlib.Path(folder)
    return pathlib.Path(os.environ[PRETRAINED_ENV]) if os.environ.get(PRETRAINED_ENV) else PACKAGE_FOLDER


def load_shipped(name: str, folder, precision: str | None = None) -> keras.Model:
    folder = shipped_folder(folder)
    weights, description = folder / f"{name}.weights.h5", folder / f"{name}.json"
    for path in (weights, description):
        if not path.is_file():
            raise PretrainedNotFoundError(
                f"The pretrained {name!r} model is incomplete: {path} not found. Reinstall cyclegan-lab, "
                f"set {PRETRAINED_ENV} to a folder holding {weights.name} and {description.name}, "
                "or use load_pretrained('original-50-epochs') (downloads 193 MiB once)."
            )
    try:
        info = json.loads(description.read_text(encoding="utf-8"))
        config = RecipeConfig(**info["config"])  # checked before anything is built
        expected = info.get(WEIGHTS_HASH)  # None: an export older than the hashes; loaded unchecked
        if expected is not None and not (isinstance(expected, str) and re.fullmatch("[0-9a-f]{64}", expected)):
            raise ValueError(f"its {WEIGHTS_HASH} is {expected!r}, not a SHA-256 (64 hexadecimal digits)")
    except (ValueError, KeyError, TypeError) as error:
        raise _not_a_description(description, error) from error
    if expected is not None:
        _check_unchanged(weights, description, expected)
    # The number format this machine is told to compute in is no fault of the file: a bad
    # CYCLEGAN_LAB_PRECISION is its own error, said before anything can blame the file for it.
    resolve_precision(precision or config.precision)
    try:
        model = generator_from_info(info, name, precision)
    except (ValueError, TypeError) as error:
        raise _not_a_description(description, error) from error
    try:
        model.load_weights(weights)
    except (ValueError, OSError) as error:
        raise ValueError(
            f"{weights} does not fit the network {description} describes (config={info['config']}): {error}"
        ) from error
    return model


def file_sha256(path) -> str:
    """The SHA-256 of the file at `path`, as 64 hexadecimal digits."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _check_unchanged(weights: pathlib.Path, description: pathlib.Path, expected: str) -> None:
    """PretrainedChangedError unless `weights` has the SHA-256 its `description` records.

    A weights file overwritten or swapped for another still loads when its
    shapes fit, and then paints something else without a word; one cut short
    fails in HDF5's words. So the file is checked whole first, and refused,
    saying how to get the right one back.
    """
    actual = file_sha256(weights)
    if actual == expected:
        return
    if weights.parent.resolve() == PACKAGE_FOLDER.resolve():
        what = f"The package's file {weights}"
        recover = (
            "Reinstall cyclegan-lab to get the shipped file back "
            "(from a clone of its repository: git checkout -- cyclegan_lab/pretrained)."
        )
    else:
        what = str(weights)
        recover = "Export the model again (program.export.export_generator writes both files), or use another folder."
    raise PretrainedChangedError(
        f"{what} is damaged or was changed: its SHA-256 begins {actual[:16]}, not {expected[:16]} as "
        f"{description.name} records. {recover}"
    )


def _not_a_description(description: pathlib.Path, error: Exception) -> ValueError:
    why = f"no {error}" if isinstance(error, KeyError) else str(error)
    return ValueError(f"{description} does not describe a generator (needs config, a valid TrainConfig): {why}")
