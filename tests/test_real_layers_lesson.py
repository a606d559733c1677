"""Notebook 04 (real conv layers): the 2-D-helper rules, the figures, the layer-shapes
explorer and the multi-channel input-gradient exercise."""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnnlib as cl  # noqa: E402
from notebook_support import solution_function  # noqa: E402
from cnnlib.exercises import real_layers as lesson  # noqa: E402
from cnnlib.figures import real_layers as figures  # noqa: E402
from cnnlib.widgets.real_layers import (  # noqa: E402
    CONTROLS, layer_shapes, layer_shapes_html, real_layer_shapes_explorer)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_real_conv_layers.ipynb"

LAYERS = [  # (x shape, w shape, stride, padding), incl. unread rows/cols and rectangular kernels
    ((2, 2, 5, 5), (3, 2, 3, 3), 1, 0),
    ((1, 3, 6, 7), (2, 3, 2, 3), 1, 1),
    ((2, 2, 8, 7), (2, 2, 3, 3), 2, 0),
    ((1, 2, 9, 8), (2, 2, 3, 2), 3, 1),
    ((1, 1, 4, 4), (1, 1, 4, 4), 2, 2),
    ((1, 2, 6, 6), (2, 2, 1, 1), 2, 0),
]


def _layer(x_shape, w_shape, stride, padding, seed=0):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    out, cache = cl.conv2d_forward_naive(x, w, b, stride, padding)
    return x, w, b, rng.standard_normal(out.shape), cache


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", LAYERS)
def test_helper_rules_match_the_loop_layer(x_shape, w_shape, stride, padding):
    x, w, _, dout, cache = _layer(x_shape, w_shape, stride, padding)
    dx, dw, _ = cl.conv2d_backward_naive(dout, cache)
    np.testing.assert_allclose(lesson.input_gradient_from_2d_helpers(dout, w, x.shape, stride, padding), dx, atol=1e-12)
    np.testing.assert_allclose(lesson.weight_gradient_from_2d_helpers(x, dout, w.shape[2:], stride, padding), dw,
                               atol=1e-12)


def test_helper_rules_match_finite_differences():
    x, w, b, dout, _ = _layer((1, 2, 7, 6), (2, 2, 3, 2), 2, 1, seed=3)

    def forward(x_, w_):
        return cl.conv2d_forward_naive(x_, w_, b, 2, 1)[0]

    numeric_dx = cl.numerical_gradient(lambda v: forward(v, w), x.copy(), dout=dout)
    numeric_dw = cl.numerical_gradient(lambda v: forward(x, v), w.copy(), dout=dout)
    assert cl.rel_error(lesson.input_gradient_from_2d_helpers(dout, w, x.shape, 2, 1), numeric_dx) < 1e-7
    assert cl.rel_error(lesson.weight_gradient_from_2d_helpers(x, dout, (3, 2), 2, 1), numeric_dw) < 1e-7


def test_helpers_do_not_mutate_inputs():
    x, w, _, dout, _ = _layer((1, 2, 6, 6), (2, 2, 3, 3), 2, 1)
    copies = [a.copy() for a in (x, w, dout)]
    lesson.input_gradient_from_2d_helpers(dout, w, x.shape, 2, 1)
    lesson.weight_gradient_from_2d_helpers(x, dout, (3, 3), 2, 1)
    for before, after in zip(copies, (x, w, dout)):
        np.testing.assert_array_equal(before, after)


# ----- figures -----

def test_padded_input_kinds_counts_unread_cells():
    # H=8, p=0, k=3, s=2: windows start at rows 0, 2, 4 and end at row 6; row 7 is never read.
    kinds = figures.padded_input_kinds(8, 7, 3, 2, 0)
    assert kinds.shape == (8, 7)
    assert np.all(kinds[7] == 2) and np.all(kinds[:7] == 1)
    # With padding 1 the left-over row is a padding row: every input cell is read.
    kinds = figures.padded_input_kinds(8, 7, 3, 2, 1)
    assert kinds.shape == (10, 9) and not np.any(kinds == 2)
    assert np.all(kinds[0] == 0) and np.all(kinds[:, -1] == 0) and np.all(kinds[1:9, 1:8] == 1)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_shifted_additions_sum_to_the_input_gradient(stride):
    rng = np.random.default_rng(stride)
    w = rng.standard_normal((3, 2))
    x_shape = (1, 1, 8, 7)
    _, cache = cl.conv2d_forward_naive(np.zeros(x_shape), w[None, None], np.zeros(1), stride, 0)
    dout = rng.standard_normal(cl.conv2d_forward_naive(np.zeros(x_shape), w[None, None], np.zeros(1), stride, 0)[0].shape)
    dx = cl.conv2d_backward_naive(dout, cache)[0][0, 0]
    terms = figures.shifted_additions_terms(dout[0, 0], w, stride, (8, 7))
    assert terms.shape == (3, 2, 8, 7)
    np.testing.assert_allclose(terms.sum(axis=(0, 1)), dx, atol=1e-12)
    # each term is non-zero only on its strided slice: Ho*Wo cells at most
    assert all(np.count_nonzero(terms[a, b]) <= dout[0, 0].size for a in range(3) for b in range(2))


def test_figures_return_figures():
    x = np.arange(25.0).reshape(5, 5) % 7
    pool_x = np.array([[1, 2, 9, 3, 0], [0, 4, 1, 2, 5], [3, 1, 2, 0, 1], [2, 8, 0, 7, 1], [1, 0, 3, 2, 4]], float)
    made = [
        figures.window_grid_figure(8, 7, 3, 2, 1),
        figures.window_grid_figure(3, 3, 5, 1, 0, error="kernel too large"),
        figures.sliding_windows_figure(x, np.ones((3, 3)), 2),
        figures.shifted_additions_figure(np.ones((2, 2)), np.ones((3, 3)), 2, (5, 5)),
        figures.shifted_additions_figure(np.ones((3, 3)), np.ones((2, 2)), 1, (4, 4)),
        figures.overlapping_pool_figure(pool_x, np.ones((2, 2)), 3, 2, (0, 2)),
    ]
    for fig in made:
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)


# ----- explorer -----

@pytest.mark.parametrize("N, C, F, H, W, k, s, p", [
    (2, 3, 4, 8, 7, 3, 2, 1), (1, 1, 1, 5, 5, 1, 1, 0), (3, 2, 5, 12, 9, 5, 3, 2), (1, 2, 2, 4, 6, 4, 4, 0)])
def test_layer_shapes_follow_the_formulas(N, C, F, H, W, k, s, p):
    state = layer_shapes(N, C, F, H, W, k, s, p)
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    assert state.error == ""
    expected = {
        "x": (N, C, H, W), "w": (F, C, k, k), "b": (F,), "x padded": (N, C, H + 2 * p, W + 2 * p),
        "windows": (N, C, Ho, Wo, k, k), "z": (N, F, Ho, Wo), "δ = dL/dz": (N, F, Ho, Wo),
        "δ dilated": (N, F, (Ho - 1) * s + 1, (Wo - 1) * s + 1),
        "Σ_f full corr. with rot180(w)": (N, C, (Ho - 1) * s + k, (Wo - 1) * s + k),
        "dx padded": (N, C, H + 2 * p, W + 2 * p), "dx": (N, C, H, W), "dw": (F, C, k, k), "db": (F,),
    }
    for name, shape in expected.items():
        assert state.shape_of(name) == shape, name
    assert state.unread == ((H + 2 * p - k) % s, (W + 2 * p - k) % s)
    if any(state.unread):
        rows, cols = max(0, state.unread[0] - p), max(0, state.unread[1] - p)
        assert f"{rows} row(s) and {cols} column(s) of them are real input" in layer_shapes_html(state)
    html = layer_shapes_html(state)
    assert f"({N}, {C}, {H}, {W})" in html and f"({N}, {F}, {Ho}, {Wo})" in html and "Impossible" not in html


def test_impossible_layer_shows_the_library_message():
    with pytest.raises(ValueError) as raised:
        cl.conv2d_forward(np.zeros((1, 2, 3, 4)), np.zeros((2, 2, 6, 6)), np.zeros(2), stride=1, padding=1)
    state = layer_shapes(1, 2, 2, 3, 4, 6, 1, 1)
    assert state.error == str(raised.value) != ""
    assert state.backward == [] and state.shape_of("x") == (1, 2, 3, 4)
    assert str(raised.value) in layer_shapes_html(state)
    with pytest.raises(KeyError):
        state.shape_of("z")


def test_explorer_wiring():
    explorer = real_layer_shapes_explorer(height=8, width=7, stride=2, padding=1)
    assert set(CONTROLS) <= set(vars(explorer))
    assert explorer.state.shape_of("z") == (2, 4, 4, 4)
    before_html, before_png = explorer.summary.value, explorer.picture.value
    explorer.filters.value = 6
    assert explorer.state.shape_of("dw") == (6, 3, 3, 3) and explorer.summary.value != before_html
    explorer.padding.value = 0
    assert explorer.state.shape_of("z") == (2, 6, 3, 3) and explorer.picture.value != before_png
    explorer.kernel.value = 7
    explorer.height.value = 4
    assert explorer.state.error and "larger than the padded input" in explorer.summary.value
    assert "cnnlib-real-layers-summary" in explorer.summary._dom_classes
    assert "cnnlib-real-layers-stride" in explorer.stride._dom_classes and explorer.stride.description


# ----- exercise -----

def _cells():
    return json.loads(NOTEBOOK.read_text())["cells"]




def test_notebook_solution_passes():
    feedback = lesson.check_input_gradient(solution_function(NOTEBOOK, "input_gradient"))
    assert feedback.attempted and feedback.passed, str(feedback)


def test_notebook_stub_is_not_attempted():
    stub = next("".join(c["source"]) for c in _cells()
                if c["cell_type"] == "code" and "def input_gradient(" in "".join(c["source"]))
    assert "NotImplementedError" in stub
    namespace = {}
    exec(stub.split("print(")[0], namespace)
    feedback = lesson.check_input_gradient(namespace["input_gradient"])
    assert not feedback.attempted and str(feedback).startswith("Not attempted yet")


def _learner(filters="all", accumulate=True, rotate=True, dilate=True, crop="right"):
    """A learner's input_gradient, written independently of the checker, with one slip switched on."""
    def input_gradient(dout, w, x_shape, stride, padding):
        N, C, H, W = x_shape
        F, _, kH, kW = w.shape
        p = padding
        dx_padded = np.zeros((N, C, H + 2 * p, W + 2 * p))
        chosen = {"all": range(F), "first": [0]}[filters]
        for n in range(N):
            for f in chosen:
                spread = cl.dilate(dout[n, f], stride) if dilate else dout[n, f]
                spread = cl.pad2d(spread, (kH - 1, kW - 1))
                for c in range(C):
                    full = cl.correlate2d(spread, cl.rot180(w[f, c]) if rotate else w[f, c])
                    rows, cols = full.shape
                    if accumulate:
                        dx_padded[n, c, :rows, :cols] += full
                    else:
                        dx_padded[n, c, :rows, :cols] = full
        if crop == "right":
            return dx_padded[:, :, p:p + H, p:p + W]
        if crop == "none":
            return dx_padded
        if crop == "first rows":
            return dx_padded[:, :, :H, :W]
        return dx_padded[:, :, p:-p, p:-p]   # crop == "minus": empty when p == 0
    return input_gradient


@pytest.mark.parametrize("slip, expected_mistake", [
    (dict(filters="first"), "only the first filter (no sum over output channels)"),
    (dict(accumulate=False), "only the last filter (= instead of +=)"),
    (dict(rotate=False), "no rotation"),
    (dict(dilate=False), "stride ignored (dout not dilated)"),
    (dict(crop="none"), "padding not cropped"),
    (dict(crop="first rows"), "cropped the wrong rows"),
    (dict(crop="minus"), "x[p:-p] with p = 0 is empty"),
])
def test_each_mistake_is_caught_and_named(slip, expected_mistake):
    feedback = lesson.check_input_gradient(_learner(**slip))
    assert feedback.attempted and not feedback.passed
    assert feedback.mistake == expected_mistake, str(feedback)
    assert expected_mistake in str(feedback)


def test_correct_learner_passes_and_unknown_error_is_reported():
    assert lesson.check_input_gradient(_learner()).passed

    def wrong_sign(*args):
        return -_learner()(*args)
    feedback = lesson.check_input_gradient(wrong_sign)
    assert feedback.attempted and not feedback.passed and feedback.mistake == ""

    def crashes(*args):
        raise IndexError("index 9 is out of bounds")
    feedback = lesson.check_input_gradient(crashes)
    assert feedback.attempted and not feedback.passed and "IndexError" in str(feedback)


def test_cases_cover_strides_and_paddings():
    settings = {(case.args[3], case.args[4]) for case in lesson.make_cases()}
    assert {(1, 0), (2, 0), (1, 1), (2, 1)} <= settings
    assert all(case.args[1].shape[0] >= 2 and case.args[1].shape[1] >= 2 for case in lesson.make_cases())


def test_only_the_timing_cell_is_excluded_from_output_comparison():
    """Timings vary from run to run; the printed library source does not, so nbval compares it."""
    tagged = ["".join(c["source"]) for c in _cells() if "nbval-ignore-output" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and "perf_counter" in tagged[0]
    source_cells = [c for c in _cells() if c["cell_type"] == "code" and "getsource" in "".join(c["source"])]
    assert len(source_cells) == 2
    assert all("nbval-ignore-output" not in c["metadata"].get("tags", []) for c in source_cells)
