"""Checker for notebook 05's exercise: one step of gradient descent on question 1's dense layer.

The learner writes `sgd_step(a2, y, w3, b3, learning_rate)`:
    a2 (N, 3, 3) the pooled maps of N images (a^[2], entries >= 0: they come out of ReLU and max-pool),
    y (N,) their labels (0 or 1), w3 (9,) and b3 (a float) the dense layer,
    learning_rate a positive float  ->  the new w3 (9,) after ONE plain gradient-descent step
    on the mean loss over the N images:

        z3 = flatten(a2) . w3 + b3      (row by row, eq. (9): a^[2]_{p,r} meets w^[3]_{3(p-1)+r})
        a3 = sigmoid(z3)
        dL/dw3 = (1/N) sum_n (a3_n - y_n) flatten(a2_n)      (eq. (7) times eq. (9), averaged)
        w3_new = w3 - learning_rate * dL/dw3

The cases use non-symmetric a2 (so a column-by-column flattening gives other numbers), a
non-zero b3 (so leaving it out shows), learning rates other than 1, both labels in a batch,
and batches of one and of several images (so sums and means, and products of means, differ).
"""
import numpy as np

from ..linear import dense_backward, dense_forward
from ..losses import binary_cross_entropy_with_logits
from ..model import SGD
from .checker import Case, Mistake, check_function, select_cases

EXERCISE = "sgd_step(a2, y, w3, b3, learning_rate)"


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _parts(a2, y, w3, b3):
    """(flattened a2 (N, 9), a3 - y (N,)) for the mistakes below."""
    flat = np.asarray(a2, dtype=np.float64).reshape(len(a2), -1)
    return flat, _sigmoid(flat @ w3 + b3) - y


def reference_sgd_step(a2, y, w3, b3, learning_rate):
    """The right answer, from the library's layers: dense_forward, the fused loss, dense_backward,
    then cnnlib.model.SGD's update p <- p - learning_rate * g."""
    flat = np.asarray(a2, dtype=np.float64).reshape(len(a2), -1)
    logits, cache = dense_forward(flat, np.asarray(w3, dtype=np.float64)[:, None], np.array([float(b3)]))
    _, dlogits = binary_cross_entropy_with_logits(logits[:, 0], np.asarray(y, dtype=np.float64))
    _, dw, _ = dense_backward(dlogits[:, None], cache)
    new_w3 = np.array(w3, dtype=np.float64)
    SGD(learning_rate).step({"w3": new_w3}, {"w3": dw[:, 0]})
    return new_w3


def _mistake(compute_gradient, scale=lambda lr: lr):
    """A wrong answer of the form w3 - scale(lr) * (some wrong gradient)."""
    return lambda a2, y, w3, b3, lr: np.asarray(w3, dtype=np.float64) - scale(lr) * compute_gradient(a2, y, w3, b3)


def _gradient(a2, y, w3, b3):
    flat, error = _parts(a2, y, w3, b3)
    return flat.T @ error / len(error)


MISTAKES = [
    Mistake("stepped uphill (w3 + learning_rate * gradient)",
            lambda a2, y, w3, b3, lr: w3 + lr * _gradient(a2, y, w3, b3),
            "gradient DEScent subtracts: w3 - learning_rate * dL/dw3 (or, the same, + learning_rate * "
            "mean((y - a3) a2)). Check the sign of a3 - y."),
    Mistake("forgot the learning rate", _mistake(_gradient, scale=lambda lr: 1.0),
            "the step is learning_rate times the gradient, not the gradient itself."),
    Mistake("summed over the images instead of averaging",
            lambda a2, y, w3, b3, lr: w3 - lr * len(y) * _gradient(a2, y, w3, b3),
            "the loss is the MEAN over the N images, so its gradient carries a factor 1/N."),
    Mistake("divided by N twice",
            lambda a2, y, w3, b3, lr: w3 - lr * _gradient(a2, y, w3, b3) / len(y),
            "average once: dL/dw3 = (1/N) sum_n (a3_n - y_n) a2_n."),
    Mistake("no sigmoid: used z3 - y",
            _mistake(lambda a2, y, w3, b3: _parts(a2, y, w3, b3)[0].T
                     @ (_parts(a2, y, w3, b3)[0] @ w3 + b3 - y) / len(y)),
            "eq. (7) is dL/dz3 = a3 - y with a3 = sigmoid(z3); z3 - y is the rule for a squared error "
            "on a linear output."),
    Mistake("multiplied by the sigmoid's derivative a second time",
            _mistake(lambda a2, y, w3, b3: _parts(a2, y, w3, b3)[0].T @ (
                _parts(a2, y, w3, b3)[1] * _sigmoid(_parts(a2, y, w3, b3)[0] @ w3 + b3)
                * (1 - _sigmoid(_parts(a2, y, w3, b3)[0] @ w3 + b3))) / len(y)),
            "a3 - y already IS dL/dz3: it is eq. (5) times eq. (6), the sigmoid's derivative a3(1 - a3) "
            "included. Multiplying by a3(1 - a3) again counts it twice."),
    Mistake("used a3 instead of a3 - y",
            _mistake(lambda a2, y, w3, b3: _parts(a2, y, w3, b3)[0].T
                     @ _sigmoid(_parts(a2, y, w3, b3)[0] @ w3 + b3) / len(y)),
            "the error at the output is a3 - y: the label must enter, or every step pushes a3 towards 0."),
    Mistake("left b3 out of z3",
            _mistake(lambda a2, y, w3, b3: _gradient(a2, y, w3, 0.0)),
            "z3 = flatten(a2) . w3 + b3: the bias changes a3, so it changes the step of every weight."),
    Mistake("flattened a2 column by column",
            _mistake(lambda a2, y, w3, b3: _gradient(np.transpose(a2, (0, 2, 1)), y, w3, b3)),
            "eq. (9) flattens a2 row by row: a2[p, r] (1-based) meets w3[3(p-1) + r]; "
            "a2.reshape(N, 9) does that, a2.transpose(0, 2, 1).reshape(N, 9) does not."),
    Mistake("mean of (a3 - y) times mean of a2 (a product of sums)",
            _mistake(lambda a2, y, w3, b3: np.mean(_parts(a2, y, w3, b3)[1])
                     * np.mean(_parts(a2, y, w3, b3)[0], axis=0)),
            "each image pairs ITS error with ITS pooled map: average the products (a3_n - y_n) a2_n, "
            "not the product of the two averages (the weight-gradient mistake of notebook 02)."),
    Mistake("the gradient for a2 (uses w3 where a2 belongs)",
            _mistake(lambda a2, y, w3, b3: np.mean(_parts(a2, y, w3, b3)[1]) * w3),
            "(a3 - y) w3 is dL/da2, what flows back into max-pool; a weight's gradient multiplies the "
            "error by the INPUT the weight met: (a3 - y) a2."),
    Mistake("returned the gradient, not the new weights",
            lambda a2, y, w3, b3, lr: _gradient(a2, y, w3, b3),
            "return w3 - learning_rate * gradient: the updated weights."),
    Mistake("returned the step, not the new weights",
            lambda a2, y, w3, b3, lr: lr * _gradient(a2, y, w3, b3),
            "the new weights are the old ones MINUS the step: w3 - learning_rate * gradient."),
    Mistake("used only the last image of the batch",
            lambda a2, y, w3, b3, lr: reference_sgd_step(a2[-1:], y[-1:], w3, b3, lr),
            "average the contributions of ALL N images (a loop that assigns instead of adding keeps only "
            "the last one)."),
]


def sgd_step_cases():
    """Named cases: one image of each label, batches with both labels, a dead pooled entry, a large
    step; about a third hidden (the autograder's)."""
    rng = np.random.default_rng(5)

    def case(name, n, labels, b3, learning_rate, hidden=False, dead=None):
        a2 = np.round(rng.uniform(0, 1.5, size=(n, 3, 3)), 2)
        if dead is not None:
            a2[:, dead[0], dead[1]] = 0.0          # a window whose maximum is 0 on every image
        w3 = np.round(rng.normal(0, 0.6, size=9), 2)
        y = np.array(labels, dtype=np.float64)
        args = (a2, y, w3, float(b3), float(learning_rate))
        return Case(name, args, reference_sgd_step(*args), hidden=hidden)

    return [
        case("one image, y = 1", 1, [1], 0.3, 0.1),
        case("one image, y = 0", 1, [0], -0.2, 0.5),
        case("a batch of 4, both labels", 4, [0, 1, 1, 0], 0.4, 0.1),
        case("a batch of 3, a pooled entry 0 on every image", 3, [1, 0, 1], -0.5, 0.3, dead=(1, 2)),
        case("a batch of 5, a large step", 5, [1, 1, 0, 1, 0], 0.1, 2.0),
        case("hidden: a batch of 2, one of each label", 2, [1, 0], 0.8, 0.05, hidden=True),
        case("hidden: a batch of 6, mostly zeros", 6, [0, 0, 0, 1, 0, 0], -0.1, 0.2, hidden=True),
        case("hidden: one image, y = 0, a tiny step", 1, [0], 1.2, 0.01, hidden=True),
    ]


def check_sgd_step(learner_function, which="all"):
    """Run the learner's sgd_step(a2, y, w3, b3, learning_rate) on the cases (`which`: "all",
    "public" or "hidden") -> Feedback (print it). Names the likely mistake."""
    return check_function(learner_function, select_cases(sgd_step_cases(), which), MISTAKES, exercise=EXERCISE)


__all__ = ["check_sgd_step", "reference_sgd_step", "sgd_step_cases", "MISTAKES"]
