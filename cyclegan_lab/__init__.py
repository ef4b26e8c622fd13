"""cyclegan_lab: the small library behind the CycleGAN photo-to-Monet course.

The lab is the top level, one module per idea, in the order the notebooks
teach them: `config`, `images`, `data`, `pipeline`, `models`, `losses`,
`cyclegan`, `training`, `callbacks`, `checkpoints`, `plotting`, `inference`,
`widgets`. The floors around it (README's module map; pyproject.toml's
import-linter contracts keep each above the next): `program/`, `teaching/`
beside `judging/`, `recipe/`, the lab, `plumbing/`.
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
        "checkpoints": ["latest_checkpoint", "restore_checkpoint", "save_checkpoint"],
        "config": ["TrainConfig"],
        "data": ["find_data", "load_data", "load_folder"],
        "pipeline": ["make_dataset"],
        "images": ["load_image", "normalize", "to_uint8"],
        "inference": ["stylize"],
        "losses": ["bce_from_logits", "cycle_loss", "discriminator_loss", "generator_loss", "identity_loss"],
        "models": ["build_discriminator", "build_generator", "downsample", "upsample"],
        "plotting": ["plot_losses", "show_images"],
        "program.checkpoint_reading": ["load_generator"],
        "program.runs": ["train"],
        "recipe.pretrained": ["load_pretrained", "PACKAGE_FOLDER"],
        "cyclegan": ["CycleGAN"],
        "callbacks": ["LossHistory", "SamplePreview"],
        "training": ["build_cyclegan"],
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
