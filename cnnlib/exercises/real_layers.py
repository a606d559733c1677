"""Notebook 04's exercise: the learner writes the multi-channel input gradient
`input_gradient(dout, w, x_shape, stride, padding)` (dout first, w second, as in 03).

This module only checks. The expected answers come from the library's own
`cnnlib.conv2d_backward` (itself tested against the loop layer and finite differences);
the known wrong answers are built from notebook 03's single-map rule,
`cnnlib.single_map.full_convolution_layout`, with one slip each.
"""
import numpy as np

from ..conv import conv2d_backward, conv2d_forward
from ..signal import correlate2d, pad2d, rot180
from ..single_map import full_convolution_layout
from .checker import Case, Feedback, Mistake, check_function, select_cases

EXERCISE = "input_gradient(dout, w, x_shape, stride, padding)"


def _reference(dout, w, x_shape, stride, padding):
    """dL/dx from the library's conv2d_backward (dx does not depend on x's values)."""
    _, cache = conv2d_forward(np.zeros(x_shape), w, np.zeros(w.shape[0]), stride, padding)
    return conv2d_backward(dout, cache)[0]


# name, seed, x_shape, w_shape, stride, padding, hidden. Stride 1 / padding 0 first, so a
# missing rotation or channel sum is named before stride and padding mistakes can show.
CASE_SPECS = [
    ("stride 1 & padding 0", 1, (2, 2, 5, 5), (3, 2, 3, 3), 1, 0, False),
    ("stride 2 & padding 0", 2, (2, 2, 7, 7), (3, 2, 3, 3), 2, 0, False),
    ("stride 1 & padding 1", 3, (2, 3, 5, 4), (2, 3, 3, 3), 1, 1, False),
    ("stride 3 & padding 0 (input rows 6-7 and columns 6-7: no window reads them)", 4, (1, 2, 8, 8), (2, 2, 3, 3), 3, 0,
     False),
    ("stride 2 & padding 1 (the padded last row and column are never read)", 5, (1, 2, 6, 6), (3, 2, 3, 3), 2, 1,
     True),
    ("stride 3 & padding 1 & 2x2 kernel (a padding row and a real input row never read)", 6, (2, 3, 8, 7),
     (2, 3, 2, 2), 3, 1, True),
    ("stride 2 & padding 2 & batch 3 & 1 input channel & 4 filters", 7, (3, 1, 6, 5), (4, 1, 3, 3), 2, 2, True),
]


def make_cases():
    """The exercise's cases, in the order they are tried (inputs of both signs, batches,
    channels, strides 1-3, paddings 0-2, unread input rows); about a third hidden."""
    cases = []
    for name, seed, x_shape, w_shape, stride, padding, hidden in CASE_SPECS:
        rng = np.random.default_rng(seed)
        w = rng.standard_normal(w_shape)
        out_shape = conv2d_forward(np.zeros(x_shape), w, np.zeros(w_shape[0]), stride, padding)[0].shape
        dout = rng.standard_normal(out_shape)
        cases.append(Case(name, (dout, w, x_shape, stride, padding),
                          _reference(dout, w, x_shape, stride, padding), hidden=hidden))
    return cases


# ----- the known mistakes: one slip each in the per-(n, c) sum over f ------------------

def _layer_from(map_rule, filters="all", crop="right"):
    """A whole-layer answer from a single-map rule (delta, kernel, stride, padded_hw) ->
    gradient of the padded input, summed over the chosen filters, then cropped."""
    def compute(dout, w, x_shape, stride, padding):
        N, C, H, W = x_shape
        F, p = w.shape[0], padding
        chosen = {"all": range(F), "first": [0], "last": [F - 1]}[filters]
        padded_hw = (H + 2 * p, W + 2 * p)
        out = []
        for n in range(N):
            row = []
            for c in range(C):
                grad = sum(map_rule(dout[n, f], w[f, c], stride, padded_hw) for f in chosen)
                row.append({"right": grad[p:p + H, p:p + W], "none": grad, "first rows": grad[:H, :W],
                            "minus": grad[p:-p, p:-p]}[crop])
            out.append(row)
        return np.array(out)
    return compute


def _correct(delta, kernel, stride, padded_hw):
    """Notebook 03's rule for one map, on the padded input (padding 0 there, so nothing is cropped)."""
    return full_convolution_layout(delta, kernel, stride, 0, padded_hw).padded_input_gradient


def _no_rotation(delta, kernel, stride, padded_hw):
    return _correct(delta, rot180(kernel), stride, padded_hw)   # w itself slides over delta


def _sum_of_weights(delta, kernel, stride, padded_hw):
    # Question 3's own step 4-5: every window position gets delta times the SUM of the weights.
    return _correct(delta, np.full(kernel.shape, kernel.sum()), stride, padded_hw)


def _full_at(delta, kernel, corner, padded_hw):
    """Full correlation of the undilated-or-dilated `delta` with rot180(kernel), placed
    at the top-left or bottom-right corner of the padded input (clipped to fit)."""
    (kH, kW), canvas = kernel.shape, np.zeros(padded_hw)
    full = correlate2d(pad2d(delta, (kH - 1, kW - 1)), rot180(kernel))
    rows, cols = min(full.shape[0], padded_hw[0]), min(full.shape[1], padded_hw[1])
    if corner == "top-left":
        canvas[:rows, :cols] = full[:rows, :cols]
    else:
        canvas[padded_hw[0] - rows:, padded_hw[1] - cols:] = full[full.shape[0] - rows:, full.shape[1] - cols:]
    return canvas


def _no_dilation(delta, kernel, stride, padded_hw):
    return _full_at(delta, kernel, "top-left", padded_hw)


def _floor_rule_ignored(delta, kernel, stride, padded_hw):
    # The full convolution pushed to the bottom-right, as if the windows ended at the last row.
    from ..signal import dilate
    return _full_at(dilate(delta, stride), kernel, "bottom-right", padded_hw)


_MISTAKES = [  # name, compute, hint (tried in this order)
    ("only the first filter (no sum over output channels)", _layer_from(_correct, "first"),
     "input channel c fed every filter f = 0..F-1, so dX[n, c] = sum over f of the full convolution "
     "of dout[n, f] with w[f, c]; loop over all filters and add."),
    ("only the last filter (= instead of +=)", _layer_from(_correct, "last"),
     "the contributions of the F filters must add up: accumulate with +=, do not overwrite."),
    ("a sum of weights (question 3's step 5)", _layer_from(_sum_of_weights),
     "each input cell meets each delta through ONE weight, w[f, c, r - s*i, t - s*j], not through the sum "
     "of all the weights: correlate the padded delta with rot180(w[f, c]) itself."),
    ("no rotation", _layer_from(_no_rotation),
     "dX[r] = sum_u dout[r - u] w[u] subtracts the kernel index: slid over the padded dout, the "
     "kernel meets it in reverse order, so use rot180(w[f, c])."),
    ("stride ignored (dout not dilated)", _layer_from(_no_dilation),
     "with stride s neighbouring outputs read windows s apart: dilate dout[n, f] (s - 1 zeros between "
     "entries) before the full convolution."),
    ("floor rule ignored (result aligned to the bottom-right)", _layer_from(_floor_rule_ignored),
     "the full convolution covers only the rows and columns some window read, starting at the top-left; "
     "rows after the last window (the floor rule) get gradient 0: place it at [:rows, :cols]."),
    ("padding not cropped", _layer_from(_correct, crop="none"),
     "the forward pass read the padded input, so the full convolution gives the gradient of the padded "
     "input (H + 2p, W + 2p): drop p rows and columns on every side, keeping rows p .. p + H - 1."),
    ("cropped the wrong rows", _layer_from(_correct, crop="first rows"),
     "the padding sits on both sides: keep rows p .. p + H - 1 and columns p .. p + W - 1, not the first H."),
    ("x[p:-p] with p = 0 is empty", _layer_from(_correct, crop="minus"),
     "a[p:-p] is a[0:0] when p = 0, an empty array. Write the end index out: a[p:p + H]."),
]
MISTAKES = [Mistake(name, compute, hint) for name, compute, hint in _MISTAKES]

GENERAL_HINT = ("No slip we know matches. Take the first failing case, one sample n and one input channel c: "
                "dX[n, c] = crop_p( sum over f of correlate2d(pad(dilate(dout[n, f], s), k - 1), rot180(w[f, c])) ), "
                "placed at the top-left of the padded input's gradient (unread rows stay 0).")


def _return_problem(got, expected_shape):
    """A plain message when the return value is not one real (N, C, H, W) array, else ''."""
    shape = f"one array of shape (N, C, H, W) = {expected_shape}"
    if got is None:
        return f"{EXERCISE} returned None: end it with `return dx`, {shape} (printing it is not returning it)."
    if isinstance(got, tuple) and len(got) == 3:
        return (f"{EXERCISE} returned a tuple of 3 values. conv2d_backward returns (dx, dw, db); "
                f"the exercise asks for dx alone, {shape}.")
    if isinstance(got, (tuple, list)):
        try:
            np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return f"{EXERCISE} returned a ragged {type(got).__name__} of {len(got)} items; return {shape}."
    try:
        array = np.asarray(got)
    except Exception:  # noqa: BLE001 - anything a learner can return
        return f"{EXERCISE} returned a {type(got).__name__}; return {shape}."
    if array.dtype == object or not np.issubdtype(array.dtype, np.number) or array.dtype == bool:
        return f"{EXERCISE} returned an array of dtype {array.dtype}; return {shape} of real numbers."
    if np.issubdtype(array.dtype, np.complexfloating):
        return (f"{EXERCISE} returned a complex array (dtype {array.dtype}): a gradient is real. "
                "If you used an FFT, take .real, or correlate directly.")
    return ""


def _named_mistake(got, args):
    """The first mistake whose answer equals `got` in shape and values, or None."""
    got = np.asarray(got, dtype=float)
    for mistake in MISTAKES:
        try:
            wrong = np.asarray(mistake.compute(*args))
        except ValueError:
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong, atol=1e-8, rtol=1e-6):
            return mistake
    return None


def _copies(args):
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def check_input_gradient(learner_function, which="all"):
    """Run the learner's input_gradient(dout, w, x_shape, stride, padding) -> dx (N, C, H, W)
    on the cases (which = "all", "public" or "hidden"); return checker Feedback naming the
    likely mistake, or a general hint."""
    cases = select_cases(make_cases(), which)
    mutated = ""
    for number, case in enumerate(cases):   # first: one real array back, inputs left alone?
        args = _copies(case.args)
        try:
            got = learner_function(*args)
        except NotImplementedError:
            if number == 0:
                break   # not attempted yet: check_function says so
            return Feedback(True, False, [f"Case '{case.name}': {EXERCISE} raised NotImplementedError after "
                                          f"{number} case(s) ran: some branch of it is still unfinished."])
        except Exception:  # noqa: BLE001 - check_function reports it with the case
            break
        changed = [name for name, before, after in zip(("dout", "w"), case.args, args)
                   if not np.array_equal(before, after)]
        if changed and not mutated:
            mutated = (f"Note: {EXERCISE} changed {' and '.join(changed)} in place (case '{case.name}'). "
                       "A backward pass must leave its inputs alone; the checker judged your answer on fresh copies.")
        problem = _return_problem(got, case.expected.shape)
        if problem:
            return Feedback(True, False, [f"Case '{case.name}': {problem}"] + ([mutated] if mutated else []))
    feedback = _judge(learner_function, cases)
    if mutated:
        feedback.lines.append(mutated)
    return feedback


def _judge(learner_function, cases):
    """check_function's verdict, with a named mistake or a general hint for any wrong answer."""
    feedback = check_function(learner_function, cases, MISTAKES, exercise=EXERCISE)
    if not feedback.attempted or feedback.passed or feedback.mistake:
        return feedback
    for case in cases:  # find the failing case again, to name a mistake _named_mistake can see
        try:
            got = learner_function(*_copies(case.args))
        except Exception:  # noqa: BLE001 - already reported by check_function
            break
        if np.shape(got) != case.expected.shape or not np.allclose(got, case.expected, atol=1e-8, rtol=1e-6):
            mistake = _named_mistake(got, case.args)
            if mistake is not None:
                feedback.lines.append(f"This looks like: {mistake.name}. Hint: {mistake.hint}")
                feedback.mistake = mistake.name
                return feedback
            break
    if not any(line.startswith("Case") and "raised" in line for line in feedback.lines):
        feedback.lines.append("Hint: " + GENERAL_HINT)
    return feedback
