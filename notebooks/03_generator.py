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
# Build the lab's generator, which repaints a photo as a Monet, and see what it makes untrained.
#
# ## What you'll learn
#
# - How convolutions halve and double an image.
# - Instance normalisation, and why it makes a bias useless.
# - The U-Net and its skip connections.
# - Why an untrained generator paints flat grey.
# - The paper's ResNet generator, and chequerboard artefacts.
#
# ## What you'll need
#
# - Notebook 2 (the data) is helpful.
# - About 9 minutes: 8 of reading and 1 of running (full setting, 2 CPU cores), plus your time on the exercises.

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
# The generator maps a $256 \times 256$ RGB image in $[-1, 1]$ to another, through a **U**: an
# **encoder** of 8 *downsampling* blocks halves the image down to $1 \times 1$; a **decoder** of
# *upsampling* blocks doubles it back; **skip connections** hand each encoder output to the decoder
# step of the same size, so fine detail need not squeeze through the bottleneck. The design comes
# from U-Net by way of pix2pix; the CycleGAN paper used a ResNet (end of this notebook).

# %% [markdown]
# ## Build the downsampling block
#
# One encoder step: a $4 \times 4$ convolution with stride 2 halves the map; an instance
# normalisation (next section) follows, except in the first block, as in pix2pix; then a LeakyReLU,
# $x$ for $x > 0$ and $0.3\,x$ otherwise, lets some gradient through for negative inputs. The
# convolution needs no bias: the normalisation subtracts each channel's mean, removing any
# constant a bias adds.
#
# **Exercise 1 (implement).** Write `downsample(filters, size=4, apply_norm=True)`, returning a
# `keras.Sequential` of `Conv2D(filters, size)` with stride 2, `padding="same"` and no bias;
# `keras.layers.GroupNormalization(groups=-1, epsilon=1e-3)` only if `apply_norm`; and
# `keras.layers.LeakyReLU(negative_slope=0.3)`. The check gives yours and the lab's the same
# weights and compares their outputs.

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
# The lab's block on one random image:

# %%
block = downsample(64)
x = rng.uniform(-1, 1, size=(1, 256, 256, 3)).astype("float32")
print("in: ", x.shape)
print("out:", block(x).shape)
for layer in block.layers:
    print(f"  {type(layer).__name__:<20} {str(tuple(layer.output.shape)):<22} parameters {layer.count_params():,}")

# %% [markdown]
# $4 \times 4 \times 3 \times 64 = 3{,}072$ convolution weights; the normalisation has a $\gamma$
# and a $\beta$ per channel.

# %% [markdown]
# ## Normalise each image, channel by channel
#
# **Instance normalisation** rescales each channel of each image on its own:
#
# $$y_{bhwc} = \gamma_c \, \frac{x_{bhwc} - \mu_{bc}}{\sqrt{\sigma^2_{bc} + \epsilon}} + \beta_c ,$$
#
# where $\mu_{bc}$ and $\sigma^2_{bc}$ are the mean and variance of channel $c$ of image $b$ over
# its pixels, $\gamma_c$, $\beta_c$ are learned, and $\epsilon$ is a small constant. It removes each
# image's own contrast and brightness per channel, which the new style should decide.
#
# Keras 3 spells it `GroupNormalization(groups=-1)`, one group per channel; `groups=1` would be
# **layer normalisation**, one mean and variance per image:

# %%
Code(inspect.getsource(instance_norm), language="python")

# %% [markdown]
# Check it on a small tensor, with fresh layers ($\gamma = 1, \beta = 0$):

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
# Instance norm puts every channel of every image on the same footing; layer norm only each image.

# %% [markdown]
# Why not **batch normalisation**? With the lab's batch of one image it matches instance norm while
# training, but at test time it uses running averages, so it computes something else:

# %%
one_image = x[:1]
batch_norm = keras.layers.BatchNormalization(epsilon=1e-3)
while_training = np.asarray(batch_norm(one_image, training=True))  # one step: its moving averages barely move
at_test_time = np.asarray(batch_norm(one_image, training=False))
instance = np.asarray(as_instance(one_image))
print(f"batch norm while training vs instance norm, largest difference: {np.abs(while_training - instance).max():.4f}")
print(f"batch norm at test time vs instance norm, largest difference:   {np.abs(at_test_time - instance).max():.4f}")

# %% [markdown]
# Why no bias: adding a constant to each channel leaves the normalised output unchanged.

# %%
bias = np.array([1.0, -4.0, 20.0], dtype="float32")
change = np.abs(np.asarray(as_instance(x + bias)) - np.asarray(as_instance(x))).max()
print(f"largest change after adding a bias: {change:.1e}")

# %% [markdown]
# The lab's layer starts $\gamma$ not at 1 but drawn from $\mathcal{N}(0, 0.02^2)$, a quirk of the
# Kaggle notebook the lab copies.

# %%
norm = instance_norm()
norm.build((None, 4, 4, 3))
print("gamma at the start:", np.round(np.asarray(norm.gamma), 4))
print("beta at the start: ", np.asarray(norm.beta))

# %% [markdown]
# ## Build the upsampling block
#
# The decoder's step mirrors the encoder's: a stride-2 transposed convolution, an instance
# normalisation, sometimes a dropout, and a ReLU. In `Conv2DTranspose` each input value *stamps*
# the $4 \times 4$ kernel, scaled by the value, onto the output, 2 pixels apart; overlapping
# stamps add up, and the map doubles in size. With a kernel of ones:

# %%
stamp = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", kernel_initializer="ones", use_bias=False)
for inputs in ([[1, 0], [0, 0]], [[1, 1], [0, 0]]):
    single = np.array(inputs, dtype="float32").reshape(1, 2, 2, 1)
    print("input", inputs, "->")
    print(np.asarray(stamp(single))[0, :, :, 0].astype(int))

# %% [markdown]
# Overlapping stamps add up (the 2s).
#
# **Dropout(0.5)**, in the first three decoder blocks, zeroes each value with probability 0.5 in
# training and doubles the rest: pix2pix's stand-in for a GAN generator's random noise. The lab
# switches it off outside training, so a photo always gets the same painting:

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
# **Exercise 2 (implement).** Write `upsample(filters, size=4, apply_dropout=False)`: a
# `keras.Sequential` of `Conv2DTranspose(filters, size)` with stride 2, `padding="same"` and no
# bias; the same instance normalisation; `keras.layers.Dropout(0.5)` only if `apply_dropout`; and
# a plain ReLU. The check works as in Exercise 1.

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
# **Exercise 3 (implement).** Write `build_generator(image_size=256, filters=64)`, from
# `inputs = keras.Input(shape=(image_size, image_size, 3))` to `keras.Model(inputs, outputs)`:
#
# - encoder: $\log_2(\text{image\_size})$ `downsample` blocks, the first with `filters` and no
#   normalisation, doubling up to 8 times `filters`; keep every output in a list of skips;
# - decoder: walk the skips in reverse, without the $1 \times 1$ bottleneck; each `upsample` block
#   has as many filters as the skip it meets (dropout in the first three), and its output is
#   concatenated with that skip;
# - a last `Conv2DTranspose` to 3 channels, $4 \times 4$, stride 2, with $\tanh$.
#
# The check builds yours and the lab's at $32 \times 32$ with 8 filters.

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
# The lab's `build_generator` also names the network:

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
# One row per block. Each `skip` row concatenates the up block above it with the encoder output it
# names.

# %%
print(layer_table(generator))

# %% [markdown]
# Going down, each block halves the size and (up to 512) doubles the channels; coming up, each
# concatenation doubles them with the encoder's copy.
#
# ## Draw the architecture
#
# In the decoder, orange is the up block's output, light blue the skip's copy.

# %%
draw_unet(generator)
plt.show()

# %% [markdown]
# ## Count the parameters
#
# A $k \times k$ convolution from $C_\text{in}$ to $C_\text{out}$ channels has
# $k^2 C_\text{in} C_\text{out}$ weights, whatever the image size, so the parameters gather deep in
# the U:

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
# A convolution's work (multiply-adds, MACs) is its weights times the places it is applied: each
# output pixel for a stride-2 convolution, each *input* pixel for a stride-2 transposed one. Where
# does the work sit?

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
# Not in the deep blocks (many weights, few places) nor the thin full-size ones (few weights, many
# places), but in the decoder's middle-size blocks, which read a skip's concatenated channels at
# thousands of places.

# %% [markdown]
# ## Run the untrained generator
#
# Two real photos through the random generator:

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
# Values this close to 0 show as flat grey; the third column stretches each output to the full
# range.

# %%
stretched = fake_monet / np.abs(fake_monet).max(axis=(1, 2, 3), keepdims=True)
show_images([real_photo[0], fake_monet[0], stretched[0], real_photo[1], fake_monet[1], stretched[1]],
            ["photo", "untrained output", "output, stretched"] * 2, ncols=3)
plt.show()

# %% [markdown]
# Two measures: the *layout correlation* compares where the light and dark masses lie in the
# output and in the photo; the *period-2 energy* measures patterns repeating every 2 pixels, like a
# chequerboard, relative to the photo's:

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
# Why grey? Every $\gamma$ starts near 0, so each normalised block hands on values about 50 times
# smaller than 1. The output is tiny, and 0 is grey.
#
# A layout correlation far from 0, of either sign, is the photo showing through the unnormalised
# first block and the skip connections. Period-2 energy far above the photo's is the transposed
# convolutions' *chequerboard*: an output pixel is made by one of four quarters of the kernel,
# chosen by whether its row and column are even or odd, and random quarters disagree.

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
# Each channel is a random $4 \times 4 \times 3$ filter applied every 2 pixels. Unnormalised, a
# channel keeps the photo's light and dark at half size, or their negative (the printed count).

# %% [markdown]
# ## The paper's generator: a ResNet
#
# The CycleGAN paper's generator, after Johnson et al. (2016), has no skip connection to carry the
# photo straight to the output. As the authors' code builds it:
#
# 1. a 7x7 convolution to `filters` channels;
# 2. two 3x3 stride-2 convolutions, to a quarter of the size and 4 x `filters` channels;
# 3. residual blocks $x + f(x)$, $f$ two 3x3 convolutions: each learns only a *change* to its
#    input (9 in the paper for 256-pixel images);
# 4. two 3x3 stride-2 *transposed* convolutions, back to full size;
# 5. a 7x7 convolution to 3 channels and tanh.
#
# Instance norm follows every convolution but the last. The 7x7 and residual convolutions pad by
# *reflection* (the border mirrored), so the edges look like the inside; the stride-2 ones pad
# with zeros. The library's reflection padding:

# %%
Code(inspect.getsource(ReflectionPadding), language="python")

# %% [markdown]
# The whole generator. As in the authors' PyTorch, a stride-2 convolution pads one pixel of zeros
# on every side, and a transposed one makes $2n + 1$ pixels and keeps the last $2n$:

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
# Unlike the authors' code, the convolutions here have no bias and the norm learns a scale and
# shift.
#
# A transposed convolution's stamps overlap unevenly, so it can print a chequerboard (notebook 8).
# The fix is a *resize-convolution*: nearest-neighbour x2, then a 3x3 convolution.
# `build_resnet_generator(upsampling="resize")` builds it; the library's shipped generator uses it.
#
# Nearly all the parameters sit in the residual blocks:

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
# **Exercise 6 (predict).** `build_generator(image_size=64, filters=16)` is a small variant. How
# many downsampling blocks does it have?

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
# **Exercise 8 (implement).** Write `my_instance_norm(x, epsilon)` in NumPy: for `x` of shape
# (batch, height, width, channels), normalise each channel of each image over its pixels, with
# $\gamma = 1$ and $\beta = 0$. The check compares it with Keras' layer.

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
# - Zhu et al. 2017, [CycleGAN](https://arxiv.org/abs/1703.10593).
# - Isola et al. 2017, [pix2pix](https://arxiv.org/abs/1611.07004).
# - Ulyanov et al. 2016, [Instance Normalization](https://arxiv.org/abs/1607.08022).
# - Odena et al. 2016, [Deconvolution and Checkerboard Artifacts](https://distill.pub/2016/deconv-checkerboard/).
