"""Student versions and an autograder, made from the series' own notebooks (otter-grader 7).

    python -m cnnlib.grading build dist/              # every notebook with an exercise
    python -m cnnlib.grading build dist/ notebooks/01_*.ipynb
    python -m cnnlib.grading grade dist/01_maxpool_gradient_routing/autograder/*.zip sub.ipynb

There is no second copy of any notebook to maintain. The series marks each exercise with
cell tags (see COORDINATION.md / the README):

- ``exercise``        the Markdown task;
- ``exercise-stub``   the code cell that defines the function and raises NotImplementedError;
- ``exercise-check``  ``print(check_xxx(function_name))``;
- ``solution``        a folded code cell, first line ``# Solution (click to expand)``, that
                      redefines the same function and ends with the check.

`master_notebook` turns such a notebook into an otter "master notebook" (raw
``# ASSIGNMENT CONFIG`` / ``# BEGIN QUESTION`` / ``# BEGIN SOLUTION`` / ``# BEGIN TESTS``
cells): one question per exercise, whose answer cell is the stub (``# BEGIN PROMPT``) followed
by the solution (``# BEGIN SOLUTION NO PROMPT``), and two tests, the public one
``check_xxx(fn, which="public").passed`` and a hidden one with ``which="hidden"``. Then
``otter assign`` writes, per notebook, ``student/<name>.ipynb`` (the stub, no solution, no
outputs) and ``autograder/`` (the solution notebook and the autograder zip for
``otter run`` here or Gradescope). The autograder zip carries a copy of cnnlib, so a grading
machine needs only the packages in its requirements.txt.
"""
import argparse
import copy
import glob
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAG_EXERCISE, TAG_STUB, TAG_CHECK, TAG_SOLUTION = "exercise", "exercise-stub", "exercise-check", "solution"
SOLUTION_HEADER = re.compile(r"^\s*#\s*Solution\b.*$")
CHECK_CALL = re.compile(r"^\s*print\(\s*(check_\w+)\(\s*(\w+)\s*[,)]")
DEF_NAME = re.compile(r"^def\s+(\w+)\s*\(", re.MULTILINE)
POINTS_PER_TEST = 1
# What the graders' machines install (the autograder brings cnnlib itself along).
GRADER_REQUIREMENTS = ["numpy>=1.24", "scipy>=1.10", "matplotlib>=3.7", "ipywidgets>=8.1",
                       "scikit-learn>=1.3"]


def tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


@dataclass
class Exercise:
    """One exercise of a notebook: the indexes of its cells and the names they use."""
    task: int
    stub: int
    check: int
    solution: int
    function: str
    checker: str


def find_exercises(nb):
    """The notebook's exercises, in order. Raises ValueError naming what is missing."""
    found, current = [], None
    for index, cell in enumerate(nb.cells):
        kind = tags(cell) & {TAG_EXERCISE, TAG_STUB, TAG_CHECK, TAG_SOLUTION}
        if TAG_EXERCISE in kind:
            if current is not None:
                raise ValueError(f"cell {current['task']}: exercise without a solution cell before cell {index}")
            current = {"task": index}
        elif kind:
            (name,) = kind
            if current is None:
                raise ValueError(f"cell {index} is tagged {name!r} but follows no 'exercise' cell")
            current[name.replace("exercise-", "")] = index
            if name == TAG_SOLUTION:
                missing = [k for k in ("stub", "check") if k not in current]
                if missing:
                    raise ValueError(f"exercise at cell {current['task']} has no {' or '.join(missing)} cell")
                found.append(_exercise(nb, current))
                current = None
    if current is not None:
        raise ValueError(f"exercise at cell {current['task']} has no 'solution' cell")
    return found


def _exercise(nb, where):
    check_source = nb.cells[where["check"]].source
    match = next((CHECK_CALL.match(line) for line in check_source.splitlines() if CHECK_CALL.match(line)), None)
    if match is None:
        raise ValueError(f"cell {where['check']} (exercise-check) is not print(check_xxx(function))")
    checker, function = match.groups()
    for key in ("stub", "solution"):
        defined = DEF_NAME.findall(nb.cells[where[key]].source)
        if function not in defined:
            raise ValueError(f"cell {where[key]} ({key}) does not define {function}()")
    return Exercise(where["task"], where["stub"], where["check"], where["solution"], function, checker)


def solution_body(source):
    """The solution cell's code without its '# Solution …' first line and its final check print."""
    lines = source.splitlines()
    if lines and SOLUTION_HEADER.match(lines[0]):
        lines = lines[1:]
    while lines and (not lines[-1].strip() or CHECK_CALL.match(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def _raw(text):
    import nbformat
    return nbformat.v4.new_raw_cell(text)


def _test_cell(exercise, which):
    import nbformat
    hidden = "# HIDDEN\n" if which == "hidden" else ""
    cell = nbformat.v4.new_code_cell(f'{hidden}{exercise.checker}({exercise.function}, which="{which}").passed')
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "True"}, execution_count=1)]
    return cell


def _plain(cell):
    """A copy of `cell` with the series' folding and exercise tags removed (otter adds its own)."""
    cell = copy.deepcopy(cell)
    cell.metadata.pop("jupyter", None)
    remaining = [t for t in cell.metadata.get("tags", []) if t not in (TAG_STUB, TAG_SOLUTION)]
    if remaining:
        cell.metadata["tags"] = remaining
    else:
        cell.metadata.pop("tags", None)
    return cell


def assignment_config(name, autograder_files=(), requirements=None):
    config = {"name": name, "init_cell": True, "check_all_cell": False, "export_cell": False,
              "run_tests": False, "generate": {"pdf": False}, "tests": {"files": False}}
    if autograder_files:
        config["autograder_files"] = list(autograder_files)
    if requirements:
        config["requirements"] = requirements
    return "# ASSIGNMENT CONFIG\n" + "\n".join(f"{k}: {json.dumps(v)}" for k, v in config.items())


def master_notebook(nb, name, autograder_files=(), requirements=None):
    """The otter master notebook for series notebook `nb` (not modified). ValueError if it has no exercise."""
    exercises = find_exercises(nb)
    if not exercises:
        raise ValueError(f"{name} has no cell tagged 'exercise'")
    by_task = {e.task: e for e in exercises}
    by_stub = {e.stub: e for e in exercises}
    by_solution = {e.solution: e for e in exercises}
    master = copy.deepcopy(nb)
    cells = [_raw(assignment_config(name, autograder_files, requirements))]
    for index, cell in enumerate(nb.cells):
        if index in by_task:
            exercise = by_task[index]
            cells += [_raw(f"# BEGIN QUESTION\nname: {exercise.function}\n"
                           f"points: {2 * POINTS_PER_TEST}"), copy.deepcopy(cell)]
        elif index in by_stub:
            exercise = by_stub[index]
            answer = _plain(cell)
            answer.outputs, answer.execution_count = [], None
            answer.source = ("# BEGIN PROMPT\n" + cell.source.rstrip() + "\n# END PROMPT\n"
                             "# BEGIN SOLUTION NO PROMPT\n"
                             + solution_body(nb.cells[exercise.solution].source) + "\n# END SOLUTION")
            cells += [_raw("# BEGIN SOLUTION"), answer, _raw("# END SOLUTION")]
        elif index in by_solution:
            exercise = by_solution[index]
            cells += [_raw("# BEGIN TESTS"), _test_cell(exercise, "public"), _test_cell(exercise, "hidden"),
                      _raw("# END TESTS"), _raw("# END QUESTION")]
        else:
            cells.append(copy.deepcopy(cell))
    master.cells = cells
    return master


def solution_lines(nb, min_length=12):
    """Lines of the solutions that appear nowhere else in the notebook (what a student must
    not see), stripped, at least `min_length` characters long."""
    exercises = find_exercises(nb)
    solutions = {e.solution for e in exercises}
    elsewhere = "\n".join(c.source for i, c in enumerate(nb.cells) if i not in solutions)
    found = []
    for e in exercises:
        for line in solution_body(nb.cells[e.solution].source).splitlines():
            line = line.strip()   # a hint in the stub may quote a line: that one is no secret
            if len(line) >= min_length and line not in elsewhere and not line.startswith("#"):
                found.append(line)
    return found


@dataclass
class Assignment:
    """What `build` wrote for one notebook."""
    source: Path
    student: Path
    solution: Path
    autograder: Path
    questions: list


def _exercise_notebooks(paths):
    import nbformat
    chosen = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if any(TAG_EXERCISE in tags(c) for c in nb.cells):
            chosen.append((Path(path), nb))
    return chosen


def build(out_dir, notebooks=None, log=print, library=ROOT / "cnnlib"):
    """Student notebooks and autograders for `notebooks` (default: the series' NN_*.ipynb that
    have an exercise) under out_dir/<notebook stem>/{student,autograder}. Returns [Assignment].

    The master notebooks are written to a temporary folder, never next to the series.
    `library`: the package folder copied into each autograder (None: rely on an installed cnnlib).
    """
    import nbformat
    from otter.assign import main as otter_assign
    from .site import series_notebooks

    out_dir = Path(out_dir)
    if notebooks is None:
        notebooks = series_notebooks(ROOT / "notebooks")
    built = []
    for source, nb in _exercise_notebooks(notebooks):
        name = source.stem
        target = out_dir / name
        if target.exists():
            shutil.rmtree(target)
        with tempfile.TemporaryDirectory(prefix="cnnlib-otter-") as tmp:
            tmp = Path(tmp)
            extra = []
            if library is not None:
                shutil.copytree(library, tmp / library.name,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "grading.py", "site.py"))
                extra.append(library.name)
            (tmp / "requirements.txt").write_text("\n".join(GRADER_REQUIREMENTS) + "\n")
            for asset in ("images",):   # pictures the notebooks embed by relative path
                if (source.parent / asset).is_dir():
                    shutil.copytree(source.parent / asset, tmp / asset)
            master = master_notebook(nb, name, extra, "requirements.txt")
            master_path = tmp / f"{name}.ipynb"
            nbformat.write(master, master_path)
            otter_assign(str(master_path), str(target), no_pdfs=True, no_run_tests=True)
        zips = sorted((target / "autograder").glob("*.zip"))
        assignment = Assignment(source, target / "student" / f"{name}.ipynb",
                                target / "autograder" / f"{name}.ipynb", zips[-1],
                                [e.function for e in find_exercises(nb)])
        built.append(assignment)
        log(f"{name}: student {assignment.student}, autograder {assignment.autograder.name} "
            f"(questions: {', '.join(assignment.questions)})")
    return built


def grade(autograder_zip, submission, output_dir=None, stop_on_error=False):
    """Grade one submitted notebook here, without Docker (otter run). Returns
    {question: (score, possible)}; the JSON results go to output_dir (default: a temp folder).

    stop_on_error: raise at the first cell that fails (otter's debug mode) instead of grading
    what ran, which is what a lecturer wants for submissions. True proves, in the same run,
    that the notebook executes top to bottom."""
    from otter.run import main as otter_run
    with tempfile.TemporaryDirectory(prefix="cnnlib-grade-") as tmp:
        results = otter_run(str(submission), autograder=str(autograder_zip),
                            output_dir=str(output_dir or tmp), no_logo=True, debug=stop_on_error)
    return {name: (float(result.score), float(result.possible)) for name, result in results.results.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnnlib.grading", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="student notebooks + autograders into OUT")
    b.add_argument("out")
    b.add_argument("notebooks", nargs="*", help="default: every notebooks/NN_*.ipynb with an exercise")
    g = commands.add_parser("grade", help="grade submissions here with an autograder zip (otter run)")
    g.add_argument("autograder")
    g.add_argument("submissions", nargs="+")
    g.add_argument("--results", default=None, help="folder for the results JSON")
    args = parser.parse_args(argv)
    if args.command == "build":
        paths = [Path(p) for pattern in args.notebooks for p in sorted(glob.glob(pattern))] or None
        try:
            built = build(args.out, paths)
        except ValueError as error:
            print(f"cannot build: {error}", file=sys.stderr)
            return 2
        if not built:
            print("no notebook has a cell tagged 'exercise'", file=sys.stderr)
            return 1
        return 0
    for submission in args.submissions:
        scores = grade(args.autograder, submission, args.results)
        total, possible = (sum(s for s, _ in scores.values()), sum(p for _, p in scores.values()))
        print(f"{submission}: {total:g} / {possible:g}  " +
              ", ".join(f"{q} {s:g}/{p:g}" for q, (s, p) in scores.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
