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
# # 7. Turn photos into Monet paintings
#
# This notebook loads a trained Monet generator, paints photos it never saw during training, and
# compares each photo with its Monet version: side by side, in detail, by colour, and against the
# generator you trained in notebook 6.
#
# ## What you'll learn
# - how to load a generator: the one shipped with the library, your own from a checkpoint, or
#   the original lab's, with one function, `load_generator`;
# - how to paint photos in batches with `stylize`;
# - how to judge the result honestly: on photos the model never trained on, by eye and by
#   measures that see what the eye sees.
#
# ## What you'll need
# - nothing more by default: the library ships a trained generator (its model card is
#   `cyclegan_lab/pretrained/MODEL_CARD.md`, and the cell below prints how it was trained);
# - for the comparison with your own generator, notebook 6 run once (otherwise that section says so);
# - a minute or two on a CPU.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: two photos only; the variable CYCLEGAN_LAB_SMOKE also turns it on
MODEL = "monet"  # "monet": shipped; "checkpoint": notebook 6's; "original-50-epochs": the lab's (193 MiB download)
CHECKPOINT_DIR = None  # where notebook 6 saved; None: checkpoints/lab at the root (smoke: checkpoints/smoke)
N_PHOTOS = 8  # how many unseen photos to paint
SEED = 0  # picks the photos

# %%
import json
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

from cyclegan_lab import (
    PACKAGE_FOLDER,
    TrainConfig,
    find_data,
    load_folder,
    load_generator,
    load_image,
    load_pretrained,
    show_images,
    stylize,
)
from cyclegan_lab.checkpoints import latest_checkpoint
from cyclegan_lab.images import fingerprint, image_files
from cyclegan_lab.judging.measures import copy_distance, palette_distance
from cyclegan_lab.teaching.exercises import check, reveal
from cyclegan_lab.teaching.parameters import check_parameter
from cyclegan_lab.training import describe_mode

DATA_DIR = check_parameter("DATA_DIR", DATA_DIR, path=True, optional=True)
SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
MODEL = check_parameter("MODEL", MODEL, choices=("monet", "checkpoint", "original-50-epochs"))
CHECKPOINT_DIR = check_parameter("CHECKPOINT_DIR", CHECKPOINT_DIR, path=True, optional=True)
N_PHOTOS = check_parameter("N_PHOTOS", N_PHOTOS, whole=(1, 300))
SEED = check_parameter("SEED", SEED, whole=(0, 2**32 - 1))
SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"
checkpoint_dir = Path(CHECKPOINT_DIR or ("../checkpoints/smoke" if SMOKE else "../checkpoints/lab"))
n_photos = 2 if SMOKE else N_PHOTOS


# %% [markdown]
# ## Load the generator
#
# Only the photo-to-Monet generator $G$ (`monet_generator`) is needed now: the other three
# networks existed to train it. `load_generator` takes a pretrained model's name, a checkpoint
# file, or a folder of checkpoints; a checkpoint stores the configuration of its run, so the
# network is rebuilt as it was trained (a U-Net or a ResNet, its width), whatever you chose in
# notebook 6.

# %%
shipped_info = json.loads((PACKAGE_FOLDER / "monet.json").read_text())
if MODEL == "checkpoint":
    checkpoint = latest_checkpoint(checkpoint_dir)
    if checkpoint is not None:
        generator = load_generator(checkpoint)
        print(f"Loaded the Monet generator from {checkpoint}.")
    else:
        print(f"No checkpoint in {checkpoint_dir}: run notebook 6 first. The shipped generator stands in.")
        generator = load_generator("monet")
else:
    generator = load_generator(MODEL)
    print(f"Loaded the pretrained {MODEL!r} generator: {generator.count_params():,} weights.")

# %% [markdown]
# How was the shipped generator trained? Its description, `monet.json`, holds the configuration
# of its training run; the cell prints it rather than this text repeating it.

# %%
recipe = shipped_info["config"]
train_size = recipe.get("crop_size") or recipe["image_size"]
print(f"The shipped generator: {recipe['generator']}, {train_size}x{train_size} training crops, "
      f"{shipped_info['step']:,} steps.")
print("Its recipe:", ", ".join(f"{k}={v}" for k, v in recipe.items()
                               if k in ("discriminator", "adversarial_loss", "lambda_cycle", "pool_size", "augment",
                                        "identity_weight", "decay_epochs", "diffaugment", "photo_negatives",
                                        "ema_decay", "upsampling")))
trained_on = set(shipped_info["trained_on_photos"])  # fingerprints of the photos it trained on
print(f"It trained on {len(trained_on):,} distinct photos; monet.json lists each one's fingerprint.")

# %% [markdown]
# ## Pick photos it never saw
#
# A generator can look good on the photos it trained on and poor on new ones, so we judge it on
# photos it never saw. Which ones those are depends on your folder (the lab's 300 photos, the
# Kaggle 7,038, the 1,500 of the course's tests), so we do not go by file names or positions:
# `fingerprint` names each photo by its pixels, and `monet.json` lists the fingerprints of every
# photo the shipped generator trained on.

# %%
folders = find_data(DATA_DIR)
files = image_files(folders.photo)
unseen = [path for path in files if fingerprint(load_image(path)) not in trained_on]
print(f"Of the {len(files):,} photos in {folders.photo}, {len(unseen):,} were never seen by the shipped generator.")
if MODEL != "monet":
    print(f"(Those are the shipped generator's unseen photos; the {MODEL!r} generator may have trained on some.)")
if not unseen:
    print("None is left unseen: every photo below was seen in training, so it shows what the model learnt, "
          "not how it paints a new photo. Put photos of your own in the folder to judge that.")
pool = unseen or files
rng = np.random.default_rng(SEED)
chosen = sorted(rng.choice(len(pool), size=min(n_photos, len(pool)), replace=False))
photos = np.stack([load_image(pool[i]) for i in chosen])
print(f"{len(photos)} photos, array {photos.shape} {photos.dtype}, "
      f"{'all unseen' if unseen else 'all seen in training'}")

# %% [markdown]
# ## Paint them
#
# `stylize` takes uint8 photos, scales them to the generator's $[-1, 1]$ (`p / 127.5 - 1`),
# runs the generator with `training=False` (dropout off, so the same photo always gives the same
# painting) a batch at a time, and scales back to uint8.
#
# **Exercise 1 (predict, then compute).** Before you run the painting cell, predict: will the
# generator hand the photos back nearly unchanged, with a *copy distance* $\operatorname{mean}|G(x) - x|$
# (on the $[-1, 1]$ scale) `"below"` 0.05, or change them more (`"above"`)?

# %% tags=["exercise", "predict"]
copy_prediction = None  # "below" or "above"

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: the identity and cycle losses reward keeping the photo, but the adversarial loss rewards
# looking like a Monet, which a near-copy does not. The library holds the shipped generator to a copy
# distance above 0.05 on unseen photos (tests/test_pretrained.py).
copy_prediction = "above"

# %%
monets = stylize(photos, generator)

# %% [markdown]
# Now compute the copy distance of `monets` from `photos`, both uint8 arrays. Careful: uint8
# arithmetic wraps around (`np.uint8(10) - np.uint8(20)` is 246).

# %% tags=["exercise", "implement"]
copy_answer = None  # mean |monets - photos| on the [-1, 1] scale, a number

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: subtract as floats; 255 pixel values span the 2 units of [-1, 1], so divide by 127.5.
copy_answer = np.abs(monets.astype(np.float64) - photos.astype(np.float64)).mean() / 127.5

# %%
measured_copy = copy_distance(monets, photos)  # the library's measure
check(copy_answer, measured_copy, "Convert both arrays to float before subtracting, then divide the mean by 127.5.")
check(copy_prediction, "above" if measured_copy > 0.05 else "below", f"The copy distance is {measured_copy:.3f}.")
reveal(copy_answer, f"copy distance of the paintings from their photos: {measured_copy:.3f}")

# %% [markdown]
# ## How fast, and in which number format
#
# `load_generator` builds a network in the precision its run trained in. The shipped run's is
# `"auto"`: **bfloat16** mixed precision where the processor computes bfloat16 natively (flags
# AVX512_BF16 or AMX), float32 elsewhere. bfloat16 keeps float32's range but stores only 7 bits
# of mantissa (8 with the implicit leading one), between 2 and 3 significant digits; the weights stay float32 and the last layer computes in
# float32, so only the convolutions' arithmetic is coarser. Is that visible in a painting? The
# cell loads the shipped generator in both formats (`precision=`), times one photo at a time,
# measures how far apart the two paintings are, in levels of 255, and shows the first painting in
# each format beside their difference, magnified 16 times. (Where the processor lacks bfloat16 it
# is emulated, and slower: "auto" picks float32 there.)

# %%
print(f"'auto' means {describe_mode(TrainConfig(precision='auto'))} on this machine.")
timed, painted = {}, {}
for precision in ("float32", "bfloat16"):
    model = load_pretrained("monet", precision=precision)
    stylize(photos[:1], model, batch_size=1)  # the first call traces the network for this shape
    start = time.perf_counter()
    painted[precision] = stylize(photos, model, batch_size=1)
    timed[precision] = (time.perf_counter() - start) / len(photos) * 1000
    print(f"{precision:>8}: {timed[precision]:6.0f} ms a photo")
apart = np.abs(painted["float32"].astype(int) - painted["bfloat16"].astype(int))
print(f"The two paintings differ by {apart.mean():.2f} levels of 255 on average; {(apart > 8).mean():.2%} of "
      f"values by more than 8. bfloat16 took {timed['bfloat16'] / timed['float32']:.2f}x float32's time here.")
magnified = np.clip(apart[0] * 16, 0, 255).astype(np.uint8)  # 16x, so that a difference of 16 levels is white
show_images([painted["float32"][0], painted["bfloat16"][0], magnified],
            ["float32", "bfloat16", "their difference, x16"], ncols=3)
plt.show()

# %% [markdown]
# ## Compare side by side
#
# In JupyterLab the cell below shows an interactive comparison: the **Photo** slider picks a
# photo, **Before | after** slides a split across the picture, **Show all** lays every pair out as
# a grid, and **Your photo** paints an image of your own (JPEG or PNG, any size or colour mode).
# Below the widget the same comparison is drawn as a plain figure, which stays visible wherever
# the notebook is read without a running kernel.

# %%
from cyclegan_lab.widgets import MonetComparer

comparer = MonetComparer(generator, photos, names=[pool[i].name for i in chosen], monets=monets)
display(comparer)
comparer.figure(range(len(photos)))
plt.show()

# %% [markdown]
# ## Look closer
#
# Style lives in the details: strokes, softened edges, a shifted palette, and sometimes flaws a
# small view hides, such as a fine chequerboard. Here is the centre 64x64 pixels of the first
# photo and of its Monet version, enlarged.

# %%
c = slice(96, 160)
show_images([photos[0][c, c], monets[0][c, c]], ["photo, centre", "Monet, centre"], size=4)
plt.show()

# %% [markdown]
# ## Compare the colours
#
# If the generator has learnt Monet's palette, the colour histograms of its paintings move from
# the photos' towards the paintings'. `palette_distance` puts a number on it: for each of red,
# green and blue, how far (in pixel values) the histogram of one set must shift to become the
# other's, averaged.
#
# **Exercise 2 (predict, then run).** Before you run the next cell, predict: is the generated set's
# palette `"closer"` to the paintings' than the photos' palette is, or `"further"`?

# %% tags=["exercise", "predict"]
palette_prediction = None  # "closer" or "further"

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: the Monet discriminator sees the colours of every patch, so the adversarial loss pulls the
# generated colours towards the paintings'; nothing in training pushes them away.
palette_prediction = "closer"

# %%
paintings = load_folder(folders.monet, limit=300 if not SMOKE else 20)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), sharey=True)
for ax, (channel, colour) in zip(axes, enumerate(["red", "green", "blue"])):
    for images, label, style in [(photos, "photos", ":"), (monets, "generated", "-"), (paintings, "real Monets", "--")]:
        counts, edges = np.histogram(images[..., channel], bins=32, range=(0, 255), density=True)
        ax.plot(edges[:-1], counts, style, label=label)
    ax.set_title(f"{colour} channel")
    ax.set_xlabel("pixel value")
axes[0].legend()
fig.tight_layout()
plt.show()
before, after = palette_distance(photos, paintings), palette_distance(monets, paintings)
print(f"palette distance to the paintings: photos {before:.1f}, generated {after:.1f} "
      f"({'closer to' if after < before else 'further from'} Monet's palette)")
print(f"mean brightness: photos {photos.mean():.0f}, generated {monets.mean():.0f}, paintings {paintings.mean():.0f} (0-255)")

# %%
check(palette_prediction, "closer" if after < before else "further", "Compare the two palette distances above.")

# %% [markdown]
# ## How it learnt
#
# The shipped generator's training run saved its losses and, every few hundred steps, its
# paintings of fixed unseen photos. The losses of a GAN do not fall to zero, since the two sides
# push against each other; the previews show what the numbers cannot.

# %%
for figure in ["training_losses.png", "training_progress.png"]:
    if (PACKAGE_FOLDER / figure).exists():
        display(Image(filename=str(PACKAGE_FOLDER / figure)))
    else:
        print(f"{figure} is not shipped with this version.")

# %% [markdown]
# ## Compare with your own generator
#
# Notebook 6 trained the lab's U-Net for one epoch. Here it paints the same unseen photos as
# the shipped generator.

# %%
own = latest_checkpoint(checkpoint_dir)
if own is None:
    print(f"No checkpoint in {checkpoint_dir}: run notebook 6 to add your generator to this comparison.")
else:
    yours = stylize(photos, load_generator(own))
    n = len(photos)
    show_images([*photos, *monets, *yours], ["unseen photo"] * n + ["shipped generator"] * n
                + [f"yours ({own.name})"] * n, ncols=n, size=2.5)
    plt.show()
    print(f"copy distance (mean |G(x) - x|, 0 = an unchanged photo): shipped {copy_distance(monets, photos):.3f}, "
          f"yours {copy_distance(yours, photos):.3f}")

# %% [markdown]
# ## On your own
#
# **Exercise 3.** Paint a photo of your own: upload it in the widget above, or call
# `stylize_file("my_photo.jpg", generator)` (from `cyclegan_lab.program.paint_files`), which keeps its
# shape and returns a PIL image. Nothing to check: look.
#
# **Exercise 4.** `stylize(photos, generator, size=512)` works at twice the scale: it enlarges each
# 256-pixel photo to 512 (times the generator's zoom), paints it there, and shrinks the painting
# back to the photo's 256. The generator's convolutions see the same few pixels around each point,
# so do its strokes get larger or smaller relative to the picture? Try it on one photo and look.
#
# <details><summary>Solution</summary>
#
# ```python
# big = stylize(photos[:1], generator, size=512)
# show_images([photos[0], monets[0], big[0]], ["photo", "at 256", "at 512"], size=4)
# ```
# Relative to the picture the strokes get smaller: each is a fixed number of pixels of the
# working picture, which has four times as many pixels as at 256; shrunk back, each stroke is half
# as wide as it would be painted at 256.
# </details>
#
# ## Further reading
#
# - J.-Y. Zhu et al., *Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
#   Networks*, [arXiv:1703.10593](https://arxiv.org/abs/1703.10593), figures of Monet results and failure cases.
# - Notebooks 8 and 9, *Beyond the lab*: how the shipped generator and its recipe differ from the lab's, and why.
# - Kaggle, [I'm Something of a Painter Myself](https://www.kaggle.com/competitions/gan-getting-started):
#   how Monet generators are scored (MiFID).
