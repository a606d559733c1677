"""The project's promises to a newcomer: the two README commands, CI running the
README's test command, the two dependency lists naming the same packages, and a
docstring (with shapes) on every public name."""
import inspect
import re
from pathlib import Path

import pytest

import cnnlib

ROOT = Path(__file__).resolve().parent.parent
OPEN_COMMAND = "pip install -r requirements.txt && jupyter lab notebooks/"
TEST_COMMAND = "pip install -r requirements.txt && pytest"


def normalise(name):
    """PyPI names compare case-insensitively with -, _ and . all equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(path):
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):  # comments, `-e .`, `-r other.txt`
            continue
        names.add(normalise(re.split(r"[\s<>=!~;\[]", line)[0]))
    return names


def environment_names(path):
    yaml = pytest.importorskip("yaml")  # PyYAML comes with jupyterlab
    names = set()
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(entry, dict):  # the `pip:` sub-list (holds `-e .`)
            names |= {normalise(re.split(r"[\s<>=!~;\[]", item)[0])
                      for item in entry.get("pip", []) if not item.startswith("-")}
            continue
        names.add(normalise(re.split(r"[\s<>=!~;\[]", entry)[0]))
    return names - {"python", "pip"}


def test_requirements_and_environment_name_the_same_packages():
    from_requirements = requirement_names(ROOT / "requirements.txt")
    from_environment = environment_names(ROOT / "environment.yml")
    assert {"numpy", "pytest", "hypothesis", "nbval"} <= from_requirements  # the parsers found something
    assert from_requirements == from_environment, (
        f"only in requirements.txt: {sorted(from_requirements - from_environment)}; "
        f"only in environment.yml: {sorted(from_environment - from_requirements)}"
    )


def test_requirements_install_cnnlib_itself():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "-e ." in lines


def fenced_code_lines(markdown):
    """Every non-blank, non-comment line inside ``` fenced blocks."""
    lines = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.S | re.M):
        lines += [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    return lines


def test_readme_gives_the_two_commands_in_code_blocks():
    commands = fenced_code_lines((ROOT / "README.md").read_text())
    assert commands.count(OPEN_COMMAND) == 1, commands
    assert commands.count(TEST_COMMAND) == 1, commands
    # No other way to install in the README's code blocks, to keep it to two commands.
    installs = [line for line in commands if "pip install" in line]
    assert sorted(installs) == sorted([OPEN_COMMAND, TEST_COMMAND]), installs


def test_ci_runs_the_readme_test_command():
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert TEST_COMMAND in ci_lines
    assert "set -euo pipefail" in ci_lines  # a failing step fails CI


SHAPE_MENTION = re.compile(r"shape|\((\w+|\.\.\.),")  # "shape", or a tuple like "(N, C, H, W)", "(F,)", "(..., kH, kW)"


@pytest.mark.parametrize("name", cnnlib.__all__)
def test_every_public_name_has_a_docstring_with_shapes(name):
    obj = getattr(cnnlib, name)
    doc = inspect.getdoc(obj)
    assert doc and len(doc) > 20, f"cnnlib.{name} needs a docstring"
    # Every public function here takes arrays: its docstring must say their shapes.
    assert SHAPE_MENTION.search(doc), f"cnnlib.{name}'s docstring does not mention shapes:\n{doc}"


# ------------------------------------------------------------------ one front door

PYTHON_FLOOR = "3.10"


def _pyproject():
    try:
        import tomllib
    except ImportError:   # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_one_python_lower_bound_everywhere():
    project = _pyproject()["project"]
    assert project["requires-python"] == f">={PYTHON_FLOOR}"
    yaml = pytest.importorskip("yaml")
    pythons = [d for d in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
               if isinstance(d, str) and d.startswith("python")]
    assert pythons == [f"python>={PYTHON_FLOOR}"]
    readme = (ROOT / "README.md").read_text()
    floors = set(re.findall(r"Python (3\.\d+)\+? or newer|Python ≥ ?(3\.\d+)|Python (3\.\d+)\+", readme))
    assert {v for group in floors for v in group if v} <= {PYTHON_FLOOR}, floors


def test_pyproject_names_what_the_notebooks_and_tests_import():
    project = _pyproject()["project"]
    runtime = {normalise(re.split(r"[\s<>=!~;\[]", d)[0]) for d in project["dependencies"]}
    assert {"numpy", "scipy", "matplotlib", "ipywidgets", "scikit-learn"} <= runtime   # 00 and 03 import scipy
    extras = project["optional-dependencies"]
    test_extra = {normalise(re.split(r"[\s<>=!~;\[]", d)[0]) for d in extras["test"]}
    assert {"pytest", "nbval", "nbconvert", "hypothesis"} <= test_extra
    # Everything pyproject promises is installed by the README's requirements.txt too.
    everything = runtime | test_extra | {normalise(re.split(r"[\s<>=!~;\[]", d)[0]) for d in extras["teach"]}
    missing = everything - requirement_names(ROOT / "requirements.txt")
    assert not missing, f"in pyproject.toml but not requirements.txt: {sorted(missing)}"


def test_the_lecture_kit_is_installed_by_both_lists():
    for names in (requirement_names(ROOT / "requirements.txt"), environment_names(ROOT / "environment.yml")):
        assert {"otter-grader", "jupyterlab-rise"} <= names


def test_licence_covers_code_and_text():
    text = (ROOT / "LICENSE").read_text()
    assert "MIT License" in text and "Permission is hereby granted" in text
    assert "CC BY 4.0" in text and "creativecommons.org/licenses/by/4.0" in text
    assert "MIT" in _pyproject()["project"]["license"]["text"]

