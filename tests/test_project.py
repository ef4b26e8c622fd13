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
    pip_lines = [line.strip()[2:] for line in lines[pip_start + 1:] if line.strip().startswith("- ")]
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
