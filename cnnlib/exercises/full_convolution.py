"""Exercise for notebook 03: the input gradient of a strided, padded, single-channel convolution.

The learner writes `input_gradient(dout, w, input_shape, stride, padding)` (dout first,
w second, as notebook 04's exercise): dout (Ho, Wo) = dJ/dz^{l+1}, w (kH, kW),
input_shape (H, W) of z^l, stride >= 1 and padding >= 0 ints, for the forward
z^{l+1} = correlate(pad(z^l, padding), w) with that stride; it returns dJ/dz^l, (H, W).

Expected answers come from `conv2d_backward` (the layer's own backward pass, tested
against finite differences), never from the recipe the learner is asked to write. The
named mistakes are computed from untouched copies of the case's arguments: the question's
own (the sum of weights), no rotation, no padding by k - 1, no dilation, the floor-rule
rows left out, the forward padding not cropped or cropped with [P:-P], and overwriting
instead of adding where windows overlap. Every other wrong answer gets a general hint.
"""
import numpy as np

from ..checks import output_size
from ..conv import conv2d_backward, conv2d_forward
from ..signal import correlate2d, dilate, pad2d, rot180
from .checker import Case, Mistake, check_function, select_cases

EXERCISE = "input_gradient(dout, w, input_shape, stride, padding)"


def _reference(dout, w, input_shape, stride, padding):
    """dJ/dz^l from the layer's backward pass (1 sample, 1 channel)."""
    x = np.zeros((1, 1) + tuple(input_shape))
    _, cache = conv2d_forward(x, w[None, None], np.zeros(1), stride=stride, padding=padding)
    return conv2d_backward(dout[None, None], cache)[0][0, 0]


def _make_case(name, seed, input_shape, kernel_shape, stride, padding, hidden=False):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(kernel_shape)            # negative and positive entries
    out_shape = tuple(output_size(size, k, stride, padding) for size, k in zip(input_shape, kernel_shape))
    dout = rng.standard_normal(out_shape)
    return Case(name, (dout, w, tuple(input_shape), stride, padding),
                _reference(dout, w, input_shape, stride, padding), hidden=hidden)


def make_cases():
    """The cases in the order they are tried: stride 1 without padding first, so a wrong
    rotation, padding or weight sum is named before the stride, floor-rule and crop
    mistakes can show. About a third are hidden (the autograder's hidden tests)."""
    return [
        _make_case("stride 1; 3x3 kernel; 5x5 input", 1, (5, 5), (3, 3), 1, 0),
        _make_case("stride 2; 3x2 kernel; 7x8 input", 2, (7, 8), (3, 2), 2, 0),
        _make_case("stride 2; 3x3 kernel; 8x6 input (input row 8 and column 6: no window reads them)",
                   3, (8, 6), (3, 3), 2, 0),
        _make_case("stride 1; padding 1; 3x3 kernel; 5x6 input", 4, (5, 6), (3, 3), 1, 1),
        _make_case("stride 2; padding 1; 3x3 kernel; 7x7 input", 5, (7, 7), (3, 3), 2, 1),
        _make_case("stride 3; 2x3 kernel; 9x10 input (floor rule)", 6, (9, 10), (2, 3), 3, 0),
        _make_case("hidden: stride 2; padding 1; 3x3 kernel; 6x6 input (floor rule with padding)",
                   7, (6, 6), (3, 3), 2, 1, hidden=True),
        _make_case("hidden: stride 1; 4x4 kernel as large as the 4x4 input", 8, (4, 4), (4, 4), 1, 0, hidden=True),
        _make_case("hidden: stride 3; padding 2; 2x2 kernel; 7x5 input", 9, (7, 5), (2, 2), 3, 2, hidden=True),
    ]


def _fit(array, shape):
    """`array` cut or zero-filled (at the bottom/right) to `shape`: what a learner who
    forced the right shape would return."""
    out = np.zeros(shape)
    rows, cols = min(shape[0], array.shape[0]), min(shape[1], array.shape[1])
    out[:rows, :cols] = array[:rows, :cols]
    return out


def _padded_gather(dout, kernel, input_shape, stride, padding, grow=True):
    """Slide `kernel` (rotated or not, as the caller chooses) over the dilated dout padded
    by k - 1, before cropping: shape (H + 2P, W + 2P) when grow=True (floor-rule zeros added)."""
    kH, kW = kernel.shape
    spread = dilate(dout, stride)
    if grow:
        spread = np.pad(spread, ((0, input_shape[0] + 2 * padding - spread.shape[0] - kH + 1),
                                 (0, input_shape[1] + 2 * padding - spread.shape[1] - kW + 1)))
    return correlate2d(pad2d(spread, (kH - 1, kW - 1)), kernel)


def _crop(gradient, input_shape, padding):
    return gradient[padding:padding + input_shape[0], padding:padding + input_shape[1]]


def _no_rotation(dout, w, input_shape, stride, padding):
    return _crop(_padded_gather(dout, w, input_shape, stride, padding), input_shape, padding)


def _no_padding(dout, w, input_shape, stride, padding):
    return correlate2d(dilate(dout, stride), rot180(w))


def _no_padding_fitted(dout, w, input_shape, stride, padding):
    return _fit(_no_padding(dout, w, input_shape, stride, padding), input_shape)


def _no_dilation(dout, w, input_shape, stride, padding):
    if stride == 1:   # nothing to dilate: this mistake cannot show (and must not be named)
        raise ValueError("stride 1")
    return correlate2d(pad2d(dout, (w.shape[0] - 1, w.shape[1] - 1)), rot180(w))


def _no_dilation_fitted(dout, w, input_shape, stride, padding):
    full = _no_dilation(dout, w, input_shape, stride, padding)
    return _fit(full[padding:, padding:], input_shape)


def _sum_of_weights(dout, w, input_shape, stride, padding):
    ones = np.ones_like(w)
    return _crop(_padded_gather(dout, ones, input_shape, stride, padding), input_shape, padding) * w.sum()


def _no_floor_rows(dout, w, input_shape, stride, padding):
    gradient = _padded_gather(dout, rot180(w), input_shape, stride, padding, grow=False)
    return gradient[padding:padding + input_shape[0], padding:padding + input_shape[1]]


def _not_cropped(dout, w, input_shape, stride, padding):
    return _padded_gather(dout, rot180(w), input_shape, stride, padding)


def _negative_slice_crop(dout, w, input_shape, stride, padding):
    gradient = _padded_gather(dout, rot180(w), input_shape, stride, padding)
    return gradient[padding:-padding, padding:-padding]       # empty when padding == 0


def _overwritten(dout, w, input_shape, stride, padding):
    """The scatter loop with = instead of += (overlapping windows overwrite each other)."""
    kH, kW = w.shape
    padded = np.zeros((input_shape[0] + 2 * padding, input_shape[1] + 2 * padding))
    for p in range(dout.shape[0]):
        for q in range(dout.shape[1]):
            padded[p * stride:p * stride + kH, q * stride:q * stride + kW] = dout[p, q] * w
    return _crop(padded, input_shape, padding)


_HINTS = {
    "no rotation": (
        "delta^l_{m,n} = sum_i sum_j delta^{l+1}_{m-i+1, n-j+1} w_{i,j} subtracts the kernel index, so as a "
        "window sliding over the padded dout it meets the weights in reverse order: use rot180(w), not w."),
    "no padding": (
        "z^l near the border fed fewer outputs, and the result must have the input's shape: pad the "
        "(dilated) dout with kH-1 rows and kW-1 columns of zeros on every side (out-of-range delta is 0)."),
    "stride ignored (no dilation)": (
        "with stride s neighbouring outputs read windows s apart on the input: dilate dout (s-1 zeros "
        "between entries) before padding it."),
    "sum of weights instead of a single weight": (
        "only one term of z^{l+1}_{p,q} = sum_u sum_v z^l_{...} w_{u,v} contains z^l_{m,n}, so each output "
        "contributes delta * w_{i,j}, one weight, not delta * (sum of w)."),
    "floor rule: rows no window read are missing": (
        "when H + 2P - kH is not a multiple of the stride, the last input rows/columns were never read: "
        "their gradient is 0. Add zero rows/columns at the bottom/right of the dilated dout."),
    "forward padding not cropped": (
        "the full convolution gives the gradient of the padded input, (H+2P, W+2P); the border zeros are "
        "constants, not inputs: crop P rows/columns from each side."),
    "cropped with [P:-P]": (
        "g[P:-P] is empty when P = 0: crop with explicit ends, g[P:P+H, P:P+W]."),
    "overwrote instead of adding (= instead of +=)": (
        "where windows overlap an input gets a share from every output that read it: accumulate with +=."),
}

MISTAKES = [
    Mistake("sum of weights instead of a single weight", _sum_of_weights,
            _HINTS["sum of weights instead of a single weight"]),
    Mistake("no rotation", _no_rotation, _HINTS["no rotation"]),
    Mistake("no padding", _no_padding, _HINTS["no padding"]),
    Mistake("no padding", _no_padding_fitted, _HINTS["no padding"]),
    Mistake("stride ignored (no dilation)", _no_dilation, _HINTS["stride ignored (no dilation)"]),
    Mistake("stride ignored (no dilation)", _no_dilation_fitted, _HINTS["stride ignored (no dilation)"]),
    Mistake("floor rule: rows no window read are missing", _no_floor_rows,
            _HINTS["floor rule: rows no window read are missing"]),
    Mistake("forward padding not cropped", _not_cropped, _HINTS["forward padding not cropped"]),
    Mistake("cropped with [P:-P]", _negative_slice_crop, _HINTS["cropped with [P:-P]"]),
    Mistake("overwrote instead of adding (= instead of +=)", _overwritten,
            _HINTS["overwrote instead of adding (= instead of +=)"]),
]

GENERAL_HINT = (
    "Hint: build it in steps and compare each with a small example by hand: dilate dout by the stride, "
    "add the floor-rule zero rows/columns at the bottom/right, pad by k-1 on every side, correlate with "
    "rot180(w), then crop the forward padding P. The result has shape input_shape.")


class ReturnValueProblem(Exception):
    """The learner's function returned something that is not a real array of numbers."""


def _validated(value):
    """The learner's return value as a float array, or ReturnValueProblem saying what is wrong."""
    if value is None:
        raise ReturnValueProblem("it returned None: did it print the result instead of returning it?")
    if isinstance(value, tuple):
        raise ReturnValueProblem(f"it returned a tuple of {len(value)} items: return only the (H, W) array")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise ReturnValueProblem(f"its result is not a rectangular array ({error})") from None
    if array.dtype == object:
        raise ReturnValueProblem("its result is ragged or an object array, not an array of numbers")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ReturnValueProblem("its result is complex (an FFT without .real?): return a real array")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ReturnValueProblem(f"its result has dtype {array.dtype}, not numbers")
    return array.astype(float)


def _guarded(compute):
    """A mistake that cannot be computed for a case (ValueError) matches nothing."""
    def safe(*args):
        try:
            return compute(*args)
        except ValueError:
            return np.full((1, 1, 1), np.nan)   # NaN never matches (an empty array would)
    return safe


def check_input_gradient(learner_function, which="all"):
    """Run the learner's input_gradient on the cases (`which`: "all", "public" or "hidden");
    return checker Feedback (never raises).

    Wrong values or a wrong shape are compared with the named mistakes, computed from
    untouched copies of the arguments; an answer that matches none gets a general hint.
    A function that modifies its arguments is told so.
    """
    mutated = []
    calls = [0]

    def guarded_learner(dout, w, input_shape, stride, padding):
        calls[0] += 1
        before = (dout.copy(), w.copy())
        try:
            result = learner_function(dout, w, input_shape, stride, padding)
        except NotImplementedError:
            if calls[0] == 1:
                raise
            raise ReturnValueProblem("raised NotImplementedError on this case, after the earlier cases "
                                     "passed: finish the part this case needs") from None
        if not (np.array_equal(dout, before[0]) and np.array_equal(w, before[1])):
            mutated.append(calls[0])
        return _validated(result)

    cases = select_cases(make_cases(), which)
    safe_mistakes = [Mistake(m.name, _guarded(m.compute), m.hint) for m in MISTAKES]
    feedback = check_function(guarded_learner, cases, safe_mistakes, exercise=EXERCISE)
    feedback.lines = [line.replace(f"{EXERCISE} raised ReturnValueProblem: ", f"{EXERCISE}: ")
                      for line in feedback.lines]
    if mutated:
        feedback.lines.append("Your function changed its arguments (dout or w) in place: work on copies "
                              "(e.g. dout = dout.copy()); a backward pass must not modify its inputs.")
        if feedback.passed:
            feedback.passed = False
    if feedback.attempted and not feedback.passed and not feedback.mistake:
        feedback.lines.append(GENERAL_HINT)
    return feedback
