"""Checker for notebook 00's exercise: the central-difference gradient check.

The learner writes `central_difference(f, x, h)`:
    f a function of an array x that returns one number, x a float array of any shape,
    h the step  ->  an array of x's shape whose entry i is (f(x + h e_i) - f(x - h e_i)) / (2h),
    with x unchanged afterwards.

Once every case passes, the checker uses the learner's function the way the series uses
finite differences: it judges two hand-written gradients of one small layer, one right and
one with a planted bug, and reports which one the learner's check rejects.

The cases use functions that are not linear (so a one-sided difference differs from the
central one), negative entries, 2-D arrays and an NCHW batch with channels (so a loop over
`range(len(x))` is caught), and steps h large enough that the formula's own error shows.
"""
import numpy as np

from .. import gradcheck
from .checker import Case, Mistake, check_function, select_cases

EXERCISE = "central_difference(f, x, h)"


def reference_central_difference(f, x, h):
    """The right answer: nudge one entry of a copy of x at a time, up and down by h."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        grad[index] = (float(f(plus)) - float(f(minus))) / (2 * h)
    return grad


def _one_sided(f, x, h):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus = x.copy()
        plus[index] += h
        grad[index] = (float(f(plus)) - float(f(x))) / h
    return grad


def _everything_nudged_at_once(f, x, h):
    x = np.array(x, dtype=np.float64)
    return np.full(x.shape, (float(f(x + h)) - float(f(x - h))) / (2 * h))


def _never_restored(f, x, h):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += h
        plus = float(f(x))
        x[index] -= 2 * h
        minus = float(f(x))
        grad[index] = (plus - minus) / (2 * h)    # x[index] is left at x - h
    return grad


MISTAKES = [
    Mistake("divided by h instead of 2h", lambda f, x, h: 2 * reference_central_difference(f, x, h),
            "the two evaluations are 2h apart (x + h and x - h), so divide their difference by 2h."),
    Mistake("a one-sided difference (f(x + h) - f(x)) / h", _one_sided,
            "a one-sided difference has an error of order h; the central one, (f(x + h e_i) - f(x - h e_i)) / (2h), "
            "of order h^2. The cases use steps where the difference shows."),
    Mistake("every entry nudged at once", _everything_nudged_at_once,
            "x + h moves every entry together; nudge ONE entry at a time (e_i is 1 at entry i, 0 elsewhere)."),
    Mistake("x nudged in place and never restored", _never_restored,
            "after nudging x[i] to x[i] + h and x[i] - h, put the original value back before the next entry; "
            "or nudge copies of x."),
]

GENERAL_HINT = ("Hint: for each index i of x (np.ndindex(x.shape) visits every entry of any shape), evaluate f at "
                "a copy of x with entry i raised by h and at one with it lowered by h, and divide the difference "
                "by 2h. Return an array of x's shape; leave x itself unchanged.")


def _sum_of_squares(z):
    return float(np.sum(z ** 2))


def _cubic(z):
    return float(np.sum(z ** 3 - 2 * z))


def _sin_times(z):
    return float(np.sum(np.sin(z) * z))


def _exp_of_product(z):
    return float(np.exp(0.5 * np.prod(z)))


def _conv_layer_loss(z):
    """A conv layer's loss on an NCHW batch: sum(tanh(x ⋆ w + b) * g), batch 2, channels 2."""
    from ..conv import conv2d_forward
    rng = np.random.default_rng(7)
    w, b, g = rng.standard_normal((2, 2, 2, 2)), rng.standard_normal(2), rng.standard_normal((2, 2, 2, 2))
    return float(np.sum(np.tanh(conv2d_forward(z, w, b)[0]) * g))


def central_difference_cases():
    """Named cases; about a third hidden (the autograder's hidden tests)."""
    rng = np.random.default_rng(0)

    def case(name, f, x, h, hidden=False):
        x = np.asarray(x, dtype=np.float64)
        return Case(name, (f, x, h), reference_central_difference(f, x, h), hidden=hidden)

    return [
        case("sum of squares of a vector with a negative entry, h = 1e-3", _sum_of_squares, [0.3, -1.2, 2.0], 1e-3),
        case("a cubic on a 2x3 matrix, h = 1e-2", _cubic, [[1.0, -0.5, 2.0], [-1.5, 0.25, 3.0]], 1e-2),
        case("sin(z)·z on a 3x2 matrix of negatives, h = 1e-2", _sin_times, -rng.uniform(0.5, 2.0, (3, 2)), 1e-2),
        case("a conv layer's loss on an NCHW batch (2 images, 2 channels, 3x3), h = 1e-4", _conv_layer_loss,
             rng.standard_normal((2, 2, 3, 3)), 1e-4),
        case("exp of a product: every entry's nudge changes the others' slopes, h = 1e-2", _exp_of_product,
             [[0.5, -1.0], [1.5, 0.8]], 1e-2, hidden=True),
        case("one entry, a large step h = 0.1", _cubic, [-0.7], 0.1, hidden=True),
    ]


def _planted_layer():
    """A dense layer with a sigmoid and a squared error, its right input gradient and a planted wrong one."""
    rng = np.random.default_rng(3)
    W, t = rng.standard_normal((3, 4)), rng.standard_normal(3)
    x = rng.standard_normal(4)

    def loss(v):
        s = 1 / (1 + np.exp(-(W @ v)))
        return float(0.5 * np.sum((s - t) ** 2))

    def right(v):
        s = 1 / (1 + np.exp(-(W @ v)))
        return W.T @ ((s - t) * s * (1 - s))

    def planted(v):   # the sigmoid's derivative s(1 - s) forgotten
        s = 1 / (1 + np.exp(-(W @ v)))
        return W.T @ (s - t)

    return loss, x, right, planted


def _judge_planted_gradient(learner_function):
    """Use the learner's check on a right and a planted wrong gradient -> (ok, lines)."""
    loss, x, right, planted = _planted_layer()
    numeric = np.asarray(learner_function(loss, x.copy(), 1e-6), dtype=np.float64)
    right_error = gradcheck.rel_error(right(x), numeric)
    planted_error = gradcheck.rel_error(planted(x), numeric)
    ok = right_error < 1e-7 and planted_error > 1e-3
    right_text = "below 1e-7" if right_error < 1e-7 else f"{right_error:.1e}"   # rounding noise differs by CPU
    lines = ["Your check on a sigmoid layer's input gradient: the right formula has rel_error "
             f"{right_text}; the one that forgets the sigmoid's slope s(1 - s) has rel_error {planted_error:.2f}"
             + (" — caught." if ok else ": your check does not tell them apart.")]
    return ok, lines


def _calls_the_library(learner_function, cases):
    """True when the learner's function hands the work to cl.numerical_gradient (the answer in scope)."""
    import cnnlib
    calls = []
    original = gradcheck.numerical_gradient

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    cnnlib.numerical_gradient = gradcheck.numerical_gradient = spy
    try:
        f, x, h = cases[0].args
        learner_function(f, np.copy(x), h)
    except Exception:
        pass
    finally:
        cnnlib.numerical_gradient = gradcheck.numerical_gradient = original
    return bool(calls)


def check_central_difference(learner_function, which="all"):
    """Run the learner's central_difference(f, x, h) on the cases -> Feedback (print it).

    which: "all", "public" or "hidden" (see checker.select_cases). After every case passes,
    the learner's check judges a right and a planted wrong gradient (both must be judged right).
    """
    cases = select_cases(central_difference_cases(), which)
    feedback = check_function(learner_function, cases, MISTAKES, exercise=EXERCISE, atol=1e-7)
    if not feedback.attempted:
        return feedback
    if feedback.passed and _calls_the_library(learner_function, cases):
        feedback.passed = False
        feedback.mistake = "calls cl.numerical_gradient"
        feedback.lines = ["Your function calls cl.numerical_gradient, the library's answer to this exercise. "
                          "Write the loop yourself: that is the check you will trust."]
        return feedback
    if feedback.passed:
        ok, lines = _judge_planted_gradient(learner_function)
        feedback.lines += lines
        feedback.passed = ok
        if not ok:
            feedback.lines.append(GENERAL_HINT)
        return feedback
    if not feedback.mistake:
        feedback.lines.append(GENERAL_HINT)
    return feedback


__all__ = ["check_central_difference", "central_difference_cases", "reference_central_difference", "MISTAKES"]
