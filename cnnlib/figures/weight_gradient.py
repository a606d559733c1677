"""Pictures for notebook 02: the weight gradient of a convolution is a sum over
output positions of (the input the weight touched there) x (that position's delta).

Geometry, in the question's notation: the input i (H, W) and the filter w (kH, kW)
are numbered 1, 2, 3, ... row by row, as the question writes i_1..i_9 and w_1..w_4.
Number k sits at the 0-based array index (row, col) = divmod(k - 1, width).
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..plot import highlight_window, rounded, show_grid

# One colour per output position o_1, o_2, o_3, o_4, ... (colour-blind-safe, Okabe-Ito).
POSITION_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#D55E00", "#0072B2", "#F0E442", "#000000")


def position_of(number, width):
    """The 0-based (row, col) of the 1-based element `number` in a grid `width` wide (read row by row)."""
    if int(number) != number or number < 1 or width < 1:
        raise ValueError(f"number must be an integer >= 1 and width >= 1, got number={number}, width={width}")
    return divmod(int(number) - 1, int(width))


def number_of(row, col, width):
    """The 1-based element number of the 0-based (row, col) in a grid `width` wide: the inverse of `position_of`."""
    return int(row) * int(width) + int(col) + 1


def cells_touched_by_weight(weight_number, input_shape, kernel_shape):
    """Which input cell the weight w_m multiplies at each output position, in output order.

    weight_number m: 1-based, row by row over the kernel (kH, kW).
    input_shape (H, W), kernel_shape (kH, kW) -> list of (Ho * Wo) tuples
    (output_number, output_row, output_col, input_number, input_row, input_col);
    numbers are 1-based, rows/cols 0-based. Output position (r, c) reads the window
    whose top-left is input (r, c), so weight (a, b) meets input (r + a, c + b).
    """
    H, W = input_shape
    kH, kW = kernel_shape
    if kH > H or kW > W:
        raise ValueError(f"kernel {tuple(kernel_shape)} does not fit in input {tuple(input_shape)}")
    if not 1 <= weight_number <= kH * kW:
        raise ValueError(f"weight_number must be 1..{kH * kW} for a {kH}x{kW} kernel, got {weight_number}")
    a, b = position_of(weight_number, kW)
    Ho, Wo = H - kH + 1, W - kW + 1
    touched = []
    for r in range(Ho):
        for c in range(Wo):
            touched.append((number_of(r, c, Wo), r, c, number_of(r + a, c + b, W), r + a, c + b))
    return touched


def _colour(k):
    return POSITION_COLOURS[(k - 1) % len(POSITION_COLOURS)]


def _fill_cell(ax, row, col, colour, alpha=0.55):
    ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, facecolor=colour, alpha=alpha, edgecolor="none"))


def _label_cells(ax, values, symbol, layer):
    """Write 'symbol^layer_k = value' in every cell (1-based k, row by row)."""
    H, W = values.shape
    for row in range(H):
        for col in range(W):
            ax.text(col, row, f"${symbol}^{{{layer}}}_{{{number_of(row, col, W)}}}$\n{rounded(values[row, col], 3):g}",
                    ha="center", va="center", fontsize=9)
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
    for k in range(H + 1):
        ax.axhline(k - 0.5, color="0.6", linewidth=0.8)
    for k in range(W + 1):
        ax.axvline(k - 0.5, color="0.6", linewidth=0.8)


def draw_touched_inputs(ax, inputs, weight_number, kernel_shape, outline_windows=True):
    """The input grid with the cell w_m meets at each output position filled in that position's colour.

    inputs (H, W); with outline_windows, each output position's whole window is outlined
    in its colour too (slightly inset so overlapping windows stay visible).
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    kH, kW = kernel_shape
    touched = cells_touched_by_weight(weight_number, inputs.shape, kernel_shape)
    _label_cells(ax, inputs, "i", 1)
    for k, r, c, _, ir, ic in touched:
        _fill_cell(ax, ir, ic, _colour(k))
        if outline_windows:
            inset = 0.05 + 0.15 * (k - 1) / max(1, len(touched) - 1)
            ax.add_patch(Rectangle((c - 0.5 + inset, r - 0.5 + inset), kW - 2 * inset, kH - 2 * inset,
                                   fill=False, edgecolor=_colour(k), linewidth=2))
    ax.set_title(f"input $i^1$: the cells $w^1_{{{weight_number}}}$ multiplies")
    return touched


def draw_deltas(ax, deltas):
    """The delta map (Ho, Wo), each cell outlined in its output position's colour."""
    deltas = np.asarray(deltas, dtype=np.float64)
    _label_cells(ax, deltas, r"\delta", 1)
    Ho, Wo = deltas.shape
    for r in range(Ho):
        for c in range(Wo):
            _fill_cell(ax, r, c, _colour(number_of(r, c, Wo)))
            highlight_window(ax, r, c, 1, 1, color=_colour(number_of(r, c, Wo)), linewidth=3)
    ax.set_title(r"$\delta^1 = \partial C/\partial o^1$")


def draw_running_sum(ax, inputs, deltas, weight_number, kernel_shape):
    """Bars: each term i x delta in its position's colour, stacked as a running sum,
    then the total; a dashed line marks the question's (sum of inputs) x (sum of deltas).

    Returns (terms, correct, asker_product).
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    deltas = np.asarray(deltas, dtype=np.float64)
    touched = cells_touched_by_weight(weight_number, inputs.shape, kernel_shape)
    terms = [inputs[ir, ic] * deltas[r, c] for _, r, c, _, ir, ic in touched]
    correct = float(np.sum(terms))
    asker = float(sum(inputs[ir, ic] for *_, ir, ic in touched) * deltas.sum())
    running = 0.0
    labels = []
    for position, ((k, r, c, n, ir, ic), term) in enumerate(zip(touched, terms)):
        ax.bar(position, term, bottom=running, color=_colour(k), edgecolor="black", linewidth=0.5)
        ax.text(position, running + term, f"{rounded(term, 3):g}", ha="center",
                va="bottom" if term >= 0 else "top", fontsize=8)
        running += term
        labels.append(f"$i^1_{{{n}}}\\delta^1_{{{k}}}$")
    ax.bar(len(terms), correct, color="0.35", edgecolor="black", linewidth=0.5)
    ax.text(len(terms), correct, f"{rounded(correct, 3):g}", ha="center",
            va="bottom" if correct >= 0 else "top", fontsize=9, fontweight="bold")
    labels.append("sum")
    ax.axhline(asker, color="crimson", linestyle="--", linewidth=1.5,
               label=f"(Σ inputs)(Σ δ) = {rounded(asker, 3):g}")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    low, high = min(0.0, asker, correct, *np.cumsum(terms)), max(0.0, asker, correct, *np.cumsum(terms))
    pad = 0.15 * (high - low or 1.0)
    ax.set_ylim(low - pad, high + pad)
    ax.legend(loc="best", fontsize=8)
    ax.set_title(f"$\\partial C/\\partial w^1_{{{weight_number}}}$ built term by term")
    return terms, correct, asker


def weight_gradient_terms_figure(inputs, deltas, weight_number, kernel_shape=(2, 2)):
    """Three panels for one weight w_m: the input cells it multiplies (one colour per
    output position), the deltas in the same colours, and the sum built term by term.

    inputs (H, W), deltas (Ho, Wo) with Ho = H - kH + 1, Wo = W - kW + 1 -> Figure.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    deltas = np.asarray(deltas, dtype=np.float64)
    expected = (inputs.shape[0] - kernel_shape[0] + 1, inputs.shape[1] - kernel_shape[1] + 1)
    if deltas.shape != expected:
        raise ValueError(f"deltas {deltas.shape} must have shape {expected} for input {inputs.shape} "
                         f"and kernel {tuple(kernel_shape)}")
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.3), gridspec_kw={"width_ratios": [1.2, 0.9, 1.6]})
    draw_touched_inputs(axes[0], inputs, weight_number, kernel_shape)
    draw_deltas(axes[1], deltas)
    draw_running_sum(axes[2], inputs, deltas, weight_number, kernel_shape)
    fig.tight_layout()
    return fig


def cross_terms_figure(patch_values, deltas, input_numbers, weight_number=1):
    """The question's product (Σ inputs)(Σ deltas) expanded into its n x n products.

    patch_values (n,): the inputs w_m touched, in output order; deltas (n,) in the same
    order; input_numbers (n,): their 1-based input numbers, for the labels.
    Cell (a, b) holds i_a * delta_b. The diagonal (outlined) is the correct gradient;
    the n(n-1) off-diagonal cells are the cross terms the question's product adds.
    """
    patch_values = np.asarray(patch_values, dtype=np.float64).ravel()
    deltas = np.asarray(deltas, dtype=np.float64).ravel()
    if patch_values.shape != deltas.shape or len(input_numbers) != patch_values.size:
        raise ValueError(f"patch_values {patch_values.shape}, deltas {deltas.shape} and "
                         f"input_numbers ({len(input_numbers)}) must have the same length")
    products = np.outer(patch_values, deltas)
    n = products.shape[0]
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    show_grid(ax, products, gradient=True, decimals=2)
    ax.set_xticks(range(n), [f"$\\delta^1_{{{k + 1}}}$={rounded(d, 2):g}" for k, d in enumerate(deltas)], fontsize=8)
    ax.set_yticks(range(n), [f"$i^1_{{{m}}}$={rounded(v, 2):g}" for m, v in zip(input_numbers, patch_values)], fontsize=8)
    for k in range(n):
        highlight_window(ax, k, k, 1, 1, color="black", linewidth=2.5)
    diagonal = float(np.trace(products))
    total = float(products.sum())
    ax.set_title(f"all {n * n} products of $w^1_{{{weight_number}}}$'s inputs and the deltas\n"
                 f"diagonal (outlined) = {rounded(diagonal, 3):g} = correct; all = {rounded(total, 3):g} "
                 f"= question's product", fontsize=9)
    fig.tight_layout()
    return fig
