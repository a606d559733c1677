"""Widget for notebook 03: one input position, its scatter and its gather.

Controls: kernel size k, stride s, padding p, and a position (m, n) of the layer's
input z^l (1-based). It shows the outputs z^l_{m,n} fed, with the weight each used
(scatter), and rot180(w) over the zero-padded, dilated delta^{l+1} producing
delta^l_{m,n} (gather). The logic is `full_convolution_state` and `describe_state`, plain
functions; the picture is `figures.full_convolution.scatter_gather_svg` (an SVG shown at its
natural size, crisp on HiDPI screens). This module only wires them to the controls.
"""
import re

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ..checks import output_size
from ..conv import conv2d_backward, conv2d_forward
from ..figures.full_convolution import scatter_gather_svg
from ..plot import rounded
from ..single_map import full_convolution_layout, gather_window, scatter_terms

INPUT_SIZE = 6   # z^l is INPUT_SIZE x INPUT_SIZE: big enough for k <= 4, small enough to read


@dataclass
class FullConvolutionState:
    """What the explorer shows for one setting of its controls.

    layout: FullConvolutionLayout (all gather arrays); m, n: 1-based position in z^l;
    terms: ScatterTerm list (outputs fed, weights used); window: 0-based top-left of the
    rot180(w) window in layout.padded_delta; value: delta^l_{m,n} from the gather;
    backward_value: the same entry from conv2d_backward (an independent check).
    """
    layout: object
    m: int
    n: int
    terms: list
    window: tuple
    value: float
    backward_value: float


def example_arrays(kernel_size, stride, padding, input_size=INPUT_SIZE, seed=0):
    """Small integer w (k, k) and delta^{l+1} (Ho, Ho) for the explorer, seeded.

    Integers keep every product readable; w is re-drawn until it is not symmetric
    under rot180 (when k > 1), so forgetting the rotation always shows.
    """
    rng = np.random.default_rng(seed)
    out_size = output_size(input_size, kernel_size, stride, padding)
    if out_size < 1:
        raise ValueError(f"kernel {kernel_size} does not fit input {input_size} with padding {padding}")
    w = rng.integers(-2, 3, size=(kernel_size, kernel_size)).astype(float)
    while kernel_size > 1 and np.array_equal(w, np.flip(w)):
        w = rng.integers(-2, 3, size=(kernel_size, kernel_size)).astype(float)
    delta = rng.integers(-3, 4, size=(out_size, out_size)).astype(float)
    return w, delta


def full_convolution_state(kernel_size, stride, padding, m, n, input_size=INPUT_SIZE, seed=0):
    """Pure update logic of the explorer: controls -> FullConvolutionState.

    kernel_size, stride >= 1, padding >= 0; (m, n) 1-based in the input_size x input_size z^l.
    """
    w, delta = example_arrays(kernel_size, stride, padding, input_size, seed)
    layout = full_convolution_layout(delta, w, stride, padding, (input_size, input_size))
    terms = scatter_terms(layout, m, n)
    top, left = gather_window(layout, m, n)
    k = kernel_size
    value = float(np.sum(layout.padded_delta[top:top + k, left:left + k] * layout.rotated_kernel))
    # Independent check: the layer's own backward pass on the same numbers.
    x = np.zeros((1, 1, input_size, input_size))
    _, cache = conv2d_forward(x, w[None, None], np.zeros(1), stride=stride, padding=padding)
    backward_value = float(conv2d_backward(delta[None, None], cache)[0][0, 0, m - 1, n - 1])
    return FullConvolutionState(layout, m, n, terms, (top, left), value, backward_value)


def _number(x):
    return f"{rounded(x, 4):g}"


def _factor(x):
    """A number as a factor in a product: negative ones in parentheses."""
    return f"({_number(x)})" if rounded(x, 4) < 0 else _number(x)


def describe_state(state):
    """HTML text for a state: the scatter terms, the gather window and the value."""
    m, n = state.m, state.n
    layout = state.layout
    k = layout.kernel.shape[0]
    if state.terms:
        parts = [f"&delta;<sup>l+1</sup><sub>{t.output[0]},{t.output[1]}</sub>&middot;"
                 f"w<sub>{t.weight[0]},{t.weight[1]}</sub> = {_factor(t.delta_value)}&middot;"
                 f"{_factor(t.weight_value)}" for t in state.terms]
        scatter = (f"z<sup>l</sup><sub>{m},{n}</sub> fed {len(state.terms)} output(s): "
                   + "; ".join(parts) + f"; sum = {_number(sum(t.product for t in state.terms))}.")
    else:
        scatter = (f"z<sup>l</sup><sub>{m},{n}</sub> fed no output: no forward window reached it "
                   f"(floor rule), so its error is 0.")
    top, left = state.window
    s = layout.stride[0]
    extra = (f", {layout.extra[0]} floor-rule zero row(s)/column(s) at the bottom/right"
             if any(layout.extra) else "")
    gather = (f"gather: rot180(w) covers rows {top + 1}..{top + k}, columns {left + 1}..{left + k} "
              f"of the padded &delta;<sup>l+1</sup> (&delta;<sup>l+1</sup> with s&minus;1 = {s - 1} zero(s) "
              f"between entries{extra}, then k&minus;1 = {k - 1} zero(s) on every side).")
    agree = "agrees" if abs(state.value - state.backward_value) < 1e-9 else "DISAGREES"
    total = (f"<b>&delta;<sup>l</sup><sub>{m},{n}</sub> = {_number(state.value)}</b> "
             f"(conv2d_backward gives {_number(state.backward_value)}: {agree})")
    return "<br>".join([scatter, gather, total])


class FullConvolutionExplorer(widgets.VBox):
    """Sliders kernel_size, stride, padding, row (m), col (n); outputs image (scatter and
    gather side by side) and summary (HTML). `state` holds the latest FullConvolutionState."""

    def __init__(self, kernel_size=3, stride=1, padding=0, m=2, n=3, input_size=INPUT_SIZE, seed=0):
        self.input_size, self.seed = input_size, seed

        def slider(description, value, low, high, name):
            control = widgets.IntSlider(value=value, min=low, max=high, description=description,
                                        continuous_update=False)
            control.add_class(f"cnnlib-full-convolution-{name}")
            return control

        self.kernel_size = slider("kernel k", kernel_size, 1, 4, "kernel-size")
        self.stride = slider("stride s", stride, 1, 3, "stride")
        self.padding = slider("padding P", padding, 0, 2, "padding")
        self.row = slider("row m", m, 1, input_size, "row")
        self.col = slider("col n", n, 1, input_size, "col")
        self.image = widgets.Image(format="svg+xml", layout=widgets.Layout(max_width="100%", height="auto"))
        self.image.add_class("cnnlib-full-convolution-image")
        self.summary = widgets.HTML()
        self.summary.add_class("cnnlib-full-convolution-summary")
        controls = [self.kernel_size, self.stride, self.padding, self.row, self.col]
        super().__init__([widgets.HBox(controls[:3]), widgets.HBox(controls[3:]), self.summary, self.image])
        self.add_class("cnnlib-full-convolution")
        self.state = None
        for control in controls:
            control.observe(self._update, names="value")
        self._update()

    def _update(self, change=None):
        self.state = full_convolution_state(self.kernel_size.value, self.stride.value, self.padding.value,
                                            self.row.value, self.col.value, self.input_size, self.seed)
        self.summary.value = describe_state(self.state)
        picture = scatter_gather_svg(self.state.layout, self.state.m, self.state.n)
        self.image.width = re.search(r'width="(\d+)"', picture).group(1)   # natural size
        self.image.value = picture.encode()


def full_convolution_explorer(**options):
    """Build the explorer (see FullConvolutionExplorer for the controls)."""
    return FullConvolutionExplorer(**options)
