"""Notebook 04's explorer: every shape along a real conv layer's forward and backward pass.

`layer_shapes` is the update logic, a plain function: it runs the library's own
conv2d_forward / conv2d_backward on small random arrays of the chosen sizes and
records the shape of every intermediate, or — for an impossible configuration —
the library's own ValueError message. `RealLayerShapesExplorer` only wires sliders to it.
"""
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np

from ..conv import conv2d_backward, conv2d_forward
from ..figures.real_layers import window_grid_svg
from ..signal import correlate2d, dilate, pad2d, rot180

CONTROLS = {  # name: (description, default, min, max)
    "batch": ("N batch", 2, 1, 8),
    "channels": ("C channels", 3, 1, 8),
    "filters": ("F filters", 4, 1, 8),
    "height": ("H height", 8, 1, 12),
    "width": ("W width", 8, 1, 12),
    "kernel": ("k kernel", 3, 1, 7),
    "stride": ("s stride", 2, 1, 4),
    "padding": ("p padding", 1, 0, 3),
}


@dataclass
class Stage:
    """One array of the pass: what it is, the rule for its shape, and its actual shape."""
    name: str
    rule: str
    shape: tuple


@dataclass
class LayerShapes:
    """What the explorer shows for one configuration.

    config: the eight control values; error: the library's ValueError text ("" if none);
    forward, backward: lists of Stage (only the inputs x, w, b when there is an error).
    The shapes of x, w, b, z, δ, dx, dw, db and of the padded / dilated arrays are those of
    arrays actually computed (conv2d_forward / conv2d_backward and the cnnlib.signal helpers);
    "windows" and "Σ_f full corr." are the (N, C, ...) shapes of the per-map arrays, stacked.
    unread: (rows, cols) at the bottom/right of the padded input that no window reaches
    (their gradient is 0).
    """
    config: dict
    error: str = ""
    forward: list = field(default_factory=list)
    backward: list = field(default_factory=list)
    unread: tuple = (0, 0)

    def shape_of(self, name):
        """The shape of the stage called `name` (forward or backward)."""
        for stage in self.forward + self.backward:
            if stage.name == name:
                return stage.shape
        raise KeyError(f"no stage named {name!r}")


def layer_shapes(batch=2, channels=3, filters=4, height=8, width=8, kernel=3, stride=2, padding=1, seed=0):
    """The explorer's update logic: run the real layer on random arrays of these sizes.

    x (batch, channels, height, width), w (filters, channels, kernel, kernel), b (filters,).
    Returns LayerShapes; an impossible configuration (e.g. a kernel larger than the
    padded input) gives error = the message of the ValueError conv2d_forward raises.
    """
    config = dict(batch=batch, channels=channels, filters=filters, height=height, width=width,
                  kernel=kernel, stride=stride, padding=padding)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, channels, height, width))
    w = rng.standard_normal((filters, channels, kernel, kernel))
    b = rng.standard_normal(filters)
    state = LayerShapes(config)
    state.forward = [Stage("x", "(N, C, H, W)", x.shape), Stage("w", "(F, C, k, k)", w.shape),
                     Stage("b", "(F,)", b.shape)]
    try:
        z, cache = conv2d_forward(x, w, b, stride=stride, padding=padding)
    except ValueError as error:
        state.error = str(error)
        return state
    dz = rng.standard_normal(z.shape)
    dx, dw, db = conv2d_backward(dz, cache)
    padded = pad2d(x, padding)
    Ho, Wo = z.shape[2:]
    windows = (batch, channels, Ho, Wo, kernel, kernel)
    spread = dilate(dz, stride)
    full = correlate2d(spread[0, 0], rot180(w[0, 0]), mode="full")
    state.forward += [
        Stage("x padded", "(N, C, H + 2p, W + 2p)", padded.shape),
        Stage("windows", "(N, C, Ho, Wo, k, k)", windows),
        Stage("z", "(N, F, Ho, Wo), Ho = ⌊(H + 2p − k) / s⌋ + 1", z.shape),
    ]
    state.backward = [
        Stage("δ = dL/dz", "(N, F, Ho, Wo)", dz.shape),
        Stage("δ dilated", "(N, F, (Ho − 1)s + 1, (Wo − 1)s + 1)", spread.shape),
        Stage("Σ_f full corr. with rot180(w)", "(N, C, (Ho − 1)s + k, (Wo − 1)s + k)",
              (batch, channels) + full.shape),
        Stage("dx padded", "(N, C, H + 2p, W + 2p): zero rows for unread cells", padded.shape),
        Stage("dx", "(N, C, H, W): crop p on each side", dx.shape),
        Stage("dw", "(F, C, k, k): Σ_n x padded ⋆ δ dilated", dw.shape),
        Stage("db", "(F,): Σ over n, i, j of δ", db.shape),
    ]
    state.unread = (padded.shape[2] - full.shape[0], padded.shape[3] - full.shape[1])
    return state


def _shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def layer_shapes_html(state):
    """The explorer's text: a table of every stage's rule and shape, or the library's error."""
    c = state.config
    head = (f"N={c['batch']}, C={c['channels']}, F={c['filters']}, H×W={c['height']}×{c['width']}, "
            f"k={c['kernel']}, s={c['stride']}, p={c['padding']}")
    rows = []
    for label, stages in (("forward", state.forward), ("backward", state.backward)):
        for k, stage in enumerate(stages):
            rows.append(f"<tr><td>{label if k == 0 else ''}</td><td>{stage.name}</td><td>{stage.rule}</td>"
                        f"<td><code>{_shape_text(stage.shape)}</code></td></tr>")
    table = ("<table style='font-size:12px;line-height:1.25;border-spacing:6px 0'>"
             "<tr><th>pass</th><th>array</th><th>shape rule</th><th>shape</th></tr>"
             + "".join(rows) + "</table>")
    if state.error:
        note = (f"<p style='color:#b00000'><b>Impossible configuration.</b> conv2d_forward raises "
                f"ValueError: {state.error}</p>")
    elif any(state.unread):
        input_rows, input_cols = (max(0, n - c["padding"]) for n in state.unread)
        note = (f"<p>The stride leaves {state.unread[0]} row(s) and {state.unread[1]} column(s) at the "
                f"bottom/right of the padded input unread; {input_rows} row(s) and {input_cols} column(s) of "
                "them are real input, whose gradient is therefore 0 (the rest is padding).</p>")
    else:
        note = "<p>Every input cell is read by at least one window.</p>"
    return f"<div style='font-size:13px;line-height:1.3'><b>{head}</b>{note}{table}</div>"


class RealLayerShapesExplorer(widgets.VBox):
    """Sliders for N, C, F, H, W, kernel, stride and padding; shows every shape of the pass.

    Controls are attributes named as in CONTROLS (batch, channels, ...). Outputs: summary
    (HTML table) and picture (HTML holding the SVG of the padded input's windows, at its
    natural size). `state` is the latest LayerShapes. An update is `layer_shapes` plus two
    strings of markup: no matplotlib, so a control change takes a few milliseconds.
    """

    def __init__(self, **values):
        self.controls = []
        for name, (description, default, low, high) in CONTROLS.items():
            slider = widgets.IntSlider(value=values.get(name, default), min=low, max=high, description=description,
                                       continuous_update=False, style={"description_width": "initial"},
                                       layout=widgets.Layout(width="228px"))
            slider.add_class(f"cnnlib-real-layers-{name}")
            setattr(self, name, slider)
            self.controls.append(slider)
        self.summary = widgets.HTML(layout=widgets.Layout(max_width="560px"))
        self.summary.add_class("cnnlib-real-layers-summary")
        self.picture = widgets.HTML(layout=widgets.Layout(margin="0 0 0 12px"))
        self.picture.add_class("cnnlib-real-layers-picture")
        self.state = None
        controls = widgets.GridBox(self.controls, layout=widgets.Layout(
            grid_template_columns="repeat(4, 228px)", max_width="920px"))
        super().__init__([controls, widgets.HBox([self.summary, self.picture],
                                                 layout=widgets.Layout(flex_flow="row wrap"))])
        self.add_class("cnnlib-real-layers")
        for slider in self.controls:
            slider.observe(self._update, names="value")
        self._update()

    def _update(self, change=None):
        values = {name: getattr(self, name).value for name in CONTROLS}
        self.state = layer_shapes(**values)
        self.summary.value = layer_shapes_html(self.state)
        self.picture.value = window_grid_svg(values["height"], values["width"], values["kernel"],
                                             values["stride"], values["padding"], error=self.state.error)


def real_layer_shapes_explorer(**values):
    """Build the explorer (an ipywidgets.VBox); keyword arguments (names as in CONTROLS)
    set the starting sliders."""
    return RealLayerShapesExplorer(**values)
