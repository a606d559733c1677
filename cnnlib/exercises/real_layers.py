"""Notebook 04: the three rules of notebooks 01-03, rebuilt for real layers from 2-D pieces,
and the exercise in which the learner writes the multi-channel input gradient.

Layout NCHW, forward z = conv2d(x, w, b, stride, padding) with x (N, C, H, W),
w (F, C, kH, kW), dout = dL/dz (N, F, Ho, Wo). The two `*_from_2d_helpers` functions
state the backward rules as sums of single-map operations from `cnnlib.signal`:

    dW[f, c] = sum_n  correlate2d(pad(x[n, c]), dilate(dout[n, f]))          (valid)
    dX[n, c] = crop(sum_f  full_correlate(dilate(dout[n, f]), rot180(w[f, c])))

They are deliberately written with explicit loops over n, f, c, so a reader can match
each line with the formula; `conv2d_backward` does the same sums in bulk.

The exercise checker's expected answers come from `conv2d_backward_naive` (the loop
version of the layer, itself checked against finite differences in the tests), never
from the routine the learner is asked to write.
"""
import numpy as np

from ..checks import as_pair, output_size
from ..conv import conv2d_backward_naive, conv2d_forward_naive
from ..figures.full_convolution import full_convolution_layout
from ..signal import correlate2d, dilate, pad2d, rot180
from .checker import Case, Mistake, check_function

EXERCISE = "input_gradient(dout, w, x_shape, stride, padding)"


def _output_hw(x_shape, kernel_hw, stride, padding):
    return tuple(output_size(n, k, s, p) for n, k, s, p in zip(x_shape[2:], kernel_hw, stride, padding))


def weight_gradient_from_2d_helpers(x, dout, kernel_hw, stride=1, padding=0):
    """dW built from single maps: dW[f, c] = sum_n correlate2d(xpad[n, c], dilate(dout[n, f], s)).

    x (N, C, H, W), dout (N, F, Ho, Wo), kernel_hw (kH, kW) -> dw (F, C, kH, kW).
    Rows/columns of the padded input that no window reached (floor rule) are left out
    before correlating, so the valid correlation has exactly kH x kW entries.
    """
    stride, padding = as_pair(stride, "stride", 1), as_pair(padding, "padding", 0)
    (kH, kW), (N, F, Ho, Wo) = kernel_hw, dout.shape
    used_rows, used_cols = (Ho - 1) * stride[0] + kH, (Wo - 1) * stride[1] + kW
    dw = np.zeros((F, x.shape[1], kH, kW))
    for n in range(N):
        for f in range(F):
            spread = dilate(dout[n, f], stride)
            for c in range(x.shape[1]):
                read = pad2d(x[n, c], padding)[:used_rows, :used_cols]
                dw[f, c] += correlate2d(read, spread)
    return dw


def input_gradient_from_2d_helpers(dout, w, x_shape, stride=1, padding=0):
    """dX built from single maps: notebook 03's rule for each (n, c, f), summed over f.

    dout (N, F, Ho, Wo), w (F, C, kH, kW), x_shape (N, C, H, W) -> dx (N, C, H, W).
    For every pair (f, c): dilate dout[n, f] by the stride, pad it by k - 1 (plus zero
    rows for the floor rule), correlate with rot180(w[f, c]), crop the padding — that is
    `full_convolution_layout(...).input_gradient`. An input channel c fed every filter f,
    so its gradient is the sum over f.
    """
    N, C, H, W = x_shape
    dx = np.zeros(x_shape)
    for n in range(N):
        for c in range(C):
            for f in range(w.shape[0]):
                layout = full_convolution_layout(dout[n, f], w[f, c], stride, padding, (H, W))
                dx[n, c] += layout.input_gradient
    return dx


# ----- the exercise -------------------------------------------------------------------

def _reference(dout, w, x_shape, stride, padding):
    """dL/dx from the loop version of the layer (it ignores x's values for dx)."""
    _, cache = conv2d_forward_naive(np.zeros(x_shape), w, np.zeros(w.shape[0]), stride, padding)
    return conv2d_backward_naive(dout, cache)[0]


def make_cases():
    """The cases in the order they are tried: stride 1 / padding 0 first, so a missing
    rotation or channel sum is named before stride and padding mistakes can show."""
    specs = [  # name, seed, x_shape, w_shape, stride, padding
        ("stride 1 & padding 0", 1, (2, 2, 5, 5), (3, 2, 3, 3), 1, 0),
        ("stride 2 & padding 0", 2, (2, 2, 7, 7), (3, 2, 3, 3), 2, 0),
        ("stride 1 & padding 1", 3, (2, 3, 5, 4), (2, 3, 3, 3), 1, 1),
        ("stride 2 & padding 1 (last row and column never read)", 4, (1, 2, 6, 6), (3, 2, 3, 3), 2, 1),
    ]
    cases = []
    for name, seed, x_shape, w_shape, stride, padding in specs:
        rng = np.random.default_rng(seed)
        w = rng.standard_normal(w_shape)
        dout = rng.standard_normal((x_shape[0], w_shape[0]) + _output_hw(
            x_shape, w_shape[2:], (stride, stride), (padding, padding)))
        cases.append(Case(name, (dout, w, x_shape, stride, padding),
                          _reference(dout, w, x_shape, stride, padding)))
    return cases


def _per_channel_sum(single_map, filters="all"):
    """Turn a rule for one (dout map, kernel) pair into an (N, C, ...) answer summed over
    the chosen filters: "all", "first" (f = 0 only) or "last" (= instead of +=)."""
    def compute(dout, w, x_shape, stride, padding):
        F = w.shape[0]
        chosen = {"all": range(F), "first": [0], "last": [F - 1]}[filters]
        maps = [[sum(single_map(dout[n, f], w[f, c], stride, padding, x_shape[2:]) for f in chosen)
                 for c in range(x_shape[1])] for n in range(x_shape[0])]
        return np.array(maps)
    return compute


def _correct(delta, kernel, stride, padding, hw):
    return full_convolution_layout(delta, kernel, stride, padding, hw).input_gradient


def _no_rotation(delta, kernel, stride, padding, hw):
    # rot180 applied to the kernel the correct rule rotates again: w itself slides over delta
    return _correct(delta, rot180(kernel), stride, padding, hw)


def _no_dilation(delta, kernel, stride, padding, hw):
    # full correlation of the undilated delta, placed top-left on the padded input, then cropped
    (kH, kW), (ph, pw) = kernel.shape, as_pair(padding, "padding", 0)
    small = correlate2d(pad2d(delta, (kH - 1, kW - 1)), rot180(kernel))
    canvas = np.zeros((hw[0] + 2 * ph, hw[1] + 2 * pw))
    rows, cols = min(small.shape[0], canvas.shape[0]), min(small.shape[1], canvas.shape[1])
    canvas[:rows, :cols] = small[:rows, :cols]
    return canvas[ph:ph + hw[0], pw:pw + hw[1]]


def _padded(delta, kernel, stride, padding, hw):
    return full_convolution_layout(delta, kernel, stride, padding, hw).padded_input_gradient


def _cropped_wrong_end(delta, kernel, stride, padding, hw):
    return _padded(delta, kernel, stride, padding, hw)[:hw[0], :hw[1]]


def _empty_crop(delta, kernel, stride, padding, hw):
    p = as_pair(padding, "padding", 0)[0]
    return _padded(delta, kernel, stride, padding, hw)[p:-p, p:-p]


_HINTS = {
    "only the first filter (no sum over output channels)": (
        "input channel c fed every filter f = 0..F-1, so dX[n, c] = sum over f of the full convolution "
        "of dout[n, f] with w[f, c]; loop over all filters and add."),
    "only the last filter (= instead of +=)": (
        "the contributions of the F filters must add up: accumulate with +=, do not overwrite."),
    "no rotation": (
        "dX[r] = sum_a dout[r - a] w[a] subtracts the kernel index: slid over the padded dout, the "
        "kernel meets it in reverse order — use rot180(w[f, c])."),
    "stride ignored (dout not dilated)": (
        "with stride s neighbouring outputs read windows s apart: dilate dout[n, f] (s - 1 zeros between "
        "entries) before the full convolution."),
    "padding not cropped": (
        "the forward pass read the padded input, so the full convolution gives the gradient of the padded "
        "input (H + 2p, W + 2p): drop p rows and columns on every side, keeping rows p .. p + H - 1."),
    "cropped the wrong rows": (
        "the padding sits on both sides: keep rows p .. p + H - 1 and columns p .. p + W - 1, not the first H."),
    "x[p:-p] with p = 0 is empty": (
        "a[p:-p] is a[0:0] when p = 0 — an empty array. Write the end index out: a[p:p + H]."),
}

_VARIANTS = [
    ("only the first filter (no sum over output channels)", _per_channel_sum(_correct, "first")),
    ("only the last filter (= instead of +=)", _per_channel_sum(_correct, "last")),
    ("no rotation", _per_channel_sum(_no_rotation)),
    ("stride ignored (dout not dilated)", _per_channel_sum(_no_dilation)),
    ("padding not cropped", _per_channel_sum(_padded)),
    ("cropped the wrong rows", _per_channel_sum(_cropped_wrong_end)),
    ("x[p:-p] with p = 0 is empty", _per_channel_sum(_empty_crop)),
]
MISTAKES = [Mistake(name, compute, _HINTS[name]) for name, compute in _VARIANTS]


def _named_mistake(got, args):
    """The first mistake whose answer equals `got` in shape and values, or None.

    check_function only compares mistakes when the shape is right; this also names the
    ones that change the shape (e.g. the padding left on)."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None
    for mistake in MISTAKES:
        wrong = np.asarray(mistake.compute(*args))
        if wrong.shape == got.shape and np.allclose(got, wrong, atol=1e-8, rtol=1e-6):
            return mistake
    return None


def check_input_gradient(learner_function):
    """Run the learner's input_gradient(dout, w, x_shape, stride, padding) -> dx (N, C, H, W)
    on every case (stride 1 and 2, padding 0 and 1); return checker Feedback naming the
    likely mistake."""
    cases = make_cases()
    feedback = check_function(learner_function, cases, MISTAKES, exercise=EXERCISE)
    if not feedback.attempted or feedback.passed or feedback.mistake:
        return feedback
    for case in cases:  # find the failing case again, to name a shape-changing mistake
        try:
            got = learner_function(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in case.args])
        except Exception:  # already reported by check_function
            break
        if np.shape(got) != case.expected.shape:
            mistake = _named_mistake(got, case.args)
            if mistake is not None:
                feedback.lines.append(f"This looks like: {mistake.name}. Hint: {mistake.hint}")
                feedback.mistake = mistake.name
            break
    return feedback
