"""The explorer of notebook 01: how max-pool routes the error back (question 1).

The network and its gradients live in `cnnlib.question1`. `routing_state` is the explorer's
update logic: a plain function (no widgets) that says, for one pooling window, which input
wins, what gradient each of its four inputs receives, and how much the loss moves when each
one alone is nudged. `MaxpoolRoutingExplorer` only wires controls to it; its picture is
`figures.maxpool_routing.routing_svg` (SVG text, so an update costs milliseconds, shows at
its natural size and stays crisp on HiDPI screens).
"""
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ..data import load_digits_nchw
from ..figures.maxpool_routing import routing_svg
from ..question1 import (loss_from_a1, question1_example, question1_forward_backward,
                         question1_parameters, window_entries)


@dataclass
class RoutingState:
    """What the explorer shows for one pooling window (indices 1-based, as in eq. (11)).

    entries: the window's four a1 positions (i, j), row-major; values (4,) their a1 values;
    winner: index 0..3 into entries of the input the library picks (first max);
    tied: how many entries share the maximum; upstream: dL/da2_{p,r};
    gradients (4,): dL/da1 at each entry; nudge: the slider amount;
    loss_changes (4,): L(a1 with only that entry + nudge) - L(a1);
    predicted_changes (4,): gradients * nudge (the first-order prediction).
    """
    digit_index: int
    label: int
    y: float
    seed: int
    window_row: int
    window_col: int
    entries: list
    values: np.ndarray
    winner: int
    tied: int
    upstream: float
    gradients: np.ndarray
    nudge: float
    loss: float
    loss_changes: np.ndarray
    predicted_changes: np.ndarray
    model: dict


def routing_state(digit_index=0, seed=0, window_row=1, window_col=1, nudge=0.05):
    """The explorer's update logic: everything it shows, for one choice of controls.

    digit_index: which load_digits image; seed: the parameters' seed;
    window_row, window_col: 1..3, the pooling window (p, r) of eq. (11);
    nudge: amount added to one a1 entry at a time (the rest held fixed).
    Returns a RoutingState.
    """
    entries = window_entries(window_row, window_col)   # checks the window
    x, y, label = question1_example(digit_index)
    params = question1_parameters(seed)
    model = question1_forward_backward(x, y, params)
    a1 = model["a1"]
    zero_based = [(i - 1, j - 1) for i, j in entries]   # math index i -> array index i - 1
    values = np.array([a1[0, 0, i, j] for i, j in zero_based])
    gradients = np.array([model["dL_da1"][0, 0, i, j] for i, j in zero_based])
    loss_changes = np.zeros(4)
    for k, (i, j) in enumerate(zero_based):
        nudged = a1.copy()
        nudged[0, 0, i, j] += nudge
        loss_changes[k] = loss_from_a1(nudged, y, params) - model["loss"]
    return RoutingState(
        digit_index=int(digit_index), label=label, y=float(y[0, 0]), seed=int(seed),
        window_row=window_row, window_col=window_col, entries=entries, values=values,
        winner=int(model["pool_winners"][0, 0, window_row - 1, window_col - 1]),
        tied=int(np.sum(values == values.max())),
        upstream=float(model["dL_da2"][0, 0, window_row - 1, window_col - 1]),
        gradients=gradients, nudge=float(nudge), loss=float(model["loss"]),
        loss_changes=loss_changes, predicted_changes=gradients * nudge, model=model,
    )


def _number(value):
    # 4 decimals, and never "-0" (so the text is identical on every run and CPU)
    return f"{round(float(value), 4) + 0.0:.4f}"


_CELL = "padding: 0 10px; line-height: 1.3; text-align: right"


def routing_summary_html(state):
    """The explorer's text: a table of the window's four inputs and a one-line verdict."""
    p, r = state.window_row, state.window_col
    rows = []
    for k, ((i, j), value) in enumerate(zip(state.entries, state.values)):
        role = "winner" if k == state.winner else ("tied, loses" if value == state.values.max() else "loses")
        cells = [f"a⁽¹⁾<sub>{i},{j}</sub>", _number(value), role, _number(state.gradients[k]),
                 _number(state.loss_changes[k]), _number(state.predicted_changes[k])]
        weight = "bold" if k == state.winner else "normal"
        rows.append(f'<tr style="font-weight: {weight}">'
                    + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in cells) + "</tr>")
    titles = ["input", "value", "role", "∂L/∂a⁽¹⁾", f"ΔL when nudged by {_number(state.nudge)}",
              "gradient × nudge"]
    header = "<tr>" + "".join(f'<th style="{_CELL}">{title}</th>' for title in titles) + "</tr>"
    window = (f"window (p, r) = ({p}, {r}): a⁽²⁾<sub>{p},{r}</sub> = {_number(state.values[state.winner])}, "
              f"upstream ∂L/∂a⁽²⁾<sub>{p},{r}</sub> = {_number(state.upstream)}")
    if state.tied > 1:
        verdict = (f"{state.tied} inputs tie: the first one (row-major) takes the gradient, like PyTorch. "
                   "No derivative here: a positive nudge to any tied input raises the max, a negative one does not.")
    else:
        verdict = ("Only the winner's nudge moves the loss, until a nudge lifts a loser past it "
                   "or sinks it below one.")
    table = f'<table style="border-collapse: collapse">{header}{"".join(rows)}</table>'
    return (f"<div><b>digit #{state.digit_index}</b> (a {state.label}, y = {state.y:g}), weights seed "
            f"{state.seed}, loss L = {_number(state.loss)}; {window}<br>{verdict}{table}</div>")


class MaxpoolRoutingExplorer(widgets.VBox):
    """Pick a pooling window, a digit and a weights seed; see where the gradient goes.

    Controls: window_row, window_col (1..3), digit_index, seed, nudge.
    Outputs: summary (HTML table), picture (Image). `state` is the latest RoutingState.
    """

    def __init__(self, digit_index=0, seed=0, window_row=1, window_col=1, nudge=0.05):
        if not 0 <= seed <= 999:
            raise ValueError(f"seed must be in 0..999 (the slider's range), got {seed!r}")

        def slider(kind, name, description, value, low, high, step=1):
            control = kind(value=value, min=low, max=high, step=step, description=description,
                           continuous_update=False, style={"description_width": "initial"})
            control.add_class(f"cnnlib-maxpool-routing-{name}")
            return control

        self.window_row = slider(widgets.IntSlider, "window-row", "window row p", window_row, 1, 3)
        self.window_col = slider(widgets.IntSlider, "window-col", "window column r", window_col, 1, 3)
        self.digit_index = slider(widgets.IntSlider, "digit-index", "digit #", digit_index, 0,
                                  len(load_digits_nchw()[1]) - 1)
        self.seed = slider(widgets.IntSlider, "seed", "weights seed", seed, 0, 999)
        self.nudge = slider(widgets.FloatSlider, "nudge", "nudge ε", nudge, -0.2, 0.2, 0.01)
        self.summary = widgets.HTML()
        self.summary.add_class("cnnlib-maxpool-routing-summary")
        self.picture = widgets.Image(format="svg+xml")
        self.picture.add_class("cnnlib-maxpool-routing-picture")
        self.state = None
        controls = [self.window_row, self.window_col, self.digit_index, self.seed, self.nudge]
        super().__init__([widgets.HBox(controls[:2]), widgets.HBox(controls[2:]),
                          self.summary, self.picture])
        self.add_class("cnnlib-maxpool-routing")
        for control in controls:
            control.observe(self._update, names="value")
        self._update()

    def _update(self, change=None):
        self.state = routing_state(self.digit_index.value, self.seed.value, self.window_row.value,
                                   self.window_col.value, self.nudge.value)
        self.summary.value = routing_summary_html(self.state)
        if change is not None and change["owner"] is self.nudge:
            return  # the picture does not depend on the nudge; redrawing it is the slow part
        model = self.state.model
        svg, width, height = routing_svg(model["a1"], model["dL_da1"],
                                         window=(self.state.window_row, self.state.window_col))
        # SVG at its natural size: never stretched to the output width, crisp at any zoom
        self.picture.width, self.picture.height = str(width), str(height)
        self.picture.layout.max_width = f"{width}px"
        self.picture.value = svg.encode()


def maxpool_routing_explorer(**controls):
    """Build the explorer (an ipywidgets.VBox); keyword arguments set the starting controls."""
    return MaxpoolRoutingExplorer(**controls)
