"""Tests for notebook 00's pictures and helpers (cnnlib.figures.notation)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cnnlib.figures.notation import (  # noqa: E402
    central_difference_errors,
    chain_rule_graph_figure,
    correlation_vs_convolution_figure,
    finite_difference_error_figure,
)


def test_central_difference_errors_against_the_error_formula():
    # Taylor: (sin(x+h) - sin(x-h)) / 2h = cos(x) (1 - h^2/6 + ...), so the relative error
    # is h^2 / 6 to leading order (rounding is negligible at these h in float64).
    steps = np.array([1e-2, 1e-3])
    errors = central_difference_errors(np.sin, np.cos, 1.0, steps, np.float64)
    np.testing.assert_allclose(errors, steps ** 2 / 6, rtol=1e-3)


def test_float32_is_worse_than_float64():
    steps = np.logspace(-8, -1, 15)
    errors64 = central_difference_errors(np.sin, np.cos, 1.0, steps, np.float64)
    errors32 = central_difference_errors(np.sin, np.cos, 1.0, steps, np.float32)
    assert errors64.min() < 1e-9 and errors32.min() > 1e-7
    assert np.all(errors32[:5] > errors64[:5])        # small h: rounding dominates, far worse in float32


def test_figures_build():
    x = np.arange(25, dtype=float).reshape(5, 5) % 7
    k = np.array([[1, 0, -1], [2, 0, 0], [0, 1, 0]], dtype=float)
    values = {"w": 0.5, "x1": 2.0, "x2": -1.0, "u1": 1.0, "u2": -0.5, "s": 0.5, "L": 1.125}
    gradients = {"w": -1.5, "x1": -0.75, "x2": -0.75, "u1": -1.5, "u2": -1.5, "s": -1.5, "L": 1.0}
    figures = [correlation_vs_convolution_figure(x, k, 1, 2), chain_rule_graph_figure(values, gradients),
               finite_difference_error_figure(np.sin, np.cos, 1.0, np.logspace(-8, -1, 8))]
    for fig in figures:
        assert isinstance(fig, plt.Figure)
        plt.close(fig)
    assert len(figures[0].axes) == 6


def test_correlation_figure_shows_both_outputs():
    x = np.arange(16, dtype=float).reshape(4, 4)
    k = np.array([[1.0, 2.0], [0.0, 0.0]])
    fig = correlation_vs_convolution_figure(x, k)
    top_out, bottom_out = fig.axes[2], fig.axes[5]
    # Output (0, 0), written by hand: cross-correlation uses k as it is (1, 2 on the top row);
    # convolution uses rot180(k), whose bottom row is (2, 1).
    top_values = [t.get_text() for t in top_out.texts]
    bottom_values = [t.get_text() for t in bottom_out.texts]
    assert top_values[0] == f"{x[0, 0] * 1 + x[0, 1] * 2:g}"
    assert bottom_values[0] == f"{x[1, 0] * 2 + x[1, 1] * 1:g}"
    assert fig.axes[1].get_title() == "kernel w, as applied" and fig.axes[4].get_title().startswith("rot180(w)")
    plt.close(fig)
