"""Shared machinery for exercise checkers.

A checker runs the learner's function on a list of `Case`s. For a wrong answer it
compares the learner's output with known wrong answers (`Mistake`s: e.g. "routed
to all four inputs") and names the one that matches, so the feedback says what the
learner probably did, not only that it is wrong.

`check_function` never raises, whatever the learner's function does:
- each call gets its own copies of the case's arguments; the expected output and
  every named mistake are computed from untouched copies, so a function that edits
  its inputs is told so (and which argument), never a mistake it did not make;
- a return value that is not an array of real numbers is rejected with a plain
  reason, even when its values are right: None ("did you print instead of
  return?"), a tuple, a ragged list, a complex, object, boolean or string array;
- NotImplementedError on the first case means "not attempted yet"; on a later case
  it names the case and says the earlier ones passed; so does any other exception;
- a wrong answer that matches no named mistake still gets a general hint.
"""
import copy
import inspect
from dataclasses import dataclass, field

import numpy as np

from ..plot import rounded

DEFAULT_GENERAL_HINT = (
    "no typical mistake matches this answer. Compare it with the expected output entry by entry: "
    "which entries differ, and by how much? Work one of them out by hand from the formula, "
    "then follow the same entry through your code."
)


@dataclass
class Case:
    """One input to try: `args` go to the learner's function, `expected` is the right output."""
    name: str
    args: tuple
    expected: np.ndarray
    hidden: bool = False   # graded by the autograder's hidden tests only (see which= below)


@dataclass
class Mistake:
    """A typical wrong answer: `compute(*args)` is what that mistake produces."""
    name: str
    compute: object
    hint: str


@dataclass
class Feedback:
    """What a checker found. `passed` is True only when every case matched.

    `hint` is the general hint for a wrong answer: `str()` shows it only while no
    named `mistake` has been found (a checker may still name one after
    check_function returns). `case` names the case that failed. `problem` says why
    the answer was rejected before its values were compared ("returned None",
    "returned a tuple", "ragged list", "complex array", ..., "changed its input"):
    a checker that post-processes the learner's output should skip it then.
    """
    attempted: bool
    passed: bool
    lines: list = field(default_factory=list)
    mistake: str = ""
    hint: str = ""
    case: str = ""
    problem: str = ""

    def __str__(self):
        lines = list(self.lines)
        if self.hint and not self.mistake and not self.passed:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def _fmt(array):
    return np.array2string(np.asarray(rounded(array, 4)), precision=4,
                           suppress_small=True, separator=", ")


def select_cases(cases, which="all"):
    """The cases a check runs: "all", "public" (not hidden) or "hidden" (the autograder's)."""
    if which not in ("all", "public", "hidden"):
        raise ValueError(f"which must be 'all', 'public' or 'hidden', got {which!r}")
    if which == "all":
        return list(cases)
    return [case for case in cases if case.hidden == (which == "hidden")]


# --- pieces of check_function -------------------------------------------------------

def _copy(value):
    """A deep copy (arrays included), or the value itself if it cannot be copied."""
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def _same(a, b):
    """True if a and b hold the same values (arrays: same shape, dtype and entries)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _argument_names(function, args):
    """The learner's parameter names for `args` (e.g. ["dout", "w"]), or "argument k"."""
    names = [f"argument {k + 1}" for k in range(len(args))]
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return names
    for k, parameter in enumerate(parameters[:len(args)]):
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            names[k] = f"`{parameter.name}` (argument {k + 1})"
        else:
            break
    return names


def _as_answer(got, expected):
    """(array, None) if `got` is an acceptable answer, else (None, reason it is not)."""
    if got is None:
        return None, ("returned None. Did you print the result instead of returning it, "
                      "or forget the `return` line?")
    if isinstance(got, tuple):
        return None, (f"returned a tuple of {len(got)} items, not one array. Return only the array "
                      f"asked for (e.g. dx alone, not (dx, dw, db)).")
    try:
        array = np.asarray(got)
    except (ValueError, TypeError):
        return None, ("returned a ragged list (its rows have different lengths), not an array. "
                      "Build the result with np.zeros(shape) and fill it in.")
    kind = array.dtype.kind
    if kind == "c":
        return None, (f"returned a complex array (dtype {array.dtype}), even if every imaginary part is 0. "
                      "Gradients are real: if you used an FFT, take .real, or correlate directly.")
    if kind == "O":
        return None, ("returned an object array (dtype object, e.g. a ragged list or a list of arrays "
                      "of different shapes), not an array of numbers. Build it with np.zeros(shape).")
    if kind == "b":
        return None, ("returned an array of True/False (a mask?), not the gradient's values. "
                      "Multiply the mask by the values it selects.")
    if kind not in "iuf":
        return None, (f"returned {type(got).__name__} (dtype {array.dtype}), not an array of numbers.")
    if array.shape == () and np.shape(expected) != ():
        return None, (f"returned a single number ({float(array):.4g}), but the answer is an array of shape "
                      f"{np.shape(expected)}. Return the whole array, not a sum or one entry.")
    return array, None


def _matches(got, wanted, atol):
    try:
        wanted = np.asarray(wanted)
        return wanted.shape == got.shape and bool(np.allclose(got, wanted, atol=atol, rtol=1e-6))
    except Exception:
        return False


def _named_mistake(mistakes, got, pristine_args, atol):
    """The first mistake whose output (from fresh copies of the arguments) equals `got`."""
    for mistake in mistakes:
        try:
            wrong = mistake.compute(*_copy(pristine_args))
        except Exception:  # a mistake that cannot be computed for this case matches nothing
            continue
        if _matches(got, wrong, atol):
            return mistake
    return None


def _label(case, index, total):
    return f"Case '{case.name}'" if total == 1 else f"Case '{case.name}' ({index + 1} of {total})"


def _passed_before(cases, index):
    if index == 0:
        return []
    names = ", ".join(f"'{case.name}'" for case in cases[:index])
    return [f"The {index} case{'s' if index > 1 else ''} before it passed ({names})."]


def check_function(learner_function, cases, mistakes=(), exercise="your function", atol=1e-8,
                   general_hint=DEFAULT_GENERAL_HINT, mutation="note"):
    """Run `learner_function` on every case; return Feedback. Never raises.

    A function that raises NotImplementedError on the first case counts as not
    attempted yet (the notebook still runs cleanly). Any exception on a later case,
    and any other exception, is reported with the case. `general_hint` is given for
    a wrong answer that matches none of the `mistakes` (None or "" for no hint).
    A function that changes its arguments in place is always named. With right
    values it still passes with that note (mutation="note", the default), or
    fails (mutation="fail"); with wrong values it fails either way.
    """
    if mutation not in ("note", "fail"):
        raise ValueError(f"mutation must be 'note' or 'fail', got {mutation!r}")
    cases = list(cases)
    notes = []  # in-place changes of cases whose values were right (mutation="note")
    for index, case in enumerate(cases):
        label = _label(case, index, len(cases))
        try:
            pristine = _copy(tuple(case.args))
            given = _copy(pristine)
            try:
                got = learner_function(*given)
            except NotImplementedError:
                if index == 0:
                    return Feedback(False, False, [f"Not attempted yet: fill in {exercise}, then run this cell again."])
                return Feedback(True, False, [
                    f"{label}: {exercise} raised NotImplementedError: part of it is still a stub "
                    f"(a branch this case reaches?)."] + _passed_before(cases, index), case=case.name)
            except Exception as error:  # the learner's bug, reported not raised
                return Feedback(True, False, [f"{label}: {exercise} raised {type(error).__name__}: {error}"]
                                + _passed_before(cases, index), case=case.name)
            names = _argument_names(learner_function, given)
            changed = [name for name, before, after in zip(names, pristine, given) if not _same(before, after)]
            answer, problem = _as_answer(got, case.expected)
            lines = []
            if changed:
                lines.append(f"{label}: {exercise} changed its input {', '.join(changed)} in place. "
                             f"A gradient function must leave its arguments alone (work on a copy, "
                             f"e.g. x = x.copy(), or build a new array).")
            if problem is not None:
                lines.append(f"{label}: {exercise} {problem}")
                return Feedback(True, False, lines + _passed_before(cases, index), case=case.name,
                                problem=problem.split(". ")[0].rstrip("."))
            expected = np.asarray(case.expected)
            if answer.shape != expected.shape:
                lines.append(f"Case '{case.name}': wrong shape, expected {expected.shape}, got {answer.shape}.")
            elif _matches(answer, expected, atol):
                if not changed:
                    continue
                if mutation == "note":
                    notes.append(lines[0] + " Its values are right (judged on fresh copies).")
                    continue
                return Feedback(True, False, lines + ["Its values are right, but the caller's arrays are not."]
                                + _passed_before(cases, index), case=case.name, problem="changed its input")
            else:
                lines += [f"Case '{case.name}': wrong values.", f"expected:\n{_fmt(expected)}",
                          f"got:\n{_fmt(answer)}"]
            # Wrong shapes can be a named mistake too (e.g. forgetting the padding).
            mistake = _named_mistake(mistakes, answer, pristine, atol)
            if mistake is not None:
                lines.append(f"This looks like: {mistake.name}. Hint: {mistake.hint}")
                return Feedback(True, False, lines, mistake=mistake.name, case=case.name)
            return Feedback(True, False, lines, hint=general_hint or "", case=case.name)
        except Exception as error:  # a bug in the checker or its cases: still no traceback
            return Feedback(True, False, [f"{label}: the checker could not judge this answer "
                                          f"({type(error).__name__}: {error}). Please report it."], case=case.name)
    names = ", ".join(case.name for case in cases)
    return Feedback(True, True, [f"All {len(cases)} cases pass ({names}). Well done!"] + notes[:1],
                    problem="changed its input" if notes else "")
