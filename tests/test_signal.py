"""2-D helpers: correlate2d / convolve2d against scipy.signal, and rot180, pad2d,
dilate against arrays written out by hand."""
import numpy as np
import pytest
import scipy.signal
from hypothesis import given
from hypothesis import strategies as st

import cnnlib as cl
from strategies import seeds

sizes = st.integers(1, 6)


@pytest.mark.parametrize("mode", ["valid", "full"])
@pytest.mark.parametrize("ours, scipys", [
    (cl.correlate2d, scipy.signal.correlate2d),
    (cl.convolve2d, scipy.signal.convolve2d),
])
@given(H=sizes, W=sizes, kH=sizes, kW=sizes, seed=seeds)
def test_matches_scipy(ours, scipys, mode, H, W, kH, kW, seed):
    if mode == "valid":
        # scipy's 'valid' also accepts a kernel larger than x (it swaps them); ours
        # raises instead, so draw kernels that fit.
        kH, kW = min(kH, H), min(kW, W)
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal((H, W)), rng.standard_normal((kH, kW))
    result = ours(x, k, mode=mode)
    expected = scipys(x, k, mode=mode)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


def test_correlate_and_convolve_by_hand():
    x = np.array([[1.0, 2.0, 3.0],
                  [4.0, 5.0, 6.0]])
    k = np.array([[1.0, 10.0]])
    np.testing.assert_array_equal(cl.correlate2d(x, k), [[21, 32], [54, 65]])      # x[i,j] + 10 x[i,j+1]
    np.testing.assert_array_equal(cl.convolve2d(x, k), [[12, 23], [45, 56]])       # 10 x[i,j] + x[i,j+1]
    np.testing.assert_array_equal(cl.correlate2d(x, k, mode="full"),
                                  [[10, 21, 32, 3], [40, 54, 65, 6]])


def test_rot180_by_hand():
    k = np.array([[1, 2, 3],
                  [4, 5, 6]])
    np.testing.assert_array_equal(cl.rot180(k), [[6, 5, 4],
                                                 [3, 2, 1]])
    # Only the last two axes turn: a stack of kernels keeps its order.
    stack = np.stack([k, 10 * k])
    np.testing.assert_array_equal(cl.rot180(stack)[1], [[60, 50, 40], [30, 20, 10]])
    np.testing.assert_array_equal(cl.rot180(cl.rot180(k)), k)


def test_pad2d_by_hand():
    x = np.array([[1, 2],
                  [3, 4]])
    np.testing.assert_array_equal(cl.pad2d(x, 1), [[0, 0, 0, 0],
                                                   [0, 1, 2, 0],
                                                   [0, 3, 4, 0],
                                                   [0, 0, 0, 0]])
    np.testing.assert_array_equal(cl.pad2d(x, (0, 1)), [[0, 1, 2, 0],
                                                        [0, 3, 4, 0]])
    padded = cl.pad2d(x, 0)
    np.testing.assert_array_equal(padded, x)
    assert padded is not x
    assert cl.pad2d(np.ones((2, 3, 4, 5)), (1, 2)).shape == (2, 3, 6, 9)  # leading axes untouched


def test_dilate_by_hand():
    x = np.array([[1, 2],
                  [3, 4]])
    np.testing.assert_array_equal(cl.dilate(x, 2), [[1, 0, 2],
                                                    [0, 0, 0],
                                                    [3, 0, 4]])
    np.testing.assert_array_equal(cl.dilate(x, (1, 3)), [[1, 0, 0, 2],
                                                         [3, 0, 0, 4]])
    np.testing.assert_array_equal(cl.dilate(x, 1), x)
    np.testing.assert_array_equal(cl.dilate(np.array([[7]]), 3), [[7]])
    assert cl.dilate(np.ones((2, 3, 2, 2)), 2).shape == (2, 3, 3, 3)


def test_full_correlation_is_valid_correlation_of_the_padded_map():
    # The identity notebook 03 relies on, checked on numbers.
    rng = np.random.default_rng(3)
    x, k = rng.standard_normal((4, 5)), rng.standard_normal((2, 3))
    np.testing.assert_allclose(cl.correlate2d(x, k, "full"), cl.correlate2d(cl.pad2d(x, (1, 2)), k, "valid"))


def test_integer_inputs_give_float_results():
    result = cl.correlate2d(np.ones((3, 3), dtype=int), np.ones((2, 2), dtype=int))
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, np.full((2, 2), 4.0))
