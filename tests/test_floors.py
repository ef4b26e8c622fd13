"""The package's floors: program on top, then teaching and judging, the recipe, the lab, and plumbing at the bottom.

pyproject.toml's [tool.importlinter] contracts say which way imports may run; import-linter checks them by
reading the source (every import, those inside functions too), without importing TensorFlow.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = {
    contract["type"]: contract["name"]
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}
# What the `lint-imports` console script runs, with this interpreter wherever its scripts are.
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """Check pyproject.toml's contracts on the cyclegan_lab found in `root` (a copy, or the project)."""
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "pyproject.toml", "--no-cache", "--no-logo"],
        cwd=root,  # `-c` puts the working folder first on sys.path: the cyclegan_lab in `root` is the one read
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_floors_contracts_are_kept():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout
    assert set(CONTRACTS) == {"layers", "acyclic_siblings"}


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        # plumbing reaching up to the program, at the top of the file
        ("plumbing/files.py", "from cyclegan_lab.program import cli\n", "layers"),
        # ... or to a lab module, inside a function
        ("plumbing/download.py", "def _planted():\n    from ..config import TrainConfig\n", "layers"),
        # a lab module leaning on the command line
        ("training.py", "def _planted():\n    from .program.cli import main\n", "layers"),
        # the lab reaching up to the recipe: the lab a learner reads stays the lab
        ("cyclegan.py", "def _planted():\n    from .recipe.tricks import ImagePool\n", "layers"),
        # the recipe reaching up to the judge: a measure the training could see
        ("recipe/tricks.py", "from ..judging import judge\n", "layers"),
        # the lab leaning on the judge: a measure the training could see
        ("models.py", "def _planted():\n    from .judging.judge import Judge\n", "layers"),
        # teaching aids and judging stand side by side: neither imports the other
        ("teaching/drawings.py", "from ..judging import scores\n", "layers"),
        # two lab modules importing each other
        ("images.py", "def _planted():\n    from .data import find_data\n", "acyclic_siblings"),
    ],
)
def test_an_import_up_a_floor_or_round_a_circle_breaks_a_contract(tmp_path, module, planted, broken):
    copy = copy_package(tmp_path)
    with open(copy / module, "a") as file:
        file.write("\n\n" + planted)

    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{CONTRACTS[broken]} BROKEN" in done.stdout, done.stdout
    planted_in = module.removesuffix(".py").replace("/", ".")  # named whole, or relative in a circle's report
    assert f"cyclegan_lab.{planted_in}" in done.stdout or f".{planted_in} ->" in done.stdout, done.stdout


def test_a_module_without_a_floor_breaks_the_floors_contract(tmp_path):
    copy = copy_package(tmp_path)
    (copy / "helpers.py").write_text('"""A new module nobody gave a floor."""\n')

    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{CONTRACTS['layers']} BROKEN" in done.stdout, done.stdout
    assert "cyclegan_lab.helpers" in done.stdout, done.stdout


def copy_package(tmp_path: Path) -> Path:
    """A copy of cyclegan_lab's sources (and pyproject.toml) under tmp_path, to plant imports in."""

    def sources_only(folder, names):
        return [n for n in names if n == "__pycache__" or (Path(folder, n).is_file() and not n.endswith(".py"))]

    shutil.copytree(ROOT / "cyclegan_lab", tmp_path / "cyclegan_lab", ignore=sources_only)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path / "cyclegan_lab"


def test_every_module_says_what_it_offers_and_offers_it():
    """Each module's `__all__` lists its public names, and `from module import *` gives every one of them.

    Run in a fresh interpreter: importing every module loads TensorFlow and the recipe's networks."""
    script = """
import importlib, pkgutil, cyclegan_lab
missing = []
for info in pkgutil.walk_packages(cyclegan_lab.__path__, "cyclegan_lab."):
    module = importlib.import_module(info.name)
    offered = getattr(module, "__all__", None)
    if offered is None:
        if not info.ispkg:
            missing.append(info.name + ": no __all__")
        continue
    missing += [f"{info.name}.{name}" for name in offered if not hasattr(module, name)]
print("\\n".join(missing) or "all offered")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "all offered", done.stdout + done.stderr[-2000:]
