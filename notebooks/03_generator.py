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
#   and why `groups=1` would be a different layer (layer normalisation).
# - Why the convolutions have no bias, and what the dropout in the decoder is for.
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

from cyclegan_lab import build_generator, downsample, find_data, load_folder, normalize, show_images, upsample
from cyclegan_lab.architecture import draw_unet, layer_rows, layer_table, params_by_kind, params_by_part
from cyclegan_lab.models import instance_norm

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
# - the **encoder** (left arm of the U) applies 8 *downsampling* blocks; each halves the height
#   and width, so $256 \to 128 \to \dots \to 1$, while the number of channels grows from 3 to 512.
#   The deeper a block, the larger the part of the image each of its values summarises;
# - the **decoder** (right arm) applies 7 *upsampling* blocks that double the size back,
#   $1 \to 2 \to \dots \to 128$, and a last layer that returns to $256 \times 256 \times 3$;
# - **skip connections** (the horizontal bars of the U) hand each encoder output straight to the
#   decoder step of the same size, so that fine detail, like the outline of a roof, does not have to
#   squeeze through the $1 \times 1$ bottleneck.
#
# This design comes from U-Net (Ronneberger et al., 2015) by way of pix2pix (Isola et al., 2017),
# whose generator the lab reuses. The CycleGAN paper itself used a ResNet generator; both work.

# %% [markdown]
# ## Build the downsampling block
#
# One encoder step is three layers in a row:

# %%
Code(inspect.getsource(downsample), language="python")

# %% [markdown]
# **A convolution with stride 2.** A `Conv2D` with `filters` output channels slides a $4 \times 4$
# window over the image, but moves it 2 pixels at a time instead of 1, so it produces one output per
# $2 \times 2$ block of input: with `padding="same"` an $n \times n$ map becomes
# $\lceil n/2 \rceil \times \lceil n/2 \rceil$. Learning to shrink (instead of a fixed max-pooling)
# is the DCGAN recipe that GANs have used since 2015. The weights start as small random numbers,
# $w \sim \mathcal{N}(0, 0.02^2)$.
#
# **No bias.** A convolution normally adds a learned constant $b_c$ to every value of channel $c$.
# The instance normalisation that follows subtracts each channel's mean, which removes any such
# constant, so a bias would be a parameter that can never matter. We check that below.
#
# **LeakyReLU.** $\mathrm{LeakyReLU}(x) = x$ for $x > 0$ and $0.3\,x$ otherwise (0.3 is the
# slope the lab uses). Unlike ReLU it lets a little signal, and gradient, through for negative
# inputs, which helps GAN training.
#
# The first block of the encoder has no normalisation (`apply_norm=False`), as in pix2pix:
# normalising right at the start would wipe out each photo's overall brightness and colour before
# the network has had a chance to use them.
#
# A block is a small `keras.Sequential`; call it on a batch of one random image to see it halve the
# size and widen the channels:

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
# After it, each channel of each image has mean $\beta_c$ and standard deviation about $|\gamma_c|$;
# $\gamma$ and $\beta$ are learned, one pair per channel, and $\epsilon = 10^{-3}$ guards against
# dividing by zero. Unlike batch normalisation, nothing is averaged over the batch, so the
# layer behaves the same in training and in use, with a batch of one image: the setting of the lab.
# For style transfer it also removes each image's overall contrast and brightness per channel,
# which are exactly the things a new style should decide (Ulyanov et al., 2016).
#
# Keras 3 has no `InstanceNormalization` layer (it lived in TensorFlow Addons, which is no longer
# maintained). `GroupNormalization` splits the channels into groups and normalises over the pixels
# *and* the channels of each group. With one group per channel, `groups=-1`, that is instance
# normalisation. With `groups=1`, one group holding every channel, it is **layer normalisation**:
# one mean and one variance per image, shared by all its channels. Ports of this lab that wrote
# `groups=1` built a different network without noticing. The lab's layer:

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

# %% [markdown]
# After instance normalisation every (image, channel) pair has mean 0 and standard deviation 1
# (a hair under 1 for the channel with the smallest spread, because of $\epsilon$). After layer
# normalisation only the image as a whole does: its channels keep their differences, with means
# on both sides of zero and spreads from under 0.1 to about 1.5.
#
# The same computation in plain NumPy, from the formula, gives the same numbers:

# %%
mu = x.mean(axis=(1, 2), keepdims=True)
var = x.var(axis=(1, 2), keepdims=True)
by_hand = (x - mu) / np.sqrt(var + 1e-3)
print("largest difference from the layer:", float(np.abs(by_hand - np.asarray(as_instance(x))).max()))

# %% [markdown]
# And here is why the convolutions need no bias: adding a constant to each channel (what a bias
# does) leaves the normalised output unchanged.

# %%
bias = np.array([1.0, -4.0, 20.0], dtype="float32")
change = np.abs(np.asarray(as_instance(x + bias)) - np.asarray(as_instance(x))).max()
print(f"largest change after adding a bias: {change:.1e}")

# %% [markdown]
# The lab's layer differs from these in one detail: its scale $\gamma$ does not start at 1 but is
# drawn from $\mathcal{N}(0, 0.02^2)$, like the convolution weights. Remember this for the end of
# the notebook.

# %%
norm = instance_norm()
norm.build((None, 4, 4, 3))
print("gamma at the start:", np.round(np.asarray(norm.gamma), 4))
print("beta at the start: ", np.asarray(norm.beta))

# %% [markdown]
# ## Build the upsampling block
#
# The decoder's step mirrors the encoder's:

# %%
Code(inspect.getsource(upsample), language="python")

# %% [markdown]
# **A transposed convolution with stride 2.** `Conv2DTranspose` runs the strided convolution
# backwards: each input value *stamps* a copy of the $4 \times 4$ kernel, scaled by the value, onto
# the output, and the stamps of neighbouring inputs, placed 2 pixels apart, overlap and add up. An
# $n \times n$ map becomes $2n \times 2n$. With a kernel of ones, a single 1 in a $2 \times 2$ input
# shows the stamp (`"same"` padding crops its edges to fit the $4 \times 4$ output):

# %%
stamp = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", kernel_initializer="ones", use_bias=False)
for inputs in ([[1, 0], [0, 0]], [[1, 1], [0, 0]]):
    single = np.array(inputs, dtype="float32").reshape(1, 2, 2, 1)
    print("input", inputs, "->")
    print(np.asarray(stamp(single))[0, :, :, 0].astype(int))

# %% [markdown]
# Where two stamps overlap the values add up (the 2s above): the kernel of a trained network learns
# to blend them smoothly.
#
# **Dropout(0.5), in the first three decoder blocks.** During training, each value is set to zero
# with probability 0.5 and the others are doubled. pix2pix introduced this in place of the random
# noise vector a GAN generator usually gets: it makes the generator a little random, and keeps it
# from leaning on any single channel. Outside training, dropout does nothing:

# %%
up = upsample(512, apply_dropout=True)
z = rng.normal(size=(1, 1, 1, 512)).astype("float32")
print("shape:", z.shape, "->", up(z).shape)
train_a, train_b = np.asarray(up(z, training=True)), np.asarray(up(z, training=True))
use_a, use_b = np.asarray(up(z, training=False)), np.asarray(up(z, training=False))
print("two calls with training=True give the same output: ", np.array_equal(train_a, train_b))
print("two calls with training=False give the same output:", np.array_equal(use_a, use_b))

# %% [markdown]
# **ReLU.** $\mathrm{ReLU}(x) = \max(x, 0)$: the decoder uses the plain version, as in pix2pix.

# %% [markdown]
# ## Assemble the U-Net
#
# `build_generator` stacks the blocks. The encoder keeps every output in `skips`; the decoder walks
# them in reverse (without the $1 \times 1$ bottleneck) and after each upsampling step concatenates
# the encoder output of the same size along the channel axis. A last `Conv2DTranspose` to 3 channels
# with a $\tanh$ activation gives an image in $[-1, 1]$.

# %%
Code(inspect.getsource(build_generator), language="python")

# %%
generator = build_generator(name="monet_generator")
print(f"{generator.count_params():,}")

# %% [markdown]
# 54,414,979 parameters, the same number as the original lab's generator. In the CycleGAN there are
# two of these: `monet_generator` (photo to Monet, the paper's $G$) and `photo_generator` (Monet to
# photo, the paper's $F$).

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
# channels. Coming up, each up block outputs 512, 256, 128 or 64 channels, and the concatenation
# then doubles that with the encoder's copy: 512 + 512 = 1024 channels at $2 \times 2$, ...,
# 64 + 64 = 128 at $128 \times 128$. So the next up block reads twice as many channels as the
# previous one produced.
#
# ## Draw the architecture
#
# The same network as a picture: one box per feature map, input on the left. A box's height is
# $1 + \log_2$ of its size ($256 \to 9$, $1 \to 1$), its width grows with the number of channels.
# In the decoder, the orange part of a box is what the up block made and the light blue part the
# copy that the skip connection (the arrow) brought over.

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
# Almost all the parameters are convolution kernels; the normalisation's $\gamma$ and $\beta$ add
# about 0.02%, and only the last layer has a bias (3 numbers). The four $512 \to 512$ encoder blocks
# have $4^2 \times 512 \times 512 = 4{,}194{,}304$ weights each. The decoder blocks up 2 to up 4 read
# the 1024 concatenated channels, twice as many, so they weigh twice as much: the decoder holds
# about 64% of the network. The cost in computation is the other way round, since a convolution's
# work is its weights times the number of places its kernel is applied: the six blocks around the
# bottleneck (down 6 to up 3) hold 62% of the parameters but do only about 4% of the roughly 6 billion
# multiply-adds per image, while up 5 to up 7, with 10% of the parameters, do about half of them.

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

# %% [markdown]
# The output stays within a few hundredths of 0 everywhere, and `show_images` maps 0 to the grey
# value 128. To see what little structure there is, the third column stretches each output so that
# its largest value reaches the end of the range.

# %%
stretched = fake_monet / np.abs(fake_monet).max(axis=(1, 2, 3), keepdims=True)
show_images([real_photo[0], fake_monet[0], stretched[0], real_photo[1], fake_monet[1], stretched[1]],
            ["photo", "untrained output", "output, stretched"] * 2, ncols=3)
plt.show()

# %% [markdown]
# Why grey? Follow the scale of the signal. Every normalisation's scale $\gamma$ starts near
# $\mathcal{N}(0, 0.02^2)$, so every normalised block hands on values about 50 times smaller than 1;
# and every convolution's weights are $\mathcal{N}(0, 0.02^2)$ too. By the last layer the values are
# tiny, $\tanh(\text{tiny}) \approx \text{tiny}$, and an output of 0 is the middle of $[-1, 1]$:
# grey. The photo still shows through faintly in the stretched column: the first block is not
# normalised, and the skip connections carry its output (and those of the other encoder blocks)
# straight across to the decoder. The fine grid over everything is the *checkerboard* pattern of
# transposed convolutions: an output pixel is made by one of four different quarters of the
# kernel's weights, depending on whether its row and its column are even or odd (look at the stamps
# above). With random weights the four quarters disagree, and the pattern repeats every 2 pixels;
# training mostly, though not always, learns kernels that agree.
#
# This quiet start does no harm: the generator begins by making almost nothing, and the losses of
# notebooks 5 and 6 pull structure into it, instead of having to undo large random outputs first.

# %% [markdown]
# ## Look inside the first block
#
# The first downsampling block turns the $256 \times 256 \times 3$ photo into 64 feature maps of
# $128 \times 128$. Here are 8 of them for the first photo, each with its own colour scale:

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

# %% [markdown]
# Each channel is one random $4 \times 4 \times 3$ filter applied every 2 pixels: some respond to
# brightness, some to a colour, some to edges in one direction. They already show the photo at half
# size, because this block is not normalised and random filters still pass the image through.
# Training will turn these 64 filters into the detectors the generator needs.

# %% [markdown]
# ## On your own
#
# 1. Build `build_generator(image_size=64, filters=16)`. How many down blocks does it have, how many
#    parameters, and which rows of `layer_table` changed? (The test suite uses small variants like
#    this one.)
# 2. Set every normalisation's $\gamma$ of `generator` to 1 (loop over `generator.layers`, then
#    over each block's `layers`, and call `layer.gamma.assign(np.ones(...))` on each
#    `GroupNormalization`) and run the two photos again. How does the untrained output look now?
#
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
