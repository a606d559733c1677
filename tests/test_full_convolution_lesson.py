"""Tests for notebook 03 (delta is a full convolution): layout and scatter/gather geometry,
figures, the explorer widget, and the strided input-gradient exercise checker.

Oracles are independent of the code under test: finite differences, scipy.signal and
conv2d_backward (itself checked against finite differences in the core tests).
"""
import json
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.signal

import cnnlib as cl
from cnnlib.exercises.full_convolution import check_input_gradient
from cnnlib import single_map
from cnnlib.figures import full_convolution as figures
from cnnlib.widgets import full_convolution as explorer_module

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_delta_full_convolution.ipynb"

# The layer's own input gradient (checked by finite differences) and a seeded example: the same
# helpers as the single-map rule's tests.
from test_single_map import _example, _layer_input_gradient  # noqa: E402


def test_figures_return_figures():
    delta, w = _example((6, 6), (3, 3), 2, 1)
    layout = single_map.full_convolution_layout(delta, w, 2, 1, (6, 6))
    for fig in (figures.step_through_figure(layout), figures.step_through_figure(layout, [(2, 2), (6, 6)]),
                figures.scatter_gather_figure(layout, 3, 4), figures.scatter_gather_figure(layout, 6, 6),
                figures.pipeline_figure(layout)):
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)
    with pytest.raises(ValueError, match="outside"):
        figures.step_through_figure(layout, [(7, 1)])


def test_scatter_gather_figure_shows_the_weights_with_their_values():
    delta, w = _example((6, 6), (3, 3), 2, 1)
    layout = single_map.full_convolution_layout(delta, w, 2, 1, (6, 6))
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
    assert len(first_image) > 1000 and bytes(first_image).startswith(b"<svg")
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




def test_explorer_picture_is_an_svg_at_natural_size_with_readable_text():
    explorer = explorer_module.FullConvolutionExplorer(kernel_size=4, stride=1, padding=2, m=1, n=1)
    svg = bytes(explorer.image.value).decode()
    assert explorer.image.format == "svg+xml" and svg.startswith("<svg")
    assert explorer.image.width == re.search(r'width="(\d+)"', svg).group(1)
    width, height = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
    assert width <= 1300 and height <= 620                        # with its controls it fits 1400x900
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    assert sizes and min(sizes) >= 9                               # no text below 8 px at natural size


def test_svg_lists_the_values_and_the_rotated_weight_labels():
    layout = single_map.full_convolution_layout(np.arange(9.0).reshape(3, 3) - 4,
                                                np.array([[1.0, -2, 3], [0, 1, 2], [-1, 2, 1]]), 2, 1, (6, 6))
    svg = figures.scatter_gather_svg(layout, 3, 4)
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert texts.count("w1,1") == 2 and texts.count("w3,3") == 2     # own kernel + rotated window
    terms = single_map.scatter_terms(layout, 3, 4)
    assert f"scatter: zˡ at (3, 4) fed {len(terms)} output(s)" in texts
    value = layout.input_gradient[2, 3]
    assert f"gives δˡ at (3, 4) = {float(np.round(value, 4)) + 0.0:g}" in texts
    assert "stride s = 2, padding P = 1; dashed box: δˡ⁺¹ dilated" in texts


def test_state_rejects_bad_controls():
    with pytest.raises(ValueError, match="does not fit"):
        explorer_module.full_convolution_state(9, 1, 0, 1, 1)
    with pytest.raises(ValueError, match="outside"):
        explorer_module.full_convolution_state(3, 1, 0, 7, 1)


# ---- exercise (the corpus of answers is in test_exercise_corpus_full_convolution.py) ----

def _cells(tag):
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return [cell for cell in cells if tag in cell["metadata"].get("tags", [])]


def _function_from_cell(tag):
    (cell,) = _cells(tag)
    source = "".join(cell["source"])
    code = "\n".join(line for line in source.splitlines() if not line.startswith("print("))
    namespace = {"np": np, "cl": cl}
    exec(code, namespace)
    return namespace["input_gradient"]


def test_solution_cell_in_the_notebook_passes_and_is_folded():
    (cell,) = _cells("solution")
    assert "".join(cell["source"]).startswith("# Solution (click to expand)")
    assert cell["metadata"]["jupyter"]["source_hidden"] and cell["metadata"]["slideshow"]["slide_type"] == "skip"
    feedback = check_input_gradient(_function_from_cell("solution"))
    assert feedback.attempted and feedback.passed, str(feedback)


def test_unanswered_stub_is_not_attempted():
    feedback = check_input_gradient(_function_from_cell("exercise-stub"))
    assert not feedback.attempted and not feedback.passed
    assert str(feedback).startswith("Not attempted yet")


def test_exercise_cells_are_tagged_and_in_order():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    order = [i for tag in ("exercise", "exercise-stub", "exercise-check", "solution")
             for i, cell in enumerate(cells) if tag in cell["metadata"].get("tags", [])]
    assert order == sorted(order) and len(order) == 4
    assert "".join(cells[order[2]]["source"]).strip() == "print(check_input_gradient(input_gradient))"
