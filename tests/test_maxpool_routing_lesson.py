"""Tests for notebook 01's figures, explorer and exercise checker (cnnlib.*.maxpool_routing).

The network itself (cnnlib.question1) is tested in test_question1.py.

Oracles are independent of the code under test: finite differences of the loss,
the asker's formulas written out with 1-based indices, and hand-written loops.
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnnlib.exercises.maxpool_routing import (  # noqa: E402
    MISTAKES,
    check_maxpool_backward,
    maxpool_cases,
)
from cnnlib.figures.maxpool_routing import (  # noqa: E402
    digit_and_kernel_figure,
    layer_one_figure,
    routing_figure,
    routing_svg,
    window_winners,
)
from cnnlib.gradcheck import numerical_gradient, rel_error  # noqa: E402
from cnnlib.question1 import (  # noqa: E402
    loss_from_a1,
    question1_example,
    question1_forward_backward,
    question1_parameters,
)
from cnnlib.widgets.maxpool_routing import (  # noqa: E402
    MaxpoolRoutingExplorer,
    maxpool_routing_explorer,
    routing_state,
    routing_summary_html,
)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_maxpool_gradient_routing.ipynb"


def _windows(a1):
    """(3, 3, 4): window (p-1, r-1) -> its four a1 values, row-major."""
    return a1.reshape(3, 2, 3, 2).transpose(0, 2, 1, 3).reshape(3, 3, 4)


# ---------- the explorer's update logic ----------

@pytest.mark.parametrize("digit_index, seed", [(0, 156), (3, 8), (100, 27)])
def test_routing_state_against_independent_computation(digit_index, seed):
    x, y, _ = question1_example(digit_index)
    params = question1_parameters(seed)
    model = question1_forward_backward(x, y, params)
    a1 = model["a1"][0, 0]
    a3 = float(model["a3"][0, 0])
    for p in range(1, 4):
        for r in range(1, 4):
            state = routing_state(digit_index, seed, p, r, nudge=1e-4)
            values = _windows(a1)[p - 1, r - 1]
            assert np.array_equal(state.values, values)
            assert state.winner == int(np.argmax(values))               # first max
            assert state.tied == int(np.sum(values == values.max()))
            upstream = (a3 - y[0, 0]) * params["w3"][3 * (p - 1) + r - 1, 0]
            assert np.isclose(state.upstream, upstream)
            expected_gradients = np.zeros(4)
            expected_gradients[state.winner] = upstream
            assert np.allclose(state.gradients, expected_gradients, atol=1e-15)
            second = np.sort(values)[-2]
            for k in range(4):
                if k != state.winner and values[k] + 1e-4 < values.max():
                    assert state.loss_changes[k] == 0.0                # a loser: no change at all
            if state.tied == 1:
                assert abs(state.loss_changes[state.winner] - upstream * 1e-4) < 1e-7
                assert values.max() - second > 0


def test_routing_state_nudge_is_one_entry_with_the_rest_fixed():
    state = routing_state(0, 156, 3, 2, nudge=0.03)
    x, y, _ = question1_example(0)
    params = question1_parameters(156)
    a1 = question1_forward_backward(x, y, params)["a1"]
    for k, (i, j) in enumerate(state.entries):
        nudged = a1.copy()
        nudged[0, 0, i - 1, j - 1] += 0.03
        assert state.loss_changes[k] == loss_from_a1(nudged, y, params) - state.loss
    assert np.allclose(state.predicted_changes, state.gradients * 0.03)


def test_a_big_nudge_lets_a_loser_take_over():
    # Window (2, 1) of the notebook's example: 0.066, 0.122, 0.244, 0.275 (winner: last).
    small, big = routing_state(0, 156, 2, 1, 0.02), routing_state(0, 156, 2, 1, 0.2)
    assert small.winner == 3 and np.all(small.loss_changes[:3] == 0.0)
    assert big.loss_changes[0] == 0.0 and big.loss_changes[1] != 0.0 and big.loss_changes[2] != 0.0


def test_a_big_negative_nudge_sinks_the_winner():
    # Window (2, 1): the winner 0.275 - 0.2 = 0.075 drops below 0.244, so a2 falls by only
    # 0.275 - 0.244 = 0.031: the loss moves far less than gradient x nudge, and losers stay at 0.
    state = routing_state(0, 156, 2, 1, -0.2)
    a1 = state.values
    runner_up = np.sort(a1)[-2]
    nudged_a2_drop = a1[state.winner] - runner_up
    assert np.all(state.loss_changes[:3] == 0.0)
    assert abs(state.loss_changes[3]) < abs(state.predicted_changes[3]) / 2
    # first order in the actual drop of the max, not in the nudge:
    assert abs(state.loss_changes[3] - state.upstream * (-nudged_a2_drop)) < 1e-3
    assert "sink" in routing_summary_html(state)


def test_tied_window_and_summary_text():
    state = routing_state(0, 156, 1, 2, 0.05)
    assert state.tied == 4 and state.winner == 0 and np.all(state.values == 0)
    html = routing_summary_html(state)
    assert "tie" in html and "a⁽¹⁾<sub>1,3</sub>" in html and "-0.0000" not in html
    html = routing_summary_html(routing_state(0, 156, 1, 1, 0.05))
    assert html.count("<tr") == 5 and html.count(">winner<") == 1 and "0.6365" in html


def test_routing_state_rejects_bad_windows():
    with pytest.raises(ValueError, match="window_row"):
        routing_state(window_row=0)
    with pytest.raises(ValueError, match="window_col"):
        routing_state(window_col=4)


# ---------- the explorer widget's wiring ----------

def test_explorer_wiring():
    explorer = maxpool_routing_explorer(digit_index=0, seed=156)
    assert isinstance(explorer, MaxpoolRoutingExplorer)
    assert explorer.state.window_row == 1 and explorer.state.winner == 0
    first_picture, first_summary = bytes(explorer.picture.value), explorer.summary.value
    assert first_picture.startswith(b"<svg") and explorer.picture.format == "svg+xml"
    width = int(explorer.picture.width)       # shown at its natural size, never stretched
    assert 400 <= width <= 1200 and explorer.picture.layout.max_width == f"{width}px"
    assert f'width="{width}"'.encode() in first_picture

    explorer.window_row.value = 2
    assert explorer.state.window_row == 2 and explorer.state.entries[0] == (3, 1)
    assert bytes(explorer.picture.value) != first_picture and explorer.summary.value != first_summary

    picture = bytes(explorer.picture.value)
    explorer.nudge.value = 0.1
    assert explorer.state.nudge == 0.1 and "0.1000" in explorer.summary.value
    assert bytes(explorer.picture.value) == picture          # the picture does not depend on the nudge

    explorer.seed.value = 3
    assert explorer.state.seed == 3 and bytes(explorer.picture.value) != picture
    explorer.digit_index.value = 10
    assert explorer.state.digit_index == 10 and explorer.state.label == 0
    for control in ("window_row", "window_col", "digit_index", "seed", "nudge"):
        assert any(c.startswith("cnnlib-maxpool-routing-") for c in getattr(explorer, control)._dom_classes)
        assert getattr(explorer, control).description
    with pytest.raises(ValueError, match="seed"):
        maxpool_routing_explorer(seed=1000)


# ---------- figures ----------

def test_window_winners_first_max():
    a1 = np.zeros((6, 6))
    a1[1, 1] = 2.0          # window (1, 1): bottom-right wins
    a1[2, 2] = a1[3, 3] = 1.0   # window (2, 2): a tie, the first (row-major) wins
    winners = window_winners(a1)
    assert winners[(1, 1)] == (1, 1) and winners[(2, 2)] == (2, 2) and winners[(3, 3)] == (4, 4)
    assert len(winners) == 9


def test_figures_build_and_reject_bad_shapes():
    model = question1_forward_backward(*question1_example(0)[:2], question1_parameters(156))
    for fig in (routing_figure(model["a1"], model["dL_da1"], window=(2, 3)),
                routing_figure(model["a1"][0, 0], model["dL_da1"][0, 0]),
                digit_and_kernel_figure(question1_example(0)[0], question1_parameters(156)["w1"], label=0),
                layer_one_figure(model["z1"], model["dL_dz1"], model["dL_dw1"])):
        assert isinstance(fig, plt.Figure)
        plt.close(fig)
    with pytest.raises(ValueError, match="dL_da1"):
        routing_figure(np.zeros((6, 6)), np.zeros((5, 5)))
    with pytest.raises(ValueError, match="a1"):
        routing_figure(np.zeros((2, 1, 6, 6)), np.zeros((6, 6)))


def test_routing_svg_shows_the_values_winners_and_window():
    import re
    model = question1_forward_backward(*question1_example(0)[:2], question1_parameters(156))
    svg, width, height = routing_svg(model["a1"], model["dL_da1"], window=(2, 1))
    assert svg.startswith("<svg") and f'width="{width}" height="{height}"' in svg
    assert width <= 1200 and height <= 520                                # fits a slide and 1400x900
    assert min(float(size) for size in re.findall(r'font-size="([0-9.]+)"', svg)) >= 8   # readable
    assert "0.64" in svg and "0.38" in svg and "<title>" in svg              # a1_{1,1}, its gradient; alt text
    assert svg.count('stroke-dasharray') == 2                                # window (2, 1) in both grids
    assert svg.count('stroke="black" stroke-width="2.5"') == 18               # 9 winners, framed twice
    with pytest.raises(ValueError, match="dL_da1"):
        routing_svg(np.zeros((6, 6)), np.zeros((5, 5)))


# ---------- the exercise ----------

def _by_hand(dout, x, size, stride):
    """An independent reference: loops, first max by explicit comparison, += for overlaps."""
    dx = np.zeros(x.shape)
    for n, c, i, j in np.ndindex(dout.shape):
        best = None
        for a in range(size):
            for b in range(size):
                value = x[n, c, i * stride + a, j * stride + b]
                if best is None or value > best[0]:
                    best = (value, i * stride + a, j * stride + b)
        dx[n, c, best[1], best[2]] += dout[n, c, i, j]
    return dx


def test_cases_expected_values_are_right():
    names = [case.name for case in maxpool_cases()]
    assert any("ties" in n for n in names) and any("overlapping" in n for n in names)
    assert any("batch" in n for n in names)
    for case in maxpool_cases():
        assert np.array_equal(case.expected, _by_hand(*case.args)), case.name
        dout, x, size, stride = case.args
        # upstream values are not 1 and differ from each other, so forgetting or mixing them up shows
        assert np.all(np.abs(dout) != 1) and (dout.size == 1 or not np.all(dout == dout.flat[0]))
    overlapping = [c for c in maxpool_cases() if "overlapping" in c.name][0]
    dout, x, size, stride = overlapping.args
    assert stride < size
    # No ties in the overlapping case: finite differences of sum(out * dout) are a valid oracle.
    from cnnlib.pool import maxpool2d_forward
    numeric = numerical_gradient(lambda v: maxpool2d_forward(v, size, stride)[0], x.copy(), dout=dout)
    assert rel_error(overlapping.expected, numeric) < 1e-7




def _cells_tagged(tag):
    notebook = json.loads(NOTEBOOK.read_text())
    return [c for c in notebook["cells"] if tag in c["metadata"].get("tags", [])]


def test_notebook_solution_passes_and_follows_the_solution_convention():
    (cell,) = _cells_tagged("solution")
    source = "".join(cell["source"])
    assert cell["cell_type"] == "code" and cell["metadata"]["jupyter"]["source_hidden"] is True
    assert cell["metadata"]["slideshow"]["slide_type"] == "skip"
    assert source.startswith("# Solution (click to expand)\n")
    assert source.rstrip().endswith("print(check_maxpool_backward(maxpool_backward))")
    namespace = {"np": np}
    exec(source.rsplit("print(", 1)[0], namespace)
    feedback = check_maxpool_backward(namespace["maxpool_backward"])
    assert feedback.passed and f"All {len(maxpool_cases())} cases pass" in str(feedback)
    assert "<details>" not in NOTEBOOK.read_text()
    assert [len(_cells_tagged(t)) for t in ("exercise", "exercise-stub", "exercise-check")] == [1, 1, 1]


def test_notebook_stub_is_not_attempted():
    notebook = json.loads(NOTEBOOK.read_text())
    stub = next("".join(c["source"]) for c in notebook["cells"]
                if c["cell_type"] == "code" and "raise NotImplementedError" in "".join(c["source"]))
    namespace = {"np": np}
    exec(stub.split("print(")[0], namespace)
    feedback = check_maxpool_backward(namespace["maxpool_backward"])
    assert not feedback.attempted and str(feedback).startswith("Not attempted yet")


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_each_named_mistake_is_caught_and_named(mistake):
    feedback = check_maxpool_backward(mistake.compute)
    assert feedback.attempted and not feedback.passed
    assert feedback.mistake == mistake.name
    text = str(feedback)
    assert "Case '" in text and "expected:" in text and "got:" in text and mistake.hint in text


def test_the_required_mistakes_are_among_the_named_ones():
    names = " | ".join(m.name for m in MISTAKES)
    for required in ("all four inputs", "averaging", "stride offset", "off by one", "every tied maximum"):
        assert required in names


def test_written_out_mistakes_are_caught():
    """Wrong answers written the way a learner would, not taken from the checker's own list."""
    def averaged(dout, x, size, stride):
        dx = np.zeros(x.shape)
        for n, c, i, j in np.ndindex(dout.shape):
            dx[n, c, i * stride:i * stride + size, j * stride:j * stride + size] += dout[n, c, i, j] / size ** 2
        return dx

    def all_four(dout, x, size, stride):
        dx = np.zeros(x.shape)
        for n, c, i, j in np.ndindex(dout.shape):
            dx[n, c, i * stride:i * stride + size, j * stride:j * stride + size] += dout[n, c, i, j]
        return dx

    def no_stride(dout, x, size, stride):
        dx = np.zeros(x.shape)
        for n, c, i, j in np.ndindex(dout.shape):
            window = x[n, c, i:i + size, j:j + size]
            a, b = divmod(int(np.argmax(window)), size)
            dx[n, c, i + a, j + b] += dout[n, c, i, j]
        return dx

    def every_tie(dout, x, size, stride):
        dx = np.zeros(x.shape)
        for n, c, i, j in np.ndindex(dout.shape):
            window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
            dx[n, c, i * stride:i * stride + size, j * stride:j * stride + size] += (window == window.max()) * dout[n, c, i, j]
        return dx

    expected = {averaged: "averaging", all_four: "all four inputs", no_stride: "stride offset",
                every_tie: "every tied maximum"}
    for function, name in expected.items():
        feedback = check_maxpool_backward(function)
        assert not feedback.passed and name in feedback.mistake, (function.__name__, str(feedback))


def test_an_unrecognised_wrong_answer_gets_a_general_hint():
    feedback = check_maxpool_backward(lambda dout, x, size, stride: np.zeros(x.shape))
    assert not feedback.passed and feedback.mistake == "" and "Hint:" in str(feedback)
    feedback = check_maxpool_backward(lambda dout, x, size, stride: np.zeros((1,)))
    assert not feedback.passed and "wrong shape" in str(feedback)


# ---------- the notebook's conventions (issues 11 and 13) ----------

def _notebook_cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


def test_verdict_table_and_question_come_first():
    cells = _notebook_cells()
    verdict, question = "".join(cells[0]["source"]), "".join(cells[1]["source"])
    assert cells[0]["cell_type"] == cells[1]["cell_type"] == "markdown" and verdict.startswith("# 01")
    for row in ("exactly 0", "right only if", r"\mathrm{flatten}(a^{[2]})", "ReLU}'(0)", r"x \star", "eqs. (5)–(8)"):
        assert row in verdict, row
    anchors = set(__import__("re").findall(r"\]\(#([\w-]+)\)", verdict))
    text = NOTEBOOK.read_text()
    assert anchors and all(f'id=\\"{a}\\"' in text for a in anchors), anchors
    question = " ".join(question.split())
    assert "in our words" in question and "How do I propagate errors back" in question
    assert "shared/" not in text and "questions/q1" not in text


def test_proofs_are_folded_and_visible_code_is_down_by_a_third():
    visible = 0
    for cell in _notebook_cells():
        meta, source = cell["metadata"], "".join(cell["source"])
        assert meta.get("slideshow", {}).get("slide_type") in ("slide", "subslide", "fragment", "-", "skip", "notes")
        if "proof" in meta.get("tags", []):
            assert meta["jupyter"]["source_hidden"] is True and meta["slideshow"]["slide_type"] == "skip"
            assert source.startswith("# Proof: ") and "assert" in source
        elif cell["cell_type"] == "code" and not meta.get("jupyter", {}).get("source_hidden"):
            visible += sum(1 for line in source.splitlines() if line.strip())
            if meta["slideshow"]["slide_type"] != "skip":
                assert all(len(line) <= 88 for line in source.splitlines()), source[:60]
    assert visible <= 243 * 2 // 3, visible


def test_every_main_slide_has_speaker_notes():
    cells = _notebook_cells()
    kinds = [c["metadata"]["slideshow"]["slide_type"] for c in cells]
    for k, kind in enumerate(kinds):
        if kind == "slide":
            following = kinds[k + 1:]
            until_next = following[:following.index("slide")] if "slide" in following else following
            assert "notes" in until_next, "".join(cells[k]["source"])[:60]
    for cell, kind in zip(cells, kinds):
        if kind == "notes":
            text = "".join(cell["source"])
            assert "Time:" in text and "Ask the room:" in text and "Misconception to expect:" in text


def test_torch_tie_check_prints_the_same_text_without_torch():
    proof = next("".join(c["source"]) for c in _notebook_cells() if "PyTorch's max_pool2d (checked" in "".join(c["source"]))
    import contextlib
    import io
    import sys
    import cnnlib as cl
    from cnnlib.pool import maxpool2d_backward, maxpool2d_forward
    a1 = np.random.default_rng(0).uniform(-1, 1, (1, 1, 6, 6))
    _, cache = maxpool2d_forward(a1, 2)
    namespace = {"np": np, "cl": cl, "a1": a1, "dL_da2": np.ones((1, 1, 3, 3)) * 0.3,
                 "tied_window": np.array([[[[0.5, 0.2], [0.5, 0.1]]]])}
    outputs = []
    for hide_torch in (False, True):
        saved = sys.modules.get("torch")
        if hide_torch:
            sys.modules["torch"] = None          # import torch now raises ImportError
        try:
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(proof, dict(namespace))
            outputs.append(buffer.getvalue())
        finally:
            if hide_torch:
                if saved is None:
                    del sys.modules["torch"]
                else:
                    sys.modules["torch"] = saved
    assert outputs[0] == outputs[1] and "like PyTorch's max_pool2d" in outputs[0]
    assert maxpool2d_backward(np.ones((1, 1, 3, 3)), cache).sum() == 9
