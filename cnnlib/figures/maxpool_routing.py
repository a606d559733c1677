"""Pictures for notebook 01: where max-pool sends the error (question 1).

Every grid is labelled with the asker's 1-based indices; gradients use the diverging
colour map centred at zero, so an entry that receives nothing is white.
"""
from html import escape

import matplotlib
import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..plot import GRADIENT_CMAP, VALUE_CMAP, diverging_norm, highlight_window, rounded, show_grid
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
    winners = maxpool2d_forward(a1[None, None], size)[1].winners
    positions = {}
    for p in range(winners.shape[2]):
        for r in range(winners.shape[3]):
            u, v = divmod(int(winners[0, 0, p, r]), size)
            positions[(p + 1, r + 1)] = (p * size + u, r * size + v)
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
              decimals=1, cmap="gray_r", fontsize=7.5)   # 7.5 pt = 9.4 px at the notebooks' 90 dpi
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


def _svg_grid(values, left, top, cell, colours, decimals, title, winners, window):
    """One annotated grid as SVG elements: cells, numbers, 2x2 pooling lines, winner frames."""
    H, W = values.shape
    parts = [f'<text x="{left + W * cell / 2}" y="{top - 10}" text-anchor="middle" '
             f'font-size="14" font-weight="bold">{escape(title)}</text>']
    for i in range(H):
        parts.append(f'<text x="{left - 8}" y="{top + (i + 0.5) * cell + 4}" text-anchor="end" '
                     f'font-size="11" fill="#333">{i + 1}</text>')
        for j in range(W):
            red, green, blue = (int(255 * c) for c in colours[i, j, :3])
            ink = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 128 else "white"
            x, y = left + j * cell, top + i * cell
            parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                         f'fill="rgb({red},{green},{blue})" stroke="white" stroke-width="1"/>'
                         f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" '
                         f'font-size="11" fill="{ink}">{rounded(values[i, j], decimals):g}</text>')
    for j in range(W):
        parts.append(f'<text x="{left + (j + 0.5) * cell}" y="{top + H * cell + 15}" '
                     f'text-anchor="middle" font-size="11" fill="#333">{j + 1}</text>')
    for k in range(2, H, 2):   # the pooling grid: black on a white halo, visible on every colour
        for colour, width in (("white", 5), ("black", 2)):
            parts.append(f'<line x1="{left}" y1="{top + k * cell}" x2="{left + W * cell}" '
                         f'y2="{top + k * cell}" stroke="{colour}" stroke-width="{width}"/>'
                         f'<line x1="{left + k * cell}" y1="{top}" x2="{left + k * cell}" '
                         f'y2="{top + H * cell}" stroke="{colour}" stroke-width="{width}"/>')
    for row, col in winners:
        for inset, colour, width in ((3, "black", 2.5), (6, "white", 1.5)):
            parts.append(f'<rect x="{left + col * cell + inset}" y="{top + row * cell + inset}" '
                         f'width="{cell - 2 * inset}" height="{cell - 2 * inset}" fill="none" '
                         f'stroke="{colour}" stroke-width="{width}"/>')
    if window is not None:
        p, r = window
        parts.append(f'<rect x="{left + 2 * (r - 1) * cell}" y="{top + 2 * (p - 1) * cell}" '
                     f'width="{2 * cell}" height="{2 * cell}" fill="none" stroke="#d62728" '
                     f'stroke-width="4" stroke-dasharray="10 4"/>')
    return parts


_ALT = ("Left: the 6 by 6 map a1 with its 2 by 2 pooling windows and each window's maximum "
        "framed. Right: the gradient dL/da1, zero (white) everywhere except at the framed maxima.")


def routing_svg(a1, dL_da1, window=None, cell=46):
    """The explorer's picture as SVG text (crisp at any zoom; numbers are real text).

    The same content as `routing_figure`: left a1 (6, 6) with the pooling grid and each
    window's max framed, right dL/da1 on a diverging scale centred at zero (white = 0).
    window: optional 1-based (p, r), outlined dashed in both. Numbers have 2 decimals (the
    explorer's table gives 4). Returns (svg, width, height).
    """
    a1 = _single_map(a1, "a1", (6, 6))
    dL_da1 = _single_map(dL_da1, "dL_da1", (6, 6))
    winners = list(window_winners(a1).values())
    lo, hi = float(a1.min()), float(a1.max())
    value_colours = matplotlib.colormaps[VALUE_CMAP]((a1 - lo) / (hi - lo) if hi > lo else np.zeros_like(a1))
    gradient_colours = matplotlib.colormaps[GRADIENT_CMAP](diverging_norm(dL_da1)(dL_da1))
    top, gap, side = 34, 50, 24
    width = 2 * side + 2 * 6 * cell + gap
    height = top + 6 * cell + 22
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" '
             f'role="img" aria-label="{escape(_ALT)}"><title>{escape(_ALT)}</title>',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    parts += _svg_grid(a1, side, top, cell, value_colours, 2, "a⁽¹⁾, pooling windows, max framed",
                       winners, window)
    parts += _svg_grid(dL_da1, side + 6 * cell + gap, top, cell, gradient_colours, 2,
                       "∂L/∂a⁽¹⁾ (white = exactly 0)", winners, window)
    parts.append("</svg>")
    return "".join(parts), width, height
