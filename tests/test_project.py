"""The project's own files agree with each other: dependencies, the README's commands, CI."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def requirement_names(requirements):
    return {re.split(r"[<>=!~\[; ]", r.strip(), maxsplit=1)[0].lower() for r in requirements}


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["cpu"] + extras["lab"] + extras["test"]

    lines = (ROOT / "environment.yml").read_text().splitlines()
    pip_start = lines.index("  - pip:")
    pip_lines = [line.strip()[2:] for line in lines[pip_start + 1 :] if line.strip().startswith("- ")]
    listed = [line for line in pip_lines if not line.startswith("-e")]

    assert sorted(listed) == sorted(set(wanted)), "environment.yml and pyproject.toml disagree on versions"
    assert requirement_names(listed) == requirement_names(wanted)
    assert "-e ." in pip_lines, "environment.yml must install the project itself"
    assert "  - python=3.11" in lines


def test_every_make_command_the_readme_gives_is_a_makefile_target_and_ci_runs_make_test():
    """Each `make TARGET` the README tells a reader to type (at the start of a line of a code block, or
    inline in backticks, variables before it allowed) is a target of the Makefile, and CI runs the same
    `make test` the README gives for the tests."""
    readme = (ROOT / "README.md").read_text()
    given = set(re.findall(r"(?:^|`)(?:[A-Z_]+=\S+ )*make ([a-z][\w-]*)", readme, flags=re.M))
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))
    assert "test" in given, f"the README gives no make test: {sorted(given)}"
    assert given <= targets, f"the README gives make {sorted(given - targets)}, which the Makefile lacks"
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, flags=re.M), ".ci/run must call the README's test command"


@pytest.mark.slow
def test_figure_script_draws_every_figure(tmp_path):
    import subprocess
    import sys

    from PIL import Image

    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_figures.py"), "--out", str(tmp_path)], check=True)
    made = sorted(p.name for p in tmp_path.glob("*.png"))
    assert made == sorted(p.name for p in (ROOT / "images").glob("*.png")), "images/ is out of date: run the script"
    for name in made:
        with Image.open(tmp_path / name) as image:
            assert min(image.size) > 200


def test_every_image_a_notebook_shows_is_in_images():
    for notebook in (ROOT / "notebooks").glob("*.py"):
        for name in re.findall(r"\.\./images/([\w.-]+)", notebook.read_text()):
            assert (ROOT / "images" / name).exists(), f"{notebook.name} shows images/{name}, which is missing"


def test_ruff_finds_nothing_to_lint_or_format():
    """The code is linted and formatted by ruff, as configured in pyproject.toml."""
    import subprocess
    import sys

    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, f"ruff {' '.join(command)}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
