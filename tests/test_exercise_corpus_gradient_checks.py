"""Notebook 00's exercise checker (central differences) against a corpus of learner answers.

Every plausible wrong answer must be rejected with at least a general hint; every correct
one must be accepted, and its check must catch the planted wrong gradient.
"""
import numpy as np
import pytest

import cnnlib as cl
from cnnlib.exercises.gradient_checks import (
    central_difference_cases,
    check_central_difference,
    reference_central_difference,
)


def correct_copies(f, x, h):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def correct_in_place_restored(f, x, h):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def correct_flat(f, x, h):
    flat = x.reshape(-1).copy()
    grad = []
    for k in range(flat.size):
        e = np.zeros_like(flat)
        e[k] = h
        grad.append((f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * h))
    return np.array(grad).reshape(x.shape)


def correct_basis_vectors(f, x, h):
    basis = np.eye(x.size).reshape(x.size, *x.shape)
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in basis]).reshape(x.shape)


def correct_average_of_one_sided(f, x, h):
    forward, backward = np.zeros(x.shape), np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        forward[i] = (f(up) - f(x)) / h
        backward[i] = (f(x) - f(down)) / h
    return (forward + backward) / 2


CORRECT = {
    "nudged copies": correct_copies,
    "in place, restored": correct_in_place_restored,
    "flattened": correct_flat,
    "basis vectors": correct_basis_vectors,
    "average of the forward and backward differences": correct_average_of_one_sided,
}


def _each(term):
    """A learner's loop over every entry with a wrong `term(f, x, h, i)`."""
    def learner(f, x, h):
        grad = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            grad[i] = term(f, x, h, i)
        return grad
    return learner


def _nudged(x, i, step):
    y = x.copy()
    y[i] += step
    return y


def aliased_copies(f, x, h):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        up = x                  # not a copy: down is the same array
        up[i] += h
        plus = f(up)
        down = x
        down[i] -= h
        grad[i] = (plus - f(down)) / (2 * h)
    return grad


def never_restored(f, x, h):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        plus = f(x)
        x[i] -= 2 * h
        grad[i] = (plus - f(x)) / (2 * h)
    return grad


def loop_over_len(f, x, h):
    grad = np.zeros(x.shape)
    for i in range(len(x)):     # the first axis only: a whole row is nudged at once
        grad[i] = (f(_nudged(x, i, h)) - f(_nudged(x, i, -h))) / (2 * h)
    return grad


WRONG = {
    "divided by h": _each(lambda f, x, h, i: (f(_nudged(x, i, h)) - f(_nudged(x, i, -h))) / h),
    "one-sided (forward)": _each(lambda f, x, h, i: (f(_nudged(x, i, h)) - f(x)) / h),
    "one-sided (backward)": _each(lambda f, x, h, i: (f(x) - f(_nudged(x, i, -h))) / h),
    "sign flipped": _each(lambda f, x, h, i: (f(_nudged(x, i, -h)) - f(_nudged(x, i, h))) / (2 * h)),
    "steps of 2h each side": _each(lambda f, x, h, i: (f(_nudged(x, i, 2 * h)) - f(_nudged(x, i, -2 * h))) / (2 * h)),
    "h ignored (always 1e-5)": _each(lambda f, x, h, i: (f(_nudged(x, i, 1e-5)) - f(_nudged(x, i, -1e-5))) / 2e-5),
    "relative step x(1 ± h)": _each(lambda f, x, h, i: (f(_nudged(x, i, h * x[i])) - f(_nudged(x, i, -h * x[i]))) / (2 * h)),
    "every entry nudged at once": lambda f, x, h: np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h)),
    "x nudged in place, never restored": never_restored,
    "the up and down arrays alias x": aliased_copies,
    "a loop over len(x) (first axis only)": loop_over_len,
    "a flat vector returned": lambda f, x, h: correct_copies(f, x, h).ravel(),
    "computed in float32": lambda f, x, h: correct_copies(f, x.astype(np.float32), np.float32(h)),
    "calls cl.numerical_gradient": lambda f, x, h: cl.numerical_gradient(f, x.copy(), h),
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_answers_are_accepted_and_catch_the_planted_gradient(name):
    feedback = check_central_difference(CORRECT[name])
    assert feedback.attempted and feedback.passed, f"{name}: {feedback}"
    assert "caught" in str(feedback)


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_answers_are_rejected_with_a_hint(name):
    feedback = check_central_difference(WRONG[name])
    assert feedback.attempted and not feedback.passed, f"{name} was accepted"
    assert "Hint" in str(feedback) or "cl.numerical_gradient" in str(feedback), f"{name}: no hint in\n{feedback}"


def test_corpus_size():
    assert len(WRONG) >= 12 and len(CORRECT) >= 4


def test_cases_cover_negatives_shapes_and_a_batch_with_channels_and_about_a_third_are_hidden():
    cases = central_difference_cases()
    shapes = [case.args[1].shape for case in cases]
    assert any(len(s) == 1 for s in shapes) and any(len(s) == 2 for s in shapes)
    assert any(len(s) == 4 and s[0] > 1 and s[1] > 1 for s in shapes)           # NCHW: a batch with channels
    assert any(np.any(case.args[1] < 0) for case in cases)
    assert 0.25 <= sum(c.hidden for c in cases) / len(cases) <= 0.45
    assert check_central_difference(correct_copies, which="public").passed
    assert check_central_difference(correct_copies, which="hidden").passed


def test_reference_matches_the_analytic_derivatives():
    """Independent oracle: the derivatives written out by hand, at a step small enough for 1e-6."""
    for case in central_difference_cases():
        f, x, _ = case.args
        if case.args[1].ndim == 4:
            continue   # the conv loss is checked against cnnlib's own numerical_gradient below
        fine = reference_central_difference(f, x, 1e-6)
        np.testing.assert_allclose(fine, cl.numerical_gradient(f, x.copy(), 1e-6), rtol=1e-7, atol=1e-9)
    cubic = central_difference_cases()[1]
    f, x, h = cubic.args
    np.testing.assert_allclose(cubic.expected, 3 * x ** 2 - 2 + h ** 2, rtol=1e-9)   # exact for a cubic: f''' h^2 / 6
    conv = central_difference_cases()[3]
    f, x, h = conv.args
    np.testing.assert_allclose(conv.expected, cl.numerical_gradient(f, x.copy(), 1e-6), rtol=1e-5, atol=1e-7)


def test_checker_does_not_change_the_case_inputs():
    cases = central_difference_cases()
    before = [case.args[1].copy() for case in cases]
    check_central_difference(never_restored)
    check_central_difference(correct_in_place_restored)
    for case, original in zip(central_difference_cases(), before):
        np.testing.assert_array_equal(case.args[1], original)


def test_notebook_00_solution_passes_and_stub_is_not_attempted():
    import json
    from pathlib import Path
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "00_notation_and_gradient_checks.ipynb"
    cells = json.loads(notebook.read_text())["cells"]
    tagged = {tag: ["".join(c["source"]) for c in cells if tag in c["metadata"].get("tags", [])]
              for tag in ("exercise-stub", "solution")}
    (stub,), (solution,) = tagged["exercise-stub"], tagged["solution"]
    assert solution.startswith("# Solution (click to expand)")
    for code, attempted in ((stub, False), (solution.split("print(")[0], True)):
        namespace = {"np": np}
        exec(code, namespace)
        feedback = check_central_difference(namespace["central_difference"])
        assert feedback.attempted == attempted and feedback.passed == attempted, str(feedback)
