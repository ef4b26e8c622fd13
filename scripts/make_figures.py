"""Draw the diagrams in images/ that the notebooks and the README show.

    python scripts/make_figures.py [--out images]

Every figure is made here, by the project's own code, and nothing is
downloaded; run it again after changing a diagram.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

BOX = dict(boxstyle="round,pad=0.5", linewidth=1.5)
COLOURS = {"photo": "#cfe3f7", "monet": "#f7dcc3", "judge": "#e4e4e4"}


def box(ax, xy, text, kind):
    return ax.text(*xy, text, ha="center", va="center", fontsize=11, bbox=dict(BOX, facecolor=COLOURS[kind]))


def arrow(ax, start, end, label="", rad=0.0, label_xy=None, colour="black"):
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops=dict(
            arrowstyle="-|>",
            linewidth=1.8,
            color=colour,
            mutation_scale=16,
            shrinkA=14,
            shrinkB=14,
            connectionstyle=f"arc3,rad={rad}",
        ),
    )
    if label:
        ax.text(*label_xy, label, ha="center", va="center", fontsize=10, color=colour)


def draw_cycle(ax, start, other, generators, disc):
    """start: (letter, name, colour kind); other: (name, colour kind); generators: ((lab name, paper letter) x 2)."""
    (a, a_name, a_kind), (b_name, b_kind) = start, other
    (g_name, g), (f_name, f) = generators
    box(ax, (1, 3), f"real {a_name}\n${a}$", a_kind)
    box(ax, (5, 3), f"fake {b_name}\n${g}({a})$", b_kind)
    box(ax, (9, 3), f"cycled {a_name}\n${f}({g}({a}))$", a_kind)
    box(ax, (5, 5.2), f"{disc[0]}  (${disc[1]}$)\nreal {b_name} or fake?", "judge")
    arrow(ax, (1.9, 3), (4.1, 3), f"{g_name}\n(${g}$)", label_xy=(3, 3.75))
    arrow(ax, (5.9, 3), (8.1, 3), f"{f_name}\n(${f}$)", label_xy=(7, 3.75))
    arrow(ax, (5, 3.5), (5, 4.7), colour="dimgrey")
    arrow(
        ax,
        (9, 2.5),
        (1, 2.5),
        rad=-0.35,
        colour="tab:red",
        label=f"cycle loss  $\\lambda\\,\\mathrm{{mean}}\\,|{a} - {f}({g}({a}))|$",
        label_xy=(5, 0.45),
    )
    ax.set_xlim(-0.5, 10.5)
    ax.set_ylim(-0.2, 6)
    ax.axis("off")


def cycle_consistency_figure() -> plt.Figure:
    """The forward and backward cycles, with the networks' lab names and paper letters."""
    fig, (forward, backward) = plt.subplots(2, 1, figsize=(9, 9))
    draw_cycle(
        forward,
        ("x", "photo", "photo"),
        ("Monet", "monet"),
        (("monet_generator", "G"), ("photo_generator", "F")),
        ("monet_discriminator", "D_Y"),
    )
    forward.set_title("Forward cycle: photo -> Monet -> photo", fontsize=13)
    draw_cycle(
        backward,
        ("y", "Monet", "monet"),
        ("photo", "photo"),
        (("photo_generator", "F"), ("monet_generator", "G")),
        ("photo_discriminator", "D_X"),
    )
    backward.set_title("Backward cycle: Monet -> photo -> Monet", fontsize=13)
    fig.tight_layout()
    return fig


def gan_figure() -> plt.Figure:
    """One GAN: a generator makes fakes from photos, a discriminator tells them from real paintings."""
    fig, ax = plt.subplots(figsize=(10, 4.6))
    box(ax, (1, 3), "photo\n$x$", "photo")
    box(ax, (5, 3), "fake Monet\n$G(x)$", "monet")
    box(ax, (5, 0.9), "real Monet\n$y$", "monet")
    box(ax, (8.6, 2), "discriminator $D_Y$\nlogit per patch:\n> 0 'real', < 0 'fake'", "judge")
    arrow(ax, (1.9, 3), (4.1, 3), "generator $G$", label_xy=(3, 3.6))
    arrow(ax, (5.9, 2.9), (7.3, 2.3), colour="dimgrey")
    arrow(ax, (5.9, 1.0), (7.3, 1.7), colour="dimgrey")
    ax.text(8.6, 4.5, "$D_Y$ learns: real $y$ -> 1, fake $G(x)$ -> 0", ha="center", fontsize=10, color="tab:blue")
    ax.text(3.0, 4.5, "$G$ learns: make $D_Y$ say 1 for $G(x)$", ha="center", fontsize=10, color="tab:red")
    ax.annotate(
        "",
        xy=(3.0, 4.2),
        xytext=(8.6, 3.2),
        arrowprops=dict(
            arrowstyle="-|>",
            color="tab:red",
            linewidth=1.5,
            linestyle="--",
            connectionstyle="arc3,rad=0.25",
            shrinkA=6,
            shrinkB=6,
        ),
    )
    ax.text(6.2, 4.05, "gradient of $D_Y$'s verdict", fontsize=9, color="tab:red", ha="center")
    ax.set_xlim(-0.3, 10.6)
    ax.set_ylim(-0.1, 5)
    ax.axis("off")
    ax.set_title("A GAN: two networks trained against each other", fontsize=13)
    fig.tight_layout()
    return fig


def unet_figure() -> plt.Figure:
    """The lab's U-Net generator, feature map by feature map."""
    from cyclegan_lab.models import build_generator
    from cyclegan_lab.teaching.drawings import draw_unet

    return draw_unet(build_generator("monet_generator"))


FIGURES = {
    "gan.png": gan_figure,
    "cycle_consistency.png": cycle_consistency_figure,
    "unet_generator.png": unet_figure,
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "images"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, make in FIGURES.items():
        figure = make()
        figure.savefig(out / name, dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(figure)
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
