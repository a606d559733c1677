"""Flatten and the dense (fully connected) layer."""
from typing import NamedTuple

import numpy as np

from .checks import (
    as_float_array,
    cache_array,
    cache_mismatch,
    cache_shape,
    require_cache,
    require_finite,
    require_ndim,
    require_nonempty_axes,
    require_shape,
)


class FlattenCache(NamedTuple):
    """What flatten_forward hands to flatten_backward: the input's shape."""

    x_shape: tuple
    made_by = "flatten_forward"


class DenseCache(NamedTuple):
    """What dense_forward hands to dense_backward: its inputs x (N, D), w (D, M),
    b (M,) (not copies)."""

    x: np.ndarray   # (N, D)
    w: np.ndarray   # (D, M)
    b: np.ndarray   # (M,)
    made_by = "dense_forward"


def flatten_forward(x):
    """Flatten every axis but the first, in row-major (C) order.

    x (N, d1, d2, ...) -> out (N, d1*d2*...), cache. For a (N, 1, 3, 3) map,
    entry (row r, column c) lands at position 3*r + c of each row of `out`.
    """
    x = as_float_array(x, "x")
    if x.ndim < 1:
        raise ValueError(f"flatten needs a batch axis, got shape {x.shape}")
    # A copy, not a view: writing into the result must never change the caller's x.
    # The explicit length (not -1) also works for an empty batch.
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:]))).copy(), FlattenCache(x.shape)


def flatten_backward(dout, cache):
    """Reshape the gradient back: dout (N, D) -> dx with the forward input's shape."""
    require_cache(cache, FlattenCache, "flatten")
    x_shape = cache_shape(cache, "x_shape")
    dout = as_float_array(dout, "dout")
    require_shape(dout, (x_shape[0], int(np.prod(x_shape[1:]))), "dout", "the forward output's shape")
    require_finite(dout, "dout")
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
    require_nonempty_axes(w.shape, {0: "D", 1: "M"}, "w", "(D, M)")
    for array, name in ((x, "x"), (w, "w"), (b, "b")):
        require_finite(array, name)
    return x @ w + b, DenseCache(x, w, b)


def dense_backward(dout, cache):
    """dout (N, M) -> dx = dout @ w.T (N, D), dw = x.T @ dout (D, M), db = sum_n dout (M,)."""
    require_cache(cache, DenseCache, "dense")
    x, w, b = (cache_array(cache, name, ndim) for name, ndim in (("x", 2), ("w", 2), ("b", 1)))
    if x.shape[1] != w.shape[0] or b.shape[0] != w.shape[1]:
        raise cache_mismatch(cache, f"x {x.shape}, w {w.shape} and b {b.shape}")
    dout = as_float_array(dout, "dout")
    require_shape(dout, (x.shape[0], w.shape[1]), "dout", "the forward output's shape")
    require_finite(dout, "dout")
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)
