"""The package's floors: cyclegan_lab.program on top, the lesson's modules, cyclegan_lab.plumbing below.

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
    assert set(CONTRACTS) == {"forbidden", "protected"}


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        # a plumbing module reaching up to the program, at the top of the file
        ("plumbing/files.py", "from cyclegan_lab.program import cli\n", "forbidden"),
        # ... or to a lesson module, inside a function
        ("plumbing/download.py", "def _planted():\n    from ..config import TrainConfig\n", "forbidden"),
        # a lesson module leaning on the command line
        ("training.py", "def _planted():\n    from .program.cli import main\n", "protected"),
    ],
)
def test_an_import_up_a_floor_breaks_its_contract(tmp_path, module, planted, broken):
    def sources_only(folder, names):
        return [n for n in names if n == "__pycache__" or (Path(folder, n).is_file() and not n.endswith(".py"))]

    shutil.copytree(ROOT / "cyclegan_lab", tmp_path / "cyclegan_lab", ignore=sources_only)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "cyclegan_lab" / module, "a") as file:
        file.write("\n\n" + planted)

    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{CONTRACTS[broken]} BROKEN" in done.stdout, done.stdout
    assert "cyclegan_lab." + module.removesuffix(".py").replace("/", ".") in done.stdout, done.stdout
