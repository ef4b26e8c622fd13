"""cyclegan_lab: the small library behind the CycleGAN photo-to-Monet course.

One module per idea, in the order the notebooks teach them:
`images` (read a picture, convert its pixels), `data` (find, load and feed
the images), `models` (U-Net and ResNet generators,
PatchGAN discriminator), `inspect_model` and `drawings` (layer tables,
receptive fields, diagrams), `losses`, `cyclegan` (the model and its training
step), `reference` (the lab's own step), `training` (`build_cyclegan`,
`train()`), `callbacks` (loss history, previews), `checkpoints` (save and
resume), `recipe` (the paper's training tricks), `pretrained`, `inference`
and `paint_files` (a trained Monet generator, ready to use: on images, or on
folders of files), `scores` (how Monet-like images are), `plotting` and
`widgets` (figures, the comparison widget).
Beneath them: `config` (the one `TrainConfig` they share), `precision`,
`optimizers` and `distribute` (number formats, Adam, devices), `download` and
`files` (safe downloads and writes).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # keep TensorFlow's warnings, hide its info lines

from .checkpoints import latest_checkpoint, load_network, restore_checkpoint, save_checkpoint
from .config import TrainConfig
from .data import find_data, load_data, load_folder, make_dataset
from .images import load_image, normalize, to_uint8
from .inference import stylize
from .losses import bce_from_logits, cycle_loss, discriminator_loss, generator_loss, identity_loss
from .models import build_discriminator, build_generator, downsample, upsample
from .plotting import plot_losses, show_images
from .pretrained import load_generator, load_pretrained
from .training import CycleGAN, LossHistory, SamplePreview, build_cyclegan, train

__version__ = "0.1.0"

__all__ = [
    "TrainConfig",
    "find_data",
    "load_data",
    "load_folder",
    "load_image",
    "make_dataset",
    "normalize",
    "to_uint8",
    "build_discriminator",
    "build_generator",
    "downsample",
    "upsample",
    "bce_from_logits",
    "cycle_loss",
    "discriminator_loss",
    "generator_loss",
    "identity_loss",
    "CycleGAN",
    "LossHistory",
    "SamplePreview",
    "build_cyclegan",
    "train",
    "latest_checkpoint",
    "load_network",
    "restore_checkpoint",
    "save_checkpoint",
    "plot_losses",
    "show_images",
    "load_generator",
    "load_pretrained",
    "stylize",
]
