"""Tests for notebook 02's figures, widget and exercise checker (cnnlib.*.weight_gradient).

Oracles are independent of the code under test: finite differences of the cost,
hand-written sums in the question's 1-based numbering, and scipy.
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnnlib.exercises.weight_gradient import (  # noqa: E402
    MISTAKES,
    check_weight_gradient,
    reference_weight_gradient,
    weight_gradient_cases,
)
from cnnlib.figures.weight_gradient import (  # noqa: E402
    cells_touched_by_weight,
    cross_terms_figure,
    number_of,
    position_of,
    weight_gradient_terms_svg,
)
from cnnlib.signal import convolve2d, correlate2d, rot180  # noqa: E402
from cnnlib.widgets.weight_gradient import (  # noqa: E402
    WeightGradientExplorer,
    picture_svg,
    random_question_numbers,
    two_layer_cost,
    view_html,
    weight_gradient_view,
)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_conv_weight_gradient.ipynb"
INPUTS = np.array([[1, 2, 0], [3, 1, 2], [0, 1, 3]], dtype=float)
W1 = np.array([[1, -1], [2, 0]], dtype=float)
W2 = np.array([[1, 2], [-1, 1]], dtype=float)


# ---------- geometry in the question's 1-based numbering ----------

def test_position_and_number_are_inverse_row_by_row():
    assert [position_of(k, 3) for k in (1, 2, 3, 4, 9)] == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 2)]
    assert all(number_of(*position_of(k, 5), 5) == k for k in range(1, 21))
    with pytest.raises(ValueError):
        position_of(0, 3)


def test_cells_touched_match_the_question_text():
    # The question: w1 meets i1, i2, i4, i5 at o1, o2, o3, o4.
    touched = cells_touched_by_weight(1, (3, 3), (2, 2))
    assert [(k, n) for k, _, _, n, _, _ in touched] == [(1, 1), (2, 2), (3, 4), (4, 5)]
    expected_numbers = {1: [1, 2, 4, 5], 2: [2, 3, 5, 6], 3: [4, 5, 7, 8], 4: [5, 6, 8, 9]}
    for m, numbers in expected_numbers.items():
        assert [n for *_, n, _, _ in cells_touched_by_weight(m, (3, 3), (2, 2))] == numbers
    with pytest.raises(ValueError, match="weight_number"):
        cells_touched_by_weight(5, (3, 3), (2, 2))
    with pytest.raises(ValueError, match="does not fit"):
        cells_touched_by_weight(1, (2, 2), (3, 3))


# ---------- widget update logic ----------

def _finite_difference(inputs, w1, w2, y, m, h=1e-5):
    a, b = divmod(m - 1, w1.shape[1])
    plus, minus = w1.copy(), w1.copy()
    plus[a, b] += h
    minus[a, b] -= h

    def cost(w):  # written out by hand, no cnnlib: o1 by explicit windows, o2 = sum(o1 * w2)
        o1 = np.array([[np.sum(inputs[r:r + 2, c:c + 2] * w) for c in range(2)] for r in range(2)])
        return (np.sum(o1 * w2) - y) ** 2
    return (cost(plus) - cost(minus)) / (2 * h)


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_view_matches_hand_written_sums_and_finite_differences(m):
    y = 11.0
    view = weight_gradient_view(INPUTS, W1, W2, y, m)
    i = INPUTS.ravel()  # i[n - 1] is the question's i_n
    o1 = [i[0] * 1 - i[1] + 2 * i[3], i[1] - i[2] + 2 * i[4], i[3] - i[4] + 2 * i[6], i[4] - i[5] + 2 * i[7]]
    np.testing.assert_allclose(view.o1.ravel(), o1)
    o2 = o1[0] * 1 + o1[1] * 2 - o1[2] + o1[3]
    assert view.o2 == pytest.approx(o2) and view.cost == pytest.approx((o2 - y) ** 2)
    delta1 = W2.ravel() * 2 * (o2 - y)
    np.testing.assert_allclose(view.delta1.ravel(), delta1)
    numbers = {1: [1, 2, 4, 5], 2: [2, 3, 5, 6], 3: [4, 5, 7, 8], 4: [5, 6, 8, 9]}[m]
    correct = sum(i[n - 1] * delta1[k] for k, n in enumerate(numbers))
    asker = sum(i[n - 1] for n in numbers) * sum(delta1)
    assert view.correct == pytest.approx(correct)
    assert view.asker_product == pytest.approx(asker)
    assert view.finite_difference == pytest.approx(_finite_difference(INPUTS, W1, W2, y, m), rel=1e-6)
    assert view.verdict == "correct"
    assert [t[-1] for t in view.touched] == pytest.approx([i[n - 1] * delta1[k] for k, n in enumerate(numbers)])


def test_view_verdict_both_when_the_prediction_is_exact():
    o2 = weight_gradient_view(INPUTS, W1, W2, 0.0, 1).o2
    view = weight_gradient_view(INPUTS, W1, W2, o2, 1)
    assert view.correct == 0 and view.asker_product == 0 and view.verdict == "both"
    assert "coincidence" in view_html(view)


def test_view_html_brackets_negative_factors():
    """A product of negatives reads "(-1) × (-2)", never "-1 × -2"; results are not bracketed."""
    view = weight_gradient_view(INPUTS, W1, W2, 11.0, 1)   # delta^1_3 = -2 multiplies i^1_4 = 3
    html = view_html(view)
    assert "3 × (-2)" in html and "= -6" in html and "(-6)" not in html
    negative = weight_gradient_view(-INPUTS, W1, W2, 11.0, 1)
    assert "(-3) × " in view_html(negative)


def test_view_does_not_modify_inputs_and_rejects_bad_shapes():
    copies = INPUTS.copy(), W1.copy(), W2.copy()
    weight_gradient_view(INPUTS, W1, W2, 3.0, 2)
    for a, b in zip((INPUTS, W1, W2), copies):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="w2"):
        weight_gradient_view(INPUTS, W1, np.ones((3, 3)), 1.0, 1)
    with pytest.raises(ValueError, match="2-D"):
        weight_gradient_view(INPUTS[None], W1, W2, 1.0, 1)


def test_two_layer_cost_matches_scipy():
    scipy_signal = pytest.importorskip("scipy.signal")
    o1 = scipy_signal.correlate2d(INPUTS, W1, mode="valid")
    assert two_layer_cost(INPUTS, W1, W2, 4.0) == pytest.approx((np.sum(o1 * W2) - 4.0) ** 2)


def test_random_numbers_are_seeded_small_integers():
    a, b = random_question_numbers(7), random_question_numbers(7)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert [x.shape for x in a] == [(3, 3), (2, 2), (2, 2)]
    assert all(np.all(x == np.round(x)) and np.abs(x).max() <= 3 for x in a)


# ---------- widget wiring ----------

def test_explorer_wiring_updates_state_picture_and_text():
    explorer = WeightGradientExplorer(INPUTS, W1, W2, 11.0)
    first_png = bytes(explorer.picture.value)
    assert explorer.picture.format == "svg+xml" and first_png.startswith(b"<svg")
    assert explorer.picture.width == first_png.decode().split('width="')[1].split('"')[0]   # natural size
    assert "dC/dw1_1 = 6" in first_png.decode()            # the SVG's own title / aria-label
    assert explorer.state.weight_number == 1 and explorer.state.correct == pytest.approx(6.0)
    assert "42" in explorer.summary.value  # the question's product for these numbers
    explorer.weight.value = 4
    assert explorer.state.weight_number == 4
    assert explorer.state.correct == pytest.approx(_finite_difference(INPUTS, W1, W2, 11.0, 4), rel=1e-6)
    assert "i<sup>1</sup><sub>9</sub>" in explorer.summary.value and bytes(explorer.picture.value) != first_png
    explorer.seed.value = 3
    inputs, w1, w2 = random_question_numbers(3)
    np.testing.assert_array_equal(explorer.state.inputs, inputs)
    explorer.target.value = -2.5
    assert explorer.state.y == -2.5
    assert explorer.state.finite_difference == pytest.approx(_finite_difference(inputs, w1, w2, -2.5, 4),
                                                             rel=1e-6, abs=1e-6)
    explorer.seed.value = 0
    np.testing.assert_array_equal(explorer.state.inputs, INPUTS)
    for control in (explorer.weight, explorer.seed, explorer.target, explorer.picture, explorer.summary):
        assert any(c.startswith("cnnlib-weight-gradient-") for c in control._dom_classes)
    for slider in (explorer.weight, explorer.seed, explorer.target):
        assert slider.description


# ---------- figures ----------

def test_figures_draw_and_check_shapes():
    view = weight_gradient_view(INPUTS, W1, W2, 11.0, 1)
    fig = cross_terms_figure([1, 2, 3, 1], view.delta1.ravel(), [1, 2, 4, 5])
    assert isinstance(fig, plt.Figure)
    plt.close(fig)
    with pytest.raises(ValueError, match="deltas"):
        weight_gradient_terms_svg(INPUTS, np.ones((3, 3)), 1)
    with pytest.raises(ValueError, match="same length"):
        cross_terms_figure([1, 2, 3], [1, 2, 3, 4], [1, 2, 4])


def test_terms_svg_shows_every_term_the_sum_and_the_product_as_text():
    """The picture's numbers are real text: each term i_n * delta_k, the total and the asker's product."""
    import xml.etree.ElementTree as ET
    view = weight_gradient_view(INPUTS, W1, W2, 11.0, 4)
    svg = weight_gradient_terms_svg(INPUTS, view.delta1, 4)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for _, n, _, _, term in view.touched:
        assert f"{term:g}" in texts
    assert "i¹₉·δ¹₄" in texts and f"{view.correct:g}" in texts
    assert f"(Σ inputs)(Σ δ) = {view.asker_product:g}" in texts
    sizes = [float(t.get("font-size")) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert min(sizes) >= 12                      # >= 8 px at natural size, with room to spare
    assert 600 <= int(root.get("width")) <= 900 and int(root.get("height")) <= 320
    assert root.get("aria-label") and picture_svg(view) == svg


# ---------- exercise checker ----------

def test_reference_matches_scipy_and_finite_differences():
    scipy_signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(0)
    for case in weight_gradient_cases():
        x, delta = case.args
        np.testing.assert_allclose(case.expected, scipy_signal.correlate2d(x, delta, mode="valid"), atol=1e-12)
        # finite differences of C = sum(correlate(x, w) * delta) with respect to w
        w = rng.standard_normal(case.expected.shape)
        numeric = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            plus, minus = w.copy(), w.copy()
            plus[index] += 1e-6
            minus[index] -= 1e-6
            numeric[index] = (np.sum(scipy_signal.correlate2d(x, plus, mode="valid") * delta)
                              - np.sum(scipy_signal.correlate2d(x, minus, mode="valid") * delta)) / 2e-6
        np.testing.assert_allclose(reference_weight_gradient(x, delta), numeric, atol=1e-6)


def test_cases_include_non_square_kernels_and_asymmetric_inputs():
    cases = weight_gradient_cases()
    assert any(c.expected.shape[0] != c.expected.shape[1] for c in cases)
    for case in cases:
        x = case.args[0]
        assert not np.array_equal(x, rot180(x)), case.name  # else rot180 and convolution coincide




def _tagged_cells(tag):
    return ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]
            if tag in c["metadata"].get("tags", [])]


def test_notebook_solution_passes():
    """The solution is a hidden code cell tagged "solution" (no <details> block), redefining the stub's name."""
    (solution,) = _tagged_cells("solution")
    assert solution.startswith("# Solution (click to expand)") and "<details>" not in NOTEBOOK.read_text()
    namespace = {"np": np}
    exec(solution.split("print(")[0], namespace)
    feedback = check_weight_gradient(namespace["weight_gradient"])
    assert feedback.attempted and feedback.passed, str(feedback)


def test_notebook_stub_is_not_attempted():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    stub = next("".join(c["source"]) for c in cells
                if c["cell_type"] == "code" and "def weight_gradient(" in "".join(c["source"]))
    assert "NotImplementedError" in stub
    namespace = {}
    exec(stub.split("print(")[0], namespace)
    feedback = check_weight_gradient(namespace["weight_gradient"])
    assert not feedback.attempted and str(feedback).startswith("Not attempted yet")


def test_correlate_passes():
    assert check_weight_gradient(lambda x, delta: correlate2d(x, delta)).passed


def _loops(x, delta, pair):
    """dW by loops over output positions, with `pair(r, c)` choosing which delta meets x[r+a, c+b]."""
    Ho, Wo = delta.shape
    kH, kW = x.shape[0] - Ho + 1, x.shape[1] - Wo + 1
    dW = np.zeros((kH, kW))
    for a in range(kH):
        for b in range(kW):
            dW[a, b] = sum(x[r + a, c + b] * delta[pair(r, c, Ho, Wo)] for r in range(Ho) for c in range(Wo))
    return dW


# Wrong answers written the way a learner would write them (not by calling the Mistake's own function).
WRONG_ANSWERS = {
    "(sum of inputs) x (sum of deltas)": lambda x, d: np.array(
        [[np.sum(x[a:a + d.shape[0], b:b + d.shape[1]]) * np.sum(d) for b in range(x.shape[1] - d.shape[1] + 1)]
         for a in range(x.shape[0] - d.shape[0] + 1)]),
    "transposed kernel gradient (rows and columns swapped)": lambda x, d: correlate2d(x.T, d.T),
    "result rotated by 180 degrees": lambda x, d: _loops(x, d, lambda r, c, Ho, Wo: (r, c))[::-1, ::-1],
    "convolution instead of cross-correlation (delta flipped before sliding)":
        lambda x, d: _loops(x, d, lambda r, c, Ho, Wo: (Ho - 1 - r, Wo - 1 - c)),
    "averaged over output positions instead of summed": lambda x, d: correlate2d(x, d) / (d.shape[0] * d.shape[1]),
    "the bias gradient (sum of deltas) in every entry":
        lambda x, d: np.ones((x.shape[0] - d.shape[0] + 1, x.shape[1] - d.shape[1] + 1)) * d.sum(),
}


@pytest.mark.parametrize("name", list(WRONG_ANSWERS))
def test_each_named_mistake_is_caught_and_named(name):
    assert name in [m.name for m in MISTAKES]
    feedback = check_weight_gradient(WRONG_ANSWERS[name])
    assert feedback.attempted and not feedback.passed
    assert feedback.mistake == name, str(feedback)
    assert f"This looks like: {name}" in str(feedback)


def test_transpose_that_only_shows_on_non_square_kernels_is_named_from_the_shape():
    def transposes_only_when_it_matters(x, delta):
        dW = correlate2d(x, delta)
        return dW if dW.shape[0] == dW.shape[1] else dW.T
    feedback = check_weight_gradient(transposes_only_when_it_matters)
    assert "wrong shape" in str(feedback) and feedback.mistake.startswith("transposed")


def test_rotated_result_and_convolution_coincide_only_on_symmetric_inputs():
    # Honest about the limit the hints mention: on a 180-degree-symmetric x they are the same numbers.
    x = np.array([[1.0, 2, 3], [4, 5, 4], [3, 2, 1]])
    delta = np.array([[1.0, -2], [3, 0.5]])
    np.testing.assert_allclose(rot180(correlate2d(x, delta)), convolve2d(x, delta))
    x_asymmetric = weight_gradient_cases()[0].args[0]
    assert not np.allclose(rot180(correlate2d(x_asymmetric, delta)), convolve2d(x_asymmetric, delta))


def test_unexpected_error_is_reported_not_raised():
    def broken(x, delta):
        return x[10, 10]
    feedback = check_weight_gradient(broken)
    assert feedback.attempted and not feedback.passed and "IndexError" in str(feedback)
