"""Notebook 02's exercise checker against a corpus of answers a learner might write.

Every plausible wrong answer must be rejected with at least a general hint; every correct
one (loops, library calls, vectorised forms) must be accepted. The wrong answers are written
as a learner would write them, not by calling the checker's own Mistake functions.
"""
import numpy as np
import pytest

from cnnlib.exercises.weight_gradient import check_weight_gradient, weight_gradient_cases
from cnnlib.signal import correlate2d


def _shape(x, delta):
    return x.shape[0] - delta.shape[0] + 1, x.shape[1] - delta.shape[1] + 1


def _loops(x, delta, term, dtype=float, rows=None, cols=None):
    """dW by the learner's loops; term(x, delta, r, c, kH, kW) is what position (r, c) adds."""
    kH, kW = _shape(x, delta)
    dW = np.zeros((kH, kW), dtype=dtype)
    for r in range(delta.shape[0] if rows is None else rows(delta)):
        for c in range(delta.shape[1] if cols is None else cols(delta)):
            dW += term(x, delta, r, c, kH, kW)
    return dW


def _window(x, delta, r, c, kH, kW):
    return x[r:r + kH, c:c + kW] * delta[r, c]


def correct_loops(x, delta):
    return _loops(x, delta, _window)


def correct_four_loops(x, delta):
    kH, kW = _shape(x, delta)
    dW = np.zeros((kH, kW))
    for a in range(kH):
        for b in range(kW):
            for r in range(delta.shape[0]):
                for c in range(delta.shape[1]):
                    dW[a, b] += x[r + a, c + b] * delta[r, c]
    return dW


def correct_sliding_windows(x, delta):
    windows = np.lib.stride_tricks.sliding_window_view(x, _shape(x, delta))   # (Ho, Wo, kH, kW)
    return np.einsum("rcab,rc->ab", windows, delta)


def correct_scipy(x, delta):
    import scipy.signal
    return scipy.signal.correlate2d(x, delta, mode="valid")


def correct_nested_lists(x, delta):
    return correct_loops(x, delta).tolist()


CORRECT = {
    "loops over output positions": correct_loops,
    "four nested loops": correct_four_loops,
    "sliding windows and einsum": correct_sliding_windows,
    "scipy correlate2d valid": correct_scipy,
    "cnnlib correlate2d": lambda x, d: correlate2d(x, d),
    "a list of lists": correct_nested_lists,
}

WRONG = {
    "(sum of inputs) x (sum of deltas)": lambda x, d: np.array(
        [[x[a:a + d.shape[0], b:b + d.shape[1]].sum() * d.sum() for b in range(_shape(x, d)[1])]
         for a in range(_shape(x, d)[0])]),
    "transposed": lambda x, d: correlate2d(x.T, d.T),
    "rotated by 180 degrees": lambda x, d: correct_loops(x, d)[::-1, ::-1],
    "convolution (delta flipped)": lambda x, d: _loops(
        x, d, lambda x, d, r, c, kH, kW: x[r:r + kH, c:c + kW] * d[d.shape[0] - 1 - r, d.shape[1] - 1 - c]),
    "averaged over positions": lambda x, d: correct_loops(x, d) / d.size,
    "sum of deltas everywhere (the bias gradient)": lambda x, d: np.full(_shape(x, d), d.sum()),
    "inputs only, delta forgotten": lambda x, d: _loops(x, d, lambda x, d, r, c, kH, kW: x[r:r + kH, c:c + kW]),
    "only the first output position (the question's o1 alone)": lambda x, d: x[:_shape(x, d)[0], :_shape(x, d)[1]] * d[0, 0],
    "last output row forgotten (range(Ho - 1))": lambda x, d: _loops(x, d, _window, rows=lambda d: d.shape[0] - 1),
    "last output column forgotten": lambda x, d: _loops(x, d, _window, cols=lambda d: d.shape[1] - 1),
    "kernel size off by one (H - Ho)": lambda x, d: correct_loops(x, d)[:-1, :-1],
    "negative deltas clipped, as in a ReLU": lambda x, d: correct_loops(x, np.maximum(d, 0)),
    "absolute values of the inputs": lambda x, d: correct_loops(np.abs(x), d),
    "an integer accumulator (np.zeros(..., dtype=int))": lambda x, d: _loops(
        x, d, lambda *args: np.trunc(_window(*args)).astype(int), dtype=int),
    "delta indexed [c, r]": lambda x, d: _loops(x, d, lambda x, d, r, c, kH, kW: x[r:r + kH, c:c + kW] * d[c, r]),
    "window stepped by the kernel size (a pooling stride)": lambda x, d: _loops(
        x, d, lambda x, d, r, c, kH, kW: np.pad(x, ((0, kH * d.shape[0]), (0, kW * d.shape[1])))[
            r * kH:r * kH + kH, c * kW:c * kW + kW] * d[r, c]),
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_answers_are_accepted(name):
    feedback = check_weight_gradient(CORRECT[name])
    assert feedback.attempted and feedback.passed, f"{name}: {feedback}"


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_answers_are_rejected_with_a_hint(name):
    feedback = check_weight_gradient(WRONG[name])
    assert feedback.attempted and not feedback.passed, f"{name} was accepted"
    assert "Hint" in str(feedback), f"{name}: no hint in\n{feedback}"


def test_corpus_size():
    assert len(WRONG) >= 12 and len(CORRECT) >= 4


def test_about_a_third_of_the_cases_are_hidden_and_which_selects_them():
    cases = weight_gradient_cases()
    hidden = [c for c in cases if c.hidden]
    assert 0.25 <= len(hidden) / len(cases) <= 0.45
    assert any(np.all(c.args[0] < 0) for c in cases)          # an all-negative input
    assert any(np.any(c.args[1] < 0) for c in cases) and any(np.any(c.args[1] % 1) for c in cases)
    public = check_weight_gradient(correct_loops, which="public")
    secret = check_weight_gradient(correct_loops, which="hidden")
    assert public.passed and secret.passed
    assert str(len(cases) - len(hidden)) in str(public).split()[1] and str(len(hidden)) in str(secret).split()[1]
    # A wrong answer that only the hidden cases catch: the integer accumulator (fractions) passes the public ones.
    integer = WRONG["an integer accumulator (np.zeros(..., dtype=int))"]
    assert check_weight_gradient(integer, which="public").passed
    assert not check_weight_gradient(integer, which="hidden").passed
