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
# # 2. The data: Monet paintings and photos
#
# This notebook finds the lab's two image collections, looks at them closely, and follows them
# through the loader and the `tf.data` pipeline that feeds training.
#
# ## What you'll learn
#
# - Where the images come from (a folder you name, the cache, or the lab's download) and which
#   folder layouts are recognised.
# - What the two domains look like, and how their colours differ: that difference is what the
#   generators must learn to add or remove.
# - What the loader does with grayscale, transparent, non-square and broken image files.
# - How the images become an endless, seeded and resumable stream of `(monet, photo)` batches
#   in $[-1, 1]$, and what "one epoch" means for unpaired data.
# - The CycleGAN paper's random jitter augmentation, and how to switch it on.
#
# ## What you'll need
#
# - Notebook 1 (the idea of a CycleGAN) is helpful but not required.
# - About 10 minutes. A CPU is fine.
# - The lab's data (300 Monet paintings and 300 photos, about 9 MB): it is downloaded for you
#   the first time if you don't already have it.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook

# %% [markdown]
# The quick setting loads only a few images per domain; the full setting loads the lab's 300 of
# each (a folder with more photos is cut to its first 300 files, the size of the lab's set).

# %%
# %matplotlib inline
import inspect
import os
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Code
from matplotlib.colors import rgb_to_hsv
from PIL import Image

from cyclegan_lab import (TrainConfig, find_data, load_data, load_folder, load_image, make_dataset, normalize,
                          show_images, to_uint8)
from cyclegan_lab.data import LAB_DATA, LAYOUTS, image_files, image_stream, random_jitter, steps_per_epoch
from cyclegan_lab.download import cache_dir

SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"

MAX_IMAGES = 8 if SMOKE else 300  # images loaded per domain
N_SHOW = 4 if SMOKE else 8  # images shown per domain
config = TrainConfig(max_images=MAX_IMAGES, seed=SEED)
rng = np.random.default_rng(SEED)

# %% [markdown]
# ## Get the data
#
# `find_data` looks for the images in three places, in this order, and stops at the first that
# has them:
#
# 1. **A folder you name**: the `DATA_DIR` parameter of this notebook (the `path` argument of
#    `find_data`), or, when that is `None`, the environment variable `CYCLEGAN_LAB_DATA`.
#    If you name a folder, it must hold the images: there is no quiet fallback to a download.
# 2. **The user cache**, where an earlier run unpacked the download.
# 3. **The lab's zip**, downloaded into the cache, checked against its expected size, and unpacked.
#    Pass `download_ok=False` to forbid this step.
#
# The zip's address, its size, and the cache folder on your machine:

# %%
print("lab's zip:", LAB_DATA.url)
print(f"size:      {LAB_DATA.size:,} bytes")
print("cache:    ", cache_dir())

# %% [markdown]
# Data sets in the wild arrive with different folder names. A folder counts as data if it holds
# one of these pairs of sub-folders, at its top or one or two levels down:

# %%
print(f"{'Monet folder':<16}{'photo folder':<16}")
for monet_name, photo_name in LAYOUTS:
    print(f"{monet_name:<16}{photo_name:<16}")

# %% [markdown]
# The first pair is the lab's zip, the second Kaggle's "I'm Something of a Painter Myself"
# competition, the third the CycleGAN authors' `monet2photo` set (`trainA` holds Monet's
# paintings, `trainB` the photos), and the last plain folders of your own.
#
# The search is short enough to read in full. Every failure ends in a `DataNotFoundError` that
# says where it looked and what to do next:

# %%
Code(inspect.getsource(find_data), language="python")

# %%
folders = find_data(DATA_DIR)
for name, folder in [("Monet", folders.monet), ("photo", folders.photo)]:
    print(f"{name:>5}: {folder}  ({len(image_files(folder)):,} files)")

# %% [markdown]
# `load_data` runs the same search and then reads both folders into memory as `uint8` arrays.
# `TrainConfig(max_images=...)` caps how many images of each domain it reads.

# %%
data = load_data(config, DATA_DIR)
for name, images in [("Monet", data.monet), ("photo", data.photo)]:
    print(f"{name:>5}: shape {images.shape}, dtype {images.dtype}, values {images.min()}..{images.max()}")

# %% [markdown]
# Each domain is one array of shape (number of images, height, width, 3 colour channels),
# with whole numbers from 0 to 255: the loader turns every file into a 256x256 RGB image.

# %% [markdown]
# ## Look at the data
#
# A random choice of paintings and photos (change `SEED` for another):

# %%
monet_pick = rng.choice(len(data.monet), N_SHOW, replace=False)
photo_pick = rng.choice(len(data.photo), N_SHOW, replace=False)
show_images(data.monet[monet_pick], [f"Monet #{i}" for i in monet_pick], size=2.5)
plt.show()
show_images(data.photo[photo_pick], [f"photo #{i}" for i in photo_pick], size=2.5)
plt.show()

# %% [markdown]
# The paintings and photos show similar subjects (landscapes, water, sky, buildings) but are not
# pairs: no photo is the scene of a particular painting. That is why the CycleGAN needs the
# cycle-consistency loss instead of a pixel-by-pixel comparison with a target.

# %% [markdown]
# ## Compare the colours of the two domains
#
# Beyond the brush strokes, the paintings differ from the photos in their colour statistics.
# Below, the left three panels are the histograms of the red, green and blue values over a sample
# of pixels of every loaded image. The right panel gives each image one dot: its mean brightness
# (the HSV "value", the largest of R, G, B) against its mean saturation (how far from gray its
# colours are).

# %%
def pixel_sample(images, step=4):
    """Every `step`-th pixel in both directions, as floats in [0, 1]."""
    return images[:, ::step, ::step].astype(np.float32) / 255.0


domains = {"Monet": pixel_sample(data.monet), "photo": pixel_sample(data.photo)}
styles = {"Monet": dict(color="tab:purple"), "photo": dict(color="tab:gray", linestyle="--")}
bins = np.linspace(0, 1, 52)

figure, axes = plt.subplots(1, 4, figsize=(16, 3.6))
for channel, (ax, colour) in enumerate(zip(axes[:3], ["red", "green", "blue"])):
    for name, pixels in domains.items():
        ax.hist(pixels[..., channel].ravel(), bins=bins, density=True, histtype="step",
                linewidth=1.8, label=name, **styles[name])
    ax.set_title(f"{colour} channel")
    ax.set_xlabel("value (0 = none, 1 = full)")
    ax.set_yticks([])
axes[0].set_ylabel("share of pixels")
axes[0].legend()

summary = {}
for name, pixels in domains.items():
    hsv = rgb_to_hsv(pixels)
    saturation, brightness = hsv[..., 1].mean(axis=(1, 2)), hsv[..., 2].mean(axis=(1, 2))
    axes[3].scatter(saturation, brightness, s=12, alpha=0.6, label=name, color=styles[name]["color"])
    summary[name] = (pixels.mean(axis=(0, 1, 2)), saturation.mean(), brightness.mean(),
                     pixels.std(axis=(1, 2)).mean())
axes[3].set_xlabel("mean saturation")
axes[3].set_ylabel("mean brightness")
axes[3].set_title("one dot per image")
axes[3].legend()
figure.tight_layout()
plt.show()

print(f"{'':6}{'mean R':>8}{'mean G':>8}{'mean B':>8}{'saturation':>12}{'brightness':>12}{'contrast':>10}")
for name, (rgb, saturation, brightness, contrast) in summary.items():
    values = "".join(f"{v:8.3f}" for v in rgb)
    print(f"{name:6}{values}{saturation:12.3f}{brightness:12.3f}{contrast:10.3f}")

# %% [markdown]
# ("contrast" is the standard deviation of each channel within an image, averaged over images.)
# With 300 paintings and 300 photos loaded, the pattern is clear. The photos have a tall spike of
# near-black pixels (shadows, night scenes) and spread over the whole range; Monet almost never
# paints pure black, and his red and green values gather in the upper middle. His paintings are on average
# brighter, paler (less saturated) and softer in contrast. In the right panel the two clouds
# overlap a lot, though: no single number tells a painting from a photo, which is why the
# discriminators have to learn what does. The photo-to-Monet generator must learn this shift
# (and the brush texture, which these statistics can't see); the Monet-to-photo generator the
# reverse. With only a few images loaded, as in the quick setting, the curves are noisy; the
# full setting shows the clean picture.

# %% [markdown]
# ## See what the loader does with odd images
#
# Your own photos won't all be 256x256 RGB JPEGs. `load_image` reads any file Pillow can open and
# always returns a (256, 256, 3) `uint8` array:
#
# - it turns the image upright according to its EXIF orientation tag (phones store rotated images);
# - it converts it to RGB: grayscale becomes three equal channels, and transparent parts are
#   laid over white, so they don't turn black;
# - it scales the image so its shorter side is 256 pixels and crops the centre square.
#
# `load_folder` calls it on every file of a folder (in name order) and skips a file that is not
# a readable image, with a `BadImageWarning` that names it, instead of failing the whole run.
#
# To see this, we make four awkward files from the photos in a temporary folder: a grayscale PNG,
# a PNG whose transparency fades from left to right, a wide panorama (two photos side by side),
# and a JPEG cut off after its first 2,000 bytes, like an interrupted download.

# %%
first, second = data.photo[0], data.photo[1 % len(data.photo)]
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

    for path in image_files(tmp):
        print(f"{path.name:18} {path.stat().st_size:>7,} bytes")
    try:
        load_image(tmp / "4_broken.jpg")
    except ValueError as error:
        print("\nload_image raises ValueError:", str(error).replace(str(tmp), "<tmp>"))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_folder(tmp)
for warning in caught:
    print(f"load_folder warns {warning.category.__name__}:", str(warning.message).replace(str(tmp), "<tmp>"))
print(f"\nload_folder returned {loaded.shape} {loaded.dtype}: the broken file is left out")

# %% [markdown]
# Top row: the files as stored (the transparent one over a checkerboard, so you can see the
# see-through part). Bottom row: what the loader hands to training.

# %%
def checkerboard(height, width, square=16):
    """A light gray checkerboard, the usual backdrop for transparent images."""
    rows, cols = np.indices((height, width)) // square
    return np.where((rows + cols) % 2 == 0, 0.95, 0.75)


figure, axes = plt.subplots(2, 4, figsize=(14, 6.5), gridspec_kw=dict(height_ratios=[1, 1]))
for ax, (name, image) in zip(axes[0], odd_images.items()):
    if image.mode == "RGBA":
        ax.imshow(checkerboard(image.height, image.width), cmap="gray", vmin=0, vmax=1)
    ax.imshow(image, cmap="gray" if image.mode == "L" else None)
    ax.set_title(f"{name}\n{image.mode}, {image.width}x{image.height}")
axes[0, 3].text(0.5, 0.5, "4_broken.jpg\n(cut off after 2,000 bytes)", ha="center", va="center")
for ax, image, title in zip(axes[1], loaded, ["gray -> 3 equal channels", "transparent -> over white",
                                              "centre crop", ""]):
    ax.imshow(image)
    ax.set_title(f"{title}\nRGB, {image.shape[1]}x{image.shape[0]}")
axes[1, 3].text(0.5, 0.5, "skipped, with a warning", ha="center", va="center")
for ax in axes.flat:
    ax.axis("off")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Feed the images to training with tf.data
#
# The generator ends in a $\tanh$, whose outputs lie in $(-1, 1)$, so the real images are put on
# the same scale. `normalize` maps each 8-bit value $x \in \{0, 1, \dots, 255\}$ linearly:
#
# $$x_{\text{norm}} = \frac{x}{127.5} - 1, \qquad 0 \mapsto -1, \quad 127.5 \mapsto 0, \quad 255 \mapsto 1,$$
#
# and `to_uint8` undoes it, $x = \operatorname{round}\big((x_{\text{norm}} + 1) \cdot 127.5\big)$, for showing
# results. `make_dataset` turns the two arrays into a `tf.data.Dataset` of `(real_monet, real_photo)`
# batches:

# %%
dataset = make_dataset(data.monet, data.photo, config)
real_monet, real_photo = next(iter(dataset))
for name, batch in [("real_monet", real_monet), ("real_photo", real_photo)]:
    print(f"{name}: shape {tuple(batch.shape)}, dtype {batch.dtype.name}, "
          f"values {float(tf.reduce_min(batch)):.3f}..{float(tf.reduce_max(batch)):.3f}")

# %% [markdown]
# Batch size 1, as in the lab: one painting and one photo per training step. The two are drawn
# independently, because the data is unpaired. Here are the first few steps:

# %%
first_steps = list(dataset.take(4))
show_images([monet[0] for monet, _ in first_steps] + [photo[0] for _, photo in first_steps],
            [f"step {s}: Monet" for s in range(4)] + [f"step {s}: photo" for s in range(4)], size=2.5)
plt.show()

# %% [markdown]
# ### An endless, seeded, resumable stream
#
# Each domain is its own stream of images, and the stream never ends: `make_dataset` does not
# stop after one pass. Element $g$ of a domain's stream (counting from 0) is
#
# $$\text{image}\big[\pi_{p}(g \bmod n)\big], \qquad p = \lfloor g / n \rfloor,$$
#
# where $n$ is the number of images in the domain, $p$ is the pass, and $\pi_p$ is a random
# permutation of $0, \dots, n-1$ that depends only on the seed, the domain and the pass. So every
# pass shows each image exactly once, each pass in a new order, and element $g$ can be computed
# directly without producing the ones before it. That is what makes resuming exact: a run
# restarted at step $s$ builds the dataset with `start_step=s` and sees exactly what the
# uninterrupted run would have seen.

# %%
Code(inspect.getsource(image_stream), language="python")

# %% [markdown]
# Let's check both claims on five paintings: list which painting appears at each step for three
# passes, then compare a stream resumed at step 7 with the original one.

# %%
small_monet, small_photo = data.monet[:5], data.photo[:5]
index_of = {image.tobytes(): i for i, image in enumerate(small_monet)}
small_dataset = make_dataset(small_monet, small_photo, config)
order = [index_of[to_uint8(monet[0]).tobytes()] for monet, _ in small_dataset.take(15)]
for p in range(3):
    print(f"pass {p} (steps {5 * p:>2}..{5 * p + 4:>2}): paintings {order[5 * p:5 * p + 5]}")

resumed = make_dataset(small_monet, small_photo, config, start_step=7)
same = all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
           for a, b in zip(small_dataset.skip(7).take(5), resumed.take(5)))
print("stream resumed at step 7 == steps 7..11 of the original:", same)

# %% [markdown]
# Since the stream is endless, something else must say where an epoch stops. By default an epoch
# is **one pass over the smaller domain**: with the lab's 300 paintings and 300 photos, 300 steps.
# (With more photos than paintings, each epoch shows every painting once and a different part of
# the photos.) `TrainConfig(steps_per_epoch=...)` overrides it.

# %%
print(f"{len(data.monet)} paintings, {len(data.photo)} photos, batch size {config.batch_size}: "
      f"{steps_per_epoch(data, config)} steps per epoch")

# %% [markdown]
# ## Augment the images with random jitter
#
# With only 300 images per domain, a model can start to memorise them. The CycleGAN paper (and
# TensorFlow's CycleGAN tutorial) add random *jitter*: scale the 256x256 image up to 286x286,
# cut a random 256x256 square out of it, and flip it left to right half of the time. Every step
# then sees a slightly different version of each image. The original lab does not do this, so it
# is off by default; `TrainConfig(augment=True)` switches it on for training.
#
# `random_jitter` takes its randomness from an explicit seed (a pair of integers), so a given
# seed always gives the same crop and flip; inside the dataset the seed is (stream seed, $g$).

# %%
Code(inspect.getsource(random_jitter), language="python")

# %%
photo = normalize(data.photo[photo_pick[0]])
jittered = [random_jitter(photo, tf.constant([SEED, k], tf.int64)) for k in range(6)]
show_images([photo] + jittered, ["original"] + [f"seed ({SEED}, {k})" for k in range(6)], ncols=4, size=3)
plt.show()

# %% [markdown]
# The crop's corner lands anywhere in the first 30 of the 286 pixels in each direction, and some come out
# mirrored; the content stays recognisable, which is the point. In the pipeline it looks like this:

# %%
augmented = make_dataset(data.monet, data.photo, config.replace(augment=True))
plain_monet, _ = next(iter(make_dataset(data.monet, data.photo, config)))
aug_monet, _ = next(iter(augmented))
show_images([plain_monet, aug_monet], ["step 0, augment=False", "step 0, augment=True"], size=3)
plt.show()

# %% [markdown]
# Same painting at step 0 (the order doesn't depend on augmentation), jittered in the second.
#
# ## On your own
#
# 1. Compare the colour statistics of the paintings with those of *your* photos: put a few of
#    your images in a folder `mine/photo/` next to a copy of some paintings in `mine/monet/`, run
#    this notebook with `DATA_DIR` set to `mine`, and see where your photos land in the
#    saturation-brightness plot.
# 2. Build a dataset with `TrainConfig(batch_size=4, max_images=10)` and predict, before you run
#    it, the shape of one batch and the number of steps per epoch. Ten is not a multiple of four:
#    find out where the last two paintings of the first pass end up.
#
# ## Further reading
#
# - Zhu, Park, Isola, Efros, *Unpaired Image-to-Image Translation using Cycle-Consistent
#   Adversarial Networks* (CycleGAN, 2017): [arXiv:1703.10593](https://arxiv.org/abs/1703.10593).
# - Isola et al., *Image-to-Image Translation with Conditional Adversarial Networks* (pix2pix),
#   whose appendix describes the 286-then-crop jitter: [arXiv:1611.07004](https://arxiv.org/abs/1611.07004).
# - TensorFlow, [tf.data: Build TensorFlow input pipelines](https://www.tensorflow.org/guide/data)
#   and [Random number generation](https://www.tensorflow.org/guide/random_numbers)
#   (stateless random functions).
# - Kaggle, ["I'm Something of a Painter Myself"](https://www.kaggle.com/competitions/gan-getting-started),
#   the competition the lab's images come from.
# - Pillow, [image file formats and modes](https://pillow.readthedocs.io/en/stable/handbook/concepts.html#modes).
