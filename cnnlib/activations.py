"""Elementwise activations. Each backward multiplies the upstream gradient by f'(z)."""
from typing import NamedTuple

import numpy as np

from .checks import as_float_array, cache_array, require_cache, require_finite, require_shape


class ReluCache(NamedTuple):
    """What relu_forward hands to relu_backward: its input x (any shape; not a copy)."""

    x: np.ndarray
    made_by = "relu_forward"


class SigmoidCache(NamedTuple):
    """What sigmoid_forward hands to sigmoid_backward: its own copy of the output s
    (the input's shape), so editing the returned output in place cannot change the
    backward pass."""

    out: np.ndarray
    made_by = "sigmoid_forward"


def _check_dout(dout, cache, cache_type, layer):
    require_cache(cache, cache_type, layer)
    reference = cache_array(cache, cache_type._fields[0], np.ndim(cache[0]))
    dout = as_float_array(dout, "dout")
    require_shape(dout, reference.shape, "dout", "the forward output's shape")
    require_finite(dout, "dout")
    return dout, reference


def relu_forward(x):
    """ReLU: out = max(x, 0). x: any shape -> out (same shape), cache."""
    x = as_float_array(x, "x")
    require_finite(x, "x")
    return np.maximum(x, 0), ReluCache(x)


def relu_backward(dout, cache):
    """dx = dout * [x > 0]. At x == 0 exactly we use 0 (the usual subgradient choice).

    dout: the forward output's shape (= x's shape), cache from relu_forward -> dx, same shape.
    """
    dout, x = _check_dout(dout, cache, ReluCache, "relu")
    return dout * (x > 0)


def sigmoid_forward(x):
    """Sigmoid: out = 1 / (1 + exp(-x)), computed without overflow. x: any shape -> out, cache."""
    x = as_float_array(x, "x")
    require_finite(x, "x")
    out = np.exp(-np.logaddexp(0, -x))
    return out, SigmoidCache(out.copy())


def sigmoid_backward(dout, cache):
    """dx = dout * s * (1 - s), where s is the forward output.

    dout: the forward output's shape (= x's shape), cache from sigmoid_forward -> dx, same shape.
    """
    dout, s = _check_dout(dout, cache, SigmoidCache, "sigmoid")
    return dout * s * (1 - s)
