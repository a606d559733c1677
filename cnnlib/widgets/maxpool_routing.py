"""Question 1's network and an explorer of how max-pool routes the error back.

The model, in the asker's notation (one 8x8 image, NCHW (1, 1, 8, 8)):

    z1 = x * w1 + b1        conv 3x3 (cross-correlation)      (1, 1, 6, 6)
    a1 = ReLU(z1)                                             (1, 1, 6, 6)
    a2 = maxpool 2x2 of a1                                    (1, 1, 3, 3)
    z3 = flatten(a2) . w3 + b3                                (1, 1)
    a3 = sigmoid(z3);  L = binary cross-entropy(a3, y)

`question1_forward_backward` runs it with the cnnlib layer functions and returns every
intermediate and every gradient. `routing_state` is the explorer's update logic: a
plain function (no widgets) that says, for one pooling window, which input wins, what
gradient each of its four inputs receives, and how much the loss moves when each one
alone is nudged. `MaxpoolRoutingExplorer` only wires controls to it.
"""
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ..activations import relu_backward, relu_forward, sigmoid_backward, sigmoid_forward
from ..conv import conv2d_backward, conv2d_forward
from ..data import load_digits_nchw
from ..figures.maxpool_routing import routing_figure
from ..linear import dense_backward, dense_forward, flatten_backward, flatten_forward
from ..losses import binary_cross_entropy
from ..plot import figure_to_png
from ..pool import maxpool2d_backward, maxpool2d_forward

TARGET_DIGIT = 0   # the binary question the network answers: "is this digit a 0?" (y = 1 if so)
POOL_SIZE = 2


def question1_example(digit_index):
    """One digit from scikit-learn's load_digits and its binary label.

    Returns x (1, 1, 8, 8) in [0, 1], y (1, 1) = 1.0 if the digit is TARGET_DIGIT else 0.0,
    and the digit's class 0..9.
    """
    images, labels = load_digits_nchw()
    if not 0 <= int(digit_index) < len(images):
        raise ValueError(f"digit_index must be in 0..{len(images) - 1}, got {digit_index!r}")
    label = int(labels[digit_index])
    return images[digit_index:digit_index + 1].copy(), np.array([[float(label == TARGET_DIGIT)]]), label


def question1_parameters(seed):
    """The model's 20 parameters, drawn from a seeded normal distribution.

    Returns {"w1": (1, 1, 3, 3), "b1": (1,), "w3": (9, 1), "b3": (1,)}, float64.
    """
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.normal(0.0, 0.5, size=(1, 1, 3, 3)),
        "b1": rng.normal(0.0, 0.1, size=(1,)),
        "w3": rng.normal(0.0, 0.5, size=(9, 1)),
        "b3": rng.normal(0.0, 0.1, size=(1,)),
    }


def loss_from_a1(a1, y, params):
    """The loss as a function of a1 alone (everything before it held fixed).

    a1 (1, 1, 6, 6), y (1, 1) -> float. Used to nudge single entries of a1.
    """
    a2, _ = maxpool2d_forward(a1, POOL_SIZE)
    z3, _ = dense_forward(flatten_forward(a2)[0], params["w3"], params["b3"])
    return binary_cross_entropy(sigmoid_forward(z3)[0], y)[0]


def question1_forward_backward(x, y, params):
    """Forward and backward through question 1's network with the cnnlib layers.

    x (1, 1, 8, 8), y (1, 1), params as from `question1_parameters`.
    Returns a dict of arrays: the forward values z1, a1 (1,1,6,6), a2 (1,1,3,3),
    z3, a3 (1,1), loss (float), pool_winners (1,1,3,3: row-major index 0..3 of each
    window's winner), and the gradients dL_da3, dL_dz3, dL_da2 (1,1,3,3), dL_da1,
    dL_dz1 (1,1,6,6), dL_dw1 (1,1,3,3), dL_db1 (1,), dL_dw3 (9,1), dL_db3 (1,).
    """
    z1, conv_cache = conv2d_forward(x, params["w1"], params["b1"])
    a1, relu_cache = relu_forward(z1)
    a2, pool_cache = maxpool2d_forward(a1, POOL_SIZE)
    a2_flat, flatten_cache = flatten_forward(a2)
    z3, dense_cache = dense_forward(a2_flat, params["w3"], params["b3"])
    a3, sigmoid_cache = sigmoid_forward(z3)
    loss, dL_da3 = binary_cross_entropy(a3, y)

    dL_dz3 = sigmoid_backward(dL_da3, sigmoid_cache)
    dL_da2_flat, dL_dw3, dL_db3 = dense_backward(dL_dz3, dense_cache)
    dL_da2 = flatten_backward(dL_da2_flat, flatten_cache)
    dL_da1 = maxpool2d_backward(dL_da2, pool_cache)
    dL_dz1 = relu_backward(dL_da1, relu_cache)
    _, dL_dw1, dL_db1 = conv2d_backward(dL_dz1, conv_cache)
    return {
        "z1": z1, "a1": a1, "a2": a2, "z3": z3, "a3": a3, "loss": loss,
        "pool_winners": pool_cache[2],
        "dL_da3": dL_da3, "dL_dz3": dL_dz3, "dL_da2": dL_da2, "dL_da1": dL_da1, "dL_dz1": dL_dz1,
        "dL_dw1": dL_dw1, "dL_db1": dL_db1, "dL_dw3": dL_dw3, "dL_db3": dL_db3,
    }


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


def window_entries(window_row, window_col):
    """Eq. (11): the 1-based a1 positions of pooling window (p, r): rows 2p-1, 2p and
    columns 2r-1, 2r, in row-major order."""
    p, r = window_row, window_col
    return [(2 * p - 1, 2 * r - 1), (2 * p - 1, 2 * r), (2 * p, 2 * r - 1), (2 * p, 2 * r)]


def routing_state(digit_index=0, seed=0, window_row=1, window_col=1, nudge=0.05):
    """The explorer's update logic: everything it shows, for one choice of controls.

    digit_index: which load_digits image; seed: the parameters' seed;
    window_row, window_col: 1..3, the pooling window (p, r) of eq. (11);
    nudge: amount added to one a1 entry at a time (the rest held fixed).
    Returns a RoutingState.
    """
    for name, value in (("window_row", window_row), ("window_col", window_col)):
        if value not in (1, 2, 3):
            raise ValueError(f"{name} must be 1, 2 or 3 (a 3x3 grid of pooling windows), got {value!r}")
    x, y, label = question1_example(digit_index)
    params = question1_parameters(seed)
    model = question1_forward_backward(x, y, params)
    a1 = model["a1"]
    entries = window_entries(window_row, window_col)
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


_CELL = "padding: 2px 10px; text-align: right"


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
    verdict = (f"Window (p, r) = ({p}, {r}): a⁽²⁾<sub>{p},{r}</sub> = {_number(state.values[state.winner])}, "
               f"upstream ∂L/∂a⁽²⁾<sub>{p},{r}</sub> = {_number(state.upstream)}. ")
    if state.tied > 1:
        verdict += (f"{state.tied} inputs tie for the max; the library gives the gradient to the first one "
                    "(row-major), like PyTorch. The max has no derivative here: a positive nudge to any "
                    "tied input raises the max, a negative one does not.")
    else:
        verdict += ("Only the winner's nudge moves the loss; a loser's stays exactly 0 "
                    "until the nudge lifts it past the winner (or a big negative nudge sinks the winner "
                    "below it).")
    table = f'<table style="border-collapse: collapse">{header}{"".join(rows)}</table>'
    return (f"<div><b>digit #{state.digit_index}</b> (a {state.label}, y = {state.y:g}), weights seed "
            f"{state.seed}, loss L = {_number(state.loss)}<br>{verdict}{table}</div>")


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
        self.nudge = slider(widgets.FloatSlider, "nudge", "nudge δ", nudge, -0.2, 0.2, 0.01)
        self.summary = widgets.HTML()
        self.summary.add_class("cnnlib-maxpool-routing-summary")
        self.picture = widgets.Image(format="png")
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
        self.picture.value = figure_to_png(routing_figure(
            model["a1"], model["dL_da1"], window=(self.state.window_row, self.state.window_col),
            size=(7.5, 3.4)))


def maxpool_routing_explorer(**controls):
    """Build the explorer (an ipywidgets.VBox); keyword arguments set the starting controls."""
    return MaxpoolRoutingExplorer(**controls)
