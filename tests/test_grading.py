"""Student versions and the autograder (cnnlib.grading, otter-grader 7), end to end.

For a small fixture notebook written here in the series' convention, and for every series
notebook that has an exercise: `build` runs otter assign; the untouched student notebook runs
top to bottom under the autograder (otter run, no Docker) and scores 0; the solutions score full
marks; no line of a solution appears in any student notebook. The fixture grades its solution
with a whole autograder run too, and shows that the autograder's test files run on the answer
cells alone give the same scores, which is how the series' solutions are scored here (the rest
of each series notebook is executed by nbval).
"""
import contextlib
import io
import json
import re
import tempfile
import zipfile
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


def _check_no_leak(assignment, secrets):
    student = nbformat.read(assignment.student, as_version=4)
    text = nbformat.writes(student)
    leaked = [line for line in secrets if line in text]
    assert not leaked, f"{assignment.student.name} shows solution lines: {leaked}"
    assert all(grading.TAG_SOLUTION not in grading.tags(c) for c in student.cells)


def _graded_run(assignment, notebook):
    """{question: (score, possible)} from a whole autograder run (otter run) of `notebook`.
    stop_on_error: a cell that fails raises here, so the same run proves the notebook executes
    top to bottom."""
    return grading.grade(assignment.autograder, notebook, stop_on_error=True)


@contextlib.contextmanager
def _answer_cells(assignment, notebook):
    """Yields (namespace, code cells): the namespace that `notebook`'s first code cell (its
    imports) and the cells defining the exercise functions make, executed in this process.
    Print options and matplotlib settings are restored afterwards."""
    import matplotlib
    import numpy as np
    cells = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    imports = next(source for source in cells if "import otter" not in source)
    answers = [source for source in cells
               if any(re.search(rf"^def {name}\(", source, re.MULTILINE) for name in assignment.questions)]
    assert answers, f"{notebook.name} defines none of {assignment.questions}"
    namespace = {}
    with np.printoptions(), matplotlib.rc_context():
        # (line magics such as %matplotlib inline only set up the display)
        exec("\n".join(l for l in imports.splitlines() if not l.startswith("%")), namespace)
        for source in answers:
            exec(source, namespace)
        yield namespace, cells


def _autograder_tests_on_answers(assignment, notebook):
    """{question: (score, possible)}: the autograder zip's own test files, run by otter's test
    runner on `_answer_cells`. The rest of a series solution notebook is the series notebook
    itself, which nbval executes; the fixture test shows this gives what a whole autograder run
    gives."""
    from otter.test_files.ok_test import OKTestFile
    with _answer_cells(assignment, notebook) as (namespace, _), tempfile.TemporaryDirectory() as tmp, \
            zipfile.ZipFile(assignment.autograder) as autograder:
        scores = {}
        for name in assignment.questions:
            test = OKTestFile.from_file(autograder.extract(f"tests/{name}.py", tmp))
            test.run(namespace)
            scores[name] = (float(test.score), float(test.possible))
    return scores


def _printed_by_the_checks(assignment, notebook):
    """What the notebook's exercise-check cells, print(check_xxx(function)), print after
    `_answer_cells` (the whole autograder run proves the notebook executes; this is what the
    student reads there)."""
    with _answer_cells(assignment, notebook) as (namespace, cells), \
            contextlib.redirect_stdout(io.StringIO()) as printed:
        for source in cells:
            if any(grading.CHECK_CALL.match(line) for line in source.splitlines()):
                exec(source, namespace)
    return printed.getvalue()


def _zero_and_full_marks(student_scores, solution_scores, questions):
    assert set(student_scores) == set(solution_scores) == set(questions)
    assert all(score == 0 and possible > 0 for score, possible in student_scores.values()), student_scores
    assert all(score == possible > 0 for score, possible in solution_scores.values()), solution_scores


@pytest.mark.slow
def test_fixture_student_version_and_autograder(tmp_path):
    source = tmp_path / "notebooks" / "99_fixture.ipynb"
    source.parent.mkdir()
    nbformat.write(fixture_notebook(), source)
    (assignment,) = grading.build(tmp_path / "dist", [source], log=lambda m: None)
    assert assignment.questions == ["double"]
    assert assignment.autograder.suffix == ".zip"
    _check_no_leak(assignment, [SECRET])
    student, solution = _graded_run(assignment, assignment.student), _graded_run(assignment, assignment.solution)
    _zero_and_full_marks(student, solution, assignment.questions)
    # What the student sees on running the untouched notebook: a message, not a traceback.
    assert "Not attempted yet" in _printed_by_the_checks(assignment, assignment.student)
    # The autograder's tests on the answer cells alone give exactly what the whole runs gave.
    assert _autograder_tests_on_answers(assignment, assignment.student) == student
    assert _autograder_tests_on_answers(assignment, assignment.solution) == solution
    # A submission with a failing cell is not graded quietly when stop_on_error is set.
    broken = nbformat.read(assignment.student, as_version=4)
    broken.cells.append(code("raise RuntimeError('a broken submission')"))
    broken_path = tmp_path / "broken" / assignment.student.name   # otter's first cell opens it by name
    broken_path.parent.mkdir()
    nbformat.write(broken, broken_path)
    with pytest.raises(Exception, match="a broken submission"):
        _graded_run(assignment, broken_path)


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
    _check_no_leak(assignment, secrets)
    # The untouched student notebook: one whole autograder run (it must also run top to bottom).
    # The solutions: the autograder's own tests on its answer cells (see the fixture test).
    _zero_and_full_marks(_graded_run(assignment, assignment.student),
                         _autograder_tests_on_answers(assignment, assignment.solution), assignment.questions)
    assert "Not attempted yet" in _printed_by_the_checks(assignment, assignment.student)
