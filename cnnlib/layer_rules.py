"""Notebook 04's rules for real layers, built from the single-map helpers of `cnnlib.signal`.

Layout NCHW, forward z = conv2d(x, w, b, stride, padding) with x (N, C, H, W),
w (F, C, kH, kW), dout = dL/dz (N, F, Ho, Wo). The rules, as sums of single maps:

    dW[f, c] = sum_n  correlate2d(xpad[n, c], dilate(dout[n, f]))               (valid)
    dX[n, c] = crop_p( sum_f  correlate2d(pad_{k-1}(dilate(dout[n, f])), rot180(w[f, c])) )

The dX rule per map is notebook 03's, `cnnlib.single_map.full_convolution_layout`
(dilate, grow for the floor rule, pad by k - 1, correlate with rot180, crop), used here
as it is: the only new step is the sum over f. The two layer functions loop over
n, f, c on purpose, so each line matches the formula;
`conv2d_backward` computes the same sums in bulk (the tests compare them, and both
with finite differences). Nothing here mutates its arguments.
"""
import numbers

import numpy as np

from .checks import as_float_array, as_pair, output_size, require_finite, require_ndim
from .signal import correlate2d, dilate, pad2d
from .single_map import full_convolution_layout


def _shape4(x_shape):
    if (not isinstance(x_shape, (tuple, list)) or len(x_shape) != 4
            or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1 for n in x_shape)):
        raise ValueError(f"x_shape must be 4 positive ints (N, C, H, W), got {x_shape!r}")
    return tuple(int(n) for n in x_shape)


def _array(value, name, ndim, layout):
    array = as_float_array(value, name)
    require_ndim(array, ndim, name, layout)
    require_finite(array, name)
    return array


def _check_dout(dout, x_shape, kernel_hw, stride, padding, filters=None):
    """dout must be (N, F, Ho, Wo) with the floor rule's Ho, Wo for this layer."""
    N, _, H, W = x_shape
    (kH, kW), (sh, sw), (ph, pw) = kernel_hw, stride, padding
    if kH > H + 2 * ph or kW > W + 2 * pw:
        raise ValueError(f"kernel {(kH, kW)} is larger than the padded input {(H + 2 * ph, W + 2 * pw)}")
    Ho, Wo = output_size(H, kH, sh, ph), output_size(W, kW, sw, pw)
    F = dout.shape[1] if filters is None else filters
    if dout.shape != (N, F, Ho, Wo):
        raise ValueError(f"dout must have shape (N, F, Ho, Wo) = {(N, F, Ho, Wo)} for x {x_shape}, "
                         f"kernel {(kH, kW)}, stride {(sh, sw)}, padding {(ph, pw)}; got {dout.shape}")


def input_gradient_from_2d_helpers(dout, w, x_shape, stride=1, padding=0):
    """dL/dx of a conv layer from single maps: notebook 03's rule for each (n, c, f), summed over f.

    dout (N, F, Ho, Wo), w (F, C, kH, kW), x_shape (N, C, H, W), stride and padding ints
    or pairs -> dx (N, C, H, W). Input channel c fed every filter f, so its gradient is
    the sum over f; the padding is cropped at the end (rows p .. p + H - 1).
    """
    x_shape = _shape4(x_shape)
    dout = _array(dout, "dout", 4, "(N, F, Ho, Wo)")
    w = _array(w, "w", 4, "(F, C, kH, kW)")
    stride, padding = as_pair(stride, "stride", 1), as_pair(padding, "padding", 0)
    N, C, H, W = x_shape
    if w.shape[1] != C:
        raise ValueError(f"w {w.shape} has {w.shape[1]} input channels but x_shape {x_shape} has C = {C}")
    _check_dout(dout, x_shape, w.shape[2:], stride, padding, filters=w.shape[0])
    dx = np.zeros(x_shape)
    for n in range(N):
        for c in range(C):
            for f in range(w.shape[0]):   # notebook 03's rule per map (cropped there), summed over f
                dx[n, c] += full_convolution_layout(dout[n, f], w[f, c], stride, padding,
                                                    (H, W)).input_gradient
    return dx


def weight_gradient_from_2d_helpers(x, dout, kernel_hw, stride=1, padding=0):
    """dL/dw of a conv layer from single maps: dW[f, c] = sum_n correlate2d(xpad[n, c], dilate(dout[n, f])).

    x (N, C, H, W), dout (N, F, Ho, Wo), kernel_hw (kH, kW), stride and padding ints or
    pairs -> dw (F, C, kH, kW). Rows/columns of the padded input that no window reached
    (floor rule) are left out before correlating, so the valid correlation has kH x kW entries.
    """
    x = _array(x, "x", 4, "(N, C, H, W)")
    dout = _array(dout, "dout", 4, "(N, F, Ho, Wo)")
    kernel_hw = as_pair(tuple(kernel_hw) if isinstance(kernel_hw, list) else kernel_hw, "kernel_hw", 1)
    stride, padding = as_pair(stride, "stride", 1), as_pair(padding, "padding", 0)
    _check_dout(dout, x.shape, kernel_hw, stride, padding)
    (kH, kW), (N, F, Ho, Wo) = kernel_hw, dout.shape
    used_rows, used_cols = (Ho - 1) * stride[0] + kH, (Wo - 1) * stride[1] + kW
    dw = np.zeros((F, x.shape[1], kH, kW))
    for n in range(N):
        for f in range(F):
            spread = dilate(dout[n, f], stride)
            for c in range(x.shape[1]):
                read = pad2d(x[n, c], padding)[:used_rows, :used_cols]
                dw[f, c] += correlate2d(read, spread)
    return dw
