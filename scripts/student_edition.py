"""Build the student edition of the course: the notebooks without their solutions.

    python scripts/student_edition.py [notebooks/01_theory.ipynb ...] [--out build/student]

With no notebook named, every `notebooks/NN_*.ipynb` is converted. In each one:

* code cells tagged `solution` are removed (nbconvert's TagRemovePreprocessor);
* in markdown cells, `<details><summary>Solution</summary> ... </details>` blocks
  are replaced by a line saying the solution is with the instructor;
* outputs are cleared, so nothing the instructor ran leaks through.

The notebooks go to `<out>/notebooks/` and the figures they show to
`<out>/images/`, so their `../images/...` links still work. The paired `.py`
files are not copied: they hold the solutions.

The check cells stay: run without a solution they print "Not answered yet",
and once a learner sets the answer, "Correct" or "Not quite".
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, Preprocessor, TagRemovePreprocessor

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_TAG = "solution"
SOLUTION_BLOCK = re.compile(r"<details>\s*<summary>\s*Solution[^<]*</summary>.*?</details>", re.S | re.I)
WITHHELD = "*(Solution withheld in the student edition: ask your instructor.)*"


class StripSolutionBlocks(Preprocessor):
    """Replace every `<details><summary>Solution...</summary>...</details>` block of a markdown cell."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = SOLUTION_BLOCK.sub(WITHHELD, cell.source)
        return cell, resources


def student_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at `path` without solution cells, solution blocks or outputs."""
    notebook = nbformat.read(path, as_version=4)
    resources: dict = {}
    for preprocessor in [
        TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}, enabled=True),
        StripSolutionBlocks(),
        ClearOutputPreprocessor(),
    ]:
        notebook, resources = preprocessor.preprocess(notebook, resources)
    return notebook


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    (args.out / "notebooks").mkdir(parents=True, exist_ok=True)
    for path in paths:
        target = args.out / "notebooks" / path.name
        nbformat.write(student_notebook(path), target)
        print(f"wrote {target}")
    shutil.copytree(ROOT / "images", args.out / "images", dirs_exist_ok=True)
    print(f"copied the figures to {args.out / 'images'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
