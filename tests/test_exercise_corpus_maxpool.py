"""A corpus of answers to notebook 01's exercise, maxpool_backward(dout, x, size, stride).

Each wrong answer is written the way a learner would write it (not taken from the checker's
own list of mistakes); the checker must reject every one, and name the mistake where the
checker has a name for it. Each correct answer, however it is written, must be accepted.
"""
import numpy as np
import pytest

from cnnlib.exercises.maxpool_routing import MISTAKES, check_maxpool_backward, maxpool_cases


def _windows(dout, x, size, stride):
    """(n, c, i, j, top, left) for every output position."""
    for n, c, i, j in np.ndindex(dout.shape):
        yield n, c, i, j, i * stride, j * stride


# ---------------------------------------------------------------- wrong answers

def running_max_from_zero(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        best, best_u, best_v = 0, 0, 0
        for u in range(size):
            for v in range(size):
                if x[n, c, top + u, left + v] > best:
                    best, best_u, best_v = x[n, c, top + u, left + v], u, v
        dx[n, c, top + best_u, left + best_v] += dout[n, c, i, j]
    return dx


def running_max_from_zero_no_default(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        best, where = 0, None
        for u in range(size):
            for v in range(size):
                if x[n, c, top + u, left + v] > best:
                    best, where = x[n, c, top + u, left + v], (top + u, left + v)
        if where is not None:                       # an all-negative window gets nothing
            dx[n, c, where[0], where[1]] += dout[n, c, i, j]
    return dx


def argmax_of_magnitude(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        window = x[n, c, top:top + size, left:left + size]
        u, v = divmod(int(np.argmax(np.abs(window))), size)
        dx[n, c, top + u, left + v] += dout[n, c, i, j]
    return dx


def all_four(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        dx[n, c, top:top + size, left:left + size] += dout[n, c, i, j]
    return dx


def averaged(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        dx[n, c, top:top + size, left:left + size] += dout[n, c, i, j] / size ** 2
    return dx


def every_tie(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        window = x[n, c, top:top + size, left:left + size]
        dx[n, c, top:top + size, left:left + size] += (window == window.max()) * dout[n, c, i, j]
    return dx


def last_tie(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        best, where = -np.inf, None
        for u in range(size):
            for v in range(size):
                if x[n, c, top + u, left + v] >= best:           # >= : a later tie takes over
                    best, where = x[n, c, top + u, left + v], (top + u, left + v)
        dx[n, c, where[0], where[1]] += dout[n, c, i, j]
    return dx


def no_stride(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j in np.ndindex(dout.shape):
        window = x[n, c, i:i + size, j:j + size]
        u, v = divmod(int(np.argmax(window)), size)
        dx[n, c, i + u, j + v] += dout[n, c, i, j]
    return dx


def stepped_by_size(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j in np.ndindex(dout.shape):
        top, left = i * size, j * size
        window = x[n, c, top:top + size, left:left + size]
        if window.size == 0:
            continue
        u, v = divmod(int(np.argmax(window)), window.shape[1])
        dx[n, c, top + u, left + v] += dout[n, c, i, j]
    return dx


def overwrites(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        window = x[n, c, top:top + size, left:left + size]
        u, v = divmod(int(np.argmax(window)), size)
        dx[n, c, top + u, left + v] = dout[n, c, i, j]          # = instead of +=
    return dx


def forgot_dout(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        window = x[n, c, top:top + size, left:left + size]
        u, v = divmod(int(np.argmax(window)), size)
        dx[n, c, top + u, left + v] += 1.0                       # the local derivative only
    return dx


def one_based_window(dout, x, size, stride):
    dx = np.zeros(x.shape)
    H, W = x.shape[2:]
    for n, c, i, j in np.ndindex(dout.shape):
        rows = [(i * stride - 1 + u) % H for u in range(size)]    # eq. (11)'s 2p-1 with 0-based p
        cols = [(j * stride - 1 + v) % W for v in range(size)]
        window = x[n, c][np.ix_(rows, cols)]
        u, v = divmod(int(np.argmax(window)), size)
        dx[n, c, rows[u], cols[v]] += dout[n, c, i, j]
    return dx


def swapped_divmod(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        window = x[n, c, top:top + size, left:left + size]
        v, u = divmod(int(np.argmax(window)), size)              # row and column swapped
        dx[n, c, top + u, left + v] += dout[n, c, i, j]
    return dx


def first_image_and_channel_only(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for i, j in np.ndindex(dout.shape[2:]):
        top, left = i * stride, j * stride
        window = x[0, 0, top:top + size, left:left + size]
        u, v = divmod(int(np.argmax(window)), size)
        dx[0, 0, top + u, left + v] += dout[0, 0, i, j]
    return dx


def argmax_of_whole_map(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j in np.ndindex(dout.shape):
        row, col = np.unravel_index(np.argmax(x[n, c]), x.shape[2:])   # forgot to cut the window
        dx[n, c, row, col] += dout[n, c, i, j]
    return dx


def returns_dout_shape(dout, x, size, stride):
    return np.zeros_like(dout)


WRONG = [
    (running_max_from_zero, "a running max started at 0"),
    (running_max_from_zero_no_default, None),
    (argmax_of_magnitude, "the largest magnitude |x| instead of the largest value"),
    (all_four, "routing the gradient to all four inputs"),
    (averaged, "averaging the gradient over the window"),
    (every_tie, "routing to every tied maximum"),
    (last_tie, "picking the last of tied maxima"),
    (no_stride, "wrong window position: the stride offset is missing"),
    (stepped_by_size, None),
    (overwrites, "overwriting instead of adding where windows overlap"),
    (forgot_dout, "forgetting the upstream gradient"),
    (one_based_window, "wrong window position: off by one (1-based indices in 0-based code)"),
    (swapped_divmod, None),
    (first_image_and_channel_only, None),
    (argmax_of_whole_map, None),
    (returns_dout_shape, None),
]


# ---------------------------------------------------------------- correct answers

def loops_with_argmax(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        window = x[n, c, top:top + size, left:left + size]
        u, v = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, top + u, left + v] += dout[n, c, i, j]
    return dx


def running_max_from_minus_infinity(dout, x, size, stride):
    dx = np.zeros(x.shape)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        best, where = -np.inf, None
        for u in range(size):
            for v in range(size):
                if x[n, c, top + u, left + v] > best:
                    best, where = x[n, c, top + u, left + v], (top + u, left + v)
        dx[n, c, where[0], where[1]] += dout[n, c, i, j]
    return dx


def running_max_from_first_entry(dout, x, size, stride):
    dx = np.zeros_like(x, dtype=float)
    for n, c, i, j, top, left in _windows(dout, x, size, stride):
        best, where = x[n, c, top, left], (top, left)
        for u in range(size):
            for v in range(size):
                if x[n, c, top + u, left + v] > best:
                    best, where = x[n, c, top + u, left + v], (top + u, left + v)
        dx[(n, c) + where] = dx[(n, c) + where] + dout[n, c, i, j]
    return dx


def vectorised_sliding_windows(dout, x, size, stride):
    N, C, Ho, Wo = dout.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :Ho, :Wo]          # (N, C, Ho, Wo, size, size)
    k = windows.reshape(N, C, Ho, Wo, size * size).argmax(axis=-1)
    u, v = np.divmod(k, size)
    n, c, i, j = np.indices((N, C, Ho, Wo))
    dx = np.zeros(x.shape)
    np.add.at(dx, (n, c, i * stride + u, j * stride + v), dout)        # add.at: overlaps accumulate
    return dx


CORRECT = [loops_with_argmax, running_max_from_minus_infinity, running_max_from_first_entry,
           vectorised_sliding_windows]


@pytest.mark.parametrize("function, mistake", WRONG, ids=[f.__name__ for f, _ in WRONG])
def test_each_wrong_answer_is_rejected_and_named(function, mistake):
    feedback = check_maxpool_backward(function)
    assert feedback.attempted and not feedback.passed, str(feedback)
    if mistake is not None:
        assert feedback.mistake == mistake, str(feedback)
    else:
        assert "Hint:" in str(feedback) or "wrong shape" in str(feedback) or "raised" in str(feedback)


@pytest.mark.parametrize("function", CORRECT, ids=[f.__name__ for f in CORRECT])
def test_each_correct_answer_is_accepted(function):
    for which in ("all", "public", "hidden"):
        feedback = check_maxpool_backward(function, which=which)
        assert feedback.passed, (which, str(feedback))


def test_the_two_accepted_wrong_answers_of_issue_15_fail_on_public_and_on_hidden_cases():
    for function in (running_max_from_zero, argmax_of_magnitude):
        for which in ("public", "hidden"):
            assert not check_maxpool_backward(function, which=which).passed, (function.__name__, which)


def test_about_a_third_of_the_cases_are_hidden_and_the_split_covers_every_case():
    cases = maxpool_cases()
    hidden = [case for case in cases if case.hidden]
    assert 0.25 <= len(hidden) / len(cases) <= 0.4
    names = " | ".join(case.name for case in cases)
    for needed in ("negative", "ties", "overlapping", "gaps", "batch", "channels"):
        assert needed in names
    # the batch case has N > 1 and C > 1; some case is all below zero
    assert any(case.args[1].shape[0] > 1 and case.args[1].shape[1] > 1 for case in cases)
    assert any(np.all(case.args[1] < 0) for case in cases)
    with pytest.raises(ValueError, match="which"):
        check_maxpool_backward(loops_with_argmax, which="secret")


def test_every_named_mistake_is_rejected_by_the_public_cases_alone():
    for mistake in MISTAKES:
        assert not check_maxpool_backward(mistake.compute, which="public").passed, mistake.name
