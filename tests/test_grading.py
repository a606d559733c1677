"""Student versions and the autograder (cnnlib.grading, otter-grader 7), end to end.

For a small fixture notebook written here in the series' convention, and for every series
notebook that already has an exercise: `build` runs otter assign; the solutions score full
marks with the autograder (otter run, no Docker); the untouched student notebook runs top
to bottom and scores 0; no line of a solution appears in any student notebook.
"""
import json
from pathlib import Path

import nbformat
import pytest

from cnnlib import grading
from cnnlib.site import series_notebooks

ROOT = Path(__file__).resolve().parent.parent
md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell

otter = pytest.importorskip("otter", reason="otter-grader is not installed (pip install otter-grader)")


def tagged(cell, *tags, hidden=False, slide="-"):
    cell.metadata["tags"] = list(tags)
    cell.metadata["slideshow"] = {"slide_type": slide}
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


CHECKER = '''\
import numpy as np
from cnnlib.exercises.checker import Case, check_function, select_cases

CASES = [Case("one", (np.array([1.0, -2.0]),), np.array([2.0, -4.0])),
         Case("two", (np.array([[3.0]]),), np.array([[6.0]])),
         Case("negative zero", (np.array([-0.5, 0.0]),), np.array([-1.0, 0.0]), hidden=True)]

def check_double(learner_function, which="all"):
    return check_function(learner_function, select_cases(CASES, which), exercise="double")'''

SECRET = "return np.multiply(x, 2.0)  # the secret line"


def fixture_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        tagged(md("# 99 A fixture\n\nDoubling arrays."), slide="slide"),
        code(CHECKER),
        tagged(code("# Proof: doubling twice is times four\nassert (2 * (2 * np.ones(2)) == 4).all()"),
               "proof", hidden=True, slide="skip"),
        tagged(md("## Exercise\n\nWrite `double(x)` returning 2x."), "exercise", slide="slide"),
        tagged(code('def double(x):\n    """Twice x, same shape."""\n    raise NotImplementedError("your turn")'),
               "exercise-stub"),
        tagged(code("print(check_double(double))"), "exercise-check"),
        tagged(code('# Solution (click to expand)\ndef double(x):\n    """Twice x, same shape."""\n'
                    f"    {SECRET}\n\nprint(check_double(double))"), "solution", hidden=True, slide="skip"),
        md("The end."),
    ]
    return nb


def series_with_exercises():
    return [p for p in series_notebooks(ROOT / "notebooks")
            if any(grading.TAG_EXERCISE in grading.tags(c) for c in nbformat.read(p, as_version=4).cells)]


def test_master_notebook_has_one_question_with_public_and_hidden_tests():
    nb = fixture_notebook()
    before = nbformat.writes(nb)
    master = grading.master_notebook(nb, "99_fixture")
    assert nbformat.writes(nb) == before   # the series notebook is not modified
    raw = [c.source.splitlines()[0] for c in master.cells if c.cell_type == "raw"]
    assert raw == ["# ASSIGNMENT CONFIG", "# BEGIN QUESTION", "# BEGIN SOLUTION", "# END SOLUTION",
                   "# BEGIN TESTS", "# END TESTS", "# END QUESTION"]
    tests = [c.source for c in master.cells if ".passed" in c.source]
    assert tests == ['check_double(double, which="public").passed',
                     '# HIDDEN\ncheck_double(double, which="hidden").passed']
    answer = next(c for c in master.cells if "# BEGIN PROMPT" in c.source)
    assert "raise NotImplementedError" in answer.source and SECRET in answer.source
    assert "source_hidden" not in json.dumps(answer.metadata)
    assert all("solution" not in c.metadata.get("tags", []) for c in master.cells)
    assert grading.solution_lines(nb) == [SECRET]


@pytest.mark.parametrize("mutate, message", [
    (lambda cells: cells.pop(6), "has no 'solution' cell"),
    (lambda cells: cells.pop(5), "has no check cell"),
    (lambda cells: cells[5].__setitem__("source", "check_double(double)"), r"is not print\(check_xxx"),
    (lambda cells: cells[6].__setitem__("source", "def doubled(x):\n    return 2 * x"), "does not define double"),
])
def test_badly_tagged_exercises_are_named(mutate, message):
    nb = fixture_notebook()
    mutate(nb.cells)
    with pytest.raises(ValueError, match=message):
        grading.master_notebook(nb, "99_fixture")


def _execute(path):
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _check_assignment(assignment, secrets):
    student = nbformat.read(assignment.student, as_version=4)
    text = nbformat.writes(student)
    leaked = [line for line in secrets if line in text]
    assert not leaked, f"{assignment.student.name} shows solution lines: {leaked}"
    assert all(grading.TAG_SOLUTION not in grading.tags(c) for c in student.cells)
    # The untouched student notebook runs top to bottom (nbclient raises on any error) ...
    ran = _execute(assignment.student)
    printed = "".join(o.get("text", "") for c in ran.cells for o in c.get("outputs", []))
    assert "Not attempted yet" in printed
    # ... and scores 0 on every exercise; the solutions score full marks.
    scores = grading.grade(assignment.autograder, assignment.student)
    assert set(scores) == set(assignment.questions)
    assert all(score == 0 and possible > 0 for score, possible in scores.values()), scores
    scores = grading.grade(assignment.autograder, assignment.solution)
    assert all(score == possible > 0 for score, possible in scores.values()), scores


@pytest.mark.slow
def test_fixture_student_version_and_autograder(tmp_path):
    source = tmp_path / "notebooks" / "99_fixture.ipynb"
    source.parent.mkdir()
    nbformat.write(fixture_notebook(), source)
    (assignment,) = grading.build(tmp_path / "dist", [source], log=lambda m: None)
    assert assignment.questions == ["double"]
    assert assignment.autograder.suffix == ".zip"
    _check_assignment(assignment, [SECRET])


@pytest.mark.slow
@pytest.mark.parametrize("notebook", series_with_exercises() or [None],
                         ids=lambda p: p.name.split("_")[0] if p else "none-yet")
def test_series_student_versions_and_autograder(notebook, tmp_path):
    if notebook is None:
        pytest.skip("no series notebook has a cell tagged 'exercise' yet")
    (assignment,) = grading.build(tmp_path / "dist", [notebook], log=lambda m: None)
    nb = nbformat.read(notebook, as_version=4)
    secrets = grading.solution_lines(nb)
    assert secrets, f"{notebook.name}: its solution has no line of its own to look for"
    _check_assignment(assignment, secrets)
