"""The single-map rule of notebook 03: the error of a conv layer's input, step by step.

For one channel, forward z^{l+1} = correlate(pad(z^l, P), w) with stride s and the kernel
anchored at its top-left corner, the error of the input is

    delta^l = crop_P( correlate( pad_{k-1}( grow( dilate_s(delta^{l+1}) ) ), rot180(w) ) )

1. dilate:  s - 1 zeros between neighbouring entries of delta^{l+1} (back on the stride-1 grid);
2. grow:    zero rows/columns at the bottom/right for the floor rule (input rows that no
            forward window read get zero error);
3. pad:     k - 1 zeros on every side (out-of-range delta^{l+1} counts as 0);
4. correlate with rot180(w): the full convolution of delta^{l+1} with w;
5. crop:    the forward padding P from each side (explicit ends, safe for P = 0).

`full_convolution_layout` keeps every intermediate array (the notebook, its figures and
its explorer show them); `scatter_terms` and `gather_window` give the two views of one
position (m, n), in the question's 1-based indices. Tested in tests/test_single_map.py
against conv2d_backward, finite differences and scipy. Inputs are never modified and no
returned array aliases an input.
"""
from dataclasses import dataclass

import numpy as np

from .checks import as_float_array, as_pair, output_size, require_finite, require_ndim
from .signal import correlate2d, dilate, pad2d, rot180

__all__ = ["FullConvolutionLayout", "ScatterTerm", "full_convolution_layout", "scatter_terms",
           "gather_window", "floor_rule_extra"]


@dataclass
class FullConvolutionLayout:
    """Every array of the gather view, 0-based numpy arrays (labels in figures are 1-based).

    delta:                 (Ho, Wo) the error of the layer's output, delta^{l+1} (a copy)
    kernel:                (kH, kW) the weights w^{l+1} (a copy)
    rotated_kernel:        (kH, kW) rot180(kernel)
    dilated_delta:         ((Ho-1)*sh + 1, (Wo-1)*sw + 1), stride - 1 zeros between entries
    extra:                 (rows, cols) of zeros added at the bottom/right for the floor rule
    padded_delta:          (H + 2ph + kH - 1, W + 2pw + kW - 1): dilated delta, `extra`
                           zeros at the bottom/right, then kH-1 / kW-1 zeros on every side
    padded_input_gradient: (H + 2ph, W + 2pw) = correlate2d(padded_delta, rotated_kernel)
    input_gradient:        (H, W), the padded one with ph / pw cropped from each side
    """
    delta: np.ndarray
    kernel: np.ndarray
    rotated_kernel: np.ndarray
    dilated_delta: np.ndarray
    extra: tuple
    padded_delta: np.ndarray
    padded_input_gradient: np.ndarray
    input_gradient: np.ndarray
    stride: tuple
    padding: tuple
    input_shape: tuple

    @property
    def border(self):
        """Zeros put around the grown, dilated delta on each side: (kH - 1, kW - 1)."""
        return (self.kernel.shape[0] - 1, self.kernel.shape[1] - 1)


def floor_rule_extra(input_shape, kernel_shape, stride, padding):
    """Rows and columns of the padded input after the last forward window (floor rule).

    The last window ends at row (Ho - 1) * s + kH of the padded input (1-based); the
    H + 2P - that rows after it were never read. Returns (rows, cols), each >= 0.
    """
    (H, W), (kH, kW) = input_shape, kernel_shape
    (sh, sw), (ph, pw) = as_pair(stride, "stride", 1), as_pair(padding, "padding", 0)
    Ho, Wo = output_size(H, kH, sh, ph), output_size(W, kW, sw, pw)
    return (H + 2 * ph - ((Ho - 1) * sh + kH), W + 2 * pw - ((Wo - 1) * sw + kW))


def full_convolution_layout(delta, w, stride=1, padding=0, input_shape=None):
    """The gather view of dJ/dz^l for one channel, step by step.

    delta (Ho, Wo): error of the conv output; w (kH, kW); stride >= 1, padding >= 0: int
    or (h, w). input_shape (H, W) of the layer's input z^l: needed when stride > 1, since
    several input sizes give the same Ho (floor rule); default the smallest,
    H = (Ho - 1) * sh + kH - 2 * ph. Returns a FullConvolutionLayout whose
    `input_gradient` (H, W) equals dx of `conv2d_backward` for one sample and channel.
    ValueError for non-2-D, empty, non-finite or inconsistent shapes.
    """
    delta = np.array(as_float_array(delta, "delta"), dtype=np.float64)   # a copy: never aliased
    w = np.array(as_float_array(w, "w"), dtype=np.float64)
    require_ndim(delta, 2, "delta", "(Ho, Wo)")
    require_ndim(w, 2, "w", "(kH, kW)")
    require_finite(delta, "delta")
    require_finite(w, "w")
    if min(w.shape) < 1 or min(delta.shape) < 1:
        raise ValueError(f"delta {delta.shape} and w {w.shape} must not be empty")
    sh, sw = as_pair(stride, "stride", minimum=1)
    ph, pw = as_pair(padding, "padding", minimum=0)
    kH, kW = w.shape
    Ho, Wo = delta.shape
    if input_shape is None:
        input_shape = ((Ho - 1) * sh + kH - 2 * ph, (Wo - 1) * sw + kW - 2 * pw)
    H, W = as_pair(input_shape, "input_shape", minimum=1)
    if H + 2 * ph < kH or W + 2 * pw < kW:
        raise ValueError(f"kernel {w.shape} is larger than the padded input {(H + 2 * ph, W + 2 * pw)} "
                         f"(input {(H, W)}, padding {(ph, pw)})")
    expected = (output_size(H, kH, sh, ph), output_size(W, kW, sw, pw))
    if expected != (Ho, Wo):
        raise ValueError(
            f"delta {delta.shape} is not the output shape of input {(H, W)} with kernel {w.shape}, "
            f"stride {(sh, sw)}, padding {(ph, pw)} (that would be {expected})")
    dilated = dilate(delta, (sh, sw))                                      # 1. dilate
    extra = floor_rule_extra((H, W), (kH, kW), (sh, sw), (ph, pw))
    grown = np.pad(dilated, ((0, extra[0]), (0, extra[1])))               # 2. grow (floor rule)
    padded = pad2d(grown, (kH - 1, kW - 1))                                # 3. pad by k - 1
    rotated = rot180(w).copy()
    padded_gradient = correlate2d(padded, rotated)                         # 4. correlate with rot180(w)
    gradient = padded_gradient[ph:ph + H, pw:pw + W].copy()                # 5. crop: explicit ends
    return FullConvolutionLayout(delta, w, rotated, dilated, extra, padded, padded_gradient,
                                 gradient, (sh, sw), (ph, pw), (H, W))


@dataclass
class ScatterTerm:
    """One output that input position (m, n) fed: z^{l+1}_{output} got z^l_{m,n} * w_{weight}.

    output, weight: 1-based (row, col) pairs, as in the question; delta_value, weight_value
    the numbers; product = delta_value * weight_value, this term's share of delta^l_{m,n}.
    """
    output: tuple
    weight: tuple
    delta_value: float
    weight_value: float

    @property
    def product(self):
        return self.delta_value * self.weight_value


def _require_position(layout, m, n):
    H, W = layout.input_shape
    if isinstance(m, bool) or isinstance(n, bool) or not all(isinstance(v, (int, np.integer)) for v in (m, n)):
        raise TypeError(f"position (m, n) must be integers, got {(m, n)!r}")
    if not (1 <= m <= H and 1 <= n <= W):
        raise ValueError(f"position (m, n) = {(m, n)} is outside the input 1..{H} x 1..{W} (1-based)")


def scatter_terms(layout, m, n):
    """The scatter view of input position (m, n), 1-based in the unpadded input.

    Every output (p, q) whose window covered z^l_{m,n}, with the weight (i, j) it used:
    s(p-1) + i = m + P (1-based), row-major. Their products sum to
    layout.input_gradient[m-1, n-1]; empty when no window reached (m, n) (floor rule).
    """
    _require_position(layout, m, n)
    (sh, sw), (ph, pw) = layout.stride, layout.padding
    kH, kW = layout.kernel.shape
    Ho, Wo = layout.delta.shape
    row, col = m - 1 + ph, n - 1 + pw          # 0-based row/col in the padded input
    terms = []
    for p in range(Ho):
        u = row - p * sh                        # 0-based kernel row output p laid on this input row
        if not 0 <= u < kH:
            continue
        for q in range(Wo):
            v = col - q * sw
            if 0 <= v < kW:
                terms.append(ScatterTerm((p + 1, q + 1), (u + 1, v + 1),
                                         float(layout.delta[p, q]), float(layout.kernel[u, v])))
    return terms


def gather_window(layout, m, n):
    """The gather view of input position (m, n), 1-based in the unpadded input.

    Returns (top, left), the 0-based top-left corner in layout.padded_delta of the window
    rot180(w) covers for delta^l_{m,n} = sum(padded_delta[top:top+kH, left:left+kW] * rot180(w)).
    """
    _require_position(layout, m, n)
    return (m - 1 + layout.padding[0], n - 1 + layout.padding[1])
