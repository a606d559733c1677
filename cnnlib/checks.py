"""Input validation shared by every layer.

Bad input must fail loudly with the offending shapes or values in the message,
never as an IndexError, a broadcast error or a silently wrong answer.

The rules, once for the whole library:

- **Non-finite values.** NaN, +inf and -inf in any input of a layer (x, w, b), in
  any upstream gradient dout, in a loss's prediction or labels, and in the images
  given to a model are a ValueError that names the array, its shape and the first
  offending index (`require_finite`). NaN spreads through every sum it enters, and
  inf turns into NaN as soon as it meets a zero (0 * inf) or its opposite (inf - inf).
  **The one exception: max-pool's input x may hold -inf** (the identity of max, what
  frameworks pad or mask with). It never beats a finite entry, the backward only
  routes dout and never multiplies by it, so it cannot poison a gradient. A window
  that is all -inf gives -inf (and routes its gradient to its first entry). +inf and
  NaN are still rejected there. Average pooling, whose mean would turn -inf into
  -inf and inf - inf into NaN, has no exception.
- **Empty axes.** An empty batch (N = 0) passes through every layer, naive and
  vectorised alike: empty outputs, empty dx, zero dw and db (a sum over nothing).
  A layer with no channels or no filters (C = 0 or F = 0 in conv and the pools,
  D = 0 or M = 0 in dense) is a ValueError naming the shape: it has no weights to
  learn and every output would be the bias alone, which is always a construction
  mistake. (A model, `Sequential`, still wants at least one image.)
- **Caches.** Each layer's forward returns its own cache type (a NamedTuple such as
  `Conv2dCache`); its backward accepts only that type (`require_cache`), so a cache
  from another layer or None is a TypeError naming the layer expected and what was
  given, and a cache whose fields were edited into the wrong types or shapes is a
  ValueError naming the field. The fields keep the order of the plain tuples they
  replace, so `x, w, b, stride, padding = cache` still works.
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


def require_finite(array, name, allow_negative_inf=False):
    """Raise if `array` holds NaN or +-inf, naming the array and the first such index.

    allow_negative_inf: accept -inf (only max-pool's input does; see the module docstring).
    """
    bad = ~np.isfinite(array)
    if allow_negative_inf:
        bad &= ~np.isneginf(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        value = array[where]
        what = "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf")
        raise ValueError(
            f"{name} of shape {array.shape} contains {what} (first at index {where}); "
            f"every entry must be finite{' or -inf' if allow_negative_inf else ''}"
        )


def require_nonempty_axes(shape, axes, name, layout):
    """Raise if any of `axes` (e.g. {1: "C"}) of `shape` has length 0."""
    for axis, letter in axes.items():
        if shape[axis] == 0:
            raise ValueError(
                f"{name} {layout} has {letter}=0 (shape {tuple(shape)}): a layer needs at least one "
                f"{'channel' if letter in ('C', 'D') else 'output'}; only the batch axis may be empty"
            )


# --- caches ----------------------------------------------------------------------

def describe(value):
    """A short description of any value, for error messages."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return f"a {type(value).__name__}"
    if isinstance(value, (tuple, list)):
        kinds = ", ".join(type(item).__name__ for item in value[:6]) + (", ..." if len(value) > 6 else "")
        return f"{type(value).__name__} of {len(value)} items ({kinds})"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def require_cache(cache, cache_type, layer):
    """Raise TypeError unless `cache` is the `cache_type` that `layer`_forward returns."""
    if isinstance(cache, cache_type):
        return cache
    if cache is None:
        hint = " (did you run the forward pass and keep the cache it returned?)"
    elif isinstance(cache, tuple) and hasattr(type(cache), "made_by"):
        hint = (f" made by {type(cache).made_by}: each backward takes the cache of its own "
                f"layer's forward")
    elif isinstance(cache, tuple) and len(cache) == 2 and isinstance(cache[0], np.ndarray):
        hint = " (the whole (out, cache) pair? pass only its second item)"
    else:
        hint = ""
    raise TypeError(
        f"{layer}_backward needs the {cache_type.__name__} that {layer}_forward returns, "
        f"got {describe(cache)}{hint}"
    )


def _tampered(cache, field, expected, value):
    return ValueError(
        f"{type(cache).__name__}.{field} must be {expected} (as {type(cache).made_by} makes it), "
        f"got {describe(value)}: was the cache edited?"
    )


def cache_array(cache, field, ndim, kind="float"):
    """The array in `cache.<field>`, checked: an ndarray with `ndim` axes of `kind`
    ("float" or "int"); ValueError naming the cache type and the field otherwise."""
    value = getattr(cache, field)
    number = np.floating if kind == "float" else np.integer
    if not (isinstance(value, np.ndarray) and value.ndim == ndim and np.issubdtype(value.dtype, number)):
        raise _tampered(cache, field, f"a {ndim}-D {kind} array", value)
    return value


def cache_pair(cache, field, minimum):
    """`cache.<field>` checked to be a tuple of two ints >= minimum."""
    value = getattr(cache, field)
    if not (isinstance(value, tuple) and len(value) == 2
            and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum
                    for v in value)):
        raise _tampered(cache, field, f"a pair of ints >= {minimum}", value)
    return value


def cache_shape(cache, field, ndim=None):
    """`cache.<field>` checked to be a shape: a tuple of ints >= 0 (`ndim` of them if given)."""
    value = getattr(cache, field)
    if not (isinstance(value, tuple) and (ndim is None and len(value) >= 1 or len(value) == ndim)
            and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in value)):
        axes = "a tuple of ints >= 0" if ndim is None else f"a tuple of {ndim} ints >= 0"
        raise _tampered(cache, field, f"a shape ({axes})", value)
    return value


def cache_dtype(cache, field):
    """`cache.<field>` checked to be a floating numpy dtype."""
    value = getattr(cache, field)
    try:
        ok = np.issubdtype(np.dtype(value), np.floating)
    except TypeError:
        ok = False
    if not ok:
        raise _tampered(cache, field, "a float dtype", value)
    return np.dtype(value)


def cache_mismatch(cache, message):
    """ValueError for a cache whose fields do not fit each other."""
    return ValueError(f"the fields of this {type(cache).__name__} do not fit together: {message}; "
                      f"was the cache edited?")


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
