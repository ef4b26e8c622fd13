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
# This notebook sets out the idea behind the whole course: turning a photo into a painting is
# learning a function between two collections of images, and a CycleGAN learns it from
# collections that were never paired up.
#
# ## What you'll learn
#
# - How style transfer can be seen as *image-to-image translation* between two image domains.
# - How a GAN learns: a generator against a discriminator, scored with binary cross-entropy from logits.
# - Why unpaired data needs something more than a GAN, and how *cycle consistency* supplies it.
# - The four losses the lab trains, in the notation every notebook of this course uses.
#
# ## What you'll need
#
# - Python and a first acquaintance with neural networks; no previous notebook.
# - About 10 minutes. A CPU is fine: nothing here trains a network.
# - The lab's data (300 Monet paintings and 300 photos, about 9 MB): it is downloaded for you
#   the first time if you don't already have it.
#
# ## How to run this course
#
# 1. **Install.** In a copy of the repository, `make lab` creates a virtual environment, installs
#    the library and its dependencies, and opens JupyterLab (`make lab GPU=1` for an NVIDIA GPU).
# 2. **Open** `notebooks/01_theory.ipynb` in JupyterLab's file browser, then the notebooks in order.
# 3. **Run a cell** with Shift+Enter; *Run > Run All Cells* runs a whole notebook. Run cells from
#    the top: later cells use what earlier ones computed.
# 4. **The quick setting.** Each notebook's first code cell holds its parameters. `SMOKE = True`
#    (or the environment variable `CYCLEGAN_LAB_SMOKE=1`) runs it on a few images and, in
#    notebook 6, one training step: the setting the tests use, to try things out fast.
# 5. **Practise.** Each notebook ends with exercises: replace a `None` with your answer and run
#    the check cell below it. Solutions are hidden: click *Solution*, or the dots of a collapsed cell.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook

# %% [markdown]
# The quick setting reads only the three images of each domain it shows; the full setting reads
# the lab's 300 of each and picks three at random.

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
# Before any theory, where the course leads: a photo, and the same photo painted by the Monet
# generator that ships with the library, trained with this course's own code (notebook 7 measures
# how close to Monet it gets, and where it fails). It is not the network you will build: the cell
# prints how it differs from the lab's U-Net, which learns with cross-entropy and $\lambda = 10$
# (notebooks 8 and 9 show the rest of its recipe).

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
# This is not the style transfer of Gatys et al. (2016), which repaints one photo after *one*
# painting by optimising the photo's pixels, for minutes, until its texture statistics match that
# painting's. A CycleGAN learns from a whole *collection* of paintings (300 here) a network that
# paints any photo in one forward pass, as above, in a style no single painting defines.

# %% [markdown]
# ## Look at the two domains
#
# A *domain* is a collection of images that share a look. The lab has two: Claude Monet's
# paintings and landscape photos, all 256x256 RGB. Nothing links a painting to a photo: the
# photos were not taken where Monet set up his easel.

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
# Call the set of photos $X$ and the set of Monet paintings $Y$. "Paint this photo like Monet"
# asks for a function $G: X \to Y$ that keeps *what* the photo shows (the river, the trees, the
# horizon) and changes *how* it is shown (palette, brush strokes, soft light). Day to night, map
# to aerial view, horse to zebra have the same shape: **image-to-image translation**. Here $G$ is
# a neural network from a 256x256x3 image with values in $[-1, 1]$ to another one; notebooks 3
# and 4 build the networks, this one says what they are trained to do.

# %% [markdown]
# ## Recall how a GAN learns
#
# A generative adversarial network (Goodfellow et al., 2014) trains two networks against each other:
#
# - the **generator** $G$ makes images (here: from a photo $x$, a would-be painting $G(x)$);
# - the **discriminator** $D$ looks at an image and says whether it is real (a real Monet) or
#   generated.
#
# ![A GAN: the generator makes fakes, the discriminator tells them from real paintings](../images/gan.png)
#
# $D$ is rewarded for telling real from fake, $G$ for fooling $D$: a two-player game, which
# Goodfellow et al. write as $\min_G \max_D\, \mathbb{E}_y[\log D(y)] + \mathbb{E}_x[\log(1 - D(G(x)))]$.
# When neither player can improve, the fakes are distributed like the real images and $D$ is left
# guessing.
#
# In code the discriminator returns a **logit** $z$, any real number, with
# $P(\text{real}) = \sigma(z) = 1 / (1 + e^{-z})$: above 0 means "real". Both players are scored
# with **binary cross-entropy from logits** against a target $t$ (1 for real, 0 for fake):
#
# $$\text{BCE}(t, z) = -\big[t \log \sigma(z) + (1 - t) \log\big(1 - \sigma(z)\big)\big], \qquad
#   \text{BCE}(1, z) = \log(1 + e^{-z}), \quad \text{BCE}(0, z) = \log(1 + e^{z}).$$
#
# The discriminator minimises $\tfrac12\big[\text{BCE}(1, z_{\text{real}}) + \text{BCE}(0, z_{\text{fake}})\big]$;
# the generator minimises $\text{BCE}(1, z_{\text{fake}})$, "make $D$ call my fakes real" (the
# *non-saturating* form, whose gradient stays large when $D$ easily spots the fakes). The lab's helper:

# %%
Code(inspect.getsource(losses.bce_from_logits), language="python")

# %% [markdown]
# `generator_loss` is $\text{BCE}(1, z)$ averaged over whatever it is given, and since
# $1 - \sigma(z) = \sigma(-z)$, the same function at $-z$ gives $\text{BCE}(0, z)$. We check both
# against the closed forms and plot them:

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
# A confident mistake is punished hard, almost linearly, and its gradient never vanishes there. It
# does vanish at the other end: a fake the discriminator confidently calls real (a large logit in
# BCE(1, z)) gets almost no gradient, which is why a generator that fools its judge learns little more.

# %% [markdown]
# ## Compare paired and unpaired data
#
# **Paired data.** pix2pix (Isola et al., 2017) learns from pairs $(x_i, y_i)$, the same scene as
# input and as desired output, and can ask that $G(x_i)$ be close to the known answer $y_i$.
#
# **Unpaired data.** Nobody has Monet's painting of a given photo. The adversarial loss alone only
# asks that the *set* of outputs look like the set of paintings: it pins down the distribution of
# the outputs, not which painting a given photo should become. A generator could ignore its input
# and paint any plausible Monet.
#
# A toy shows the problem. $X$ is points spread evenly round a unit circle, $Y$ points round a
# circle twice as large; each point's colour is its angle on $X$. Four candidate mappings
# $G: X \to Y$, each with the best inverse $F: Y \to X$ we can write for it:
#
# | mapping | $G$ sends angle $\theta$ to | $F$ sends angle $\varphi$ back to |
# |---|---|---|
# | turn | $\theta + 1$ | $\varphi - 1$ |
# | mirror | $-\theta$ | $-\varphi$ |
# | fold | $2\theta$ | $\varphi / 2$: every output has two sources, $\theta$ and $\theta + \pi$, and $F$ can return only one |
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
# Measure two things for each mapping: the distance of the outputs from $Y$'s even spread (all a
# discriminator can judge), and the **cycle error**, the mean distance $|x - F(G(x))|$ between a
# point and its round trip.

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
# The adversarial view cannot tell *fold* from *turn*, yet fold has lost information: $\theta$ and
# $\theta + \pi$ land on the same spot, so whatever $F$ returns, half the inputs come back on the
# wrong side of the circle. The cycle error exposes it (and collapse, which fails both tests).
# Asking for $F(G(x)) \approx x$ rules out mappings that merge or scramble their inputs, in this toy.
# A real CycleGAN can cheat: it may hide what a painting loses in a faint high-frequency pattern no
# eye sees, from which $F$ restores the photo (Chu et al. 2017, "CycleGAN, a Master of
# Steganography", [arXiv:1712.02950](https://arxiv.org/abs/1712.02950)). Notebook 8 measures the
# period-2 patterns that transposed convolutions make, the chequerboards; whether a trained
# generator hides its photo in them, this course does not measure.
#
# It does not make the answer unique: *mirror* passes both tests. Among the survivors, what a
# CycleGAN picks depends on the network: convolutions find small, local changes easiest to learn.

# %% [markdown]
# ## Meet the four networks
#
# CycleGAN (Zhu, Park, Isola and Efros, 2017) learns both directions at once, each with its own
# discriminator. The paper's letters and the lab's names:
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
# Think of translating a sentence from English to French and then back to English: if you get
# your original sentence back, the translation kept its meaning, even though nobody gave you a
# French reference to compare with. CycleGAN asks the same of its two generators:
#
# $$\text{forward cycle: } x \to G(x) \to F(G(x)) \approx x, \qquad
#   \text{backward cycle: } y \to F(y) \to G(F(y)) \approx y.$$
#
# ![The forward and backward cycles of a CycleGAN](../images/cycle_consistency.png)
#
# Each fake is judged by the discriminator of its domain (grey), which pushes it to *look* like
# that domain; each round trip is compared with where it started (red), which pushes it to *keep*
# the content.

# %% [markdown]
# ## Write down the four losses
#
# One notation, used in every notebook and matching `cyclegan_lab/losses.py`: $\operatorname{mean}$
# averages over the batch and every pixel and channel (or, for a discriminator's output, its
# 30x30 grid of patch logits), and $\lambda$ appears where the code multiplies by it.
#
# $$
# \begin{aligned}
# \text{discriminator:}\quad & \mathcal{L}_{D_Y} = \tfrac12\big[\operatorname{mean}\text{BCE}\big(1, D_Y(y)\big) + \operatorname{mean}\text{BCE}\big(0, D_Y(G(x))\big)\big] \\
# \text{adversarial:}\quad & \mathcal{L}_{\text{adv}}(G) = \operatorname{mean}\text{BCE}\big(1, D_Y(G(x))\big) \\
# \text{cycle:}\quad & \mathcal{L}_{\text{cyc}} = \lambda\,\operatorname{mean}\big|x - F(G(x))\big| + \lambda\,\operatorname{mean}\big|y - G(F(y))\big| \\
# \text{identity:}\quad & \mathcal{L}_{\text{id}}(G) = 0.5\,\lambda\,\operatorname{mean}\big|y - G(y)\big|
# \end{aligned}
# $$
#
# and the same with $x \leftrightarrow y$, $G \leftrightarrow F$, $D_Y \to D_X$ for the other
# direction. In code: `discriminator_loss`, `generator_loss`, `cycle_loss` (one of the two
# terms) and `identity_loss`. The **identity** term asks that a Monet given to the Monet
# generator come out unchanged; without it the generators are free to shift colours, since the
# cycle can shift them back. Each generator minimises its own total,
#
# $$\mathcal{L}_G = \mathcal{L}_{\text{adv}}(G) + \mathcal{L}_{\text{cyc}} + \mathcal{L}_{\text{id}}(G), \qquad
#   \mathcal{L}_F = \mathcal{L}_{\text{adv}}(F) + \mathcal{L}_{\text{cyc}} + \mathcal{L}_{\text{id}}(F),$$
#
# and each discriminator its own $\mathcal{L}_{D_Y}$ or $\mathcal{L}_{D_X}$. Notebook 5 puts
# numbers on each term. The lab's values, in the configuration every notebook shares:

# %%
defaults = TrainConfig()
print(f"lambda_cycle    = {defaults.lambda_cycle}   (lambda)")
print(f"identity_weight = {defaults.identity_weight}    (identity term = {defaults.identity_weight} x lambda "
      f"= {defaults.identity_weight * defaults.lambda_cycle})")

# %% [markdown]
# ## Compare the lab with the paper
#
# The lab keeps the paper's batch size (1), optimiser (Adam, $2 \cdot 10^{-4}$, $\beta_1 = 0.5$),
# $\lambda = 10$, identity weight and $70 \times 70$ PatchGAN discriminators. It differs in these
# ways, which later notebooks come back to:
#
# | | CycleGAN paper | the lab |
# |---|---|---|
# | generator | ResNet with 9 residual blocks | U-Net (from pix2pix), notebook 3 |
# | adversarial loss | least squares | binary cross-entropy, notebook 5 |
# | discriminator's fakes | a pool of the last 50 fakes | only the newest fake |
# | learning rate | constant for 100 epochs, then linear decay to 0 over 100 more | constant |
# | augmentation | random jitter: resize to 286, crop 256, flip (from pix2pix, in the CycleGAN code) | none (notebook 2 shows jitter) |
# | LeakyReLU slope in the discriminator | 0.2 | 0.3 (Keras' default) |
# | training length | 200 epochs | 1 epoch |
# | data | monet2photo: about 1,070 Monet paintings, 6,300 photos | 300 paintings, 300 photos (Kaggle's set) |
#
# The rest of the course builds the lab piece by piece: the data (notebook 2), the generator (3),
# the discriminator (4), the losses in code (5), training (6) and the results (7).

# %% [markdown]
# ## On your own
#
# Each exercise has a cell for your answer, a hidden solution, and a check cell.
#
# **Exercise 1 (predict, then run).** Add a mapping "shuffle" that sends each point to the angle
# of a *random other* point (`rng.permutation(theta)`), with $F$ the identity. Before you run
# anything, predict: is its distance from $Y$ `"small"` or `"large"`? Its cycle error?

# %% tags=["exercise", "predict"]
shuffle_distance = None  # "small" or "large"
shuffle_cycle = None  # "small" or "large"

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution: shuffling only reorders the points, so the *set* of outputs is still spread evenly
# round Y (a discriminator is satisfied), but F cannot know where each point came from.
shuffle_distance, shuffle_cycle = "small", "large"

# %%
shuffled = rng.permutation(theta)
measured_distance = distance_from_y(shuffled)
measured_cycle = cycle_error(lambda t: shuffled, lambda p: p)
reveal(shuffle_distance, f"shuffle: distance from Y {measured_distance:.3f}, cycle error {measured_cycle:.3f}")
check(shuffle_distance, "small" if measured_distance < 0.1 else "large", "Compare with turn and collapse.")
check(shuffle_cycle, "small" if measured_cycle < 0.01 else "large", "Can any F undo a random permutation?")

# %% [markdown]
# **Exercise 2.** A discriminator gives logit $z_{\text{real}} = 2$ on every patch of a real
# painting and $z_{\text{fake}} = -2$ on every patch of a fake. What is its loss
# $\tfrac12\big[\text{BCE}(1, 2) + \text{BCE}(0, -2)\big]$? Work it out from the closed forms, to
# three decimals.

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
# **Exercise 3.** For the *fold* mapping, try $F(\varphi) = \varphi / 2 + \pi$ instead. What is
# its cycle error (two decimals)? Could any $F$ bring it to zero?

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
# - Zhu, Park, Isola, Efros, *Unpaired Image-to-Image Translation using Cycle-Consistent
#   Adversarial Networks* (2017): [arXiv:1703.10593](https://arxiv.org/abs/1703.10593), and the
#   [project page](https://junyanz.github.io/CycleGAN/).
# - Isola, Zhu, Zhou, Efros, *Image-to-Image Translation with Conditional Adversarial Networks*
#   (pix2pix, 2017): [arXiv:1611.07004](https://arxiv.org/abs/1611.07004).
# - Goodfellow et al., *Generative Adversarial Networks* (2014):
#   [arXiv:1406.2661](https://arxiv.org/abs/1406.2661).
# - The TensorFlow tutorial [CycleGAN](https://www.tensorflow.org/tutorials/generative/cyclegan)
#   and the Keras example [CycleGAN](https://keras.io/examples/generative/cyclegan/).
