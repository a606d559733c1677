"""ReLU, sigmoid, flatten and dense: values written by hand, the backward rules,
and float32."""
import numpy as np
import pytest

import cnnlib as cl


def test_relu_by_hand():
    x = np.array([[-2.0, 0.0, 3.0]])
    out, cache = cl.relu_forward(x)
    np.testing.assert_array_equal(out, [[0, 0, 3]])
    # The gradient passes where x > 0; at exactly 0 we use 0 (like PyTorch).
    np.testing.assert_array_equal(cl.relu_backward(np.array([[5.0, 6.0, 7.0]]), cache), [[0, 0, 7]])


def test_sigmoid_by_hand():
    x = np.array([0.0, np.log(3.0), -np.log(3.0)])
    out, cache = cl.sigmoid_forward(x)
    np.testing.assert_allclose(out, [0.5, 0.75, 0.25], rtol=1e-15)
    # s (1 - s): 1/4, 3/16, 3/16
    np.testing.assert_allclose(cl.sigmoid_backward(np.ones(3), cache), [0.25, 3 / 16, 3 / 16], rtol=1e-15)


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
        out, cache = cl.sigmoid_forward(np.array([-1000.0, 1000.0]))
        dx = cl.sigmoid_backward(np.ones(2), cache)
    np.testing.assert_array_equal(out, [0.0, 1.0])
    np.testing.assert_array_equal(dx, [0.0, 0.0])


def test_flatten_is_row_major():
    x = np.arange(18.0).reshape(2, 1, 3, 3)
    out, cache = cl.flatten_forward(x)
    assert out.shape == (2, 9)
    r, c = 1, 2
    assert out[0, 3 * r + c] == x[0, 0, r, c]  # entry (row r, column c) lands at 3r + c
    np.testing.assert_array_equal(cl.flatten_backward(out, cache), x)


def test_dense_by_hand():
    x = np.array([[1.0, 2.0]])
    w = np.array([[1.0, 0.0, -1.0],
                  [10.0, 1.0, 0.0]])
    b = np.array([0.5, 0.0, 0.0])
    out, cache = cl.dense_forward(x, w, b)
    np.testing.assert_array_equal(out, [[21.5, 2.0, -1.0]])
    dx, dw, db = cl.dense_backward(np.array([[1.0, 0.0, 2.0]]), cache)
    np.testing.assert_array_equal(dx, [[1 * 1 + 2 * -1, 10 * 1]])      # dout @ w.T
    np.testing.assert_array_equal(dw, [[1, 0, 2], [2, 0, 4]])           # outer(x, dout)
    np.testing.assert_array_equal(db, [1, 0, 2])


def test_dense_sums_over_the_batch():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    dout = rng.standard_normal((4, 2))
    _, cache = cl.dense_forward(x, w, b)
    _, dw, db = cl.dense_backward(dout, cache)
    np.testing.assert_allclose(dw, sum(np.outer(x[n], dout[n]) for n in range(4)))
    np.testing.assert_allclose(db, dout[0] + dout[1] + dout[2] + dout[3])


@pytest.mark.parametrize("forward, backward, make_inputs", [
    (cl.relu_forward, cl.relu_backward, lambda rng: (rng.standard_normal((2, 3)),)),
    (cl.sigmoid_forward, cl.sigmoid_backward, lambda rng: (rng.standard_normal((2, 3)),)),
    (cl.flatten_forward, cl.flatten_backward, lambda rng: (rng.standard_normal((2, 3, 2)),)),
    (cl.dense_forward, cl.dense_backward,
     lambda rng: (rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4))),
])
def test_float32_in_float32_out(forward, backward, make_inputs):
    inputs64 = make_inputs(np.random.default_rng(0))
    inputs32 = [a.astype(np.float32) for a in inputs64]
    out32, cache32 = forward(*inputs32)
    out64, cache64 = forward(*inputs64)
    assert out32.dtype == np.float32
    assert cl.rel_error(out32, out64) < 1e-6
    dout = np.random.default_rng(1).standard_normal(out64.shape)
    grads32 = backward(dout.astype(np.float32), cache32)
    grads64 = backward(dout, cache64)
    as_tuple = lambda grads: grads if isinstance(grads, tuple) else (grads,)  # noqa: E731
    assert len(as_tuple(grads32)) == len(as_tuple(grads64))
    for g32, g64 in zip(as_tuple(grads32), as_tuple(grads64)):
        assert g32.dtype == np.float32
        assert cl.rel_error(g32, g64) < 1e-6
