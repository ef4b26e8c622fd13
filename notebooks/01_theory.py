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
# # 1. Image-to-image translation and the CycleGAN
#
# This notebook sets out the idea behind the whole course: turning a photo into a painting is
# learning a function between two collections of images, and a CycleGAN learns it from
# collections that were never paired up.
#
# ## What you'll learn
#
# - How style transfer can be seen as *image-to-image translation*: a function from one image
#   domain (photos) to another (Monet paintings).
# - How a GAN learns: a generator against a discriminator, the minimax objective, and binary
#   cross-entropy computed from logits.
# - Why paired data (pix2pix) is easy to learn from, and why unpaired data needs something more.
# - What the CycleGAN adds: two generators, two discriminators, and the *cycle consistency*
#   that ties them together, with the full objective the lab trains.
#
# ## What you'll need
#
# - Python and a first acquaintance with neural networks; no previous notebook.
# - About 10 minutes. A CPU is fine: nothing here trains a network.
# - The lab's data (300 Monet paintings and 300 photos, about 9 MB): it is downloaded for you
#   the first time if you don't already have it.

# %% tags=["parameters"]
DATA_DIR = None  # folder with Monet and photo images; None: $CYCLEGAN_LAB_DATA, the cache, or the lab's download
SMOKE = False  # True: the quick setting the tests use; the variable CYCLEGAN_LAB_SMOKE also turns it on
SEED = 0  # fixes every random choice in this notebook

# %% [markdown]
# The quick setting reads only the three images of each domain it shows; the full setting reads
# the lab's 300 of each and picks three at random.

# %%
import inspect
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Code

from cyclegan_lab import TrainConfig, generator_loss, load_data, show_images
from cyclegan_lab import losses

SMOKE = SMOKE or os.environ.get("CYCLEGAN_LAB_SMOKE") == "1"

N_SHOW = 3  # images shown per domain
MAX_IMAGES = N_SHOW if SMOKE else 300  # images read per domain
rng = np.random.default_rng(SEED)

# %% [markdown]
# ## Look at the two domains
#
# A *domain* is a collection of images that share a look. The lab has two: Claude Monet's
# paintings and landscape photos, all 256x256 RGB. Nothing links a painting to a photo: the
# photos were not taken where Monet set up his easel.

# %%
data = load_data(TrainConfig(max_images=MAX_IMAGES), DATA_DIR)
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
# asks for a function
#
# $$G: X \to Y,$$
#
# that keeps *what* the photo shows (the river, the trees, the horizon) and changes *how* it is
# shown (colour palette, brush strokes, soft light). Many vision tasks have this shape:
# day to night, map to aerial view, sketch to photo, horse to zebra. They are all called
# **image-to-image translation**, and a single recipe, a generative adversarial network with an
# image as its input, covers them.
#
# Here $G$ is a neural network that takes a 256x256x3 image with values in $[-1, 1]$ and returns
# one of the same shape. Notebooks 3 and 4 build the networks; this one is about what they are
# trained to do.

# %% [markdown]
# ## Recall how a GAN learns
#
# A generative adversarial network (Goodfellow et al., 2014) trains two networks against each
# other:
#
# - the **generator** $G$ produces images (here: from a photo $x$, a would-be painting $G(x)$);
# - the **discriminator** $D$ looks at an image and says how likely it is to be a real one
#   (here: a real Monet rather than a generated one).
#
# $D$ is rewarded for telling real from fake, $G$ for fooling $D$. Written as one objective,
# $D$ maximises and $G$ minimises
#
# $$\min_G \max_D \; \mathcal{L}_{\text{GAN}}(G, D) =
#   \mathbb{E}_{y \sim p_Y}\big[\log D(y)\big] + \mathbb{E}_{x \sim p_X}\big[\log\big(1 - D(G(x))\big)\big].$$
#
# When neither can improve, the generated images are distributed like the real ones: $D$ is left
# guessing, $D = \tfrac12$ everywhere.
#
# In code the discriminator does not return a probability but a **logit** $z$, any real number,
# with $D = \sigma(z) = 1 / (1 + e^{-z})$: above 0 means "real", below 0 "fake". Both players'
# losses are then **binary cross-entropy from logits** against a target $t$ (1 for real, 0 for
# fake):
#
# $$\text{BCE}(t, z) = -\big[t \log \sigma(z) + (1 - t) \log\big(1 - \sigma(z)\big)\big], \qquad
#   \text{BCE}(1, z) = \log(1 + e^{-z}), \quad \text{BCE}(0, z) = \log(1 + e^{z}).$$
#
# Working from logits avoids taking the log of a probability that has rounded to 0. The
# discriminator minimises $\text{BCE}(1, z_{\text{real}}) + \text{BCE}(0, z_{\text{fake}})$. The
# generator, rather than minimising $\log(1 - D(G(x)))$, which is flat exactly when $D$ easily
# spots its fakes, minimises $\text{BCE}(1, z_{\text{fake}})$: "make $D$ call my fakes real". That
# is the *non-saturating* form every practical GAN uses, the lab included.
#
# The lab's helper is three lines:

# %%
Code(inspect.getsource(losses.bce_from_logits), language="python")

# %% [markdown]
# Let's plot both targets against the logit with the library's own loss. `generator_loss` is
# $\text{BCE}(1, z)$ averaged over whatever it is given; since $1 - \sigma(z) = \sigma(-z)$, the
# same function at $-z$ gives $\text{BCE}(0, z)$. We check both against the closed forms above.

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
# Each curve is near 0 on the side where the discriminator is right and grows almost linearly on
# the side where it is confidently wrong, so a confident mistake is punished hard and the
# gradient never vanishes.

# %% [markdown]
# ## Compare paired and unpaired data
#
# **Paired data.** pix2pix (Isola et al., 2017) learns from pairs $(x_i, y_i)$: the same scene as
# input and as desired output. Besides the adversarial loss it can simply ask that the output be
# close to the known answer, $\lVert G(x_i) - y_i \rVert_1$. The pairs say exactly what to keep
# and what to change.
#
# **Unpaired data.** Nobody has Monet's painting of a given photo. All we have is a pile of
# photos and a pile of paintings. The adversarial loss alone only asks that the *set* of outputs
# $\{G(x)\}$ look like the set of paintings. That pins down the distribution of the outputs, not
# which painting a given photo should become. Infinitely many functions send the photo
# distribution onto the painting distribution, and most of them throw the photo's content away:
# a generator could ignore its input and paint any plausible Monet, or send many photos to the
# same few paintings (*mode collapse*).
#
# A toy shows the problem. Take two "domains" of points in the plane: $X$, points spread evenly
# round a unit circle, and $Y$, points spread evenly round a second circle, twice as large. Each
# point's colour is its angle on $X$, so we can see where every point goes. Here are four
# candidate mappings $G: X \to Y$, each with the best inverse $F: Y \to X$ we can write for it:
#
# | mapping | $G$ sends angle $\theta$ to | $F$ sends angle $\varphi$ back to |
# |---|---|---|
# | turn | $\theta + 1$ | $\varphi - 1$ |
# | mirror | $-\theta$ | $-\varphi$ |
# | fold | $2\theta$ | $\varphi / 2$ (half the points have two sources; $F$ picks one) |
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


MODES = np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3])  # where "collapse" sends everything
MAPPINGS = {  # name: (G: angle on X -> angle on Y, F: angle on Y -> angle on X)
    "turn": (lambda t: t + 1.0, lambda p: p - 1.0),
    "mirror": (lambda t: -t, lambda p: -p),
    "fold": (lambda t: 2 * t, lambda p: p / 2),
    "collapse": (lambda t: MODES[np.argmin(np.abs(np.angle(np.exp(1j * (t[:, None] - MODES)))), axis=1)],
                 lambda p: p),
}

x = on_x(theta)
fig, axes = plt.subplots(1, 1 + len(MAPPINGS), figsize=(16, 3.6))
axes[0].scatter(*x.T, c=theta, cmap="hsv", s=8)
axes[0].set_title("domain X (colour = angle)")
outputs, cycle_errors, gaps = {}, {}, {}
ring = on_y(np.linspace(0, 2 * np.pi, 200))
for ax, (name, (g, f)) in zip(axes[1:], MAPPINGS.items()):
    y = on_y(g(theta))  # G(x)
    x_back = on_x(f(angle_of(y, Y_CENTRE)))  # F(G(x))
    cycle_errors[name] = np.linalg.norm(x - x_back, axis=1).mean()
    # Kolmogorov-Smirnov distance between the output angles and the evenly spread angles of Y:
    # 0 means G(X) is spread exactly like Y, which is all a discriminator can check.
    phi = np.sort(angle_of(y, Y_CENTRE))
    gaps[name] = np.abs(np.arange(1, N_POINTS + 1) / N_POINTS - phi / (2 * np.pi)).max()
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
# Turn, mirror and fold all spread the points evenly round $Y$: judged only by where the points
# land, the way a discriminator judges, they are perfect. Collapse is not (all points pile up on
# three spots), and a discriminator would catch it. Now measure both things for each mapping:
# how far the outputs are from $Y$'s spread, and the **cycle error**, the mean distance
# $\lVert F(G(x)) - x \rVert$ between a point and its round trip.

# %%
names = list(MAPPINGS)
fig, (ax_gap, ax_cycle) = plt.subplots(1, 2, figsize=(10, 3.4))
ax_gap.bar(names, [gaps[n] for n in names], color="tab:blue")
ax_gap.set_title("distance of G(X) from Y's spread\n(what a discriminator can see)")
ax_cycle.bar(names, [cycle_errors[n] for n in names], color="tab:orange")
ax_cycle.set_title("cycle error  mean |F(G(x)) - x|\n(what cycle consistency sees)")
fig.tight_layout()
plt.show()
for name in names:
    print(f"{name:>8}: distance from Y {gaps[name]:.3f}   cycle error {cycle_errors[name]:.3f}")

# %% [markdown]
# The adversarial view cannot tell *fold* from *turn*, yet fold has lost half the
# information: two points with angles $\theta$ and $\theta + \pi$ land on the same spot, and no
# $F$ can tell them apart again. The cycle error exposes it (and collapse, which fails both
# tests). So asking for $F(G(x)) \approx x$ rules out mappings that merge or scramble inputs.
#
# It does not make the answer unique: *mirror* has zero cycle error too. Among the mappings that
# survive, what a trained CycleGAN picks depends on the network itself. Convolutional networks
# find small, local, smooth changes easiest to learn, and the identity loss below adds a nudge
# towards changing as little as possible. In practice that is enough to keep the river where it
# was.

# %% [markdown]
# ## Meet the four networks
#
# CycleGAN (Zhu, Park, Isola and Efros, 2017) learns both directions at once, each with its own
# discriminator. The paper calls them $G$, $F$, $D_Y$, $D_X$; the lab, and this course, use names
# that say what they do:
#
# | paper | lab | what it does |
# |---|---|---|
# | $G: X \to Y$ | `monet_generator` | turns a photo into a Monet |
# | $F: Y \to X$ | `photo_generator` | turns a Monet into a photo |
# | $D_Y$ | `monet_discriminator` | real Monet, or one made by `monet_generator`? |
# | $D_X$ | `photo_discriminator` | real photo, or one made by `photo_generator`? |
#
# The formulas below keep the paper's short letters; the code uses the lab's names.

# %% [markdown]
# ## Close the loop with cycle consistency
#
# The two generators check each other. Translating a photo to a painting and back must give the
# photo again, and the same for a painting:
#
# $$\text{forward cycle: } x \to G(x) \to F(G(x)) \approx x, \qquad
#   \text{backward cycle: } y \to F(y) \to G(F(y)) \approx y.$$
#
# The **cycle-consistency loss** measures both with the mean absolute difference (the L1 norm),
# which tolerates a few large differences better than a squared error and blurs less:
#
# $$\mathcal{L}_{\text{cyc}}(G, F) =
#   \mathbb{E}_{x}\big[\lVert F(G(x)) - x \rVert_1\big] + \mathbb{E}_{y}\big[\lVert G(F(y)) - y \rVert_1\big].$$
#
# The two loops, drawn out (`scripts/make_figures.py` draws this diagram):
#
# ![The forward and backward cycles of a CycleGAN](../images/cycle_consistency.png)
#
# Each fake is judged by the discriminator of its domain (grey), which pushes it to *look* like
# that domain; each round trip is compared with where it started (red), which pushes it to
# *keep* the content.

# %% [markdown]
# ## Write down the full objective
#
# Two adversarial games, one per direction, plus the cycle term, plus an **identity** term:
# a Monet given to the Monet generator should come out unchanged, and a photo given to the photo
# generator likewise,
#
# $$\mathcal{L}_{\text{identity}}(G, F) =
#   \mathbb{E}_{y}\big[\lVert G(y) - y \rVert_1\big] + \mathbb{E}_{x}\big[\lVert F(x) - x \rVert_1\big].$$
#
# Without it the generators are free to shift colours (a sunny photo turned into a dusky
# painting, say), since the cycle can shift them back. The paper added it for paintings and
# photos for exactly that reason. All together:
#
# $$\mathcal{L}(G, F, D_X, D_Y) = \mathcal{L}_{\text{GAN}}(G, D_Y, X, Y) + \mathcal{L}_{\text{GAN}}(F, D_X, Y, X)
#   + \lambda\, \mathcal{L}_{\text{cyc}}(G, F) + 0.5\,\lambda\, \mathcal{L}_{\text{identity}}(G, F),$$
#
# with $\lambda = 10$: the generators minimise it, the discriminators maximise their adversarial
# parts. With $\lambda = 10$ the content terms carry far more weight than the adversarial ones;
# notebook 5 puts numbers on that. The lab's defaults, in the one configuration every notebook
# shares:

# %%
defaults = TrainConfig()
print(f"lambda_cycle    = {defaults.lambda_cycle}   (lambda)")
print(f"identity_weight = {defaults.identity_weight}    (identity term = {defaults.identity_weight} x lambda "
      f"= {defaults.identity_weight * defaults.lambda_cycle})")

# %% [markdown]
# Two details of the lab differ from the paper, and later notebooks come back to them: the lab
# scores its discriminators with binary cross-entropy as above (the paper switched to a
# least-squares loss for stability), and its discriminators judge 70x70 *patches*, 30x30 of them
# per image, rather than the whole image at once.
#
# The rest of the course builds this piece by piece: the data (notebook 2), the U-Net generator
# (3), the PatchGAN discriminator (4), these losses in code (5), training (6) and the results (7).

# %% [markdown]
# ## On your own
#
# 1. In the toy, add a mapping "shuffle" that sends each point to the angle of a *random* other
#    point of $Y$ (`rng.permutation`). Where does it land on the two bar charts? What would a
#    discriminator and a cycle loss say about it?
# 2. For the *fold* mapping, try $F(\varphi) = \varphi / 2 + \pi$ instead. Does any choice of $F$
#    bring the cycle error to zero? Why not?
#
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
