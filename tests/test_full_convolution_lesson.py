"""Tests for notebook 03 (delta is a full convolution): layout and scatter/gather geometry,
figures, the explorer widget, and the strided input-gradient exercise checker.

Oracles are independent of the code under test: finite differences, scipy.signal and
conv2d_backward (itself checked against finite differences in the core tests).
"""
import json
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.signal

import cnnlib as cl
from notebook_support import solution_function
from cnnlib.exercises.full_convolution import check_input_gradient
from cnnlib.figures import full_convolution as figures
from cnnlib.widgets import full_convolution as explorer_module

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_delta_full_convolution.ipynb"

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
    layout = figures.full_convolution_layout(delta, w, stride, padding, input_shape)
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
    layout = figures.full_convolution_layout(delta, w)   # input shape inferred
    np.testing.assert_allclose(layout.input_gradient, scipy.signal.convolve2d(delta, w, mode="full"), atol=1e-12)
    assert layout.extra == (0, 0) and layout.border == (2, 1)


def test_floor_rule_rows_get_zero_and_extra_is_counted():
    delta, w = _example((8, 6), (3, 3), 2, 0)
    layout = figures.full_convolution_layout(delta, w, 2, 0, (8, 6))
    assert layout.extra == (1, 1)
    assert np.all(layout.input_gradient[-1, :] == 0) and np.all(layout.input_gradient[:, -1] == 0)
    assert figures.scatter_terms(layout, 8, 3) == []


@pytest.mark.parametrize("input_shape, kernel_shape, stride, padding", CONFIGS)
def test_scatter_terms_and_gather_window_agree_with_the_layer(input_shape, kernel_shape, stride, padding):
    delta, w = _example(input_shape, kernel_shape, stride, padding, seed=2)
    layout = figures.full_convolution_layout(delta, w, stride, padding, input_shape)
    expected = _layer_input_gradient(delta, w, stride, padding, input_shape)
    kH, kW = kernel_shape
    for m in range(1, input_shape[0] + 1):
        for n in range(1, input_shape[1] + 1):
            terms = figures.scatter_terms(layout, m, n)
            # independent enumeration: output (p, q)'s window covers padded row m + padding
            fed = [((p, q), (m + padding - stride * (p - 1), n + padding - stride * (q - 1)))
                   for p in range(1, delta.shape[0] + 1) for q in range(1, delta.shape[1] + 1)
                   if 1 <= m + padding - stride * (p - 1) <= kH and 1 <= n + padding - stride * (q - 1) <= kW]
            assert [(t.output, t.weight) for t in terms] == fed
            for t in terms:
                assert t.delta_value == delta[t.output[0] - 1, t.output[1] - 1]
                assert t.weight_value == w[t.weight[0] - 1, t.weight[1] - 1]
            assert sum(t.product for t in terms) == pytest.approx(expected[m - 1, n - 1], abs=1e-12)
            top, left = figures.gather_window(layout, m, n)
            window = layout.padded_delta[top:top + kH, left:left + kW]
            assert window.shape == kernel_shape
            assert np.sum(window * layout.rotated_kernel) == pytest.approx(expected[m - 1, n - 1], abs=1e-12)


def test_layout_and_positions_reject_bad_input():
    delta, w = _example((5, 5), (3, 3), 1, 0)
    with pytest.raises(ValueError, match=r"delta \(3, 3\).*input \(6, 6\)"):
        figures.full_convolution_layout(delta, w, 1, 0, (6, 6))
    with pytest.raises(ValueError, match="delta must be 2-D"):
        figures.full_convolution_layout(delta[None], w)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        figures.full_convolution_layout(delta, w, 0)
    with pytest.raises(ValueError, match="NaN"):
        figures.full_convolution_layout(np.full((3, 3), np.nan), w)
    layout = figures.full_convolution_layout(delta, w)
    with pytest.raises(ValueError, match=r"\(6, 1\) is outside"):
        figures.scatter_terms(layout, 6, 1)
    with pytest.raises(ValueError, match=r"\(0, 2\) is outside"):
        figures.gather_window(layout, 0, 2)


def test_figures_return_figures():
    delta, w = _example((6, 6), (3, 3), 2, 1)
    layout = figures.full_convolution_layout(delta, w, 2, 1, (6, 6))
    for fig in (figures.step_through_figure(layout), figures.step_through_figure(layout, [(2, 2), (6, 6)]),
                figures.scatter_gather_figure(layout, 3, 4), figures.scatter_gather_figure(layout, 6, 6),
                figures.pipeline_figure(layout)):
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)
    with pytest.raises(ValueError, match="outside"):
        figures.step_through_figure(layout, [(7, 1)])


def test_scatter_gather_figure_shows_the_weights_with_their_values():
    delta, w = _example((6, 6), (3, 3), 2, 1)
    layout = figures.full_convolution_layout(delta, w, 2, 1, (6, 6))
    fig = figures.scatter_gather_figure(layout, 3, 4)
    weights_panel = fig.axes[0]
    texts = [t.get_text() for t in weights_panel.texts]
    for a in range(3):
        for b in range(3):
            assert f"w{a + 1},{b + 1}" in texts                                  # 1-based labels
            assert f"{float(np.round(w[a, b], 2)) + 0.0:g}" in texts             # and the value itself
    assert "padding P = 1" in fig.axes[2].get_xlabel() and "dilated" in fig.axes[2].get_xlabel()
    plt.close(fig)
    pipeline = figures.pipeline_figure(layout)
    titles = [ax.get_title() for ax in pipeline.axes]
    assert titles[0].startswith("1.") and titles[-1].startswith("6. crop P = 1")
    assert "s-1 = 1" in titles[1] and "k-1 = 2" in titles[2]
    plt.close(pipeline)


@pytest.mark.parametrize("kernel_size, stride, padding, m, n", [
    (3, 1, 0, 2, 3), (3, 2, 1, 3, 4), (4, 3, 2, 1, 6), (1, 2, 0, 5, 5), (2, 3, 1, 6, 6)])
def test_state_matches_finite_differences(kernel_size, stride, padding, m, n):
    state = explorer_module.full_convolution_state(kernel_size, stride, padding, m, n)
    w, delta = state.layout.kernel, state.layout.delta
    expected = _layer_input_gradient(delta, w, stride, padding, (6, 6))
    assert state.value == pytest.approx(expected[m - 1, n - 1], abs=1e-9)
    assert state.backward_value == pytest.approx(expected[m - 1, n - 1], abs=1e-9)
    assert sum(t.product for t in state.terms) == pytest.approx(expected[m - 1, n - 1], abs=1e-9)
    assert state.window == (m - 1 + padding, n - 1 + padding)
    if kernel_size > 1:
        assert not np.array_equal(w, w[::-1, ::-1])     # forgetting rot180 always shows
    assert np.all(w == np.round(w)) and np.all(delta == np.round(delta))


def test_state_floor_rule_position_fed_nothing():
    state = explorer_module.full_convolution_state(3, 2, 0, 6, 2)
    assert state.terms == [] and state.value == 0
    html = explorer_module.describe_state(state)
    assert "fed no output" in html and "floor rule" in html


def test_describe_state_lists_every_term_and_the_value():
    state = explorer_module.full_convolution_state(3, 1, 0, 2, 3)
    html = explorer_module.describe_state(state)
    assert html.count("&middot;w<sub>") == len(state.terms) == 6
    assert f"= {float(np.round(state.value, 4)) + 0.0:g}</b>" in html
    assert "agrees" in html


def test_explorer_wiring():
    explorer = explorer_module.FullConvolutionExplorer()
    first_image, first_value = explorer.image.value, explorer.state.value
    assert len(first_image) > 1000
    controls = [explorer.kernel_size, explorer.stride, explorer.padding, explorer.row, explorer.col]
    assert all(control.description for control in controls)
    classes = {cls for widget in controls + [explorer.image, explorer.summary] for cls in widget._dom_classes}
    assert {"cnnlib-full-convolution-kernel-size", "cnnlib-full-convolution-stride", "cnnlib-full-convolution-padding",
            "cnnlib-full-convolution-row", "cnnlib-full-convolution-col", "cnnlib-full-convolution-image",
            "cnnlib-full-convolution-summary"} <= classes
    explorer.stride.value = 2
    explorer.padding.value = 1
    explorer.row.value, explorer.col.value = 3, 4
    state = explorer.state
    assert (state.layout.stride, state.layout.padding, state.m, state.n) == ((2, 2), (1, 1), 3, 4)
    expected = _layer_input_gradient(state.layout.delta, state.layout.kernel, 2, 1, (6, 6))
    assert state.value == pytest.approx(expected[2, 3], abs=1e-9)
    assert explorer.image.value != first_image
    assert f"&delta;<sup>l</sup><sub>3,4</sub> = {float(np.round(state.value, 4)) + 0.0:g}</b>" in explorer.summary.value


# ---- exercise -------------------------------------------------------------------------



def _stub_from_notebook():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.startswith("def input_gradient"):
            namespace = {}
            exec(source, namespace)
            return namespace["input_gradient"]
    raise AssertionError("no stub in the notebook")


def _dilated(delta, stride):
    out = np.zeros(((delta.shape[0] - 1) * stride + 1, (delta.shape[1] - 1) * stride + 1))
    out[::stride, ::stride] = delta
    return out


def _grown(delta, w, stride, input_shape):
    """Dilated delta with the floor-rule zeros, so a full convolution has input_shape."""
    spread = _dilated(delta, stride)
    out = np.zeros((input_shape[0] - w.shape[0] + 1, input_shape[1] - w.shape[1] + 1))
    out[:spread.shape[0], :spread.shape[1]] = spread
    return out


def _fit(array, shape):
    out = np.zeros(shape)
    rows, cols = min(shape[0], array.shape[0]), min(shape[1], array.shape[1])
    out[:rows, :cols] = array[:rows, :cols]
    return out


# Each wrong answer written independently with scipy (full correlation = no rotation, etc.)
WRONG_ANSWERS = {
    "no rotation": lambda d, w, s, shape: scipy.signal.correlate2d(_grown(d, w, s, shape), w, mode="full"),
    "no padding": lambda d, w, s, shape: scipy.signal.convolve2d(_dilated(d, s), w, mode="valid"),
    "no padding (zero-filled to shape)": lambda d, w, s, shape: _fit(
        scipy.signal.convolve2d(_dilated(d, s), w, mode="valid"), shape),
    "stride ignored": lambda d, w, s, shape: scipy.signal.convolve2d(d, w, mode="full"),
    "stride ignored (zero-filled to shape)": lambda d, w, s, shape: _fit(
        scipy.signal.convolve2d(d, w, mode="full"), shape),
    "sum of weights": lambda d, w, s, shape: scipy.signal.convolve2d(
        _grown(d, w, s, shape), np.ones_like(w), mode="full") * w.sum(),
    "floor rule": lambda d, w, s, shape: scipy.signal.convolve2d(_dilated(d, s), w, mode="full"),
}
EXPECTED_NAME = {
    "no rotation": "no rotation",
    "no padding": "no padding",
    "no padding (zero-filled to shape)": "no padding",
    "stride ignored": "stride ignored (no dilation)",
    "stride ignored (zero-filled to shape)": "stride ignored (no dilation)",
    "sum of weights": "sum of weights instead of a single weight",
    "floor rule": "floor rule: rows no window read are missing",
}


def test_solution_in_the_notebook_passes():
    feedback = check_input_gradient(solution_function(NOTEBOOK, "input_gradient"))
    assert feedback.attempted and feedback.passed, str(feedback)


def test_scipy_reference_answer_passes():
    def reference(delta, w, stride, input_shape):
        return scipy.signal.convolve2d(_grown(delta, w, stride, input_shape), w, mode="full")
    assert check_input_gradient(reference).passed


@pytest.mark.parametrize("wrong", sorted(WRONG_ANSWERS))
def test_each_mistake_is_caught_and_named(wrong):
    feedback = check_input_gradient(WRONG_ANSWERS[wrong])
    assert feedback.attempted and not feedback.passed
    assert feedback.mistake == EXPECTED_NAME[wrong], str(feedback)
    assert f"This looks like: {EXPECTED_NAME[wrong]}" in str(feedback)


def test_unanswered_stub_is_not_attempted():
    feedback = check_input_gradient(_stub_from_notebook())
    assert not feedback.attempted and not feedback.passed
    assert str(feedback).startswith("Not attempted yet")


def test_unrecognised_wrong_answers_fail_without_a_name():
    feedback = check_input_gradient(lambda d, w, s, shape: np.ones(shape))
    assert feedback.attempted and not feedback.passed and feedback.mistake == ""
    crashed = check_input_gradient(lambda d, w, s, shape: d @ np.ones((7, 7)))
    assert not crashed.passed and "raised ValueError" in str(crashed)
    text = check_input_gradient(lambda d, w, s, shape: "nonsense")
    assert not text.passed and text.mistake == ""
