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
# # 8. Beyond the lab: the paper's generator
#
# This notebook compares, one small experiment at a time, the lab's U-Net generator with the
# paper's ResNet generator, of which the library ships a variant, and the way each one enlarges an
# image.
#
# ## What you'll learn
#
# - How a U-Net and a ResNet of about the same size compare at copying a photo they never saw.
# - Why the ResNet cannot see a photo's colour cast or contrast, and how much of the comparison that explains.
# - Where chequerboard artefacts come from, how to measure them, and how resize-convolution avoids them.
#
# ## What you'll need
#
# - Notebook 3 (the generator; it also builds the paper's ResNet).
# - About 3 minutes on a CPU: two small networks train for a minute or less each.
# - The lab's data (300 Monet paintings and 300 photos, about 9 MB): it is downloaded for you the
#   first time if you don't already have it.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook
COPY_STEPS = 150  # training steps of each network in the copying race (smoke: 25)
LEARNING_RATE = 1e-3  # Adam's learning rate in the copying race (the lab trains at 2e-4)

# %% [markdown]
# The quick setting trains the copying race for 25 steps on 4 photos and judges it on 4 others;
# the full setting uses `COPY_STEPS` steps, 8 photos, and 16.

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from cyclegan_lab import build_generator, find_data, load_folder, normalize, show_images
from cyclegan_lab.judging import measures
from cyclegan_lab.models import build_resnet_generator, weight_init
from cyclegan_lab.recipe.layers import PixelShuffle, subpixel_kernel
from cyclegan_lab.teaching.exercises import check, reveal
from cyclegan_lab.teaching.parameters import check_parameter

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
folders = find_data(DATA_DIR)

# %% [markdown]
# ## Race a U-Net and a ResNet at copying
#
# A CycleGAN generator that hands the photo back unchanged gets low cycle and identity losses for
# free. The lab's U-Net makes that easy: its skip connections carry the photo's own features to
# the last layer. The paper's generator (Zhu et al. 2017, after Johnson et al. 2016) is a
# *ResNet*: it shrinks the image to a quarter of its side, refines it through residual blocks and
# grows it back, with no path around the middle.
#
# Train a small U-Net (8 filters) and a ResNet with as many filters as brings it closest to the
# U-Net's number of weights on a task with no painting in it, "hand back the input", with the L1
# loss $\operatorname{mean}|G(x) - x|$ on a few 64x64 photos. Then judge each on photos it never saw.

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


def small_resnet(filters):
    return build_resnet_generator("resnet", image_size=64, filters=filters, residual_blocks=2)


keras.utils.set_random_seed(SEED)
unet = build_generator("unet", image_size=64, filters=8)
resnet_filters = min(range(4, 41, 4), key=lambda f: abs(small_resnet(f).count_params() - unet.count_params()))
keras.utils.set_random_seed(SEED)
resnet = small_resnet(resnet_filters)
networks = {"U-Net": unet, "ResNet": resnet}
curves = {name: train_to_copy(net, train_photos, copy_steps, LEARNING_RATE) for name, net in networks.items()}
errors = {name: (copy_error(net, train_photos), copy_error(net, unseen_photos)) for name, net in networks.items()}
grey = float(tf.reduce_mean(tf.abs(unseen_photos)))  # the error of a plain grey output

fig, ax = plt.subplots(figsize=(7, 3.6))
for name, curve in curves.items():
    ax.plot(curve, label=f"{name} ({networks[name].count_params():,} weights)")
ax.axhline(float(tf.reduce_mean(tf.abs(train_photos))), color="grey", linestyle=":", label="plain grey output")
ax.set_xlabel("step")
ax.set_ylabel("copy error  mean|G(x) - x|")
ax.set_title("Learning to hand back the photo")
ax.legend()
plt.show()

print(f"weights: U-Net (8 filters) {unet.count_params():,}, ResNet ({resnet_filters} filters, 2 residual blocks) "
      f"{resnet.count_params():,}, {resnet.count_params() / unet.count_params():.0%} of the U-Net's")
print(f"  grey: copy error {grey:.3f} on the {n_unseen_copy} unseen photos")
for name, (seen, unseen) in errors.items():
    print(f"{name:>6}: copy error {seen:.3f} on its {n_copy} training photos, {unseen:.3f} on the unseen ones")
better, worse = sorted(errors, key=lambda name: errors[name][1])
print(f"on unseen photos the {better} copies better: {errors[better][1]:.3f} against {errors[worse][1]:.3f}")

# %% [markdown]
# ### See what the ResNet cannot see
#
# The ResNet's first layer is a 7x7 convolution followed by instance normalisation, which sets
# every channel of every image to mean 0 and variance 1. A colour cast (a number added to every
# pixel of a colour channel) adds only a constant to each channel of the convolution's output,
# which the normalisation removes; a change of contrast (every pixel times a number) scales it,
# which the normalisation removes too, up to its small $\epsilon$. Test both trained networks:

# %%
cast = tf.constant([0.3, -0.1, 0.2])  # added to R, G and B of every pixel
changes = {"colour cast": unseen_photos + cast, "contrast x 0.8": unseen_photos * 0.8}
for name, net in networks.items():
    before = net(unseen_photos, training=False)
    moved = {change: float(tf.reduce_mean(tf.abs(net(x, training=False) - before))) for change, x in changes.items()}
    print(f"{name:>6}: mean change of the output: " + ", ".join(f"{v:.4f} for the {k}" for k, v in moved.items()))
resnet_blind = float(tf.reduce_max(tf.abs(resnet(unseen_photos + cast, training=False)
                                          - resnet(unseen_photos, training=False)))) < 1e-3
print("the ResNet is blind to the colour cast:", resnet_blind)

# %% [markdown]
# A network blind to a photo's colour cast and contrast cannot hand them back: it paints the ones
# its training photos taught it. How much of the race above is that? Give each output its photo's
# colour cast and contrast (each channel's mean, the image's spread) and measure again:

# %%
def with_photos_cast_and_contrast(outputs, photos):
    """Each output shifted and scaled to its photo's mean per channel and its spread: what the ResNet cannot see."""
    mean = lambda x: tf.reduce_mean(x, axis=(1, 2), keepdims=True)
    spread = lambda x: tf.math.reduce_std(x - mean(x), axis=(1, 2, 3), keepdims=True)
    return (outputs - mean(outputs)) / spread(outputs) * spread(photos) + mean(photos)


matched = {name: float(tf.reduce_mean(tf.abs(
    with_photos_cast_and_contrast(net(unseen_photos, training=False), unseen_photos) - unseen_photos)))
    for name, net in networks.items()}
print("copy error on the unseen photos, with each photo's cast and contrast given back: "
      + ", ".join(f"{name} {error:.3f}" for name, error in matched.items()))
gap_before, gap_after = errors["ResNet"][1] - errors["U-Net"][1], matched["ResNet"] - matched["U-Net"]
print(f"the ResNet's error minus the U-Net's: {gap_before:+.3f} before, {gap_after:+.3f} after"
      + (f": cast and contrast make {1 - gap_after / gap_before:.0%} of the gap" if gap_before > 0 else ""))
print("with cast and contrast given back, the U-Net still copies the unseen photos better:",
      matched["U-Net"] < matched["ResNet"])

# %% [markdown]
# What the race shows: at about the same number of weights, how far each network gets at copying
# photos it never saw, and how much of the difference is colour cast and contrast, which the
# ResNet cannot see by design. What it does not show: anything about painting (the task is
# copying), about full-size images or long training, or beyond this one seed and these few photos;
# rerun it with another `SEED` or `COPY_STEPS` to see how much the numbers move.

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


def tile_means(layer):
    """The mean of the layer's output at each of the four positions of a 2x2 cell, on the flat image."""
    interior = np.asarray(layer(flat))[0, 8:-8, 8:-8, 0]  # red channel, away from the border
    return np.array([interior[r::2, c::2].mean() for r in (0, 1) for c in (0, 1)])


for name, layer in [("transposed", transposed), ("resize-conv", resize_conv)]:
    tile = tile_means(layer)
    print(f"{name:>11} on a flat image, mean of the four 2x2 positions: {np.round(tile, 5)}, "
          f"largest minus smallest {np.ptp(tile):.1e}")

# %% [markdown]
# On a flat input, four different values at the four positions are a 2x2 tile; one value is none.
# On photos, `measures.chequerboard_energy` measures the power of an image's Fourier transform at
# period 2, the highest frequencies an image can hold; `chequerboard_ratio(generated, photos)`
# divides it by the photos' own (median over images): near 1 adds no chequerboard.

# %%
photos128 = load_folder(folders.photo, size=128, limit=n_copy)  # the same photos, as the layers' output size
outputs = {name: to_pixels(layer(train_photos[:n_copy])) for name, layer in
           [("transposed", transposed), ("resize-conv", resize_conv)]}
energies = {name: measures.chequerboard_energy(images) for name, images in outputs.items()}
for name, images in outputs.items():
    print(f"{name:>11}: chequerboard energy {np.round(energies[name], 1)}, "
          f"ratio to the photos {measures.chequerboard_ratio(images, photos128):.2f}")
print(f"photos at 128: chequerboard energy {np.round(measures.chequerboard_energy(photos128), 1)}")
print(f"the transposed convolution's period-2 energy is "
      f"{np.median(energies['transposed'] / energies['resize-conv']):.0f}x the resize-convolution's (median)")

crop = slice(40, 72)  # a 32x32 corner, magnified
show_images([photos128[0][crop, crop], outputs["transposed"][0][crop, crop], outputs["resize-conv"][0][crop, crop]],
            titles=["photo (32x32 crop)", "random transposed conv", "random resize-conv"])
plt.show()

# %% [markdown]
# Training can learn to balance the taps, but nothing forces it to; notebook 9 measures the shipped
# generator (a ResNet) for chequerboards. `RecipeConfig(upsampling="resize")` builds either
# generator with resize-convolutions; the recipe's ResNet uses them by default, the paper's
# (`build_resnet_generator`) only with `upsampling="resize"`.
#
# Resize-convolution pays for its safety: after the 2x2 repeat, every pixel of a block is drawn from
# nearly the same inputs, so detail finer than two pixels is hard to draw. A *sub-pixel convolution*
# (Shi et al. 2016) computes four sets of channels at the small size, one per pixel of the 2x2 block,
# and `PixelShuffle` lays them out. Started from a resize-convolution's kernel
# (`recipe.layers.subpixel_kernel`), it computes exactly the same; training is then free to give the four
# pixels their own kernels (`RecipeConfig(upsampling="subpixel")`, ResNet only):

# %%
kernel = np.asarray(resize_conv.layers[1].kernel)  # (3, 3, in, out) of the resize-convolution above
subpixel = lambda images: np.asarray(PixelShuffle()(keras.ops.conv(images, subpixel_kernel(kernel), padding="same")))
sample = np.asarray(train_photos[:2], np.float32)
difference = np.abs(subpixel(sample) - np.asarray(resize_conv(sample)))[:, 2:-2, 2:-2]
print(f"sub-pixel convolution started from the resize-convolution: largest difference inside the border "
      f"{difference.max():.1e}; the same up to float32 rounding: {difference.max() < 1e-4}")
print(f"its kernel: {subpixel_kernel(kernel).shape} (4 x {kernel.shape[-1]} outputs), the resize one's {kernel.shape}")

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
reveal(ramp_answer, f"largest change of the ResNet's output: {ramp_change:.1e}")
check(ramp_answer, "yes" if ramp_change > 1e-3 else "no", "Which inputs does instance norm make invisible?")

# %% [markdown]
# **Exercise 2 (predict, then run).** `Conv2DTranspose(3, 2, strides=2)` has a 2x2 kernel: its
# footprints do not overlap, and each output pixel gets exactly one tap. On the flat image, does
# it still make a 2x2 tile (four different means at the four positions)? Answer `"yes"` or `"no"`.

# %%
tile_answer = None  # "yes" or "no"

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: each of the four positions of a 2x2 cell is painted by its own tap, and four random
# taps differ. Overlap is not the cause of the tile; taps that disagree are.
tile_answer = "yes"

# %%
keras.utils.set_random_seed(SEED)
no_overlap = keras.layers.Conv2DTranspose(3, 2, strides=2, padding="same", kernel_initializer=weight_init(),
                                          use_bias=False)
tile = tile_means(no_overlap)
reveal(tile_answer, f"mean of the four 2x2 positions: {np.round(tile, 5)}")
check(tile_answer, "yes" if np.ptp(tile) > 1e-6 else "no", "Which tap paints which output pixel?")

# %% [markdown]
# ## Further reading
#
# - Zhu, Park, Isola, Efros, *Unpaired Image-to-Image Translation using Cycle-Consistent
#   Adversarial Networks* (2017), section 4 and appendix 7: [arXiv:1703.10593](https://arxiv.org/abs/1703.10593).
# - Johnson, Alahi, Fei-Fei, *Perceptual Losses for Real-Time Style Transfer and Super-Resolution*
#   (2016), the ResNet generator: [arXiv:1603.08155](https://arxiv.org/abs/1603.08155).
# - Ulyanov, Vedaldi, Lempitsky, *Instance Normalization: The Missing Ingredient for Fast
#   Stylization* (2016), why contrast is normalised away: [arXiv:1607.08022](https://arxiv.org/abs/1607.08022).
# - Odena, Dumoulin, Olah, *Deconvolution and Checkerboard Artifacts*, Distill (2016):
#   [distill.pub/2016/deconv-checkerboard](https://distill.pub/2016/deconv-checkerboard/).
