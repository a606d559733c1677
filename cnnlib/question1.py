"""Question 1's network, in the asker's notation: the lesson math of notebook 01.

One 8x8 image, NCHW (1, 1, 8, 8); indices in the docstrings are the asker's 1-based ones:

    z1 = x * w1 + b1        conv 3x3 (cross-correlation)      (1, 1, 6, 6)
    a1 = ReLU(z1)                                             (1, 1, 6, 6)
    a2 = maxpool 2x2 of a1, eqs. (10)-(11)                    (1, 1, 3, 3)
    z3 = flatten(a2) . w3 + b3, eq. (9)                       (1, 1)
    a3 = sigmoid(z3);  L = binary cross-entropy(a3, y)

The backward pass, written as the notebook states it:

    dL/dz3 = a3 - y                                   eq. (7)
    dL/dw3 = (a3 - y) flatten(a2),  dL/db3 = a3 - y
    dL/da2_{p,r} = (a3 - y) w3_{3(p-1)+r}             eq. (8)
    dL/da1_{i,j} = dL/da2_{p,r} if a1_{i,j} is the (first) max of window (p, r), else 0
    dL/dz1 = dL/da1 * [z1 > 0]                        (ReLU'(0) taken as 0)
    dL/dw1 = x (cross-correlated with) dL/dz1,  dL/db1 = sum of dL/dz1

`question1_forward_backward` runs it with the cnnlib layers and returns every intermediate
and every gradient; `routing_by_rule` is the max-pool rule above written out with eq. (11)'s
1-based loops, an independent statement of what the library's max-pool backward does.
No function here mutates its arguments; every returned array is a fresh copy.
"""
import numpy as np

from .activations import relu_backward, relu_forward, sigmoid_backward, sigmoid_forward
from .checks import as_float_array, require_finite, require_shape
from .conv import conv2d_backward, conv2d_forward
from .data import load_digits_nchw
from .linear import dense_backward, dense_forward, flatten_backward, flatten_forward
from .losses import binary_cross_entropy
from .pool import maxpool2d_backward, maxpool2d_forward

TARGET_DIGIT = 0   # the binary question the network answers: "is this digit a 0?" (y = 1 if so)
POOL_SIZE = 2
PARAMETER_SHAPES = {"w1": (1, 1, 3, 3), "b1": (1,), "w3": (9, 1), "b3": (1,)}


def question1_example(digit_index):
    """One digit from scikit-learn's load_digits and its binary label.

    Returns x (1, 1, 8, 8) in [0, 1], y (1, 1) = 1.0 if the digit is TARGET_DIGIT else 0.0,
    and the digit's class 0..9.
    """
    images, labels = load_digits_nchw()
    if isinstance(digit_index, bool) or not isinstance(digit_index, (int, np.integer)):
        raise TypeError(f"digit_index must be an int, got {type(digit_index).__name__} {digit_index!r}")
    if not 0 <= int(digit_index) < len(images):
        raise ValueError(f"digit_index must be in 0..{len(images) - 1}, got {digit_index!r}")
    label = int(labels[digit_index])
    return images[digit_index:digit_index + 1].copy(), np.array([[float(label == TARGET_DIGIT)]]), label


def question1_parameters(seed):
    """The model's 20 parameters, drawn from a seeded normal distribution.

    Returns {"w1": (1, 1, 3, 3), "b1": (1,), "w3": (9, 1), "b3": (1,)}, float64.
    """
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.normal(0.0, 0.5, size=(1, 1, 3, 3)),
        "b1": rng.normal(0.0, 0.1, size=(1,)),
        "w3": rng.normal(0.0, 0.5, size=(9, 1)),
        "b3": rng.normal(0.0, 0.1, size=(1,)),
    }


def _checked_parameters(params):
    if not isinstance(params, dict) or set(params) != set(PARAMETER_SHAPES):
        given = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params must be a dict with keys {sorted(PARAMETER_SHAPES)}, got {given}")
    checked = {}
    for name, shape in PARAMETER_SHAPES.items():
        value = as_float_array(params[name], f"params[{name!r}]")
        require_shape(value, shape, f"params[{name!r}]")
        require_finite(value, f"params[{name!r}]")
        checked[name] = value
    return checked


def _checked_label(y):
    y = as_float_array(y, "y")
    require_shape(y, (1, 1), "y", "one binary label")
    if y[0, 0] not in (0.0, 1.0):
        raise ValueError(f"y must be 0 or 1 (the binary label), got {float(y[0, 0])}")
    return y


def loss_from_a1(a1, y, params):
    """The loss as a function of a1 alone (everything before it held fixed).

    a1 (1, 1, 6, 6), y (1, 1) -> float. Used to nudge single entries of a1.
    """
    a1 = as_float_array(a1, "a1")
    require_shape(a1, (1, 1, 6, 6), "a1", "the ReLU output of question 1")
    y, params = _checked_label(y), _checked_parameters(params)
    a2, _ = maxpool2d_forward(a1, POOL_SIZE)
    z3, _ = dense_forward(flatten_forward(a2)[0], params["w3"], params["b3"])
    return float(binary_cross_entropy(sigmoid_forward(z3)[0], y)[0])


def question1_forward_backward(x, y, params):
    """Forward and backward through question 1's network with the cnnlib layers.

    x (1, 1, 8, 8), y (1, 1) in {0, 1}, params as from `question1_parameters`.
    Returns a dict of fresh arrays: the forward values z1, a1 (1,1,6,6), a2 (1,1,3,3),
    z3, a3 (1,1), loss (float), pool_winners (1,1,3,3: row-major index 0..3 of each
    window's winner), and the gradients dL_da3, dL_dz3, dL_da2 (1,1,3,3), dL_da1,
    dL_dz1 (1,1,6,6), dL_dw1 (1,1,3,3), dL_db1 (1,), dL_dw3 (9,1), dL_db3 (1,).
    """
    x = as_float_array(x, "x")
    require_shape(x, (1, 1, 8, 8), "x", "one 8x8 grey image, NCHW")
    require_finite(x, "x")
    y, params = _checked_label(y), _checked_parameters(params)
    z1, conv_cache = conv2d_forward(x, params["w1"], params["b1"])
    a1, relu_cache = relu_forward(z1)
    a2, pool_cache = maxpool2d_forward(a1, POOL_SIZE)
    a2_flat, flatten_cache = flatten_forward(a2)
    z3, dense_cache = dense_forward(a2_flat, params["w3"], params["b3"])
    a3, sigmoid_cache = sigmoid_forward(z3)
    loss, dL_da3 = binary_cross_entropy(a3, y)

    dL_dz3 = sigmoid_backward(dL_da3, sigmoid_cache)
    dL_da2_flat, dL_dw3, dL_db3 = dense_backward(dL_dz3, dense_cache)
    dL_da2 = flatten_backward(dL_da2_flat, flatten_cache)
    dL_da1 = maxpool2d_backward(dL_da2, pool_cache)
    dL_dz1 = relu_backward(dL_da1, relu_cache)
    _, dL_dw1, dL_db1 = conv2d_backward(dL_dz1, conv_cache)
    arrays = {
        "z1": z1, "a1": a1, "a2": a2, "z3": z3, "a3": a3, "pool_winners": pool_cache.winners,
        "dL_da3": dL_da3, "dL_dz3": dL_dz3, "dL_da2": dL_da2, "dL_da1": dL_da1, "dL_dz1": dL_dz1,
        "dL_dw1": dL_dw1, "dL_db1": dL_db1, "dL_dw3": dL_dw3, "dL_db3": dL_db3,
    }
    result = {name: np.array(value, copy=True) for name, value in arrays.items()}
    result["loss"] = float(loss)
    return result


def window_entries(window_row, window_col):
    """Eq. (11): the 1-based a1 positions of pooling window (p, r): rows 2p-1, 2p and
    columns 2r-1, 2r, in row-major order."""
    for name, value in (("window_row", window_row), ("window_col", window_col)):
        if isinstance(value, bool) or value not in (1, 2, 3):
            raise ValueError(f"{name} must be 1, 2 or 3 (a 3x3 grid of pooling windows), got {value!r}")
    p, r = window_row, window_col
    return [(2 * p - 1, 2 * r - 1), (2 * p - 1, 2 * r), (2 * p, 2 * r - 1), (2 * p, 2 * r)]


def routing_by_rule(a1, a3, y, w3):
    """dL/da1 (6, 6) by the rule, with eq. (11)'s 1-based p, r and eq. (8)'s k = 3(p-1) + r.

    a1 (6, 6) or (1, 1, 6, 6); a3, y scalars or (1, 1); w3 (9, 1). Each window's whole
    gradient (a3 - y) w3_k goes to its first maximum (row-major), zero to the other three.
    """
    a1 = as_float_array(a1, "a1")
    a1 = a1[0, 0] if a1.shape == (1, 1, 6, 6) else a1
    require_shape(a1, (6, 6), "a1", "or (1, 1, 6, 6)")
    w3 = as_float_array(w3, "w3")
    require_shape(w3, (9, 1), "w3")
    error = float(np.asarray(a3).reshape(-1)[0]) - float(np.asarray(y).reshape(-1)[0])   # eq. (7)
    rule = np.zeros((6, 6))
    for p in range(1, 4):
        for r in range(1, 4):
            entries = window_entries(p, r)
            values = [a1[i - 1, j - 1] for i, j in entries]     # 1-based (i, j) is array [i-1, j-1]
            i, j = entries[int(np.argmax(values))]              # the first max, row-major
            rule[i - 1, j - 1] = error * w3[3 * (p - 1) + r - 1, 0]
    return rule
