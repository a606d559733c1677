"""Input validation shared by every layer.

Bad input must fail loudly with the offending shapes or values in the message,
never as an IndexError, a broadcast error or a silently wrong answer.
"""
import numbers

import numpy as np


def as_float_array(value, name):
    """Return `value` as a floating-point array (integers become float64).

    Never copies a float array, and never writes to it: callers must not
    mutate what this returns.
    """
    array = np.asarray(value)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real, got dtype {array.dtype}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


def require_ndim(array, ndim, name, layout):
    """Raise unless `array` has `ndim` axes; `layout` (e.g. "(N, C, H, W)") names them."""
    if array.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D {layout}, got shape {array.shape} ({array.ndim}-D)"
        )


def require_no_nan(array, name):
    """Raise if `array` holds NaN: it would spread through every sum it enters."""
    if np.isnan(array).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(array))[0])
        raise ValueError(f"{name} of shape {array.shape} contains NaN (first at index {where})")


def require_finite(array, name):
    """Raise if `array` holds NaN or +-inf (where 0 * inf = NaN would poison a result)."""
    if not np.isfinite(array).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(
            f"{name} of shape {array.shape} must be finite, got {array[where]} at index {where}"
        )


def require_shape(array, expected, name, why=""):
    """Raise unless `array.shape == expected`."""
    if tuple(array.shape) != tuple(expected):
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must have shape {tuple(expected)}{reason}, got {array.shape}")


def as_pair(value, name, minimum):
    """Turn an int or an (h, w) pair into a tuple of two ints, each >= `minimum`."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        pair = (int(value), int(value))
    else:
        try:
            pair = tuple(value)
        except TypeError:
            raise ValueError(f"{name} must be an int or an (h, w) pair of ints, got {value!r}") from None
        if len(pair) != 2 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair
        ):
            raise ValueError(f"{name} must be an int or an (h, w) pair of ints, got {value!r}")
        pair = (int(pair[0]), int(pair[1]))
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return pair


def output_size(size, kernel, stride, padding):
    """Output length along one axis, PyTorch's floor rule: (H + 2p - k) // s + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def require_window_fits(input_hw, window_hw, padding_hw, what):
    """Raise if a window of `window_hw` does not fit once in the padded input."""
    padded = (input_hw[0] + 2 * padding_hw[0], input_hw[1] + 2 * padding_hw[1])
    if window_hw[0] > padded[0] or window_hw[1] > padded[1]:
        raise ValueError(
            f"{what} {tuple(window_hw)} is larger than the padded input {padded} "
            f"(input {tuple(input_hw)}, padding {tuple(padding_hw)})"
        )
