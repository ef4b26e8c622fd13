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
# # 9. Beyond the lab: the shipped generator's training recipe
#
# This notebook takes apart, one small experiment at a time, the training choices that separate
# the lab's CycleGAN from the recipe that trained the generator this library ships, then measures
# that generator on photos it never saw.
#
# ## What you'll learn
#
# - How differentiable augmentation and real photos as extra negatives help a discriminator that
#   has only 300 paintings to learn from.
# - The paper's three stabilisers (an image pool, least squares, learning-rate decay) and one it
#   does not use, a moving average of the weights.
# - Why the cycle test can be cheated with invisible patterns, and how a blur on the way back stops it.
# - How a projected discriminator borrows an ImageNet classifier's eyes, and why its generator needs a
#   second opinion.
# - How the shipped generator is trained and judged on photos it never saw.
#
# ## What you'll need
#
# - Notebooks 4 to 6 (the discriminator, the losses, training) and notebook 8 (the generators and
#   their chequerboards).
# - About three minutes on a CPU: two discriminators take a one-minute lesson; the shipped generator paints a
#   few photos.
# - The lab's data (300 Monet paintings and 300 photos, about 9 MB): it is downloaded for you the
#   first time if you don't already have it.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook

# %% [markdown]
# The quick setting measures the shipped generator on 2 unseen photos against 4 paintings; the
# full setting on 16 photos against 300.

# %%
import ast
import inspect
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Code, Markdown, display
from PIL import Image

import cyclegan_lab
from cyclegan_lab import (
    discriminator_loss,
    find_data,
    load_folder,
    load_generator,
    load_image,
    losses,
    normalize,
    show_images,
    stylize,
)
from cyclegan_lab.images import fingerprint, image_files, to_uint8
from cyclegan_lab.judging import measures, scores
from cyclegan_lab.recipe import tricks
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.recipe.pretrained import PACKAGE_FOLDER, load_pretrained
from cyclegan_lab.teaching.exercises import check, reveal
from cyclegan_lab.teaching.parameters import check_parameter
from cyclegan_lab.training import describe_mode

DATA_DIR = check_parameter("DATA_DIR", DATA_DIR, path=True, optional=True)
SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
SEED = check_parameter("SEED", SEED, whole=(0, 2**32 - 1))
SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"
keras.mixed_precision.set_global_policy("float32")  # the same numbers on every machine

n_held_out = 2 if SMOKE else 16  # unseen photos the shipped generator is measured on
n_paintings = 4 if SMOKE else 300  # paintings the held-out measures compare with
folders = find_data(DATA_DIR)


def table(header, rows):
    """A small Markdown table, shown in the notebook."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    display(Markdown("\n".join(lines)))


# %% [markdown]
# ## Augment what the discriminator sees
#
# A discriminator with millions of weights can learn 300 paintings by heart; then it rejects
# everything else and its verdicts stop teaching the generator. Zhao et al. (2020) change *every*
# image the discriminator sees, real or fake, at random and differentiably, and judge the
# generator's fakes through the same changes; they trained GANs on as few as 100 images.
# Changing only the real images would teach the discriminator that shifted, cut-out images are
# real, and the generator to make them. `tricks.DiffAugment` offers three changes; each is a few
# lines of TensorFlow on the whole batch, differentiable, so the generator's gradient passes
# through it:

# %%
Code(inspect.getsource(tricks.DiffAugment), language="python")

# %%
paintings = normalize(load_folder(folders.monet, size=128, limit=4))
print(f"{len(image_files(folders.monet))} paintings in {folders.monet.name}/")
rows = [paintings]
policies = ["translation", "cutout", "color"]
for policy in policies:
    rows.append(tricks.DiffAugment([policy], seed=SEED)(paintings))
show_images([image for row in rows for image in row],
            titles=[f"{label}" for label in ["original"] + policies for _ in range(len(paintings))], ncols=4)
plt.show()

# %% [markdown]
# Every change is built from differentiable operations (gathers, masks, sums), so the generator's
# gradient flows back through them. Check with a `GradientTape`:

# %%
images = tf.Variable(paintings)
for policy in policies:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tricks.DiffAugment([policy], seed=SEED)(images))
    gradient = tape.gradient(loss, images)
    share = float(tf.reduce_mean(tf.cast(tf.abs(gradient) > 0, tf.float32)))
    print(f"{policy:>11}: gradient norm {float(tf.norm(gradient)):.2e}, non-zero for {share:.0%} of the values")
    assert float(tf.norm(gradient)) > 0

# %% [markdown]
# Where the gradient is zero, a pixel was shifted out of the frame or cut out: it never reached
# the discriminator, so it gets no blame.
# `RecipeConfig(diffaugment="translation,cutout")` turns it on in training.

# %% [markdown]
# ## Show the discriminator real photos as negatives
#
# The Monet discriminator learns "not a Monet" only from the generator's fakes. Sanakoyeu et al.
# (2018) also show it real photos as negatives: a photo is not a Monet either. The discriminator
# then learns what separates photos from paintings from every batch, not only from whatever the
# generator happens to make, and a fake that keeps the photo's look is judged by it.
# `discriminator_loss` takes the verdicts on real photos as `negative_logits`:

# %%
Code(inspect.getsource(discriminator_loss), language="python")

# %% [markdown]
# A discriminator that is right about real Monets and about the fakes, but mistakes real photos
# for Monets: with BCE, logits +2, −2 and +1; with least squares (`kind="lsgan"`, targets 1 and
# 0, section below), +1, 0 and +1. What does it learn from the photos?

# %%
VERDICTS = {"bce": (2.0, -2.0, 1.0), "lsgan": (1.0, 0.0, 1.0)}  # logits on real Monets, fakes, real photos
for kind, (on_real, on_fake, on_photo) in VERDICTS.items():
    real_logits, fake_logits = tf.fill((1, 30, 30, 1), on_real), tf.fill((1, 30, 30, 1), on_fake)
    photo_logits = tf.Variable(tf.fill((1, 30, 30, 1), on_photo))
    with tf.GradientTape(persistent=True) as tape:
        without = discriminator_loss(real_logits, fake_logits, kind)
        with_negatives = discriminator_loss(real_logits, fake_logits, kind, negative_logits=photo_logits)
    pull_without, pull_with = (tape.gradient(loss, photo_logits) for loss in (without, with_negatives))
    print(f"{kind:>5}: loss without negatives {float(without):.4f}, with {float(with_negatives):.4f}; "
          f"gradient on the photos' logits: {'none' if pull_without is None else 'some'} without, "
          f"{float(tf.reduce_sum(pull_with)):+.4f} (summed) with")

# %% [markdown]
# Without negatives the photos are not in the loss at all: no gradient, under either loss. With
# them, the loss rises and its gradient on the photos' logits is positive, so a training step
# pushes them down, towards "not a Monet". `RecipeConfig(photo_negatives=True)` turns it on.

# %% [markdown]
# ## Stabilise training
#
# ### Keep a pool of old fakes
#
# GAN training can circle: the discriminator chases the generator's newest trick and forgets the
# previous one, to which the generator returns. The paper's `ImagePool` keeps 50 past fakes;
# once full, it shows the discriminator an old fake instead of the new one half the time. Feed
# a pool of 3 the "fakes" 0 to 11. The pool is a Keras layer whose stored fakes and random
# numbers are variables, so the training step runs it inside its graph and checkpoints keep it:

# %%
Code(inspect.getsource(tricks.ImagePool.call), language="python")

# %%
pool = tricks.ImagePool(3, (1, 1, 1), seed=SEED)
passed = [int(pool(np.full((1, 1, 1, 1), i, np.float32))[0, 0, 0, 0]) for i in range(12)]
print("fakes in:  ", list(range(12)))
print("passed on: ", passed)
print(f"{sum(p != i for i, p in enumerate(passed))} of the {len(passed) - pool.size} fakes after the pool was "
      "full were swapped for an older one")

# %% [markdown]
# ### Replace cross-entropy with least squares
#
# The paper uses least squares (LSGAN, Mao et al. 2017): target 1 scores $(z - 1)^2$ and target
# 0 scores $z^2$, instead of binary cross-entropy:

# %%
z = np.linspace(-4, 4, 161, dtype=np.float32)
curves_by_loss = {f"{name}, target {target}": np.array([float(fn(target, tf.constant([v]))) for v in z])
                  for name, fn in [("BCE", losses.bce_from_logits), ("least squares", losses.least_squares)]
                  for target in (1.0, 0.0)}
fig, ax = plt.subplots(figsize=(7, 3.8))
for label, values in curves_by_loss.items():
    ax.plot(z, values, linestyle="-" if "BCE" in label else "--", label=label)
ax.set_ylim(0, 8)
ax.set_xlabel("logit z")
ax.set_ylabel("loss")
ax.set_title("Binary cross-entropy and least squares")
ax.legend()
plt.show()
print(f"at z = 3, target 1 (a confident, right verdict): BCE {curves_by_loss['BCE, target 1.0'][140]:.3f}, "
      f"least squares {curves_by_loss['least squares, target 1.0'][140]:.3f}")

# %% [markdown]
# Least squares penalises a confident mistake quadratically rather than linearly, and even a
# *right* verdict that overshoots its target (the printed line); Mao et al. found this keeps
# gradients alive and training steadier.
#
# ### Decay the learning rate
#
# The paper trains 100 epochs at $2 \cdot 10^{-4}$, then 100 more with the rate falling in a
# straight line to 0. `LinearDecay` is that schedule; here by epoch:

# %%
schedule = tricks.LinearDecay(2e-4, total_steps=200, decay_steps=100)
epochs = np.arange(201)
rates = np.array([float(schedule(e)) for e in epochs])
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(epochs, rates)
ax.set_xlabel("epoch")
ax.set_ylabel("learning rate")
ax.set_title("LinearDecay(2e-4, total_steps=200, decay_steps=100)")
plt.show()
print(f"epoch 0: {rates[0]:.1e}, epoch 100: {rates[100]:.1e}, epoch 200: {rates[200]:.1e}")

# %% [markdown]
# ### Halve the discriminator's loss
#
# The paper: "we divide the objective by 2 while optimizing D, which slows down the rate at which
# D learns, relative to the rate of G"; notebook 5's `discriminator_loss` keeps the
# $\tfrac12$. Whether it slows anything down depends on the optimiser. With plain gradient descent
# half the loss means half the step; Adam divides each gradient by a running estimate of its own
# size, so a constant factor should cancel out. Try both on $c\,(w - 3)^2$ with $c = 1$ and $c = \tfrac12$:

# %%
def descend(optimizer, scale, steps=40):
    """Minimise scale * (w - 3)^2 from w = 0; return w after each step."""
    w = keras.Variable(0.0)
    trail = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = scale * (w - 3.0) ** 2
        optimizer.apply_gradients([(tape.gradient(loss, w), w)])
        trail.append(float(w.numpy()))
    return np.array(trail)


fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
for ax, (name, make) in zip(axes, [("plain gradient descent (SGD, lr 0.05)", lambda: keras.optimizers.SGD(0.05)),
                                   ("Adam (lr 0.1, beta_1 0.5, as in the lab)",
                                    lambda: keras.optimizers.Adam(0.1, beta_1=0.5))]):
    full, half = descend(make(), 1.0), descend(make(), 0.5)
    ax.plot(full, label="loss x 1", linewidth=3, alpha=0.6)
    ax.plot(half, "--", label="loss x 0.5", linewidth=2)
    ax.set_title(name)
    ax.set_xlabel("step")
    ax.legend()
    print(f"{name}: largest difference in w between the two runs {np.abs(full - half).max():.2e}")
    print(f"  after the first step w = {full[0]:.4f} (loss x 1) and {half[0]:.4f} (loss x 0.5): "
          f"ratio {half[0] / full[0]:.3f}")
axes[0].set_ylabel("w (target 3)")
plt.show()

# %% [markdown]
# The printed ratios compare the first steps: about 0.5 under SGD, about 1 under Adam (whose tiny
# $\epsilon$ is all that notices the factor). So with Adam the halving mostly changes the numbers
# you read, not the training.
#
# The same holds for how the losses reduce over the discriminator's 30x30 patches: the lab takes
# the *mean*, and a sum would multiply the adversarial term by 900. The `losses` module's own
# description says where that matters:

# %%
print(losses.__doc__)

# %% [markdown]
# ### Average the weights
#
# The last step's weights are one point of a noisy walk. `MovingAverage` keeps
# $\bar w \leftarrow d\,\bar w + (1 - d)\,w$ after each step; the averaged generator is exported.
# After each training step the average takes one small step towards the network's weights:

# %%
Code(inspect.getsource(tricks.MovingAverage.update), language="python")

# %% [markdown]
# A one-weight network whose weight jumps around 1 at every step:

# %%
network = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
average = tricks.MovingAverage(network, decay=0.9)
rng = np.random.default_rng(SEED)
weights, averages = [], []
for _ in range(80):
    network.trainable_weights[0].assign([[1 + 0.5 * rng.normal()]])  # a "training step"
    average.update()
    weights.append(float(network.trainable_weights[0][0, 0]))
    averages.append(float(average.averages[0][0, 0]))
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(weights, label="weight after each step", alpha=0.6)
ax.plot(averages, label="moving average, d = 0.9", linewidth=2)
ax.set_xlabel("step")
ax.legend()
plt.show()
print(f"spread over the last 60 steps: weight {np.std(weights[20:]):.3f}, average {np.std(averages[20:]):.3f}")

# %% [markdown]
# The recipe uses $d = 0.999$, about the last thousand steps.

# %% [markdown]
# ## Blur the way back, not the painting
#
# A CycleGAN can pass its cycle test by cheating: the Monet generator hides the photo in a faint
# period-2 pattern of its painting, too fine to see, and the photo generator learns to read it back
# (Chu et al. 2017). A fixed [1, 2, 1] blur answers that pattern with exactly zero. Put at the end
# of the generator, it would also soften every painting it ships; `RecipeConfig(cycle_blur=True)`
# puts it only on the way back, in what the other generator gets of a fake (`CycleGAN.cycle_view`):

# %%
from cyclegan_lab.recipe.cyclegan import RecipeCycleGAN
from cyclegan_lab.recipe.layers import BinomialBlur, NyquistNotch
from cyclegan_lab.training import build_cyclegan

display(Code(inspect.getsource(RecipeCycleGAN.cycle_view), language="python"))
tiny = RecipeConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, precision="float32")
photo32 = normalize(load_folder(folders.photo, size=32, limit=1))
rows, columns = np.indices((32, 32))
chequer = np.where((rows + columns) % 2, 0.1, -0.1)[None, :, :, None].astype("float32")  # +-0.1, invisible
for cycle_blur in [False, True]:
    small = build_cyclegan(tiny.replace(cycle_blur=cycle_blur))
    fake = small.monet_generator(photo32)
    seen = float(tf.reduce_max(tf.abs(small.cycle_view(fake + chequer) - small.cycle_view(fake))))
    print(f"cycle_blur={cycle_blur}: a +-0.1 chequerboard on the fake changes what the photo generator gets "
          f"by up to {seen:.4f}")

# %% [markdown]
# So with the cycle blur a hidden pattern buys nothing, while the discriminator still judges the
# sharp painting. Why not blur the painting itself? The measure of notebook 10 says what it costs:
# the gap closed by *real* Monet paintings, unblurred and blurred.

# %%
gap_photos = load_folder(folders.photo, limit=2 * n_held_out)
gap_paintings = load_folder(folders.monet, limit=n_paintings)
even_half = scores.split_paintings(gap_paintings)[0]
blurred_half = to_uint8(BinomialBlur()(normalize(even_half)))
notched_half = to_uint8(NyquistNotch()(normalize(even_half)))
sharp_gap = scores.painting_gap(even_half, gap_photos, gap_paintings)["gap_closed"]
blurred_gap = scores.painting_gap(blurred_half, gap_photos, gap_paintings)["gap_closed"]
notched_gap = scores.painting_gap(notched_half, gap_photos, gap_paintings)["gap_closed"]
print(f"{len(even_half)} real Monets close {sharp_gap:.0%} of the gap from {len(gap_photos)} photos; "
      f"the same Monets through the [1, 2, 1] blur close {blurred_gap:.0%}, through the notch {notched_gap:.0%}")
print(f"a generator ending in that blur could not close more than about {blurred_gap:.0%}: "
      f"{blurred_gap < 0.5 <= sharp_gap}")
print(f"the notch leaves {measures.chequerboard_ratio(notched_half, even_half):.3f} of the paintings' period-2 energy "
      "(rounding to whole grey levels brings back what was fainter than half a level) "
      f"and moves their pixels by {np.abs(notched_half.astype(int) - even_half).mean():.2f} of 255 on average")

# %% [markdown]
# A blur is a blunt tool for a sharp problem: it halves every detail two to four pixels wide to
# silence the one pattern that repeats every two. `recipe.layers.NyquistNotch` removes only that pattern:
# it takes each channel's Fourier transform, zeroes the frequencies within two steps of the three
# period-2 ones (75 of each channel's 65,536 at 256x256) and transforms back. The cell
# above measured what each does to real Monets. A generator can end in it
# (`RecipeConfig(output_notch=True)`; it has no weights, so it can also be added to a trained
# generator when it is exported): its paintings then hold no chequerboard.

# %%
display(Code(inspect.getsource(NyquistNotch.call), language="python"))

# %% [markdown]
# ## Give the discriminator eyes that already see
#
# Everything above helps a discriminator that learns to see from nothing, on 300 paintings. A
# projected discriminator (Sauer et al. 2021) starts with eyes: EfficientNet-Lite0, the ImageNet
# classifier of notebook 10, frozen, whose features after four of its blocks (from strokes and
# edges at a quarter of the image size to whole scenes at 1/32) go to four small heads, the only
# weights that train. `RecipeConfig(discriminator="projected")` builds it:

# %%
from cyclegan_lab.models import build_discriminator
from cyclegan_lab.recipe.projected import build_projected_discriminator

display(Code(inspect.getsource(build_projected_discriminator), language="python"))
eyes = {
    "PatchGAN (the lab's)": build_discriminator("patchgan", 128, scales_at_one=True),
    "projected": build_projected_discriminator("projected", 128),
}
count = lambda weights: sum(int(np.prod(w.shape)) for w in weights)
table(
    ["discriminator", "weights that train", "frozen weights", "verdicts of a 128x128 image"],
    [[name, f"{count(d.trainable_weights):,}", f"{count(d.non_trainable_weights):,}", d.output_shape[1:]]
     for name, d in eyes.items()],
)

# %% [markdown]
# How quickly does each learn what a painting is? Both take the same short lesson, one painting
# and one photo a step (least squares, Adam as in training), then judge paintings and photos they
# never saw. The score is the share of (unseen painting, unseen photo) pairs in which the painting
# gets the higher verdict: 0.5 is guessing, 1 is never wrong. The histograms show the verdicts
# themselves: the further apart the two colours, the better the discriminator tells them apart.

# %%
lesson_steps = 4 if SMOKE else 60
lesson = 4 if SMOKE else 20  # paintings and photos to learn from; as many others are judged
eye_paintings = normalize(load_folder(folders.monet, size=128, limit=2 * lesson))
eye_photos = normalize(load_folder(folders.photo, size=128, limit=2 * lesson))


def teach_and_judge(discriminator):
    """Train `discriminator` for lesson_steps steps, then: how often an unseen painting beats an unseen photo."""
    optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
    for step in range(lesson_steps):
        i = step % lesson
        with tf.GradientTape() as tape:
            real = discriminator(eye_paintings[i : i + 1], training=True)
            fake = discriminator(eye_photos[i : i + 1], training=True)
            loss = tf.reduce_mean((real - 1) ** 2) + tf.reduce_mean(fake**2)
        variables = discriminator.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    verdict = lambda images: np.asarray(discriminator(images)).mean(axis=(1, 2, 3))
    return verdict(eye_paintings[lesson:]), verdict(eye_photos[lesson:])


keras.utils.set_random_seed(SEED)
verdicts = {name: teach_and_judge(d) for name, d in eyes.items()}
figure, axes = plt.subplots(1, len(verdicts), figsize=(10, 2.8))
for axis, (name, (on_paintings, on_photos)) in zip(axes, verdicts.items()):
    share = float((on_paintings[:, None] > on_photos[None, :]).mean())
    print(f"{name}: after {lesson_steps} steps, an unseen painting beats an unseen photo in {share:.0%} of pairs")
    axis.hist([on_paintings, on_photos], bins=12, label=["unseen paintings", "unseen photos"])
    axis.set(title=f"{name}: {share:.0%} of pairs right", xlabel="mean verdict (logit)")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# The projected discriminator has eyes from its first step, so the generator hears from its first
# step what a trained eye sees in a painting. There is a catch for judging: the measure of notebook
# 10 compares features of the same Lite0, and a generator trained against Lite0's eyes could learn
# to please them without looking more like Monet. So a generator trained this way is also judged
# on a second network's features, EfficientNet-Lite2 (`scores.painting_gap(..., network="lite2")`),
# trained separately on ImageNet, and by eye. Or the other way round: `discriminator="projected_lite2"`
# looks through Lite2 and leaves Lite0, the deciding measure's network, unseen by training (the
# shipped generator's settings, printed below, say which its run used).
#
# **Check.** How many of the projected discriminator's weights does training change?

# %%
projected_answer = None  # a whole number

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: only the four heads train (the table's "weights that train"); Lite0 is frozen.
projected_answer = 1_888_836

# %%
check(projected_answer, count(eyes["projected"].trainable_weights), "The heads' weights: Lite0 stays as ImageNet left it.")

# %% [markdown]
# ## Train the shipped generator
#
# `scripts/train_monet.py` puts these pieces together. Its recipe, `cyclegan_lab.recipe.config.RECIPE`, as the file writes it:

# %%
source = inspect.getsource(cyclegan_lab.recipe.config)
tree = ast.parse(source)
node = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "RECIPE")
RECIPE = {keyword.arg: ast.literal_eval(keyword.value) for keyword in node.value.keywords}
display(Code(ast.get_source_segment(source, node), language="python"))

config = RecipeConfig(**RECIPE)
print(f"generator={config.generator!r}: {config.filters} filters, {config.residual_blocks} residual blocks, "
      f"upsampling {config.upsampling_mode!r}")
print(f"diffaugment {config.diffaugment_policies}, photo_negatives={config.photo_negatives}, "
      f"ema_decay={config.ema_decay}")
print(f"adversarial_loss={config.adversarial_loss!r}, pool_size={config.pool_size}, "
      f"{config.epochs} epochs of {config.steps_per_epoch} steps, the last {config.decay_epochs} decaying")
shipped_settings = json.loads((PACKAGE_FOLDER / "monet.json").read_text())["config"]
differences = [f"{name} {shipped_settings.get(name)!r} (recipe: {value!r})"
               for name, value in config.to_dict().items() if shipped_settings.get(name) != value]
print("the shipped generator's own settings differ from this recipe in: " + (", ".join(differences) or "nothing"))

# %% [markdown]
# Run it, and after it export the generator:
#
# ```bash
# python scripts/train_monet.py --data PATH/monet2photo     # resumes if stopped; --set FIELD=VALUE changes the recipe
# python scripts/ship_pretrained.py CHECKPOINT_DIR --data PATH/monet2photo
# ```
#
# On a GPU machine with JAX and no TensorFlow, `KERAS_BACKEND=jax python scripts/train_monet_jax.py
# --data PATH/monet2photo --checkpoint-dir RUN --minutes 8` trains the same recipe (the same
# networks and losses; its tests compare its gradients with this step's) and saves what
# `ship_pretrained.py` takes.
#
# The run trains on the first `max_images` photos (1,200 in its recipe) and keeps the rest unseen; every 250 steps it paints
# unseen photos and records eight measures from `cyclegan_lab.judging.scores.held_out_measures`,
# and the judge's verdict:
#
# - **chequerboard**: `chequerboard_ratio` (notebook 8), the period-2 energy of $G(x)$ over that of $x$; about 1 is clean.
# - **copy**: mean $|G(x) - x|$ on the $[-1, 1]$ scale; near 0 means the photo came back unchanged.
# - **composition**: `composition_similarity`, the correlation of the light and dark layout of $G(x)$
#   (luminance averaged over 32x32 blocks) with the photo's; 1 means the layout is kept. A
#   caricature is far from the photo too, so *copy* counts only where *composition* stays high.
# - **palette**: how far the colours are from the paintings' (earth mover's distance per channel, 0-255 scale).
# - **fine_detail**: `fine_detail`, the power of $G(x)$'s finest octave (periods under 2.5 pixels:
#   grain, crisp edges, the edges of strokes) over the photo's: 1 keeps it all, 0 is a blur. Monet's
#   paintings keep part of it (the cell below prints how much); notebook 10 shows how much the
#   ImageNet features care.
# - **kid**: the kernel distance (KID x 1000) between the painted photos and half of the paintings,
#   on the features of an ImageNet classifier (`scores.imagenet_kid`; notebook 10 builds and tests it).
# - **gap_closed**: the share of the photos-to-paintings KID the generator closes: 0 no closer than
#   the photos, 1 as close as other paintings are (`scores.painting_gap`).
# - **gap_closed_lite2**: the same on EfficientNet-Lite2's features, the second opinion of the section
#   above.
# - **judge**: the same share on VGG19's features against 60 paintings no run trains on
#   (`judging.judge`, notebook 10). The projected discriminators look through the EfficientNet
#   family, so its two gaps can be bent by training; this one decides.
#
# `ship_pretrained.py` ships a new generator only if the judge puts it above the shipped one by more
# than twice its noise, and at least half-way. Measure, on photos
# the shipped model never saw, a generator that hands the photo back, and the shipped one:

# %%
files = image_files(folders.photo)
trained_on = set(json.loads((PACKAGE_FOLDER / "monet.json").read_text())["trained_on_photos"])
never_seen = [f for f in files if fingerprint(load_image(f)) not in trained_on]  # by content, as in notebook 7
unseen_files = never_seen[:n_held_out] or files[-n_held_out:]
held_out = np.stack([load_image(f) for f in unseen_files])
reference_paintings = load_folder(folders.monet, limit=n_paintings)
candidates = {"hands the photo back": held_out, "shipped generator": stylize(held_out, load_generator("monet"))}
measured = {name: scores.held_out_measures(images, held_out, reference_paintings) for name, images in candidates.items()}
print(f"{len(held_out)} photos from {unseen_files[0].name}"
      f"{'' if never_seen else ' (none of this folder is unseen: these were seen in training)'}; "
      f"{len(reference_paintings)} paintings")
columns = ["chequerboard", "copy", "composition", "palette", "fine_detail", "kid", "gap_closed", "gap_closed_lite2"]
table(["generator", *columns], [[name, *(f"{m[k]:.3f}" for k in columns)] for name, m in measured.items()])
copying, shipped = measured["hands the photo back"], measured["shipped generator"]
print(f"handing the photo back: copy {copying['copy']:.3f}, chequerboard {copying['chequerboard']:.2f}")
print(f"the shipped generator's palette is closer to the paintings' than the photos' own: "
      f"{shipped['palette'] < copying['palette']}")
print(f"finest octave, as a share of the photos': paintings {scores.fine_detail(reference_paintings, held_out):.2f}, "
      f"shipped generator {shipped['fine_detail']:.2f}")

# %% [markdown]
# The copier scores 0 on *copy* and 1 on *chequerboard* and *composition* by construction, yet it
# is no painter: only the measures together, and your eyes, judge a generator. The shipped model's
# description may record its own:

# %%
info = json.loads((PACKAGE_FOLDER / "monet.json").read_text())
if "held_out" in info:
    held = info["held_out"]
    rows = held.items() if isinstance(held, dict) else enumerate(held)
    for name, values in rows:
        print(name, values)
else:
    print("monet.json holds no held-out measures; the shipped model's card "
          f"({(PACKAGE_FOLDER / 'MODEL_CARD.md').name}) lists how it was judged.")
print(f"shipped generator: {info['config']['generator']}, its last run {info['step']:,} steps from a warm start "
      f"(the history before it: {(PACKAGE_FOLDER / 'MODEL_CARD.md').name})")

# %% [markdown]
# ## Under the hood: number formats and odd files
#
# `load_generator` builds a network in the precision its run trained in. The shipped run's is
# `"auto"`: **bfloat16** mixed precision where the processor computes bfloat16 natively (flags
# AVX512_BF16 or AMX), float32 elsewhere, where bfloat16 would only be emulated, several times
# slower. bfloat16 keeps float32's range but stores only 7 bits of mantissa (8 with the implicit
# leading one), between 2 and 3 significant digits; the weights, the optimiser, the last layer of
# every network and the losses stay float32, so only the convolutions' arithmetic is coarser.
# `CYCLEGAN_LAB_PRECISION` (`float32` or `bfloat16`) overrides the choice. Is the difference
# visible in a painting? The cell loads the shipped generator in both formats (`precision=`),
# times one photo at a time, measures how far apart the two paintings are, in levels of 255, and
# shows the first painting in each format beside their difference, magnified 16 times.

# %%
photos = gap_photos[:2]  # two photos loaded above
print(f"'auto' means {describe_mode(RecipeConfig(precision='auto'))} on this machine.")
timed, painted = {}, {}
for precision in ("float32", "bfloat16"):
    model = load_pretrained("monet", precision=precision)
    stylize(photos[:1], model, batch_size=1)  # the first call traces the network for this shape
    start = time.perf_counter()
    painted[precision] = stylize(photos, model, batch_size=1)
    timed[precision] = (time.perf_counter() - start) / len(photos) * 1000
    print(f"{precision:>8}: {timed[precision]:6.0f} ms a photo")
apart = np.abs(painted["float32"].astype(int) - painted["bfloat16"].astype(int))
print(f"The two paintings differ by {apart.mean():.2f} levels of 255 on average; {(apart > 8).mean():.2%} of "
      f"values by more than 8. bfloat16 took {timed['bfloat16'] / timed['float32']:.2f}x float32's time here.")
magnified = np.clip(apart[0] * 16, 0, 255).astype(np.uint8)  # 16x, so that a difference of 16 levels is white
show_images([painted["float32"][0], painted["bfloat16"][0], magnified],
            ["float32", "bfloat16", "their difference, x16"], ncols=3)
plt.show()

# %% [markdown]
# Training traces its step once per `fit()` call, so expect the first step to take much longer
# than the rest. `python benchmarks/train_step.py` times the lab's step against the library's
# modes on your machine; `cyclegan-lab train --checkpoint-dir ... --epochs ...` runs notebook 6's
# training from the command line, e.g. in the background for a long run.
#
# Your own photos won't all be 256x256 RGB JPEGs. `load_image` reads any file Pillow can open,
# turns it upright by its EXIF tag, converts it to RGB (grey becomes three equal channels,
# transparent parts are laid over white), scales its shorter side to 256 and crops the centre.
# `load_folder` skips a file that is not a readable image, with a `BadImageWarning` that names
# it. Four awkward files made from the photos: grey, fading transparency, a panorama, and a JPEG
# cut off after 2,000 bytes.

# %%
first, second = photos[0], photos[1]
fade = np.linspace(255, 0, first.shape[1]).astype(np.uint8)  # opaque on the left, clear on the right
odd_images = {
    "1_gray.png": Image.fromarray(first).convert("L"),
    "2_transparent.png": Image.fromarray(np.dstack([first, np.tile(fade, (first.shape[0], 1))]), "RGBA"),
    "3_panorama.jpg": Image.fromarray(np.concatenate([first, second], axis=1)),
}

with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    for name, image in odd_images.items():
        image.save(tmp / name)
    with open(tmp / "3_panorama.jpg", "rb") as good:
        (tmp / "4_broken.jpg").write_bytes(good.read(2000))
    try:
        load_image(tmp / "4_broken.jpg")
    except ValueError as error:
        print("load_image raises ValueError:", str(error).replace(str(tmp), "<tmp>"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_folder(tmp)
for warning in caught:
    print(f"load_folder warns {warning.category.__name__}:", str(warning.message).replace(str(tmp), "<tmp>"))
print(f"load_folder returned {loaded.shape} {loaded.dtype}: {len(odd_images) + 1 - len(loaded)} file left out")

figure, axes = plt.subplots(1, 4, figsize=(14, 3.6))
for ax, (name, image), shown in zip(axes, odd_images.items(), loaded):
    ax.imshow(shown)
    ax.set_title(f"{name}\n{image.mode} {image.width}x{image.height} -> RGB {shown.shape[1]}x{shown.shape[0]}")
axes[3].text(0.5, 0.5, "4_broken.jpg\nskipped, with a warning", ha="center", va="center")
for ax in axes:
    ax.axis("off")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## On your own
#
# **Exercise 1.** In the paper's schedule above, what is the learning rate at epoch 150?

# %%
rate_answer = None  # a number

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: epoch 150 is halfway through the 100 decaying epochs, so the rate is half of 2e-4.
rate_answer = 1e-4

# %%
check(rate_answer, float(schedule(150)), "Constant for 100 epochs, then a straight line to 0 at 200.", tolerance=1e-6)

# %% [markdown]
# **Exercise 2 (predict, then run).** A generator that hands the photo back: the discriminator
# gives its fake and the real photo the same logit, say 0, and real Monets +2. Do photo negatives
# change the discriminator's *loss*? Answer `"yes"` or `"no"`.

# %%
negatives_answer = None  # "yes" or "no"

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: the fake term becomes the mean of BCE(0, fake) and BCE(0, photo), two equal numbers,
# so the loss is unchanged. Negatives matter when the fakes differ from photos: then they keep
# teaching the discriminator what a photo looks like.
negatives_answer = "no"

# %%
twos, zeros = tf.fill((1, 30, 30, 1), 2.0), tf.zeros((1, 30, 30, 1))
plain = float(discriminator_loss(twos, zeros))
with_photos = float(discriminator_loss(twos, zeros, negative_logits=zeros))
reveal(negatives_answer, f"without negatives {plain:.4f}, with {with_photos:.4f}")
check(negatives_answer, "no" if abs(plain - with_photos) < 1e-6 else "yes")

# %% [markdown]
# **Exercise 3.** `CycleGAN.train_step` stores fakes in the pool as `pool(tf.stop_gradient(fake))`.
# Why stop the gradient?
#
# <details><summary>Solution</summary>
#
# A pooled fake may have been made many steps ago, by weights that no longer exist; a gradient
# through it would be meaningless. The pool feeds only the *discriminator's* loss, which trains
# the discriminator's weights; the generator's adversarial loss uses the newest fakes, unpooled.
#
# </details>

# %% [markdown]
# ## Further reading
#
# - Zhu, Park, Isola, Efros, *Unpaired Image-to-Image Translation using Cycle-Consistent
#   Adversarial Networks* (2017), section 4 and appendix 7: [arXiv:1703.10593](https://arxiv.org/abs/1703.10593).
# - Zhao, Liu, Lin, Zhu, Han, *Differentiable Augmentation for Data-Efficient GAN Training* (2020):
#   [arXiv:2006.10738](https://arxiv.org/abs/2006.10738).
# - Sanakoyeu, Kotovenko, Lang, Ommer, *A Style-Aware Content Loss for Real-time HD Style
#   Transfer* (2018): [arXiv:1807.10201](https://arxiv.org/abs/1807.10201).
# - Mao et al., *Least Squares Generative Adversarial Networks* (2017):
#   [arXiv:1611.04076](https://arxiv.org/abs/1611.04076).
# - Yazıcı et al., *The Unusual Effectiveness of Averaging in GAN Training* (2019):
#   [arXiv:1806.04498](https://arxiv.org/abs/1806.04498).
# - Park, Efros, Zhang, Zhu, *Contrastive Learning for Unpaired Image-to-Image Translation*
#   (CUT, 2020), a cheaper one-sided alternative: [arXiv:2007.15651](https://arxiv.org/abs/2007.15651).
# - TensorFlow, [Better performance with `tf.function`](https://www.tensorflow.org/guide/function), on tracing,
#   and [Mixed precision](https://www.tensorflow.org/guide/mixed_precision).
