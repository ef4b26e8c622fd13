"""The project's own files agree with each other: dependencies, the README's commands, CI."""

import re
import tomllib
from pathlib import Path

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


def test_readme_quick_start_is_the_two_make_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^(make \w+)", quick_start, flags=re.M)
    assert commands == ["make lab", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, flags=re.M), ".ci/run must call the README's test command"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: ", makefile, flags=re.M) and re.search(r"^lab: ", makefile, flags=re.M)


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
