"""Losses. Each returns (loss, dinput): the scalar loss and its gradient with
respect to the first argument, of the same shape.

Reductions, stated once:
- binary_cross_entropy, binary_cross_entropy_with_logits, mean_squared_error:
  the MEAN over all elements (so the gradient carries a 1/n).
  With one example and one output, as in question 1, mean = the single term.
- squared_error: the plain SUM of (o - y)**2, as question 2 writes C = (o - y)^2.
"""
import numpy as np

from .checks import as_float_array, require_finite


def _pair(prediction, target, pred_name):
    prediction = as_float_array(prediction, pred_name)
    target = as_float_array(target, "y")
    if prediction.shape != target.shape:
        raise ValueError(f"{pred_name} {prediction.shape} and y {target.shape} must have the same shape")
    if prediction.size == 0:
        raise ValueError(f"{pred_name} is empty (shape {prediction.shape})")
    require_finite(prediction, pred_name)
    require_finite(target, "y")
    return prediction, target


def _require_labels_in_unit_interval(y):
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"y must lie in [0, 1], got values from {y.min()} to {y.max()}")


def binary_cross_entropy(a, y):
    """L = mean(-[y log a + (1 - y) log(1 - a)]) for probabilities a in (0, 1).

    a, y: same shape -> (loss, da) with da = (-y/a + (1-y)/(1-a)) / a.size.
    Raises if any a is 0 or 1 (the log is infinite there): use
    binary_cross_entropy_with_logits on the pre-sigmoid value instead.
    """
    a, y = _pair(a, y, "a")
    _require_labels_in_unit_interval(y)
    if np.any((a <= 0) | (a >= 1)):
        raise ValueError(f"a must lie strictly between 0 and 1, got values from {a.min()} to {a.max()}")
    loss = -np.mean(y * np.log(a) + (1 - y) * np.log1p(-a))
    return float(loss), (-y / a + (1 - y) / (1 - a)) / a.size


def binary_cross_entropy_with_logits(z, y):
    """Sigmoid then binary cross-entropy, fused so it never overflows.

    z (logits), y (labels in [0, 1]): same shape -> (loss, dz), dz of z's shape.
    L = mean(max(z, 0) - z*y + log(1 + exp(-|z|))); dz = (sigmoid(z) - y) / z.size.
    Finite loss and gradient for any finite z (e.g. |z| = 1000).
    """
    z, y = _pair(z, y, "z")
    _require_labels_in_unit_interval(y)
    loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    sigmoid = np.exp(-np.logaddexp(0, -z))
    return float(loss), (sigmoid - y) / z.size


def mean_squared_error(o, y):
    """L = mean((o - y)**2). o, y: same shape -> (loss, do), do = 2 (o - y) / o.size, o's shape."""
    o, y = _pair(o, y, "o")
    diff = o - y
    return float(np.mean(diff ** 2)), 2 * diff / o.size


def squared_error(o, y):
    """C = sum((o - y)**2), no averaging (question 2's cost).

    o, y: same shape -> (loss, do) with do = 2 (o - y), o's shape.
    """
    o, y = _pair(o, y, "o")
    diff = o - y
    return float(np.sum(diff ** 2)), 2 * diff
