"""Tests for cnnlib.single_map: the delta pipeline of notebook 03 (dilate, grow for the
floor rule, pad by k - 1, correlate with rot180(w), crop) and the scatter/gather views.

Oracles are independent of the code under test: finite differences, scipy.signal and
conv2d_backward (itself checked against finite differences in the core tests).
"""
import numpy as np
import pytest
import scipy.signal

import cnnlib as cl
from cnnlib import single_map

# (input_shape, kernel_shape, stride, padding): stride 1, rectangular, floor rule, padding 0/1/2
CONFIGS = [
    ((5, 5), (3, 3), 1, 0),
    ((6, 7), (3, 2), 1, 0),
    ((7, 8), (3, 2), 2, 1),
    ((8, 6), (3, 3), 2, 0),
    ((9, 10), (2, 3), 3, 2),
    ((4, 4), (4, 4), 1, 0),
    ((5, 5), (1, 1), 2, 1),
]


def _layer_input_gradient(delta, w, stride, padding, input_shape, seed=0):
    """dJ/dz for J = sum(delta * conv(z)): conv2d_backward, confirmed by finite differences."""
    z = np.random.default_rng(seed).standard_normal((1, 1) + tuple(input_shape))
    _, cache = cl.conv2d_forward(z, w[None, None], np.zeros(1), stride=stride, padding=padding)
    backward = cl.conv2d_backward(delta[None, None], cache)[0][0, 0]
    numeric = cl.numerical_gradient(
        lambda z_: np.sum(delta * cl.conv2d_forward(z_, w[None, None], np.zeros(1), stride=stride,
                                                    padding=padding)[0][0, 0]), z)[0, 0]
    assert cl.rel_error(backward, numeric) < 1e-7
    return backward


def _example(input_shape, kernel_shape, stride, padding, seed=1):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(kernel_shape)
    out = tuple((n + 2 * padding - k) // stride + 1 for n, k in zip(input_shape, kernel_shape))
    return rng.standard_normal(out), w


@pytest.mark.parametrize("input_shape, kernel_shape, stride, padding", CONFIGS)
def test_layout_input_gradient_matches_the_layer_and_finite_differences(input_shape, kernel_shape, stride, padding):
    delta, w = _example(input_shape, kernel_shape, stride, padding)
    delta_before, w_before = delta.copy(), w.copy()
    layout = single_map.full_convolution_layout(delta, w, stride, padding, input_shape)
    expected = _layer_input_gradient(delta, w, stride, padding, input_shape)
    np.testing.assert_allclose(layout.input_gradient, expected, atol=1e-12)
    assert layout.input_gradient.shape == input_shape
    assert layout.padded_delta.shape == (input_shape[0] + 2 * padding + kernel_shape[0] - 1,
                                         input_shape[1] + 2 * padding + kernel_shape[1] - 1)
    np.testing.assert_array_equal(layout.rotated_kernel, w[::-1, ::-1])
    np.testing.assert_array_equal(layout.dilated_delta[::stride, ::stride], delta)
    assert np.count_nonzero(layout.dilated_delta) == np.count_nonzero(delta)
    np.testing.assert_array_equal(delta, delta_before)   # inputs untouched
    np.testing.assert_array_equal(w, w_before)


def test_stride_one_layout_is_scipy_full_convolution():
    delta, w = _example((6, 7), (3, 2), 1, 0)
    layout = single_map.full_convolution_layout(delta, w)   # input shape inferred
    np.testing.assert_allclose(layout.input_gradient, scipy.signal.convolve2d(delta, w, mode="full"), atol=1e-12)
    assert layout.extra == (0, 0) and layout.border == (2, 1)


def test_floor_rule_rows_get_zero_and_extra_is_counted():
    delta, w = _example((8, 6), (3, 3), 2, 0)
    layout = single_map.full_convolution_layout(delta, w, 2, 0, (8, 6))
    assert layout.extra == (1, 1)
    assert np.all(layout.input_gradient[-1, :] == 0) and np.all(layout.input_gradient[:, -1] == 0)
    assert single_map.scatter_terms(layout, 8, 3) == []


@pytest.mark.parametrize("input_shape, kernel_shape, stride, padding", CONFIGS)
def test_scatter_terms_and_gather_window_agree_with_the_layer(input_shape, kernel_shape, stride, padding):
    delta, w = _example(input_shape, kernel_shape, stride, padding, seed=2)
    layout = single_map.full_convolution_layout(delta, w, stride, padding, input_shape)
    expected = _layer_input_gradient(delta, w, stride, padding, input_shape)
    kH, kW = kernel_shape
    for m in range(1, input_shape[0] + 1):
        for n in range(1, input_shape[1] + 1):
            terms = single_map.scatter_terms(layout, m, n)
            # independent enumeration: output (p, q)'s window covers padded row m + padding
            fed = [((p, q), (m + padding - stride * (p - 1), n + padding - stride * (q - 1)))
                   for p in range(1, delta.shape[0] + 1) for q in range(1, delta.shape[1] + 1)
                   if 1 <= m + padding - stride * (p - 1) <= kH and 1 <= n + padding - stride * (q - 1) <= kW]
            assert [(t.output, t.weight) for t in terms] == fed
            for t in terms:
                assert t.delta_value == delta[t.output[0] - 1, t.output[1] - 1]
                assert t.weight_value == w[t.weight[0] - 1, t.weight[1] - 1]
            assert sum(t.product for t in terms) == pytest.approx(expected[m - 1, n - 1], abs=1e-12)
            top, left = single_map.gather_window(layout, m, n)
            window = layout.padded_delta[top:top + kH, left:left + kW]
            assert window.shape == kernel_shape
            assert np.sum(window * layout.rotated_kernel) == pytest.approx(expected[m - 1, n - 1], abs=1e-12)


def test_layout_and_positions_reject_bad_input():
    delta, w = _example((5, 5), (3, 3), 1, 0)
    with pytest.raises(ValueError, match=r"delta \(3, 3\).*input \(6, 6\)"):
        single_map.full_convolution_layout(delta, w, 1, 0, (6, 6))
    with pytest.raises(ValueError, match="delta must be 2-D"):
        single_map.full_convolution_layout(delta[None], w)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        single_map.full_convolution_layout(delta, w, 0)
    with pytest.raises(ValueError, match="finite"):
        single_map.full_convolution_layout(np.full((3, 3), np.nan), w)
    layout = single_map.full_convolution_layout(delta, w)
    with pytest.raises(ValueError, match=r"\(6, 1\) is outside"):
        single_map.scatter_terms(layout, 6, 1)
    with pytest.raises(ValueError, match=r"\(0, 2\) is outside"):
        single_map.gather_window(layout, 0, 2)




def test_layout_never_aliases_or_modifies_its_inputs():
    delta, w = _example((7, 8), (3, 2), 2, 1)
    delta_before, w_before = delta.copy(), w.copy()
    layout = single_map.full_convolution_layout(delta, w, 2, 1, (7, 8))
    for array in (layout.delta, layout.kernel, layout.rotated_kernel, layout.dilated_delta,
                  layout.padded_delta, layout.padded_input_gradient, layout.input_gradient):
        assert not np.shares_memory(array, delta) and not np.shares_memory(array, w)
    assert not np.shares_memory(layout.input_gradient, layout.padded_input_gradient)
    layout.input_gradient[...] = 0
    np.testing.assert_array_equal(delta, delta_before)
    np.testing.assert_array_equal(w, w_before)


def test_integer_input_gives_float_and_padding_zero_crop_is_not_empty():
    layout = single_map.full_convolution_layout(np.ones((3, 3), dtype=int), np.eye(3, dtype=int), 1, 0, (5, 5))
    assert layout.input_gradient.dtype == np.float64 and layout.input_gradient.shape == (5, 5)
    np.testing.assert_allclose(layout.input_gradient, scipy.signal.convolve2d(np.ones((3, 3)), np.eye(3), "full"))


def test_floor_rule_extra_counts_unread_rows_of_the_padded_input():
    assert single_map.floor_rule_extra((8, 6), (3, 3), 2, 0) == (1, 1)
    assert single_map.floor_rule_extra((7, 7), (3, 3), 2, 0) == (0, 0)
    assert single_map.floor_rule_extra((6, 6), (3, 3), 2, 1) == (1, 1)     # the unread row is padding


@pytest.mark.parametrize("bad, error, words", [
    ({"delta": np.full((3, 3), np.inf)}, ValueError, "finite"),
    ({"w": np.zeros((0, 3))}, ValueError, "empty"),
    ({"w": np.ones((3, 3), dtype=complex)}, ValueError, "real"),
    ({"delta": [["a"]]}, ValueError, "numeric"),
    ({"padding": -1}, ValueError, "padding"),
    ({"input_shape": (2, 2)}, ValueError, "larger than the padded input"),
])
def test_layout_bad_input_names_the_problem(bad, error, words):
    arguments = {"delta": np.ones((3, 3)), "w": np.ones((3, 3)), "stride": 1, "padding": 0, "input_shape": (5, 5)}
    arguments.update(bad)
    with pytest.raises(error, match=words):
        single_map.full_convolution_layout(**arguments)


def test_positions_must_be_integers():
    layout = single_map.full_convolution_layout(np.ones((3, 3)), np.ones((3, 3)))
    with pytest.raises(TypeError, match="integers"):
        single_map.scatter_terms(layout, 1.5, 2)
    with pytest.raises(TypeError, match="integers"):
        single_map.gather_window(layout, True, 2)
