"""A single-channel convolution layer written as a matrix, and its im2col view.

The layer of the series (a cross-correlation, stride s, zero padding P, no bias)
is linear in its input, so it is a matrix K:

    vec(z^{l+1}) = K vec(z^l),     K of shape (Ho*Wo, H*W),  vec = row-major ravel.

Row (i, j) of K is output (i, j); it holds w[a, b] in the column of the input entry
that output reads with kernel offset (a, b) (0-based):

    K[i*Wo + j, r*W + c] = w[r + P - s*i, c + P - s*j]   when that kernel index exists,
                           0                             otherwise.

Every row holds the same kH*kW weights (weight sharing); everything else is zero.
Padding cells are constants, not inputs, so they get no column. Backpropagation
through a linear map is the dense rule, delta^l = K^T delta^{l+1}: that product is
the transposed convolution (dilate by s, full convolution with rot180(w), crop P).

`im2col_matrix` is the other matrix view, the one notebook 04 and `conv2d_forward`
use: one column per window, so that vec(z^{l+1}) = vec(w) @ cols and
dW = (cols @ vec(delta^{l+1})) reshaped to (kH, kW).
"""
import numpy as np

from .checks import as_float_array, as_pair, output_size, require_ndim, require_no_nan, require_window_fits
from .signal import pad2d


def _check_geometry(kernel_shape, input_shape, stride, padding):
    kH, kW = as_pair(kernel_shape, "kernel_shape", minimum=1)
    H, W = as_pair(input_shape, "input_shape", minimum=1)
    stride = as_pair(stride, "stride", minimum=1)
    padding = as_pair(padding, "padding", minimum=0)
    require_window_fits((H, W), (kH, kW), padding, "kernel")
    out_hw = (output_size(H, kH, stride[0], padding[0]), output_size(W, kW, stride[1], padding[1]))
    return (kH, kW), (H, W), stride, padding, out_hw


def weight_index_matrix(kernel_shape, input_shape, stride=1, padding=0):
    """Which weight sits in each entry of K: an int array (Ho*Wo, H*W).

    Entry = a*kW + b (the row-major index of w[a, b], 0-based) where output row
    i*Wo + j reads input column r*W + c with kernel offset (a, b); -1 where K is zero.
    kernel_shape (kH, kW), input_shape (H, W): ints or pairs; stride >= 1, padding >= 0.
    """
    (kH, kW), (H, W), (sh, sw), (ph, pw), (Ho, Wo) = _check_geometry(kernel_shape, input_shape, stride, padding)
    index = np.full((Ho * Wo, H * W), -1, dtype=np.intp)
    for i in range(Ho):
        for j in range(Wo):
            for a in range(kH):
                for b in range(kW):
                    r, c = sh * i + a - ph, sw * j + b - pw   # the input entry under w[a, b]
                    if 0 <= r < H and 0 <= c < W:           # else it is a padding zero: no column
                        index[i * Wo + j, r * W + c] = a * kW + b
    return index


def conv_matrix(w, input_shape, stride=1, padding=0):
    """The matrix K of a single-channel convolution layer: vec(out) = K @ vec(x).

    w (kH, kW); input_shape (H, W) of x; stride, padding: int or (h, w) pair.
    Returns K (Ho*Wo, H*W), a new float array, with Ho = (H + 2P - kH)//s + 1.
    out = (K @ x.ravel()).reshape(Ho, Wo) equals conv2d_forward on x with zero bias.
    """
    w = as_float_array(w, "w")
    require_ndim(w, 2, "w", "(kH, kW)")
    require_no_nan(w, "w")
    index = weight_index_matrix(w.shape, input_shape, stride, padding)
    return np.where(index >= 0, w.ravel()[np.maximum(index, 0)], 0.0).astype(w.dtype)


def im2col_matrix(x, kernel_shape, stride=1, padding=0):
    """Every window of the (padded) input as one column: cols (kH*kW, Ho*Wo), a copy.

    x (H, W); row a*kW + b of cols holds xpad[s*i + a, s*j + b] for output column
    i*Wo + j. Then vec(out) = w.ravel() @ cols, and the weight gradient is
    dW = (cols @ delta.ravel()).reshape(kH, kW), i.e. X star delta.
    This is `conv2d_forward`'s im2col for one sample and one channel.
    """
    x = as_float_array(x, "x")
    require_ndim(x, 2, "x", "(H, W)")
    require_no_nan(x, "x")
    (kH, kW), _, (sh, sw), padding, (Ho, Wo) = _check_geometry(kernel_shape, x.shape, stride, padding)
    xp = pad2d(x, padding)
    cols = np.empty((kH * kW, Ho * Wo), dtype=x.dtype)
    for a in range(kH):
        for b in range(kW):
            cols[a * kW + b] = xp[a:a + (Ho - 1) * sh + 1:sh, b:b + (Wo - 1) * sw + 1:sw].ravel()
    return cols
