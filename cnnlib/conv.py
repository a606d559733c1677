"""2-D convolution layer (cross-correlation, as every framework computes it).

Layout NCHW: x (N, C, H, W), weights w (F, C, kH, kW), bias b (F,),
output (N, F, Ho, Wo) with Ho = (H + 2*ph - kH) // sh + 1 (PyTorch's floor rule).

Two implementations with one cache format, so either backward takes either cache:
- `conv2d_forward_naive` / `conv2d_backward_naive`: loops over output positions,
  a line-for-line copy of the textbook formula. Read these first.
- `conv2d_forward` / `conv2d_backward`: the same sums done by numpy in bulk
  (im2col: windows as columns of a matrix, then one matrix product).
"""
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .checks import (
    as_float_array,
    as_pair,
    cache_array,
    cache_mismatch,
    cache_pair,
    describe,
    output_size,
    require_cache,
    require_finite,
    require_ndim,
    require_nonempty_axes,
    require_shape,
    require_window_fits,
)
from .signal import pad2d


class _Conv2dFields(NamedTuple):
    x: np.ndarray          # (N, C, H, W)
    w: np.ndarray          # (F, C, kH, kW)
    b: np.ndarray          # (F,)
    stride: tuple          # (sh, sw)
    padding: tuple         # (ph, pw)


class Conv2dCache(_Conv2dFields):
    """What conv2d_forward (either version) hands to conv2d_backward: the layer's
    inputs x (N, C, H, W), w (F, C, kH, kW), b (F,) (not copies: do not edit them
    in between) and its options stride, padding as (h, w) pairs.

    The vectorised forward also attaches its window matrix (C*kH*kW, N*Ho*Wo) as the
    attribute `columns`, so that the backward does not build it a second time. An
    attribute, not a sixth field: `x, w, b, stride, padding = cache` keeps working,
    and a cache without one (from the naive forward, or made by `_replace`) has
    columns None, so the vectorised backward rebuilds it from x, never a stale one.
    """

    columns = None         # (C*kH*kW, N*Ho*Wo) or None; an attribute, see above
    made_by = "conv2d_forward"


def _check_conv_inputs(x, w, b, stride, padding):
    x = as_float_array(x, "x")
    w = as_float_array(w, "w")
    b = as_float_array(b, "b")
    require_ndim(x, 4, "x", "(N, C, H, W)")
    require_ndim(w, 4, "w", "(F, C, kH, kW)")
    require_ndim(b, 1, "b", "(F,)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"channel mismatch: x {x.shape} has C={x.shape[1]} but w {w.shape} has C={w.shape[1]}"
        )
    if b.shape[0] != w.shape[0]:
        raise ValueError(f"bias {b.shape} must have one entry per filter: w {w.shape} has F={w.shape[0]}")
    if min(w.shape[2:]) < 1:
        raise ValueError(f"kernel must be at least 1x1, got w {w.shape}")
    require_nonempty_axes(w.shape, {0: "F", 1: "C"}, "w", "(F, C, kH, kW)")
    stride = as_pair(stride, "stride", minimum=1)
    padding = as_pair(padding, "padding", minimum=0)
    require_window_fits(x.shape[2:], w.shape[2:], padding, "kernel")
    for array, name in ((x, "x"), (w, "w"), (b, "b")):
        require_finite(array, name)
    dtype = np.result_type(x, w, b)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), b.astype(dtype, copy=False), stride, padding


def _conv_output_shape(x_shape, w_shape, stride, padding):
    N, _, H, W = x_shape
    F, _, kH, kW = w_shape
    return (N, F, output_size(H, kH, stride[0], padding[0]), output_size(W, kW, stride[1], padding[1]))


def _check_cache(cache):
    """The cache, checked to be a Conv2dCache whose fields fit together."""
    require_cache(cache, Conv2dCache, "conv2d")
    x, w, b = cache_array(cache, "x", 4), cache_array(cache, "w", 4), cache_array(cache, "b", 1)
    stride, padding = cache_pair(cache, "stride", 1), cache_pair(cache, "padding", 0)
    if not x.dtype == w.dtype == b.dtype:
        raise cache_mismatch(cache, f"x, w and b have dtypes {x.dtype}, {w.dtype} and {b.dtype}")
    if x.shape[1] != w.shape[1] or b.shape[0] != w.shape[0] or min(w.shape[:2]) == 0:
        raise cache_mismatch(cache, f"x {x.shape}, w {w.shape} and b {b.shape}")
    padded = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    if w.shape[2] > padded[0] or w.shape[3] > padded[1] or min(w.shape[2:]) < 1:
        raise cache_mismatch(cache, f"the kernel {w.shape[2:]} does not fit the padded input {padded}")
    return cache


def _check_dout(dout, cache):
    x, w, _, stride, padding = _check_cache(cache)
    dout = as_float_array(dout, "dout")
    require_shape(dout, _conv_output_shape(x.shape, w.shape, stride, padding), "dout", "the forward output's shape")
    require_finite(dout, "dout")
    return dout.astype(x.dtype, copy=False)


def _unpad(xp, padding, H, W):
    # Explicit end indices: xp[p:-p] would be empty when p == 0.
    ph, pw = padding
    return xp[:, :, ph:ph + H, pw:pw + W]


def conv2d_forward_naive(x, w, b, stride=1, padding=0):
    """Convolution layer, forward, as loops: out[n,f,i,j] = sum_{c,a,b} xpad[n,c,i*sh+a,j*sw+b] * w[f,c,a,b] + b[f].

    x (N, C, H, W), w (F, C, kH, kW), b (F,) -> out (N, F, Ho, Wo), cache.
    stride, padding: int or (h, w) pair.
    """
    x, w, b, stride, padding = _check_conv_inputs(x, w, b, stride, padding)
    N, F, Ho, Wo = _conv_output_shape(x.shape, w.shape, stride, padding)
    kH, kW = w.shape[2:]
    sh, sw = stride
    xp = pad2d(x, padding)
    out = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * sh:i * sh + kH, j * sw:j * sw + kW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, Conv2dCache(x, w, b, stride, padding)


def conv2d_backward_naive(dout, cache):
    """Convolution layer, backward, as loops: each output position hands dout back to
    the window it read (dx) and to the weights it used (dw).

    dout (N, F, Ho, Wo), cache from a conv2d forward -> dx (N, C, H, W), dw (F, C, kH, kW), db (F,).
    """
    dout = _check_dout(dout, cache)
    x, w, _, (sh, sw), padding = cache
    N, F, Ho, Wo = dout.shape
    kH, kW = w.shape[2:]
    xp = pad2d(x, padding)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    rows, cols = slice(i * sh, i * sh + kH), slice(j * sw, j * sw + kW)
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * w[f]
                    dw[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
    db = dout.sum(axis=(0, 2, 3))
    return _unpad(dxp, padding, *x.shape[2:]), dw, db


def _windows(xp, kernel_hw, stride, out_hw):
    """View (N, C, Ho, Wo, kH, kW) of every window the kernel visits; no copy."""
    sh, sw = stride
    Ho, Wo = out_hw
    view = sliding_window_view(xp, kernel_hw, axis=(2, 3))
    return view[:, :, :(Ho - 1) * sh + 1:sh, :(Wo - 1) * sw + 1:sw]


def _im2col(xp, kernel_hw, stride, out_hw):
    """Every window as one column: a (C*kH*kW, N*Ho*Wo) matrix (im2col; this copies).

    Row (c, a, b) holds xpad[n, c, i*sh + a, j*sw + b] for every output position
    (n, i, j). The row order matches w.reshape(F, C*kH*kW), so the whole layer
    becomes one matrix product. The column order keeps (i, j) innermost, so the copy
    reads x along its rows, and one large product is what BLAS does fastest.
    """
    N, C = xp.shape[:2]
    kH, kW = kernel_hw
    windows = _windows(xp, kernel_hw, stride, out_hw)  # (N, C, Ho, Wo, kH, kW)
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * kH * kW, N * out_hw[0] * out_hw[1])


def _columns_of(cache, out_hw):
    """The window matrix of a checked cache: the one the vectorised forward kept, or,
    for a cache without one (naive forward, `_replace`), built from its x."""
    x, w, _, stride, padding = cache
    columns = cache.columns
    expected = (w.shape[1] * w.shape[2] * w.shape[3], x.shape[0] * out_hw[0] * out_hw[1])
    if columns is None:
        return _im2col(pad2d(x, padding), w.shape[2:], stride, out_hw)
    if not (isinstance(columns, np.ndarray) and columns.shape == expected and columns.dtype == x.dtype):
        raise cache_mismatch(cache, f"columns must be the {expected} window matrix of x in {x.dtype}, "
                                    f"got {describe(columns)}")
    return columns


def conv2d_forward(x, w, b, stride=1, padding=0):
    """Convolution layer, forward (vectorised; same result and cache as the naive version).

    x (N, C, H, W), w (F, C, kH, kW), b (F,) -> out (N, F, Ho, Wo), cache.
    stride, padding: int or (h, w) pair; Ho = (H + 2*ph - kH) // sh + 1.
    The naive version's sum over (c, a, b) for every (n, f, i, j) is one matrix
    product: (F, C*kH*kW) weights @ (C*kH*kW, N*Ho*Wo) windows.
    """
    x, w, b, stride, padding = _check_conv_inputs(x, w, b, stride, padding)
    N, F, Ho, Wo = _conv_output_shape(x.shape, w.shape, stride, padding)
    columns = _im2col(pad2d(x, padding), w.shape[2:], stride, (Ho, Wo))
    out = (w.reshape(F, -1) @ columns).reshape(F, N, Ho, Wo)  # (F, N, Ho, Wo)
    out += b[:, None, None, None]
    # The cache keeps the window matrix: dw needs exactly it, and building it is the
    # dearest copy of the layer (C*kH*kW times the size of x).
    cache = Conv2dCache(x, w, b, stride, padding)
    cache.columns = columns
    return out.transpose(1, 0, 2, 3).copy(), cache


def conv2d_backward(dout, cache):
    """Convolution layer, backward (vectorised).

    dout (N, F, Ho, Wo), cache -> dx (N, C, H, W), dw (F, C, kH, kW), db (F,).
    dw[f,c,a,b] = sum_{n,i,j} dout[n,f,i,j] * xpad[n,c,i*sh+a,j*sw+b]   (input correlated with dout)
    dx: every kernel offset (a, b) adds dout . w[:, :, a, b] onto the strided slice it read.
    Rows/columns no window reached get zero gradient.
    """
    dout = _check_dout(dout, cache)
    x, w, _, stride, padding = cache
    N, F, Ho, Wo = dout.shape
    C, kH, kW = w.shape[1:]
    sh, sw = stride
    db = dout.sum(axis=(0, 2, 3))
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(F, N * Ho * Wo)  # one row per filter
    # dw as (windows @ dout_rows.T).T, the same product turned over: measured 1.2-1.5x
    # faster in OpenBLAS than dout_rows @ windows.T, in float32 and float64 alike.
    dw = (_columns_of(cache, (Ho, Wo)) @ dout_rows.T).T.reshape(w.shape)
    dxp = np.zeros((N, C, x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]), dtype=x.dtype)
    dxp_by_channel = dxp.transpose(1, 0, 2, 3)  # a view (C, N, Hp, Wp): writes land in dxp
    # A few images at a time, about a million window gradients (a few MB): they are
    # still in the CPU cache when the offset loop adds them back. One matrix for the
    # whole batch (C*kH*kW times the size of x) made this part 1.4-1.6x slower.
    images_per_step = max(1, 2**20 // (C * kH * kW * Ho * Wo))
    w_rows = w.reshape(F, -1)  # (F, C*kH*kW), one row per filter
    for n0 in range(0, N, images_per_step):
        n1 = min(N, n0 + images_per_step)
        positions = slice(n0 * Ho * Wo, n1 * Ho * Wo)  # the output positions of images n0 .. n1-1
        # The gradient w.r.t. the window each of them read: (C, kH, kW, n1-n0, Ho, Wo).
        dwindows = (w_rows.T @ dout_rows[:, positions]).reshape(C, kH, kW, n1 - n0, Ho, Wo)
        for a in range(kH):
            for b in range(kW):  # (a, b): the kernel offset, as in the docstring
                target = dxp_by_channel[:, n0:n1, a:a + (Ho - 1) * sh + 1:sh, b:b + (Wo - 1) * sw + 1:sw]
                target += dwindows[:, a, b]
    return _unpad(dxp, padding, *x.shape[2:]), dw, db
