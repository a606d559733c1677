"""Checker for notebook 02's exercise: the weight gradient of a single-channel,
stride-1, "valid" cross-correlation layer.

The learner writes `weight_gradient(x, delta)`:
    x (H, W) the layer's input, delta (Ho, Wo) = dC/d(output)  ->  dW (kH, kW)
    with kH = H - Ho + 1, kW = W - Wo + 1 and
    dW[a, b] = sum_{r, c} x[r + a, c + b] * delta[r, c]     (x cross-correlated with delta).

The cases use inputs that are not symmetric under a 180-degree turn and some
non-square shapes, so that each named mistake gives numbers (or a shape) different
from the right answer and from every other named mistake.
"""
import numpy as np

from ..signal import convolve2d, correlate2d, rot180
from .checker import Case, Feedback, Mistake, check_function, select_cases

EXERCISE = "weight_gradient(x, delta)"


def _kernel_shape(x, delta):
    return (x.shape[0] - delta.shape[0] + 1, x.shape[1] - delta.shape[1] + 1)


def reference_weight_gradient(x, delta):
    """The right answer, written as the sum over output positions: x (H, W), delta (Ho, Wo) -> (kH, kW)."""
    x, delta = np.asarray(x, dtype=np.float64), np.asarray(delta, dtype=np.float64)
    kH, kW = _kernel_shape(x, delta)
    Ho, Wo = delta.shape
    dW = np.zeros((kH, kW))
    for r in range(Ho):
        for c in range(Wo):
            # output (r, c) read x[r:r+kH, c:c+kW]; its weight (a, b) met x[r+a, c+b]
            dW += x[r:r + kH, c:c + kW] * delta[r, c]
    return dW


def _summed_inputs_times_summed_deltas(x, delta):
    kH, kW = _kernel_shape(x, delta)
    Ho, Wo = delta.shape
    return np.array([[x[a:a + Ho, b:b + Wo].sum() * delta.sum() for b in range(kW)] for a in range(kH)])


def _averaged_over_positions(x, delta):
    return correlate2d(x, delta) / delta.size


def _bias_gradient_everywhere(x, delta):
    return np.full(_kernel_shape(x, delta), float(np.sum(delta)))


MISTAKES = [
    Mistake(
        "(sum of inputs) x (sum of deltas)",
        _summed_inputs_times_summed_deltas,
        "each output position pairs ONE input with ONE delta: dW[a, b] = sum over positions (r, c) of "
        "x[r+a, c+b] * delta[r, c]. Multiplying the two sums adds every cross term x[r+a, c+b] * delta[r', c'] "
        "with (r', c') != (r, c), which no output position ever computed.",
    ),
    Mistake(
        "transposed kernel gradient (rows and columns swapped)",
        lambda x, delta: reference_weight_gradient(x, delta).T,
        "dW[a, b] belongs to the weight in row a, column b: the window slides a rows DOWN and b columns "
        "RIGHT. Check which loop index moves along rows of x and which along columns.",
    ),
    Mistake(
        "result rotated by 180 degrees",
        lambda x, delta: rot180(reference_weight_gradient(x, delta)),
        "your numbers are right but in reversed order (rows and columns flipped): dW[0, 0] is the weight "
        "that touches the TOP-LEFT of every window. A rotated dW is what a layer that truly convolves "
        "(flips its kernel in the forward pass) would need; this layer cross-correlates, so no flip. "
        "(On an input that looks the same after a 180-degree turn this mistake and 'convolution instead of "
        "cross-correlation' give the same numbers; the checker's inputs are chosen so they differ.)",
    ),
    Mistake(
        "convolution instead of cross-correlation (delta flipped before sliding)",
        lambda x, delta: convolve2d(x, delta),
        "you slid a 180-degree-rotated delta over x (that is convolve2d, or indexing delta[Ho-1-r, Wo-1-c]), "
        "so x[r+a, c+b] got paired with the wrong position's delta. Slide delta as it is: "
        "dW = correlate2d(x, delta). (This differs from rotating the whole result, except on inputs that "
        "are symmetric under a 180-degree turn.)",
    ),
    Mistake(
        "averaged over output positions instead of summed",
        _averaged_over_positions,
        "the chain rule ADDS the contributions of every output position the weight was used at; "
        "do not divide by the number of positions.",
    ),
    Mistake(
        "the bias gradient (sum of deltas) in every entry",
        _bias_gradient_everywhere,
        "sum(delta) is the bias gradient, where every position contributes 1. A weight's contribution at "
        "each position is the input it multiplied there, so each delta must be weighted by that input.",
    ),
]


def weight_gradient_cases():
    """Named cases, question-sized first, then non-square shapes, negative numbers and the
    extreme sizes. About a third are hidden (the autograder's hidden tests).

    The exercise is one 2-D map (no batch or channel axes: notebook 04 adds them), so the
    cases vary what does apply: shapes, signs, zeros in delta and the two extreme sizes.
    """
    def case(name, x, delta, hidden=False):
        x, delta = np.asarray(x, dtype=np.float64), np.asarray(delta, dtype=np.float64)
        return Case(name, (x, delta), reference_weight_gradient(x, delta), hidden=hidden)

    return [
        case("question 2's network: 3x3 input, 2x2 delta -> 2x2",
             [[2, 3, 2], [1, 1, -2], [1, 3, 1]], [[12, 4], [-12, -8]]),
        case("non-square input, square kernel: 3x4 input, 2x3 delta -> 2x2",
             [[1, -2, 0, 3], [2, 1, -1, 0], [0, 4, 2, -3]], [[1, -1, 2], [3, 0, -2]]),
        case("non-square kernel: 3x5 input, 2x2 delta -> 2x4",
             [[2, 0, 1, -1, 3], [1, 3, -2, 0, 1], [0, -1, 2, 4, 1]], [[1, 2], [-1, 3]]),
        case("tall kernel: 5x3 input, 3x2 delta -> 3x2",
             [[1, 0, 2], [-1, 3, 1], [2, 2, 0], [0, 1, -2], [3, -1, 1]], [[2, -1], [0, 1], [1, 3]]),
        case("1x1 delta: dW is the input times that one number",
             [[1, 2, -1], [0, 3, 1]], [[-2]]),
        case("delta as big as the input: a 1x1 dW = sum(x * delta)",
             [[1, 2], [3, -4]], [[2, -1], [1, 1]]),
        case("every input negative, fractional deltas: 4x4 input, 3x3 delta -> 2x2",
             [[-1, -2, -0.5, -3], [-4, -1, -2, -1], [-0.5, -3, -1, -2], [-2, -1, -4, -0.25]],
             [[0.5, -1.5, 2], [1, 0.25, -1], [-2, 1, 0.75]], hidden=True),
        case("a delta with a zero row: 4x3 input, 3x2 delta -> 2x2",
             [[3, -1, 2], [0, 2, -2], [1, -3, 4], [2, 1, -1]], [[1, -2], [0, 0], [3, 1]], hidden=True),
        case("wide kernel: 2x6 input, 1x3 delta -> 2x4",
             [[1, -1, 2, 0, 3, -2], [2, 4, -3, 1, 0, 1]], [[-1, 2, 0.5]], hidden=True),
    ]


def _name_swapped_shape(feedback, learner_function, cases):
    """check_function stops at a wrong shape; if the shape is the right one transposed, say so."""
    if feedback.passed or "wrong shape" not in " ".join(feedback.lines):
        return feedback
    for case in cases:
        if feedback.lines[0].startswith(f"Case '{case.name}'"):
            try:
                got = np.asarray(learner_function(*[np.copy(a) for a in case.args]))
            except Exception:   # the learner's function already failed once: nothing more to name
                break
            if got.shape == case.expected.shape[::-1] and got.shape != case.expected.shape:
                name = MISTAKES[1].name
                feedback.lines.append(f"This looks like: {name}. Hint: {MISTAKES[1].hint} "
                                      f"(For x {case.args[0].shape} and delta {case.args[1].shape} the kernel "
                                      f"is {case.expected.shape}: kH = H - Ho + 1, kW = W - Wo + 1.)")
                feedback.mistake = name
            break
    return feedback


GENERAL_HINT = ("Hint: dW[a, b] is one sum over the output positions (r, c) of x[r + a, c + b] * delta[r, c]; "
                "try your function on a 3x3 x with a 2x2 delta whose entries are all 0 except one, and compare "
                "with the input window that delta's position read.")


def check_weight_gradient(learner_function, which="all"):
    """Run the learner's weight_gradient(x, delta) on the cases -> Feedback (print it).

    which: "all", "public" or "hidden" (see checker.select_cases). Names the likely mistake
    when the output matches a known wrong answer, and gives a general hint otherwise.
    """
    cases = select_cases(weight_gradient_cases(), which)
    feedback = check_function(learner_function, cases, MISTAKES, exercise=EXERCISE)
    feedback = _name_swapped_shape(feedback, learner_function, cases)
    if feedback.attempted and not feedback.passed and not feedback.mistake:
        feedback.lines.append(GENERAL_HINT)
    return feedback


__all__ = ["check_weight_gradient", "reference_weight_gradient", "weight_gradient_cases", "MISTAKES", "Feedback"]
