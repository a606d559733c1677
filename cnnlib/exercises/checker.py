"""Shared machinery for exercise checkers.

A checker runs the learner's function on a list of `Case`s. For a wrong answer it
compares the learner's output with known wrong answers (`Mistake`s: e.g. "routed
to all four inputs") and names the one that matches, so the feedback says what the
learner probably did, not only that it is wrong.
"""
from dataclasses import dataclass, field

import numpy as np

from ..plot import rounded


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
    """What a checker found. `passed` is True only when every case matched."""
    attempted: bool
    passed: bool
    lines: list = field(default_factory=list)
    mistake: str = ""

    def __str__(self):
        return "\n".join(self.lines)

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


def check_function(learner_function, cases, mistakes=(), exercise="your function", atol=1e-8):
    """Run `learner_function` on every case; return Feedback.

    A function that raises NotImplementedError counts as not attempted yet (the
    notebook still runs cleanly). Any other exception is reported with the case.
    """
    for case in cases:
        try:
            got = learner_function(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in case.args])
        except NotImplementedError:
            return Feedback(False, False, [f"Not attempted yet: fill in {exercise}, then run this cell again."])
        except Exception as error:  # the learner's bug, reported not raised
            return Feedback(True, False, [f"Case '{case.name}': {exercise} raised {type(error).__name__}: {error}"])
        got = np.asarray(got)
        expected = np.asarray(case.expected)
        if got.shape != expected.shape:
            lines = [f"Case '{case.name}': wrong shape, expected {expected.shape}, got {got.shape}."]
        elif np.allclose(got, expected, atol=atol, rtol=1e-6):
            continue
        else:
            lines = [f"Case '{case.name}': wrong values.", f"expected:\n{_fmt(expected)}", f"got:\n{_fmt(got)}"]
        # Wrong shapes can be a named mistake too (e.g. forgetting the padding).
        for mistake in mistakes:
            wrong = np.asarray(mistake.compute(*case.args))
            if wrong.shape == got.shape and np.allclose(got, wrong, atol=atol, rtol=1e-6):
                lines.append(f"This looks like: {mistake.name}. Hint: {mistake.hint}")
                return Feedback(True, False, lines, mistake=mistake.name)
        return Feedback(True, False, lines)
    names = ", ".join(case.name for case in cases)
    return Feedback(True, True, [f"All {len(cases)} cases pass ({names}). Well done!"])
