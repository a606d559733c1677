"""Tests for cnnlib.question1, question 1's network (notebook 01's lesson math).

Oracles are independent of the code under test: central finite differences of the loss
for every one of the 20 parameters, and the asker's equations written out with loops.
"""
import numpy as np
import pytest

from cnnlib.gradcheck import numerical_gradient, rel_error
from cnnlib.question1 import (
    PARAMETER_SHAPES,
    loss_from_a1,
    question1_example,
    question1_forward_backward,
    question1_parameters,
    routing_by_rule,
    window_entries,
)


def _clear_of_kinks(model, params, h):
    """True when no ReLU input and no window's top-two gap is within reach of h."""
    a1 = model["a1"][0, 0]
    windows = a1.reshape(3, 2, 3, 2).transpose(0, 2, 1, 3).reshape(9, 4)
    gaps = [np.sort(v)[-1] - np.sort(v)[-2] for v in windows if v.max() > 0]
    return np.abs(model["z1"]).min() > 1000 * h and min(gaps) > 1000 * h


@pytest.mark.parametrize("digit_index, seed", [(0, 156), (5, 3), (42, 11), (7, 20)])
def test_all_20_parameter_gradients_match_finite_differences(digit_index, seed):
    x, y, _ = question1_example(digit_index)
    params = question1_parameters(seed)
    model = question1_forward_backward(x, y, params)
    assert _clear_of_kinks(model, params, 1e-6)   # else a finite difference may misfire
    count = 0
    for name in ("w1", "b1", "w3", "b3"):
        numeric = numerical_gradient(lambda _: question1_forward_backward(x, y, params)["loss"], params[name])
        assert model[f"dL_d{name}"].shape == PARAMETER_SHAPES[name]
        assert rel_error(model[f"dL_d{name}"], numeric) < 1e-7, name
        count += numeric.size
    assert count == 20


def test_the_formulas_after_eq_8_by_hand():
    x, y, _ = question1_example(0)
    params = question1_parameters(156)
    m = question1_forward_backward(x, y, params)
    error = m["a3"][0, 0] - y[0, 0]
    np.testing.assert_allclose(m["dL_dz3"][0, 0], error, rtol=1e-12)                       # eq. (7)
    np.testing.assert_allclose(m["dL_dw3"][:, 0], error * m["a2"][0, 0].ravel(), rtol=1e-12)  # (a3-y) flatten(a2)
    np.testing.assert_allclose(m["dL_db3"][0], error, rtol=1e-12)
    for p in range(1, 4):
        for r in range(1, 4):                                                               # eq. (8)
            np.testing.assert_allclose(m["dL_da2"][0, 0, p - 1, r - 1],
                                       error * params["w3"][3 * (p - 1) + r - 1, 0], rtol=1e-12)
    np.testing.assert_allclose(m["dL_dz1"], m["dL_da1"] * (m["z1"] > 0), rtol=0, atol=0)
    X, D = x[0, 0], m["dL_dz1"][0, 0]
    dw1 = [[sum(D[i, j] * X[i + u, j + v] for i in range(6) for j in range(6)) for v in range(3)] for u in range(3)]
    np.testing.assert_allclose(m["dL_dw1"][0, 0], dw1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(m["dL_db1"][0], D.sum(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("digit_index, seed", [(0, 156), (3, 8), (100, 27)])
def test_routing_by_rule_is_the_library_and_finite_differences(digit_index, seed):
    x, y, _ = question1_example(digit_index)
    params = question1_parameters(seed)
    m = question1_forward_backward(x, y, params)
    rule = routing_by_rule(m["a1"], m["a3"], y, params["w3"])
    np.testing.assert_allclose(rule, m["dL_da1"][0, 0], rtol=1e-12, atol=1e-15)
    a1 = m["a1"][0, 0]
    windows = a1.reshape(3, 2, 3, 2).transpose(0, 2, 1, 3).reshape(3, 3, 4)
    numeric = numerical_gradient(lambda a: loss_from_a1(a, y, params), m["a1"].copy())[0, 0]
    for p in range(3):
        for r in range(3):
            values = windows[p, r]
            if np.sum(values == values.max()) == 1 and np.sort(values)[-1] - np.sort(values)[-2] > 1e-3:
                block = (slice(2 * p, 2 * p + 2), slice(2 * r, 2 * r + 2))
                assert rel_error(rule[block], numeric[block]) < 1e-6


def test_routing_by_rule_gives_a_tie_to_the_first_entry():
    a1 = np.zeros((6, 6))
    a1[2, 3] = a1[3, 2] = 0.5                  # window (2, 2): a positive two-way tie
    rule = routing_by_rule(a1, 0.25, 1.0, np.arange(1.0, 10.0).reshape(9, 1))
    assert rule[2, 3] == -0.75 * 5 and rule[3, 2] == 0.0      # k = 3(2-1)+2 = 5
    assert rule[0, 0] == -0.75 * 1 and np.count_nonzero(rule) == 9   # all-zero windows: first entry


def test_window_entries_follow_eq_11():
    assert window_entries(1, 1) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert window_entries(2, 3) == [(3, 5), (3, 6), (4, 5), (4, 6)]
    for bad in (0, 4, True, 1.5):
        with pytest.raises(ValueError, match="window_row"):
            window_entries(bad, 1)


def test_example_and_parameters():
    x, y, label = question1_example(1)
    assert x.shape == (1, 1, 8, 8) and label == 1 and y[0, 0] == 0.0
    assert question1_example(0)[1][0, 0] == 1.0 and question1_example(0)[2] == 0
    assert {k: v.shape for k, v in question1_parameters(0).items()} == PARAMETER_SHAPES
    assert np.array_equal(question1_parameters(4)["w1"], question1_parameters(4)["w1"])
    assert not np.array_equal(question1_parameters(4)["w1"], question1_parameters(5)["w1"])


def test_bad_input_gets_a_clear_error():
    x, y, _ = question1_example(0)
    params = question1_parameters(0)
    with pytest.raises(ValueError, match="digit_index"):
        question1_example(1797)
    with pytest.raises(TypeError, match="digit_index"):
        question1_example(1.0)
    with pytest.raises(ValueError, match=r"x must have shape \(1, 1, 8, 8\)"):
        question1_forward_backward(x[0, 0], y, params)
    with pytest.raises(ValueError, match="y must be 0 or 1"):
        question1_forward_backward(x, np.array([[0.5]]), params)
    with pytest.raises(ValueError, match="y must have shape"):
        question1_forward_backward(x, 1.0, params)
    with pytest.raises(ValueError, match="keys"):
        question1_forward_backward(x, y, {k: v for k, v in params.items() if k != "b3"})
    with pytest.raises(ValueError, match=r"params\['w3'\] must have shape \(9, 1\)"):
        question1_forward_backward(x, y, {**params, "w3": np.zeros((1, 9))})
    with pytest.raises(ValueError, match="finite"):
        question1_forward_backward(x, y, {**params, "b1": np.array([np.inf])})
    with pytest.raises(ValueError, match="a1 must have shape"):
        loss_from_a1(np.zeros((6, 6)), y, params)
    with pytest.raises(ValueError, match="w3 must have shape"):
        routing_by_rule(np.zeros((6, 6)), 0.5, 1.0, np.zeros(9))


def test_no_mutation_and_no_aliasing():
    x, y, _ = question1_example(3)
    params = question1_parameters(9)
    before = (x.copy(), y.copy(), {k: v.copy() for k, v in params.items()})
    model = question1_forward_backward(x, y, params)
    loss_from_a1(model["a1"], y, params)
    routing_by_rule(model["a1"], model["a3"], y, params["w3"])
    assert np.array_equal(x, before[0]) and np.array_equal(y, before[1])
    assert all(np.array_equal(params[k], before[2][k]) for k in params)
    arrays = [v for v in model.values() if isinstance(v, np.ndarray)]
    for array in arrays:
        assert not any(np.shares_memory(array, v) for v in (x, y, *params.values()))
    assert not any(np.shares_memory(a, b) for k, a in enumerate(arrays) for b in arrays[k + 1:])
    again = question1_forward_backward(x, y, params)
    model["a1"][...] = 99.0                      # editing a result changes nothing else
    assert again["loss"] == model["loss"] and not np.array_equal(again["a1"], model["a1"])
    assert question1_forward_backward(x, y, params)["loss"] == model["loss"]
