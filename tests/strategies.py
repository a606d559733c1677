"""Hypothesis strategies for layer configurations, shared by the core tests.

Each strategy draws a small, valid configuration (the kernel or pool window always
fits the padded input) plus a seed; arrays are then made with
np.random.default_rng(seed), so a failing example is easy to replay.
"""
import numpy as np
from hypothesis import strategies as st


def int_or_pair(low, high):
    """An int, or an (h, w) tuple of ints, in [low, high]: the two forms the layers accept."""
    value = st.integers(low, high)
    return st.one_of(value, st.tuples(value, value))


def as_pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


seeds = st.integers(0, 2**32 - 1)


@st.composite
def conv_configs(draw, max_batch=2, max_channels=3, max_filters=3, max_kernel=4, max_extra=4):
    """dict(x_shape, w_shape, stride, padding, seed) for a valid conv2d call.

    Kernels may be non-square; stride and padding are ints or (h, w) pairs; the input
    is at least as large as the kernel once padded, and at most `max_extra` larger.
    """
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, max_channels))
    F = draw(st.integers(1, max_filters))
    kH, kW = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    stride = draw(int_or_pair(1, 3))
    padding = draw(int_or_pair(0, 2))
    ph, pw = as_pair(padding)
    H = draw(st.integers(max(1, kH - 2 * ph), max(1, kH - 2 * ph) + max_extra))
    W = draw(st.integers(max(1, kW - 2 * pw), max(1, kW - 2 * pw) + max_extra))
    return dict(x_shape=(N, C, H, W), w_shape=(F, C, kH, kW), stride=stride, padding=padding, seed=draw(seeds))


def conv_arrays(config, dtype=np.float64):
    """x, w, b, dout for a conv config, drawn from standard normals."""
    rng = np.random.default_rng(config["seed"])
    x = rng.standard_normal(config["x_shape"]).astype(dtype)
    w = rng.standard_normal(config["w_shape"]).astype(dtype)
    b = rng.standard_normal(config["w_shape"][0]).astype(dtype)
    N, _, H, W = config["x_shape"]
    F, _, kH, kW = config["w_shape"]
    (sh, sw), (ph, pw) = as_pair(config["stride"]), as_pair(config["padding"])
    out_shape = (N, F, (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1)
    dout = rng.standard_normal(out_shape).astype(dtype)
    return x, w, b, dout


@st.composite
def pool_configs(draw, max_batch=2, max_channels=3, max_size=3, max_extra=4):
    """dict(x_shape, size, stride, seed) for a valid maxpool2d call.

    size and stride are ints or (h, w) pairs; stride may be None (= size), smaller
    than size (overlapping windows) or larger (skipped rows and columns).
    """
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, max_channels))
    size = draw(int_or_pair(1, max_size))
    stride = draw(st.one_of(st.none(), int_or_pair(1, 3)))
    kh, kw = as_pair(size)
    H = draw(st.integers(kh, kh + max_extra))
    W = draw(st.integers(kw, kw + max_extra))
    return dict(x_shape=(N, C, H, W), size=size, stride=stride, seed=draw(seeds))


def pool_output_shape(config):
    N, C, H, W = config["x_shape"]
    kh, kw = as_pair(config["size"])
    sh, sw = as_pair(config["stride"]) if config["stride"] is not None else (kh, kw)
    return (N, C, (H - kh) // sh + 1, (W - kw) // sw + 1)


def separated_values(shape, rng, gap=0.01):
    """An array of `shape` whose entries are all distinct, at least `gap` apart.

    A shuffled arange, scaled: no window has a tie, and a finite-difference nudge of
    size h << gap never changes which entry is the max (the max has a kink there).
    """
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) - size / 2) * gap
