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
# This notebook builds the lab's discriminator, works out which part of the image each of its
# verdicts is about, and watches those verdicts before and after a few steps of training.
#
# ## What you'll learn
#
# - How the discriminator reuses the generator's downsampling block, and why it ends in a
#   $30 \times 30$ grid of verdicts instead of one number.
# - How to compute a network's receptive field layer by layer, and why each verdict is about a
#   $70 \times 70$ patch.
# - How to read the discriminator's output as a heat map over the image.
# - What a discriminator learns first.
#
# ## What you'll need
#
# - Notebook 3 (the downsampling block and instance normalisation).
# - About 10 minutes. A CPU is fine: the short training at the end takes under a minute.

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
# A discriminator looks at an image and says whether it is real. The CycleGAN has two:
# `monet_discriminator` (the paper's $D_Y$) tells real Monet paintings from the Monet generator's
# fakes, and `photo_discriminator` ($D_X$) does the same for photos. Both are the same network.
#
# It starts like the generator's encoder, with notebook 3's `downsample` block: three stride-2
# steps (64, 128 and 256 filters, the first without normalisation) take the image from
# $256 \times 256 \times 3$ to $32 \times 32 \times 256$. Then two convolutions with stride 1,
# each after one pixel of zero padding (`ZeroPadding2D()`): a $4 \times 4$ one to 512 channels,
# without bias, with instance norm and `LeakyReLU(negative_slope=0.3)`, and a last $4 \times 4$ one
# to a single channel. That last one keeps its bias and has no activation: its output is a
# *logit*, above 0 for "real", below 0 for "fake".
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
# About twenty times fewer than the generator. Block by block:

# %%
print(layer_table(discriminator))

# %%
total = discriminator.count_params()
for part, count in params_by_part(discriminator).items():
    print(f"{part:<8} {count:>10,}  {count / total:6.1%}")

# %% [markdown]
# ("encoder" is the three down blocks.) The largest layer is the stride-1 convolution from 256 to
# 512 channels: $4 \times 4 \times 256 \times 512 = 2{,}097{,}152$ weights.

# %% [markdown]
# ## Judge patches, not images
#
# Load a few paintings and photos, and give the discriminator a batch of one painting:

# %%
folders = find_data(DATA_DIR)
monet = normalize(load_folder(folders.monet, limit=N_TRAIN + 1)).numpy()  # (n, 256, 256, 3) in [-1, 1]
photo = normalize(load_folder(folders.photo, limit=N_TRAIN + 1)).numpy()
monet, photo = monet[rng.permutation(len(monet))], photo[rng.permutation(len(photo))]
batch = monet[:1]  # one painting: (1, 256, 256, 3)
print(discriminator(batch).shape)

# %% [markdown]
# The answer is not one number but a $30 \times 30$ grid of them. Follow the size through the
# layers with the rule for a convolution with kernel $k$, stride $s$ and $p$ zeros of padding in
# all: $n_\text{out} = \lfloor (n_\text{in} + p - k) / s \rfloor + 1$. The three blocks with
# `padding="same"` halve: $256 \to 128 \to 64 \to 32$. Padding adds one pixel on each side,
# $32 \to 34$; the $4 \times 4$ convolution with stride 1 takes $34 \to 31$; padding again,
# $31 \to 33$; the last convolution, $33 \to 30$.
#
# Each of the 900 numbers is the verdict on one region of the image, and the loss averages over
# them. This is a **PatchGAN** (pix2pix, Isola et al., 2017). It suits style: brush strokes,
# colour and texture can be judged from a small piece of a painting, while the layout of the scene
# is what the generator must *keep*, which the cycle loss watches over. Its weights also work on
# images of any size. A logit $\ell$ becomes $P(\text{real}) = \sigma(\ell) = 1 / (1 + e^{-\ell})$.

# %% [markdown]
# ## Compute the receptive field
#
# Which pixels does one of the 900 verdicts depend on? Its *receptive field*. Walk through the
# layers, keeping two numbers: $r$, the side of the square of input pixels one value of the current
# feature map depends on, and $j$ (the *jump*), the distance in input pixels between two neighbouring
# values of that map. At the input, $r_0 = 1$ and $j_0 = 1$. A layer with kernel $k$ and stride $s$
# gives
#
# $$r_\text{out} = r_\text{in} + (k - 1)\, j_\text{in}, \qquad j_\text{out} = j_\text{in} \, s .$$
#
# A kernel of size $k$ reaches $k - 1$ neighbours further, which are $j_\text{in}$ input pixels
# apart; the stride spaces the next map's values $s$ times further. Pixel-wise layers
# (normalisation, activations) change nothing. Zero padding of $p$ pixels moves the start of the
# top-left field $p \, j_\text{in}$ pixels over the edge of the image.
#
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
# By hand: $r = 1 \to 4 \to 10 \to 22$ after the three blocks (and $j = 8$), then
# $22 + 3 \cdot 8 = 46$ and $46 + 3 \cdot 8 = 70$. **Each verdict is about a $70 \times 70$ patch**,
# the size the CycleGAN paper uses, and neighbouring verdicts are 8 pixels apart, so the patches
# overlap a lot. How many patches contain each pixel? Count them:

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
# A pixel lies in 8 or 9 verdict rows times 8 or 9 verdict columns of patches, so in
# $8 \times 8$, $8 \times 9$ or $9 \times 9$ of them. The patches reach 23 pixels past each edge,
# into the padding, symmetrically.
#
# Here is the patch of one verdict, the one in row 12 and column 17, and of its right-hand
# neighbour, on a real painting:

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
# One caveat. The $70 \times 70$ field is what the *convolutions* see. Instance normalisation
# subtracts each channel's mean and divides by its spread over the *whole* image, so pixels outside
# the patch still nudge the verdict a little, through those two numbers per channel. The gradient
# of one verdict with respect to every input pixel shows how much each pixel matters:

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
# The printed ratio says how much more a pixel inside the square matters than one outside. Inside,
# the centre outweighs the rim (the next line): central pixels reach the verdict through more
# paths. Outside, what gradient there is comes through the normalisation.

# %% [markdown]
# ## Read the verdicts of an untrained discriminator
#
# `monet_discriminator` judges real Monet paintings and the Monet generator's fakes. An untrained
# generator, as in notebook 3, makes its grey fakes from our photos:

# %%
monet_generator = build_generator(name="monet_generator")
fake_monet = np.concatenate([monet_generator(photo[i:i + 4], training=False).numpy()
                             for i in range(0, len(photo), 4)])
print("fakes:", fake_monet.shape, f"values within {np.abs(fake_monet).max():.4f} of 0, the middle grey")

# %% [markdown]
# Three images the discriminator will not be trained on: a real painting, a real photo, and the
# fake made from that photo. `show_patch_map` lays the 30 x 30 verdicts over each image, each at
# the centre of its patch: red for "real", blue for "fake", clear where undecided.

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
# Undecided everywhere, for the reason of notebook 3: the weights and the normalisation's scales
# $\gamma$ start as $\mathcal{N}(0, 0.02^2)$, so the signal shrinks layer after layer.

# %% [markdown]
# ## Train the discriminator for a few steps
#
# Training teaches `monet_discriminator` to answer "real" (1) for Monet paintings $y$ and "fake" (0)
# for the fakes $G(x)$. Its loss, `discriminator_loss`, in the notation of notebook 1:
#
# $$\mathcal{L}_{D_Y} = \tfrac12\big[\operatorname{mean}\text{BCE}\big(1, D_Y(y)\big) + \operatorname{mean}\text{BCE}\big(0, D_Y(G(x))\big)\big],$$
#
# each mean over the batch and the 900 patches. An undecided discriminator ($\ell = 0$) scores
# $\log 2 \approx 0.693$. We train a few steps with the lab's optimiser, Adam($2 \cdot 10^{-4}$,
# $\beta_1 = 0.5$), on one painting as "real" and, as "fake", one photo and the fake made from it.
# (In the CycleGAN it only sees fakes; the photo shows whether it learns what a Monet looks like,
# or only what a fake looks like.) Each step records the mean verdict on the three images set aside.

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
# The last lines say what this run's discriminator learnt, and how far its verdicts moved. If it
# calls the photo real while it rejects the fake, it has learnt the easiest difference in what it
# was shown, structure against flat grey, and not yet what makes a Monet a Monet; the spread says
# how unevenly its 900 verdicts moved.
#
# A discriminator that rejects grey fakes hands the generator a useful gradient: make something
# with structure. As the fakes improve, it has to find subtler differences, brush strokes and
# colour. Notebook 5 writes down the losses of this game, and notebook 6 plays it.

# %% [markdown]
# ## On your own
#
# **Exercise 2 (predict, then run).** What shape is the output of `build_discriminator(image_size=128)`
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
# **Exercise 3 (predict).** Suppose the discriminator had one more $4 \times 4$ convolution with stride 1 at the
# end. How large would each patch be? The check measures it: on a stand-in with the same convolutions
# and every weight 1, the gradient of one verdict reaches exactly the pixels of its patch.

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
# as the "fake" images. When does the photo stop looking real to the discriminator?
#
# <details><summary>Solution</summary>
#
# Make the second run's `not_monet` a batch of two photos, e.g. `photo[[i, (i + 1) % N_TRAIN]]`,
# and rebuild `discriminator` and `optimizer` first so both runs start alike. With grey fakes among
# the negatives, the easy difference (structure against flat grey) is learnt first and the photo
# can stay "real" for long; with only photos as negatives, the only thing left to learn is what
# separates a Monet from a photo, so the photo's mean logit should fall below 0 sooner. Read it off
# the right-hand plot, not from this text: with ten images of each, it can vary from seed to seed.
#
# </details>

# %% [markdown]
# ## Further reading
#
# - Isola et al., *Image-to-Image Translation with Conditional Adversarial Networks* (pix2pix; the
#   PatchGAN is in its section 3.2.2), 2017: [arXiv:1611.07004](https://arxiv.org/abs/1611.07004).
# - Zhu et al., *Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks*
#   (CycleGAN, 70x70 PatchGANs), 2017: [arXiv:1703.10593](https://arxiv.org/abs/1703.10593).
# - Li and Wand, *Precomputed Real-Time Texture Synthesis with Markovian Generative Adversarial
#   Networks*, 2016: [arXiv:1604.04382](https://arxiv.org/abs/1604.04382).
# - Araujo, Norris and Sim, *Computing Receptive Fields of Convolutional Neural Networks*, Distill,
#   2019: [distill.pub/2019/computing-receptive-fields](https://distill.pub/2019/computing-receptive-fields/).
# - Luo et al., *Understanding the Effective Receptive Field in Deep Convolutional Neural Networks*,
#   2016: [arXiv:1701.04128](https://arxiv.org/abs/1701.04128).
# - Keras documentation: [ZeroPadding2D](https://keras.io/api/layers/reshaping_layers/zero_padding2d/),
#   [binary cross-entropy](https://keras.io/api/losses/probabilistic_losses/).
