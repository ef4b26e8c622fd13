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
# # 3. The generator: a U-Net
#
# This notebook builds the lab's generator, the network that repaints a photo as a Monet, from its
# two building blocks, follows an image through it layer by layer, and looks at what it makes
# before any training.
#
# ## What you'll learn
#
# - How a strided convolution halves an image and a transposed convolution doubles it.
# - What instance normalisation computes, why Keras 3 spells it `GroupNormalization(groups=-1)`,
#   and why the convolutions before it need no bias.
# - How the U-Net's skip connections join the encoder to the decoder, and where its 54 million
#   parameters sit.
# - Why an untrained generator paints a flat grey image.
#
# ## What you'll need
#
# - Notebook 2 (the data) is helpful: this one loads two photos the same way.
# - About 10 minutes. A CPU is fine: nothing is trained here.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook

# %%
import inspect
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Code

from cyclegan_lab import find_data, load_folder, normalize, show_images
from cyclegan_lab.models import ReflectionPadding, build_resnet_generator, instance_norm
from cyclegan_lab.teaching.drawings import draw_unet
from cyclegan_lab.teaching.exercises import check, check_function, reveal
from cyclegan_lab.teaching.implementations import check_implementation
from cyclegan_lab.teaching.inspect_model import layer_rows, layer_table, params_by_kind, params_by_part
from cyclegan_lab.teaching.parameters import check_parameter

DATA_DIR = check_parameter("DATA_DIR", DATA_DIR, path=True, optional=True)
SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
SEED = check_parameter("SEED", SEED, whole=(0, 2**32 - 1))
SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"

N_LOADED = 4 if SMOKE else 32  # photos read from disk; two of them are shown
keras.utils.set_random_seed(SEED)  # the weights of every layer built below
rng = np.random.default_rng(SEED)

# %% [markdown]
# ## Look at the plan
#
# The generator takes a $256 \times 256$ RGB image with values in $[-1, 1]$ and returns another
# image of the same size and range. Inside, it has the shape of a **U**:
#
# - the **encoder** (left arm) applies 8 *downsampling* blocks; each halves the height and width,
#   $256 \to 128 \to \dots \to 1$, while the channels grow from 3 to 512;
# - the **decoder** (right arm) applies 7 *upsampling* blocks that double the size back to 128, and
#   a last layer that returns to $256 \times 256 \times 3$;
# - **skip connections** (the bars of the U) hand each encoder output straight to the decoder step
#   of the same size, so fine detail does not have to squeeze through the $1 \times 1$ bottleneck.
#
# This design comes from U-Net (Ronneberger et al., 2015) by way of pix2pix (Isola et al., 2017).
# The CycleGAN paper used a ResNet generator instead.

# %% [markdown]
# ## Build the downsampling block
#
# One encoder step is three layers in a row: a convolution with stride 2, an instance
# normalisation, and a LeakyReLU.
#
# **A convolution with stride 2.** A `Conv2D` slides a $4 \times 4$ window over the image 2 pixels
# at a time, so with `padding="same"` an $n \times n$ map becomes $\lceil n/2 \rceil \times \lceil n/2 \rceil$:
# the network learns how to shrink (the DCGAN recipe). The weights start as $\mathcal{N}(0, 0.02^2)$.
#
# **No bias.** The instance normalisation that follows subtracts each channel's mean, which
# removes any constant a bias would add: a bias could never matter. We check that below.
#
# **LeakyReLU.** $x$ for $x > 0$ and $0.3\,x$ otherwise: unlike ReLU it lets a little signal, and
# gradient, through for negative inputs.
#
# The first block has no normalisation (`apply_norm=False`), as in pix2pix, so the photo's overall
# brightness and colour survive into the network.
#
# **Exercise 1 (implement).** Write `downsample(filters, size=4, apply_norm=True)`: it returns a
# `keras.Sequential` of a `Conv2D(filters, size)` with stride 2, `padding="same"` and no bias; an
# instance normalisation, `keras.layers.GroupNormalization(groups=-1, epsilon=1e-3)` (the next
# section says why), only if `apply_norm`; and `keras.layers.LeakyReLU(negative_slope=0.3)`. The
# check builds yours and the lab's, gives both the same weights and compares what they compute.

# %% tags=["exercise", "implement"]
downsample = None  # replace with your function: def downsample(filters, size=4, apply_norm=True): ...


# %% tags=["solution"] jupyter={"source_hidden": true}
def downsample(filters, size=4, apply_norm=True):
    """Solution: the three layers in order; the normalisation only when asked."""
    block = keras.Sequential()
    block.add(keras.layers.Conv2D(filters, size, strides=2, padding="same", use_bias=False))
    if apply_norm:
        block.add(keras.layers.GroupNormalization(groups=-1, epsilon=1e-3))
    block.add(keras.layers.LeakyReLU(negative_slope=0.3))
    return block


# %%
check_implementation("downsample", downsample)
from cyclegan_lab.models import downsample  # the lab's, from here on (the same as yours once it is Correct!)

# %% [markdown]
# Call the lab's block on one random image:

# %%
block = downsample(64)
x = rng.uniform(-1, 1, size=(1, 256, 256, 3)).astype("float32")
print("in: ", x.shape)
print("out:", block(x).shape)
for layer in block.layers:
    print(f"  {type(layer).__name__:<20} {str(tuple(layer.output.shape)):<22} parameters {layer.count_params():,}")

# %% [markdown]
# The convolution has $4 \times 4 \times 3 \times 64 = 3{,}072$ weights; the normalisation has two per
# channel ($\gamma$ and $\beta$, see next section), 128 in all.

# %% [markdown]
# ## Normalise each image, channel by channel
#
# **Instance normalisation** rescales every channel of every image on its own. For image $b$ and
# channel $c$ of a feature map $x$ with height $H$ and width $W$:
#
# $$\mu_{bc} = \frac{1}{HW} \sum_{h=1}^{H} \sum_{w=1}^{W} x_{bhwc}, \qquad
# \sigma^2_{bc} = \frac{1}{HW} \sum_{h,w} \left(x_{bhwc} - \mu_{bc}\right)^2,$$
#
# $$y_{bhwc} = \gamma_c \, \frac{x_{bhwc} - \mu_{bc}}{\sqrt{\sigma^2_{bc} + \epsilon}} + \beta_c .$$
#
# After it, each channel of each image has mean $\beta_c$ and standard deviation about $|\gamma_c|$,
# both learned; $\epsilon = 10^{-3}$ guards against dividing by zero. Nothing is averaged over the
# batch, so the layer behaves the same with a batch of one image, the lab's setting. For style
# transfer it also removes each image's own contrast and brightness per channel, which a new
# style should decide (Ulyanov et al., 2016).
#
# Keras 3 has no `InstanceNormalization` layer (it lived in the dead TensorFlow Addons).
# `GroupNormalization` normalises over the pixels *and* the channels of each group of channels:
# with one group per channel, `groups=-1`, that is instance normalisation; with `groups=1` it is
# **layer normalisation**, one mean and variance per image, a bug seen in ports of this lab:

# %%
Code(inspect.getsource(instance_norm), language="python")

# %% [markdown]
# Let us check the formula on a small tensor: 2 images of $4 \times 4$ pixels with 3 channels, each
# channel with its own mean and spread. We use fresh layers with $\gamma = 1, \beta = 0$ (the Keras
# defaults) to see the bare normalisation.

# %%
x = rng.normal(loc=[5.0, -2.0, 0.5], scale=[3.0, 0.5, 10.0], size=(2, 4, 4, 3)).astype("float32")
as_instance = keras.layers.GroupNormalization(groups=-1, epsilon=1e-3)  # one group per channel
as_layer = keras.layers.GroupNormalization(groups=1, epsilon=1e-3)  # one group for all channels


def per_channel_stats(name, values):
    """Print mean and standard deviation over the pixels, for each image and channel."""
    values = np.asarray(values)
    print(name)
    for b in range(values.shape[0]):
        means = values[b].mean(axis=(0, 1))
        stds = values[b].std(axis=(0, 1))
        print(f"  image {b}: mean {np.array2string(means, precision=3, suppress_small=True)}"
              f"  std {np.array2string(stds, precision=3)}")


per_channel_stats("input", x)
per_channel_stats("instance norm (groups=-1)", as_instance(x))
per_channel_stats("layer norm (groups=1)", as_layer(x))
for name, layer in [("instance norm", as_instance), ("layer norm", as_layer)]:
    out = np.asarray(layer(x))
    means, stds = out.mean(axis=(1, 2)), out.std(axis=(1, 2))  # per image and channel
    print(f"{name}: every (image, channel) has mean 0 and std 1 (to 0.01): "
          f"{bool(np.all(np.abs(means) < 0.01) and np.all(np.abs(stds - 1) < 0.01))}; "
          f"channel means {means.min():+.2f}..{means.max():+.2f}, stds {stds.min():.2f}..{stds.max():.2f}")

# %% [markdown]
# The last two lines sum it up: instance normalisation puts every channel of every image on the
# same footing; layer normalisation only the image as a whole, so its channels keep their
# differences.

# %% [markdown]
# Why not **batch normalisation**, the usual choice in classifiers? It averages each channel over
# the whole batch, and the lab trains with a batch of one image. While training, batch norm then
# normalises with that one image's statistics (the same numbers as instance norm); at test time it
# uses the running averages it collected instead, so the network computes something else than it
# was trained to. Instance norm does the same in training and in use:

# %%
one_image = x[:1]
batch_norm = keras.layers.BatchNormalization(epsilon=1e-3)
while_training = np.asarray(batch_norm(one_image, training=True))  # one step: its moving averages barely move
at_test_time = np.asarray(batch_norm(one_image, training=False))
instance = np.asarray(as_instance(one_image))
print(f"batch norm while training vs instance norm, largest difference: {np.abs(while_training - instance).max():.4f}")
print(f"batch norm at test time vs instance norm, largest difference:   {np.abs(at_test_time - instance).max():.4f}")

# %% [markdown]
# And here is why the convolutions need no bias: adding a constant to each channel (what a bias
# does) leaves the normalised output unchanged.

# %%
bias = np.array([1.0, -4.0, 20.0], dtype="float32")
change = np.abs(np.asarray(as_instance(x + bias)) - np.asarray(as_instance(x))).max()
print(f"largest change after adding a bias: {change:.1e}")

# %% [markdown]
# The lab's layer differs from these in one detail: its scale $\gamma$ starts not at 1 but drawn
# from $\mathcal{N}(0, 0.02^2)$, like the convolution weights. This is a quirk of the Kaggle
# notebook the lab copies; TensorFlow's CycleGAN tutorial starts $\gamma$ at $\mathcal{N}(1, 0.02^2)$,
# and Keras' default is 1. Remember it for the end of the notebook.

# %%
norm = instance_norm()
norm.build((None, 4, 4, 3))
print("gamma at the start:", np.round(np.asarray(norm.gamma), 4))
print("beta at the start: ", np.asarray(norm.beta))

# %% [markdown]
# ## Build the upsampling block
#
# The decoder's step mirrors the encoder's: a transposed convolution with stride 2, an instance
# normalisation, in some blocks a dropout, and a ReLU.
#
# **A transposed convolution with stride 2.** `Conv2DTranspose` runs the strided convolution
# backwards: each input value *stamps* the $4 \times 4$ kernel, scaled by the value, onto the
# output; stamps of neighbouring inputs, 2 pixels apart, overlap and add up, and an $n \times n$
# map becomes $2n \times 2n$. With a kernel of ones:

# %%
stamp = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", kernel_initializer="ones", use_bias=False)
for inputs in ([[1, 0], [0, 0]], [[1, 1], [0, 0]]):
    single = np.array(inputs, dtype="float32").reshape(1, 2, 2, 1)
    print("input", inputs, "->")
    print(np.asarray(stamp(single))[0, :, :, 0].astype(int))

# %% [markdown]
# Where two stamps overlap the values add up (the 2s above).
#
# **Dropout(0.5), in the first three decoder blocks.** In training each value is zeroed with
# probability 0.5 and the others doubled: pix2pix's stand-in for the random noise a GAN generator
# usually gets. pix2pix keeps it on at test time too, as its only source of randomness; this
# course, like the lab, switches it off outside training, so a photo always gets the same painting:

# %%
dropout = keras.layers.Dropout(0.5)
z = rng.normal(size=(1, 8)).astype("float32")
train_a, train_b = np.asarray(dropout(z, training=True)), np.asarray(dropout(z, training=True))
use_a, use_b = np.asarray(dropout(z, training=False)), np.asarray(dropout(z, training=False))
print("input:              ", np.round(z[0], 2))
print("training=True:      ", np.round(train_a[0], 2))
print("training=True again:", np.round(train_b[0], 2))
print("two calls with training=True give the same output: ", np.array_equal(train_a, train_b))
print("two calls with training=False give the same output:", np.array_equal(use_a, use_b))

# %% [markdown]
# **ReLU.** $\mathrm{ReLU}(x) = \max(x, 0)$: the decoder uses the plain version, as in pix2pix.
#
# **Exercise 2 (implement).** Write `upsample(filters, size=4, apply_dropout=False)`: a
# `keras.Sequential` of a `Conv2DTranspose(filters, size)` with stride 2, `padding="same"` and no
# bias; an instance normalisation, as in `downsample`; `keras.layers.Dropout(0.5)` only if
# `apply_dropout`; and a ReLU.

# %% tags=["exercise", "implement"]
upsample = None  # replace with your function: def upsample(filters, size=4, apply_dropout=False): ...


# %% tags=["solution"] jupyter={"source_hidden": true}
def upsample(filters, size=4, apply_dropout=False):
    """Solution: the mirror of downsample, with dropout when asked and a plain ReLU."""
    block = keras.Sequential()
    block.add(keras.layers.Conv2DTranspose(filters, size, strides=2, padding="same", use_bias=False))
    block.add(keras.layers.GroupNormalization(groups=-1, epsilon=1e-3))
    if apply_dropout:
        block.add(keras.layers.Dropout(0.5))
    block.add(keras.layers.ReLU())
    return block


# %%
check_implementation("upsample", upsample)
from cyclegan_lab.models import upsample  # the lab's, from here on

# %% [markdown]
# ## Assemble the U-Net
#
# The generator stacks the blocks. For a $256 \times 256$ image the encoder has 8 downsampling
# blocks with 64, 128, 256, then 512 filters (the first without normalisation) and keeps every
# output in a list of skips; the decoder walks them in reverse, without the $1 \times 1$
# bottleneck: each of its 7 upsampling blocks has as many filters as the skip it meets (dropout in
# the first three), and its output is concatenated with that skip. A last `Conv2DTranspose` to 3
# channels, $4 \times 4$ with stride 2, and a $\tanh$ gives an image in $[-1, 1]$.
#
# **Exercise 3 (implement).** Write `build_generator(image_size=256, filters=64)` with Keras'
# functional API: `inputs = keras.Input(shape=(image_size, image_size, 3))`, then the blocks, and
# `keras.Model(inputs, outputs)`. `image_size` is a power of two, so there are
# $\log_2(\text{image\_size})$ downsampling blocks; `filters` is the first block's, doubling up
# to 8 times it. The check builds yours and the lab's at $32 \times 32$ with 8 filters.

# %% tags=["exercise", "implement"]
build_generator = None  # replace with your function: def build_generator(image_size=256, filters=64): ...


# %% tags=["solution"] jupyter={"source_hidden": true}
def build_generator(image_size=256, filters=64):
    """Solution: down to 1x1 keeping every output, back up joined to the skip of each size, then tanh."""
    inputs = keras.Input(shape=(image_size, image_size, 3))
    x, skips = inputs, []
    for level in range(int(np.log2(image_size))):
        x = downsample(min(filters * 2**level, filters * 8), apply_norm=level > 0)(x)
        skips.append(x)
    for level, skip in enumerate(reversed(skips[:-1])):
        x = upsample(skip.shape[-1], apply_dropout=level < 3)(x)
        x = keras.layers.Concatenate()([x, skip])
    outputs = keras.layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(inputs, outputs)


# %%
check_implementation("build_generator", build_generator)
from cyclegan_lab.models import build_generator  # the lab's, from here on

# %% [markdown]
# The lab's `build_generator` also names the network, and can take images of any multiple of its
# size (`any_size=True`, notebook 7 uses it):

# %%
generator = build_generator(name="monet_generator")
print(f"{generator.count_params():,}")
print("the original lab's generator has 54,414,979 parameters:", generator.count_params() == 54_414_979)

# %% [markdown]
# The CycleGAN has two of these: `monet_generator` (photo to Monet, the paper's $G$) and
# `photo_generator` (Monet to photo, $F$).

# %% [markdown]
# ## Follow the shapes through the network
#
# One row per block: its name, what it is made of, the shape of its output (height x width x
# channels, per image) and its parameters. Each `skip` row is a concatenation: the up block just
# above it plus the encoder output it names.

# %%
print(layer_table(generator))

# %% [markdown]
# Read it as the letter U. Going down, each block halves the size and (up to 512) doubles the
# channels. Coming up, each concatenation doubles the channels with the encoder's copy, so the next
# up block reads twice as many channels as the previous one produced.
#
# ## Draw the architecture
#
# One box per feature map, input on the left; a box's height grows with its size, its width with
# its channels. In the decoder, orange is what the up block made, light blue the skip's copy.

# %%
draw_unet(generator)
plt.show()

# %% [markdown]
# ## Count the parameters
#
# A convolution with a $k \times k$ kernel from $C_\text{in}$ to $C_\text{out}$ channels has
# $k^2 C_\text{in} C_\text{out}$ weights, whatever the image size. So the parameters gather where the
# channels are many, deep in the U, although those layers handle the smallest maps:

# %%
total = generator.count_params()
print("by part")
for part, count in params_by_part(generator).items():
    print(f"  {part:<8} {count:>12,}  {count / total:6.1%}")
print("by kind of weight")
for kind, count in params_by_kind(generator).items():
    print(f"  {kind:<8} {count:>12,}  {count / total:6.2%}")

# %%
rows = [row for row in layer_rows(generator) if row.params]
figure, ax = plt.subplots(figsize=(10, 3.2))
colours = ["#4C72B0" if row.name.startswith("down") else "#DD8452" for row in rows]
ax.bar([row.name for row in rows], [row.params / 1e6 for row in rows], color=colours)
ax.set_ylabel("parameters (millions)")
ax.set_title("Parameters per block: encoder in blue, decoder in orange")
ax.tick_params(axis="x", rotation=45)
figure.tight_layout()
plt.show()

# %% [markdown]
# Almost all the parameters are convolution kernels. A $512 \to 512$ encoder block has
# $4^2 \times 512 \times 512 = 4{,}194{,}304$ weights; the decoder blocks that read 1024
# concatenated channels weigh twice as much. The cost in computation is counted differently: a
# convolution's work is its weights times the number of places it is applied (multiply-adds, MACs).
# A stride-2 convolution is applied once per output pixel; a stride-2 transposed convolution once
# per *input* pixel, a quarter of its output's. Where does the work sit?

# %%
def block_macs(row):
    """Multiply-adds of one block: its weights times the places its convolution is applied."""
    height, width = row.shape[:2]
    places = height * width if row.name.startswith("down") else (height // 2) * (width // 2)
    return row.params * places


work = {row.name: block_macs(row) for row in rows}
all_work = sum(work.values())
for name, macs in sorted(work.items(), key=lambda item: -item[1])[:4]:
    print(f"{name:<7} {macs / 1e9:5.2f} GMAC  {macs / all_work:5.1%}")
print(f"down 1 (thin, at full size): {work['down 1'] / 1e6:.0f} MMAC; output layer: {work['output'] / 1e6:.0f} MMAC; "
      f"all: {all_work / 1e9:.2f} GMAC")
decoder = sum(macs for name, macs in work.items() if name.startswith("up"))
print(f"the decoder's up blocks: {decoder / all_work:.0%} of the work")

# %% [markdown]
# Neither the deep blocks (many weights, few places) nor the thin ones at full size (many places,
# few weights) cost most: the work sits in the decoder's blocks at middle sizes, which read the
# concatenated channels of a skip connection at thousands of places.

# %% [markdown]
# ## Run the untrained generator
#
# Two real photos, through the generator as it is now, with random weights:

# %%
folders = find_data(DATA_DIR)
photos = load_folder(folders.photo, limit=N_LOADED)
pick = rng.choice(len(photos), 2, replace=False)
real_photo = normalize(photos[pick])  # (2, 256, 256, 3) in [-1, 1]
fake_monet = np.asarray(generator(real_photo, training=False))
print("input: ", real_photo.shape, "values from", float(np.min(real_photo)), "to", float(np.max(real_photo)))
print("output:", fake_monet.shape, f"values from {fake_monet.min():.4f} to {fake_monet.max():.4f},"
      f" standard deviation {fake_monet.std():.4f}")

# %%
print(f"largest |output| {np.abs(fake_monet).max():.4f}: as a colour, at most "
      f"{np.abs(fake_monet).max() * 127.5:.1f} steps of 255 away from the middle grey 128")

# %% [markdown]
# `show_images` maps 0 to the grey value 128, so an output this close to 0 looks flat grey. The
# third column stretches each output so that its largest value reaches the end of the range.

# %%
stretched = fake_monet / np.abs(fake_monet).max(axis=(1, 2, 3), keepdims=True)
show_images([real_photo[0], fake_monet[0], stretched[0], real_photo[1], fake_monet[1], stretched[1]],
            ["photo", "untrained output", "output, stretched"] * 2, ncols=3)
plt.show()

# %% [markdown]
# Two measures from `cyclegan_lab.judging.measures` (notebooks 8 and 9 explain them) say what the stretched column holds:

# %%
from cyclegan_lab.images import to_uint8
from cyclegan_lab.judging.measures import chequerboard_ratio, composition_similarity

stretched_pixels, photo_pixels = to_uint8(stretched), photos[pick]
layout = composition_similarity(stretched_pixels, photo_pixels)
print(f"layout of the stretched output vs the photo, correlation {layout:+.2f} "
      "(+1: the same light and dark masses, -1: their negative, 0: unrelated)")
print(f"period-2 energy of the stretched output: {chequerboard_ratio(stretched_pixels, photo_pixels):.0f} "
      "times the photo's (median of the two)")

# %% [markdown]
# Why grey? Every normalisation's $\gamma$ starts near $\mathcal{N}(0, 0.02^2)$, so each normalised
# block hands on values about 50 times smaller than 1, and the convolution weights are small too.
# By the last layer the values are tiny, $\tanh(\text{tiny}) \approx \text{tiny}$, and 0 is the
# middle of $[-1, 1]$: grey. A layout correlation far from 0, of either sign, is the photo showing
# through: the first block is not normalised and the skip connections carry its output across.
# Period-2 energy far above the photo's is the *checkerboard* of transposed convolutions: an
# output pixel is made by one of four quarters of the kernel, depending on whether its row and
# column are even or odd (see the stamps above), and with random weights the quarters disagree.
# The losses of notebooks 5 and 6 pull structure into this quiet start.

# %% [markdown]
# ## Look inside the first block
#
# The first block turns the photo into 64 feature maps of $128 \times 128$. Eight of them:

# %%
first_block = generator.layers[1]  # "down 1" in the table: Conv2D(64) and LeakyReLU
maps = np.asarray(first_block(real_photo[:1]))[0]  # (128, 128, 64)
print("feature maps:", maps.shape)
figure, axes = plt.subplots(2, 4, figsize=(11, 5.6))
for channel, ax in enumerate(axes.flat):
    ax.imshow(maps[:, :, channel], cmap="viridis")
    ax.set_title(f"channel {channel}")
    ax.axis("off")
figure.suptitle("Output of the first downsampling block (untrained)")
figure.tight_layout()
plt.show()

brightness = np.asarray(real_photo[0]) @ np.array([0.299, 0.587, 0.114])  # (256, 256)
half_size = brightness.reshape(128, 2, 128, 2).mean(axis=(1, 3)).ravel()  # averaged over 2x2 pixels
correlation = np.array([np.corrcoef(maps[:, :, c].ravel(), half_size)[0, 1] if maps[:, :, c].std() > 0 else 0.0
                        for c in range(maps.shape[-1])])
print(f"channels that follow the photo's brightness at half size (|correlation| > 0.5): "
      f"{(np.abs(correlation) > 0.5).sum()} of {len(correlation)}; median |correlation| {np.median(np.abs(correlation)):.2f}")

# %% [markdown]
# Each channel is one random $4 \times 4 \times 3$ filter applied every 2 pixels. With no
# normalisation after it, a channel keeps the photo's light and dark at half size, or their
# negative, as the printed count measures; training turns them into useful detectors.

# %% [markdown]
# ## The paper's generator: a ResNet
#
# The lab's U-Net comes from pix2pix. The CycleGAN paper uses another generator, after Johnson et
# al. (2016); the model shipped with this library is a variant of it (notebook 9). It keeps the
# image whole from end to end, with no skip connection that could carry the photo straight to the
# output. As the authors' code builds it (`ResnetGenerator` in their `networks.py`):
#
# 1. a 7x7 convolution to `filters` channels at full size;
# 2. two 3x3 convolutions with stride 2, down to a quarter of the size with 4 x `filters` channels;
# 3. residual blocks $x + f(x)$, where $f$ is two 3x3 convolutions: each block learns only a
#    *change* to what it is given (9 blocks for 256-pixel images in the paper);
# 4. two 3x3 *transposed* convolutions with stride 2, back to full size;
# 5. a 7x7 convolution to 3 channels and tanh.
#
# Instance norm and ReLU follow every convolution but the last. The 7x7 and the residual
# convolutions pad by *reflection* (the border mirrored), so the edges of the painting look like its
# inside; the stride-2 convolutions pad with zeros. Keras 3 has no reflection padding layer; the
# library's is a few lines:

# %%
Code(inspect.getsource(ReflectionPadding), language="python")

# %% [markdown]
# The whole generator, in plain Keras. Two details follow the authors' PyTorch: a stride-2
# convolution there pads one pixel of zeros on every side (`ZeroPadding2D(1)`, then no padding),
# and a transposed one makes $2n + 1$ pixels of which it keeps the last $2n$ (`Cropping2D`):

# %%
def reflect_conv(x, filters, size, relu=True):
    """Pad by reflection, convolve (no bias: the norm's shift does its work), instance-normalise, ReLU."""
    x = ReflectionPadding(size // 2)(x)
    x = keras.layers.Conv2D(filters, size, use_bias=False)(x)
    x = keras.layers.GroupNormalization(groups=-1, epsilon=1e-3)(x)  # instance norm
    return keras.layers.ReLU()(x) if relu else x


def norm_relu(x):
    return keras.layers.ReLU()(keras.layers.GroupNormalization(groups=-1, epsilon=1e-3)(x))


def residual_block(x, channels):
    """x + f(x): two 3x3 convolutions learn a change to x, and x itself passes through."""
    change = reflect_conv(reflect_conv(x, channels, 3), channels, 3, relu=False)
    return keras.layers.Add()([x, change])


def my_resnet_generator(filters=64, blocks=9):
    inputs = keras.Input(shape=(None, None, 3))  # any height and width that are multiples of 4
    x = reflect_conv(inputs, filters, 7)  # 1. (b, h, w, f)
    for f in (2 * filters, 4 * filters):  # 2. (b, h/2, w/2, 2f), then (b, h/4, w/4, 4f)
        x = norm_relu(keras.layers.Conv2D(f, 3, strides=2, use_bias=False)(keras.layers.ZeroPadding2D(1)(x)))
    for _ in range(blocks):  # 3.
        x = residual_block(x, 4 * filters)
    for f in (2 * filters, filters):  # 4. (b, h/2, w/2, 2f), then (b, h, w, f)
        x = keras.layers.Conv2DTranspose(f, 3, strides=2, use_bias=False)(x)  # 2n + 1 pixels
        x = norm_relu(keras.layers.Cropping2D(((1, 0), (1, 0)))(x))  # the last 2n
    x = ReflectionPadding(3)(x)
    outputs = keras.layers.Conv2D(3, 7, activation="tanh")(x)  # 5. (b, h, w, 3) in [-1, 1]
    return keras.Model(inputs, outputs)


paper = my_resnet_generator(filters=64, blocks=9)
library = build_resnet_generator("library", filters=64, residual_blocks=9, any_size=True)
print(f"the paper's generator (64 filters, 9 blocks): {paper.count_params():,} parameters; "
      f"the library's build_resnet_generator: {library.count_params():,}")
library.set_weights(paper.get_weights())  # the same weights in the same order
test_photo = rng.uniform(-1, 1, (1, 64, 64, 3)).astype("float32")
gap = float(np.abs(np.asarray(paper(test_photo)) - np.asarray(library(test_photo))).max())
print(f"same weights, largest difference between the outputs: {gap:.1e}; the same network: {gap < 1e-4}")

# %% [markdown]
# The authors' convolutions also keep a bias, and their instance norm learns no scale or shift;
# here the convolutions have no bias and the norm learns a scale and a shift, which do that work. A
# transposed convolution's kernels overlap unevenly, so it can stamp a chequerboard on the output
# (notebook 8); the fix is a *resize-convolution*, nearest-neighbour x2 and then a 3x3 convolution,
# which `build_resnet_generator(upsampling="resize")` builds and the shipped generator uses.
#
# Where the parameters sit: the residual blocks work at 4 x `filters` channels, so nearly all of
# them are there, at a quarter of the image size.

# %%
weighted = [layer for layer in paper.layers if layer.weights]  # each convolution, then its norm, in order
layer_counts = {"7x7 in": 2, "down": 4, "residual blocks": 4 * 9, "up": 4, "7x7 out": 1}
stages, start = {}, 0
for stage, count in layer_counts.items():
    stages[stage] = sum(layer.count_params() for layer in weighted[start:start + count])
    start += count
assert start == len(weighted) and sum(stages.values()) == paper.count_params()
figure, ax = plt.subplots(figsize=(7, 2.8))
ax.bar(list(stages), [count / 1e6 for count in stages.values()], color="#4C72B0")
ax.set_ylabel("parameters (millions)")
ax.set_title("The paper's ResNet generator, 64 filters, 9 blocks")
figure.tight_layout()
plt.show()
for stage, count in stages.items():
    print(f"{stage:<16} {count:>11,}  {count / paper.count_params():6.1%}")

# %% [markdown]
# The shipped generator is a variant of this network (`recipe_resnet`, notebook 9): every
# convolution pads by reflection, it upsamples with resize-convolutions, and it is small enough to
# train on a CPU. Its description, `monet.json`, holds the settings it was built with:

# %%
import json

from cyclegan_lab import PACKAGE_FOLDER, load_pretrained

shipped = json.loads((PACKAGE_FOLDER / "monet.json").read_text())["config"]
print(f"shipped: {shipped['generator_filters']} filters, {shipped['downsamplings']} downsampling(s) (residual "
      f"blocks at 1/{2 ** shipped['downsamplings']} of the size), {shipped['residual_blocks']} residual blocks, "
      f"output blur {shipped['output_blur']}, output notch {shipped['output_notch']}: "
      f"{load_pretrained('monet').count_params():,} parameters")

# %% [markdown]
# ## On your own
#
# **Exercise 4 (predict, then run).** What shape does `downsample(128)` return for a batch of
# shape `(1, 64, 64, 32)`?

# %% tags=["exercise", "predict"]
down_shape_answer = None  # a tuple

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: stride 2 halves height and width (64 -> 32); the output has `filters` = 128 channels,
# whatever the input had.
down_shape_answer = (1, 32, 32, 128)

# %%
computed_shape = tuple(downsample(128)(np.zeros((1, 64, 64, 32), "float32")).shape)
check(down_shape_answer, computed_shape, "Stride 2 halves the size; the channels are the block's filters.")

# %% [markdown]
# **Exercise 5 (predict).** How many weights has a `Conv2D(512, 4, use_bias=False)` that reads 256 channels?

# %% tags=["exercise", "predict"]
weights_answer = None  # a whole number

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: k x k x C_in x C_out = 4 x 4 x 256 x 512.
weights_answer = 4 * 4 * 256 * 512

# %%
conv = keras.layers.Conv2D(512, 4, use_bias=False)
conv.build((None, 8, 8, 256))
check(weights_answer, conv.count_params(), "k^2 C_in C_out, and no bias.")

# %% [markdown]
# **Exercise 6 (predict).** `build_generator(image_size=64, filters=16)` is a small variant the tests use.
# How many downsampling blocks does it have?

# %% tags=["exercise", "predict"]
down_blocks_answer = None  # a whole number

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: the encoder halves the size down to 1x1: 64 -> 32 -> 16 -> 8 -> 4 -> 2 -> 1,
# six halvings, so log2(64) = 6 blocks.
down_blocks_answer = 6

# %%
small_generator = build_generator(image_size=64, filters=16)
rows = layer_rows(small_generator)
reveal(down_blocks_answer, layer_table(small_generator))
check(down_blocks_answer, sum(row.name.startswith("down") for row in rows), "How often can 64 be halved?")

# %% [markdown]
# **Exercise 7 (predict, then run).** Set every normalisation's $\gamma$ of `generator` to 1, as
# Keras' default would, and run the two photos again. Will the output's standard deviation be
# `"larger"` or `"smaller"` than with the lab's $\gamma$?

# %% tags=["exercise", "predict"]
gamma_answer = None  # "larger" or "smaller"

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: with gamma = 1 each normalised block passes its signal on at full strength instead of
# shrinking it about 50 times, so the output is much less flat.
gamma_answer = "larger"


# %%
def norm_layers(model):
    return [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.GroupNormalization)]


saved = [np.asarray(layer.gamma) for layer in norm_layers(generator)]
for layer in norm_layers(generator):
    layer.gamma.assign(np.ones(layer.gamma.shape, "float32"))
with_ones = np.asarray(generator(real_photo, training=False))
for layer, gamma in zip(norm_layers(generator), saved):  # put the lab's gamma back
    layer.gamma.assign(gamma)
reveal(gamma_answer, f"output std: lab's gamma {fake_monet.std():.4f}, gamma = 1: {with_ones.std():.4f}")
check(gamma_answer, "larger" if with_ones.std() > fake_monet.std() else "smaller")
show_images([real_photo[0], with_ones[0]], ["photo", "untrained output, gamma = 1"])
plt.show()

# %% [markdown]
# **Exercise 8 (implement).** Write instance normalisation in NumPy: `my_instance_norm(x, epsilon)` takes `x` of
# shape (batch, height, width, channels) and normalises each image's each channel over its pixels,
# with $\gamma = 1$ and $\beta = 0$ (the formula above). The check compares it with Keras' layer.

# %% tags=["exercise", "implement"]
my_instance_norm = None  # replace with your function: def my_instance_norm(x, epsilon): ...


# %% tags=["solution"] jupyter={"source_hidden": true}
def my_instance_norm(x, epsilon):
    """Solution: mean and variance over height and width (axes 1 and 2), per image and channel."""
    mean = x.mean(axis=(1, 2), keepdims=True)
    variance = x.var(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon)


# %%
test_x = rng.normal(loc=[5.0, -2.0, 0.5], scale=[3.0, 0.3, 10.0], size=(2, 5, 5, 3)).astype("float32")
keras_instance_norm = keras.layers.GroupNormalization(groups=-1, epsilon=0.1)  # gamma 1, beta 0
check_function(my_instance_norm, (test_x, 0.1), keras_instance_norm(test_x),
               "Average over axes (1, 2) only, and add epsilon to the variance inside the square root.")

# %% [markdown]
# ## Further reading
#
# - Zhu et al., *Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks*
#   (CycleGAN), 2017: [arXiv:1703.10593](https://arxiv.org/abs/1703.10593).
# - Isola et al., *Image-to-Image Translation with Conditional Adversarial Networks* (pix2pix, the
#   U-Net generator with dropout), 2017: [arXiv:1611.07004](https://arxiv.org/abs/1611.07004).
# - Ronneberger et al., *U-Net: Convolutional Networks for Biomedical Image Segmentation*, 2015:
#   [arXiv:1505.04597](https://arxiv.org/abs/1505.04597).
# - Ulyanov et al., *Instance Normalization: The Missing Ingredient for Fast Stylization*, 2016:
#   [arXiv:1607.08022](https://arxiv.org/abs/1607.08022).
# - Wu and He, *Group Normalization*, 2018: [arXiv:1803.08494](https://arxiv.org/abs/1803.08494).
# - Dumoulin and Visin, *A guide to convolution arithmetic for deep learning*, 2016:
#   [arXiv:1603.07285](https://arxiv.org/abs/1603.07285).
# - Odena, Dumoulin and Olah, *Deconvolution and Checkerboard Artifacts*, Distill, 2016:
#   [distill.pub/2016/deconv-checkerboard](https://distill.pub/2016/deconv-checkerboard/).
# - Keras documentation: [GroupNormalization](https://keras.io/api/layers/normalization_layers/group_normalization/),
#   [Conv2DTranspose](https://keras.io/api/layers/convolution_layers/convolution2d_transpose/).
