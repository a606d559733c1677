"""Notebook 04's exercise against a corpus of learners' answers: every plausible wrong
answer is rejected (most with the slip named), every correct one accepted.

Each answer is written here independently of the checker, the way a learner would."""
import numpy as np
import pytest

import cnnlib as cl
from cnnlib.exercises.real_layers import check_input_gradient, make_cases


def _loops(filters="all", accumulate=True, kernel=cl.rot180, dilate_by=lambda s: s, crop="right",
           place="top-left", batch=True, scale=1.0):
    """The loop solution with one slip switched on."""
    def input_gradient(dout, w, x_shape, stride, padding):
        N, C, H, W = x_shape
        F, _, kH, kW = w.shape
        p = padding
        dx_padded = np.zeros((N, C, H + 2 * p, W + 2 * p))
        chosen = {"all": range(F), "first": [0]}[filters]
        for n in range(N):
            for f in chosen:
                spread = dout[n if batch else 0, f]
                if dilate_by(stride) > 1:
                    spread = cl.dilate(spread, dilate_by(stride))
                spread = cl.pad2d(spread, (kH - 1, kW - 1))
                for c in range(C):
                    full = cl.correlate2d(spread, kernel(w[f, c])) * scale
                    rows, cols = min(full.shape[0], H + 2 * p), min(full.shape[1], W + 2 * p)
                    if place == "top-left":
                        target = (n, c, slice(0, rows), slice(0, cols))
                    else:   # ignores the floor rule: as if the last window ended at the last row
                        target = (n, c, slice(H + 2 * p - rows, None), slice(W + 2 * p - cols, None))
                    if accumulate:
                        dx_padded[target] += full[:rows, :cols]
                    else:
                        dx_padded[target] = full[:rows, :cols]
        return {"right": dx_padded[:, :, p:p + H, p:p + W], "none": dx_padded,
                "first rows": dx_padded[:, :, :H, :W], "minus": dx_padded[:, :, p:-p, p:-p],
                "top-left only": dx_padded[:, :, p:, p:]}[crop]
    return input_gradient


def _short_full_cropped(dout, w, x_shape, stride, padding):
    """Floor rule ignored another way: the full convolution's own size taken as the padded input's."""
    N, C, H, W = x_shape
    kH, kW = w.shape[2:]
    out = None
    for n in range(N):
        for c in range(C):
            full = sum(cl.correlate2d(cl.pad2d(cl.dilate(dout[n, f], stride), (kH - 1, kW - 1)),
                                      cl.rot180(w[f, c])) for f in range(w.shape[0]))
            if out is None:
                out = np.zeros((N, C) + full.shape)
            out[n, c] = full
    return out[:, :, padding:padding + H, padding:padding + W]


def _sum_of_weights(dout, w, x_shape, stride, padding):
    """Question 3's step 5 carried into the layer: delta times the sum of the weights."""
    return _loops(kernel=lambda k: np.full(k.shape, k.sum()))(dout, w, x_shape, stride, padding)


def _whole_backward(dout, w, x_shape, stride, padding):
    _, cache = cl.conv2d_forward(np.zeros(x_shape), w, np.zeros(w.shape[0]), stride, padding)
    return cl.conv2d_backward(dout, cache)          # (dx, dw, db), not dx


def _library(dout, w, x_shape, stride, padding):
    return _whole_backward(dout, w, x_shape, stride, padding)[0]


def _scatter(dout, w, x_shape, stride, padding):
    """The scatter view: each dout entry hands dout * w back to the window it read."""
    N, C, H, W = x_shape
    F, _, kH, kW = w.shape
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    r, t = i * stride, j * stride
                    dxp[n, :, r:r + kH, t:t + kW] += dout[n, f, i, j] * w[f]
    return dxp[:, :, padding:padding + H, padding:padding + W]


def _einsum(dout, w, x_shape, stride, padding):
    """Vectorised: all windows' gradients at once, then k_H k_W strided additions."""
    N, C, H, W = x_shape
    F, _, kH, kW = w.shape
    Ho, Wo = dout.shape[2:]
    dwin = np.einsum("nfij,fcuv->ncuvij", dout, w)
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for u in range(kH):
        for v in range(kW):
            dxp[:, :, u:u + stride * (Ho - 1) + 1:stride, v:v + stride * (Wo - 1) + 1:stride] += dwin[:, :, u, v]
    return dxp[:, :, padding:padding + H, padding:padding + W]


def _convolve(dout, w, x_shape, stride, padding):
    """With a true convolution in full mode: it flips the kernel itself."""
    N, C, H, W = x_shape
    p = padding
    dxp = np.zeros((N, C, H + 2 * p, W + 2 * p))
    for n in range(N):
        for c in range(C):
            for f in range(w.shape[0]):
                full = cl.convolve2d(cl.dilate(dout[n, f], stride), w[f, c], mode="full")
                dxp[n, c, :full.shape[0], :full.shape[1]] += full
    return dxp[:, :, p:p + H, p:p + W]


WRONG = {  # name: (learner function, the mistake the checker must name, or None for "any rejection")
    "only the first filter": (_loops(filters="first"), "only the first filter (no sum over output channels)"),
    "= instead of +=": (_loops(accumulate=False), "only the last filter (= instead of +=)"),
    "a sum of weights": (_sum_of_weights, "a sum of weights (question 3's step 5)"),
    "no rotation": (_loops(kernel=lambda k: k), "no rotation"),
    "transpose instead of rot180": (_loops(kernel=lambda k: k.T), None),
    "rows flipped only": (_loops(kernel=np.flipud), None),
    "no dilation": (_loops(dilate_by=lambda s: 1), "stride ignored (dout not dilated)"),
    "dilated by s + 1": (_loops(dilate_by=lambda s: s + 1 if s > 1 else 1), None),
    "floor rule ignored (bottom-right)": (_loops(place="bottom-right"),
                                          "floor rule ignored (result aligned to the bottom-right)"),
    "floor rule ignored (short result cropped)": (_short_full_cropped, None),
    "padding not cropped": (_loops(crop="none"), "padding not cropped"),
    "cropped the first rows": (_loops(crop="first rows"), "cropped the wrong rows"),
    "x[p:-p]": (_loops(crop="minus"), "x[p:-p] with p = 0 is empty"),
    "cropped on the top-left only": (_loops(crop="top-left only"), None),
    "first sample for the whole batch": (_loops(batch=False), None),
    "averaged over the filters": (lambda d, w, *a: _loops(scale=1 / w.shape[0])(d, w, *a), None),
    "sign flipped": (lambda *a: -_library(*a), None),
    "whole (dx, dw, db) tuple": (_whole_backward, None),
    "returned None": (lambda *a: None, None),
    "ragged list": (lambda d, w, s, *a: [np.zeros(s[1:]), np.zeros(2)], None),
    "complex (FFT, no .real)": (lambda *a: _library(*a) + 0j, None),
    "object array": (lambda *a: _library(*a).astype(object), None),
}
CORRECT = {"loops": _loops(), "library conv2d_backward": _library, "scatter": _scatter, "einsum": _einsum,
           "true convolution": _convolve}


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_answer_is_rejected(name):
    learner, mistake = WRONG[name]
    feedback = check_input_gradient(learner)
    assert feedback.attempted and not feedback.passed, f"{name} was accepted: {feedback}"
    if mistake is not None:
        assert feedback.mistake == mistake, f"{name}: {feedback}"
    else:
        assert "Hint" in str(feedback) or "returned" in str(feedback), f"{name} got no hint: {feedback}"


@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_answer_is_accepted(name):
    feedback = check_input_gradient(CORRECT[name])
    assert feedback.passed, f"{name}: {feedback}"


def test_plain_messages_for_wrong_return_types():
    assert "conv2d_backward returns (dx, dw, db)" in str(check_input_gradient(_whole_backward))
    assert "returned None" in str(check_input_gradient(lambda *a: None))
    assert "complex" in str(check_input_gradient(lambda *a: _library(*a) + 0j))
    assert "ragged" in str(check_input_gradient(WRONG["ragged list"][0]))
    assert "dtype object" in str(check_input_gradient(lambda *a: _library(*a).astype(object)))


def test_the_floor_rule_is_needed():
    """A case has real input rows no window reads; ignoring the floor rule fails there and only there."""
    floor_cases = [c for c in make_cases() if "no window reads" in c.name or "real input row" in c.name]
    assert floor_cases
    for case in floor_cases:
        dout, w, x_shape, stride, padding = case.args
        unread = (x_shape[2] + 2 * padding - w.shape[2]) % stride - padding
        assert unread >= 1 and np.all(case.expected[:, :, x_shape[2] - unread:] == 0)
        assert not np.allclose(_loops(place="bottom-right")(*case.args), case.expected)


def test_cases_cover_signs_batches_channels_strides_paddings_and_hidden():
    cases = make_cases()
    assert {c.args[3] for c in cases} >= {1, 2, 3} and {c.args[4] for c in cases} >= {0, 1, 2}
    assert any(c.args[2][0] > 1 for c in cases) and any(c.args[1].shape[:2] != (1, 1) for c in cases)
    assert all((c.args[0] < 0).any() and (c.args[1] < 0).any() for c in cases)
    hidden = sum(c.hidden for c in cases)
    assert 0.25 <= hidden / len(cases) <= 0.45
    public, secret = check_input_gradient(_loops(), which="public"), check_input_gradient(_loops(), which="hidden")
    assert public.passed and secret.passed
    assert f"All {len(cases) - hidden} cases" in str(public) and f"All {hidden} cases" in str(secret)


def test_not_attempted_and_crashes():
    def stub(*args):
        raise NotImplementedError
    assert not check_input_gradient(stub).attempted

    def crashes(*args):
        raise IndexError("index 9 is out of bounds")
    feedback = check_input_gradient(crashes)
    assert feedback.attempted and not feedback.passed and "IndexError" in str(feedback)


def test_unfinished_branch_and_mutation_are_named():
    def unfinished(dout, w, x_shape, stride, padding):
        if padding > 0:
            raise NotImplementedError
        return _library(dout, w, x_shape, stride, padding)
    feedback = check_input_gradient(unfinished)
    assert feedback.attempted and not feedback.passed and "still unfinished" in str(feedback)

    def zeroes_its_inputs(dout, w, x_shape, stride, padding):
        dx = _loops()(dout, w, x_shape, stride, padding)
        dout[...] = 0
        w[...] = 0
        return dx
    feedback = check_input_gradient(zeroes_its_inputs)
    assert feedback.passed and "changed dout and w in place" in str(feedback)

    def zeroes_then_computes(dout, w, x_shape, stride, padding):
        w[...] = 0
        return _loops()(dout, w, x_shape, stride, padding)
    feedback = check_input_gradient(zeroes_then_computes)
    assert not feedback.passed and "changed w in place" in str(feedback)
