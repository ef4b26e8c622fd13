"""cyclegan_lab: the small library behind the CycleGAN photo-to-Monet course.

The lab, one module per idea, in the order the notebooks teach them:
`config` (the one `TrainConfig`), `images` (read a picture, convert its
pixels), `data` (find and load the images), `pipeline` (feed them to
training), `models` (U-Net and ResNet generators, PatchGAN discriminator),
`losses`, `cyclegan` (the model and its training step), `training`
(`build_cyclegan`, `train()`), `callbacks` (loss history, previews,
checkpoints), `checkpoints` (save and resume), `measures` (chequerboards,
copying, composition, palette in numbers), `plotting`, `pretrained` and
`inference` (a trained Monet generator, ready to use), `widgets` (the
comparison widget).

Around it, each on a floor of its own (a module imports only its own floor
or those below; pyproject.toml's import-linter contracts keep it so):
`program/` on top (the command line, painting folders of files, the Kaggle
submission); `teaching/` (the notebooks' checks, drawings, model inspection,
the lab's reference step) and `judging/` (how Monet-like paintings are)
above the lab; `recipe/` below it (the shipped generator's training tricks,
layers and projected discriminators, used where a `TrainConfig` asks for
them); `plumbing/` at the bottom (downloads, atomic files, the folder lock,
number formats, SavedModels from the web, several devices).
"""

import importlib
import importlib.util
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # keep TensorFlow's warnings, hide its info lines

__version__ = "0.1.0"

# What `from cyclegan_lab import X` gives, and the module X lives in. They are imported on first
# use (PEP 562), so `import cyclegan_lab` is instant and TensorFlow loads only when a name that
# needs it is asked for: the command line can then answer a Ctrl-C during that slow import.
_HOMES = {
    "latest_checkpoint": "checkpoints",
    "load_network": "checkpoints",
    "restore_checkpoint": "checkpoints",
    "save_checkpoint": "checkpoints",
    "TrainConfig": "config",
    "find_data": "data",
    "load_data": "data",
    "load_folder": "data",
    "make_dataset": "pipeline",
    "load_image": "images",
    "normalize": "images",
    "to_uint8": "images",
    "stylize": "inference",
    "bce_from_logits": "losses",
    "cycle_loss": "losses",
    "discriminator_loss": "losses",
    "generator_loss": "losses",
    "identity_loss": "losses",
    "build_discriminator": "models",
    "build_generator": "models",
    "downsample": "models",
    "upsample": "models",
    "plot_losses": "plotting",
    "show_images": "plotting",
    "load_generator": "pretrained",
    "load_pretrained": "pretrained",
    "CycleGAN": "cyclegan",
    "LossHistory": "callbacks",
    "SamplePreview": "callbacks",
    "build_cyclegan": "training",
    "train": "training",
}


def __getattr__(name: str):
    """Import a public name (or a submodule, `cyclegan_lab.judging.scores`) the first time it is used."""
    if name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    elif importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


__all__ = list(_HOMES)  # what `from cyclegan_lab import *` gives
