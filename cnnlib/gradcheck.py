"""Finite-difference gradient checks: how we trust every backward pass.

Central difference: df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h), error O(h^2).
"""
import warnings

import numpy as np


def numerical_gradient(f, x, h=1e-6, dout=None):
    """Central-difference gradient of f at x, always computed in float64.

    f: callable taking x. If f returns a scalar, the result is df/dx. If f returns
    an array, pass `dout` of that array's shape: the result is d(sum(f(x) * dout))/dx,
    i.e. what a backward pass given `dout` should return.
    x: float array of any shape. Returns a float64 array of x's shape.

    float64 x is nudged in place one entry at a time (so closures that read x see
    the nudge) and always restored, even if f raises.
    float32 (or float16) x: a nudge of h = 1e-6 is below float32's resolution
    (about 1e-7 near 1, so the difference quotient would be off by several per cent).
    So f is called with a float64 copy of x, nudged, and x itself is never touched;
    an f that ignores its argument and reads the float32 array from a closure would
    see no nudge, so such an f gets a RuntimeWarning if every difference is exactly 0.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a float numpy array, got {type(x).__name__} {getattr(x, 'dtype', '')}")

    def scalar(value):
        if dout is None:
            result = np.asarray(value)
            if result.size != 1:
                raise ValueError(f"f returned shape {result.shape}; pass dout to reduce it to a scalar")
            return float(result)
        return float(np.sum(np.asarray(value, dtype=np.float64) * dout))

    widened = x.dtype != np.float64
    target = x.astype(np.float64) if widened else x  # the array f sees and we nudge
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = target[index]
        try:
            target[index] = original + h
            plus = scalar(f(target))
            target[index] = original - h
            minus = scalar(f(target))
        finally:
            target[index] = original
        grad[index] = (plus - minus) / (2 * h)
    if widened and x.size and not grad.any():
        warnings.warn(
            f"numerical_gradient: x is {x.dtype}, so f was called with a float64 copy of it, "
            "and f's value never changed: does f read x from a closure instead of its argument?",
            RuntimeWarning, stacklevel=2)
    return grad


def rel_error(a, b):
    """Relative error max|a - b| / max(max|a|, max|b|), 0 when both are all zero.

    a, b: arrays of the same shape (any shape) -> a float.

    One number for the whole array, scaled by the largest entry, so an entry that is
    0 in both (e.g. a max-pool loser) cannot blow it up, while any entry that is
    wrong by a fraction of the gradient's size shows. Float64 checks pass at < 1e-7.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


def check_layer_gradients(forward, backward, inputs, seed=0, h=1e-6, **options):
    """Check every gradient a layer's backward returns against finite differences.

    forward(*inputs.values(), **options) -> (out, cache)
    backward(dout, cache) -> one gradient, or a tuple with one per input, in order.
    inputs: dict name -> float array (e.g. {"x": x, "w": w, "b": b}). Copies are
    nudged; the caller's arrays are never touched.
    A random upstream gradient dout (seeded) makes the check sensitive to every
    output entry. Returns {name: rel_error(analytic, numerical)}.
    """
    names = list(inputs)
    values = [np.array(v, dtype=np.float64) for v in inputs.values()]
    out, cache = forward(*values, **options)
    dout = np.random.default_rng(seed).standard_normal(np.shape(out))
    analytic = backward(dout, cache)
    if not isinstance(analytic, tuple):
        analytic = (analytic,)
    errors = {}
    for k, (name, grad) in enumerate(zip(names, analytic)):
        numeric = numerical_gradient(lambda v: forward(*values, **options)[0], values[k], h=h, dout=dout)
        errors[name] = rel_error(grad, numeric)
    return errors


def check_loss_gradient(loss, prediction, target, h=1e-6):
    """Check a loss's returned gradient: loss(prediction, target) -> (value, dprediction).

    prediction, target: arrays of the same shape (any shape).
    Returns rel_error(analytic, numerical); the caller's arrays are never touched.
    """
    prediction = np.array(prediction, dtype=np.float64)
    _, analytic = loss(prediction, target)
    numeric = numerical_gradient(lambda p: loss(p, target)[0], prediction, h=h)
    return rel_error(analytic, numeric)
