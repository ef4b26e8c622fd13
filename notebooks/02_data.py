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
# # 2. The data: Monet paintings and photos
#
# This notebook loads the lab's two image collections, compares them, and turns them into the
# batches that feed training.
#
# ## What you'll learn
#
# - How the colours of paintings and photos differ.
# - How the images become an endless stream of `(monet, photo)` batches in $[-1, 1]$, and what
#   an epoch means for unpaired data.
# - The CycleGAN paper's random jitter augmentation.
#
# ## What you'll need
#
# - Notebook 1 helps but is not required.
# - About 5 minutes: 4 of reading and 1 of running (full setting, 2 CPU cores), plus your time on the exercises.
# - The lab's data (300 paintings, 300 photos), downloaded the first time.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook

# %% [markdown]
# The quick setting loads a few images per domain, the full setting up to 300.

# %%
# %matplotlib inline
import inspect
import os

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Code
from matplotlib.colors import rgb_to_hsv

from cyclegan_lab import (
    TrainConfig,
    find_data,
    load_data,
    make_dataset,
    normalize,
    show_images,
    to_uint8,
)
from cyclegan_lab.data import LAB_DATA, LAYOUTS, cache_dir, steps_per_epoch
from cyclegan_lab.images import image_files
from cyclegan_lab.pipeline import image_stream, random_jitter
from cyclegan_lab.teaching.exercises import check
from cyclegan_lab.teaching.parameters import check_parameter

DATA_DIR = check_parameter("DATA_DIR", DATA_DIR, path=True, optional=True)
SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
SEED = check_parameter("SEED", SEED, whole=(0, 2**32 - 1))
SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"

MAX_IMAGES = 8 if SMOKE else 300  # images loaded per domain
N_SHOW = 4 if SMOKE else 8  # images shown per domain
config = TrainConfig(max_images=MAX_IMAGES, seed=SEED)
rng = np.random.default_rng(SEED)

# %% [markdown]
# ## Get the data
#
# `find_data` uses the first of: a folder you name (`DATA_DIR`, or the variable
# `CYCLEGAN_LAB_DATA`), the cache of an earlier download, or a fresh download of the lab's zip.

# %%
print("lab's zip:", LAB_DATA.url)
print(f"size:      {LAB_DATA.size:,} bytes")
print("cache:    ", cache_dir())

# %% [markdown]
# A data folder holds one of these pairs of sub-folders (the last row is for your own images):

# %%
print(f"{'Monet folder':<16}{'photo folder':<16}")
for monet_name, photo_name in LAYOUTS:
    print(f"{monet_name:<16}{photo_name:<16}")

# %%
folders = find_data(DATA_DIR)
for name, folder in [("Monet", folders.monet), ("photo", folders.photo)]:
    print(f"{name:>5}: {folder}  ({len(image_files(folder)):,} files)")

# %% [markdown]
# `load_data` reads each domain into one `uint8` array: (images, height, width, 3 colours),
# values 0 to 255.

# %%
data = load_data(config, DATA_DIR)
for name, images in [("Monet", data.monet), ("photo", data.photo)]:
    print(f"{name:>5}: shape {images.shape}, dtype {images.dtype}, values {images.min()}..{images.max()}")

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
# Similar subjects, but no pairs: no photo shows the scene of a painting. That is why the
# CycleGAN needs the cycle-consistency loss instead of a pixel-by-pixel comparison with a target.

# %% [markdown]
# ## Compare the colours of the two domains
#
# Besides brush strokes, the domains differ in colour. Left: histograms of red, green and blue
# over a sample of pixels. Right: one dot per image, its mean brightness (the largest of R, G, B)
# against its mean saturation (how far from grey).

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

summary, per_image = {}, {}
for name, pixels in domains.items():
    hsv = rgb_to_hsv(pixels)
    saturation, brightness = hsv[..., 1].mean(axis=(1, 2)), hsv[..., 2].mean(axis=(1, 2))
    axes[3].scatter(saturation, brightness, s=12, alpha=0.6, label=name, color=styles[name]["color"])
    near_black = (pixels.max(axis=-1) < 0.1).mean()  # share of pixels darker than 10% in every channel
    summary[name] = (pixels.mean(axis=(0, 1, 2)), saturation.mean(), brightness.mean(),
                     pixels.std(axis=(1, 2)).mean(), near_black)
    per_image[name] = {"saturation": saturation, "brightness": brightness}
axes[3].set_xlabel("mean saturation")
axes[3].set_ylabel("mean brightness")
axes[3].set_title("one dot per image")
axes[3].legend()
figure.tight_layout()
plt.show()

print(f"{'':6}{'mean R':>8}{'mean G':>8}{'mean B':>8}{'saturation':>12}{'brightness':>12}{'contrast':>10}"
      f"{'near-black':>12}")
for name, (rgb, saturation, brightness, contrast, near_black) in summary.items():
    values = "".join(f"{v:8.3f}" for v in rgb)
    print(f"{name:6}{values}{saturation:12.3f}{brightness:12.3f}{contrast:10.3f}{near_black:12.1%}")

monet, photo = summary["Monet"], summary["photo"]
print(f"\nIn these {len(data.monet)} paintings and {len(data.photo)} photos, on average the paintings are:")
print(f"  {'brighter' if monet[2] > photo[2] else 'darker'} ({monet[2]:.3f} vs {photo[2]:.3f}),"
      f" {'less' if monet[1] < photo[1] else 'more'} saturated ({monet[1]:.3f} vs {photo[1]:.3f}),"
      f" {'lower' if monet[3] < photo[3] else 'higher'} in contrast ({monet[3]:.3f} vs {photo[3]:.3f}),"
      f" with {'fewer' if monet[4] < photo[4] else 'more'} near-black pixels ({monet[4]:.1%} vs {photo[4]:.1%}).")


def best_threshold_accuracy(feature):
    """The best share of images one threshold on `feature` sorts into the right domain."""
    values = np.concatenate([per_image["Monet"][feature], per_image["photo"][feature]])
    is_monet = np.r_[np.ones(len(data.monet), bool), np.zeros(len(data.photo), bool)]
    return max(max(np.mean((values > t) == is_monet), np.mean((values <= t) == is_monet)) for t in values)


for feature in ["brightness", "saturation"]:
    print(f"One threshold on mean {feature} sorts at best {best_threshold_accuracy(feature):.0%} of the images "
          "into the right domain.")

# %% [markdown]
# ("Contrast": each channel's standard deviation within an image; "near-black": pixels under 10%
# in all three channels.) A photo-to-Monet generator must learn these shifts, and the brush
# texture they can't see. If no single number separates the domains, the discriminators must
# learn what does. With few images loaded, the numbers are noisy.

# %% [markdown]
# ## Feed the images to training with tf.data
#
# The generator ends in a $\tanh$, with outputs in $(-1, 1)$, so real images get the same scale:
# `normalize` maps each 8-bit value $v \in \{0, \dots, 255\}$ to $v / 127.5 - 1$, and `to_uint8`
# undoes it. `make_dataset` yields `(real_monet, real_photo)` batches:

# %%
dataset = make_dataset(data.monet, data.photo, config)
real_monet, real_photo = next(iter(dataset))
for name, batch in [("real_monet", real_monet), ("real_photo", real_photo)]:
    print(f"{name}: shape {tuple(batch.shape)}, dtype {batch.dtype.name}, "
          f"values {float(tf.reduce_min(batch)):.3f}..{float(tf.reduce_max(batch)):.3f}")

# %% [markdown]
# Batch size 1: one painting and one photo per step, drawn independently, since the data is
# unpaired. The first steps:

# %%
first_steps = list(dataset.take(4))
show_images([monet[0] for monet, _ in first_steps] + [photo[0] for _, photo in first_steps],
            [f"step {s}: Monet" for s in range(4)] + [f"step {s}: photo" for s in range(4)], size=2.5)
plt.show()

# %% [markdown]
# The stream never ends: each pass over a domain has a new order, fixed by the seed. An epoch is
# **one pass over the smaller domain**, in batches: 300 steps for the lab's data.
# `TrainConfig(steps_per_epoch=...)` overrides it.

# %%
print(f"{len(data.monet)} paintings, {len(data.photo)} photos, batch size {config.batch_size}: "
      f"{steps_per_epoch(data, config)} steps per epoch")

# %% [markdown]
# ## Augment the images with random jitter
#
# With only 300 images per domain, a model can start to memorise them. pix2pix (Isola et al.
# 2017), the CycleGAN code and TensorFlow's CycleGAN tutorial add random *jitter*: enlarge to
# 286x286, cut a random 256x256 square, and flip left to right half of the time. It is off by
# default; `TrainConfig(augment=True)` switches it on. A given seed always gives the same crop and flip.

# %%
Code(inspect.getsource(random_jitter), language="python")

# %%
photo = normalize(data.photo[photo_pick[0]])
jittered = [random_jitter(photo, tf.constant([SEED, k], tf.int64)) for k in range(6)]
show_images([photo] + jittered, ["original"] + [f"seed ({SEED}, {k})" for k in range(6)], ncols=4, size=3)
plt.show()

# %% [markdown]
# The crop's corner lands at offsets 0 to 30 in each direction; the content stays recognisable.
# In the pipeline:

# %%
augmented = make_dataset(data.monet, data.photo, config.replace(augment=True))
plain_monet, _ = next(iter(make_dataset(data.monet, data.photo, config)))
aug_monet, _ = next(iter(augmented))
show_images([plain_monet, aug_monet], ["step 0, augment=False", "step 0, augment=True"], size=3)
plt.show()

big = tf.image.resize(plain_monet[0], [286, 286], method="nearest").numpy()  # the plain painting, enlarged
found = [(top, left, mirrored) for mirrored in (False, True) for top in range(31) for left in range(31)
         if np.array_equal((big[:, ::-1] if mirrored else big)[top:top + 256, left:left + 256], aug_monet[0])]
print("the augmented painting is a 256x256 cut of the plain one enlarged to 286:", bool(found),
      "| (top, left, mirrored):", found)

# %% [markdown]
# Same painting at step 0, enlarged, cropped and maybe flipped: augmentation changes each image,
# not the order of the stream.

# %% [markdown]
# ## On your own
#
# **Exercise 1 (predict, then run).** For `TrainConfig(batch_size=4, max_images=10)`, predict
# the shape of one `real_monet` batch and the number of steps per epoch.

# %% tags=["exercise", "predict"]
batch_shape_answer = None  # a tuple, e.g. (1, 2, 3, 4)
steps_answer = None  # a whole number

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: 4 images per batch, each 256x256x3. An epoch is one pass over the smaller domain in
# whole batches: 10 // 4 = 2 steps. The last 2 images of a pass are not lost: the stream goes on,
# so they open the next batch, and the next pass begins inside step 2.
batch_shape_answer = (4, 256, 256, 3)
steps_answer = 10 // 4

# %%
small_config = TrainConfig(batch_size=4, max_images=10, seed=SEED)
small = load_data(small_config, DATA_DIR)
small_batch, _ = next(iter(make_dataset(small.monet, small.photo, small_config)))
print(f"{len(small.monet)} paintings, {len(small.photo)} photos loaded; one batch {tuple(small_batch.shape)}; "
      f"{steps_per_epoch(small, small_config)} steps per epoch")
check(batch_shape_answer, tuple(small_batch.shape), "The batch size comes first.")
check(steps_answer, steps_per_epoch(small, small_config), "Whole batches in one pass over the smaller domain.")

# %% [markdown]
# **Exercise 2.** What value does `normalize` give the 8-bit value 64? Three decimals.

# %% tags=["exercise", "predict"]
normalized_answer = None  # a number

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: 64 / 127.5 - 1 = 0.502 - 1 = -0.498.
normalized_answer = 64 / 127.5 - 1

# %%
check(normalized_answer, float(normalize(np.uint8([64]))[0]), "v / 127.5 - 1")

# %% [markdown]
# **Exercise 3.** Where do *your* photos land in the saturation-brightness plot? Put some in
# `mine/photo/`, a copy of some paintings in `mine/monet/`, and run this notebook with
# `DATA_DIR = "mine"`.
#
# <details><summary>Solution</summary>
#
# `monet/` + `photo/` is the last row of the layout table. Read the result off the table and the
# threshold lines, not the histograms alone. With a handful of images the numbers are noisy:
# prefer 20 or more.
#
# </details>

# %% [markdown]
# ## In practice: the stream formula, and exact resume
#
# Element $g$ of a domain's stream (from 0) is $\text{image}\big[\pi_{p}(g \bmod n)\big]$, with
# pass $p = \lfloor g / n \rfloor$, $n$ images, and $\pi_p$ a random permutation fixed by the seed,
# the domain and the pass. Every pass shows each image once, and element $g$ needs none before it:
# a run restarted at step $s$ uses `start_step=s` and sees what the uninterrupted run would have.

# %%
Code(inspect.getsource(image_stream), language="python")

# %%
small_monet, small_photo = data.monet[:5], data.photo[:5]
index_of = {image.tobytes(): i for i, image in enumerate(small_monet)}
small_dataset = make_dataset(small_monet, small_photo, config)
order = [index_of[to_uint8(monet[0]).tobytes()] for monet, _ in small_dataset.take(15)]
for p in range(3):
    print(f"pass {p} (steps {5 * p:>2}..{5 * p + 4:>2}): paintings {order[5 * p:5 * p + 5]}")
print("every pass shows each painting once:", all(sorted(order[5 * p:5 * p + 5]) == list(range(5)) for p in range(3)))

resumed = make_dataset(small_monet, small_photo, config, start_step=7)
same = all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
           for a, b in zip(small_dataset.skip(7).take(5), resumed.take(5)))
print("stream resumed at step 7 == steps 7..11 of the original:", same)

# %% [markdown]
# ## Further reading
#
# - Zhu, Park, Isola, Efros, *Unpaired Image-to-Image Translation using Cycle-Consistent
#   Adversarial Networks* (CycleGAN, 2017): [arXiv:1703.10593](https://arxiv.org/abs/1703.10593).
# - Isola et al., *Image-to-Image Translation with Conditional Adversarial Networks* (pix2pix),
#   whose appendix describes the 286-then-crop jitter: [arXiv:1611.07004](https://arxiv.org/abs/1611.07004).
# - TensorFlow, [tf.data: Build TensorFlow input pipelines](https://www.tensorflow.org/guide/data).
# - Kaggle, ["I'm Something of a Painter Myself"](https://www.kaggle.com/competitions/gan-getting-started),
#   where the lab's images come from.
