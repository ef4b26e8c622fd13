"""teaching.implementations: the notebooks' implement-exercises. Each is a cell tagged exercise + implement
in notebooks 01-07 with a hidden solution and a check; the check says "Correct!" of the notebook's own solution
and "Not quite", naming what differs, of planted wrong versions of it; and no exercise cell has the lab's
version of what it asks for in scope."""

import re
from pathlib import Path

import numpy as np
import pytest

from cyclegan_lab.teaching.implementations import check_implementation

ROOT = Path(__file__).resolve().parents[1]
LAB_NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[1-7]_*.py"))
# Planted wrong versions of each solution: (text replaced, by what, what the check must say of it).
PLANTED = {
    "downsample": [
        ("keras.layers.GroupNormalization(groups=-1, epsilon=1e-3)", "keras.layers.LayerNormalization()", "a Layer"),
        ("keras.layers.LeakyReLU(negative_slope=0.3)", "keras.layers.ReLU()", "is a ReLU in yours, a LeakyReLU"),
        ("if apply_norm:", "if True:", "for (8, apply_norm=False)"),
    ],
    "upsample": [
        ("keras.layers.ReLU()", "keras.layers.LeakyReLU()", "is a LeakyReLU in yours, a ReLU"),
        ("if apply_dropout:", "if False:", "drops out units"),
        ("groups=-1", "groups=1", "groups 1 (the lab's 8)"),
    ],
    "build_generator": [
        ("apply_dropout=level < 3", "apply_dropout=False", "drops out units"),
        ("keras.layers.Concatenate()([x, skip])", "keras.layers.Add()([x, skip])", "weight array"),
        ('activation="tanh"', 'activation="sigmoid"', "differ from the lab's"),
    ],
    "build_discriminator": [
        ("downsample(64, apply_norm=False)", "downsample(64)", "weight arrays"),
        ("keras.layers.LeakyReLU(negative_slope=0.3)", "keras.layers.ReLU()", "is a ReLU in yours, a LeakyReLU"),
        ("Conv2D(1, 4)", "Conv2D(1, 4, use_bias=False)", "weight arrays"),
    ],
    "discriminator_loss": [
        ("0.5 * (", "(", "2 times the lab's"),
        ("zeros_like(fake_logits)", "ones_like(fake_logits)", "on case"),
    ],
    "generator_loss": [
        ("ones_like(fake_logits)", "zeros_like(fake_logits)", "on case"),
        ("keras.ops.mean(", "keras.ops.sum(", "16 times the lab's"),
    ],
    "cycle_loss": [
        ("lambda_cycle * keras", "10.0 * keras", "on case 2 of 3"),
        ("keras.ops.abs(real - cycled)", "keras.ops.square(real - cycled)", "on case"),
    ],
    "identity_loss": [
        ("weight * lambda_cycle", "0.5 * lambda_cycle", "on case 3 of 3"),
        ("weight * lambda_cycle * ", "lambda_cycle * ", "on case"),
    ],
    "train_step": [
        (
            "disc_real_photo = self.photo_discriminator(real_photo, training=True)",
            "disc_real_photo = self.photo_discriminator(real_photo)",
            "without training=True (photo_discriminator 1 of 2",
        ),
        (
            "lam, weight = self.lambda_cycle, self.identity_weight",
            "lam, weight = 10.0, self.identity_weight",
            "the networks your step moves otherwise: monet_generator, photo_generator",
        ),
        (
            "losses.discriminator_loss(disc_real_monet, disc_fake_monet)",
            "losses.discriminator_loss(disc_fake_monet, disc_real_monet)",
            "the networks your step moves otherwise: monet_discriminator",
        ),
        ('"photo_disc_loss": photo_disc_loss}', '"photo_loss": photo_disc_loss}', "train_step returns"),
    ],
}


def implement_exercises() -> list[tuple]:
    """(notebook, the cells before it, solution source, name) of each cell tagged exercise + implement in notebooks
    01-07 whose check is `check_implementation`; name is the lab's function it is checked against."""
    import jupytext

    found = []
    for path in LAB_NOTEBOOKS:
        cells = jupytext.read(path).cells
        for i, cell in enumerate(cells):
            if {"exercise", "implement"} <= set(cell.metadata.get("tags", [])):
                later = cells[i + 1 : i + 4]
                solution = next((c.source for c in later if "solution" in c.metadata.get("tags", [])), "")
                checked = re.search(r'check_implementation\("(\w+)"', "".join(c.source for c in later))
                found.append((path.name, cells[:i], solution, checked.group(1) if checked else None))
    return found


def solution_function(source: str, name: str):
    """The function `name` that a notebook's solution cell defines, with what the notebook has in scope."""
    import keras

    from cyclegan_lab.models import downsample, upsample

    scope = {"keras": keras, "np": np, "downsample": downsample, "upsample": upsample}
    if name == "train_step":  # a subclass of the notebook's LabCycleGanBase, with TensorFlow and the lab's losses
        import tensorflow as tf

        from cyclegan_lab import losses

        scope.update(tf=tf, losses=losses)
        exec(compile(base_class_source(), "<LabCycleGanBase>", "exec"), scope)
        exec(compile(source, f"<solution of {name}>", "exec"), scope)
        return scope["LabCycleGan"]
    exec(compile(source, f"<solution of {name}>", "exec"), scope)
    return scope[name]


def base_class_source() -> str:
    """The cell of notebook 6 that defines LabCycleGanBase, the model the learner's train_step goes in."""
    import jupytext

    cells = jupytext.read(ROOT / "notebooks" / "06_training.py").cells
    return next(c.source for c in cells if c.source.startswith("class LabCycleGanBase("))


def test_the_lab_has_the_learner_write_its_blocks_networks_and_losses():
    exercises = implement_exercises()
    assert len(exercises) >= 9, [name for *_, name in exercises]
    assert {name for *_, name in exercises} >= set(PLANTED)


@pytest.mark.parametrize("name", list(PLANTED))
def test_each_implement_check_accepts_the_solution_and_names_what_is_wrong_in_planted_ones(name, capsys):
    """The notebook's own solution says "Correct!"; each planted mistake says "Not quite" and what differs."""
    notebook, _, solution, _ = next(e for e in implement_exercises() if e[3] == name)
    check_implementation(name, solution_function(solution, name))
    assert capsys.readouterr().out == "Correct!\n", f"{notebook}'s solution of {name}"
    for old, new, said in PLANTED[name]:
        assert old in solution, f"{notebook}'s solution of {name} no longer holds {old!r}"
        check_implementation(name, solution_function(solution.replace(old, new), name))
        out = capsys.readouterr().out
        assert out.startswith("Not quite") and said in out and out.count("\n") == 1, (old, new, out)


# What else holds the lab's version of what an exercise asks for: the lab's model and its plain step hold a step.
SAME_AS = {"train_step": ["lab_train_step", "lab_gradients", "CycleGAN"]}


def test_no_exercise_cell_has_the_labs_version_in_scope():
    """Until the learner's cell and its check have run, the notebook has imported nothing of that name."""
    for notebook, before, _, name in implement_exercises():
        imports = "".join(c.source for c in before if c.cell_type == "code")
        for held in [name, *SAME_AS.get(name, [])] if name else []:
            assert not re.search(rf"^\s*from cyclegan_lab[\w.]* import [^#\n]*\b{held}\b", imports, re.M), (
                notebook,
                held,
            )
            assert not re.search(rf"^\s*\(?\s*{held},?\s*$", imports, re.M), (notebook, held)  # a parenthesised import
