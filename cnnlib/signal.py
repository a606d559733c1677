"""2-D helpers on plain matrices: the operations the derivations talk about.

Every function here takes and returns ordinary arrays; the notebooks use them to
state the rules of backpropagation in one line (e.g. dW = correlate2d(X, delta)).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .checks import as_float_array, as_pair, require_finite, require_ndim

_MODES = ("valid", "full")


def rot180(k):
    """Rotate the last two axes by 180 degrees (flip rows and columns).

    k: (..., kH, kW) -> (..., kH, kW), a new array (the input is untouched).
    rot180(k)[i, j] == k[kH-1-i, kW-1-j].
    """
    k = np.asarray(k)
    if k.ndim < 2:
        raise ValueError(f"rot180 needs at least 2 axes, got shape {k.shape}")
    return np.flip(k, axis=(-2, -1)).copy()


def pad2d(x, p):
    """Surround the last two axes with `p` rows/columns of zeros.

    x: (..., H, W); p: int or (ph, pw), >= 0  ->  (..., H + 2ph, W + 2pw).
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"pad2d needs at least 2 axes, got shape {x.shape}")
    ph, pw = as_pair(p, "padding", minimum=0)
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    return np.pad(x, widths)


def dilate(x, stride):
    """Insert stride - 1 zeros between neighbouring entries of the last two axes.

    x: (..., H, W); stride: int or (sh, sw), >= 1  ->  (..., (H-1)*sh + 1, (W-1)*sw + 1).
    This is how a strided layer's delta is spread back onto the stride-1 grid.
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"dilate needs at least 2 axes, got shape {x.shape}")
    sh, sw = as_pair(stride, "stride", minimum=1)
    H, W = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + ((H - 1) * sh + 1 if H else 0, (W - 1) * sw + 1 if W else 0), dtype=x.dtype)
    out[..., ::sh, ::sw] = x
    return out


def correlate2d(x, k, mode="valid"):
    """Cross-correlation of a single map with a single kernel (what CNN layers compute).

    out[i, j] = sum_{a, b} x[i + a, j + b] * k[a, b]        (0-based)

    x: (H, W), k: (kH, kW).
    mode="valid": only positions where k fits inside x -> (H - kH + 1, W - kW + 1).
    mode="full":  every position where k overlaps x at all, as if x were zero-padded
                  by kH-1 rows and kW-1 columns -> (H + kH - 1, W + kW - 1).
    Matches scipy.signal.correlate2d for these modes.
    """
    x = as_float_array(x, "x")
    k = as_float_array(k, "k")
    require_ndim(x, 2, "x", "(H, W)")
    require_ndim(k, 2, "k", "(kH, kW)")
    require_finite(x, "x")
    require_finite(k, "k")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if min(k.shape) == 0 or min(x.shape) == 0:
        raise ValueError(f"x {x.shape} and k {k.shape} must not be empty")
    if mode == "full":
        x = pad2d(x, (k.shape[0] - 1, k.shape[1] - 1))
    elif k.shape[0] > x.shape[0] or k.shape[1] > x.shape[1]:
        raise ValueError(f"in 'valid' mode the kernel {k.shape} must fit inside x {x.shape}")
    windows = sliding_window_view(x, k.shape)  # (Ho, Wo, kH, kW)
    return np.einsum("ijab,ab->ij", windows, k)


def convolve2d(x, k, mode="valid"):
    """True convolution: cross-correlation with the kernel rotated by 180 degrees.

    out[i, j] = sum_{a, b} x[i - a, j - b] * k[a, b]  (out-of-range x counts as 0 in "full")

    x: (H, W), k: (kH, kW); modes and shapes as in `correlate2d`.
    Matches scipy.signal.convolve2d for these modes.
    """
    k = as_float_array(k, "k")
    require_ndim(k, 2, "k", "(kH, kW)")
    return correlate2d(x, rot180(k), mode)
