# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Train the CycleGAN
#
# Here you write the training step that joins notebooks 2 to 5, then train all four networks.
#
# ## What you'll learn
# - How one step updates two generators and two discriminators, each from its own loss.
# - How Keras' `fit()` runs that step, and what the losses look like.
# - How to tell a working run from a broken one.
# - How checkpoints let a run stop and resume.
#
# ## What you'll need
# - Notebooks 2 to 5.
# - About 20 minutes: 7 of reading and 13 of running, most of it the epoch's training
#   (full setting, 2 CPU cores with bfloat16 instructions), plus your time on the exercises. A cell
#   prints how long training will take on your machine; for a quick run, set `STEPS_PER_EPOCH = 30`.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: one step on a few images; the variable CYCLEGAN_LAB_SMOKE also turns it on
EPOCHS = 1  # passes over the data
STEPS_PER_EPOCH = None  # None: one pass over the smaller domain (300 steps for the lab's data); 30: a quick run
CHECKPOINT_DIR = None  # None: checkpoints/lab at the repository root (checkpoints/smoke in the smoke setting)
KEEP_CHECKPOINTS = 1  # newest checkpoints kept on disk, about 1.4 GB each
AUGMENT = False  # True: random jitter (resize 286, crop 256, flip), as in the CycleGAN paper
PREVIEW_EVERY = 50  # show the generator's output on fixed photos every N steps
SEED = 0  # fixes weights, data order and dropout
LAMBDA_CYCLE = 10.0  # weight of the cycle loss (notebook 5); the identity loss weighs half of it
RECORD_RUN = None  # a path: write this run's losses, verdicts and measures there as JSON (how the reference epoch is made)

# %%
import inspect
import json
import os
import time
from pathlib import Path
from types import SimpleNamespace

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Code

from cyclegan_lab import TrainConfig, load_data, load_pretrained, losses, plot_losses, show_images, stylize
from cyclegan_lab.callbacks import Checkpointer, DivergenceGuard, LossHistory, SamplePreview, training_step
from cyclegan_lab.data import steps_per_epoch
from cyclegan_lab.images import fingerprint, normalize, to_uint8
from cyclegan_lab.judging.measures import chequerboard_ratio, composition_similarity, copy_distance
from cyclegan_lab.pipeline import make_dataset
from cyclegan_lab.teaching.exercises import check, reveal
from cyclegan_lab.teaching.implementations import check_implementation
from cyclegan_lab.teaching.parameters import check_parameter
from cyclegan_lab.teaching.reference import REFERENCE_EPOCH, load_reference_epoch, preview_texts
from cyclegan_lab.training import build_cyclegan, describe_mode

DATA_DIR = check_parameter("DATA_DIR", DATA_DIR, path=True, optional=True)
SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
EPOCHS = check_parameter("EPOCHS", EPOCHS, whole=(1, None))
STEPS_PER_EPOCH = check_parameter("STEPS_PER_EPOCH", STEPS_PER_EPOCH, whole=(1, None), optional=True)
CHECKPOINT_DIR = check_parameter("CHECKPOINT_DIR", CHECKPOINT_DIR, path=True, optional=True)
KEEP_CHECKPOINTS = check_parameter("KEEP_CHECKPOINTS", KEEP_CHECKPOINTS, whole=(1, None))
AUGMENT = check_parameter("AUGMENT", AUGMENT, flag=True)
PREVIEW_EVERY = check_parameter("PREVIEW_EVERY", PREVIEW_EVERY, whole=(1, None))
SEED = check_parameter("SEED", SEED, whole=(0, 2**32 - 1))
LAMBDA_CYCLE = check_parameter("LAMBDA_CYCLE", LAMBDA_CYCLE, number=(0, None))
RECORD_RUN = check_parameter("RECORD_RUN", RECORD_RUN, path=True, optional=True)
RECORDS = REFERENCE_EPOCH.parent  # recorded runs of this notebook
SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"
settings = dict(epochs=EPOCHS, seed=SEED, keep_checkpoints=KEEP_CHECKPOINTS, augment=AUGMENT, lambda_cycle=LAMBDA_CYCLE)
if SMOKE:
    config = TrainConfig.smoke(**settings)
else:
    config = TrainConfig(steps_per_epoch=STEPS_PER_EPOCH, **settings)
checkpoint_dir = Path(CHECKPOINT_DIR or ("../checkpoints/smoke" if SMOKE else "../checkpoints/lab"))
preview_every = 1 if SMOKE else PREVIEW_EVERY
from cyclegan_lab.cyclegan import NETWORKS  # the four networks' names

config

# %% [markdown]
# `TrainConfig` holds the run's settings, with the original lab's values as defaults:
# batch size 1, $\lambda = 10$, four Adam optimisers with learning rate $2 \cdot 10^{-4}$ and
# $\beta_1 = 0.5$.
#
# ## Load the data

# %%
data = load_data(config, DATA_DIR)
print(f"{len(data.monet)} Monet paintings from {data.folders.monet}")
print(f"{len(data.photo)} photos from {data.folders.photo}")

# %% [markdown]
# ## Read the lab's training step
#
# One step takes one Monet painting $y$ and one photo $x$ and updates all four networks. Each
# network minimises its own loss, in the notation of notebook 1:
#
# $$
# \begin{aligned}
# \mathcal{L}_{\text{cyc}} &= \lambda\,\operatorname{mean}\big|x - F(G(x))\big| + \lambda\,\operatorname{mean}\big|y - G(F(y))\big| \\
# \mathcal{L}_{G} &= \operatorname{mean}\text{BCE}\big(1, D_Y(G(x))\big) + \mathcal{L}_{\text{cyc}} + 0.5\,\lambda\,\operatorname{mean}\big|y - G(y)\big| \\
# \mathcal{L}_{F} &= \operatorname{mean}\text{BCE}\big(1, D_X(F(y))\big) + \mathcal{L}_{\text{cyc}} + 0.5\,\lambda\,\operatorname{mean}\big|x - F(x)\big| \\
# \mathcal{L}_{D_Y} &= \tfrac12\big[\operatorname{mean}\text{BCE}\big(1, D_Y(y)\big) + \operatorname{mean}\text{BCE}\big(0, D_Y(G(x))\big)\big] \\
# \mathcal{L}_{D_X} &= \tfrac12\big[\operatorname{mean}\text{BCE}\big(1, D_X(x)\big) + \operatorname{mean}\text{BCE}\big(0, D_X(F(y))\big)\big]
# \end{aligned}
# $$
#
# The lab's code names the passes `fake_monet`, `cycled_photo`, `fake_photo`, `cycled_monet` (the
# cycles), `same_monet`, `same_photo` (identity), the logit maps `disc_real_monet`,
# `disc_fake_monet`, ..., and the losses:
#
# | code | equation |
# |---|---|
# | `total_cycle_loss` | $\mathcal{L}_{\text{cyc}}$ |
# | `monet_gen_loss`, `photo_gen_loss` | $\mathcal{L}_G$, $\mathcal{L}_F$ |
# | `monet_disc_loss`, `photo_disc_loss` | $\mathcal{L}_{D_Y}$, $\mathcal{L}_{D_X}$ |
#
# One persistent `tf.GradientTape` records every pass, so it can give four gradients: each loss's
# with respect to its own network's weights. Both generators' losses hold the whole cycle loss,
# since both take part in both round trips. A generator's gradient flows *through* the
# discriminator judging its fakes, but only the generator's weights change. Then each network's
# Adam optimiser takes one step.
#
# **Exercise 1 (predict, then run).** How many network calls (passes through a generator or a
# discriminator) does one step make? Count them in the equations.

# %% tags=["exercise", "predict"]
passes_answer = None  # a whole number

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: six generator passes (two per cycle, two identity) and four discriminator passes
# (a real and a fake image for each discriminator): 10.
passes_answer = 6 + 4

# %% [markdown]
# ## Write the step yourself
#
# The lab packs the four networks, their optimisers and the step into one `keras.Model`:
# `compile` takes the optimisers, `train_step` does one step on one batch and returns the losses,
# and Keras' `fit()` runs the loop. Here is the model without its step:

# %%
class LabCycleGanBase(keras.Model):
    """The lab's CycleGAN without its step: G (photo -> Monet), F (Monet -> photo), D_Y (Monet?), D_X (photo?)."""

    def __init__(self, monet_generator, photo_generator, monet_discriminator, photo_discriminator, config):
        super().__init__()
        self.monet_generator, self.photo_generator = monet_generator, photo_generator
        self.monet_discriminator, self.photo_discriminator = monet_discriminator, photo_discriminator
        self.lambda_cycle, self.identity_weight = config.lambda_cycle, config.identity_weight

    def compile(self, monet_generator_optimizer, photo_generator_optimizer, monet_discriminator_optimizer,
                photo_discriminator_optimizer):
        super().compile()
        self.monet_generator_optimizer, self.photo_generator_optimizer = monet_generator_optimizer, photo_generator_optimizer
        self.monet_discriminator_optimizer = monet_discriminator_optimizer
        self.photo_discriminator_optimizer = photo_discriminator_optimizer


# %% [markdown]
# **Exercise 2 (implement).** Write `LabCycleGan`, a subclass of `LabCycleGanBase` with a method
# `train_step(self, batch)`, where `batch` is `(real_monet, real_photo)`:
#
# 1. Record the ten passes on one persistent `tf.GradientTape`, each with `training=True`.
# 2. Compute the table's losses with notebook 5's `losses.cycle_loss`, `losses.generator_loss`,
#    `losses.identity_loss` and `losses.discriminator_loss`, weighted by `self.lambda_cycle` and
#    `self.identity_weight`.
# 3. Take each network's gradients of its own loss and apply them with its optimiser:
#    `optimizer.apply_gradients(zip(gradients, variables))`.
# 4. Return the four losses in a dict, keyed by their names in the table.
#
# The check takes one step with yours and one with the lab's, from the same weights on the same
# two images ($\lambda = 3$, identity weight 0.2), and compares the losses and the updated weights.

# %% tags=["exercise", "implement"]
LabCycleGan = None  # replace with your class: class LabCycleGan(LabCycleGanBase): def train_step(self, batch): ...


# %% tags=["solution"] jupyter={"source_hidden": true}
class LabCycleGan(LabCycleGanBase):
    def train_step(self, batch):
        """Solution: the ten passes on one persistent tape, five losses, four gradients, four updates."""
        real_monet, real_photo = batch
        lam, weight = self.lambda_cycle, self.identity_weight
        with tf.GradientTape(persistent=True) as tape:
            fake_monet = self.monet_generator(real_photo, training=True)  # photo -> Monet -> photo
            cycled_photo = self.photo_generator(fake_monet, training=True)
            fake_photo = self.photo_generator(real_monet, training=True)  # Monet -> photo -> Monet
            cycled_monet = self.monet_generator(fake_photo, training=True)
            same_monet = self.monet_generator(real_monet, training=True)  # identity
            same_photo = self.photo_generator(real_photo, training=True)

            disc_real_monet = self.monet_discriminator(real_monet, training=True)
            disc_fake_monet = self.monet_discriminator(fake_monet, training=True)
            disc_real_photo = self.photo_discriminator(real_photo, training=True)
            disc_fake_photo = self.photo_discriminator(fake_photo, training=True)

            total_cycle_loss = (losses.cycle_loss(real_monet, cycled_monet, lam)
                                + losses.cycle_loss(real_photo, cycled_photo, lam))
            monet_gen_loss = (losses.generator_loss(disc_fake_monet) + total_cycle_loss
                              + losses.identity_loss(real_monet, same_monet, lam, weight))
            photo_gen_loss = (losses.generator_loss(disc_fake_photo) + total_cycle_loss
                              + losses.identity_loss(real_photo, same_photo, lam, weight))
            monet_disc_loss = losses.discriminator_loss(disc_real_monet, disc_fake_monet)
            photo_disc_loss = losses.discriminator_loss(disc_real_photo, disc_fake_photo)

        for loss, network, optimizer in [(monet_gen_loss, self.monet_generator, self.monet_generator_optimizer),
                                         (photo_gen_loss, self.photo_generator, self.photo_generator_optimizer),
                                         (monet_disc_loss, self.monet_discriminator, self.monet_discriminator_optimizer),
                                         (photo_disc_loss, self.photo_discriminator, self.photo_discriminator_optimizer)]:
            gradients = tape.gradient(loss, network.trainable_variables)
            optimizer.apply_gradients(zip(gradients, network.trainable_variables))
        return {"monet_gen_loss": monet_gen_loss, "photo_gen_loss": photo_gen_loss,
                "monet_disc_loss": monet_disc_loss, "photo_disc_loss": photo_disc_loss}


# %%
check_implementation("train_step", LabCycleGan)

# %% [markdown]
# Compare yours with the original lab's step, and count its passes for exercise 1:

# %%
from cyclegan_lab.teaching.reference import lab_gradients, lab_train_step

Code(inspect.getsource(lab_gradients), language="python")

# %%
Code(inspect.getsource(lab_train_step), language="python")

# %%
class CountingNetwork:
    """A network that counts how often it is called, and otherwise is the network itself."""

    def __init__(self, network):
        self.network, self.calls = network, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.network(*args, **kwargs)

    def __getattr__(self, name):  # name, trainable_variables, ... of the network
        return getattr(self.network, name)


tiny = build_cyclegan(TrainConfig(image_size=32, generator_filters=4, precision="float32"))
counted = {name: CountingNetwork(getattr(tiny, name)) for name in NETWORKS}
watched = SimpleNamespace(**counted, lambda_cycle=config.lambda_cycle, identity_weight=config.identity_weight)
lab_gradients(watched, *tf.unstack(tf.random.stateless_uniform((2, 1, 32, 32, 3), (SEED, 3), -1, 1)))
reveal(passes_answer, "calls per network in one step:", {name: network.calls for name, network in counted.items()})
check(passes_answer, sum(network.calls for network in counted.values()),
      "Count the passes in the equations above: each generator or discriminator applied to an image.")

# %% [markdown]
# ## Build your CycleGAN
#
# `build_cyclegan` builds the four networks of notebooks 3 and 4 and compiles a model of the class
# you give it, one Adam optimiser each. Your `LabCycleGan` trains below; until you write it, the
# lab's `CycleGAN` stands in.

# %%
from cyclegan_lab.cyclegan import CycleGAN

model_class = LabCycleGan if LabCycleGan is not None else CycleGAN
print("training:", "your LabCycleGan" if model_class is LabCycleGan else "the lab's CycleGAN (exercise 2 is not written)")
cyclegan = build_cyclegan(config, model_class=model_class)
for name in NETWORKS:
    print(f"{name:20s} {getattr(cyclegan, name).count_params():>12,} parameters")

# %% [markdown]
# ## Measure before you train
#
# Training is long on a CPU, so the cell times two steps first. The first includes *tracing*:
# TensorFlow records the Python code as a graph, which then runs fast.

# %%
from cyclegan_lab.checkpoints import latest_checkpoint, restore_checkpoint

latest = latest_checkpoint(checkpoint_dir)
done = int(latest.stem.split("-")[1]) if latest else 0  # steps a resumed run has already trained
total_steps = max(0, config.epochs * steps_per_epoch(data, config) - done)
timed_step = tf.function(cyclegan.train_step)
batch = next(iter(make_dataset(data.monet, data.photo, config)))
start = time.perf_counter()
timed_step(batch)
first_seconds = time.perf_counter() - start
start = time.perf_counter()
timed_step(batch)
step_seconds = time.perf_counter() - start

weights = sum(int(np.prod(v.shape)) for name in NETWORKS for v in getattr(cyclegan, name).trainable_variables)
checkpoint_gb = 3 * 4 * weights / 1e9
print(f"Training step: {describe_mode(config)}")
print(f"one step takes {step_seconds:.1f} s on this machine (the first {first_seconds:.0f} s, tracing included)")
print(f"expected time for {total_steps} steps{f' (after the {done} already in {latest.name})' if done else ''}: about {(first_seconds + total_steps * step_seconds) / 60:.0f} min "
      f"(STEPS_PER_EPOCH = 30: about {(first_seconds + 30 * config.epochs * step_seconds) / 60:.0f} min)")
print(f"disk: {checkpoint_gb:.2f} GB per checkpoint; keeping {config.keep_checkpoints} needs "
      f"{config.keep_checkpoints * checkpoint_gb:.1f} GB, and {(config.keep_checkpoints + 1) * checkpoint_gb:.1f} GB "
      f"while the next one is written, in {checkpoint_dir.resolve()}")
del timed_step, batch, cyclegan  # free the measured model: the run below starts from fresh weights

# %% [markdown]
# ## Train
#
# `fit()` runs each epoch for `steps_per_epoch` steps; callbacks do the rest:
#
# - `LossHistory` records the losses; `DivergenceGuard` stops at the first loss that is not a
#   number.
# - `Checkpointer` saves after each epoch; the cell resumes from a checkpoint already in
#   `checkpoint_dir`.
# - Every `PREVIEW_EVERY` steps, `SamplePreview` shows the Monet generator's output on two fixed
#   photos, and `VerdictLog` records $D_Y$'s mean probability $\sigma(z)$ that four real Monets,
#   and the fakes of four photos, are real.

# %%
class VerdictLog(keras.callbacks.Callback):
    """Before training and every `every` steps: (step, D_Y's mean P(real) on real Monets, on G's fakes)."""

    def __init__(self, monets, photos, every):
        super().__init__()
        self.monets, self.photos, self.every, self.rows = normalize(monets), normalize(photos), every, []

    def record(self):
        G, D_Y = self.model.monet_generator, self.model.monet_discriminator  # noqa: N806  (the paper's names)
        real = keras.ops.sigmoid(keras.ops.cast(D_Y(self.monets, training=False), "float32"))
        fake = keras.ops.sigmoid(keras.ops.cast(D_Y(G(self.photos, training=False), training=False), "float32"))
        step = training_step(self.model)
        if not self.rows or self.rows[-1][0] != step:
            self.rows.append((step, float(keras.ops.mean(real)), float(keras.ops.mean(fake))))

    def on_train_begin(self, logs=None):
        self.record()

    def on_train_batch_end(self, batch, logs=None):
        if training_step(self.model) % self.every == 0:
            self.record()

    def on_train_end(self, logs=None):
        self.record()


preview = SamplePreview(data.photo[:2], every=preview_every)
verdicts = VerdictLog(data.monet[:4], data.photo[:4], every=preview_every)
per_epoch = steps_per_epoch(data, config)
cyclegan = build_cyclegan(config, per_epoch, model_class=model_class)
history = LossHistory()
first_epoch = -(-done // per_epoch)  # a checkpoint saved mid-epoch (by the command line) resumes at the next epoch
if latest is not None:
    state = restore_checkpoint(cyclegan, latest)
    history = LossHistory(**state["history"])
    print(f"Resuming from {latest} (step {done}).")
if first_epoch >= config.epochs:
    print(f"Training already finished: {done} of {config.epochs * per_epoch} steps done.")
saved = lambda: {"history": history.to_dict(), "config": config.to_dict()}  # what each checkpoint records
callbacks = [DivergenceGuard(checkpoint_dir), history, Checkpointer(checkpoint_dir, saved, keep=config.keep_checkpoints),
             preview, verdicts]
start = time.perf_counter()
cyclegan.fit(make_dataset(data.monet, data.photo, config, first_epoch * per_epoch), epochs=config.epochs,
             initial_epoch=first_epoch, steps_per_epoch=per_epoch, callbacks=callbacks, shuffle=False)
elapsed = time.perf_counter() - start
steps = len(history.steps["monet_gen_loss"])
print(f"{steps} steps recorded; this run took {elapsed:.0f} s in all (tracing included).")

# %% [markdown]
# ## Plot the losses
#
# Thin lines are single steps, thick lines a moving average. GAN losses don't fall steadily: the
# two sides play against each other. A discriminator that cannot tell real from fake says
# $\sigma(z) = 0.5$ to both, and its loss is $\log 2 \approx 0.69$; one that wins says near 1 to
# real Monets and near 0 to fakes, and its loss falls towards 0.

# %%
plot_losses(history, smooth=min(20, max(1, steps // 5)))
plt.show()
window = max(1, min(20, steps // 5))
for name, values in history.steps.items():
    print(f"{name:16s} mean of the first {window} steps {np.mean(values[:window]):.3f}, "
          f"of the last {window} {np.mean(values[-window:]):.3f}")
end_loss = np.mean(history.steps["monet_disc_loss"][-window:])
print(f"monet_disc_loss at the end {end_loss:.3f} against log 2 = {np.log(2):.3f}: "
      + ("near it, neither side is winning" if abs(end_loss - np.log(2)) < 0.15 else
         "well below it, the discriminator is winning" if end_loss < np.log(2) else "above it, the generator is winning"))
for step, real, fake in verdicts.rows:
    print(f"step {step:4d}: D_Y's P(real) on real Monets {real:.2f}, on fakes {fake:.2f}")
if verdicts.rows:
    _, real, fake = verdicts.rows[-1]
    print(f"at the end D_Y's P(real) on Monets minus on fakes is {real - fake:+.2f}: "
          + ("it wins easily" if real - fake > 0.8 else "it cannot tell them apart" if abs(real - fake) < 0.1
             else "it takes the fakes for real (the generator wins)" if real < fake else "it tells them apart, not surely"))
else:
    print("no step trained in this call (the run had finished): verdicts are recorded while training")

# %% [markdown]
# ## See what it learned
#
# The trained `monet_generator` on the last two photos, and three measures that flag a broken run,
# with the bars the shipped generator is held to:
#
# - **copy distance** $\operatorname{mean}|G(x) - x|$, above 0.05; below, the generator hands the
#   photo back (*copying*).
# - **composition similarity**, how well the two pictures' coarse light and dark masses correlate,
#   at least 0.9; below, the photo's layout is lost, as in noise or *mode collapse* (every photo
#   painted alike).
# - **chequerboard ratio**, at most 1.5; above, the generator adds period-2 artefacts of
#   transposed convolutions.
#
# The cell also prints the shipped generator's measures on the same photos.

# %%
last_photos = data.photo[-2:]
fakes = to_uint8(cyclegan.monet_generator(normalize(last_photos), training=False))
show_images(list(last_photos) + list(fakes), ["photo", "photo", "Monet-style", "Monet-style"], ncols=2)
plt.show()
change, grey = copy_distance(fakes, last_photos), copy_distance(np.full_like(last_photos, 128), last_photos)
layout, chequer = composition_similarity(fakes, last_photos), chequerboard_ratio(fakes, last_photos)
print(f"after {steps} steps:")
print(f"copy distance {change:.3f} (a plain grey picture: {grey:.3f}): "
      + ("below 0.05, the fakes are near-copies of the photos" if change < 0.05 else
         "as far from the photos as the grey picture" if change > 0.8 * grey else
         "the fakes change the photos, and stay closer to them than a grey picture"))
print(f"composition similarity {layout:.2f}: "
      + ("at least 0.9, the photos' layout is kept" if layout >= 0.9 else "below 0.9, the photos' layout is lost"))
print(f"chequerboard ratio {chequer:.2f}: "
      + ("above 1.5, the generator adds a chequerboard" if chequer > 1.5 else "at most 1.5, no chequerboard added"))
failed = [name for name, bad in [("copy", not 0.05 < change <= 0.8 * grey), ("composition", layout < 0.9),
                                 ("chequerboard", chequer > 1.5)] if bad]
print("passes all three bars: a working run" if not failed else f"fails the {', '.join(failed)} bar(s): not there yet")
shipped = stylize(last_photos, load_pretrained("monet"))
print(f"the shipped generator on the same photos: copy distance {copy_distance(shipped, last_photos):.3f}, "
      f"composition similarity {composition_similarity(shipped, last_photos):.2f}, "
      f"chequerboard ratio {chequerboard_ratio(shipped, last_photos):.2f}")

# %% [markdown]
# ## Compare with a reference epoch
#
# Compare your run with a recorded run of this notebook's defaults (one epoch, seed 0, no
# augmentation) on the course's data: thin lines are yours, thick ones the reference's. Where
# your run is shorter, only its steps are compared.

# %%
if RECORD_RUN is not None:
    record = dict(
        settings=dict(epochs=config.epochs, steps=steps, seed=config.seed, augment=config.augment,
                      lambda_cycle=config.lambda_cycle, step_mode=describe_mode(config)),
        data=dict(monets=len(data.monet), photos=len(data.photo),
                  measured_photos=[fingerprint(photo) for photo in last_photos]),
        losses={name: [round(float(v), 4) for v in values] for name, values in history.steps.items()},
        verdicts=[[step, round(real, 4), round(fake, 4)] for step, real, fake in verdicts.rows],
        measures=dict(copy=round(change, 4), grey_copy=round(grey, 4), composition=round(layout, 4),
                      chequerboard=round(chequer, 4), previews_apart=round(copy_distance(fakes[:1], fakes[1:]), 4),
                      photos_apart=round(copy_distance(last_photos[:1], last_photos[1:]), 4)),
        previews=preview_texts(fakes),
    )
    Path(RECORD_RUN).write_text(json.dumps(record, indent=1))
    print(f"this run recorded in {Path(RECORD_RUN).resolve()}")

reference = load_reference_epoch()
ref_steps = reference["settings"]["steps"]
common = min(steps, ref_steps)
smooth = max(1, min(20, common // 5))
fig, (ax_loss, ax_verdict) = plt.subplots(1, 2, figsize=(12, 3.6))
for name, colour in [("monet_gen_loss", "tab:blue"), ("monet_disc_loss", "tab:orange")]:
    for values, width, label in [(history.steps[name], 1, "yours"), (reference["losses"][name], 3, "reference")]:
        kept = np.asarray(values[:ref_steps], dtype=float)
        curve = np.convolve(kept, np.ones(smooth) / smooth, mode="valid")
        ax_loss.plot(np.arange(len(curve)) + smooth, curve, color=colour, lw=width, alpha=0.8, label=f"{name}, {label}")
ax_loss.set(xlabel="step", ylabel="loss", title=f"losses (moving average of {smooth} steps)")
ax_loss.legend(fontsize=8)
for rows, width, label in [(verdicts.rows, 1, "yours"), (reference["verdicts"], 3, "reference")]:
    if rows:
        at, real, fake = np.asarray(rows, dtype=float).T
        ax_verdict.plot(at, real, color="tab:green", lw=width, marker="o", label=f"P(real) on Monets, {label}")
        ax_verdict.plot(at, fake, color="tab:red", lw=width, marker="o", label=f"P(real) on fakes, {label}")
ax_verdict.set(xlabel="step", ylabel="D_Y's mean P(real)", ylim=(0, 1), title="what the Monet discriminator believes")
ax_verdict.legend(fontsize=8)
plt.show()

print(f"reference: {ref_steps} steps, {reference['settings']['step_mode']}; yours: {steps} steps")
for name in reference["losses"]:
    last = slice(max(0, common - smooth), common)
    print(f"{name:16s} steps {last.start + 1}-{common}: yours {np.mean(history.steps[name][last]):.3f}, "
          f"reference {np.mean(reference['losses'][name][last]):.3f}")
_, real, fake = reference["verdicts"][-1]
print(f"reference at step {ref_steps}: D_Y's P(real) on Monets {real:.2f}, on fakes {fake:.2f}")
ref = reference["measures"]
print(f"measures after {ref_steps} reference steps: copy distance {ref['copy']:.3f}, composition similarity "
      f"{ref['composition']:.2f}, chequerboard ratio {ref['chequerboard']:.2f}; "
      f"yours after {steps}: {change:.3f}, {layout:.2f}, {chequer:.2f}")
ref_failed = [name for name, bad in [("copy", not 0.05 < ref["copy"] <= 0.8 * ref["grey_copy"]),
                                     ("composition", ref["composition"] < 0.9), ("chequerboard", ref["chequerboard"] > 1.5)] if bad]
print("the reference epoch passes all three bars" if not ref_failed
      else f"the reference epoch fails the {', '.join(ref_failed)} bar(s): one epoch of the lab's U-Net does not pass it")
same_photos = [fingerprint(photo) for photo in last_photos] == reference["data"]["measured_photos"]
print("your measures are on the same two photos as the reference's" if same_photos else
      f"your last two photos are not the reference's (it had {reference['data']['photos']:,} photos, you "
      f"{len(data.photo):,}): compare the measures loosely")

# %% [markdown]
# ## Checkpoint and resume
#
# Each checkpoint, `step-NNNNNN.npz`, holds the four networks' and optimisers' variables,
# dropout's random state, the loss history and the configuration.

# %%
from cyclegan_lab.checkpoints import list_checkpoints

for path in list_checkpoints(checkpoint_dir):
    print(f"{path}  {path.stat().st_size / 1e6:,.0f} MB")

# %% [markdown]
# Run again with more `EPOCHS` and training continues from the newest checkpoint. A fresh model
# restored from it makes the same Monets:

# %%
restored = build_cyclegan(config, model_class=model_class)
state = restore_checkpoint(restored, list_checkpoints(checkpoint_dir)[-1])
again = to_uint8(restored.monet_generator(normalize(last_photos), training=False))
print(f"restored step {state['step']}; identical output: {np.array_equal(again, fakes)}")

# %% [markdown]
# ## On your own
#
# **Exercise 3 (diagnose).** Two recorded runs of this notebook, each the reference epoch with one
# change, the cycle weight `LAMBDA_CYCLE`: 0 in one run, 100 in the other. The cells show their
# last previews, their losses, $D_Y$'s verdicts and the measures above, beside the reference's. For
# each run: `"healthy"` (like the reference), or what went wrong: `"copying"`, `"negative"` (light
# and dark swapped), `"mode collapse"` (every photo painted alike) or `"discriminator wins"`? And
# which run had $\lambda = 0$, `"A"` or `"B"`?

# %%
recorded = {name: load_reference_epoch(RECORDS / f"lab_unet_lambda_{value}.json") for name, value in [("A", 100), ("B", 0)]}
show_images([image for record in recorded.values() for image in record["previews"]],
            [f"run {name}, preview {i + 1}" for name in recorded for i in range(2)], ncols=4, size=2.5)
plt.show()
fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
for name, record in recorded.items():
    for ax, loss in zip(axes, ["monet_gen_loss", "monet_disc_loss"]):
        values = np.convolve(record["losses"][loss], np.ones(20) / 20, mode="valid")  # 20-step moving average
        ax.plot(values, label=f"run {name}")
        ax.set_title(loss)
    steps_seen, real, fake = np.array(record["verdicts"]).T
    axes[2].plot(steps_seen, real, label=f"run {name}: real Monets")
    axes[2].plot(steps_seen, fake, "--", label=f"run {name}: fakes")
    axes[2].set_title("D_Y's mean P(real)")
for ax in axes:
    ax.set_xlabel("step")
    ax.legend()
plt.show()
for name, record in [*recorded.items(), ("reference", reference)]:
    m, (_, real, fake) = record["measures"], record["verdicts"][-1]
    m = {"previews_apart": float("nan"), "photos_apart": float("nan"), **m}  # the reference was recorded without them
    print(f"{'run ' * (name != 'reference')}{name}: copy distance {m['copy']:.3f} (grey {m['grey_copy']:.3f}), composition similarity "
          f"{m['composition']:.2f}, chequerboard ratio {m['chequerboard']:.1f}; the previews differ by "
          f"{m['previews_apart']:.3f}, their photos by {m['photos_apart']:.3f}; D_Y's P(real) at the end "
          f"{real:.2f} on Monets, {fake:.2f} on fakes")

# %% tags=["exercise", "diagnose"]
diagnosis_a = None  # "healthy", "copying", "negative", "mode collapse" or "discriminator wins"
diagnosis_b = None  # the same choices
zero_lambda_run = None  # "A" or "B"

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: run B paints the photos' negatives: composition similarity near -1 is the photo's
# layout with light and dark swapped, and D_Y takes those paintings for real about as often as
# real Monets. Only the cycle and identity losses tie a painting's light to its photo's, so B had
# LAMBDA_CYCLE 0. Run A shows none of the four failures, like the reference: after one epoch, a
# cycle loss ten times heavier still lets the generator change the photos about as much.
diagnosis_a, diagnosis_b, zero_lambda_run = "healthy", "negative", "B"

# %%
def symptom(record):
    """The first failure whose signature shows in a record's measures and last verdicts."""
    m, (_, real, fake) = record["measures"], record["verdicts"][-1]
    signs = {
        "copying": m["copy"] < 0.05,
        "negative": m["composition"] < -0.5,  # the photo's layout, light and dark swapped
        "mode collapse": m["previews_apart"] < 0.2 * m["photos_apart"],
        "discriminator wins": real - fake > 0.8,
    }
    return next((name for name, seen in signs.items() if seen), "healthy")


reveal(zero_lambda_run, ", ".join(f"run {name} had LAMBDA_CYCLE {r['settings']['lambda_cycle']:g}"
                                  for name, r in recorded.items()))
check(diagnosis_a, symptom(recorded["A"]), "Compare run A's numbers with the reference's, and with the bars above.")
check(diagnosis_b, symptom(recorded["B"]), "What sign has run B's composition similarity?")
check(zero_lambda_run, next(name for name, r in recorded.items() if r["settings"]["lambda_cycle"] == 0),
      "Without the cycle loss, what ties a painting to its photo?")

# %% [markdown]
# **Exercise 4.** Train a second epoch. What do you change, and what does the notebook print at
# the start of training?
#
# <details><summary>Solution</summary>
#
# Set `EPOCHS = 2`, keep `CHECKPOINT_DIR`, and run all cells. The training cell prints
# `Resuming from ... (step 300)` (with the lab's data) and trains steps 301 to 600 only. Compare
# the previews, verdicts and measures with the first epoch's.
#
# </details>
#
# **Exercise 5.** Train with the CycleGAN paper's random jitter and compare the loss curves of the
# first epoch with and without it.
#
# <details><summary>Solution</summary>
#
# Set `AUGMENT = True` *and* a new `CHECKPOINT_DIR`, e.g. `"../checkpoints/augment"`: from the old
# folder, training would resume the run made without jitter. Keep your first run's
# `STEPS_PER_EPOCH` (30 is enough), and compare the printed first/last means, not single steps.
#
# </details>

# %% [markdown]
# ## The same numbers, faster
#
# *An aside: nothing above depends on it.* The library's `CycleGAN.compute_gradients` computes
# the same losses and gradients with less overhead. Timed on the same batch:

# %%
def seconds_per_step(model, batch, steps=3):
    """Seconds one compiled train_step of `model` takes: the fastest of `steps`, after a call that traces it."""
    step = tf.function(model.train_step)
    step(batch)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step(batch)
        times.append(time.perf_counter() - start)
    return min(times)


batch = next(iter(make_dataset(data.monet, data.photo, config)))
yours_seconds = seconds_per_step(build_cyclegan(config, model_class=model_class), batch)
fast_seconds = seconds_per_step(build_cyclegan(config), batch)
speedup = yours_seconds / fast_seconds
print(f"one step: {'yours' if model_class is LabCycleGan else 'the stand-in'} {yours_seconds:.2f} s, "
      f"the library's {fast_seconds:.2f} s: {'faster' if speedup > 1 else 'not faster'} here, {speedup:.2f} times the speed")

# %%
Code(inspect.getsource(CycleGAN.compute_gradients), language="python")

# %% [markdown]
# Two changes, and why the numbers stay the same. One backward pass serves both generators, on
# the sum of their losses with the cycle term counted once: each generator's weights reach only
# its own terms, so its gradient is unchanged (likewise for the discriminators). And independent
# passes run as one batch; instance norm treats each image alone, so only the dropout masks
# differ. The check runs both on a small CycleGAN with dropout off; float32 rounding leaves tiny
# differences:

# %%
def small_cyclegan(**settings):
    """A CycleGAN small enough to check a step in seconds, with dropout off so two runs agree exactly."""
    model = build_cyclegan(TrainConfig(image_size=32, generator_filters=8, precision="float32", **settings))
    for name in ["monet_generator", "photo_generator"]:
        for layer in getattr(model, name)._flatten_layers():
            if isinstance(layer, keras.layers.Dropout):
                layer.rate = 0.0
    return model


def largest_difference(mine, reference):
    """The largest gap between two sets of gradients, relative to each tensor's largest value."""
    gaps = [float(np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(np.asarray(b)).max(), 1e-12))
            for name in reference for a, b in zip(mine[name], reference[name])]
    return max(gaps)


checked = small_cyclegan(lambda_cycle=3.0, identity_weight=0.2)  # not the lab's 10 and 0.5
small_monet, small_photo = tf.unstack(tf.random.stateless_uniform((2, 1, 32, 32, 3), (SEED, 1), -1, 1))
_, reference_gradients = checked.compute_gradients(small_monet, small_photo)  # the library's own step
_, lab_reference = lab_gradients(checked, small_monet, small_photo)
gap = largest_difference(reference_gradients, lab_reference)
print(f"compute_gradients vs lab_gradients, largest relative difference: {gap:.1e}; "
      f"the same up to float32 rounding: {gap < 2e-3}")
print("This run's training step:", describe_mode(config))

# %% [markdown]
# ## Further reading
#
# - J.-Y. Zhu, T. Park, P. Isola, A. A. Efros, *Unpaired Image-to-Image Translation using
#   Cycle-Consistent Adversarial Networks*, ICCV 2017, [arXiv:1703.10593](https://arxiv.org/abs/1703.10593),
#   section 4 for the training details.
# - Keras, [Customizing what happens in `fit()` with TensorFlow](https://keras.io/guides/custom_train_step_in_tensorflow/).
