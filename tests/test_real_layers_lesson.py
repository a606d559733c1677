"""Notebook 04 (real conv layers): the figures, the layer-shapes explorer and the notebook's
exercise cells (the layer rules are tested in test_layer_rules.py, the checker in the corpus test)."""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnnlib as cl  # noqa: E402
from cnnlib.exercises import real_layers as lesson  # noqa: E402
from cnnlib.figures import real_layers as figures  # noqa: E402
from cnnlib.widgets.real_layers import (  # noqa: E402
    CONTROLS, layer_shapes, layer_shapes_html, real_layer_shapes_explorer)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_real_conv_layers.ipynb"

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


def test_window_grid_svg_is_crisp_readable_and_marks_unread_cells():
    import re
    svg = figures.window_grid_svg(8, 8, 3, 3, 0)          # rows/columns 6-7 unread
    sizes = [float(v) for v in re.findall(r'font-size="([0-9.]+)"', svg)]
    assert sizes and min(sizes) >= 10
    assert svg.count('fill="url(#unread)"') == 8 * 8 - 6 * 6 + 1     # the unread cells, plus the legend swatch
    width = int(re.search(r'width="(\d+)"', svg).group(1))
    assert width <= 700
    assert "output 2×2" in svg and "no picture" in figures.window_grid_svg(3, 3, 5, 1, 0, error="too large")


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


def _tagged(tag):
    return ["".join(c["source"]) for c in _cells() if tag in c.get("metadata", {}).get("tags", [])]


def test_notebook_solution_passes_and_follows_the_convention():
    (solution,) = _tagged("solution")
    assert solution.startswith("# Solution (click to expand)") and solution.rstrip().endswith(
        "print(check_input_gradient(input_gradient))")
    namespace = {"np": np, "cl": cl}
    exec(solution.rsplit("print(", 1)[0], namespace)
    feedback = lesson.check_input_gradient(namespace["input_gradient"])
    assert feedback.attempted and feedback.passed, str(feedback)
    cell = next(c for c in _cells() if "solution" in c.get("metadata", {}).get("tags", []))
    assert cell["metadata"]["jupyter"]["source_hidden"] and cell["metadata"]["slideshow"]["slide_type"] == "skip"
    assert not any("<details>" in "".join(c["source"]) for c in _cells())


def test_notebook_stub_is_not_attempted():
    (stub,) = _tagged("exercise-stub")
    assert "def input_gradient(dout, w, x_shape, stride, padding):" in stub and "NotImplementedError" in stub
    namespace = {}
    exec(stub.split("print(")[0], namespace)
    feedback = lesson.check_input_gradient(namespace["input_gradient"])
    assert not feedback.attempted and str(feedback).startswith("Not attempted yet")


def test_the_answer_is_not_in_scope_before_the_exercise():
    """The layer rule the learner writes is not importable under a name the notebook has before it."""
    cells = [c for c in _cells() if c["cell_type"] == "code"]
    stub_at = next(i for i, c in enumerate(cells) if "exercise-stub" in c["metadata"].get("tags", []))
    before = "\n".join("".join(c["source"]) for c in cells[:stub_at])
    assert "input_gradient_from_2d_helpers" not in before and "import real_layers as lesson" not in before
    assert "import layer_rules\n" not in before and "from cnnlib import layer_rules" not in before


def test_proof_cells_are_folded_and_say_what_they_prove():
    proofs = [c for c in _cells() if "proof" in c.get("metadata", {}).get("tags", [])]
    assert len(proofs) >= 5
    for cell in proofs:
        assert cell["metadata"]["jupyter"]["source_hidden"] and cell["metadata"]["slideshow"]["slide_type"] == "skip"
        assert "".join(cell["source"]).startswith("# Proof: ")


def test_every_cell_has_slideshow_metadata_and_main_slides_have_notes():
    cells = _cells()
    kinds = [c["metadata"].get("slideshow", {}).get("slide_type") for c in cells]
    assert all(kinds), [i for i, k in enumerate(kinds) if not k]
    notes = ["".join(c["source"]) for c, k in zip(cells, kinds) if k == "notes"]
    assert sum(k == "slide" for k in kinds) <= len(notes) + 1
    for text in notes:
        assert "min" in text and "?" in text and "isconception" in text


def test_only_the_timing_cell_is_excluded_from_output_comparison():
    """Timings vary from run to run; the printed library source does not, so nbval compares it."""
    tagged = _tagged("nbval-ignore-output")
    assert len(tagged) == 1 and "perf_counter" in tagged[0]
    source_cells = [c for c in _cells() if c["cell_type"] == "code" and "getsource" in "".join(c["source"])]
    assert len(source_cells) == 2
    assert all("nbval-ignore-output" not in c["metadata"].get("tags", []) for c in source_cells)


def test_overlapping_average_pooling_is_shown_and_checked():
    """Section 5 contrasts max-pool with average pooling on overlapping windows (stride < size)."""
    code = "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "code")
    assert "cl.avgpool2d_forward(x_pool[None, None], size=3, stride=2)" in code
    assert "cl.avgpool2d_backward_naive" in code and "check_layer_gradients(cl.avgpool2d_forward" in code
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    _, cache = cl.avgpool2d_forward(x, size=3, stride=2)
    dx = cl.avgpool2d_backward(np.ones((1, 1, 2, 2)), cache)[0, 0]
    assert dx[2, 2] == pytest.approx(4 / 9) and dx[0, 0] == pytest.approx(1 / 9)
