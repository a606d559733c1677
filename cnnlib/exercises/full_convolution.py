"""Exercise for notebook 03: the input gradient of a strided, single-channel convolution.

The learner writes `input_gradient(delta, w, stride, input_shape)`:
delta (Ho, Wo) = dJ/dz^{l+1}, w (kH, kW), stride an int, input_shape (H, W) of z^l,
for the forward z^{l+1} = correlate(z^l, w) with that stride and no padding;
it returns dJ/dz^l of shape (H, W).

Expected answers come from `conv2d_backward` (the layer's own backward pass, tested
against finite differences), never from the recipe the learner is asked to write. The
mistakes below are the ones the question and the series name: no rotation, no padding,
stride ignored (no dilation), the sum of weights, and the floor-rule rows left out.
"""
import numpy as np

from ..checks import output_size
from ..conv import conv2d_backward, conv2d_forward
from ..signal import correlate2d, dilate, pad2d, rot180
from .checker import Case, Mistake, check_function

EXERCISE = "input_gradient(delta, w, stride, input_shape)"


def _reference(delta, w, stride, input_shape):
    """dJ/dz^l from the layer's backward pass (1 sample, 1 channel)."""
    x = np.zeros((1, 1) + tuple(input_shape))
    _, cache = conv2d_forward(x, w[None, None], np.zeros(1), stride=stride)
    return conv2d_backward(delta[None, None], cache)[0][0, 0]


def _make_case(name, seed, input_shape, kernel_shape, stride):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(kernel_shape)
    out_shape = tuple(output_size(size, k, stride, 0) for size, k in zip(input_shape, kernel_shape))
    delta = rng.standard_normal(out_shape)
    return Case(name, (delta, w, stride, tuple(input_shape)), _reference(delta, w, stride, input_shape))


def make_cases():
    """The cases, in the order they are tried: stride 1 first, so a wrong rotation,
    padding or weight sum is named before stride and floor-rule mistakes can show."""
    return [
        _make_case("stride 1; 3x3 kernel; 5x5 input", 1, (5, 5), (3, 3), 1),
        _make_case("stride 2; 3x2 kernel; 7x8 input", 2, (7, 8), (3, 2), 2),
        _make_case("stride 2; 3x3 kernel; 8x6 input (last row and column never read)", 3, (8, 6), (3, 3), 2),
        _make_case("stride 3; 2x3 kernel; 9x10 input (floor rule)", 4, (9, 10), (2, 3), 3),
    ]


def _fit(array, shape):
    """`array` cut or zero-filled (at the bottom/right) to `shape`: what a learner who
    forced the right shape would return."""
    out = np.zeros(shape)
    rows, cols = min(shape[0], array.shape[0]), min(shape[1], array.shape[1])
    out[:rows, :cols] = array[:rows, :cols]
    return out


def _gather(delta, kernel, stride, input_shape, grow=True):
    """Slide `kernel` (already rotated or not, as the caller chooses) over the dilated delta
    padded by k - 1; grow=True adds the floor-rule zeros so the result has input_shape."""
    kH, kW = kernel.shape
    spread = dilate(delta, stride)
    if grow:
        spread = np.pad(spread, ((0, input_shape[0] - spread.shape[0] - kH + 1),
                                 (0, input_shape[1] - spread.shape[1] - kW + 1)))
    return correlate2d(pad2d(spread, (kH - 1, kW - 1)), kernel)


def _no_rotation(delta, w, stride, input_shape):
    return _gather(delta, w, stride, input_shape)


def _no_padding(delta, w, stride, input_shape):
    return correlate2d(dilate(delta, stride), rot180(w))


def _no_padding_fitted(delta, w, stride, input_shape):
    return _fit(_no_padding(delta, w, stride, input_shape), input_shape)


def _no_dilation(delta, w, stride, input_shape):
    return correlate2d(pad2d(delta, (w.shape[0] - 1, w.shape[1] - 1)), rot180(w))


def _no_dilation_fitted(delta, w, stride, input_shape):
    return _fit(_no_dilation(delta, w, stride, input_shape), input_shape)


def _sum_of_weights(delta, w, stride, input_shape):
    return _gather(delta, np.ones_like(w), stride, input_shape) * w.sum()


def _no_floor_rows(delta, w, stride, input_shape):
    return _gather(delta, rot180(w), stride, input_shape, grow=False)


_HINTS = {
    "no rotation": (
        "delta^l_{m,n} = sum_i sum_j delta^{l+1}_{m-i+1, n-j+1} w_{i,j} subtracts the kernel index, so as a "
        "window sliding over the padded delta it meets the weights in reverse order: use rot180(w), not w."),
    "no padding": (
        "z^l near the border fed fewer outputs, and the result must have the input's shape: pad the "
        "(dilated) delta with kH-1 rows and kW-1 columns of zeros on every side (out-of-range delta is 0)."),
    "stride ignored (no dilation)": (
        "with stride s neighbouring outputs read windows s apart on the input: dilate delta (s-1 zeros "
        "between entries) before padding it."),
    "sum of weights instead of a single weight": (
        "only one term of z^{l+1}_{p,q} = sum_a sum_b z^l_{...} w_{a,b} contains z^l_{m,n}, so each output "
        "contributes delta * w_{i,j}, one weight, not delta * (sum of w)."),
    "floor rule: rows no window read are missing": (
        "when H - kH is not a multiple of the stride, the last input rows/columns were never read: their "
        "gradient is 0. Add zero rows/columns at the bottom/right of the dilated delta so the result has "
        "shape input_shape."),
}

MISTAKES = [
    Mistake("no rotation", _no_rotation, _HINTS["no rotation"]),
    Mistake("no padding", _no_padding, _HINTS["no padding"]),
    Mistake("no padding", _no_padding_fitted, _HINTS["no padding"]),
    Mistake("stride ignored (no dilation)", _no_dilation, _HINTS["stride ignored (no dilation)"]),
    Mistake("stride ignored (no dilation)", _no_dilation_fitted, _HINTS["stride ignored (no dilation)"]),
    Mistake("sum of weights instead of a single weight", _sum_of_weights,
            _HINTS["sum of weights instead of a single weight"]),
    Mistake("floor rule: rows no window read are missing", _no_floor_rows,
            _HINTS["floor rule: rows no window read are missing"]),
]


def _matching_mistake(got, args, atol=1e-8):
    """The first mistake whose output equals `got` (shape and values), or None."""
    got = np.asarray(got, dtype=float)
    for mistake in MISTAKES:
        try:
            wrong = np.asarray(mistake.compute(*args))
        except ValueError:   # e.g. no padding when the kernel is larger than delta
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong, atol=atol, rtol=1e-6):
            return mistake
    return None


def check_input_gradient(learner_function):
    """Run the learner's input_gradient on every case; return checker Feedback.

    Wrong values or a wrong shape are compared with the named mistakes, and the
    feedback says which one the answer looks like.
    """
    calls = []

    def recorded(*args):
        calls.append([args, None])
        calls[-1][1] = learner_function(*args)
        return calls[-1][1]

    safe_mistakes = [Mistake(m.name, _guarded(m.compute), m.hint) for m in MISTAKES]
    feedback = check_function(recorded, make_cases(), safe_mistakes, exercise=EXERCISE)
    if feedback.attempted and not feedback.passed and not feedback.mistake and calls and calls[-1][1] is not None:
        args, got = calls[-1]
        try:
            mistake = _matching_mistake(got, args)
        except (TypeError, ValueError):   # the learner returned something that is not an array of numbers
            mistake = None
        if mistake is not None:
            feedback.lines.append(f"This looks like: {mistake.name}. Hint: {mistake.hint}")
            feedback.mistake = mistake.name
    return feedback


def _guarded(compute):
    """A mistake that cannot be computed for a case (ValueError) matches nothing."""
    def safe(*args):
        try:
            return compute(*args)
        except ValueError:
            return np.full((0, 0), np.nan)
    return safe
