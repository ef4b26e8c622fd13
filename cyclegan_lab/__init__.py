"""cyclegan_lab: the small library behind the CycleGAN photo-to-Monet course.

One module per idea, in the order the notebooks teach them:
`data` (find, load and feed the images), `models` (U-Net generator,
PatchGAN discriminator), `losses`, `training` (the CycleGAN model and
`train()`), `checkpoints` (save and resume), `plotting` (figures), `architecture`
(layer tables, diagrams, receptive fields), `pretrained` and `inference` (a trained
Monet generator, ready to use), `scores` (how Monet-like images are), `reference` (the lab's training step),
`precision` and `distribute` (number formats and devices);
`config` holds the one `TrainConfig` they share and `download` fetches files safely.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # keep TensorFlow's warnings, hide its info lines

from .config import TrainConfig  # noqa: E402
from .data import find_data, load_data, load_folder, load_image, make_dataset, normalize, to_uint8  # noqa: E402
from .models import build_discriminator, build_generator, downsample, upsample  # noqa: E402
from .losses import bce_from_logits, cycle_loss, discriminator_loss, generator_loss, identity_loss  # noqa: E402
from .training import CycleGAN, LossHistory, SamplePreview, build_cyclegan, train  # noqa: E402
from .checkpoints import latest_checkpoint, load_network, restore_checkpoint, save_checkpoint  # noqa: E402
from .plotting import plot_losses, show_images  # noqa: E402
from .pretrained import load_generator, load_pretrained  # noqa: E402
from .inference import stylize  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "TrainConfig",
    "find_data", "load_data", "load_folder", "load_image", "make_dataset", "normalize", "to_uint8",
    "build_discriminator", "build_generator", "downsample", "upsample",
    "bce_from_logits", "cycle_loss", "discriminator_loss", "generator_loss", "identity_loss",
    "CycleGAN", "LossHistory", "SamplePreview", "build_cyclegan", "train",
    "latest_checkpoint", "load_network", "restore_checkpoint", "save_checkpoint",
    "plot_losses", "show_images",
    "load_generator", "load_pretrained", "stylize",
]
