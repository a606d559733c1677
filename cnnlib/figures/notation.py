"""Pictures for notebook 00: cross-correlation vs convolution, a small computational
graph with its forward values and gradients, and the error of a finite-difference
derivative as the step h shrinks (float64 vs float32).
"""
import matplotlib.pyplot as plt
import numpy as np

from ..plot import highlight_window, show_grid
from ..signal import convolve2d, correlate2d, rot180


def correlation_vs_convolution_figure(x, kernel, row=0, col=0, size=(8.5, 5.4)):
    """Top row: cross-correlation (the kernel w slides as it is); bottom row: convolution
    (the kernel is rotated by 180 degrees first). Each row shows x with the window that
    output (row, col) reads, the kernel as applied (diverging colours: its entries are
    signed), and the 'valid' output.

    x (H, W), kernel (KH, KW); row, col: 0-based output position to highlight. Returns a Figure.
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    KH, KW = kernel.shape
    fig, axes = plt.subplots(2, 3, figsize=size,
                             gridspec_kw={"width_ratios": [x.shape[1], KW + 1, x.shape[1] - KW + 2]})
    rows = [("cross-correlation x ⋆ w", "kernel w, as applied", kernel, correlate2d(x, kernel)),
            ("convolution x ∗ w", "rot180(w), as applied", rot180(kernel), convolve2d(x, kernel))]
    for (name, kernel_title, applied, out), (ax_x, ax_k, ax_out) in zip(rows, axes):
        show_grid(ax_x, x, title="input x", decimals=0, cmap="Greys", index_base=1)
        highlight_window(ax_x, row, col, KH, KW)
        show_grid(ax_k, applied, title=kernel_title, decimals=0, gradient=True)
        show_grid(ax_out, out, title=name, decimals=0, cmap="Oranges")
        highlight_window(ax_out, row, col, 1, 1)
    fig.tight_layout()
    return fig


def chain_rule_graph_figure(values, gradients, size=(8.5, 3.4)):
    """The graph u1 = w*x1, u2 = w*x2, s = u1 + u2, L = (s - t)^2 / 2: one box per node with
    its name, its forward value, and dL/d(node). The weight w is used twice (as a
    convolution kernel is used at every position), so two paths lead back to it.

    values, gradients: dicts with keys "w", "x1", "x2", "u1", "u2", "s", "L" (floats).
    Returns a Figure.
    """
    positions = {"x1": (0, 2), "w": (0, 1), "x2": (0, 0), "u1": (1.4, 1.6), "u2": (1.4, 0.4),
                 "s": (2.8, 1.0), "L": (4.2, 1.0)}
    labels = {"x1": "x₁", "w": "w", "x2": "x₂", "u1": "u₁ = w·x₁", "u2": "u₂ = w·x₂",
              "s": "s = u₁ + u₂", "L": "L = ½(s − t)²"}
    symbols = {"x1": "x₁", "x2": "x₂", "u1": "u₁", "u2": "u₂", "w": "w", "s": "s", "L": "L"}
    edges = [("x1", "u1"), ("w", "u1"), ("w", "u2"), ("x2", "u2"), ("u1", "s"), ("u2", "s"), ("s", "L")]
    fig, ax = plt.subplots(figsize=size)
    for start, end in edges:
        (x0, y0), (x1, y1) = positions[start], positions[end]
        ax.annotate("", xy=(x1 - 0.38, y1), xytext=(x0 + 0.38, y0),
                    arrowprops={"arrowstyle": "->", "color": "grey", "linewidth": 1.2})
    for name, (px, py) in positions.items():
        text = f"{labels[name]}\nvalue {values[name] + 0.0:.3g}\n∂L/∂{symbols[name]} = {gradients[name] + 0.0:.3g}"
        ax.text(px, py, text, ha="center", va="center", fontsize=8,
                bbox={"boxstyle": "round", "facecolor": "#e8f0ff",
                      "edgecolor": "grey"})
    ax.set_xlim(-0.6, 4.8)
    ax.set_ylim(-0.5, 2.5)
    ax.axis("off")
    ax.set_title("forward: values left to right;  backward: gradients right to left")
    fig.tight_layout()
    return fig


def central_difference_errors(function, derivative, x0, steps, dtype):
    """Relative error of the central difference (f(x0+h) - f(x0-h)) / 2h for each h in `steps`,
    with x0, x0 +- h and f evaluated in `dtype` (np.float32 or np.float64).

    function: numpy function of one array (e.g. np.sin); derivative: its exact derivative
    (evaluated in float64 as the reference). Returns an array of errors, one per step.
    """
    exact = float(derivative(np.float64(x0)))
    errors = []
    for h in steps:
        x = dtype(x0)
        step = dtype(h)
        estimate = (function(x + step) - function(x - step)) / (dtype(2) * step)
        errors.append(abs(float(estimate) - exact) / max(abs(exact), 1e-300))
    return np.array(errors)


def finite_difference_error_figure(function, derivative, x0, steps, size=(6.0, 3.8)):
    """Log-log plot of the central difference's relative error against h, in float64 and
    float32: the error falls as h^2 (truncation) until rounding takes over (about eps / h).

    steps: increasing or decreasing array of h > 0. Returns a Figure.
    """
    steps = np.asarray(steps, dtype=np.float64)
    fig, ax = plt.subplots(figsize=size)
    for dtype, colour in ((np.float64, "tab:blue"), (np.float32, "tab:orange")):
        errors = central_difference_errors(function, derivative, x0, steps, dtype)
        ax.loglog(steps, np.maximum(errors, 1e-17), "o-", color=colour, markersize=3,
                  label=f"{np.dtype(dtype).name} (eps = {np.finfo(dtype).eps:.1e})")
    ax.axhline(1e-7, color="grey", linestyle="--", linewidth=1)
    ax.text(steps.min(), 1.5e-7, "1e-7: a float64 check should land below", fontsize=8, color="grey")
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of (f(x+h) − f(x−h)) / 2h")
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig
