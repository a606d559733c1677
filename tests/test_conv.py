"""conv2d: hand-computed examples, naive loops == vectorised version (float64 and
float32, forward and backward), PyTorch's output-size rule, dtype handling."""
import numpy as np
import pytest
from hypothesis import given

import cnnlib as cl
from strategies import as_pair, conv_arrays, conv_configs

IMPLEMENTATIONS = {
    "naive": (cl.conv2d_forward_naive, cl.conv2d_backward_naive),
    "vectorised": (cl.conv2d_forward, cl.conv2d_backward),
}


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
def test_forward_by_hand_on_one_map(name):
    forward, _ = IMPLEMENTATIONS[name]
    x = np.arange(16.0).reshape(1, 1, 4, 4)        # rows 0..3, 4..7, 8..11, 12..15
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])     # x[i, j] - x[i+1, j+1]
    out, _ = forward(x, w, np.array([0.5]))
    # Every window gives x[i, j] - x[i+1, j+1] = -5, plus the bias 0.5 (cross-correlation, no flip).
    np.testing.assert_array_equal(out, np.full((1, 1, 3, 3), -4.5))
    out, _ = forward(x, w, np.array([0.0]), stride=2)
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), -5.0))


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
def test_forward_by_hand_with_channels_and_padding(name):
    forward, _ = IMPLEMENTATIONS[name]
    x = np.ones((1, 2, 2, 2))
    x[0, 1] *= 10                                   # channel 0 all 1, channel 1 all 10
    w = np.ones((1, 2, 3, 3))
    out, _ = forward(x, w, np.zeros(1), padding=1)
    # With padding 1 and a 3x3 kernel, each output position sees all four input pixels
    # of each channel: 4 * 1 + 4 * 10.
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), 44.0))


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
def test_backward_by_hand(name):
    forward, backward = IMPLEMENTATIONS[name]
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    _, cache = forward(x, w, np.zeros(1))
    dout = np.array([[[[1.0, 0.0], [0.0, 0.0]]]])  # only the top-left output matters
    dx, dw, db = backward(dout, cache)
    np.testing.assert_array_equal(dx[0, 0], [[1, 2, 0], [3, 4, 0], [0, 0, 0]])  # w lands on its window
    np.testing.assert_array_equal(dw[0, 0], [[0, 1], [3, 4]])                   # the window it read
    np.testing.assert_array_equal(db, [1.0])
    dout = np.ones((1, 1, 2, 2))
    dx, dw, db = backward(dout, cache)
    # dW = sum over the four output positions of the window each read.
    np.testing.assert_array_equal(dw[0, 0], [[0 + 1 + 3 + 4, 1 + 2 + 4 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]])
    # The centre pixel is read by all four windows, once by each kernel entry.
    assert dx[0, 0, 1, 1] == 1 + 2 + 3 + 4
    np.testing.assert_array_equal(db, [4.0])


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
def test_rows_no_window_reaches_get_zero_gradient(name):
    forward, backward = IMPLEMENTATIONS[name]
    # H = W = 6, kernel 2, stride 3: windows start at 0 and 3 and cover rows/cols 0,1,3,4.
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 1, 6, 6)), rng.standard_normal((1, 1, 2, 2))
    out, cache = forward(x, w, np.zeros(1), stride=3)
    assert out.shape == (1, 1, 2, 2)
    dx, _, _ = backward(np.ones_like(out), cache)
    assert np.all(dx[0, 0, [2, 5], :] == 0) and np.all(dx[0, 0, :, [2, 5]] == 0)
    assert np.all(dx[0, 0][np.ix_([0, 1, 3, 4], [0, 1, 3, 4])] != 0)


@given(conv_configs())
def test_output_shape_follows_the_floor_rule(config):
    x, w, b, _ = conv_arrays(config)
    out, _ = cl.conv2d_forward(x, w, b, stride=config["stride"], padding=config["padding"])
    (N, _, H, W), (F, _, kH, kW) = x.shape, w.shape
    (sh, sw), (ph, pw) = as_pair(config["stride"]), as_pair(config["padding"])
    assert out.shape == (N, F, (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1)


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-5)])
@given(config=conv_configs())
def test_naive_and_vectorised_agree(dtype, tolerance, config):
    x, w, b, dout = conv_arrays(config, dtype)
    options = dict(stride=config["stride"], padding=config["padding"])
    out_loop, cache_loop = cl.conv2d_forward_naive(x, w, b, **options)
    out_fast, cache_fast = cl.conv2d_forward(x, w, b, **options)
    assert out_loop.dtype == out_fast.dtype == dtype
    assert cl.rel_error(out_loop, out_fast) < tolerance
    grads_loop = cl.conv2d_backward_naive(dout, cache_loop)
    grads_fast = cl.conv2d_backward(dout, cache_fast)
    for name, loop, fast in zip(("dx", "dw", "db"), grads_loop, grads_fast):
        assert loop.dtype == fast.dtype == dtype, name
        assert loop.shape == fast.shape, name
        assert cl.rel_error(loop, fast) < tolerance, name
    # One cache format: each backward accepts the other forward's cache.
    for loop, fast in zip(cl.conv2d_backward(dout, cache_loop), cl.conv2d_backward_naive(dout, cache_fast)):
        assert cl.rel_error(loop, fast) < tolerance


@given(conv_configs())
def test_float32_matches_float64(config):
    x, w, b, dout = conv_arrays(config)
    options = dict(stride=config["stride"], padding=config["padding"])
    out64, cache64 = cl.conv2d_forward(x, w, b, **options)
    out32, cache32 = cl.conv2d_forward(*(a.astype(np.float32) for a in (x, w, b)), **options)
    assert out32.dtype == np.float32 and cl.rel_error(out32, out64) < 1e-5
    for g32, g64 in zip(cl.conv2d_backward(dout.astype(np.float32), cache32), cl.conv2d_backward(dout, cache64)):
        assert g32.dtype == np.float32 and cl.rel_error(g32, g64) < 1e-5


def test_integer_inputs_become_float64():
    out, _ = cl.conv2d_forward(np.ones((1, 1, 3, 3), dtype=int), np.ones((1, 1, 2, 2), dtype=int), np.zeros(1, dtype=int))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), 4.0))


def test_mixed_precision_promotes():
    out, _ = cl.conv2d_forward(np.ones((1, 1, 3, 3), np.float32), np.ones((1, 1, 2, 2)), np.zeros(1, np.float32))
    assert out.dtype == np.float64


def test_output_does_not_share_memory_with_the_inputs():
    x, w, b = np.ones((1, 1, 3, 3)), np.ones((1, 1, 1, 1)), np.zeros(1)
    for forward in (cl.conv2d_forward, cl.conv2d_forward_naive):
        out, _ = forward(x, w, b)
        out[...] = 7  # the caller may write into the result
        assert np.all(x == 1)


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
def test_padding_zero_and_pairs(name):
    # x[p:-p] is empty when p == 0: the classic unpadding bug. Padding (0, 1) pads columns only.
    forward, backward = IMPLEMENTATIONS[name]
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 1, 3, 3)), rng.standard_normal((1, 1, 3, 3))
    for padding, out_shape in ((0, (1, 1, 1, 1)), ((0, 1), (1, 1, 1, 3)), ((1, 0), (1, 1, 3, 1))):
        out, cache = forward(x, w, np.zeros(1), padding=padding)
        assert out.shape == out_shape
        dx, dw, _ = backward(np.ones(out_shape), cache)
        assert dx.shape == x.shape and dw.shape == w.shape
        assert np.any(dx != 0)
