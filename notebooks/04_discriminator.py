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
# # 4. The discriminator: a PatchGAN
#
# ## What you'll learn
#
# - Why the output is a $30 \times 30$ grid of verdicts.
# - How to compute a receptive field.
# - How to read the verdicts as a map.
# - What a discriminator learns first.
#
# ## What you'll need
#
# - Notebook 3 (the downsampling block and instance normalisation).
# - About 6 minutes: 5 of reading and 1 of running (full setting, 2 CPU cores), plus your time on the exercises.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook

# %%
import inspect
import os
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Code
from matplotlib.patches import Rectangle

from cyclegan_lab import (
    build_generator,
    discriminator_loss,
    downsample,
    find_data,
    load_folder,
    normalize,
)
from cyclegan_lab.teaching.drawings import show_patch_map
from cyclegan_lab.teaching.exercises import check, reveal
from cyclegan_lab.teaching.implementations import check_implementation
from cyclegan_lab.teaching.inspect_model import (
    layer_table,
    params_by_part,
    patch_box,
    receptive_field,
    receptive_field_steps,
)
from cyclegan_lab.teaching.parameters import check_parameter

DATA_DIR = check_parameter("DATA_DIR", DATA_DIR, path=True, optional=True)
SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
SEED = check_parameter("SEED", SEED, whole=(0, 2**32 - 1))
SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"

TRAIN_STEPS = 2 if SMOKE else 20  # training steps of the discriminator at the end
N_TRAIN = 2 if SMOKE else 10  # images per domain to train on; one more of each is kept aside to look at
keras.utils.set_random_seed(SEED)  # the weights of the networks built below
rng = np.random.default_rng(SEED)

# %% [markdown]
# ## Build the discriminator
#
# A discriminator says whether an image is real. The CycleGAN has two alike: `monet_discriminator`
# ($D_Y$) for Monets and `photo_discriminator` ($D_X$) for photos.
#
# Three of notebook 3's `downsample` blocks (64, 128 and 256 filters, the first without
# normalisation) take the image to $32 \times 32 \times 256$. Then two $4 \times 4$
# convolutions with stride 1, each after `ZeroPadding2D()` (one pixel): one to 512 channels without
# bias, then instance norm and `LeakyReLU(negative_slope=0.3)`; then one to a single channel, with
# bias and no activation. Its output is a *logit*: above 0 means "real".
#
# **Exercise 1 (implement).** Write `build_discriminator(image_size=256)` with Keras' functional
# API, from `keras.Input(shape=(image_size, image_size, 3))` to `keras.Model(inputs, logits)`. The
# instance norm is `keras.layers.GroupNormalization(groups=-1, epsilon=1e-3)`. The check builds
# yours and the lab's at $64 \times 64$, gives both the same weights and compares their verdicts.

# %% tags=["exercise", "implement"]
build_discriminator = None  # replace with your function: def build_discriminator(image_size=256): ...


# %% jupyter={"source_hidden": true} tags=["solution"]
def build_discriminator(image_size=256):
    """Solution: three downsampling blocks, then pad, convolve to 512, normalise, pad, convolve to 1."""
    inputs = keras.Input(shape=(image_size, image_size, 3))
    x = downsample(64, apply_norm=False)(inputs)
    x = downsample(128)(x)
    x = downsample(256)(x)
    x = keras.layers.ZeroPadding2D()(x)
    x = keras.layers.Conv2D(512, 4, use_bias=False)(x)
    x = keras.layers.GroupNormalization(groups=-1, epsilon=1e-3)(x)
    x = keras.layers.LeakyReLU(negative_slope=0.3)(x)
    x = keras.layers.ZeroPadding2D()(x)
    return keras.Model(inputs, keras.layers.Conv2D(1, 4)(x))


# %%
check_implementation("build_discriminator", build_discriminator)
from cyclegan_lab.models import build_discriminator  # the lab's, from here on

# %%
discriminator = build_discriminator(name="monet_discriminator")
print(f"{discriminator.count_params():,}")
print("the original lab's discriminator has 2,765,569 parameters:", discriminator.count_params() == 2_765_569)

# %% [markdown]
# Block by block:

# %%
print(layer_table(discriminator))

# %%
total = discriminator.count_params()
for part, count in params_by_part(discriminator).items():
    print(f"{part:<8} {count:>10,}  {count / total:6.1%}")

# %% [markdown]
# ("encoder" is the three down blocks.)

# %% [markdown]
# ## Judge patches, not images
#
# Judge one painting:

# %%
folders = find_data(DATA_DIR)
monet = normalize(load_folder(folders.monet, limit=N_TRAIN + 1)).numpy()  # (n, 256, 256, 3) in [-1, 1]
photo = normalize(load_folder(folders.photo, limit=N_TRAIN + 1)).numpy()
monet, photo = monet[rng.permutation(len(monet))], photo[rng.permutation(len(photo))]
batch = monet[:1]  # one painting: (1, 256, 256, 3)
print(discriminator(batch).shape)

# %% [markdown]
# The answer is a $30 \times 30$ grid. A convolution with kernel $k$, stride $s$ and $p$ zeros of
# padding in all gives $n_\text{out} = \lfloor (n_\text{in} + p - k) / s \rfloor + 1$. The blocks
# halve the size to 32; each padding adds 2, each stride-1 convolution removes 3:
# $32 \to 34 \to 31 \to 33 \to 30$.
#
# Each of the 900 numbers judges one region, and the loss averages them: this is a **PatchGAN**
# (pix2pix).
# It suits style, which shows in a small piece of a painting; the scene's layout is the cycle loss's
# job. A logit $\ell$ becomes $P(\text{real}) = \sigma(\ell) = 1 / (1 + e^{-\ell})$.

# %% [markdown]
# ## Compute the receptive field
#
# The pixels one verdict depends on are its *receptive field*. Walk through the layers tracking
# $r$, the side of the input square one value of a map sees, and the *jump* $j$, the input
# distance between neighbouring values. At the input, $r_0 = j_0 = 1$. A layer with kernel $k$ and
# stride $s$ gives
#
# $$r_\text{out} = r_\text{in} + (k - 1)\, j_\text{in}, \qquad j_\text{out} = j_\text{in} \, s .$$
#
# Normalisation and activations change nothing; padding only shifts the fields.
# `receptive_field_steps` does this walk:

# %%
Code(inspect.getsource(receptive_field_steps), language="python")

# %%
steps = receptive_field_steps(discriminator)
print(f"{'layer':<24}{'k':>3}{'s':>3}{'pad':>5}{'size':>6}{'r':>5}{'j':>4}{'start':>7}")
for step in steps:
    if step.kernel > 1 or step.pad or step is steps[0]:  # skip the layers that change nothing
        print(f"{step.name:<24}{step.kernel:>3}{step.stride:>3}{step.pad:>5}{step.size:>6}"
              f"{step.field:>5}{step.jump:>4}{step.start:>7}")
print("receptive field:", receptive_field(discriminator))

# %% [markdown]
# By hand: $r = 1 \to 4 \to 10 \to 22$ ($j = 8$), then $46$ and $70$. **Each verdict judges a
# $70 \times 70$ patch**, as in the CycleGAN paper. Patches are 8 pixels apart, so they overlap. How
# many contain each pixel?

# %%
top0, left0, size = patch_box(discriminator, 0, 0)
jump, n_verdicts = steps[-1].jump, discriminator.output.shape[1]
coverage = np.zeros((256, 256), int)
for r in range(n_verdicts):
    for c in range(n_verdicts):
        top, left = top0 + r * jump, left0 + c * jump
        coverage[max(top, 0):top + size, max(left, 0):left + size] += 1
middle = coverage[70:186, 70:186]  # away from the border
counts, pixels = np.unique(middle, return_counts=True)
print(f"patches of a row cover pixels {top0} to {top0 + (n_verdicts - 1) * jump + size - 1}")
print("a pixel away from the border lies in", " or ".join(f"{k} ({n / middle.size:.0%} of them)"
                                                          for k, n in zip(counts, pixels)), "patches")

# %% [markdown]
# The patches of verdict (12, 17) and its right-hand neighbour:

# %%
ROW, COL = 12, 17
show_monet = monet[-1]  # kept out of the training below
top, left, size = patch_box(discriminator, ROW, COL)
print(f"verdict ({ROW}, {COL}) judges rows {top} to {top + size - 1}, columns {left} to {left + size - 1}")

figure, (ax_image, ax_patch) = plt.subplots(1, 2, figsize=(9, 4.6), gridspec_kw={"width_ratios": [1, 1]})
ax_image.imshow((show_monet + 1) / 2)
ax_image.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False, color="yellow", linewidth=2,
                             label=f"verdict ({ROW}, {COL})"))
n_top, n_left, _ = patch_box(discriminator, ROW, COL + 1)
ax_image.add_patch(Rectangle((n_left - 0.5, n_top - 0.5), size, size, fill=False, color="cyan", linewidth=1.5,
                             linestyle="--", label=f"verdict ({ROW}, {COL + 1})"))
ax_image.legend(loc="lower left", fontsize=8)
ax_image.set_title("Two neighbouring 70x70 patches, 8 pixels apart")
ax_patch.imshow((show_monet[top:top + size, left:left + size] + 1) / 2)
ax_patch.set_title(f"What verdict ({ROW}, {COL}) sees")
for ax in (ax_image, ax_patch):
    ax.axis("off")
figure.tight_layout()
plt.show()

# %% [markdown]
# The *convolutions* see $70 \times 70$, but instance norm uses each channel's mean and spread over
# the *whole* image, so outside pixels still nudge the verdict. The gradient shows how much:

# %%
image = tf.convert_to_tensor(show_monet[None])
with tf.GradientTape() as tape:
    tape.watch(image)
    verdict = discriminator(image)[0, ROW, COL, 0]
influence = np.abs(tape.gradient(verdict, image).numpy()[0]).sum(axis=-1)  # (256, 256)
in_patch = np.zeros(influence.shape, bool)
in_patch[max(top, 0):top + size, max(left, 0):left + size] = True
share_inside = influence[in_patch].sum() / influence.sum()
ratio = influence[in_patch].mean() / influence[~in_patch].mean()
print(f"share of the gradient inside the 70x70 patch: {share_inside:.1%}")
print(f"a pixel inside matters {ratio:.0f} times more than one outside, on average; "
      f"the {int((~in_patch).sum()):,} pixels outside together carry {1 - share_inside:.1%}")
centre = np.zeros(influence.shape, bool)
centre[top + size // 4:top + size - size // 4, left + size // 4:left + size - size // 4] = True
centre_ratio = influence[centre].mean() / influence[in_patch & ~centre].mean()
print(f"inside, a pixel of the patch's central half matters {centre_ratio:.1f} times more than one of the rim "
      f"around it; outside, {np.mean(influence[~in_patch] > 0):.0%} of the pixels have a non-zero gradient")

figure, ax = plt.subplots(figsize=(5, 4.6))
shown = ax.imshow(np.log10(influence + 1e-12), cmap="magma", vmin=np.log10(influence.max()) - 4)
ax.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False, color="cyan", linewidth=1.5))
figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.04, label="log10 |gradient|")
ax.set_title(f"How much each pixel moves verdict ({ROW}, {COL})")
ax.axis("off")
plt.show()

# %% [markdown]
# Central pixels reach the verdict through more paths than the rim. Outside, the gradient comes
# through the normalisation.

# %% [markdown]
# ## Read the verdicts of an untrained discriminator
#
# An untrained Monet generator (notebook 3) makes grey fakes from our photos:

# %%
monet_generator = build_generator(name="monet_generator")
fake_monet = np.concatenate([monet_generator(photo[i:i + 4], training=False).numpy()
                             for i in range(0, len(photo), 4)])
print("fakes:", fake_monet.shape, f"values within {np.abs(fake_monet).max():.4f} of 0, the middle grey")

# %% [markdown]
# A painting, a photo and its fake, kept out of training. `show_patch_map` draws each
# verdict at its patch's centre: red for "real", blue for "fake", clear where undecided.

# %%
LIMIT = 0.5  # colour scale of the maps: logits from -0.5 (P = 0.38) to 0.5 (P = 0.62)
judged = np.stack([monet[-1], photo[-1], fake_monet[-1]])
names = ["real Monet", "real photo", "fake Monet (untrained generator)"]


def show_verdicts(logits, heading):
    """The three patch maps side by side, and the range and mean verdict of each image."""
    for name, logit in zip(names, logits):
        print(f"{name:<34} logits from {logit.min():+.4f} to {logit.max():+.4f}, "
              f"mean P(real) {tf.sigmoid(logit).numpy().mean():.3f}")
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.3))
    for ax, picture, logit, name in zip(axes, judged, logits, names):
        show_patch_map(picture, logit, ax=ax, model=discriminator, limit=LIMIT, colorbar=ax is axes[-1],
                       title=f"{name}\nmean logit {logit.mean():+.3f}")
    figure.suptitle(heading)
    figure.tight_layout()
    plt.show()


untrained_logits = discriminator(judged).numpy()
show_verdicts(untrained_logits, "Untrained discriminator")
print(f"largest |logit| on any patch: {np.abs(untrained_logits).max():.4f}, "
      f"so P(real) is within {float(tf.sigmoid(np.abs(untrained_logits).max())) - 0.5:.4f} of 0.5 everywhere")

# %% [markdown]
# Undecided everywhere, as in notebook 3: the weights and the norm's scales $\gamma$ start as
# $\mathcal{N}(0, 0.02^2)$.

# %% [markdown]
# ## Train the discriminator for a few steps
#
# `monet_discriminator` learns to answer "real" (1) for Monets $y$ and "fake" (0) for fakes $G(x)$,
# with `discriminator_loss`:
#
# $$\mathcal{L}_{D_Y} = \tfrac12\big[\operatorname{mean}\text{BCE}\big(1, D_Y(y)\big) + \operatorname{mean}\text{BCE}\big(0, D_Y(G(x))\big)\big],$$
#
# each mean over the batch and the 900 patches. An undecided discriminator ($\ell = 0$) scores
# $\log 2 \approx 0.693$. Each step shows it one painting as "real" and, as "fake", one photo and
# its fake. (In the CycleGAN only fakes are "fake"; the photo tests whether it learns what a Monet
# looks like.)

# %%
optimizer = keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


@tf.function
def train_step(real_monet, not_monet):
    """One gradient step on 1 real painting and 2 images that are not Monet's."""
    with tf.GradientTape() as tape:
        loss = discriminator_loss(discriminator(real_monet, training=True), discriminator(not_monet, training=True))
    gradients = tape.gradient(loss, discriminator.trainable_variables)
    optimizer.apply_gradients(zip(gradients, discriminator.trainable_variables))
    return loss


losses, mean_logits = [], []
start = time.perf_counter()
for step in range(TRAIN_STEPS):
    i = step % N_TRAIN
    not_monet = np.stack([photo[i], fake_monet[i]])
    losses.append(float(train_step(monet[i:i + 1], not_monet)))
    mean_logits.append(discriminator(judged).numpy().mean(axis=(1, 2, 3)))
print(f"{TRAIN_STEPS} steps in {time.perf_counter() - start:.0f} s (the first one includes building the step)")
print("loss per step:", np.round(losses, 3))

# %%
figure, (ax_loss, ax_logit) = plt.subplots(1, 2, figsize=(11, 3.6))
steps_done = np.arange(1, TRAIN_STEPS + 1)
ax_loss.plot(steps_done, losses, marker="o")
ax_loss.axhline(np.log(2), color="grey", linestyle=":", label="undecided, log 2")
ax_loss.set_xlabel("training step")
ax_loss.set_ylabel("discriminator loss")
ax_loss.legend()
for name, curve in zip(names, np.array(mean_logits).T):
    ax_logit.plot(steps_done, curve, marker="o", label=name)
ax_logit.axhline(0, color="grey", linestyle=":")
ax_logit.set_xlabel("training step")
ax_logit.set_ylabel("mean logit (> 0: real)")
ax_logit.set_title("Verdicts on the three images set aside")
ax_logit.legend(fontsize=8)
figure.tight_layout()
plt.show()

# %%
trained_logits = discriminator(judged).numpy()
show_verdicts(trained_logits, f"After {TRAIN_STEPS} training steps")
mean_logit = dict(zip(["painting", "photo", "fake"], trained_logits.mean(axis=(1, 2, 3))))
spread = trained_logits.std(axis=(1, 2, 3))
print(f"after {TRAIN_STEPS} steps: last loss {losses[-1]:.4f} ({'below' if losses[-1] < np.log(2) else 'not below'}"
      f" log 2 = {np.log(2):.4f})")
print(f"mean logit: painting {mean_logit['painting']:+.4f}, photo {mean_logit['photo']:+.4f}, "
      f"fake {mean_logit['fake']:+.4f}")
print("fake judged more 'fake' than the painting:", bool(mean_logit["fake"] < mean_logit["painting"]))
print("photo judged 'real' (mean logit > 0):", bool(mean_logit["photo"] > 0),
      "| photo judged more 'real' than the fake:", bool(mean_logit["photo"] > mean_logit["fake"]))
print("spread of the 900 verdicts per image:", np.round(spread, 4))
p_before, p_after = (tf.sigmoid(logits).numpy().mean(axis=(1, 2, 3)) for logits in (untrained_logits, trained_logits))
print(f"mean P(real) of the grey fake: {p_before[2]:.3f} before training, {p_after[2]:.3f} after {TRAIN_STEPS} steps; "
      f"rejected (below 0.5): {bool(p_after[2] < 0.5)}")
print(f"largest move of an image's mean P(real): {np.abs(p_after - p_before).max():.4f}")

# %% [markdown]
# If it calls the photo real but rejects the fake, it has learnt the easiest difference, structure
# against flat grey, not what makes a Monet. As fakes improve, it must find subtler differences,
# like brush strokes. Notebooks 5 and 6 play this game.

# %% [markdown]
# ## On your own
#
# **Exercise 2 (predict, then run).** What shape does `build_discriminator(image_size=128)` output
# for one image? Use the size rule above.

# %% tags=["exercise", "predict"]
grid_answer = None  # a tuple, e.g. (1, 2, 2, 1)

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: three halvings 128 -> 64 -> 32 -> 16; padding 16 -> 18; a 4x4 convolution with stride 1
# 18 -> 15; padding 15 -> 17; the last convolution 17 -> 14. The patches are still 70x70: the
# receptive field depends on the layers, not on the image size.
grid_answer = (1, 14, 14, 1)

# %%
small_discriminator = build_discriminator(image_size=128)
small_grid = tuple(small_discriminator(np.zeros((1, 128, 128, 3), "float32")).shape)
reveal(grid_answer, "grid:", small_grid, " patch side:", receptive_field(small_discriminator))
check(grid_answer, small_grid, "n_out = floor((n_in + p - k) / s) + 1, layer by layer.")

# %% [markdown]
# **Exercise 3 (predict).** With one more $4 \times 4$ stride-1 convolution at the end, how large
# would each patch be? The check measures it on a stand-in with the same convolutions and
# all weights 1, where one verdict's gradient reaches exactly its patch.

# %% tags=["exercise", "predict"]
field_answer = None  # a whole number

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: r_out = r_in + (k - 1) j_in = 70 + 3 x 8 = 94 (a stride-1 layer keeps j = 8).
field_answer = 70 + 3 * 8

# %%
def ones_stand_in(extra_convolutions):
    """The discriminator's convolutions (same kernels, strides, padding) with every weight 1, no bias,
    normalisation or activation, plus `extra_convolutions` more 4x4 stride-1 ones at the end."""
    conv = lambda strides, padding: keras.layers.Conv2D(1, 4, strides=strides, padding=padding,
                                                        kernel_initializer="ones", use_bias=False)
    chain = [conv(2, "same"), conv(2, "same"), conv(2, "same"), keras.layers.ZeroPadding2D(), conv(1, "valid"),
             keras.layers.ZeroPadding2D(), conv(1, "valid")]
    chain += [conv(1, "valid") for _ in range(extra_convolutions)]
    return keras.Sequential([keras.Input((256, 256, 1)), *chain])


def measured_field(model):
    """Rows of the input that move the central output: the support of its gradient. With positive
    weights and nothing that mixes the whole image, that is exactly the receptive field."""
    image = tf.ones((1, 256, 256, 1))
    with tf.GradientTape() as tape:
        tape.watch(image)
        grid = model(image)
        middle = grid.shape[1] // 2
        verdict = grid[0, middle, middle, 0]
    return int(np.any(tape.gradient(verdict, image).numpy()[0, :, :, 0] != 0, axis=1).sum())


stand_in = ones_stand_in(0)
reveal(field_answer, f"the stand-in: {stand_in.output_shape[1]}x{stand_in.output_shape[2]} verdicts, measured field "
      f"{measured_field(stand_in)}; the discriminator: receptive_field {receptive_field(discriminator)}")
check(field_answer, measured_field(ones_stand_in(1)), "r_out = r_in + (k - 1) j_in, with the last row's r and j.")

# %% [markdown]
# **Exercise 4 (predict).** How many of the 900 patches contain the pixel in row 128, column 128?

# %% tags=["exercise", "predict"]
covering_answer = None  # a whole number

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: verdict row r covers image rows -23 + 8r to 46 + 8r. It contains row 128 when
# -23 + 8r <= 128 <= 46 + 8r, that is r = 11..18: 8 rows. The same for columns: 8 x 8 = 64.
covering_answer = 8 * 8

# %%
check(covering_answer, int(coverage[128, 128]), "Which verdict rows r have -23 + 8r <= 128 <= 46 + 8r?")

# %% [markdown]
# **Exercise 5.** Train for longer (`TRAIN_STEPS = 100`), once as above and once with only photos
# as "fake". When does the photo stop looking real?
#
# <details><summary>Solution</summary>
#
# Rebuild `discriminator` and `optimizer`, and make `not_monet` two photos, e.g.
# `photo[[i, (i + 1) % N_TRAIN]]`. With grey fakes, the easy difference comes first and the photo can
# stay "real" for long; with only photos, the photo's mean logit should fall below 0 sooner. It varies
# from seed to seed: read the right-hand plot.
#
# </details>

# %% [markdown]
# ## Further reading
#
# - Isola et al., *Image-to-Image Translation with Conditional Adversarial Networks* (pix2pix,
#   PatchGAN in section 3.2.2), 2017: [arXiv:1611.07004](https://arxiv.org/abs/1611.07004).
# - Zhu et al., *Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks*
#   (CycleGAN), 2017: [arXiv:1703.10593](https://arxiv.org/abs/1703.10593).
