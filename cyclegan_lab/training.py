"""Build a CycleGAN from a `TrainConfig`, ready for Keras' `fit()`.

    cyclegan = build_cyclegan(config)
    history = LossHistory()
    cyclegan.fit(make_dataset(data.monet, data.photo, config), epochs=config.epochs,
                 steps_per_epoch=steps_per_epoch(data, config), callbacks=[history])

`build_cyclegan` makes the four networks (`models.py`) and four optimisers
into one `cyclegan.CycleGAN`. The callbacks (`callbacks.py`) record the
losses, show previews and write checkpoints. A run that resumes exactly
where it stopped, with its folder kept in order, is `program.runs.train`.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from .config import TrainConfig
from .cyclegan import NETWORKS, CycleGAN
from .plumbing import precision

__all__ = ["build_cyclegan", "describe_mode"]


def build_cyclegan(
    config: TrainConfig | None = None,
    steps_per_epoch: int | None = None,
    strategy: tf.distribute.Strategy | None = None,
    model_class: type | None = None,
) -> CycleGAN:
    """Four fresh networks, seeded by config.seed, compiled with four Adam optimisers.

    The model is a `model_class` (yours, taking the four networks and
    `config`), else the class `config` names as its `model_class` (a
    `recipe.config.RecipeConfig` names `RecipeCycleGAN`), else a `CycleGAN`.
    A class with `networks_for` and `learning_rates` builds its networks and
    sets its learning rates; others get the lab's. `steps_per_epoch` (default:
    config.steps_per_epoch, else the lab's 300) places a learning-rate
    schedule. With a `strategy` (default: the current one), networks and
    optimisers are built inside `strategy.scope()`, so each variable lives on
    every replica.
    """
    config = config or TrainConfig()
    model_class = model_class or getattr(config, "model_class", CycleGAN)
    lab = model_class if hasattr(model_class, "networks_for") else CycleGAN
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        with precision.dtype_policy(config.precision):
            networks = lab.networks_for(config)
        cyclegan = model_class(*networks, config)
        rates = lab.learning_rates(config, steps_per_epoch or config.steps_per_epoch or 300)
        cyclegan.compile(*[keras.optimizers.Adam(rate, beta_1=config.beta_1) for rate in rates])
        if tf.distribute.has_strategy():  # a real strategy: create Adam's variables now, in its scope, so they
            for name in NETWORKS:  # are mirrored like the weights (not lazily inside a replica's step)
                getattr(cyclegan, name + "_optimizer").build(getattr(cyclegan, name).trainable_variables)
    return cyclegan


def describe_mode(config: TrainConfig) -> str:
    """One line saying how a step computes and why, e.g. "float32 (asked for)"."""
    chosen, reason = precision.choose_precision(config.precision)
    return f"{chosen} ({reason})"
