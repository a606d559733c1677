"""2-D pooling layers: max-pool and average pooling.

Layout NCHW: x (N, C, H, W) -> out (N, C, Ho, Wo), Ho = (H - size_h) // stride_h + 1.

Backward rule: each window's upstream gradient goes to the one input that won the
max; every other input of that window gets exactly zero from it. Ties: the *first*
maximum in row-major order within the window wins (as PyTorch does), so a tied
window still passes its gradient on exactly once. Where windows overlap
(stride < size) an input can win several windows; its gradients add up.

Average pooling: out = mean of each window; backward, each window's upstream
gradient is *shared*: every one of its size_h*size_w inputs gets dout / (size_h*size_w)
(the right rule for this layer, and the classic wrong answer for max-pool).

Two implementations with one cache format: `*_naive` loops over windows
(read these first); the default one does the same with numpy in bulk.
"""
from typing import NamedTuple

import numpy as np

from .checks import (
    as_float_array,
    as_pair,
    cache_array,
    cache_dtype,
    cache_mismatch,
    cache_pair,
    cache_shape,
    output_size,
    require_cache,
    require_finite,
    require_ndim,
    require_nonempty_axes,
    require_shape,
    require_window_fits,
)


class MaxPool2dCache(NamedTuple):
    """What maxpool2d_forward (either version) hands to maxpool2d_backward: the input's
    shape (N, C, H, W) and dtype, the winners (N, C, Ho, Wo), size and stride pairs."""

    x_shape: tuple         # (N, C, H, W)
    dtype: np.dtype
    winners: np.ndarray    # (N, C, Ho, Wo) ints: row-major index of each window's max
    size: tuple            # (kh, kw)
    stride: tuple          # (sh, sw)
    made_by = "maxpool2d_forward"


class AvgPool2dCache(NamedTuple):
    """What avgpool2d_forward (either version) hands to avgpool2d_backward: only
    shapes, no values (the backward of a mean does not depend on the inputs)."""

    x_shape: tuple         # (N, C, H, W)
    dtype: np.dtype
    size: tuple            # (kh, kw)
    stride: tuple          # (sh, sw)
    made_by = "avgpool2d_forward"


def _check_pool_inputs(x, size, stride, allow_negative_inf):
    x = as_float_array(x, "x")
    require_ndim(x, 4, "x", "(N, C, H, W)")
    require_nonempty_axes(x.shape, {1: "C"}, "x", "(N, C, H, W)")
    size = as_pair(size, "size", minimum=1)
    stride = size if stride is None else as_pair(stride, "stride", minimum=1)
    require_window_fits(x.shape[2:], size, (0, 0), "pool window")
    require_finite(x, "x", allow_negative_inf=allow_negative_inf)
    out_hw = tuple(output_size(n, k, s, 0) for n, k, s in zip(x.shape[2:], size, stride))
    return x, size, stride, out_hw


def _pool_output_shape(cache):
    """(N, C, Ho, Wo) from a pool cache, after checking its shape fields."""
    x_shape = cache_shape(cache, "x_shape", 4)
    cache_dtype(cache, "dtype")
    size, stride = cache_pair(cache, "size", 1), cache_pair(cache, "stride", 1)
    if size[0] > x_shape[2] or size[1] > x_shape[3] or x_shape[1] == 0:
        raise cache_mismatch(cache, f"window {size} and input shape {x_shape}")
    return x_shape[:2] + tuple(output_size(n, k, s, 0) for n, k, s in zip(x_shape[2:], size, stride))


def _check_dout_against(dout, cache, out_shape):
    dout = as_float_array(dout, "dout")
    require_shape(dout, out_shape, "dout", "the forward output's shape")
    require_finite(dout, "dout")
    return dout.astype(cache.dtype, copy=False)


def _check_dout(dout, cache):
    require_cache(cache, MaxPool2dCache, "maxpool2d")
    out_shape = _pool_output_shape(cache)
    winners = cache_array(cache, "winners", 4, kind="int")
    if winners.shape != out_shape:
        raise cache_mismatch(cache, f"winners {winners.shape} but the output shape is {out_shape}")
    if winners.size and (winners.min() < 0 or winners.max() >= cache.size[0] * cache.size[1]):
        raise cache_mismatch(cache, f"winners must lie in 0 .. {cache.size[0] * cache.size[1] - 1}, "
                                    f"got {int(winners.min())} .. {int(winners.max())}")
    return _check_dout_against(dout, cache, out_shape)


def maxpool2d_forward_naive(x, size=2, stride=None):
    """Max-pool, forward, as loops over windows.

    x (N, C, H, W); size, stride: int or (h, w) pair, stride defaults to size
    -> out (N, C, Ho, Wo), cache. The cache records, per window, the row-major
    index (0 .. size_h*size_w - 1) of the input that won.
    """
    x, (kh, kw), (sh, sw), (Ho, Wo) = _check_pool_inputs(x, size, stride, allow_negative_inf=True)
    N, C = x.shape[:2]
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    winners = np.zeros((N, C, Ho, Wo), dtype=np.intp)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    winners[n, c, i, j] = np.argmax(window)  # first max, row-major
                    out[n, c, i, j] = window.max()
    return out, MaxPool2dCache(x.shape, x.dtype, winners, (kh, kw), (sh, sw))


def maxpool2d_backward_naive(dout, cache):
    """Max-pool, backward, as loops: dout of each window goes to its winner only.

    dout (N, C, Ho, Wo), cache -> dx (N, C, H, W).
    """
    dout = _check_dout(dout, cache)
    x_shape, _, winners, (kh, kw), (sh, sw) = cache
    dx = np.zeros(x_shape, dtype=dout.dtype)
    N, C, Ho, Wo = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    a, b = divmod(winners[n, c, i, j], kw)
                    dx[n, c, i * sh + a, j * sw + b] += dout[n, c, i, j]  # += : windows may overlap
    return dx


def _offset_slice(array, a, b, stride, out_hw):
    """array[:, :, i*sh + a, j*sw + b] for every output position (i, j): (N, C, Ho, Wo), a view."""
    (sh, sw), (Ho, Wo) = stride, out_hw
    return array[:, :, a:a + (Ho - 1) * sh + 1:sh, b:b + (Wo - 1) * sw + 1:sw]


def maxpool2d_forward(x, size=2, stride=None):
    """Max-pool, forward (vectorised; same result and cache as the naive version).

    x (N, C, H, W); size, stride: int or (h, w) pair, stride defaults to size
    -> out (N, C, Ho, Wo), cache.

    Instead of looping over windows, loop over the kh*kw offsets inside a window:
    offset (a, b) of every window at once is one strided slice of x. Walking the
    offsets in row-major order and keeping a running maximum finds each window's
    max, and its first position in row-major order, like np.argmax.
    """
    x, (kh, kw), stride, out_hw = _check_pool_inputs(x, size, stride, allow_negative_inf=True)
    out = _offset_slice(x, 0, 0, stride, out_hw).copy()
    # The smallest integer type that holds kh*kw - 1 (uint8 for windows up to 16x16):
    # less memory to sweep on every offset. The cache gets the usual intp array.
    winners = np.zeros(out.shape, dtype=np.min_scalar_type(kh * kw - 1))
    for offset in range(1, kh * kw):
        entry = _offset_slice(x, *divmod(offset, kw), stride, out_hw)
        # Strictly greater: on a tie the earlier entry keeps the win (first max, row-major).
        later_wins = entry > out
        np.maximum(out, entry, out=out)
        # winners = offset where later_wins, unchanged elsewhere. Written as arithmetic
        # because np.where / boolean indexing with a random mask is several times slower.
        winners += later_wins * (offset - winners)
    return out, MaxPool2dCache(x.shape, x.dtype, winners.astype(np.intp), (kh, kw), stride)


def maxpool2d_backward(dout, cache):
    """Max-pool, backward (vectorised): one strided slice-add per window offset.

    dout (N, C, Ho, Wo), cache -> dx (N, C, H, W). Rows/columns no window covers get 0.
    For offset (a, b), the windows whose winner sits there pass their dout to the
    slice of x that offset reads; `+=` accumulates where windows overlap.
    """
    dout = _check_dout(dout, cache)
    x_shape, _, winners, (kh, kw), stride = cache
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for offset in range(kh * kw):
        # dout * mask rather than np.where(mask, dout, 0): same values (dout is finite,
        # checked above), several times faster.
        routed = dout * (winners == offset)
        target = _offset_slice(dx, *divmod(offset, kw), stride, dout.shape[2:])
        target += routed
    return dx


# --- average pooling ---------------------------------------------------------------

def _check_avg_dout(dout, cache):
    require_cache(cache, AvgPool2dCache, "avgpool2d")
    return _check_dout_against(dout, cache, _pool_output_shape(cache))


def avgpool2d_forward_naive(x, size=2, stride=None):
    """Average pooling, forward, as loops over windows.

    x (N, C, H, W); size, stride: int or (h, w) pair, stride defaults to size
    -> out (N, C, Ho, Wo), cache. out[n, c, i, j] = mean of the window at (i, j).
    """
    x, (kh, kw), (sh, sw), (Ho, Wo) = _check_pool_inputs(x, size, stride, allow_negative_inf=False)
    N, C = x.shape[:2]
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, c, i, j] = x[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw].mean()
    return out, AvgPool2dCache(x.shape, x.dtype, (kh, kw), (sh, sw))


def avgpool2d_backward_naive(dout, cache):
    """Average pooling, backward, as loops: each window shares its dout equally,
    dout / (size_h * size_w) to every input it read.

    dout (N, C, Ho, Wo), cache -> dx (N, C, H, W).
    """
    dout = _check_avg_dout(dout, cache)
    x_shape, _, (kh, kw), (sh, sw) = cache
    dx = np.zeros(x_shape, dtype=dout.dtype)
    N, C, Ho, Wo = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    # += : where windows overlap (stride < size) an input collects from each.
                    dx[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw] += dout[n, c, i, j] / (kh * kw)
    return dx


def avgpool2d_forward(x, size=2, stride=None):
    """Average pooling, forward (vectorised; same result and cache as the naive version).

    x (N, C, H, W); size, stride: int or (h, w) pair, stride defaults to size
    -> out (N, C, Ho, Wo), cache. The sum over each window is a sum over the
    kh*kw offsets (a, b) of one strided slice of x each.
    """
    x, (kh, kw), stride, out_hw = _check_pool_inputs(x, size, stride, allow_negative_inf=False)
    out = np.zeros(x.shape[:2] + out_hw, dtype=x.dtype)
    for offset in range(kh * kw):
        out += _offset_slice(x, *divmod(offset, kw), stride, out_hw)
    out /= kh * kw
    return out, AvgPool2dCache(x.shape, x.dtype, (kh, kw), stride)


def avgpool2d_backward(dout, cache):
    """Average pooling, backward (vectorised): dout / (kh*kw) added onto the strided
    slice of every window offset; `+=` accumulates where windows overlap.

    dout (N, C, Ho, Wo), cache -> dx (N, C, H, W). Rows/columns no window covers get 0.
    """
    dout = _check_avg_dout(dout, cache)
    x_shape, _, (kh, kw), stride = cache
    dx = np.zeros(x_shape, dtype=dout.dtype)
    share = dout / (kh * kw)
    for offset in range(kh * kw):
        target = _offset_slice(dx, *divmod(offset, kw), stride, dout.shape[2:])
        target += share
    return dx
