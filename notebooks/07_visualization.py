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
# ## What you'll learn
# - how to load a generator (`load_generator`) and paint photos with it (`stylize`);
# - how to judge the paintings on photos the model never saw, by eye and by colour.
#
# ## What you'll need
# - nothing more: the library ships a trained generator (model card: `cyclegan_lab/pretrained/MODEL_CARD.md`);
# - notebook 6 run once, to compare your own;
# - About 4 minutes: 3 of reading and 1 of running (full setting, 2 CPU cores), plus your time on the exercises.

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
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

from cyclegan_lab import (
    PACKAGE_FOLDER,
    find_data,
    load_folder,
    load_generator,
    load_image,
    show_images,
    stylize,
)
from cyclegan_lab.checkpoints import latest_checkpoint
from cyclegan_lab.images import fingerprint, image_files
from cyclegan_lab.judging.measures import copy_distance, palette_distance
from cyclegan_lab.teaching.exercises import check, reveal
from cyclegan_lab.teaching.parameters import check_parameter

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
# Only the photo-to-Monet generator $G$ is needed now: the other three networks existed to train
# it. `load_generator` takes a pretrained model's name or a checkpoint.

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
# The shipped generator's `monet.json` records how it was trained.

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
# That step count is its last run's, which started warm: the generator had already trained 20,500
# steps against PatchGAN discriminators, 29,500 in all (model card, "Its start").

# %% [markdown]
# ## Pick photos it never saw
#
# A generator can look good on its training photos and poor on new ones, so we judge it on unseen
# photos: `monet.json` lists the `fingerprint` (computed from the pixels) of every photo it trained on.

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
# `stylize` resizes each photo so its shorter side is `size` (256), runs the generator on it
# (scaled to $[-1, 1]$, `training=False`) and scales the painting back to the photo's size. A
# generator trained with the paper's jitter paints at its training zoom: it sees the photo
# enlarged 256 -> 286.
#
# **Exercise 1 (predict, then compute).** Before running the painting cell, predict: is the
# *copy distance* $\operatorname{mean}|G(x) - x|$ (on the $[-1, 1]$ scale) `"below"` 0.05, a
# near-copy, or `"above"`?

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
# Now compute the copy distance of `monets` from `photos` (both uint8); the check compares it with
# the library's `copy_distance`. Careful: uint8 arithmetic wraps around (`np.uint8(10) - np.uint8(20)` is 246).

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
# ## Compare side by side
#
# In JupyterLab, the widget's **Photo** slider picks a photo, **Before | after** slides a split
# across it, **Show all** shows every pair and **Your photo** paints one of yours.

# %%
from cyclegan_lab.widgets import MonetComparer

comparer = MonetComparer(generator, photos, names=[pool[i].name for i in chosen], monets=monets)
display(comparer)
comparer.figure(range(len(photos)))
plt.show()

# %% [markdown]
# ## Look closer
#
# Style lives in details: strokes, softened edges, and flaws such as a fine chequerboard. Here are
# the centre 64x64 pixels of the first photo and its painting.

# %%
c = slice(96, 160)
show_images([photos[0][c, c], monets[0][c, c]], ["photo, centre", "Monet, centre"], size=4)
plt.show()

# %% [markdown]
# ## Compare the colours
#
# If the generator has learnt Monet's palette, its colour histograms move from the photos'
# towards the paintings'. `palette_distance` measures how far (in pixel values) one set's colour
# histograms must shift to match another's.
#
# **Exercise 2 (predict, then run).** Before running the next cell, predict: is the generated
# palette `"closer"` to the paintings' than the photos' is, or `"further"`? The check compares
# your answer with the two distances printed.

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
# The shipped generator's run saved its losses and previews of fixed unseen photos. A GAN's
# losses do not fall to zero: the two sides push against each other. The generators' loss drops
# at step 5,500, where a second cycle halved the cycle weight $\lambda$ from 10 to 5 (and the
# identity weight with it).

# %%
for figure in ["training_losses.png", "training_progress.png"]:
    if (PACKAGE_FOLDER / figure).exists():
        display(Image(filename=str(PACKAGE_FOLDER / figure)))
    else:
        print(f"{figure} is not shipped with this version.")

# %% [markdown]
# ## Compare with your own generator
#
# Your U-Net from notebook 6 paints the same unseen photos.

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
# `stylize_file("my_photo.jpg", generator)` (from `cyclegan_lab.program.paint_files`). Nothing to
# check: look.
#
# **Exercise 4.** `stylize(photos, generator, size=512)` paints each photo enlarged to 512 and
# shrinks the result back. The convolutions see the same few pixels around each point: do the
# strokes get larger or smaller relative to the picture? Try it on one photo.
#
# <details><summary>Solution</summary>
#
# ```python
# big = stylize(photos[:1], generator, size=512)
# show_images([monets[0], big[0]], ["at 256", "at 512"], size=4)
# ```
# Smaller: a stroke spans a fixed number of pixels, and the working picture is twice as wide, so
# shrunk back each stroke is half as wide.
# </details>
#
# ## Further reading
#
# - Zhu et al., *Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks*,
#   [arXiv:1703.10593](https://arxiv.org/abs/1703.10593): Monet results and failure cases.
# - Notebooks 8 and 9: how the shipped generator differs from the lab's, and why.
