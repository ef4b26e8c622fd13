"""cyclegan_lab: the small library behind the CycleGAN photo-to-Monet course.

The lab, one module per idea, in the order the notebooks teach them:
`config` (`TrainConfig`), `images`, `data`, `pipeline`, `models` (U-Net and
ResNet generators, PatchGAN discriminator), `losses`, `cyclegan` (the model
and its training step), `training` (`build_cyclegan`, `train()`),
`callbacks`, `checkpoints`, `plotting`, `inference` (`stylize`), `widgets`.

Around it, each on a floor of its own (a module imports only its own floor
or those below; pyproject.toml's import-linter contracts keep it so), from
the top: `program/` (the command line, keeping training runs, painting files,
the Kaggle submission); `teaching/` (the notebooks' checks, drawings, model
inspection, the lab's reference step) beside `judging/` (how Monet-like
paintings are); `recipe/` (the shipped generator: its settings, tricks,
networks and loading); the lab; `plumbing/` (downloads, atomic files, the
folder lock, number formats, SavedModels from the web, several devices).
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
    name: module
    for module, names in {
        "checkpoints": ["latest_checkpoint", "load_network", "restore_checkpoint", "save_checkpoint"],
        "config": ["TrainConfig"],
        "data": ["find_data", "load_data", "load_folder"],
        "pipeline": ["make_dataset"],
        "images": ["load_image", "normalize", "to_uint8"],
        "inference": ["stylize"],
        "losses": ["bce_from_logits", "cycle_loss", "discriminator_loss", "generator_loss", "identity_loss"],
        "models": ["build_discriminator", "build_generator", "downsample", "upsample"],
        "plotting": ["plot_losses", "show_images"],
        "program.runs": ["load_generator"],
        "recipe.pretrained": ["load_pretrained", "PACKAGE_FOLDER"],
        "cyclegan": ["CycleGAN"],
        "callbacks": ["LossHistory", "SamplePreview"],
        "training": ["build_cyclegan", "train"],
    }.items()
    for name in names
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
