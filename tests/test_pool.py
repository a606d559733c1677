"""max-pool: hand-made windows (ties, overlaps, uncovered rows) with expected values
written by hand; naive == vectorised; float32."""
import re

import numpy as np
import pytest
from hypothesis import given

import cnnlib as cl
from strategies import pool_configs, pool_output_shape

IMPLEMENTATIONS = {
    "naive": (cl.maxpool2d_forward_naive, cl.maxpool2d_backward_naive),
    "vectorised": (cl.maxpool2d_forward, cl.maxpool2d_backward),
}
parametrize_implementations = pytest.mark.parametrize("name", IMPLEMENTATIONS)


def as_map(rows):
    """A (1, 1, H, W) array from a nested list."""
    return np.array(rows, dtype=np.float64)[None, None]


@parametrize_implementations
def test_gradient_goes_only_to_each_window_max(name):
    forward, backward = IMPLEMENTATIONS[name]
    x = as_map([[1, 5, 0, 2],
                [3, 2, 7, 1],
                [0, 4, 6, 9],
                [8, 1, 2, 3]])
    out, cache = forward(x, 2)
    np.testing.assert_array_equal(out[0, 0], [[5, 7], [8, 9]])
    dx = backward(as_map([[10, 20], [30, 40]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 10, 0, 0],
                                             [0, 0, 20, 0],
                                             [0, 0, 0, 40],
                                             [30, 0, 0, 0]])


@parametrize_implementations
def test_ties_go_to_the_first_max_in_row_major_order(name):
    forward, backward = IMPLEMENTATIONS[name]
    x = as_map([[5, 5, 1, 4, 0, 1],
                [5, 5, 4, 2, 2, 2]])
    # Window 1: all four tied -> top-left. Window 2: 4 at (0,1) and (1,0) -> (0,1) comes
    # first in row-major order. Window 3: 2 at (1,0) and (1,1) -> (1,0).
    out, cache = forward(x, 2)
    np.testing.assert_array_equal(out[0, 0], [[5, 4, 2]])
    dx = backward(as_map([[1, 2, 3]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 0, 2, 0, 0],
                                             [0, 0, 0, 0, 3, 0]])
    assert dx.sum() == 1 + 2 + 3  # each window passes its gradient on exactly once


@parametrize_implementations
def test_overlapping_windows_accumulate(name):
    forward, backward = IMPLEMENTATIONS[name]
    # size 2, stride 1: four overlapping windows, and 9 is the max of all of them.
    x = as_map([[1, 2, 3],
                [4, 9, 5],
                [6, 7, 8]])
    out, cache = forward(x, 2, stride=1)
    np.testing.assert_array_equal(out[0, 0], [[9, 9], [9, 9]])
    dx = backward(as_map([[1, 2], [3, 4]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0], [0, 10, 0], [0, 0, 0]])


@parametrize_implementations
def test_overlapping_windows_with_ties(name):
    forward, backward = IMPLEMENTATIONS[name]
    x = as_map([[1, 2, 1],
                [2, 2, 0],
                [0, 1, 2]])
    # Windows (size 2, stride 1) and their first max in row-major order:
    # top-left [[1,2],[2,2]] -> x(0,1); top-right [[2,1],[2,0]] -> x(0,1);
    # bottom-left [[2,2],[0,1]] -> x(1,0); bottom-right [[2,0],[1,2]] -> x(1,1).
    out, cache = forward(x, 2, stride=1)
    np.testing.assert_array_equal(out[0, 0], [[2, 2], [2, 2]])
    dx = backward(as_map([[1, 10], [100, 1000]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 11, 0],
                                             [100, 1000, 0],
                                             [0, 0, 0]])


@parametrize_implementations
def test_rows_and_columns_no_window_covers_get_zero(name):
    forward, backward = IMPLEMENTATIONS[name]
    # 5x5, size 2, stride 2 (floor rule): windows cover rows/cols 0..3; row 4 and column 4
    # are never read, even though they hold the largest values.
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out, cache = forward(x, 2)
    np.testing.assert_array_equal(out[0, 0], [[6, 8], [16, 18]])
    dx = backward(np.ones((1, 1, 2, 2)), cache)
    expected = np.zeros((5, 5))
    expected[[1, 1, 3, 3], [1, 3, 1, 3]] = 1
    np.testing.assert_array_equal(dx[0, 0], expected)


@parametrize_implementations
def test_rectangular_window_and_stride_pairs(name):
    forward, backward = IMPLEMENTATIONS[name]
    x = as_map([[1, 0, 2, 9, 0, 3],
                [0, 4, 0, 0, 5, 0]])
    out, cache = forward(x, (2, 3))  # stride defaults to the window: (2, 3)
    np.testing.assert_array_equal(out[0, 0], [[4, 9]])
    dx = backward(as_map([[1, 2]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0, 2, 0, 0],
                                             [0, 1, 0, 0, 0, 0]])
    out, _ = forward(x, (1, 2), stride=(1, 4))
    np.testing.assert_array_equal(out[0, 0], [[1, 3], [4, 5]])  # columns 0-1 and 4-5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(config=pool_configs())
def test_naive_and_vectorised_agree(dtype, config):
    rng = np.random.default_rng(config["seed"])
    # Small integers: plenty of ties, which both must break the same way.
    x = rng.integers(0, 4, config["x_shape"]).astype(dtype)
    dout = rng.standard_normal(pool_output_shape(config)).astype(dtype)
    out_loop, cache_loop = cl.maxpool2d_forward_naive(x, config["size"], config["stride"])
    out_fast, cache_fast = cl.maxpool2d_forward(x, config["size"], config["stride"])
    assert out_loop.dtype == out_fast.dtype == dtype
    np.testing.assert_array_equal(out_loop, out_fast)
    np.testing.assert_array_equal(cache_loop[2], cache_fast[2])  # the same winners
    dx_loop = cl.maxpool2d_backward_naive(dout, cache_loop)
    dx_fast = cl.maxpool2d_backward(dout, cache_fast)
    assert dx_loop.dtype == dx_fast.dtype == dtype and dx_loop.shape == x.shape
    # Overlapping windows add several douts into one cell, in a different order in the
    # two versions: float32 rounding differs slightly, so compare relative to the largest entry.
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    assert cl.rel_error(dx_loop, dx_fast) < tolerance
    # Each window's gradient is passed on exactly once.
    np.testing.assert_allclose(dx_fast.sum(), dout.sum(), rtol=1e-4, atol=1e-4)
    # One cache format: each backward accepts the other forward's cache.
    assert cl.rel_error(cl.maxpool2d_backward(dout, cache_loop), dx_loop) < tolerance
    assert cl.rel_error(cl.maxpool2d_backward_naive(dout, cache_fast), dx_fast) < tolerance


@given(pool_configs())
def test_output_is_each_window_max(config):
    rng = np.random.default_rng(config["seed"])
    x = rng.standard_normal(config["x_shape"])
    out, _ = cl.maxpool2d_forward(x, config["size"], config["stride"])
    assert out.shape == pool_output_shape(config)
    kh, kw = (config["size"],) * 2 if isinstance(config["size"], int) else config["size"]
    stride = config["stride"] if config["stride"] is not None else (kh, kw)
    sh, sw = (stride,) * 2 if isinstance(stride, int) else stride
    i, j = out.shape[2] - 1, out.shape[3] - 1  # the last window, checked by hand
    np.testing.assert_array_equal(out[:, :, i, j], x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(2, 3)))


def test_float32_stays_float32():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32)
    out, cache = cl.maxpool2d_forward(x)
    dx = cl.maxpool2d_backward(np.ones_like(out), cache)
    assert out.dtype == dx.dtype == np.float32


@pytest.mark.parametrize("forward", [cl.maxpool2d_forward, cl.maxpool2d_forward_naive])
def test_negative_infinity_is_the_one_non_finite_input_max_pool_accepts(forward):
    # -inf never beats a finite entry; an all -inf window gives -inf and routes to its first entry.
    out, cache = forward(as_map([[-np.inf, 1, -np.inf, -np.inf], [3, 0, -np.inf, -np.inf]]), 2)
    np.testing.assert_array_equal(out[0, 0], [[3, -np.inf]])
    dx = cl.maxpool2d_backward(as_map([[2.0, 5.0]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 5, 0], [2, 0, 0, 0]])
    for bad, word in ((np.inf, "inf"), (np.nan, "NaN")):
        with pytest.raises(ValueError, match=re.escape(f"x of shape (1, 1, 2, 2) contains {word} (first at index (0, 0, 1, 0))")):
            forward(as_map([[-np.inf, 1], [bad, 0]]), 2)


@pytest.mark.parametrize("forward", [cl.avgpool2d_forward, cl.avgpool2d_forward_naive])
def test_average_pooling_rejects_every_infinity(forward):
    with pytest.raises(ValueError, match=re.escape("x of shape (1, 1, 2, 2) contains -inf (first at index (0, 0, 0, 1))")):
        forward(as_map([[1, -np.inf], [np.inf, 0]]), 2)


# --- average pooling -----------------------------------------------------------------

AVG_IMPLEMENTATIONS = {
    "naive": (cl.avgpool2d_forward_naive, cl.avgpool2d_backward_naive),
    "vectorised": (cl.avgpool2d_forward, cl.avgpool2d_backward),
}
parametrize_avg = pytest.mark.parametrize("name", AVG_IMPLEMENTATIONS)


@parametrize_avg
def test_avgpool_shares_each_window_gradient_equally(name):
    forward, backward = AVG_IMPLEMENTATIONS[name]
    x = as_map([[1, 5, 0, 2],
                [3, 2, 7, 1],
                [0, 4, 6, 9],
                [8, 1, -2, 3]])
    out, cache = forward(x, 2)
    np.testing.assert_array_equal(out[0, 0], [[11 / 4, 10 / 4], [13 / 4, 16 / 4]])
    dx = backward(as_map([[4, 8], [12, -16]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[1, 1, 2, 2],
                                             [1, 1, 2, 2],
                                             [3, 3, -4, -4],
                                             [3, 3, -4, -4]])


@parametrize_avg
def test_avgpool_overlapping_windows_accumulate(name):
    forward, backward = AVG_IMPLEMENTATIONS[name]
    x = as_map([[1, 2, 3],
                [4, 9, 5],
                [6, 7, 8]])
    out, cache = forward(x, 2, stride=1)
    np.testing.assert_array_equal(out[0, 0], [[16 / 4, 19 / 4], [26 / 4, 29 / 4]])
    dx = backward(as_map([[4, 8], [12, 16]]), cache)
    # The centre is in all four windows: (4 + 8 + 12 + 16) / 4; each corner in one.
    np.testing.assert_array_equal(dx[0, 0], [[1, 3, 2],
                                             [4, 10, 6],
                                             [3, 7, 4]])


@parametrize_avg
def test_avgpool_rows_no_window_covers_get_zero(name):
    forward, backward = AVG_IMPLEMENTATIONS[name]
    x = np.arange(35.0).reshape(1, 1, 5, 7)
    out, cache = forward(x, (2, 3), stride=(3, 2))  # rows 2 and 4 and column 6 unread
    assert out.shape == (1, 1, 2, 3)
    np.testing.assert_array_equal(out[0, 0, 1, 2], x[0, 0, 3:5, 4:7].mean())
    dx = backward(np.ones((1, 1, 2, 3)), cache)
    expected = np.zeros((5, 7))
    expected[[0, 1, 3, 4], :] = [1, 1, 2, 1, 2, 1, 1]
    expected /= 6
    np.testing.assert_allclose(dx[0, 0], expected, rtol=1e-15)
    assert np.all(dx[0, 0, 2] == 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(config=pool_configs())
def test_avgpool_naive_and_vectorised_agree(dtype, config):
    rng = np.random.default_rng(config["seed"])
    x = rng.standard_normal(config["x_shape"]).astype(dtype)
    dout = rng.standard_normal(pool_output_shape(config)).astype(dtype)
    out_loop, cache_loop = cl.avgpool2d_forward_naive(x, config["size"], config["stride"])
    out_fast, cache_fast = cl.avgpool2d_forward(x, config["size"], config["stride"])
    assert out_loop.dtype == out_fast.dtype == dtype and out_loop.shape == pool_output_shape(config)
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    assert cl.rel_error(out_loop, out_fast) < tolerance
    assert cache_loop == cache_fast
    dx_loop = cl.avgpool2d_backward_naive(dout, cache_loop)
    dx_fast = cl.avgpool2d_backward(dout, cache_fast)
    assert dx_loop.dtype == dx_fast.dtype == dtype and dx_loop.shape == x.shape
    assert cl.rel_error(dx_loop, dx_fast) < tolerance
    # The whole upstream gradient arrives, shared out: nothing lost, nothing doubled.
    np.testing.assert_allclose(dx_fast.sum(), dout.sum(), rtol=1e-4, atol=1e-4)


@given(config=pool_configs())
def test_avgpool_gradient_matches_finite_differences(config):
    rng = np.random.default_rng(config["seed"])
    x = rng.standard_normal(config["x_shape"])
    for forward, backward in AVG_IMPLEMENTATIONS.values():
        errors = cl.check_layer_gradients(forward, backward, {"x": x}, seed=config["seed"],
                                          size=config["size"], stride=config["stride"])
        assert errors["x"] < 1e-8, errors


def test_avgpool_is_not_maxpool():
    # The same window, two layers: average shares the gradient, max routes it.
    x = as_map([[1, 2], [3, 4]])
    dout = as_map([[8.0]])
    avg = cl.avgpool2d_backward(dout, cl.avgpool2d_forward(x)[1])
    mx = cl.maxpool2d_backward(dout, cl.maxpool2d_forward(x)[1])
    np.testing.assert_array_equal(avg[0, 0], [[2, 2], [2, 2]])
    np.testing.assert_array_equal(mx[0, 0], [[0, 0], [0, 8]])
