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
# # 6. Train the CycleGAN
#
# This notebook puts the pieces of notebooks 2 to 5 together and trains all four networks
# for one epoch on your CPU, with a progress bar, loss curves, previews and checkpoints.
#
# ## What you'll learn
# - how one training step updates two generators and two discriminators, each with its own optimiser;
# - how Keras' `fit()` runs that step, and what the four losses look like while it learns;
# - how checkpoints let a long run stop and resume exactly where it was.
#
# ## What you'll need
# - notebooks 2 to 5 (data, generator, discriminator, losses);
# - time: one epoch (300 steps) of the lab's model takes about half an hour on a 2-core laptop CPU,
#   plus about a minute before the first step while TensorFlow builds the graph.
#   A GPU makes it a matter of seconds.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: one step on a few images; the variable CYCLEGAN_LAB_SMOKE also turns it on
EPOCHS = 1  # passes over the data
STEPS_PER_EPOCH = None  # None: one pass over the smaller domain (300 steps for the lab's data)
CHECKPOINT_DIR = None  # None: checkpoints/lab at the repository root (checkpoints/smoke in the smoke setting)
PREVIEW_EVERY = 50  # show the generator's output on fixed photos every N steps
SEED = 0  # fixes weights, data order and dropout

# %%
import inspect
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Code

from cyclegan_lab import TrainConfig, load_data, plot_losses, show_images
from cyclegan_lab.training import CycleGAN, SamplePreview, build_cyclegan, train

SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"
if SMOKE:
    config = TrainConfig.smoke(epochs=EPOCHS, seed=SEED)
else:
    config = TrainConfig(epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH, seed=SEED)
checkpoint_dir = Path(CHECKPOINT_DIR or ("../checkpoints/smoke" if SMOKE else "../checkpoints/lab"))
preview_every = 1 if SMOKE else PREVIEW_EVERY
config

# %% [markdown]
# `TrainConfig` holds every setting of a run, with the original lab's values as defaults:
# batch size 1, $\lambda = 10$, four Adam optimisers with learning rate $2 \cdot 10^{-4}$ and
# $\beta_1 = 0.5$. The same object drives the command line (`cyclegan-lab train`) and the tests.
#
# ## Load the data

# %%
data = load_data(config, DATA_DIR)
print(f"{len(data.monet)} Monet paintings from {data.folders.monet}")
print(f"{len(data.photo)} photos from {data.folders.photo}")

# %% [markdown]
# ## Read one training step
#
# A CycleGAN step runs six generator passes and four discriminator passes on one Monet
# painting $y$ and one photo $x$, then takes one gradient step for each network:
#
# $$
# \begin{aligned}
# \mathcal{L}_{G} &= \mathrm{BCE}\big(1, D_Y(G(x))\big) + \lambda\,\big(\lVert F(G(x)) - x\rVert_1 + \lVert G(F(y)) - y\rVert_1\big) + 0.5\,\lambda\,\lVert G(y) - y\rVert_1 \\
# \mathcal{L}_{D_Y} &= 0.5\,\big(\mathrm{BCE}(1, D_Y(y)) + \mathrm{BCE}(0, D_Y(G(x)))\big)
# \end{aligned}
# $$
#
# and the same with the roles of photos and Monets swapped for $F$ and $D_X$. Here $G$ is
# `monet_generator`, $F$ is `photo_generator`, $D_Y$ is `monet_discriminator` and $D_X$ is
# `photo_discriminator`. This is the library's `CycleGAN.compute_gradients`; `train_step`, which
# `fit()` calls once per batch, then lets each network's Adam optimiser apply its gradients:

# %%
Code(inspect.getsource(CycleGAN.compute_gradients), language="python")

# %% [markdown]
# One `tf.GradientTape` records all ten passes. The generators' losses share the cycle term: each
# generator is responsible for both round trips it takes part in. The original lab asks the tape
# four times, once per network; here both generators get their gradients from one backward pass
# of the sum of their losses (with the shared cycle term counted once), which gives exactly the
# same numbers: `tests/test_step.py` checks it against the lab's step, kept in
# `cyclegan_lab.reference`. It is not much faster: TensorFlow already skips the backward work
# that none of the lab's four calls needs, and a step of the lab's model is bound by the
# arithmetic of its convolutions, about 0.3 TFLOP per step.
#
# Two more settings of `TrainConfig` decide how fast a step runs:
#
# - `batch_passes=True` runs passes that do not depend on each other as one batch (the Monet
#   generator on the photo and on the Monet together, for instance). Instance norm treats each
#   image on its own, so the losses are the same; only the dropout masks drawn differ.
# - `precision="auto"` trains in bfloat16 mixed precision where the hardware computes bfloat16
#   (recent GPUs, TPUs, CPUs with AVX512_BF16 or AMX), and in float32 everywhere else, where
#   bfloat16 would only be emulated, several times slower. bfloat16 keeps float32's range with
#   fewer significant digits: convolutions run in it, while the weights, the optimiser, the last
#   layer of every network and the losses stay float32. The variable `CYCLEGAN_LAB_PRECISION`
#   (`float32` or `bfloat16`) overrides what `auto` picks.
#
# `python benchmarks/train_step.py` times each mode against the lab's step on your machine. The
# cell below says which mode this run uses, and why:

# %%
from cyclegan_lab.training import describe_mode

print("This run's training step:", describe_mode(config))

# %% [markdown]
# ## Build the CycleGAN
#
# `build_cyclegan` seeds Keras, builds the four networks of notebooks 3 and 4 and compiles the
# model with one optimiser each.

# %%
cyclegan = build_cyclegan(config)
for name in ["monet_generator", "photo_generator", "monet_discriminator", "photo_discriminator"]:
    print(f"{name:20s} {getattr(cyclegan, name).count_params():>12,} parameters")

# %% [markdown]
# ## Train for one epoch
#
# `train` wraps `fit()`: it makes the endless, seeded data stream of notebook 2, stops each
# epoch after `steps_per_epoch` steps, records every step's losses, writes a checkpoint at the
# end of each epoch, and resumes from the newest checkpoint in `checkpoint_dir` if it finds one.
# The progress bar shows this step's losses and the time left. The first step takes about a minute
# longer than the others: TensorFlow traces `train_step` into a graph before running it.
#
# Every `PREVIEW_EVERY` steps, `SamplePreview` shows what the Monet generator currently makes of
# two fixed photos, so you can watch the style appear (or not, yet). It is one picture, updated in
# place while training runs.

# %%
preview = SamplePreview(data.photo[:2], every=preview_every)
start = time.perf_counter()
cyclegan, history = train(config, data, checkpoint_dir=checkpoint_dir, callbacks=[preview])
elapsed = time.perf_counter() - start
steps = len(history.steps["monet_gen_loss"])
print(f"{steps} steps recorded; this run took {elapsed:.0f} s in all (tracing included).")

# %% [markdown]
# ## Plot the losses
#
# Thin lines are single steps, thick lines a moving average. Don't expect the curves to fall
# steadily as in supervised learning: the generators and discriminators play against each other,
# so a discriminator loss near $\log 2 \approx 0.69$ means neither side is winning. The generator
# loss is dominated by the cycle term early on and falls as the round trips get more faithful.

# %%
plot_losses(history, smooth=min(20, max(1, steps // 5)))
plt.show()

# %% [markdown]
# ## See what it learned
#
# The trained `monet_generator` applied to two photos from the end of the photo folder.
# After one epoch expect colour shifts and a softer texture rather than Monet's brushwork:
# the original lab trained for 50 epochs, and notebook 7 shows what a longer run gives.

# %%
from cyclegan_lab.data import normalize, to_uint8

last_photos = data.photo[-2:]
fakes = to_uint8(cyclegan.monet_generator(normalize(last_photos), training=False))
show_images(list(last_photos) + list(fakes), ["photo", "photo", "Monet-style", "Monet-style"], ncols=2)
plt.show()

# %% [markdown]
# ## Checkpoint and resume
#
# Each checkpoint is one file, `step-NNNNNN.npz`, holding every variable of the four networks and
# their optimisers (Adam's moment estimates and step counter), the random-number state of dropout,
# the loss history and the configuration. It is written to a temporary file and renamed when
# complete, so a run killed while saving keeps its previous checkpoint.

# %%
from cyclegan_lab.checkpoints import list_checkpoints, restore_checkpoint

for path in list_checkpoints(checkpoint_dir):
    print(f"{path}  {path.stat().st_size / 1e6:,.0f} MB")

# %% [markdown]
# Run this notebook again (or `cyclegan-lab train --checkpoint-dir checkpoints/lab --epochs 2`)
# and training continues from the newest checkpoint: the data stream starts at the same step,
# so an interrupted run ends exactly where an uninterrupted one would. Here we check that a
# fresh model restored from the checkpoint makes the same Monets as the model we just trained:

# %%
import numpy as np

restored = build_cyclegan(config)
state = restore_checkpoint(restored, list_checkpoints(checkpoint_dir)[-1])
again = to_uint8(restored.monet_generator(normalize(last_photos), training=False))
print(f"restored step {state['step']}; identical output: {np.array_equal(again, fakes)}")

# %% [markdown]
# ## On your own
#
# 1. Train a second epoch by setting `EPOCHS = 2` and running the notebook again. It resumes
#    after step 300. Do the previews change?
# 2. Set `TrainConfig(augment=True)` (random crops and flips, as in the CycleGAN paper) and
#    compare the loss curves of the first epoch with and without it.
#
# ## Further reading
#
# - J.-Y. Zhu, T. Park, P. Isola, A. A. Efros, *Unpaired Image-to-Image Translation using
#   Cycle-Consistent Adversarial Networks*, ICCV 2017, [arXiv:1703.10593](https://arxiv.org/abs/1703.10593),
#   section 4 for the training details.
# - Keras, [Customizing what happens in `fit()` with TensorFlow](https://keras.io/guides/custom_train_step_in_tensorflow/).
# - TensorFlow, [Better performance with `tf.function`](https://www.tensorflow.org/guide/function), on tracing.
