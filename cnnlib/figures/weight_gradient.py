"""Pictures for notebook 02: the weight gradient of a convolution is a sum over
output positions of (the input the weight touched there) x (that position's delta).

Geometry, in the question's notation: the input i (H, W) and the filter w (kH, kW)
are numbered 1, 2, 3, ... row by row, as the question writes i_1..i_9 and w_1..w_4.
Number k sits at the 0-based array index (row, col) = divmod(k - 1, width).
"""
from html import escape

import matplotlib.pyplot as plt
import numpy as np

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


SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _symbol(name, layer, number):
    """'i', 1, 5 -> 'i¹₅' (plain Unicode, so the SVG needs no maths renderer)."""
    return f"{name}{str(layer).translate(SUP)}{str(number).translate(SUB)}"


def _num(value):
    return f"{rounded(value, 3):g}"


def _text(x, y, content, size=13, anchor="middle", weight="normal", colour="#000"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{colour}">{escape(content)}</text>')


def _grid_svg(values, symbol, left, top, cell, fills, outlines=()):
    """A labelled grid: each cell shows 'symbol_k' and its value; fills {(row, col): colour};
    outlines: (row, col, height, width, colour, inset) rectangles drawn on top."""
    H, W = values.shape
    parts = []
    for row in range(H):
        for col in range(W):
            x, y = left + col * cell, top + row * cell
            fill = fills.get((row, col))
            style = f'fill="{fill}" fill-opacity="0.55"' if fill else 'fill="#fff"'
            parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" {style} stroke="#999" stroke-width="1"/>')
            parts.append(_text(x + cell / 2, y + cell / 2 - 4, _symbol(symbol, 1, number_of(row, col, W)), size=12))
            parts.append(_text(x + cell / 2, y + cell / 2 + 14, _num(values[row, col]), size=14, weight="bold"))
    for row, col, height, width, colour, inset in outlines:
        parts.append(f'<rect x="{left + col * cell + inset:.1f}" y="{top + row * cell + inset:.1f}" '
                     f'width="{width * cell - 2 * inset:.1f}" height="{height * cell - 2 * inset:.1f}" '
                     f'fill="none" stroke="{colour}" stroke-width="2.5"/>')
    return parts


def weight_gradient_terms_svg(inputs, deltas, weight_number, kernel_shape=(2, 2)):
    """One weight w_m, three panels as SVG text (crisp at any zoom, numbers as real text):
    the input cells w_m multiplies (one colour per output position, each window outlined),
    the deltas in the same colours, and dC/dw_m built term by term as a running sum of
    bars, then the total (grey) beside a dashed line at the question's
    (sum of inputs) x (sum of deltas).

    inputs (H, W), deltas (Ho, Wo) with Ho = H - kH + 1, Wo = W - kW + 1 -> str '<svg ...>'.
    The drawing's width and height are its natural size in CSS pixels.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    deltas = np.asarray(deltas, dtype=np.float64)
    kH, kW = kernel_shape
    expected = (inputs.shape[0] - kH + 1, inputs.shape[1] - kW + 1)
    if deltas.shape != expected:
        raise ValueError(f"deltas {deltas.shape} must have shape {expected} for input {inputs.shape} "
                         f"and kernel {tuple(kernel_shape)}")
    touched = cells_touched_by_weight(weight_number, inputs.shape, kernel_shape)
    terms = [float(inputs[ir, ic] * deltas[r, c]) for _, r, c, _, ir, ic in touched]
    correct = float(np.sum(terms))
    asker = float(sum(inputs[ir, ic] for *_, ir, ic in touched) * deltas.sum())
    cell, top = 52, 44
    H, W = inputs.shape
    Ho, Wo = deltas.shape
    parts = []
    # panel 1: the input
    left1 = 12
    outlines = [(r, c, kH, kW, _colour(k), 2 + 6 * (k - 1) / max(1, len(touched) - 1))
                for k, r, c, *_ in touched]
    parts.append(_text(left1, 16, "input i¹:", size=13, anchor="start"))
    parts.append(_text(left1, 33, f"the cells {_symbol('w', 1, weight_number)} multiplies", size=13, anchor="start"))
    parts += _grid_svg(inputs, "i", left1, top, cell, {(ir, ic): _colour(k) for k, _, _, _, ir, ic in touched},
                       outlines)
    # panel 2: the deltas
    left2 = left1 + W * cell + 40
    parts.append(_text(left2, 16, "deltas", size=13, anchor="start"))
    parts.append(_text(left2, 33, "δ¹ = ∂C/∂o¹", size=13, anchor="start"))
    parts += _grid_svg(deltas, "δ", left2, top, cell,
                       {(r, c): _colour(number_of(r, c, Wo)) for r in range(Ho) for c in range(Wo)})
    # panel 3: the running sum
    left3 = left2 + Wo * cell + 56
    bar, gap = 46, 14
    n = len(terms)
    plot_width = (n + 1) * (bar + gap)
    plot_top, plot_height = top, max(H * cell, 156)
    running = np.concatenate([[0.0], np.cumsum(terms)])
    low = min(0.0, asker, correct, *running)
    high = max(0.0, asker, correct, *running)
    span = (high - low) or 1.0
    low, high = low - 0.12 * span, high + 0.12 * span

    def y_of(value):
        return plot_top + (high - value) / (high - low) * plot_height

    parts.append(_text(left3, 16, f"∂C/∂{_symbol('w', 1, weight_number)}, built term by term:", size=13,
                       anchor="start"))
    parts.append(_text(left3, 33, "one bar per output position, then the sum", size=13, anchor="start"))
    parts.append(f'<rect x="{left3}" y="{plot_top}" width="{plot_width}" height="{plot_height}" '
                 f'fill="none" stroke="#bbb"/>')
    parts.append(f'<line x1="{left3}" x2="{left3 + plot_width}" y1="{y_of(0):.1f}" y2="{y_of(0):.1f}" '
                 f'stroke="#000" stroke-width="1"/>')
    label_y = plot_top + plot_height + 18
    for position, ((k, r, c, number, *_), term) in enumerate(zip(touched, terms)):
        x = left3 + gap / 2 + position * (bar + gap)
        y0, y1 = y_of(running[position]), y_of(running[position + 1])
        parts.append(f'<rect x="{x:.1f}" y="{min(y0, y1):.1f}" width="{bar}" height="{max(abs(y1 - y0), 1):.1f}" '
                     f'fill="{_colour(k)}" stroke="#000" stroke-width="0.6"/>')
        value_y = min(y0, y1) - 4 if term >= 0 else max(y0, y1) + 14
        parts.append(_text(x + bar / 2, value_y, _num(term), size=12))
        parts.append(_text(x + bar / 2, label_y, f"{_symbol('i', 1, number)}·{_symbol('δ', 1, k)}", size=12))
    x = left3 + gap / 2 + n * (bar + gap)
    y0, y1 = y_of(0), y_of(correct)
    parts.append(f'<rect x="{x:.1f}" y="{min(y0, y1):.1f}" width="{bar}" height="{max(abs(y1 - y0), 1):.1f}" '
                 f'fill="#595959" stroke="#000" stroke-width="0.6"/>')
    parts.append(_text(x + bar / 2, min(y0, y1) - 4 if correct >= 0 else max(y0, y1) + 14, _num(correct),
                       size=13, weight="bold"))
    parts.append(_text(x + bar / 2, label_y, "sum", size=12))
    ya = y_of(asker)
    parts.append(f'<line x1="{left3}" x2="{left3 + plot_width}" y1="{ya:.1f}" y2="{ya:.1f}" stroke="#C2185B" '
                 f'stroke-width="2" stroke-dasharray="7 4"/>')
    parts.append(_text(left3 + plot_width + 6, ya + 4, f"(Σ inputs)(Σ δ) = {_num(asker)}", size=12,
                       anchor="start", colour="#C2185B"))
    width = int(left3 + plot_width + 150)
    height = int(label_y + 12)
    title = (f"dC/dw1_{weight_number} = {_num(correct)}: the sum of {n} terms input x delta; "
             f"the question's product of sums is {_num(asker)}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
            f'font-family="DejaVu Sans, Arial, sans-serif"><title>{escape(title)}</title>'
            + "".join(parts) + "</svg>")


def weight_gradient_terms_picture(inputs, deltas, weight_number, kernel_shape=(2, 2)):
    """`weight_gradient_terms_svg` as an IPython SVG object, for a notebook cell to show."""
    from IPython.display import SVG
    return SVG(data=weight_gradient_terms_svg(inputs, deltas, weight_number, kernel_shape))


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
