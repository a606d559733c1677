"""Elementwise activations. Each backward multiplies the upstream gradient by f'(z)."""
import numpy as np

from .checks import as_float_array, require_no_nan, require_shape


def _check_dout(dout, reference):
    dout = as_float_array(dout, "dout")
    require_shape(dout, reference.shape, "dout", "the forward output's shape")
    require_no_nan(dout, "dout")
    return dout


def relu_forward(x):
    """ReLU: out = max(x, 0). x: any shape -> out (same shape), cache."""
    x = as_float_array(x, "x")
    require_no_nan(x, "x")
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """dx = dout * [x > 0]. At x == 0 exactly we use 0 (the usual subgradient choice).

    dout: the forward output's shape (= x's shape), cache from relu_forward -> dx, same shape.
    """
    x = cache
    dout = _check_dout(dout, x)
    return dout * (x > 0)


def sigmoid_forward(x):
    """Sigmoid: out = 1 / (1 + exp(-x)), computed without overflow. x: any shape -> out, cache."""
    x = as_float_array(x, "x")
    require_no_nan(x, "x")
    out = np.exp(-np.logaddexp(0, -x))
    return out, out


def sigmoid_backward(dout, cache):
    """dx = dout * s * (1 - s), where s is the forward output.

    dout: the forward output's shape (= x's shape), cache from sigmoid_forward -> dx, same shape.
    """
    s = cache
    dout = _check_dout(dout, s)
    return dout * s * (1 - s)
