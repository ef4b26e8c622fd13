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

from cyclegan_lab import build_discriminator, build_generator, discriminator_loss, find_data, load_folder, normalize
from cyclegan_lab.architecture import (layer_table, params_by_part, patch_box, receptive_field,
                                       receptive_field_steps, show_patch_map)

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
# fakes, and `photo_discriminator` ($D_X$) does the same for photos. Both are this network:

# %%
Code(inspect.getsource(build_discriminator), language="python")

# %% [markdown]
# It starts like the generator's encoder, with the same `downsample` block from notebook 3: three
# stride-2 steps take the image from $256 \times 256 \times 3$ to $32 \times 32 \times 256$ (the
# first, again, without normalisation). Then, instead of shrinking further, two convolutions with
# stride 1 look around a little more: one to 512 channels, with instance norm and LeakyReLU, and a
# last one to a single channel. Each gets one pixel of zeros around its input first
# (`ZeroPadding2D`). The last convolution has no normalisation and no activation, so it keeps its
# bias, and its output is a *logit*: any real number, above 0 for "real", below 0 for "fake".

# %%
discriminator = build_discriminator(name="monet_discriminator")
print(f"{discriminator.count_params():,}")

# %% [markdown]
# 2,765,569 parameters, as in the original lab: twenty times fewer than the generator. Block by
# block:

# %%
print(layer_table(discriminator))

# %%
total = discriminator.count_params()
for part, count in params_by_part(discriminator).items():
    print(f"{part:<8} {count:>10,}  {count / total:6.1%}")

# %% [markdown]
# ("encoder" is the three down blocks.) Three quarters of the parameters sit in one layer, the
# stride-1 convolution from 256 to 512 channels: $4 \times 4 \times 256 \times 512 = 2{,}097{,}152$ weights.

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
# Each of the 900 numbers is the verdict on one region of the image, and the discriminator's loss
# averages over all of them. This design is called a **PatchGAN** (pix2pix, Isola et al., 2017). It
# suits style: what makes a painting look like a Monet (brush strokes, colour, texture) can be
# judged from a small piece of it, while the overall layout of the scene is what the generator
# must *keep* from the photo, and the cycle-consistency loss (notebook 5) watches over that. A
# patch discriminator also needs far fewer parameters than one that looks at the whole image, and
# its weights work on images of any size (`build_discriminator(image_size=...)`).
#
# A logit $\ell$ becomes a probability of "real" with the sigmoid,
# $P(\text{real}) = \sigma(\ell) = 1 / (1 + e^{-\ell})$: $\ell = 0$ is 50%, undecided.

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
# A kernel of size $k$ reaches $k - 1$ neighbours further, and neighbours of the current map are
# $j_\text{in}$ input pixels apart; the stride spaces the next map's values $s$ times further.
# Layers that work pixel by pixel (normalisation, activations) have $k = s = 1$ and change
# nothing. We also track where the field of the top-left value starts: zero padding of $p$ pixels
# moves it $p \, j_\text{in}$ pixels up and to the left, over the edge of the image.
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
# By hand: $r = 1 \to 1 + 3 \cdot 1 = 4 \to 4 + 3 \cdot 2 = 10 \to 10 + 3 \cdot 4 = 22$ after the
# three blocks (and $j = 8$), then $22 + 3 \cdot 8 = 46$ and $46 + 3 \cdot 8 = 70$ after the two
# stride-1 convolutions. **Each verdict is about a $70 \times 70$ patch**, the size the CycleGAN
# paper uses, and neighbouring verdicts are 8 pixels apart. So the patches overlap a lot: a pixel
# in the middle of the image lies in $9 \times 9 = 81$ or $8 \times 8 = 64$ of them. The first
# patch starts 23 pixels outside the image (in the padding) and the last ends 23 pixels outside, so
# the 30 patches of a row cover $-23$ to $279$ symmetrically.
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
print(f"share of the gradient inside the 70x70 patch: {influence[in_patch].sum() / influence.sum():.1%}")
print(f"average per pixel, inside / outside: {influence[in_patch].mean() / influence[~in_patch].mean():.0f}")

figure, ax = plt.subplots(figsize=(5, 4.6))
shown = ax.imshow(np.log10(influence + 1e-12), cmap="magma", vmin=np.log10(influence.max()) - 4)
ax.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False, color="cyan", linewidth=1.5))
figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.04, label="log10 |gradient|")
ax.set_title(f"How much each pixel moves verdict ({ROW}, {COL})")
ax.axis("off")
plt.show()

# %% [markdown]
# Inside the square a pixel matters nearly a hundred times more than outside, and most near the
# centre: the pixels in the middle of a patch reach the verdict through more paths than those at its
# edge. Outside, the gradient is small but not zero: that is the normalisation. There are so many
# pixels outside, though, that together they still carry a noticeable share.

# %% [markdown]
# ## Read the verdicts of an untrained discriminator
#
# For a CycleGAN's `monet_discriminator`, the images to judge are real Monet paintings and the
# fakes the Monet generator makes from photos. We build a generator as in notebook 3, untrained, and
# let it make its grey fakes from our photos:

# %%
monet_generator = build_generator(name="monet_generator")
fake_monet = np.concatenate([monet_generator(photo[i:i + 4], training=False).numpy()
                             for i in range(0, len(photo), 4)])
print("fakes:", fake_monet.shape)

# %% [markdown]
# Three images the discriminator will not be trained on: a real painting, a real photo, and the
# generator's fake made from that photo. `show_patch_map` lays the 30 x 30 verdicts over each
# image, each at the centre of its patch: red for "real", blue for "fake", fading to clear where
# the verdict is undecided (a strip along the border, closer to the edge than any patch centre,
# stays clear too). The same colour scale is used for every map in this notebook.

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

# %% [markdown]
# Every verdict is within a hundredth or so of 0, $P(\text{real}) \approx 0.5$: undecided,
# everywhere, on every image. The reason is the one from notebook 3: the weights start as
# $\mathcal{N}(0, 0.02^2)$ and so do the normalisation's scales $\gamma$, so the signal shrinks
# layer after layer. What little variation there is comes from the random weights and means nothing.

# %% [markdown]
# ## Train the discriminator for a few steps
#
# Training teaches `monet_discriminator` to answer "real" (1) for Monet paintings $y$ and "fake" (0)
# for anything else $\hat{y}$. Its loss, `discriminator_loss`, is the binary cross-entropy of each
# verdict against its target, averaged over the 900 patches, and halved:
#
# $$\mathcal{L}_D = \tfrac{1}{2}\left[\mathrm{BCE}\big(1, D(y)\big) + \mathrm{BCE}\big(0, D(\hat{y})\big)\right],
# \qquad \mathrm{BCE}(t, \ell) = -\big[t \log \sigma(\ell) + (1 - t) \log\big(1 - \sigma(\ell)\big)\big].$$
#
# An undecided discriminator ($\ell = 0$) scores $\log 2 \approx 0.693$. Notebook 5 looks at the
# losses in detail. Here we train for a few steps with the lab's optimiser, Adam with learning rate
# $2 \cdot 10^{-4}$ and $\beta_1 = 0.5$, on one painting as "real" and, as "fake", one photo and
# the generator's fake of it. (In the CycleGAN it only ever sees the generator's fakes; we add the
# photo to find out whether it learns what a Monet looks like, or only what a fake looks like.) Each
# step also records the mean verdict on the three images set aside.

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

# %% [markdown]
# In the full setting (20 steps; the quick setting's 2 steps barely move anything) the loss has
# started to fall below $\log 2$ and the verdicts have split: the fake's patches drift towards
# "fake", the painting's towards "real". But look at the photo: the discriminator calls it real
# too, about as confidently as the painting, sometimes more. In a few steps it has learnt the
# easiest difference in what it was shown, an image with structure against a flat grey one, and not
# yet what makes a Monet a Monet. Nor is its confidence spread evenly: some patches convinced it
# sooner than others, which is exactly the freedom a grid of verdicts gives it.
#
# The same happens at the start of a CycleGAN's training. The discriminator first rejects the
# generator's grey fakes, and that hands the generator its first useful gradient: make something
# with structure. As the fakes improve, the easy differences disappear and the discriminator has to
# find subtler ones, brush strokes and colour, which takes hundreds of steps. Notebook 5 writes down
# the losses of this game, and notebook 6 plays it.
#
# ## On your own
#
# 1. Build `build_discriminator(image_size=128)`. How large is its grid of verdicts, and how large
#    is each patch? Check with `receptive_field_steps`.
# 2. Train for longer (`TRAIN_STEPS = 100`), once as above and once with only photos as the
#    "fake" images. When, if ever, does the photo stop looking real to the discriminator?
#
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
