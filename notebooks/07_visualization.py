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
# # 7. Turn photos into Monet paintings
#
# This notebook loads a trained Monet generator, stylises photos with it and compares each
# photo with its Monet version side by side.
#
# ## What you'll learn
# - how to load a generator: the one shipped with the library, or your own from a training
#   checkpoint, and use it on its own;
# - how to turn photos into Monets in batches, and back into ordinary images;
# - how to judge the result: side by side, interactively, in detail, and by its colours.
#
# ## What you'll need
# - nothing more by default: the library ships a trained generator (`load_pretrained("monet")`,
#   a compact U-Net trained by the project on the lab's images; its model card is
#   `cyclegan_lab/pretrained/MODEL_CARD.md`);
# - for your own generator, notebook 6 run at least once (set `MODEL = "checkpoint"`); its
#   checkpoint is in `checkpoints/` at the repository root;
# - a minute or two on a CPU.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: two photos only; the variable CYCLEGAN_LAB_SMOKE also turns it on
MODEL = "monet"  # "monet": shipped with the library; "checkpoint": notebook 6's; "original-50-epochs": the lab's (193 MiB)
CHECKPOINT_DIR = None  # where notebook 6 saved, for MODEL "checkpoint"; None: checkpoints/lab at the root (smoke: checkpoints/smoke)
N_PHOTOS = 8  # how many photos to stylise
SEED = 0  # picks the photos

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from cyclegan_lab import build_generator, find_data, load_folder, load_image, show_images
from cyclegan_lab.checkpoints import latest_checkpoint, load_network
from cyclegan_lab.data import image_files, normalize, to_uint8
from cyclegan_lab.pretrained import load_pretrained

SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"
checkpoint_dir = Path(CHECKPOINT_DIR or ("../checkpoints/smoke" if SMOKE else "../checkpoints/lab"))
n_photos = 2 if SMOKE else N_PHOTOS

# %% [markdown]
# ## Load the generator
#
# Only the photo-to-Monet generator $G$ (`monet_generator`) is needed now: the other three
# networks existed to train it.
#
# - `load_pretrained("monet")` gives the generator shipped with the library: the lab's U-Net with
#   16 filters instead of 64 (2.6 million weights instead of 54 million), trained by the project
#   on the lab's Monet paintings and photos. It accepts images whose sides are multiples of 128.
# - A checkpoint of notebook 6 holds all four networks; `load_network` copies the generator's
#   weights into a freshly built U-Net.

# %%
if MODEL == "checkpoint":
    generator = build_generator("monet_generator")
    checkpoint = latest_checkpoint(checkpoint_dir)
    if checkpoint is not None:
        load_network(generator, checkpoint)
        source = f"checkpoint {checkpoint.name}"
        print(f"Loaded the Monet generator from {checkpoint}.")
    else:
        source = "untrained generator"
        print(f"No checkpoint in {checkpoint_dir}: run notebook 6 first. "
              "Until then, this is an untrained generator, so expect grey noise.")
else:
    generator = load_pretrained(MODEL)
    source = f"pretrained {MODEL!r}"
    print(f"Loaded the pretrained {MODEL!r} generator: {generator.count_params():,} weights.")

# %% [markdown]
# ## Pick some photos
#
# We take photos at random from the photo folder. The loader converts any image to
# 256x256 RGB, the size the generator was trained on.

# %%
folders = find_data(DATA_DIR)
rng = np.random.default_rng(SEED)
files = image_files(folders.photo)
chosen = sorted(rng.choice(len(files), size=min(n_photos, len(files)), replace=False))
photos = np.stack([load_image(files[i]) for i in chosen])
print(f"{len(photos)} photos, array {photos.shape} {photos.dtype}")

# %% [markdown]
# ## Stylise them
#
# The generator works in the range of its tanh output, $[-1, 1]$: `normalize` maps pixels
# $p \in \{0, \dots, 255\}$ to $p / 127.5 - 1$, and `to_uint8` maps the output back. We call it
# with `training=False`, so dropout is off and the same photo always gives the same painting.

# %%
def stylise(photos, batch_size=4):
    """(n, 256, 256, 3) uint8 photos -> (n, 256, 256, 3) uint8 Monet-style images."""
    outputs = [generator(normalize(photos[i:i + batch_size]), training=False) for i in range(0, len(photos), batch_size)]
    return to_uint8(np.concatenate(outputs))


monets = stylise(photos)

# %% [markdown]
# ## Compare side by side
#
# In JupyterLab the cell below shows an interactive comparison: the **Photo** slider picks a
# photo, **Before | after** slides a split across the picture to compare details, **Show all**
# lays every pair out as a grid, and **Your photo** stylises an image of your own (JPEG or PNG,
# any size or colour mode). Each Monet version is computed once and then cached, so the sliders
# answer at once. Below the widget, the same comparison is drawn as a plain figure, which stays
# visible wherever the notebook is read without a running kernel.

# %%
from IPython.display import display

from cyclegan_lab.widgets import MonetComparer

comparer = MonetComparer(generator, photos, names=[files[i].name for i in chosen], monets=monets)
display(comparer)
comparer.figure(range(len(photos)))
plt.show()

# %% [markdown]
# ## Look closer
#
# Style lives in the details: brush-like strokes, softened edges, a shifted palette. Here is
# the centre 64x64 pixels of the first photo and of its Monet version, enlarged.

# %%
c = slice(96, 160)
show_images([photos[0][c, c], monets[0][c, c]], ["photo, centre", "Monet, centre"], size=4)
plt.show()

# %% [markdown]
# ## Compare the colours
#
# Monet's palette is lighter and bluer than most landscape photos. If the generator has learnt
# it, the colour histograms of its outputs move from the photos' towards the paintings'.

# %%
paintings = load_folder(folders.monet, limit=max(2, n_photos))
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

# %% [markdown]
# ## On your own
#
# 1. Stylise a photo of your own: upload it in the widget above, or load it with
#    `cyclegan_lab.load_image("my_photo.jpg")` (any size or colour mode) and pass `photo[None]`
#    to `stylise`.
# 2. The photo generator $F$ (`photo_generator`, in the same checkpoint: pass
#    `name="photo_generator"` to `load_network`) turns paintings into photos. Try it on a few
#    real Monets: does it look like a photograph?
#
# ## Further reading
#
# - J.-Y. Zhu et al., *Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
#   Networks*, [arXiv:1703.10593](https://arxiv.org/abs/1703.10593), figures of Monet results and failure cases.
# - Kaggle, [I'm Something of a Painter Myself](https://www.kaggle.com/competitions/gan-getting-started):
#   how Monet generators are scored (MiFID).
