"""Notebook 03's exercise checker against a corpus of answers learners write.

Each wrong answer is written here independently (scipy, plain loops), not with the
checker's own mistake functions; each must be rejected, and where it is a named mistake,
named. Each correct answer must be accepted.
"""
import numpy as np
import pytest
import scipy.signal

import cnnlib as cl
from cnnlib.exercises.full_convolution import check_input_gradient, make_cases


def _scatter(dout, w, input_shape, stride, padding, accumulate=True, rotate_nothing=True, step=None):
    """The scatter loop: each output's error times the weights goes back to its window."""
    kH, kW = w.shape
    step = stride if step is None else step
    padded = np.zeros((input_shape[0] + 2 * padding, input_shape[1] + 2 * padding))
    for p in range(dout.shape[0]):
        for q in range(dout.shape[1]):
            rows = slice(p * step, p * step + kH)
            cols = slice(q * step, q * step + kW)
            if padded[rows, cols].shape != w.shape:
                continue
            if accumulate:
                padded[rows, cols] += dout[p, q] * w
            else:
                padded[rows, cols] = dout[p, q] * w
    return padded[padding:padding + input_shape[0], padding:padding + input_shape[1]]


def _dilated(dout, stride):
    out = np.zeros(((dout.shape[0] - 1) * stride + 1, (dout.shape[1] - 1) * stride + 1))
    out[::stride, ::stride] = dout
    return out


def _scipy_full(dout, w, input_shape, stride, padding, kernel=None, grow=True, crop=True):
    kernel = w if kernel is None else kernel
    spread = _dilated(dout, stride)
    if grow:
        grown = np.zeros((input_shape[0] + 2 * padding - w.shape[0] + 1,
                          input_shape[1] + 2 * padding - w.shape[1] + 1))
        grown[:spread.shape[0], :spread.shape[1]] = spread
        spread = grown
    full = scipy.signal.convolve2d(spread, kernel, mode="full")
    return full[padding:padding + input_shape[0], padding:padding + input_shape[1]] if crop else full


def _via_layer(dout, w, input_shape, stride, padding):
    _, cache = cl.conv2d_forward(np.zeros((1, 1) + tuple(input_shape)), w[None, None], np.zeros(1),
                                 stride=stride, padding=padding)
    return cl.conv2d_backward(dout[None, None], cache)[0][0, 0]


def _pipeline(dout, w, input_shape, stride, padding):
    kH, kW = w.shape
    H, W = input_shape
    spread = cl.dilate(dout, stride)
    spread = np.pad(spread, ((0, H + 2 * padding - spread.shape[0] - kH + 1),
                             (0, W + 2 * padding - spread.shape[1] - kW + 1)))
    gradient = cl.correlate2d(cl.pad2d(spread, (kH - 1, kW - 1)), cl.rot180(w))
    return gradient[padding:padding + H, padding:padding + W]


def _zeroes_inputs(dout, w, input_shape, stride, padding):
    dout[...] = 0
    w[...] = 0
    return _pipeline(dout, w, input_shape, stride, padding)


def _mutates_but_right(dout, w, input_shape, stride, padding):
    result = _pipeline(dout, w, input_shape, stride, padding)
    dout *= 2
    return result


def _later_not_implemented(dout, w, input_shape, stride, padding):
    if padding:
        raise NotImplementedError("padding later")
    return _pipeline(dout, w, input_shape, stride, padding)


def _prints(dout, w, input_shape, stride, padding):
    print(end="")          # the learner printed the array and returned nothing
    _pipeline(dout, w, input_shape, stride, padding)


CORRECT = {
    "dilate, grow, pad, correlate with rot180, crop": _pipeline,
    "scatter loop with +=": _scatter,
    "scipy full convolution, then crop": _scipy_full,
    "the layer's own backward pass": _via_layer,
}

# answer -> (mistake name the checker must give, or "" for "rejected with a general hint")
WRONG = {
    "no rotation": (lambda d, w, s_, st, p: _scipy_full(d, w, s_, st, p, kernel=w[::-1, ::-1]), "no rotation"),
    "sum of weights (the question's step 5)": (
        lambda d, w, s_, st, p: _scipy_full(d, w, s_, st, p, kernel=np.ones_like(w)) * w.sum(),
        "sum of weights instead of a single weight"),
    "no padding by k-1": (lambda d, w, s_, st, p: scipy.signal.convolve2d(_dilated(d, st), w, mode="valid"),
                          "no padding"),
    "no dilation": (lambda d, w, s_, st, p: scipy.signal.convolve2d(d, w, mode="full"),
                    "stride ignored (no dilation)"),
    "floor-rule rows left out": (lambda d, w, s_, st, p: _scipy_full(d, w, s_, st, p, grow=False),
                                 "floor rule: rows no window read are missing"),
    "forward padding not cropped": (lambda d, w, s_, st, p: _scipy_full(d, w, s_, st, p, crop=False),
                                    "forward padding not cropped"),
    "cropped with [P:-P]": (
        lambda d, w, s_, st, p: _scipy_full(d, w, s_, st, p, crop=False)[p:-p, p:-p], "cropped with [P:-P]"),
    "= instead of += in the scatter loop": (lambda d, w, s_, st, p: _scatter(d, w, s_, st, p, accumulate=False),
                                            "overwrote instead of adding (= instead of +=)"),
    "scatter loop ignoring the stride": (lambda d, w, s_, st, p: _scatter(d, w, s_, st, p, step=1),
                                         "stride ignored (no dilation)"),
    "rows and columns swapped": (lambda d, w, s_, st, p: _pipeline(d, w, s_, st, p).T.copy(), ""),
    "zeroes its inputs": (_zeroes_inputs, ""),
    "right values, but modifies dout": (_mutates_but_right, ""),
    "prints instead of returning": (_prints, ""),
    "complex result (FFT correlation without .real)": (
        lambda d, w, s_, st, p: _pipeline(d, w, s_, st, p).astype(complex), ""),
    "returns a tuple (dx, dw)": (lambda d, w, s_, st, p: (_pipeline(d, w, s_, st, p), np.zeros_like(w)), ""),
    "ragged list": (lambda d, w, s_, st, p: [list(row) for row in _pipeline(d, w, s_, st, p)][:-1] + [[0.0]], ""),
    "object array": (lambda d, w, s_, st, p: _pipeline(d, w, s_, st, p).astype(object), ""),
    "NotImplementedError on a later case": (_later_not_implemented, ""),
    "dout and w swapped": (lambda d, w, s_, st, p: _pipeline(w, d, s_, st, p), ""),
    "f'(z) multiplied in by mistake (ReLU of the result)": (
        lambda d, w, s_, st, p: np.maximum(_pipeline(d, w, s_, st, p), 0), ""),
}


def test_cases_cover_what_the_issue_asks_for():
    cases = make_cases()
    assert len(cases) >= 9
    hidden = sum(case.hidden for case in cases)
    assert 0.25 <= hidden / len(cases) <= 0.4
    assert all(np.any(case.args[0] < 0) and np.any(case.args[1] < 0) for case in cases)   # negative inputs
    assert any(case.args[3] > 1 for case in cases) and any(case.args[4] > 0 for case in cases)
    # a real input row (not padding) that no window reads: padding 0, H - kH not a multiple of s
    assert any(case.args[4] == 0 and (case.args[2][0] - case.args[1].shape[0]) % case.args[3] for case in cases)
    # overlapping windows (stride < kernel) so = instead of += shows
    assert any(case.args[3] < case.args[1].shape[0] for case in cases)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_answers_are_accepted(name):
    feedback = check_input_gradient(CORRECT[name])
    assert feedback.attempted and feedback.passed, str(feedback)


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_answers_are_rejected_with_a_hint(name):
    answer, mistake = WRONG[name]
    feedback = check_input_gradient(answer)
    text = str(feedback)
    assert feedback.attempted and not feedback.passed, text
    assert feedback.mistake == mistake, text
    assert "Hint:" in text or "returned" in text or "NotImplementedError" in text or "changed its arguments" in text


def test_corpus_size():
    assert len(WRONG) >= 12 and len(CORRECT) >= 4


def test_zeroing_inputs_is_not_named_a_rotation_and_mutation_is_reported():
    feedback = check_input_gradient(_zeroes_inputs)
    assert "no rotation" not in str(feedback) and "changed its arguments" in str(feedback)
    assert "changed its arguments" in str(check_input_gradient(_mutates_but_right))


@pytest.mark.parametrize("name, words", [
    ("prints instead of returning", "returned None"), ("returns a tuple (dx, dw)", "tuple"),
    ("complex result (FFT correlation without .real)", "complex"), ("ragged list", "rectangular"),
    ("object array", "object"), ("NotImplementedError on a later case", "after the earlier cases")])
def test_bad_return_values_are_named(name, words):
    assert words in str(check_input_gradient(WRONG[name][0]))


def test_which_selects_public_or_hidden_cases():
    assert check_input_gradient(_pipeline, which="public").passed
    hidden = check_input_gradient(_pipeline, which="hidden")
    assert hidden.passed and "3 cases" in str(hidden)
    with pytest.raises(ValueError):
        check_input_gradient(_pipeline, which="some")
