"""Every backward pass against central finite differences (float64, rel error < 1e-7),
over many random configurations; and the semantics of the gradient checker itself.

Finite differences are an independent oracle: they only evaluate forward passes.
Kinks are kept away: max-pool inputs are well separated (no near-ties), ReLU inputs
stay away from 0, probabilities away from 0 and 1.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnlib as cl
from cnnlib.gradcheck import check_layer_gradients, check_loss_gradient, numerical_gradient, rel_error
from strategies import conv_arrays, conv_configs, pool_configs, seeds, separated_values

TOLERANCE = 1e-7

small_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


def assert_all_below(errors, tolerance=TOLERANCE):
    assert errors, "the check compared nothing"
    for name, error in errors.items():
        assert error < tolerance, f"d{name}: rel error {error:.3e} >= {tolerance:.0e} ({errors})"


# --- layers --------------------------------------------------------------------------

@given(conv_configs())
def test_conv2d_gradients_match_finite_differences(config):
    x, w, b, _ = conv_arrays(config)
    errors = check_layer_gradients(
        cl.conv2d_forward, cl.conv2d_backward, {"x": x, "w": w, "b": b},
        seed=config["seed"], stride=config["stride"], padding=config["padding"],
    )
    assert set(errors) == {"x", "w", "b"}
    assert_all_below(errors)


@given(conv_configs(max_batch=1, max_channels=2, max_filters=2, max_kernel=3, max_extra=2))
def test_conv2d_naive_gradients_match_finite_differences(config):
    x, w, b, _ = conv_arrays(config)
    errors = check_layer_gradients(
        cl.conv2d_forward_naive, cl.conv2d_backward_naive, {"x": x, "w": w, "b": b},
        seed=config["seed"], stride=config["stride"], padding=config["padding"],
    )
    assert_all_below(errors)


@pytest.mark.parametrize("forward, backward", [
    (cl.maxpool2d_forward, cl.maxpool2d_backward),
    (cl.maxpool2d_forward_naive, cl.maxpool2d_backward_naive),
])
@given(config=pool_configs())
def test_maxpool2d_gradients_match_finite_differences(forward, backward, config):
    # Overlapping windows (stride < size) are among the drawn configs; there an input
    # that wins several windows must receive the sum of their gradients.
    x = separated_values(config["x_shape"], np.random.default_rng(config["seed"]))
    errors = check_layer_gradients(forward, backward, {"x": x}, seed=config["seed"],
                                   size=config["size"], stride=config["stride"])
    assert_all_below(errors)


def away_from_zero(shape, seed, margin=0.1):
    """Random values with |v| >= margin: a 1e-6 nudge never crosses ReLU's kink at 0."""
    rng = np.random.default_rng(seed)
    magnitude = margin + rng.random(shape) * 2
    return np.where(rng.random(shape) < 0.5, -magnitude, magnitude)


@given(small_shapes, seeds)
def test_relu_gradient_matches_finite_differences(shape, seed):
    errors = check_layer_gradients(cl.relu_forward, cl.relu_backward, {"x": away_from_zero(shape, seed)}, seed=seed)
    assert_all_below(errors)


@given(small_shapes, seeds)
def test_sigmoid_gradient_matches_finite_differences(shape, seed):
    x = np.random.default_rng(seed).uniform(-6, 6, shape)
    assert_all_below(check_layer_gradients(cl.sigmoid_forward, cl.sigmoid_backward, {"x": x}, seed=seed))


@given(st.lists(st.integers(1, 3), min_size=2, max_size=4).map(tuple), seeds)
def test_flatten_gradient_matches_finite_differences(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_all_below(check_layer_gradients(cl.flatten_forward, cl.flatten_backward, {"x": x}, seed=seed))


@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4), seeds)
def test_dense_gradients_match_finite_differences(N, D, M, seed):
    rng = np.random.default_rng(seed)
    inputs = {"x": rng.standard_normal((N, D)), "w": rng.standard_normal((D, M)), "b": rng.standard_normal(M)}
    errors = check_layer_gradients(cl.dense_forward, cl.dense_backward, inputs, seed=seed)
    assert set(errors) == {"x", "w", "b"}
    assert_all_below(errors)


# --- losses --------------------------------------------------------------------------

@given(small_shapes, seeds)
def test_binary_cross_entropy_gradient_matches_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.05, 0.95, shape)
    y = rng.uniform(0, 1, shape)  # soft labels are allowed, and check both terms
    assert check_loss_gradient(cl.binary_cross_entropy, a, y) < TOLERANCE


@given(small_shapes, seeds)
def test_binary_cross_entropy_with_logits_gradient_matches_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-8, 8, shape)
    y = rng.integers(0, 2, shape).astype(np.float64)
    assert check_loss_gradient(cl.binary_cross_entropy_with_logits, z, y) < TOLERANCE


@pytest.mark.parametrize("loss", [cl.mean_squared_error, cl.squared_error])
@given(shape=small_shapes, seed=seeds)
def test_squared_losses_gradient_matches_finite_differences(loss, shape, seed):
    rng = np.random.default_rng(seed)
    assert check_loss_gradient(loss, rng.standard_normal(shape), rng.standard_normal(shape)) < TOLERANCE


# --- the checker can fail ------------------------------------------------------------

def test_check_layer_gradients_catches_a_wrong_backward():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((2, 2, 3, 3)), rng.standard_normal(2)

    def backward_with_a_wrong_dw(dout, cache):
        dx, dw, db = cl.conv2d_backward(dout, cache)
        return dx, dw * 1.01, db  # off by 1 %: must be caught, the others must pass

    errors = check_layer_gradients(cl.conv2d_forward, backward_with_a_wrong_dw, {"x": x, "w": w, "b": b})
    assert errors["x"] < TOLERANCE and errors["b"] < TOLERANCE
    assert errors["w"] == pytest.approx(0.01 / 1.01, rel=1e-3)


def test_check_loss_gradient_catches_a_missing_mean():
    def mse_without_the_mean_in_the_gradient(o, y):
        loss, do = cl.mean_squared_error(o, y)
        return loss, do * o.size

    o, y = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    assert check_loss_gradient(mse_without_the_mean_in_the_gradient, o, y) > 0.5


# --- numerical_gradient and rel_error ------------------------------------------------

def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    gradient = numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_allclose(gradient, 3 * x ** 2, rtol=1e-8)


def test_numerical_gradient_with_dout_is_the_vector_jacobian_product():
    # f(x) = x * [1, 2, 3] elementwise; with dout d the product is d * [1, 2, 3].
    x = np.array([0.3, -1.0, 2.0])
    dout = np.array([10.0, -1.0, 0.5])
    gradient = numerical_gradient(lambda v: v * np.array([1.0, 2.0, 3.0]), x, dout=dout)
    np.testing.assert_allclose(gradient, [10.0, -2.0, 1.5], rtol=1e-8)


def test_numerical_gradient_restores_x():
    x = np.array([1.0, 2.0, 3.0])
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_gradient_restores_x_even_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def fails_on_the_second_call(v):
        calls.append(v.copy())
        if len(calls) == 2:
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(fails_on_the_second_call, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    # It really did nudge x before failing (so the restore was needed).
    assert calls[1][0] == pytest.approx(1.0 - 1e-6)


def test_numerical_gradient_sees_the_nudge_through_a_closure():
    # Layers are checked by closures that read x from outside: the nudge must be in place.
    x = np.array([2.0, 5.0])
    gradient = numerical_gradient(lambda _: float(x[0] * x[1]), x)
    np.testing.assert_allclose(gradient, [5.0, 2.0], rtol=1e-8)


@pytest.mark.parametrize("bad", [[1.0, 2.0], np.array([1, 2]), 3.0])
def test_numerical_gradient_needs_a_float_array(bad):
    with pytest.raises(ValueError, match="float numpy array"):
        numerical_gradient(lambda v: 0.0, bad)


def test_numerical_gradient_needs_dout_for_an_array_valued_f():
    with pytest.raises(ValueError, match=r"shape \(2,\).*dout"):
        numerical_gradient(lambda v: v * 2, np.array([1.0, 2.0]))


def test_rel_error_semantics():
    # max|a - b| / max(max|a|, max|b|): one number scaled by the largest entry.
    assert rel_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 2.2)
    assert rel_error([1.0, 2.2], [1.0, 2.0]) == pytest.approx(0.2 / 2.2)  # symmetric
    assert rel_error([3.0, -4.0], [3.0, -4.0]) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0  # both zero: no 0/0
    # An entry that is 0 in both (a max-pool loser) does not blow the error up ...
    assert rel_error([0.0, 10.0], [0.0, 10.0 + 1e-9]) < 1e-9
    # ... while a wrong small entry shows, at its size relative to the largest.
    assert rel_error([1e-3, 10.0], [0.0, 10.0]) == pytest.approx(1e-4)
    # A gradient that is right up to its sign is completely wrong.
    assert rel_error([1.0, -2.0], [-1.0, 2.0]) == pytest.approx(2.0)


def test_rel_error_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


# --- float32 input: computed in float64 ----------------------------------------------

def test_numerical_gradient_of_float32_input_is_computed_in_float64():
    rng = np.random.default_rng(0)
    x64 = rng.standard_normal((1, 1, 5, 5))
    w = rng.standard_normal((1, 1, 3, 3))
    dout = rng.standard_normal((1, 1, 3, 3))
    x32 = x64.astype(np.float32)
    before = x32.copy()
    seen = []

    def f(v):
        seen.append(v.dtype)
        return cl.conv2d_forward(v, w.astype(np.float32), np.zeros(1, np.float32))[0]

    numeric = numerical_gradient(f, x32, dout=dout)
    assert numeric.dtype == np.float64 and set(seen) == {np.dtype(np.float64)}
    np.testing.assert_array_equal(x32, before)  # never nudged, never changed
    _, cache = cl.conv2d_forward(x32.astype(np.float64), w.astype(np.float32).astype(np.float64), np.zeros(1))
    analytic = cl.conv2d_backward(dout, cache)[0]
    # Nudging the float32 array itself gives rel error 0.095 here (9.5 %); in float64 it is exact.
    assert rel_error(numeric, analytic) < 1e-7


def test_numerical_gradient_warns_when_a_float32_closure_ignores_the_float64_copy():
    x32 = np.ones(3, dtype=np.float32)
    with pytest.warns(RuntimeWarning, match="float64 copy .* read x from a closure"):
        grad = numerical_gradient(lambda _: float(np.sum(x32 ** 2)), x32)
    np.testing.assert_array_equal(grad, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v ** 2), x32), 2, rtol=1e-8)
