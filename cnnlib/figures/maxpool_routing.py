"""Pictures for notebook 01: where max-pool sends the error (question 1).

Every grid is labelled with the asker's 1-based indices; gradients use the diverging
colour map centred at zero, so an entry that receives nothing is white.
"""
import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..plot import highlight_window, show_grid
from ..pool import maxpool2d_forward


def _single_map(values, name, shape=None):
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 4:
        if values.shape[:2] != (1, 1):
            raise ValueError(f"{name} must hold one map: shape (1, 1, H, W) or (H, W), got {values.shape}")
        values = values[0, 0]
    if values.ndim != 2 or (shape is not None and values.shape != shape):
        wanted = shape if shape is not None else "(H, W)"
        raise ValueError(f"{name} must be one map of shape {wanted} (or (1, 1) + that), got {values.shape}")
    return values


def window_winners(a1, size=2):
    """0-based (row, col) in a1 of each pooling window's winner, as the library picks it
    (first maximum in row-major order). a1 (H, W) -> dict {(p, r) 1-based: (row, col)}."""
    a1 = _single_map(a1, "a1")
    _, (_, _, winners, _, _) = maxpool2d_forward(a1[None, None], size)
    positions = {}
    for p in range(winners.shape[2]):
        for r in range(winners.shape[3]):
            a, b = divmod(int(winners[0, 0, p, r]), size)
            positions[(p + 1, r + 1)] = (p * size + a, r * size + b)
    return positions


def _pooling_grid(ax, shape, size):
    # Black lines with a white edge: visible on the dark cells of a1's colour map too.
    halo = [path_effects.Stroke(linewidth=4, foreground="white"), path_effects.Normal()]
    for k in range(size, shape[0], size):
        ax.axhline(k - 0.5, color="black", linewidth=2, path_effects=halo)
    for k in range(size, shape[1], size):
        ax.axvline(k - 0.5, color="black", linewidth=2, path_effects=halo)


def _mark_winner(ax, row, col):
    # A black frame with a white one inside, just within the cell's edge: visible on every
    # colour of both maps, and clear of the number written in the middle.
    for inset, colour, width in ((0.06, "black", 2.6), (0.14, "white", 1.4)):
        ax.add_patch(Rectangle((col - 0.5 + inset, row - 0.5 + inset), 1 - 2 * inset, 1 - 2 * inset,
                               fill=False, edgecolor=colour, linewidth=width, zorder=4))


def digit_and_kernel_figure(x, w1, label=None, size=(6.5, 3.0)):
    """The input image x (8, 8) and the kernel w1 (3, 3), values written in.

    x: (8, 8) or (1, 1, 8, 8); w1: (3, 3) or (1, 1, 3, 3). Returns a Figure.
    """
    x = _single_map(x, "x")
    w1 = _single_map(w1, "w1")
    fig, (left, right) = plt.subplots(1, 2, figsize=size, gridspec_kw={"width_ratios": [8, 4.5]})
    show_grid(left, x, title="input x" + (f" (a {label})" if label is not None else ""),
              decimals=1, cmap="gray_r", fontsize=6)
    show_grid(right, w1, title="kernel w⁽¹⁾", gradient=True, decimals=2, fontsize=9)
    fig.tight_layout()
    return fig


def routing_figure(a1, dL_da1, window=None, size=(9.0, 4.2)):
    """Left: a1 (6, 6) with the 2x2 pooling grid and each window's max framed.
    Right: dL/da1 as a heatmap centred at zero: only the framed cells can be non-zero.

    a1, dL_da1: (6, 6) or (1, 1, 6, 6). window: optional 1-based (p, r) to outline in both.
    Returns a Figure.
    """
    a1 = _single_map(a1, "a1")
    dL_da1 = _single_map(dL_da1, "dL_da1", a1.shape)
    fig, (left, right) = plt.subplots(1, 2, figsize=size)
    # font size 6.5: "-0.145" must fit inside a winner's frame
    show_grid(left, a1, title="a⁽¹⁾ = ReLU(z⁽¹⁾), pooling windows, max framed", decimals=2, fontsize=6.5)
    show_grid(right, dL_da1, title="∂L/∂a⁽¹⁾ (white = exactly 0)", gradient=True, decimals=3, fontsize=6.5)
    for ax in (left, right):
        _pooling_grid(ax, a1.shape, 2)
        for row, col in window_winners(a1).values():
            _mark_winner(ax, row, col)
        if window is not None:
            p, r = window
            highlight_window(ax, 2 * (p - 1), 2 * (r - 1), 2, 2, color="red", linewidth=3.5).set_zorder(5)
    fig.subplots_adjust(left=0.04, right=0.98, bottom=0.06, top=0.9, wspace=0.12)  # fixed: tight_layout is slow
    return fig


def layer_one_figure(z1, dL_dz1, dL_dw1, size=(10.0, 3.4)):
    """Layer 1's backward pass: the ReLU mask [z1 > 0] (6, 6), dL/dz1 = dL/da1 * mask (6, 6),
    and dL/dw1 = x cross-correlated with dL/dz1 (3, 3). Accepts (H, W) or (1, 1, H, W) maps.
    Returns a Figure.
    """
    z1 = _single_map(z1, "z1")
    dL_dz1 = _single_map(dL_dz1, "dL_dz1", z1.shape)
    dL_dw1 = _single_map(dL_dw1, "dL_dw1")
    fig, axes = plt.subplots(1, 3, figsize=size, gridspec_kw={"width_ratios": [6, 6, 4]})
    show_grid(axes[0], (z1 > 0).astype(float), title="ReLU mask [z⁽¹⁾ > 0]", decimals=0, cmap="Greys",
              fontsize=7)
    show_grid(axes[1], dL_dz1, title="∂L/∂z⁽¹⁾ = ∂L/∂a⁽¹⁾ · mask", gradient=True, decimals=3, fontsize=7)
    show_grid(axes[2], dL_dw1, title="∂L/∂w⁽¹⁾ = x ⋆ ∂L/∂z⁽¹⁾", gradient=True, decimals=3, fontsize=8)
    _pooling_grid(axes[1], z1.shape, 2)
    fig.tight_layout()
    return fig
