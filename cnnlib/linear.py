"""Flatten and the dense (fully connected) layer."""
import numpy as np

from .checks import as_float_array, require_ndim, require_no_nan, require_shape


def flatten_forward(x):
    """Flatten every axis but the first, in row-major (C) order.

    x (N, d1, d2, ...) -> out (N, d1*d2*...), cache. For a (N, 1, 3, 3) map,
    entry (row r, column c) lands at position 3*r + c of each row of `out`.
    """
    x = as_float_array(x, "x")
    if x.ndim < 1:
        raise ValueError(f"flatten needs a batch axis, got shape {x.shape}")
    # A copy, not a view: writing into the result must never change the caller's x.
    return x.reshape(x.shape[0], -1).copy(), x.shape


def flatten_backward(dout, cache):
    """Reshape the gradient back: dout (N, D) -> dx with the forward input's shape."""
    x_shape = cache
    dout = as_float_array(dout, "dout")
    require_shape(dout, (x_shape[0], int(np.prod(x_shape[1:]))), "dout", "the forward output's shape")
    return dout.reshape(x_shape).copy()  # a copy, like every other backward


def dense_forward(x, w, b):
    """Dense layer: out = x @ w + b. x (N, D), w (D, M), b (M,) -> out (N, M), cache."""
    x, w, b = (as_float_array(v, n) for v, n in ((x, "x"), (w, "w"), (b, "b")))
    require_ndim(x, 2, "x", "(N, D)")
    require_ndim(w, 2, "w", "(D, M)")
    require_ndim(b, 1, "b", "(M,)")
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"x {x.shape} has D={x.shape[1]} features but w {w.shape} expects D={w.shape[0]}")
    if b.shape[0] != w.shape[1]:
        raise ValueError(f"bias {b.shape} must have one entry per output: w {w.shape} has M={w.shape[1]}")
    for array, name in ((x, "x"), (w, "w"), (b, "b")):
        require_no_nan(array, name)
    return x @ w + b, (x, w, b)


def dense_backward(dout, cache):
    """dout (N, M) -> dx = dout @ w.T (N, D), dw = x.T @ dout (D, M), db = sum_n dout (M,)."""
    x, w, b = cache
    dout = as_float_array(dout, "dout")
    require_shape(dout, (x.shape[0], w.shape[1]), "dout", "the forward output's shape")
    require_no_nan(dout, "dout")
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)
