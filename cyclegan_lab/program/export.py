"""Shipping a run: export its generators (and discriminators) as package files, and warm-start a new run from them.

`export_generator` writes the pair of files `pretrained.load_pretrained`
reads (``<name>.weights.h5`` and ``<name>.json``), `export_discriminators`
the run's two discriminators; `warm_start` starts a new run's networks from
what ships, so a long training goes on when no checkpoint survives.
`scripts/ship_pretrained.py` and `scripts/train_monet.py` use them.
"""

from __future__ import annotations

import json
import pathlib

import keras
import numpy as np

from ..plumbing.files import atomic_save, atomic_write
from ..recipe.layers import subpixel_kernel
from ..recipe.pretrained import (
    DISCRIMINATORS,
    WEIGHTS_HASH,
    PretrainedNotFoundError,
    file_sha256,
    generator_from_info,
    load_shipped,
    shipped_folder,
)
from ..recipe.projected import is_projected
from .checkpoint_reading import load_network, read_checkpoint

__all__ = ["export_discriminators", "export_generator", "warm_start"]


def export_generator(generator: keras.Model, folder, name: str, info: dict) -> pathlib.Path:
    """Save `generator` as ``folder/<name>.weights.h5`` + ``folder/<name>.json``; return the weights path.

    `info` must hold ``config``, the `TrainConfig` (as a dict) of the run
    that trained it, which rebuilds the network; any other keys (step, data,
    measures...) are kept in the JSON as notes. It is checked against the
    generator's weights, so a wrong description fails here, not at loading.
    The JSON also records the SHA-256 of the weights file as written
    (``weights_sha256``), so loading notices a file damaged or changed since.
    Each file is written under a temporary name and renamed when complete
    (`files.atomic_save`, `files.atomic_write`), so a crash never leaves a
    half-written file under the final name.
    """
    if "config" not in info:
        raise ValueError(f"info needs config (the TrainConfig that rebuilds the generator), got {sorted(info)}")
    expected = generator_from_info(info, "check")
    if [tuple(w.shape) for w in expected.weights] != [tuple(w.shape) for w in generator.weights]:
        raise ValueError(
            f"The generator's weights do not match the network info describes (config={info['config']}); "
            "fix info so load_pretrained can rebuild it."
        )
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.weights.h5"
    atomic_save(weights, generator.save_weights, suffix=".weights.h5")  # Keras insists on that ending
    text = json.dumps({**info, WEIGHTS_HASH: file_sha256(weights)}, indent=2) + "\n"
    atomic_write(folder / f"{name}.json", lambda file: file.write(text.encode("utf-8")))
    return weights


def export_discriminators(checkpoint_path, folder) -> pathlib.Path:
    """Save a checkpoint's two discriminators as ``folder/discriminators.npz``, in float16, for warm starts.

    A trained discriminator is what a run cannot quickly get back: fresh ones
    judge little better than chance for thousands of steps, and generators
    that follow them drift from what they had learnt. float16 halves the file
    (about 10 MB for both, compressed) and is far finer than what one training
    step changes. Keys are those of
    the checkpoint (``monet_discriminator/0``, ...), written atomically.
    """
    checkpoint = read_checkpoint(checkpoint_path)  # DamagedCheckpointError, saying why
    names = ("monet_discriminator/", "photo_discriminator/")
    arrays = {key: value for key, value in checkpoint.arrays.items() if key.startswith(names)}
    if not arrays:
        raise ValueError(f"{checkpoint_path} holds no discriminators; is it a training checkpoint (step-NNNNNN.npz)?")
    arrays = {key: value.astype(np.float16) if value.dtype.kind == "f" else value for key, value in arrays.items()}
    arrays["state"] = np.array(json.dumps({"step": checkpoint.state["step"]}))
    return atomic_write(pathlib.Path(folder) / DISCRIMINATORS, lambda file: np.savez_compressed(file, **arrays))


def warm_start(cyclegan, folder=None) -> list[str]:
    """Start a new run from the shipped networks and return the names of those it took.

    `cyclegan`'s Monet generator gets the shipped "monet" weights, its photo
    generator the "photo" weights (and the moving average, if the run keeps
    one, starts from them); where ``discriminators.npz`` ships too
    (`export_discriminators`) and fits the run's discriminators, both start
    from it, else they stay fresh (then `RecipeConfig.generator_warmup_steps` lets them learn
    before the generators move). The optimisers always start fresh.

    This is how a long training goes on where no checkpoint survives, from
    exported weights alone. The shipped networks must
    be the ones the run builds (ValueError otherwise), except that a
    resize-convolution may start a sub-pixel convolution (`recipe.layers.subpixel_kernel`),
    and a last convolution without the input skip one with it (`input_skip`:
    the skip's weights start at 0): the generator then paints as before, and
    training can teach its last layers the finest detail.
    """
    if not (shipped_folder(folder) / "photo.weights.h5").is_file():
        raise PretrainedNotFoundError(
            f"No photo generator ships beside the Monet generator in {shipped_folder(folder)} (photo.weights.h5): "
            "a warm start needs the pair that scripts/ship_pretrained.py exports together. Train without it."
        )
    for name, network in [("monet", cyclegan.monet_generator), ("photo", cyclegan.photo_generator)]:
        shipped = load_shipped(name, folder)
        weights = [_carried_over(w, target.shape) for w, target in zip(shipped.get_weights(), network.weights)]
        if len(shipped.weights) != len(network.weights) or any(w is None for w in weights):
            raise ValueError(
                f"The shipped {name!r} generator ({shipped.count_params():,} weights) is not the network this run "
                f"builds ({network.count_params():,}): warm-start only a run of the shipped model's config "
                f"(see {name}.json), or that config with upsampling='subpixel' or input_skip=True."
            )
        network.set_weights(weights)
    if getattr(cyclegan, "monet_average", None) is not None:
        for average, weight in zip(cyclegan.monet_average.averages, cyclegan.monet_generator.trainable_weights):
            average.assign(weight)
    taken = ["monet_generator", "photo_generator"]
    discriminators = shipped_folder(folder) / DISCRIMINATORS
    if discriminators.is_file():
        for name in ["monet_discriminator", "photo_discriminator"]:
            if is_projected(getattr(cyclegan, name)):  # only PatchGANs ship: a projected one's heads start fresh
                continue
            load_network(getattr(cyclegan, name), discriminators, name=name)
            taken.append(name)
    return taken


def _carried_over(weight: np.ndarray, shape) -> np.ndarray | None:
    """A shipped weight for a variable of `shape`: itself, its sub-pixel kernel, the kernel with
    zero weights for the input skip's 3 channels, or None if none fits."""
    shape = tuple(shape)
    if tuple(weight.shape) == shape:
        return weight
    if weight.ndim == 4 and weight.shape[:2] == (3, 3) and shape == (*weight.shape[:3], 4 * weight.shape[3]):
        return subpixel_kernel(weight)
    h, w, channels, out = weight.shape if weight.ndim == 4 else (0, 0, 0, 0)
    if shape == (h, w, channels + 3, out):
        return np.concatenate([weight, np.zeros((h, w, 3, out), weight.dtype)], axis=2)
    return None
