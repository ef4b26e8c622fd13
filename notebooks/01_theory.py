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
# # 1. Image-to-image translation and the CycleGAN
#
# Turning a photo into a painting is learning a function between two collections of images that
# were never paired up.
#
# ## What you'll learn
#
# - Style transfer as *image-to-image translation*.
# - How a GAN learns: a generator against a discriminator.
# - Why unpaired data needs *cycle consistency*.
# - The four losses the lab trains.
#
# ## What you'll need
#
# - Basic Python and neural networks.
# - About 8 minutes: 7 of reading and 1 of running (full setting, 2 CPU cores), plus your time on the exercises.
# - The lab's data, downloaded for you the first time.
#
# ## How to run this course
#
# 1. `make lab` installs the lab and opens JupyterLab.
# 2. Run the notebooks in order, each from the top (Shift+Enter runs a cell).
# 3. `SMOKE = True` in a notebook's first code cell runs it on a few images.
# 4. Exercises: replace a `None` with your answer and run the check cell below it. Solutions are
#    hidden: click *Solution* or a collapsed cell's dots.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook

# %%
import inspect
import json
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Code

from cyclegan_lab import (
    PACKAGE_FOLDER,
    TrainConfig,
    build_generator,
    generator_loss,
    load_data,
    load_pretrained,
    losses,
    show_images,
    stylize,
)
from cyclegan_lab.teaching.exercises import check, reveal
from cyclegan_lab.teaching.parameters import check_parameter

DATA_DIR = check_parameter("DATA_DIR", DATA_DIR, path=True, optional=True)
SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
SEED = check_parameter("SEED", SEED, whole=(0, 2**32 - 1))
SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"

N_SHOW = 3  # images shown per domain
MAX_IMAGES = N_SHOW if SMOKE else 300  # images read per domain
rng = np.random.default_rng(SEED)

# %% [markdown]
# ## The result first
#
# Where the course leads: a photo, painted by the Monet generator shipped with the library. It is
# not the network you will build: the cell prints how they differ.

# %%
data = load_data(TrainConfig(max_images=MAX_IMAGES), DATA_DIR)
photo = data.photo[rng.integers(len(data.photo))]
shipped = load_pretrained("monet")
painting = stylize(photo[None], shipped)[0]  # one photo in, one painting out
show_images([photo, painting], titles=["a photo", "painted by load_pretrained('monet')"], ncols=2)
plt.show()
print(f"photo {photo.shape} {photo.dtype} -> painting {painting.shape} {painting.dtype}")
recipe = json.loads((PACKAGE_FOLDER / "monet.json").read_text())["config"]  # the settings it was trained with
lab = TrainConfig()
print(f"painted by: a {recipe['generator']} generator of {shipped.count_params():,} weights, "
      f"loss {recipe['adversarial_loss']}, lambda {recipe['lambda_cycle']}, discriminators {recipe['discriminator']}")
print(f"you build:  a {lab.generator} generator of {build_generator().count_params():,} weights, loss {lab.adversarial_loss}, "
      f"lambda {lab.lambda_cycle}, the lab's PatchGAN discriminators")

# %% [markdown]
# Gatys et al.'s style transfer (2016) copies *one* painting's style; a CycleGAN learns from a
# *collection* of paintings a network that paints any photo in one pass.

# %% [markdown]
# ## Look at the two domains
#
# A *domain* is a collection of images that share a look: here Monet's paintings and landscape
# photos. Nothing links a painting to a photo.

# %%
monet_picks = rng.choice(len(data.monet), N_SHOW, replace=False)
photo_picks = rng.choice(len(data.photo), N_SHOW, replace=False)
print(f"{len(data.monet)} Monet paintings and {len(data.photo)} photos loaded, each {data.monet.shape[1:]}")

show_images(
    [data.monet[i] for i in monet_picks] + [data.photo[i] for i in photo_picks],
    titles=[f"Monet #{i}" for i in monet_picks] + [f"photo #{i}" for i in photo_picks],
    ncols=N_SHOW,
)
plt.show()

# %% [markdown]
# ## Frame style transfer as translation
#
# Call the photos $X$ and the paintings $Y$. "Paint this photo like Monet" asks for a network
# $G: X \to Y$ that keeps *what* the photo shows and changes *how* it is shown (palette, brush
# strokes, light). Day to night and horse to zebra are the same kind of task: **image-to-image
# translation**.

# %% [markdown]
# ## Recall how a GAN learns
#
# A GAN (Goodfellow et al., 2014) trains two networks against each other: the **generator** $G$
# turns a photo $x$ into a would-be painting $G(x)$; the **discriminator** $D$ says whether an
# image is a real Monet or generated.
#
# ![A GAN: the generator makes fakes, the discriminator tells them from real paintings](../images/gan.png)
#
# $D$ is rewarded for telling real from fake, $G$ for fooling $D$. When neither can improve, the
# fakes are distributed like the real images and $D$ is left guessing.
#
# $D$ returns a **logit** $z$, with $P(\text{real}) = \sigma(z) = 1 / (1 + e^{-z})$. Both players
# are scored with **binary cross-entropy from logits** against a target, 1 (real) or 0 (fake):
#
# $$\text{BCE}(1, z) = \log(1 + e^{-z}), \qquad \text{BCE}(0, z) = \log(1 + e^{z}).$$
#
# $D$ minimises $\tfrac12[\text{BCE}(1, z_{\text{real}}) + \text{BCE}(0, z_{\text{fake}})]$;
# $G$ minimises $\text{BCE}(1, z_{\text{fake}})$: "make $D$ call my fakes real". The lab's helper:

# %%
Code(inspect.getsource(losses.bce_from_logits), language="python")

# %% [markdown]
# `generator_loss` is the mean $\text{BCE}(1, z)$; at $-z$ it gives $\text{BCE}(0, z)$. We check
# both against the closed forms:

# %%
logits = np.linspace(-6, 6, 121, dtype=np.float32)
bce_real = np.array([float(generator_loss(np.float32([z]))) for z in logits])  # BCE(1, z)
bce_fake = np.array([float(generator_loss(np.float32([-z]))) for z in logits])  # BCE(0, z)
print("largest gap to log(1 + e^-z):", np.abs(bce_real - np.logaddexp(0, -logits)).max())
print("largest gap to log(1 + e^z): ", np.abs(bce_fake - np.logaddexp(0, logits)).max())
print(f"at z = 0 both are log 2 = {np.log(2):.4f}: {bce_real[60]:.4f}, {bce_fake[60]:.4f}")

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(logits, bce_real, label="BCE(1, z): target 'real'", linewidth=2)
ax.plot(logits, bce_fake, label="BCE(0, z): target 'fake'", linewidth=2)
ax.axvline(0, color="grey", linewidth=0.8)
ax.axhline(np.log(2), color="grey", linestyle=":", linewidth=0.8)
ax.annotate("unsure: log 2", xy=(0, np.log(2)), xytext=(1.2, 2.2), arrowprops=dict(arrowstyle="->"))
ax.set_xlabel("logit z  (z > 0: 'looks real')")
ax.set_ylabel("loss")
ax.set_title("Binary cross-entropy from logits")
ax.legend()
plt.show()

# %% [markdown]
# A confident mistake is punished almost linearly, so its gradient never vanishes. A fake that $D$
# confidently calls real gets almost no gradient.

# %% [markdown]
# ## Compare paired and unpaired data
#
# With **paired data**, pix2pix (Isola et al., 2017) can ask that $G(x_i)$ be close to the known
# answer $y_i$. With **unpaired data** nobody has Monet's painting of a given photo. The
# adversarial loss only asks that the *set* of outputs look like the set of paintings: a generator
# could ignore its input and paint any plausible Monet.
#
# A toy: $X$ is points round a circle, $Y$ points round a larger one; colour shows each point's
# angle on $X$. Four mappings of angles $G: X \to Y$, each with its best inverse $F$:
#
# | mapping | $G(\theta)$ | $F(\varphi)$ |
# |---|---|---|
# | turn | $\theta + 1$ | $\varphi - 1$ |
# | mirror | $-\theta$ | $-\varphi$ |
# | fold | $2\theta$ | $\varphi / 2$ |
# | collapse | the nearest of three fixed angles | $\varphi$ |

# %%
N_POINTS = 600
Y_CENTRE, Y_RADIUS = np.array([4.0, 0.0]), 2.0
theta = np.sort(rng.uniform(0, 2 * np.pi, N_POINTS))


def on_x(angle):
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


def on_y(angle):
    return Y_CENTRE + Y_RADIUS * on_x(angle)


def angle_of(points, centre=(0.0, 0.0)):
    d = points - np.asarray(centre)
    return np.arctan2(d[:, 1], d[:, 0]) % (2 * np.pi)


def distance_from_y(angles_on_y):
    """Kolmogorov-Smirnov distance between output angles and evenly spread ones: 0 means spread exactly like Y."""
    phi = np.sort(np.asarray(angles_on_y) % (2 * np.pi))
    return np.abs(np.arange(1, len(phi) + 1) / len(phi) - phi / (2 * np.pi)).max()


def cycle_error(g, f):
    """Mean distance |x - F(G(x))| over the points of X."""
    x = on_x(theta)
    return np.linalg.norm(x - on_x(f(angle_of(on_y(g(theta)), Y_CENTRE))), axis=1).mean()


MODES = np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3])  # where "collapse" sends everything
MAPPINGS = {  # name: (G: angle on X -> angle on Y, F: angle on Y -> angle on X)
    "turn": (lambda t: t + 1.0, lambda p: p - 1.0),
    "mirror": (lambda t: -t, lambda p: -p),
    "fold": (lambda t: 2 * t, lambda p: p / 2),
    "collapse": (lambda t: MODES[np.argmin(np.abs(np.angle(np.exp(1j * (t[:, None] - MODES)))), axis=1)],
                 lambda p: p),
}

fig, axes = plt.subplots(1, 1 + len(MAPPINGS), figsize=(16, 3.6))
axes[0].scatter(*on_x(theta).T, c=theta, cmap="hsv", s=8)
axes[0].set_title("domain X (colour = angle)")
cycle_errors, gaps = {}, {}
ring = on_y(np.linspace(0, 2 * np.pi, 200))
for ax, (name, (g, f)) in zip(axes[1:], MAPPINGS.items()):
    y = on_y(g(theta))  # G(x)
    cycle_errors[name], gaps[name] = cycle_error(g, f), distance_from_y(g(theta))
    ax.plot(*ring.T, color="lightgrey", linewidth=6, zorder=0)
    jitter = 0.08 * rng.normal(size=y.shape) if name == "collapse" else 0  # so stacked points show
    ax.scatter(*(y + jitter).T, c=theta, cmap="hsv", s=8)
    ax.set_title(f"G = {name}")
    ax.set_xlim(Y_CENTRE[0] - 1.2 * Y_RADIUS, Y_CENTRE[0] + 1.2 * Y_RADIUS)
    ax.set_ylim(-1.2 * Y_RADIUS, 1.2 * Y_RADIUS)
for ax in axes:
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Four ways to map X onto Y (grey ring: where Y's points lie)")
fig.tight_layout()
plt.show()

# %% [markdown]
# For each, we measure how far the outputs are from $Y$'s even spread (all a discriminator can
# judge), and the **cycle error**, the mean $|x - F(G(x))|$.

# %%
names = list(MAPPINGS)
fig, (ax_gap, ax_cycle) = plt.subplots(1, 2, figsize=(10, 3.4))
ax_gap.bar(names, [gaps[n] for n in names], color="tab:blue")
ax_gap.set_title("distance of G(X) from Y's spread\n(what a discriminator can see)")
ax_cycle.bar(names, [cycle_errors[n] for n in names], color="tab:orange")
ax_cycle.set_title("cycle error  mean |x - F(G(x))|\n(what cycle consistency sees)")
fig.tight_layout()
plt.show()
for name in names:
    print(f"{name:>8}: distance from Y {gaps[name]:.3f}   cycle error {cycle_errors[name]:.3f}")
looks_right = [n for n in names if gaps[n] < 0.1]
round_trips = [n for n in names if cycle_errors[n] < 0.01]
print("spread like Y (distance < 0.1), so a discriminator is satisfied:", ", ".join(looks_right))
print("come back where they started (cycle error < 0.01):             ", ", ".join(round_trips))
print("pass the discriminator but fail the round trip:                ",
      ", ".join(n for n in looks_right if n not in round_trips))

# %% [markdown]
# A discriminator cannot tell *fold* from *turn*, yet fold loses information: $\theta$ and
# $\theta + \pi$ land on the same spot, so half the inputs come back on the wrong side. The cycle
# error exposes it. Asking for $F(G(x)) \approx x$ rules out mappings that merge their inputs, but
# not one that some $F$ undoes: *mirror* passes both tests, so the answer is not unique.
#
# A real CycleGAN can cheat: it may hide the photo in a faint pattern no eye sees (Chu et al. 2017,
# [arXiv:1712.02950](https://arxiv.org/abs/1712.02950)). Notebook 8 measures the chequerboards of
# untrained transposed convolutions, not whether a trained generator hides its photo.

# %% [markdown]
# ## Meet the four networks
#
# CycleGAN (Zhu et al., 2017) learns both directions, each with its own discriminator:
#
# | paper | lab | what it does |
# |---|---|---|
# | $G: X \to Y$ | `monet_generator` | turns a photo into a Monet |
# | $F: Y \to X$ | `photo_generator` | turns a Monet into a photo |
# | $D_Y$ | `monet_discriminator` | real Monet, or one made by `monet_generator`? |
# | $D_X$ | `photo_discriminator` | real photo, or one made by `photo_generator`? |

# %% [markdown]
# ## Close the loop with cycle consistency
#
# Translate a sentence into French and back: if you get it back, the meaning was kept.
# CycleGAN asks the same of its generators:
#
# $$x \to G(x) \to F(G(x)) \approx x, \qquad y \to F(y) \to G(F(y)) \approx y.$$
#
# ![The forward and backward cycles of a CycleGAN](../images/cycle_consistency.png)
#
# Each fake is judged by a discriminator (grey), so it *looks* right; each round trip is compared
# with its start (red), so it *keeps* the content.

# %% [markdown]
# ## Write down the four losses
#
# $\operatorname{mean}$ averages over the batch and every pixel (or a discriminator's 30x30 grid
# of patch logits):
#
# $$
# \begin{aligned}
# \text{discriminator:}\quad & \mathcal{L}_{D_Y} = \tfrac12[\operatorname{mean}\text{BCE}(1, D_Y(y)) + \operatorname{mean}\text{BCE}(0, D_Y(G(x)))] \\
# \text{adversarial:}\quad & \mathcal{L}_{\text{adv}}(G) = \operatorname{mean}\text{BCE}(1, D_Y(G(x))) \\
# \text{cycle:}\quad & \mathcal{L}_{\text{cyc}} = \lambda\,\operatorname{mean}|x - F(G(x))| + \lambda\,\operatorname{mean}|y - G(F(y))| \\
# \text{identity:}\quad & \mathcal{L}_{\text{id}}(G) = 0.5\,\lambda\,\operatorname{mean}|y - G(y)|
# \end{aligned}
# $$
#
# and the same with $x \leftrightarrow y$, $G \leftrightarrow F$, $D_Y \to D_X$. The **identity**
# term asks that a Monet given to the Monet generator come out unchanged; without it the
# generators may shift colours, since the cycle can shift them back. Each generator
# minimises $\mathcal{L}_{\text{adv}} + \mathcal{L}_{\text{cyc}} + \mathcal{L}_{\text{id}}$, each
# discriminator its own loss. The lab's values:

# %%
defaults = TrainConfig()
print(f"lambda_cycle    = {defaults.lambda_cycle}   (lambda)")
print(f"identity_weight = {defaults.identity_weight}    (identity term = {defaults.identity_weight} x lambda "
      f"= {defaults.identity_weight * defaults.lambda_cycle})")

# %% [markdown]
# ## Compare the lab with the paper
#
# The lab keeps the paper's batch size, optimiser, $\lambda$ and PatchGAN discriminators, but
# differs in:
#
# | | paper | lab |
# |---|---|---|
# | generator | ResNet | U-Net |
# | adversarial loss | least squares | cross-entropy |
# | discriminator sees | a pool of 50 recent fakes | the newest fake |
# | training | 200 epochs, about 1,070 paintings | 1 epoch, 300 paintings |
#
# Notebooks 2 to 7 build the lab piece by piece.

# %% [markdown]
# ## On your own
#
# **Exercise 1 (predict).** A mapping "shuffle" shuffles the points' angles
# (`rng.permutation(theta)`), with $F$ the identity. Predict: is its distance from $Y$ `"small"`
# or `"large"`? Its cycle error? The check cell measures both.

# %% tags=["exercise", "predict"]
shuffle_distance = None  # "small" or "large"
shuffle_cycle = None  # "small" or "large"

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: shuffling only reorders the points, so the *set* of outputs is still spread evenly
# round Y (a discriminator is satisfied), but the identity F does not put the points back. Only the
# inverse shuffle would: a table of every point, which a smooth network is hard pressed to learn.
shuffle_distance, shuffle_cycle = "small", "large"

# %%
shuffled = rng.permutation(theta)
measured_distance = distance_from_y(shuffled)
measured_cycle = cycle_error(lambda t: shuffled, lambda p: p)
reveal(shuffle_distance, f"shuffle: distance from Y {measured_distance:.3f}, cycle error {measured_cycle:.3f}")
check(shuffle_distance, "small" if measured_distance < 0.1 else "large", "Compare with turn and collapse.")
check(shuffle_cycle, "small" if measured_cycle < 0.01 else "large", "Does the identity undo a random permutation?")

# %% [markdown]
# **Exercise 2.** A discriminator gives logit $2$ on every patch of a real painting and $-2$ on
# every patch of a fake. Compute its loss
# $\tfrac12[\text{BCE}(1, 2) + \text{BCE}(0, -2)]$ to three decimals. The check compares it with
# `discriminator_loss`.

# %% tags=["exercise", "predict"]
disc_loss_answer = None  # a number

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: BCE(1, 2) = log(1 + e^-2) and BCE(0, -2) = log(1 + e^-2): the same number, so the
# half-sum is log(1 + e^-2) = 0.127.
disc_loss_answer = np.log(1 + np.exp(-2.0))

# %%
check(disc_loss_answer, float(losses.discriminator_loss(np.full((1, 30, 30, 1), 2.0, np.float32),
                                                        np.full((1, 30, 30, 1), -2.0, np.float32))),
      "BCE(1, z) = log(1 + e^-z), BCE(0, z) = log(1 + e^z).")

# %% [markdown]
# **Exercise 3.** For *fold*, try $F(\varphi) = \varphi / 2 + \pi$. What is its cycle
# error (two decimals)? The check counts the points that come back opposite. Could any $F$ bring it
# to zero?

# %% tags=["exercise", "predict"]
fold_cycle_answer = None  # a number

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: now the *other* half of the inputs comes back exact, and the first half lands on the
# opposite side of the circle, at distance 2: the mean is again about 0.5 x 2 = 1. No F does better,
# because F(G(theta)) = F(G(theta + pi)): one of the two always comes back wrong.
fold_cycle_answer = cycle_error(lambda t: 2 * t, lambda p: p / 2 + np.pi)

# %%
# Counted another way: with F = phi/2 + pi, a point with theta < pi comes back at its opposite point,
# distance 2 (a diameter), and one with theta >= pi exactly where it was.
returned_opposite = np.mean(theta < np.pi)
reveal(fold_cycle_answer, f"{returned_opposite:.1%} of the points come back opposite: cycle error 2 x {returned_opposite:.3f} "
      f"= {2 * returned_opposite:.3f}")
check(fold_cycle_answer, 2 * returned_opposite, "Run cycle_error with the new F.", tolerance=0.01)
reveal(fold_cycle_answer, f"cycle error of fold with F = phi/2: {cycle_errors['fold']:.3f}")

# %% [markdown]
# ## Further reading
#
# - Zhu et al., CycleGAN (2017): [arXiv:1703.10593](https://arxiv.org/abs/1703.10593).
# - Isola et al., pix2pix (2017): [arXiv:1611.07004](https://arxiv.org/abs/1611.07004).
# - Goodfellow et al., GANs (2014): [arXiv:1406.2661](https://arxiv.org/abs/1406.2661).
