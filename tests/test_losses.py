"""Losses: values by hand, the stated reductions (mean vs sum), stability at |z| = 1000."""
import numpy as np
import pytest

import cnnlib as cl


def test_binary_cross_entropy_by_hand():
    loss, da = cl.binary_cross_entropy(np.array([0.5]), np.array([1.0]))
    assert loss == pytest.approx(np.log(2))
    np.testing.assert_allclose(da, [-2.0])  # -y/a
    loss, da = cl.binary_cross_entropy(np.array([0.8, 0.25]), np.array([1.0, 0.0]))
    assert loss == pytest.approx((-np.log(0.8) - np.log(0.75)) / 2)  # the mean of the two terms
    np.testing.assert_allclose(da, [-1 / 0.8 / 2, 1 / 0.75 / 2])


def test_binary_cross_entropy_with_logits_equals_sigmoid_then_bce():
    z = np.array([-3.0, -0.5, 0.0, 2.0])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    a, sigmoid_cache = cl.sigmoid_forward(z)
    loss_fused, dz = cl.binary_cross_entropy_with_logits(z, y)
    loss_plain, da = cl.binary_cross_entropy(a, y)
    assert loss_fused == pytest.approx(loss_plain, rel=1e-12)
    np.testing.assert_allclose(dz, (a - y) / z.size, rtol=1e-12)
    # The chain rule through the sigmoid gives the same gradient.
    np.testing.assert_allclose(dz, cl.sigmoid_backward(da, sigmoid_cache), rtol=1e-10)


@pytest.mark.parametrize("z, y, expected_loss, expected_dz", [
    (1000.0, 0.0, 1000.0, 1.0),    # confidently wrong: loss = z, gradient = sigmoid(z) - y = 1
    (-1000.0, 1.0, 1000.0, -1.0),
    (1000.0, 1.0, 0.0, 0.0),       # confidently right
    (-1000.0, 0.0, 0.0, 0.0),
])
def test_binary_cross_entropy_with_logits_is_stable_at_1000(z, y, expected_loss, expected_dz):
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
        loss, dz = cl.binary_cross_entropy_with_logits(np.array([z]), np.array([y]))
    assert np.isfinite(loss) and np.all(np.isfinite(dz))
    assert loss == pytest.approx(expected_loss)
    np.testing.assert_allclose(dz, [expected_dz], atol=1e-300)


def test_mean_squared_error_is_a_mean():
    o, y = np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[1.0, 0.0], [0.0, 4.0]])
    loss, do = cl.mean_squared_error(o, y)
    assert loss == pytest.approx((0 + 4 + 9 + 1) / 4)
    np.testing.assert_allclose(do, 2 * (o - y) / 4)


def test_squared_error_is_a_plain_sum():
    # Question 2's cost C = (o - y)^2, with no averaging and no 1/2.
    loss, do = cl.squared_error(np.array([3.0]), np.array([1.0]))
    assert loss == 4.0
    np.testing.assert_array_equal(do, [4.0])
    loss, do = cl.squared_error(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    assert loss == 5.0
    np.testing.assert_array_equal(do, [2.0, 4.0])


@pytest.mark.parametrize("loss_function", [
    cl.binary_cross_entropy, cl.binary_cross_entropy_with_logits, cl.mean_squared_error, cl.squared_error,
])
def test_losses_return_a_python_float_and_a_gradient_of_the_input_shape(loss_function):
    prediction = np.full((2, 3), 0.3)
    target = np.ones((2, 3))
    loss, gradient = loss_function(prediction, target)
    assert isinstance(loss, float)
    assert gradient.shape == prediction.shape


def test_float32_losses():
    z32 = np.array([0.3, -1.2], dtype=np.float32)
    y = np.array([1.0, 0.0], dtype=np.float32)
    loss32, dz32 = cl.binary_cross_entropy_with_logits(z32, y)
    loss64, dz64 = cl.binary_cross_entropy_with_logits(z32.astype(np.float64), y.astype(np.float64))
    assert dz32.dtype == np.float32
    assert loss32 == pytest.approx(loss64, rel=1e-6)
    assert cl.rel_error(dz32, dz64) < 1e-6
