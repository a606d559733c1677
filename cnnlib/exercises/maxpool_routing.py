"""Exercise for notebook 01: write the max-pool backward pass.

The learner writes `maxpool_backward(dout, x, size, stride)`:
    dout (N, C, Ho, Wo), x (N, C, H, W), size and stride ints -> dx (N, C, H, W),
with window (i, j) covering rows i*stride .. i*stride+size-1 and the same for columns,
each window's dout going to its first maximum (row-major), and gradients adding up
where windows overlap.

`check_maxpool_backward(learner_function, which="all")` runs it on named cases (which:
"all", "public", or "hidden" for the autograder's hidden tests) and, when an answer is
wrong, names the typical mistake it matches. Each `Mistake` below is such a wrong answer
written out, so the checker can recognise it. The cases hold negative inputs (a running
max started at 0, or argmax of |window|, fails there), ties, overlapping windows, gaps
between windows, and a batch with channels.
"""
import numpy as np

from ..checks import output_size
from ..pool import maxpool2d_backward, maxpool2d_forward
from .checker import Case, Mistake, check_function, select_cases

EXERCISE = "maxpool_backward(dout, x, size, stride)"


def _route(dout, x, size, stride, share, start=lambda i, stride, size: i * stride, accumulate=True):
    """Loop over windows; `share(window, g)` says what each window entry receives from g.

    A scaffold for writing the mistakes below (the right answer is cnnlib's maxpool2d_backward).
    """
    dx = np.zeros(x.shape, dtype=np.float64)
    N, C, Ho, Wo = dout.shape
    H, W = x.shape[2:]
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    # modulo: a window index that runs off the edge wraps, as numpy's negative indices do
                    rows = [(start(i, stride, size) + u) % H for u in range(size)]
                    cols = [(start(j, stride, size) + v) % W for v in range(size)]
                    window = x[n, c][np.ix_(rows, cols)]
                    received = share(window, dout[n, c, i, j])
                    for u, row in enumerate(rows):
                        for v, col in enumerate(cols):
                            if accumulate:
                                dx[n, c, row, col] += received[u, v]
                            elif received[u, v] != 0:
                                dx[n, c, row, col] = received[u, v]
    return dx


def _first_max(window, g):
    received = np.zeros(window.shape)
    received[np.unravel_index(np.argmax(window), window.shape)] = g
    return received


def _last_max(window, g):
    received = np.zeros(window.shape)
    flat = window.ravel()
    received[np.unravel_index(flat.size - 1 - np.argmax(flat[::-1]), window.shape)] = g
    return received


def _running_max_from_zero(window, g):
    # best starts at 0 (and at the first entry): a window whose values are all below 0 never
    # updates it, so the first entry gets the gradient whatever the real maximum is
    received, best, where = np.zeros(window.shape), 0.0, (0, 0)
    for index, value in np.ndenumerate(window):
        if value > best:
            best, where = value, index
    received[where] = g
    return received


def _largest_magnitude(window, g):
    received = np.zeros(window.shape)
    received[np.unravel_index(np.argmax(np.abs(window)), window.shape)] = g
    return received


def running_max_from_zero(dout, x, size, stride):
    """Mistake: the running max starts at 0, so negative windows route to their first entry."""
    return _route(dout, x, size, stride, _running_max_from_zero)


def largest_magnitude(dout, x, size, stride):
    """Mistake: np.argmax(np.abs(window)), the largest magnitude instead of the largest value."""
    return _route(dout, x, size, stride, _largest_magnitude)


def all_four_inputs(dout, x, size, stride):
    """Mistake: every input of the window receives the window's whole gradient."""
    return _route(dout, x, size, stride, lambda window, g: np.full(window.shape, g))


def averaged(dout, x, size, stride):
    """Mistake: the gradient is split evenly over the window (that is average-pool's rule)."""
    return _route(dout, x, size, stride, lambda window, g: np.full(window.shape, g / window.size))


def all_tied_maxima(dout, x, size, stride):
    """Mistake: every input equal to the max receives the whole gradient (over-counts ties)."""
    return _route(dout, x, size, stride, lambda window, g: np.where(window == window.max(), g, 0.0))


def last_tied_maximum(dout, x, size, stride):
    """Different tie rule: the last maximum (row-major) wins instead of the first."""
    return _route(dout, x, size, stride, _last_max)


def forgot_stride(dout, x, size, stride):
    """Mistake: window (i, j) starts at row i, column j (the stride offset is missing)."""
    return _route(dout, x, size, stride, _first_max, start=lambda i, stride, size: i)


def stepped_by_size(dout, x, size, stride):
    """Mistake: windows step by `size` instead of `stride` (right only when they are equal)."""
    return _route(dout, x, size, stride, _first_max, start=lambda i, stride, size: i * size)


def off_by_one(dout, x, size, stride):
    """Mistake: eq. (11)'s 1-based rows 2p-1, 2p used with a 0-based p: the window starts one
    row and one column early (and row -1 wraps to the last row)."""
    return _route(dout, x, size, stride, _first_max, start=lambda i, stride, size: i * stride - 1)


def overwrote_overlaps(dout, x, size, stride):
    """Mistake: `dx[...] = g` instead of `+=`, so an input that wins two overlapping windows
    keeps only the last window's gradient."""
    return _route(dout, x, size, stride, _first_max, accumulate=False)


def forgot_upstream(dout, x, size, stride):
    """Mistake: the winner receives 1 (the local derivative of max) instead of dout."""
    return _route(np.ones_like(dout), x, size, stride, _first_max)


MISTAKES = [
    Mistake("a running max started at 0", running_max_from_zero,
            "start the running max at the window's first value (or -inf), or use np.argmax on the "
            "window: when every value is below 0, none of them beats a start of 0."),
    Mistake("the largest magnitude |x| instead of the largest value", largest_magnitude,
            "max-pool takes the largest value, so -0.9 loses to 0.2; drop the np.abs."),
    Mistake("routing the gradient to all four inputs", all_four_inputs,
            "only the input that won the max affected the output; the other inputs of the window "
            "get exactly 0 from it."),
    Mistake("averaging the gradient over the window", averaged,
            "dividing by size*size is the rule for average-pool; max-pool sends all of it to the winner."),
    Mistake("routing to every tied maximum", all_tied_maxima,
            "when several inputs tie, give the gradient to ONE of them (the first in row-major order, "
            "like np.argmax and PyTorch); giving it to each over-counts it."),
    Mistake("picking the last of tied maxima", last_tied_maximum,
            "any single tied input is a valid choice mathematically, but this series (like np.argmax "
            "and PyTorch) takes the first one in row-major order."),
    Mistake("wrong window position: the stride offset is missing", forgot_stride,
            "output (i, j) reads rows i*stride .. i*stride+size-1 (and the same for columns)."),
    Mistake("wrong window position: stepping by size instead of stride", stepped_by_size,
            "windows start every `stride` rows; `size` is only the window's height."),
    Mistake("wrong window position: off by one (1-based indices in 0-based code)", off_by_one,
            "eq. (11) counts from 1 (rows 2p-1, 2p); with 0-based p the rows are 2p, 2p+1."),
    Mistake("overwriting instead of adding where windows overlap", overwrote_overlaps,
            "an input can win several overlapping windows; use += so its gradients add up."),
    Mistake("forgetting the upstream gradient", forgot_upstream,
            "the winner receives dout of its window (chain rule), not 1."),
]


def _expected(dout, x, size, stride):
    _, cache = maxpool2d_forward(x, size, stride)
    return maxpool2d_backward(dout, cache)


def _case(name, x, size, stride, seed):
    x = np.asarray(x, dtype=np.float64)
    Ho, Wo = output_size(x.shape[2], size, stride, 0), output_size(x.shape[3], size, stride, 0)
    # Upstream gradients that are neither 1 nor all equal, so forgetting or mixing them shows.
    dout = np.round(np.random.default_rng(seed).uniform(-2, 2, size=x.shape[:2] + (Ho, Wo)), 2)
    return Case(name, (dout, x, size, stride), _expected(dout, x, size, stride))


def maxpool_cases():
    """The named cases the checker runs, in order: args (dout, x, size, stride), expected dx.

    About a third are hidden=True (the autograder's hidden tests); none of the public cases
    is needed to see a mistake that a hidden one reveals.
    """
    one_window = np.array([[[[0.1, 0.9], [0.4, 0.3]]]])
    four_windows = np.array([[[[1, 5, 2, 0], [3, 4, 8, 1], [0, 9, 6, 2], [7, 1, 3, 5]]]], dtype=float) / 10
    # every value below 0; in each window the max is neither the first entry nor the largest |x|
    negative = -np.array([[[[0.5, 0.2, 0.7, 0.3], [0.9, 0.4, 0.1, 0.8]]]])
    mixed = np.array([[[[-0.9, 0.2, 0.3, -0.1], [0.1, -0.3, -0.8, -0.2],
                        [-0.4, -0.6, 0.5, -0.7], [-0.2, -0.5, 0.4, 0.6]]]])
    ties = np.array([[[[0, 0, 0.5, 0.2], [0, 0, 0.5, 0.1], [0.3, 0.7, 0.2, 0.2], [0.7, 0.1, 0.2, 0.2]]]])
    overlapping = np.array([[[[0.1, 0.2, 0.3], [0.4, 0.9, 0.5], [0.6, 0.7, 0.8]]]])
    overlapping_negative = np.random.default_rng(8).permutation(25).reshape(1, 1, 5, 5) / 10 - 1.3
    gaps = np.arange(25, dtype=float).reshape(1, 1, 5, 5)[:, :, ::-1] % 7 / 10 + np.eye(5) / 100
    batch = np.random.default_rng(7).permutation(144).reshape(2, 3, 4, 6) / 100 - 0.7
    return [
        _case("one 2x2 window", one_window, 2, 2, seed=11),
        _case("4x4 input, four windows, stride 2", four_windows, 2, 2, seed=2),
        _case("negative inputs: every value below 0", negative, 2, 2, seed=21),
        _case("ties: an all-zero window and a two-way tie", ties, 2, 2, seed=3),
        _case("overlapping windows: size 2, stride 1", overlapping, 2, 1, seed=4),
        _case("gaps between windows: size 2, stride 3", gaps, 2, 3, seed=5),
        hidden(_case("mixed signs: the largest |x| is negative", mixed, 2, 2, seed=13)),
        hidden(_case("overlapping windows of negative values: size 3, stride 2",
                     overlapping_negative, 3, 2, seed=14)),
        hidden(_case("a batch of 2 images with 3 channels, 4x6, values of both signs", batch, 2, 2, seed=6)),
    ]


def hidden(case):
    """The same case, graded only by the autograder's hidden tests."""
    case.hidden = True
    return case


def check_maxpool_backward(learner_function, which="all"):
    """Run the learner's maxpool_backward(dout, x, size, stride) on the cases; return Feedback.

    which: "all" (the notebook), "public" or "hidden" (the autograder's split).
    Names the typical mistake a wrong answer matches; otherwise adds a general hint.
    """
    feedback = check_function(learner_function, select_cases(maxpool_cases(), which), MISTAKES,
                              exercise=EXERCISE)
    if feedback.attempted and not feedback.passed and not feedback.mistake:
        feedback.lines.append(
            "Hint: for each window, find its first maximum with np.argmax on the flattened window, "
            "turn it back into (row, col) with divmod(k, size), and add that window's dout there.")
    return feedback
