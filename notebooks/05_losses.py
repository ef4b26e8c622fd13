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
# # 5. The losses
#
# ## What you'll learn
#
# - The discriminator, adversarial, cycle and identity losses: formulas, code and values on real
#   images.
# - How the losses read for a perfect, an unsure and a fooled discriminator.
# - How $\lambda$ (`LAMBDA`) trades Monet's style against the photo's content.
#
# ## What you'll need
#
# - Notebook 1; ideally notebooks 3 and 4.
# - About 6 minutes: 5 of reading and 1 of running (full setting, 2 CPU cores), plus your time on the exercises.
# - The lab's data, downloaded for you the first time.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display

from cyclegan_lab import TrainConfig, build_cyclegan, load_data, normalize, show_images
from cyclegan_lab.teaching.exercises import check, reveal
from cyclegan_lab.teaching.implementations import check_implementation
from cyclegan_lab.teaching.parameters import check_parameter

DATA_DIR = check_parameter("DATA_DIR", DATA_DIR, path=True, optional=True)
SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
SEED = check_parameter("SEED", SEED, whole=(0, 2**32 - 1))
SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"

N_IMAGES = 1 if SMOKE else 4  # Monet paintings and photos in the batch
LAMBDA = TrainConfig().lambda_cycle  # 10: the weight of the cycle loss, the lab's value
IDENTITY_WEIGHT = TrainConfig().identity_weight  # 0.5: the identity loss's share of LAMBDA
LAMBDAS = [0, 1, 2, 5, 10, 20]  # values of LAMBDA compared below


def table(header, rows):
    """A small Markdown table, shown in the notebook."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    display(Markdown("\n".join(lines)))


# %% [markdown]
# ## Load real images and an untrained CycleGAN
#
# Images are in $[-1, 1]$; the four networks get fresh, seeded weights.

# %%
data = load_data(TrainConfig(max_images=N_IMAGES, seed=SEED), DATA_DIR)
real_monet = normalize(data.monet)  # (N_IMAGES, 256, 256, 3) in [-1, 1]
real_photo = normalize(data.photo)
cyclegan = build_cyclegan(TrainConfig(seed=SEED, precision="float32"))
print("batch:", real_monet.shape, real_photo.shape)
print("networks:", ", ".join(net.name for net in [cyclegan.monet_generator, cyclegan.photo_generator,
                                                  cyclegan.monet_discriminator, cyclegan.photo_discriminator]))

# %% [markdown]
# The passes of one training step: both cycles, each generator on its own domain, each
# discriminator on a real and a fake image.

# %%
monet_generator, photo_generator = cyclegan.monet_generator, cyclegan.photo_generator  # G, F
monet_discriminator, photo_discriminator = cyclegan.monet_discriminator, cyclegan.photo_discriminator  # D_Y, D_X

fake_monet = monet_generator(real_photo, training=False)  # G(x)
cycled_photo = photo_generator(fake_monet, training=False)  # F(G(x))
fake_photo = photo_generator(real_monet, training=False)  # F(y)
cycled_monet = monet_generator(fake_photo, training=False)  # G(F(y))
same_monet = monet_generator(real_monet, training=False)  # G(y)
same_photo = photo_generator(real_photo, training=False)  # F(x)

disc_real_monet = monet_discriminator(real_monet, training=False)  # (N, 30, 30, 1) logits
disc_fake_monet = monet_discriminator(fake_monet, training=False)
disc_real_photo = photo_discriminator(real_photo, training=False)
disc_fake_photo = photo_discriminator(fake_photo, training=False)
print("fake Monet:", fake_monet.shape, f"values {float(tf.reduce_min(fake_monet)):+.4f}..{float(tf.reduce_max(fake_monet)):+.4f}")
print("logits:    ", disc_real_monet.shape, f"values {float(tf.reduce_min(disc_real_monet)):+.4f}..{float(tf.reduce_max(disc_real_monet)):+.4f}")


# %% [markdown]
# An untrained generator returns almost exactly 0, mid-grey. Stretching the contrast shows it
# depends on the photo, faintly:

# %%
def stretch(image):
    """Contrast-stretch a nearly flat image to [-1, 1] for display."""
    image = np.asarray(image)
    return np.clip((image - image.mean()) / (3 * image.std() + 1e-12), -1, 1)


show_images([real_photo[0], fake_monet[0], stretch(fake_monet[0]), cycled_photo[0]],
            titles=["real photo x", "fake Monet G(x)", "G(x), contrast stretched", "cycled photo F(G(x))"])
plt.show()

# %% [markdown]
# ## Score real and fake: the discriminator loss
#
# A discriminator returns a 30x30 grid of logits per image. It should call each patch of a real
# Monet real (target 1) and of a fake, fake (target 0), averaged over batch and patches:
#
# $$\mathcal{L}_{D_Y} = \tfrac12\big[\operatorname{mean}\text{BCE}\big(1, D_Y(y)\big) + \operatorname{mean}\text{BCE}\big(0, D_Y(G(x))\big)\big],
#   \qquad \text{BCE}(1, z) = \log(1 + e^{-z}),\; \text{BCE}(0, z) = \log(1 + e^{z}).$$
#
# **Exercise 1 (implement).** Write `discriminator_loss(real_logits, fake_logits)`: the formula
# above. `keras.ops.binary_crossentropy(targets, logits, from_logits=True)` gives the BCE of each
# logit; `keras.ops.ones_like` and `keras.ops.zeros_like` make the targets. The check compares
# your values with the lab's on random logits.

# %% tags=["exercise", "implement"]
discriminator_loss = None  # replace with your function: def discriminator_loss(real_logits, fake_logits): ...


# %% jupyter={"source_hidden": true} tags=["solution"]
def discriminator_loss(real_logits, fake_logits):
    """Solution: half the sum of the mean BCE of "real" on real images and of "fake" on fakes."""
    real = keras.ops.binary_crossentropy(keras.ops.ones_like(real_logits), real_logits, from_logits=True)
    fake = keras.ops.binary_crossentropy(keras.ops.zeros_like(fake_logits), fake_logits, from_logits=True)
    return 0.5 * (keras.ops.mean(real) + keras.ops.mean(fake))


# %%
check_implementation("discriminator_loss", discriminator_loss)
from cyclegan_lab.losses import discriminator_loss  # the lab's, from here on (with the paper's loss as an option)

# %%
monet_disc_loss = discriminator_loss(disc_real_monet, disc_fake_monet)
photo_disc_loss = discriminator_loss(disc_real_photo, disc_fake_photo)
print(f"mean logit on real Monets {float(tf.reduce_mean(disc_real_monet)):+.5f}, "
      f"on fake Monets {float(tf.reduce_mean(disc_fake_monet)):+.5f}")
print(f"L_D_Y = 0.5 [mean BCE(1, D_Y(y)) + mean BCE(0, D_Y(G(x)))] = {float(monet_disc_loss):.5f}")
print(f"L_D_X = 0.5 [mean BCE(1, D_X(x)) + mean BCE(0, D_X(F(y)))] = {float(photo_disc_loss):.5f}")
print(f"log 2 = {np.log(2):.5f}")
print("both within 0.001 of log 2:", all(abs(float(v) - np.log(2)) < 1e-3 for v in [monet_disc_loss, photo_disc_loss]))

# %% [markdown]
# Logits near 0 mean guessing, $\sigma(0) = \tfrac12$, and a loss of $\log 2$. Patch by patch:

# %%
maps = [disc_real_monet, disc_fake_monet, disc_real_photo, disc_fake_photo]
titles = ["D_Y(real Monet)", "D_Y(fake Monet)", "D_X(real photo)", "D_X(fake photo)"]
limit = max(float(tf.reduce_max(tf.abs(m[0]))) for m in maps)
fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
for ax, logit_map, title in zip(axes, maps, titles):
    shown = ax.imshow(np.asarray(logit_map[0, :, :, 0]), cmap="RdBu", vmin=-limit, vmax=limit)
    ax.set_title(title)
    ax.axis("off")
fig.colorbar(shown, ax=axes, label="logit (> 0: 'real')", shrink=0.9)
fig.suptitle("An untrained discriminator's 30x30 patch logits")
plt.show()
spreads = [float(tf.math.reduce_std(m[0])) for m in maps]
for title, spread in zip(titles, spreads):
    print(f"{title:<16} logits spread (std) {spread:.5f}")
print("fakes' logits closer to 0 than the real images':", spreads[1] < spreads[0] and spreads[3] < spreads[2])

# %% [markdown]
# ## Try hand-made logits
#
# Made-up discriminators with opinions: logit $z_{\text{real}}$ on every real patch,
# $z_{\text{fake}}$ on every fake one. The last column is the generator's loss,
# $\text{BCE}(1, z_{\text{fake}})$, which you write below.

# %%
CASES = [  # (situation, logit on every real patch, logit on every fake patch)
    ("perfect discriminator", 6.0, -6.0),
    ("right, but unsure", 1.0, -1.0),
    ("guessing (untrained)", 0.0, 0.0),
    ("calls everything real", 6.0, 6.0),
    ("fooled: the generator wins", -6.0, 6.0),
]
rows = []
for situation, z_real, z_fake in CASES:
    real_logits = np.full((1, 30, 30, 1), z_real, np.float32)
    fake_logits = np.full((1, 30, 30, 1), z_fake, np.float32)
    rows.append([situation, f"{z_real:+.0f}", f"{z_fake:+.0f}",
                 f"{1 / (1 + np.exp(-z_real)):.3f}", f"{1 / (1 + np.exp(-z_fake)):.3f}",
                 f"{float(discriminator_loss(real_logits, fake_logits)):.4f}",
                 f"{np.log1p(np.exp(-z_fake)):.4f}"])  # BCE(1, z_fake): the generator loss, written next
table(["situation", "z real", "z fake", "D(real)", "D(fake)", "discriminator loss", "generator loss"], rows)

# %% [markdown]
# A **perfect** discriminator has a loss near 0, the generator about 6; **guessing** gives $\log 2$
# to both; **calling everything real** is half right, $\tfrac12(0 + 6) \approx 3$; when
# **fooled**, the discriminator's loss is large, the generator's tiny. The two players want
# opposite things from the same fake logit.

# %% [markdown]
# ## Fool the discriminator: the generator loss
#
# A generator is rewarded when the discriminator calls its fakes real:
#
# $$\mathcal{L}_{\text{adv}}(G) = \operatorname{mean}\text{BCE}\big(1, D_Y(G(x))\big), \qquad
#   \mathcal{L}_{\text{adv}}(F) = \operatorname{mean}\text{BCE}\big(1, D_X(F(y))\big).$$
#
# **Exercise 2 (implement).** Write `generator_loss(fake_logits)`: the mean BCE of "real" (target
# 1) on the discriminator's logits for the fakes.

# %% tags=["exercise", "implement"]
generator_loss = None  # replace with your function: def generator_loss(fake_logits): ...


# %% jupyter={"source_hidden": true} tags=["solution"]
def generator_loss(fake_logits):
    """Solution: the generator wants its fakes called real."""
    return keras.ops.mean(keras.ops.binary_crossentropy(keras.ops.ones_like(fake_logits), fake_logits, from_logits=True))


# %%
check_implementation("generator_loss", generator_loss)
from cyclegan_lab.losses import generator_loss  # the lab's, from here on

# %%
monet_adv = generator_loss(disc_fake_monet)
photo_adv = generator_loss(disc_fake_photo)
print(f"L_adv(G) = mean BCE(1, D_Y(G(x))) = {float(monet_adv):.5f}")
print(f"L_adv(F) = mean BCE(1, D_X(F(y))) = {float(photo_adv):.5f}")
print("both within 0.001 of log 2:", all(abs(float(v) - np.log(2)) < 1e-3 for v in [monet_adv, photo_adv]))
undecided = tf.Variable([[0.0]])  # one logit of an undecided judge
with tf.GradientTape() as tape:
    loss_at_zero = generator_loss(undecided)
slope_at_zero = float(tape.gradient(loss_at_zero, undecided)[0, 0])
print(f"slope of BCE(1, z) at z = 0: {slope_at_zero:.3f}")

# %% [markdown]
# The loss has a slope at logit 0, so even an undecided judge pushes every fake towards "looks real".

# %% [markdown]
# ## Bring the photo back: the cycle loss
#
# The round trip must return what it started from:
#
# $$\mathcal{L}_{\text{cyc}} = \lambda\, \operatorname{mean}\big|x - F(G(x))\big|
#   + \lambda\, \operatorname{mean}\big|y - G(F(y))\big|, \qquad \lambda = 10.$$
#
# **Exercise 3 (implement).** Write `cycle_loss(real, cycled, lambda_cycle)`: one of the two terms,
# in `keras.ops` (`keras.ops.mean`, `keras.ops.abs`); the training step adds both. The check tries
# $\lambda = 10$ and $\lambda = 3$.

# %% tags=["exercise", "implement"]
cycle_loss = None  # replace with your function: def cycle_loss(real, cycled, lambda_cycle): ...


# %% jupyter={"source_hidden": true} tags=["solution"]
def cycle_loss(real, cycled, lambda_cycle):
    """Solution: lambda x mean|real - cycled|, one number."""
    return lambda_cycle * keras.ops.mean(keras.ops.abs(real - cycled))


# %%
check_implementation("cycle_loss", cycle_loss)
from cyclegan_lab.losses import cycle_loss  # the lab's, from here on

# %%
photo_cycle = cycle_loss(real_photo, cycled_photo, LAMBDA)
monet_cycle = cycle_loss(real_monet, cycled_monet, LAMBDA)
total_cycle = photo_cycle + monet_cycle
print(f"lambda mean|x - F(G(x))| = {float(photo_cycle):.4f}   (photo -> Monet -> photo)")
print(f"lambda mean|y - G(F(y))| = {float(monet_cycle):.4f}   (Monet -> photo -> Monet)")
print(f"both directions          = {float(total_cycle):.4f}")
print(f"lambda mean|x| = {LAMBDA * float(tf.reduce_mean(tf.abs(real_photo))):.4f}, "
      f"lambda mean|y| = {LAMBDA * float(tf.reduce_mean(tf.abs(real_monet))):.4f}")

# %% [markdown]
# The untrained round trip returns about 0, so the cycle loss is about $\lambda\,\operatorname{mean}|x|$
# (last line). For a *small* cycle loss, a stand-in for a good round trip: the photo blurred with
# a 3x3 average.

# %%
blurred_photo = tf.nn.avg_pool2d(real_photo, ksize=3, strides=1, padding="SAME")
blur_cycle = cycle_loss(real_photo, blurred_photo, LAMBDA)
print(f"cycle loss of the blurred stand-in: {float(blur_cycle):.4f}   (untrained round trip: {float(photo_cycle):.4f})")

rows = [("untrained round trip F(G(x))", cycled_photo, photo_cycle), ("stand-in: 3x3 blur", blurred_photo, blur_cycle)]
fig, axes = plt.subplots(2, 3, figsize=(10.5, 7.4))
for (name, cycled, loss), (ax_real, ax_cycled, ax_diff) in zip(rows, axes):
    difference = np.abs(np.asarray(real_photo[0]) - np.asarray(cycled[0])).mean(axis=-1)  # in [0, 2]
    ax_real.imshow(np.asarray((real_photo[0] + 1) / 2))
    ax_real.set_title("real photo x")
    ax_cycled.imshow(np.clip(np.asarray((cycled[0] + 1) / 2), 0, 1))
    ax_cycled.set_title(name)
    shown = ax_diff.imshow(difference, cmap="magma", vmin=0, vmax=1)
    ax_diff.set_title(f"|x - cycled|, mean {difference.mean():.3f}\n(x lambda: {float(loss):.3f})")
    fig.colorbar(shown, ax=ax_diff, fraction=0.046)
    for ax in (ax_real, ax_cycled, ax_diff):
        ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# The difference map is the cycle loss before averaging. For the untrained model it is the photo's
# distance from grey, $|x|$; for the blur it gathers on edges. Both, measured:

# %%
photo = np.asarray(real_photo)
untrained_map = np.abs(photo - np.asarray(cycled_photo))
print(f"untrained: |x - F(G(x))| differs from |x| by at most {np.abs(untrained_map - np.abs(photo)).max():.4f}")
right = np.abs(np.diff(photo, axis=2, append=photo[:, :, -1:]))  # change to the neighbour on the right
below = np.abs(np.diff(photo, axis=1, append=photo[:, -1:]))  # and to the one below
edges = (right + below).mean(axis=-1)
blur_map = np.abs(photo - np.asarray(blurred_photo)).mean(axis=-1)
strongest = edges >= np.quantile(edges, 0.9)  # the 10% of pixels with the strongest edges
print(f"blur: the 10% of pixels with the strongest edges carry {blur_map[strongest].sum() / blur_map.sum():.0%} "
      "of its difference (10% if it were spread evenly)")

# %% [markdown]
# ## Leave Monets alone: the identity loss
#
# Each generator should leave an image of its own domain unchanged, which keeps colours from
# drifting. The loss is weighted by half of $\lambda$:
#
# $$\mathcal{L}_{\text{id}}(G) = 0.5\,\lambda\, \operatorname{mean}\big|y - G(y)\big|, \qquad
#   \mathcal{L}_{\text{id}}(F) = 0.5\,\lambda\, \operatorname{mean}\big|x - F(x)\big|.$$
#
# **Exercise 4 (implement).** Write `identity_loss(real, same, lambda_cycle, weight)`: `weight`
# times $\lambda$ times the mean absolute difference between an image and its own generator's
# output (the lab's `weight` is 0.5).

# %% tags=["exercise", "implement"]
identity_loss = None  # replace with your function: def identity_loss(real, same, lambda_cycle, weight): ...


# %% jupyter={"source_hidden": true} tags=["solution"]
def identity_loss(real, same, lambda_cycle, weight):
    """Solution: weight x lambda x mean|real - same|."""
    return weight * lambda_cycle * keras.ops.mean(keras.ops.abs(real - same))


# %%
check_implementation("identity_loss", identity_loss)
from cyclegan_lab.losses import identity_loss  # the lab's, from here on

# %%
monet_identity = identity_loss(real_monet, same_monet, LAMBDA, IDENTITY_WEIGHT)
photo_identity = identity_loss(real_photo, same_photo, LAMBDA, IDENTITY_WEIGHT)
print(f"0.5 lambda mean|y - G(y)| = {float(monet_identity):.4f}   (Monet through monet_generator)")
print(f"0.5 lambda mean|x - F(x)| = {float(photo_identity):.4f}   (photo through photo_generator)")

# %% [markdown]
# ## Add them up
#
# Each generator's loss adds its adversarial term, the cycle loss of *both* directions (it takes
# part in both round trips) and its identity term:
#
# $$\mathcal{L}_G = \mathcal{L}_{\text{adv}}(G) + \mathcal{L}_{\text{cyc}} + \mathcal{L}_{\text{id}}(G), \qquad
#   \mathcal{L}_F = \mathcal{L}_{\text{adv}}(F) + \mathcal{L}_{\text{cyc}} + \mathcal{L}_{\text{id}}(F).$$
#
# Training reports these four losses every step.

# %%
monet_gen_loss = monet_adv + total_cycle + monet_identity
photo_gen_loss = photo_adv + total_cycle + photo_identity
table(["loss", "adversarial", "cycle (both ways)", "identity", "total"], [
    ["monet_gen_loss ($G$)", f"{float(monet_adv):.3f}", f"{float(total_cycle):.3f}",
     f"{float(monet_identity):.3f}", f"**{float(monet_gen_loss):.3f}**"],
    ["photo_gen_loss ($F$)", f"{float(photo_adv):.3f}", f"{float(total_cycle):.3f}",
     f"{float(photo_identity):.3f}", f"**{float(photo_gen_loss):.3f}**"],
    ["monet_disc_loss ($D_Y$)", f"{float(monet_disc_loss):.3f}", "", "", f"**{float(monet_disc_loss):.3f}**"],
    ["photo_disc_loss ($D_X$)", f"{float(photo_disc_loss):.3f}", "", "", f"**{float(photo_disc_loss):.3f}**"],
])

# %%
content = float(total_cycle + monet_identity)
print(f"monet_gen_loss: content terms (cycle + identity) {content:.3f} = {content / float(monet_adv):.1f} x "
      f"the adversarial term {float(monet_adv):.3f}")

# %% [markdown]
# At the start the content terms outweigh the adversarial term, though training follows the
# gradients, not these values.

# %% [markdown]
# ## Trade style against content with LAMBDA
#
# $\lambda$ sets the exchange rate between "look like a Monet" (adversarial) and "keep the photo"
# (cycle and identity). $G$'s loss on the same images for several values:

# %%
components = {"adversarial": [], "cycle (both ways)": [], "identity": []}
for lam in LAMBDAS:
    components["adversarial"].append(float(monet_adv))  # does not depend on lambda
    components["cycle (both ways)"].append(float(cycle_loss(real_photo, cycled_photo, lam)
                                                 + cycle_loss(real_monet, cycled_monet, lam)))
    components["identity"].append(float(identity_loss(real_monet, same_monet, lam, IDENTITY_WEIGHT)))
totals = np.sum(list(components.values()), axis=0)
adversarial_share = np.array(components["adversarial"]) / totals

fig, (ax_parts, ax_share) = plt.subplots(1, 2, figsize=(11, 3.8))
positions = np.arange(len(LAMBDAS))
bottom = np.zeros(len(LAMBDAS))
for name, values in components.items():
    ax_parts.bar(positions, values, bottom=bottom, label=name)
    bottom += values
ax_parts.set_xticks(positions, [str(lam) for lam in LAMBDAS])
ax_parts.set_xlabel("LAMBDA")
ax_parts.set_ylabel("monet_gen_loss")
ax_parts.set_title("G's loss on these images, by part")
ax_parts.legend()
ax_share.plot(LAMBDAS, 100 * adversarial_share, "o-")
ax_share.set_xlabel("LAMBDA")
ax_share.set_ylabel("% of the total")
ax_share.set_title("share of the adversarial term ('look like a Monet')")
fig.tight_layout()
plt.show()
for lam, total, share in zip(LAMBDAS, totals, adversarial_share):
    print(f"LAMBDA = {lam:>2}: total {total:7.3f}, adversarial share {100 * share:5.1f}%")

# %% [markdown]
# - With $\lambda = 0$ nothing ties the output to the input: the unpaired problem of notebook 1.
# - As $\lambda$ grows, the cheapest way to a low loss is to change the photo as little as
#   possible: every detail kept, little of Monet.
# - The lab's $\lambda = 10$, from the paper, sits in between.

# %% [markdown]
# ## On your own
#
# **Exercise 5 (predict, then run).** A discriminator is sure about real images but unsure about
# fakes: $z_{\text{real}} = 6$, $z_{\text{fake}} = 0$ on every patch. Which player has the larger
# loss, `"generator"` or `"discriminator"`?

# %% tags=["exercise", "predict"]
larger_loss_answer = None  # "generator" or "discriminator"

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: the discriminator's loss is 0.5 [log(1 + e^-6) + log 2] = 0.5 (0.0025 + 0.693) = 0.348;
# the generator's is BCE(1, 0) = log 2 = 0.693. The generator has more to gain: its fakes are not
# yet convincing, and the discriminator's half-uncertainty gives it a clear gradient to follow.
larger_loss_answer = "generator"

# %%
real6, fake0 = np.full((1, 30, 30, 1), 6.0, np.float32), np.zeros((1, 30, 30, 1), np.float32)
d_loss, g_loss = float(discriminator_loss(real6, fake0)), float(generator_loss(fake0))
reveal(larger_loss_answer, f"discriminator loss {d_loss:.4f}, generator loss {g_loss:.4f}")
check(larger_loss_answer, "generator" if g_loss > d_loss else "discriminator")

# %% [markdown]
# **Exercise 6 (predict).** A Monet generator adds 0.1 to every value of a painting. What is
# its identity loss, with the lab's $\lambda$ and weight?

# %% tags=["exercise", "predict"]
identity_answer = None  # a number

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: mean|y - (y + 0.1)| = 0.1, times 0.5 x lambda = 5: 0.5.
identity_answer = 0.5 * 10 * 0.1

# %%
check(identity_answer, float(identity_loss(real_monet, real_monet + 0.1, LAMBDA, IDENTITY_WEIGHT)), "0.5 x lambda x mean|y - G(y)|")

# %% [markdown]
# **Exercise 7 (predict, then run).** Two bad round trips: one returns mid-grey (all zeros), the
# other the photo's negative, $-x$. The negative's cycle loss is how many times the grey one's?

# %% tags=["exercise", "predict"]
negative_ratio_answer = None  # a number

# %% jupyter={"source_hidden": true} tags=["solution"]
# Solution: |x - (-x)| = 2|x| and |x - 0| = |x| at every pixel, so the ratio is 2 for any photo.
# The L1 loss charges the negative, which keeps every edge, only twice what it charges a blank.
negative_ratio_answer = 2

# %%
grey_cycle = float(cycle_loss(real_photo, tf.zeros_like(real_photo), LAMBDA))
negative_cycle = float(cycle_loss(real_photo, -real_photo, LAMBDA))
reveal(negative_ratio_answer, f"cycle loss of the grey round trip {grey_cycle:.4f}, of the negative {negative_cycle:.4f}")
check(negative_ratio_answer, negative_cycle / grey_cycle, "Compare |x - 0| and |x - (-x)| pixel by pixel.")

# %% [markdown]
# ## Further reading
#
# - Zhu et al., CycleGAN (2017): [arXiv:1703.10593](https://arxiv.org/abs/1703.10593).
# - Isola et al., pix2pix, the PatchGAN and L1 term: [arXiv:1611.07004](https://arxiv.org/abs/1611.07004).
# - Mao et al., LSGAN (2017), the paper's loss instead of BCE: [arXiv:1611.04076](https://arxiv.org/abs/1611.04076).
