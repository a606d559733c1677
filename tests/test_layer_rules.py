"""cnnlib.layer_rules: notebook 04's layer gradients built from single-map helpers,
against the vectorised layer, the loop layer and finite differences; bad input; no mutation."""
import numpy as np
import pytest

import cnnlib as cl
from cnnlib import layer_rules as rules
from cnnlib.single_map import full_convolution_layout

LAYERS = [  # (x shape, w shape, stride, padding): unread rows/cols, rectangular kernels, 1x1, k = padded input
    ((2, 2, 5, 5), (3, 2, 3, 3), 1, 0),
    ((1, 3, 6, 7), (2, 3, 2, 3), 1, 1),
    ((2, 2, 8, 7), (2, 2, 3, 3), 2, 0),
    ((1, 2, 9, 8), (2, 2, 3, 2), 3, 1),
    ((1, 1, 4, 4), (1, 1, 4, 4), 2, 2),
    ((1, 2, 6, 6), (2, 2, 1, 1), 2, 0),
    ((2, 1, 7, 9), (2, 1, 3, 3), (2, 3), (1, 0)),
]


def _layer(x_shape, w_shape, stride, padding, seed=0):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    out, cache = cl.conv2d_forward(x, w, b, stride, padding)
    return x, w, b, rng.standard_normal(out.shape), cache


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", LAYERS)
def test_rules_match_conv2d_backward_and_the_loop_layer(x_shape, w_shape, stride, padding):
    x, w, _, dout, cache = _layer(x_shape, w_shape, stride, padding)
    dx, dw, _ = cl.conv2d_backward(dout, cache)
    dx_loop, dw_loop, _ = cl.conv2d_backward_naive(dout, cache)
    got_dx = rules.input_gradient_from_2d_helpers(dout, w, x.shape, stride, padding)
    got_dw = rules.weight_gradient_from_2d_helpers(x, dout, w.shape[2:], stride, padding)
    for got, fast, loop in ((got_dx, dx, dx_loop), (got_dw, dw, dw_loop)):
        np.testing.assert_allclose(got, fast, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got, loop, rtol=1e-10, atol=1e-12)


def test_rules_match_finite_differences():
    x, w, b, dout, _ = _layer((2, 2, 7, 6), (3, 2, 3, 2), 2, 1, seed=3)

    def forward(x_, w_):
        return cl.conv2d_forward_naive(x_, w_, b, 2, 1)[0]

    numeric_dx = cl.numerical_gradient(lambda v: forward(v, w), x.copy(), dout=dout)
    numeric_dw = cl.numerical_gradient(lambda v: forward(x, v), w.copy(), dout=dout)
    assert cl.rel_error(rules.input_gradient_from_2d_helpers(dout, w, x.shape, 2, 1), numeric_dx) < 1e-7
    assert cl.rel_error(rules.weight_gradient_from_2d_helpers(x, dout, (3, 2), 2, 1), numeric_dw) < 1e-7


def test_unread_input_rows_get_exactly_zero():
    # H = 8, k = 3, s = 3, p = 0: windows cover rows 0..5, rows 6 and 7 are real input no window reads.
    x, w, _, dout, _ = _layer((1, 2, 8, 8), (2, 2, 3, 3), 3, 0, seed=5)
    dx = rules.input_gradient_from_2d_helpers(dout, w, x.shape, 3, 0)
    assert np.all(dx[:, :, 6:, :] == 0) and np.all(dx[:, :, :, 6:] == 0)
    assert np.all(dx[:, :, :6, :6] != 0)


def test_input_rule_is_notebook_03s_single_map_rule_summed_over_filters():
    # One sample, one input channel, one filter: the layer rule is single_map's rule as it is.
    rng = np.random.default_rng(1)
    delta, kernel = rng.standard_normal((1, 1, 2, 3)), rng.standard_normal((1, 1, 3, 3))
    grad = rules.input_gradient_from_2d_helpers(delta, kernel, (1, 1, 6, 8), 2, 0)[0, 0]
    single = full_convolution_layout(delta[0, 0], kernel[0, 0], 2, 0, (6, 8)).input_gradient
    np.testing.assert_array_equal(grad, single)
    assert np.all(grad[5:] == 0) and np.all(grad[:, 7:] == 0)     # rows/columns no window read
    # Two filters: the sum of the two single-map answers, not either alone.
    delta2, kernel2 = rng.standard_normal((1, 2, 3, 4)), rng.standard_normal((2, 1, 3, 3))
    both = rules.input_gradient_from_2d_helpers(delta2, kernel2, (1, 1, 6, 8), 2, 1)[0, 0]
    parts = [full_convolution_layout(delta2[0, f], kernel2[f, 0], 2, 1, (6, 8)).input_gradient
             for f in range(2)]
    np.testing.assert_allclose(both, parts[0] + parts[1], atol=1e-12)
    assert all(np.max(np.abs(both - part)) > 1e-3 for part in parts)


def test_rules_do_not_mutate_inputs_or_return_views():
    x, w, _, dout, _ = _layer((1, 2, 6, 6), (2, 2, 3, 3), 2, 1)
    copies = [a.copy() for a in (x, w, dout)]
    dx = rules.input_gradient_from_2d_helpers(dout, w, x.shape, 2, 1)
    dw = rules.weight_gradient_from_2d_helpers(x, dout, (3, 3), 2, 1)
    for before, after in zip(copies, (x, w, dout)):
        np.testing.assert_array_equal(before, after)
    for result in (dx, dw):
        assert not any(np.shares_memory(result, a) for a in (x, w, dout))


@pytest.mark.parametrize("call, message", [
    (lambda d, w, x: rules.input_gradient_from_2d_helpers(d[:, :1], w, x.shape, 2, 1), "dout must have shape"),
    (lambda d, w, x: rules.input_gradient_from_2d_helpers(d, w[:, :1], x.shape, 2, 1), "input channels"),
    (lambda d, w, x: rules.input_gradient_from_2d_helpers(d, w, (1, 2, 6), 2, 1), "x_shape must be 4"),
    (lambda d, w, x: rules.input_gradient_from_2d_helpers(d, w, x.shape, 0, 1), "stride"),
    (lambda d, w, x: rules.input_gradient_from_2d_helpers(d, w, x.shape, 2, -1), "padding"),
    (lambda d, w, x: rules.input_gradient_from_2d_helpers(d[0], w, x.shape, 2, 1), "dout must be 4-D"),
    (lambda d, w, x: rules.input_gradient_from_2d_helpers(d * np.inf, w, x.shape, 2, 1), "finite"),
    (lambda d, w, x: rules.input_gradient_from_2d_helpers(d + 0j, w, x.shape, 2, 1), "real"),
    (lambda d, w, x: rules.input_gradient_from_2d_helpers(d, np.zeros((2, 2, 9, 9)), x.shape, 2, 1),
     "larger than the padded input"),
    (lambda d, w, x: rules.weight_gradient_from_2d_helpers(x, d, (2, 2), 2, 1), "dout must have shape"),
    (lambda d, w, x: rules.weight_gradient_from_2d_helpers(x[0], d, (3, 3), 2, 1), "x must be 4-D"),
    (lambda d, w, x: rules.weight_gradient_from_2d_helpers(x.astype(object), d, (3, 3), 2, 1), "numeric"),
])
def test_bad_input_gets_a_clear_error(call, message):
    x, w, _, dout, _ = _layer((1, 2, 6, 6), (2, 2, 3, 3), 2, 1)
    with pytest.raises((ValueError, TypeError), match=message):
        call(dout, w, x)
