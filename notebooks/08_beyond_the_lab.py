# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. Beyond the lab: the paper's recipe
#
# This notebook takes apart, one small experiment at a time, the choices that separate the lab's
# CycleGAN from the paper's recipe that trained the generator this library ships.
#
# ## What you'll learn
#
# - Why a U-Net finds copying the photo easy and the paper's ResNet generator does not.
# - Where chequerboard artefacts come from, how to measure them, and how resize-convolution avoids them.
# - How differentiable augmentation and real photos as extra negatives help a discriminator that
#   has only 300 paintings to learn from.
# - The paper's three stabilisers (an image pool, least squares, learning-rate decay) and one it
#   does not use, a moving average of the weights.
# - How the shipped generator is trained and judged on photos it never saw.
#
# ## What you'll need
#
# - Notebooks 3 to 6 (the generator, the discriminator, the losses, training).
# - About 5 minutes on a CPU: two tiny networks train for a few seconds each; the rest is evaluation.
# - The lab's data (300 Monet paintings and 300 photos, about 9 MB): it is downloaded for you the
#   first time if you don't already have it.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook
COPY_STEPS = 150  # training steps of each network in the copying race (smoke: 25)
LEARNING_RATE = 1e-3  # Adam's learning rate in the copying race (the lab trains at 2e-4)

# %% [markdown]
# The quick setting trains the copying race for 25 steps on 4 photos and measures the shipped
# generator on 2; the full setting uses `COPY_STEPS` steps, 8 photos, and 16.

# %%
import ast
import inspect
import json
import os
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Code, Markdown, display

import cyclegan_lab
from cyclegan_lab import (
    TrainConfig,
    build_generator,
    discriminator_loss,
    find_data,
    load_folder,
    load_generator,
    load_image,
    losses,
    normalize,
    recipe,
    scores,
    show_images,
    stylize,
)
from cyclegan_lab.exercises import check
from cyclegan_lab.images import fingerprint, image_files
from cyclegan_lab.models import build_resnet_generator, weight_init
from cyclegan_lab.parameters import check_parameter
from cyclegan_lab.pretrained import PACKAGE_FOLDER

DATA_DIR = check_parameter("DATA_DIR", DATA_DIR, path=True, optional=True)
SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
SEED = check_parameter("SEED", SEED, whole=(0, 2**32 - 1))
COPY_STEPS = check_parameter("COPY_STEPS", COPY_STEPS, whole=(1, None))
LEARNING_RATE = check_parameter("LEARNING_RATE", LEARNING_RATE, number=(1e-6, 1.0))
SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"
keras.mixed_precision.set_global_policy("float32")  # the same numbers on every machine

copy_steps = 25 if SMOKE else COPY_STEPS
n_copy = 4 if SMOKE else 8  # photos the copying race trains on
n_unseen_copy = 4 if SMOKE else 16  # other photos it is judged on
n_held_out = 2 if SMOKE else 16  # unseen photos the shipped generator is measured on
n_paintings = 4 if SMOKE else 300  # paintings the held-out measures compare with
folders = find_data(DATA_DIR)


def table(header, rows):
    """A small Markdown table, shown in the notebook."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    display(Markdown("\n".join(lines)))


# %% [markdown]
# ## Race a U-Net and a ResNet at copying
#
# A CycleGAN generator that hands the photo back unchanged gets low cycle and identity losses for
# free. The lab's U-Net makes that easy: its skip connections carry the photo's own features to
# the last layer. The paper's generator (Zhu et al. 2017, after Johnson et al. 2016) is a
# *ResNet*: it shrinks the image to a quarter of its side, refines it through residual blocks and
# grows it back, with no path around the middle.
#
# Train tiny versions of both (8 filters) on a task with no painting in it, "hand back the
# input", with the L1 loss $\operatorname{mean}|G(x) - x|$ on a few 64x64 photos, and judge
# each on photos it never saw.

# %%
photos64 = normalize(load_folder(folders.photo, size=64, limit=n_copy + n_unseen_copy))  # in [-1, 1]
train_photos, unseen_photos = photos64[:n_copy], photos64[n_copy:]


def train_to_copy(network, images, steps, learning_rate):
    """Train `network` for `steps` Adam steps on mean|network(x) - x|; return the loss of each step."""
    optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(network(x, training=True) - x))
        optimizer.apply_gradients(zip(tape.gradient(loss, network.trainable_weights), network.trainable_weights))
        return loss

    return np.array([float(step(images)) for _ in range(steps)])


def copy_error(network, images):
    return float(tf.reduce_mean(tf.abs(network(images, training=False) - images)))


keras.utils.set_random_seed(SEED)
unet = build_generator("unet", image_size=64, filters=8)
keras.utils.set_random_seed(SEED)
resnet = build_resnet_generator("resnet", image_size=64, filters=8, residual_blocks=2)
curves = {name: train_to_copy(net, train_photos, copy_steps, LEARNING_RATE)
          for name, net in [("U-Net", unet), ("ResNet", resnet)]}
errors = {name: (copy_error(net, train_photos), copy_error(net, unseen_photos))
          for name, net in [("U-Net", unet), ("ResNet", resnet)]}

fig, ax = plt.subplots(figsize=(7, 3.6))
for name, curve in curves.items():
    ax.plot(curve, label=f"{name} ({(unet if name == 'U-Net' else resnet).count_params():,} weights)")
ax.axhline(float(tf.reduce_mean(tf.abs(train_photos))), color="grey", linestyle=":", label="plain grey output")
ax.set_xlabel("step")
ax.set_ylabel("copy error  mean|G(x) - x|")
ax.set_title("Learning to hand back the photo")
ax.legend()
plt.show()

grey = (float(tf.reduce_mean(tf.abs(train_photos))), float(tf.reduce_mean(tf.abs(unseen_photos))))
print(f"  grey: copy error {grey[0]:.3f} on the {n_copy} training photos, {grey[1]:.3f} on {n_unseen_copy} unseen ones")
kept = {}
for name, (seen, unseen) in errors.items():
    progress = (1 - seen / grey[0], 1 - unseen / grey[1])  # share of the way from grey to a perfect copy
    kept[name] = progress[1] / progress[0]
    print(f"{name:>6}: copy error {seen:.3f} on the training photos, {unseen:.3f} on the unseen ones: "
          f"{progress[0]:.0%} and {progress[1]:.0%} of the way from grey to a perfect copy")
half = {name: int(np.argmax(curve < curve[0] / 2)) if (curve < curve[0] / 2).any() else None
        for name, curve in curves.items()}
print("steps to halve the training copy error:", ", ".join(f"{n} {s if s is not None else 'not reached'}"
                                                           for n, s in half.items()))
better = min(errors, key=lambda name: errors[name][1])
print(f"on unseen photos the {better} copies better: "
      f"{errors[better][1]:.3f} against {max(e[1] for e in errors.values()):.3f}")
general, specific = sorted(kept, key=kept.get, reverse=True)
print(f"the {general} kept {kept[general]:.0%} of its progress on photos it never saw, the {specific} "
      f"{kept[specific]:.0%}: the {general} learned more of copying in general, the {specific} more of its "
      "training photos")

# %% [markdown]
# On its training photos the ResNet's error can fall as fast as the U-Net's, or faster (compare
# the steps to halve it). What matters is the unseen photos: a network that has *learned to copy*
# copies any photo; one that has fitted its training photos does not.

# %% [markdown]
# ### See why: the ResNet cannot see a colour cast
#
# The ResNet's first layer is a 7x7 convolution followed by instance normalisation, which sets
# every channel of every image to mean 0 and variance 1. A colour cast (a number added to every
# pixel of a colour channel) adds only a constant to each channel of the convolution's output,
# which the normalisation removes. Test both trained networks:

# %%
cast = tf.constant([0.3, -0.1, 0.2])  # added to R, G and B of every pixel
for name, net in [("U-Net", unet), ("ResNet", resnet)]:
    shift = (net(unseen_photos + cast, training=False) - net(unseen_photos, training=False)).numpy()
    print(f"{name:>6}: output changed by {np.round(shift.mean(axis=(0, 1, 2)), 3)} per channel "
          f"(the cast: {cast.numpy()}), largest change {np.abs(shift).max():.1e}")
resnet_blind = float(tf.reduce_max(tf.abs(resnet(unseen_photos + cast, training=False)
                                          - resnet(unseen_photos, training=False)))) < 1e-3
print("the ResNet is blind to the colour cast:", resnet_blind)

# %% [markdown]
# A network blind to a photo's overall colour cannot hand it back: it paints the colours its
# training taught it. The U-Net's first block has no normalisation and feeds the last layer by
# a skip connection, so the cast reaches its output (how faithfully depends on how well it has
# learned to copy). The ResNet must *rebuild* the picture from normalised features, which leaves
# room for the adversarial loss to change how it looks.

# %% [markdown]
# ## Spot chequerboards from transposed convolutions
#
# The lab's generator doubles the image size with `Conv2DTranspose(filters, 4, strides=2)`. Pixels
# in even and odd rows and columns are painted by *different* kernel taps: unless training makes
# the taps agree, neighbours differ in a repeating 2x2 pattern, a chequerboard (Odena, Dumoulin
# and Olah 2016). *Resize-convolution* repeats each pixel 2x2, then applies an ordinary 3x3
# convolution, which treats every output pixel alike. Both layers here are freshly initialised:

# %%
keras.utils.set_random_seed(SEED)
transposed = keras.layers.Conv2DTranspose(3, 4, strides=2, padding="same", kernel_initializer=weight_init(),
                                          use_bias=False)
resize_conv = keras.Sequential([keras.layers.UpSampling2D(2, interpolation="nearest"),
                                keras.layers.Conv2D(3, 3, padding="same", kernel_initializer=weight_init(),
                                                    use_bias=False)])
flat = np.full((1, 64, 64, 3), 0.5, np.float32)  # a flat grey-ish image


def to_pixels(images):
    """Stretch each image to 0..255 uint8 (the random layers' outputs are faint)."""
    images = np.asarray(images)
    low = images.min(axis=(1, 2, 3), keepdims=True)
    high = images.max(axis=(1, 2, 3), keepdims=True)
    return np.round(255 * (images - low) / np.maximum(high - low, 1e-12)).astype(np.uint8)


for name, layer in [("transposed", transposed), ("resize-conv", resize_conv)]:
    interior = np.asarray(layer(flat))[0, 8:-8, 8:-8, 0]  # red channel, away from the border
    tile = [interior[r::2, c::2].mean() for r in (0, 1) for c in (0, 1)]
    print(f"{name:>11} on a flat image, mean of the four 2x2 positions: {np.round(tile, 5)}")

# %% [markdown]
# On a flat input, four different values at the four positions are a 2x2 tile; one value is none.
# On photos, `scores.chequerboard_energy` measures the power of an image's Fourier transform at
# period 2, the highest frequencies an image can hold; `chequerboard_ratio(generated, photos)`
# divides it by the photos' own (median over images): near 1 adds no chequerboard.

# %%
photos128 = load_folder(folders.photo, size=128, limit=n_copy)  # the same photos, as the layers' output size
outputs = {name: to_pixels(layer(train_photos[:n_copy])) for name, layer in
           [("transposed", transposed), ("resize-conv", resize_conv)]}
energies = {name: scores.chequerboard_energy(images) for name, images in outputs.items()}
for name, images in outputs.items():
    print(f"{name:>11}: chequerboard energy {np.round(energies[name], 1)}, "
          f"ratio to the photos {scores.chequerboard_ratio(images, photos128):.2f}")
print(f"photos at 128: chequerboard energy {np.round(scores.chequerboard_energy(photos128), 1)}")
print(f"the transposed convolution's period-2 energy is "
      f"{np.median(energies['transposed'] / energies['resize-conv']):.0f}x the resize-convolution's (median)")

crop = slice(40, 72)  # a 32x32 corner, magnified
show_images([photos128[0][crop, crop], outputs["transposed"][0][crop, crop], outputs["resize-conv"][0][crop, crop]],
            titles=["photo (32x32 crop)", "random transposed conv", "random resize-conv"])
plt.show()

# %% [markdown]
# Training can learn to balance the taps, but nothing forces it to; the shipped generator (a ResNet) is
# measured for chequerboards at the end of this notebook. `TrainConfig(upsampling="resize")` builds either generator with
# resize-convolutions; the ResNet uses them by default.

# %% [markdown]
# ## Augment what the discriminator sees
#
# A discriminator with millions of weights can learn 300 paintings by heart; then it rejects
# everything else and its verdicts stop teaching the generator. Zhao et al. (2020) change *every*
# image the discriminator sees, real or fake, at random and differentiably, and judge the
# generator's fakes through the same changes; they trained GANs on as few as 100 images.
# Changing only the real images would teach the discriminator that shifted, cut-out images are
# real, and the generator to make them. `recipe.DiffAugment` offers three changes; each is a few
# lines of TensorFlow on the whole batch, differentiable, so the generator's gradient passes
# through it:

# %%
Code(inspect.getsource(recipe.DiffAugment), language="python")

# %%
paintings = normalize(load_folder(folders.monet, size=128, limit=4))
print(f"{len(image_files(folders.monet))} paintings in {folders.monet.name}/")
rows = [paintings]
policies = ["translation", "cutout", "color"]
for policy in policies:
    rows.append(recipe.DiffAugment([policy], seed=SEED)(paintings))
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
        loss = tf.reduce_mean(recipe.DiffAugment([policy], seed=SEED)(images))
    gradient = tape.gradient(loss, images)
    share = float(tf.reduce_mean(tf.cast(tf.abs(gradient) > 0, tf.float32)))
    print(f"{policy:>11}: gradient norm {float(tf.norm(gradient)):.2e}, non-zero for {share:.0%} of the values")
    assert float(tf.norm(gradient)) > 0

# %% [markdown]
# Where the gradient is zero, a pixel was shifted out of the frame or cut out: it never reached
# the discriminator, so it gets no blame.
# `TrainConfig(diffaugment="translation,cutout")` turns it on in training.

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
# pushes them down, towards "not a Monet". `TrainConfig(photo_negatives=True)` turns it on.

# %% [markdown]
# ## Stabilise training with the paper's four tools
#
# ### Keep a pool of old fakes
#
# GAN training can circle: the discriminator chases the generator's newest trick and forgets the
# previous one, to which the generator returns. The paper's `ImagePool` keeps 50 past fakes;
# once full, it shows the discriminator an old fake instead of the new one half the time. Feed
# a pool of 3 the "fakes" 0 to 11. The pool is a Keras layer whose stored fakes and random
# numbers are variables, so the training step runs it inside its graph and checkpoints keep it:

# %%
Code(inspect.getsource(recipe.ImagePool.call), language="python")

# %%
pool = recipe.ImagePool(3, (1, 1, 1), seed=SEED)
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
schedule = recipe.LinearDecay(2e-4, total_steps=200, decay_steps=100)
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
# ### Average the weights
#
# The last step's weights are one point of a noisy walk. `MovingAverage` keeps
# $\bar w \leftarrow d\,\bar w + (1 - d)\,w$ after each step; the averaged generator is exported.
# After each training step the average takes one small step towards the network's weights:

# %%
Code(inspect.getsource(recipe.MovingAverage.update), language="python")

# %% [markdown]
# A one-weight network whose weight jumps around 1 at every step:

# %%
network = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
average = recipe.MovingAverage(network, decay=0.9)
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
# ## Train the shipped generator
#
# `scripts/train_monet.py` puts these pieces together. Its recipe, read from the file:

# %%
script = Path(cyclegan_lab.__file__).resolve().parent.parent / "scripts" / "train_monet.py"
source = script.read_text()
tree = ast.parse(source)
node = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "RECIPE")
RECIPE = {keyword.arg: ast.literal_eval(keyword.value) for keyword in node.value.keywords}
display(Code(ast.get_source_segment(source, node), language="python"))

config = TrainConfig(**RECIPE)
print(f"generator={config.generator!r}: {config.filters} filters, {config.residual_blocks} residual blocks, "
      f"upsampling {config.upsampling_mode!r}")
print(f"diffaugment {config.diffaugment_policies}, photo_negatives={config.photo_negatives}, "
      f"ema_decay={config.ema_decay}")
print(f"adversarial_loss={config.adversarial_loss!r}, pool_size={config.pool_size}, "
      f"{config.epochs} epochs of {config.steps_per_epoch} steps, the last {config.decay_epochs} decaying")

# %% [markdown]
# Run it, and after it export the generator:
#
# ```bash
# python scripts/train_monet.py --data PATH/monet2photo     # resumes if stopped; --set FIELD=VALUE changes the recipe
# python scripts/ship_pretrained.py CHECKPOINT_DIR --data PATH/monet2photo
# ```
#
# The run trains on the first `max_images` photos (1,200 in its recipe) and keeps the rest unseen; every 250 steps it paints
# unseen photos and records six measures from `cyclegan_lab.scores.held_out_measures`:
#
# - **chequerboard**: `chequerboard_ratio`, the period-2 energy of $G(x)$ over that of $x$; about 1 is clean.
# - **copy**: mean $|G(x) - x|$ on the $[-1, 1]$ scale; near 0 means the photo came back unchanged.
# - **composition**: `composition_similarity`, the correlation of the light and dark layout of $G(x)$
#   (luminance averaged over 32x32 blocks) with the photo's; 1 means the layout is kept. A
#   caricature is far from the photo too, so *copy* counts only where *composition* stays high.
# - **palette**: how far the colours are from the paintings' (earth mover's distance per channel, 0-255 scale).
# - **kid**: the kernel distance (KID x 1000) between the painted photos and half of the paintings,
#   on the features of an ImageNet classifier (`scores.imagenet_kid`; notebook 9 builds and tests it).
# - **gap_closed**: the share of the photos-to-paintings KID the generator closes: 0 no closer than
#   the photos, 1 as close as other paintings are (`scores.painting_gap`). This one decides.
#
# `ship_pretrained.py` ships a new generator only if it closes more of the gap than the shipped one,
# and at least half of it. Measure, on photos
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
columns = ["chequerboard", "copy", "composition", "palette", "kid", "gap_closed"]
table(["generator", *columns], [[name, *(f"{m[k]:.3f}" for k in columns)] for name, m in measured.items()])
copying, shipped = measured["hands the photo back"], measured["shipped generator"]
print(f"handing the photo back: copy {copying['copy']:.3f}, chequerboard {copying['chequerboard']:.2f}")
print(f"the shipped generator's palette is closer to the paintings' than the photos' own: "
      f"{shipped['palette'] < copying['palette']}")

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
print(f"shipped generator: {info['config']['generator']}, trained {info['step']:,} steps")

# %% [markdown]
# ## On your own
#
# **Exercise 1 (predict, then run).** Instead of a colour cast, add a *ramp*: 0 at the left edge
# rising to 0.3 at the right, the same for every channel. Will the trained ResNet's output change
# (largest change above 0.001)? Answer `"yes"` or `"no"`.

# %%
ramp_answer = None  # "yes" or "no"

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: a ramp is not the same number at every pixel, so after the first convolution it is not
# a constant per channel either, and instance normalisation cannot remove it: the output changes.
ramp_answer = "yes"

# %%
ramp = tf.reshape(tf.linspace(0.0, 0.3, 64), (1, 1, 64, 1))
ramp_change = float(tf.reduce_max(tf.abs(resnet(unseen_photos + ramp, training=False)
                                         - resnet(unseen_photos, training=False))))
print(f"largest change of the ResNet's output: {ramp_change:.1e}")
check(ramp_answer, "yes" if ramp_change > 1e-3 else "no", "Which inputs does instance norm make invisible?")

# %% [markdown]
# **Exercise 2.** In the paper's schedule above, what is the learning rate at epoch 150?

# %%
rate_answer = None  # a number

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: epoch 150 is halfway through the 100 decaying epochs, so the rate is half of 2e-4.
rate_answer = 1e-4

# %%
check(rate_answer, float(schedule(150)), "Constant for 100 epochs, then a straight line to 0 at 200.", tolerance=1e-6)

# %% [markdown]
# **Exercise 3 (predict, then run).** A generator that hands the photo back: the discriminator
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
print(f"without negatives {plain:.4f}, with {with_photos:.4f}")
check(negatives_answer, "no" if abs(plain - with_photos) < 1e-6 else "yes")

# %% [markdown]
# **Exercise 4.** `CycleGAN.train_step` stores fakes in the pool as `pool(tf.stop_gradient(fake))`.
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
# - Johnson, Alahi, Fei-Fei, *Perceptual Losses for Real-Time Style Transfer and Super-Resolution*
#   (2016), the ResNet generator: [arXiv:1603.08155](https://arxiv.org/abs/1603.08155).
# - Odena, Dumoulin, Olah, *Deconvolution and Checkerboard Artifacts*, Distill (2016):
#   [distill.pub/2016/deconv-checkerboard](https://distill.pub/2016/deconv-checkerboard/).
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
