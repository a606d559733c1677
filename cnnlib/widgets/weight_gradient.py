"""Explorer for notebook 02: pick a first-layer weight w^1_m of the question's network
and see, term by term, why dC/dw^1_m is a sum of input x delta over output positions,
not (sum of inputs) x (sum of deltas).

The question's network, in NCHW arrays of one image and one channel:
    o1 = i1 (3x3) cross-correlated with w1 (2x2)   -> (2x2)
    o2 = o1 (2x2) cross-correlated with w2 (2x2)   -> (1x1)
    C  = (o2 - y)^2                                 (cnnlib.squared_error)
`weight_gradient_view` is the plain update function (tested without a browser);
`WeightGradientExplorer` wires three sliders to it.
"""
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ..conv import conv2d_backward, conv2d_forward
from ..figures.weight_gradient import POSITION_COLOURS, cells_touched_by_weight, weight_gradient_terms_svg
from ..gradcheck import numerical_gradient
from ..losses import squared_error
from ..plot import rounded


def _as_image(array, name, ndim=2):
    array = np.array(array, dtype=np.float64)  # a copy: nothing here writes to the caller's arrays
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    return array


def two_layer_cost(inputs, w1, w2, y):
    """C for the question's network: o1 = inputs ⋆ w1, o2 = o1 ⋆ w2 (1x1), C = (o2 - y)^2.

    inputs (H, W), w1 (kH, kW), w2 with the shape of o1, y a number -> float.
    """
    o1, _ = conv2d_forward(inputs[None, None], w1[None, None], np.zeros(1))
    o2, _ = conv2d_forward(o1, w2[None, None], np.zeros(1))
    return squared_error(o2.reshape(()), np.asarray(float(y)))[0]


@dataclass
class WeightGradientView:
    """Everything the explorer shows for one weight w^1_m (numbers 1-based, as in the question).

    o1 (2,2), o2, cost, delta2 = dC/do2, delta1 (2,2) = dC/do1;
    touched: one row per output position k: (k, input number n, i_n, delta_k, i_n * delta_k);
    correct = sum of the terms; asker_product = (sum of the touched inputs) x (sum of delta1);
    finite_difference: central difference of C in w^1_m; verdict: which one matches it.
    """
    weight_number: int
    inputs: np.ndarray
    w1: np.ndarray
    w2: np.ndarray
    y: float
    o1: np.ndarray
    o2: float
    cost: float
    delta2: float
    delta1: np.ndarray
    touched: list
    correct: float
    asker_product: float
    finite_difference: float
    verdict: str


def weight_gradient_view(inputs, w1, w2, y, weight_number, h=1e-6):
    """The update logic: forward, backward and a finite-difference check for w^1_m.

    inputs (H, W), w1 (kH, kW), w2 (H-kH+1, W-kW+1) so that o2 is 1x1, y: number,
    weight_number m in 1..kH*kW -> WeightGradientView. The inputs are not modified.
    """
    inputs, w1, w2 = _as_image(inputs, "inputs"), _as_image(w1, "w1"), _as_image(w2, "w2")
    touched_cells = cells_touched_by_weight(weight_number, inputs.shape, w1.shape)
    out_shape = (inputs.shape[0] - w1.shape[0] + 1, inputs.shape[1] - w1.shape[1] + 1)
    if w2.shape != out_shape:
        raise ValueError(f"w2 {w2.shape} must cover the whole first-layer output {out_shape} so o2 is 1x1")
    o1, _ = conv2d_forward(inputs[None, None], w1[None, None], np.zeros(1))
    o2, cache2 = conv2d_forward(o1, w2[None, None], np.zeros(1))
    cost, dcost = squared_error(o2.reshape(()), np.asarray(float(y)))
    delta2 = float(dcost)
    delta1 = conv2d_backward(np.full((1, 1, 1, 1), delta2), cache2)[0][0, 0]
    touched, terms, patch = [], [], []
    for k, r, c, n, ir, ic in touched_cells:
        term = inputs[ir, ic] * delta1[r, c]
        touched.append((k, n, float(inputs[ir, ic]), float(delta1[r, c]), float(term)))
        terms.append(term)
        patch.append(inputs[ir, ic])
    correct = float(np.sum(terms))
    asker = float(np.sum(patch) * delta1.sum())
    a, b = divmod(weight_number - 1, w1.shape[1])
    nudged = w1.copy()
    finite = float(numerical_gradient(lambda v: two_layer_cost(inputs, v, w2, y), nudged, h=h)[a, b])
    tolerance = 1e-5 * max(1.0, abs(finite))
    correct_ok, asker_ok = abs(correct - finite) <= tolerance, abs(asker - finite) <= tolerance
    verdict = {(True, True): "both", (True, False): "correct", (False, True): "asker", (False, False): "neither"}[
        (correct_ok, asker_ok)]
    return WeightGradientView(weight_number, inputs, w1, w2, float(y), o1[0, 0], float(o2.reshape(())), cost,
                              delta2, delta1, touched, correct, asker, finite, verdict)


def random_question_numbers(seed, low=-3, high=3):
    """Small random integers for the question's network: (inputs 3x3, w1 2x2, w2 2x2), seeded."""
    rng = np.random.default_rng(seed)
    return tuple(rng.integers(low, high + 1, size=shape).astype(np.float64) for shape in ((3, 3), (2, 2), (2, 2)))


def _fmt(x):
    return f"{rounded(x, 4):g}"


def _factor(x):
    """A number as a factor in a product: negatives in brackets, so "(-3) × (-110)" reads right."""
    return f"({_fmt(x)})" if rounded(x, 4) < 0 else _fmt(x)


def view_html(view):
    """The explorer's text, compact (it shares the screen with the picture): the numbers of
    the forward pass, one coloured term per output position, then the correct sum, the
    question's product and the finite-difference value, with the one that matches marked."""
    m = view.weight_number
    terms = " &nbsp; ".join(
        f"<span style='background:{POSITION_COLOURS[(k - 1) % len(POSITION_COLOURS)]};padding:0 0.3em'>"
        f"o<sup>1</sup><sub>{k}</sub></span> i<sup>1</sup><sub>{n}</sub> · δ<sup>1</sup><sub>{k}</sub> = "
        f"{_factor(i)} × {_factor(d)} = {_fmt(t)}"
        for k, n, i, d, t in view.touched)
    inputs = " + ".join(f"i<sup>1</sup><sub>{n}</sub>" for _, n, *_ in view.touched)
    mark = {"correct": ("✔ matches", "✘ does not match"), "asker": ("✘ does not match", "✔ matches"),
            "both": ("✔ matches", "✔ matches (here, by coincidence)"),
            "neither": ("✘ does not match", "✘ does not match")}[view.verdict]
    return (
        f"<div class='cnnlib-weight-gradient-text' style='font-size:15px;line-height:1.5'>"
        f"o<sup>2</sup> = {_fmt(view.o2)}, y = {_fmt(view.y)}, C = {_fmt(view.cost)}, "
        f"δ<sup>2</sup> = 2(o<sup>2</sup> − y) = {_fmt(view.delta2)}<br>{terms}<br>"
        f"<b>Σ input × delta</b> = {_fmt(view.correct)} &nbsp; {mark[0]} &nbsp;·&nbsp; "
        f"<b>question's product</b> ({inputs})(Σδ<sup>1</sup>) = {_fmt(view.asker_product)} &nbsp; {mark[1]}"
        f" &nbsp;·&nbsp; <b>finite difference</b> ∂C/∂w<sup>1</sup><sub>{m}</sub> ≈ "
        f"{_fmt(view.finite_difference)}</div>"
    )


def picture_svg(view):
    """The explorer's picture for a view (the same drawing as the notebook's static figure)."""
    return weight_gradient_terms_svg(view.inputs, view.delta1, view.weight_number, view.w1.shape)


class WeightGradientExplorer(widgets.VBox):
    """Sliders: `weight` (which w^1_m, 1..4), `seed` (0 = the numbers given, else random
    small integers), `target` (y). Outputs: `summary` (HTML, set first: the quick text
    feedback) and `picture` (an SVG Image at its natural size, crisp on any screen).
    `state` holds the latest WeightGradientView. One update takes a few milliseconds.
    """

    def __init__(self, inputs, w1, w2, y, weight_number=1):
        super().__init__()
        self.given = (_as_image(inputs, "inputs"), _as_image(w1, "w1"), _as_image(w2, "w2"))
        kernel_size = self.given[1].size
        style = {"description_width": "initial"}
        self.weight = widgets.IntSlider(value=weight_number, min=1, max=kernel_size, description="weight w¹ₘ, m =",
                                        style=style)
        self.seed = widgets.IntSlider(value=0, min=0, max=50, description="seed (0 = given)", style=style)
        self.target = widgets.FloatSlider(value=float(y), min=-20.0, max=20.0, step=0.5, description="target y",
                                          style=style)
        self.picture = widgets.Image(format="svg+xml")
        self.summary = widgets.HTML()
        for control, name in ((self.weight, "weight"), (self.seed, "seed"), (self.target, "target"),
                              (self.picture, "picture"), (self.summary, "summary")):
            control.add_class(f"cnnlib-weight-gradient-{name}")
        self.add_class("cnnlib-weight-gradient")
        self.children = [widgets.HBox([self.weight, self.seed, self.target]), self.summary, self.picture]
        for control in (self.weight, self.seed, self.target):
            control.observe(self._update, names="value")
        self.state = None
        self._update()

    def numbers(self):
        """(inputs, w1, w2) currently shown: the given ones for seed 0, else seeded random integers."""
        return self.given if self.seed.value == 0 else random_question_numbers(self.seed.value)

    def _update(self, change=None):
        inputs, w1, w2 = self.numbers()
        self.state = weight_gradient_view(inputs, w1, w2, self.target.value, self.weight.value)
        self.summary.value = view_html(self.state)
        svg = picture_svg(self.state)
        # Natural size, never stretched. (No tooltip: on an Image it breaks the JupyterLab widget
        # manager's view; the notebook describes the picture in words next to it instead.)
        self.picture.width = svg.split('width="', 1)[1].split('"', 1)[0]
        self.picture.value = svg.encode()
