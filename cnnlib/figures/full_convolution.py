"""Pictures for notebook 03: the error of a conv layer's input is a full convolution.

The figures only draw: every array and position comes from `cnnlib.single_map`
(`full_convolution_layout`, `scatter_terms`, `gather_window`). The static figures are plain
matplotlib Figures (not pyplot), so a notebook shows each exactly once, as the cell's
value; the explorer's picture is `scatter_gather_svg`, an SVG string built directly (crisp
at any zoom, real text, a few milliseconds per update).

Conventions: 2-D arrays (one channel), forward z_next = correlate(pad(z, P), w) with
stride s, kernel anchored at its top-left corner; positions (m, n) are 1-based.
"""
from html import escape

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from ..plot import GRADIENT_CMAP, diverging_norm, highlight_window, rounded, show_grid
from ..single_map import gather_window, scatter_terms
from ..single_map import full_convolution_layout  # noqa: F401  (old import path; the math lives in single_map)


def _require_position(layout, m, n):
    gather_window(layout, m, n)   # raises TypeError / ValueError for a bad position


def _weight_labels(kernel_shape, rotated):
    """Text 'i,j' (1-based) of the weight each cell holds; rotated=True for rot180(w)."""
    kH, kW = kernel_shape
    labels = np.empty((kH, kW), dtype=object)
    for a in range(kH):
        for b in range(kW):
            i, j = (kH - a, kW - b) if rotated else (a + 1, b + 1)
            labels[a, b] = f"w{i},{j}"
    return labels


def _write_label(ax, col, row, text, fontsize):
    """A small weight label in the lower part of a cell, readable on any colour."""
    ax.text(col, row + 0.3, text, ha="center", va="center", fontsize=fontsize, color="black", in_layout=False,
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "alpha": 0.75, "linewidth": 0})


def _outline_real_delta(ax, layout):
    """Dashed box around the cells of padded_delta that hold (dilated) delta, not padding."""
    kH, kW = layout.kernel.shape
    rows, cols = layout.dilated_delta.shape
    highlight_window(ax, kH - 1, kW - 1, rows, cols, color="black", linewidth=1.2).set_linestyle("--")


def step_through_figure(layout, positions=None, columns=3):
    """Step-through of the gather view: rot180(w) at successive positions over the padded delta.

    layout: from full_convolution_layout. positions: 1-based (m, n) pairs of the input,
    default the first `columns` of row 1 then the last position (at most 8 panels).
    One panel per position (window outlined, weight labels written in, the value it
    produces in the title), and a last panel with delta^l, the visited entries outlined.
    Returns a matplotlib Figure.
    """
    H, W = layout.input_shape
    if positions is None:
        positions = [(1, n) for n in range(1, min(W, columns) + 1)] + [(H, W)]
    positions = list(positions)[:8]
    for m, n in positions:
        _require_position(layout, m, n)
    panels = len(positions) + 1
    rows = -(-panels // columns)
    size = layout.padded_delta.shape
    fig = Figure(figsize=(3.1 * columns, 2.6 * rows * size[0] / max(size[1], 1) + 0.5))   # <= 520 px tall for slides
    axes = fig.subplots(rows, columns, squeeze=False)
    kH, kW = layout.kernel.shape
    labels = _weight_labels((kH, kW), rotated=True)
    norm_values = layout.padded_delta
    for ax, (m, n) in zip(axes.flat, positions):
        show_grid(ax, norm_values, gradient=True, decimals=1, fontsize=8)
        _outline_real_delta(ax, layout)
        top, left = gather_window(layout, m, n)
        highlight_window(ax, top, left, kH, kW, color="black", linewidth=2.5)
        for a in range(kH):
            for b in range(kW):
                _write_label(ax, left + b, top + a, labels[a, b], 7.5)
        value = layout.input_gradient[m - 1, n - 1]
        ax.set_title(f"$\\delta^l_{{{m},{n}}} = {rounded(value, 4):g}$", fontsize=10)
    last = axes.flat[len(positions)]
    show_grid(last, layout.input_gradient, gradient=True, decimals=1, fontsize=8)
    for m, n in positions:
        highlight_window(last, m - 1, n - 1, 1, 1, color="black", linewidth=2)
    last.set_title(r"$\delta^l$ (visited entries boxed)", fontsize=10)
    for ax in list(axes.flat)[panels:]:
        ax.axis("off")
    fig.suptitle(r"gather: rot180($w$) slides over the zero-padded $\delta^{l+1}$ (dashed: the real entries)",
                 fontsize=11)
    fig.tight_layout()
    return fig


def _pair_text(pair):
    """(2, 2) -> '2'; (2, 1) -> '(2, 1)': square strides/paddings read as one number."""
    return str(pair[0]) if pair[0] == pair[1] else str(tuple(pair))


def scatter_gather_figure(layout, m, n):
    """The two views of delta^l_{m,n} side by side (m, n 1-based in the unpadded input).

    Left: the weights w^{l+1} with their values and 1-based labels. Middle (scatter):
    delta^{l+1}, the outputs z^l_{m,n} fed outlined, each labelled with the weight it was
    multiplied by. Right (gather): the padded (dilated) delta with rot180(w) over the
    window that produces delta^l_{m,n}, each cell labelled with the weight it meets. The
    same (delta, weight) pairs appear in both. Returns a Figure.
    """
    terms = scatter_terms(layout, m, n)
    kH, kW = layout.kernel.shape
    Ho, Wo = layout.delta.shape
    padded_shape = layout.padded_delta.shape
    fig = Figure(figsize=(10.4, 4.4))
    weights, left, right = fig.subplots(
        1, 3, gridspec_kw={"width_ratios": [max(kW, 2), max(Wo, 2), padded_shape[1]]})
    show_grid(weights, layout.kernel, gradient=True, decimals=2, fontsize=8)
    own_labels = _weight_labels((kH, kW), rotated=False)
    for a in range(kH):
        for b in range(kW):
            _write_label(weights, b, a, own_labels[a, b], 7)
    weights.set_title("the weights $w^{l+1}$", fontsize=9)
    show_grid(left, layout.delta, gradient=True, decimals=2, fontsize=8)
    for term in terms:
        p, q = term.output
        highlight_window(left, p - 1, q - 1, 1, 1, color="black", linewidth=2.2)
        _write_label(left, q - 1, p - 1, f"w{term.weight[0]},{term.weight[1]}", 7)
    left.set_title(f"scatter: $z^l_{{{m},{n}}}$ fed {len(terms)} output(s)\n(boxed; label = its weight)",
                   fontsize=9)
    left.set_xlabel(r"$\delta^{l+1}$")
    show_grid(right, layout.padded_delta, gradient=True, decimals=1, fontsize=7.5)
    _outline_real_delta(right, layout)
    top, left_col = gather_window(layout, m, n)
    highlight_window(right, top, left_col, kH, kW, color="black", linewidth=2.5)
    labels = _weight_labels((kH, kW), rotated=True)
    for a in range(kH):
        for b in range(kW):
            _write_label(right, left_col + b, top + a, labels[a, b], 7)
    value = layout.input_gradient[m - 1, n - 1]
    right.set_title(f"gather: rot180($w$) over padded $\\delta^{{l+1}}$\n"
                    f"$\\delta^l_{{{m},{n}}}$ = {rounded(value, 4):g}", fontsize=9)
    right.set_xlabel(f"stride s = {_pair_text(layout.stride)}, padding P = {_pair_text(layout.padding)}; "
                     f"dashed box: $\\delta^{{l+1}}${' dilated' if max(layout.stride) > 1 else ''}", fontsize=8)
    fig.tight_layout()
    return fig


def pipeline_figure(layout):
    """The gather recipe for stride and padding, one panel per step.

    delta^{l+1} -> dilated (stride - 1 zeros between entries) -> zero-padded by k - 1
    (plus `extra` rows/cols at the bottom/right for the floor rule) -> correlate with
    rot180(w) -> crop the forward padding -> delta^l. Returns a Figure.
    """
    (sh, sw), (ph, pw), (kH, kW) = layout.stride, layout.padding, layout.kernel.shape
    extra = f"{layout.extra[0]} row(s), {layout.extra[1]} col(s)" if any(layout.extra) else "none"
    panels = [
        (layout.delta, "1. $\\delta^{l+1}$"),
        (layout.dilated_delta, f"2. dilate: s-1 = {_pair_text((sh - 1, sw - 1))}\nzero(s) between entries"),
        (layout.padded_delta, f"3. floor-rule zeros at bottom/right: {extra};\n"
                              f"then k-1 = {_pair_text((kH - 1, kW - 1))} zeros on every side"),
        (layout.rotated_kernel, "4. rot180($w^{l+1}$)"),
        (layout.padded_input_gradient, "5. (3) correlated with (4):\n$\\partial J/\\partial$(padded $z^l$); box = real input"
         if ph or pw else "5. (3) correlated with (4)"),
        (layout.input_gradient, f"6. crop P = {_pair_text((ph, pw))} per side:\n$\\delta^l$"),
    ]
    widths = [max(values.shape[1], 2) for values, _ in panels]
    fig = Figure(figsize=(9.6, 5.7), layout="constrained")   # <= 520 px tall for slides
    axes = []
    for row, subfigure in enumerate(fig.subfigures(2, 1)):   # two rows of three steps
        axes.extend(subfigure.subplots(1, 3, gridspec_kw={"width_ratios": widths[3 * row:3 * row + 3]}))
    for ax, (values, title) in zip(axes, panels):
        show_grid(ax, values, gradient=True, decimals=1, fontsize=8.5)
        ax.set_title(title, fontsize=9.5)
    H, W = layout.input_shape
    if ph or pw:
        highlight_window(axes[4], ph, pw, H, W, color="black", linewidth=2)
    fig.suptitle(f"the gather recipe, step by step (stride s = {_pair_text(layout.stride)}, "
                 f"padding P = {_pair_text(layout.padding)}, input {H}x{W})", fontsize=11)
    return fig


# ---------------------------------------------------------------- the explorer's picture (SVG)

SVG_CELL = 28          # px per grid cell at natural size
_SVG_GAP = 36          # px between panels
_SVG_TOP = 52          # px for the two title lines above each panel
_FONT = "font-family:DejaVu Sans,Arial,sans-serif"


def _svg_colours(values):
    """(fill '#rrggbb', text colour) per cell: the diverging map centred at zero, as show_grid."""
    rgba = colormaps[GRADIENT_CMAP](diverging_norm(values)(np.asarray(values, dtype=float)))
    fills = np.empty(values.shape, dtype=object)
    inks = np.empty(values.shape, dtype=object)
    for index in np.ndindex(values.shape):
        r, g, b = (float(channel) for channel in rgba[index][:3])
        fills[index] = "#{:02x}{:02x}{:02x}".format(int(r * 255), int(g * 255), int(b * 255))
        inks[index] = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
    return fills, inks


def _svg_grid(x0, y0, values, labels=None, decimals=1):
    """SVG elements of a grid of cells at (x0, y0): value in each cell, optional small label
    below it, 1-based row/column numbers outside."""
    parts = []
    fills, inks = _svg_colours(values)
    texts = [[f"{round(float(v), decimals) + 0.0:g}" for v in row] for row in values]   # as rounded()
    rows, cols = values.shape
    c = SVG_CELL
    for i in range(rows):
        for j in range(cols):
            x, y = x0 + j * c, y0 + i * c
            parts.append(f'<rect x="{x}" y="{y}" width="{c}" height="{c}" fill="{fills[i, j]}" '
                         f'stroke="white" stroke-width="1"/>')
            text_y = y + (c * 0.42 if labels is not None and labels[i][j] else c * 0.62)
            parts.append(f'<text x="{x + c / 2}" y="{text_y:.1f}" font-size="12" text-anchor="middle" '
                         f'fill="{inks[i, j]}">{texts[i][j]}</text>')
            if labels is not None and labels[i][j]:
                parts.append(f'<rect x="{x + 2}" y="{y + c * 0.56:.1f}" width="{c - 4}" height="11" '
                             f'fill="white" fill-opacity="0.85"/>'
                             f'<text x="{x + c / 2}" y="{y + c * 0.56 + 9:.1f}" font-size="9.5" '
                             f'text-anchor="middle" fill="black">{labels[i][j]}</text>')
    for i in range(rows):
        parts.append(f'<text x="{x0 - 4}" y="{y0 + i * c + c * 0.62:.1f}" font-size="10" '
                     f'text-anchor="end" fill="#444">{i + 1}</text>')
    for j in range(cols):
        parts.append(f'<text x="{x0 + j * c + c / 2}" y="{y0 - 4}" font-size="10" '
                     f'text-anchor="middle" fill="#444">{j + 1}</text>')
    return parts


def _svg_box(x0, y0, row, col, height, width, stroke_width=2.5, dashed=False):
    c = SVG_CELL
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    return (f'<rect x="{x0 + col * c}" y="{y0 + row * c}" width="{width * c}" height="{height * c}" '
            f'fill="none" stroke="black" stroke-width="{stroke_width}"{dash}/>')


def _svg_title(x, y, lines):
    return "".join(f'<text x="{x}" y="{y + 15 * k}" font-size="12.5" fill="black">{escape(line)}</text>'
                   for k, line in enumerate(lines))


def scatter_gather_svg(layout, m, n):
    """The explorer's picture: the scatter and gather views of delta^l_{m,n} as an SVG string.

    The same three panels as scatter_gather_figure (the weights; delta^{l+1} with the
    outputs z^l_{m,n} fed boxed and labelled with their weight; rot180(w) over the padded,
    dilated delta^{l+1}), drawn at SVG_CELL px per cell with real text (>= 9.5 px).
    Its natural size is in the root element's width/height attributes.
    """
    terms = scatter_terms(layout, m, n)
    top, left_col = gather_window(layout, m, n)
    kH, kW = layout.kernel.shape
    grids = [layout.kernel, layout.delta, layout.padded_delta]
    c = SVG_CELL
    x_positions, x = [], 22
    for values in grids:
        x_positions.append(x)
        x += max(values.shape[1] * c, 250) + _SVG_GAP
    width = max(x - _SVG_GAP + 10, x_positions[-1] + 330)
    y0 = _SVG_TOP + 14
    height = y0 + max(values.shape[0] for values in grids) * c + 34
    own = [[f"w{a + 1},{b + 1}" for b in range(kW)] for a in range(kH)]
    fed = [["" for _ in range(layout.delta.shape[1])] for _ in range(layout.delta.shape[0])]
    for term in terms:
        fed[term.output[0] - 1][term.output[1] - 1] = f"w{term.weight[0]},{term.weight[1]}"
    gathered = [["" for _ in range(layout.padded_delta.shape[1])] for _ in range(layout.padded_delta.shape[0])]
    for a in range(kH):
        for b in range(kW):
            gathered[top + a][left_col + b] = f"w{kH - a},{kW - b}"
    value = layout.input_gradient[m - 1, n - 1]
    title = f"scatter and gather of δˡ at (m, n) = ({m}, {n}): δˡ = {rounded(value, 4):g}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" style="{_FONT}">',
             f"<title>{escape(title)}</title>",
             '<rect width="100%" height="100%" fill="white"/>']
    xw, xd, xp = x_positions
    parts += _svg_title(xw, 16, ["the weights wˡ⁺¹", "(value; label: its index i,j)"])
    parts += _svg_grid(xw, y0, layout.kernel, own, decimals=2)
    parts += _svg_title(xd, 16, [f"scatter: zˡ at ({m}, {n}) fed {len(terms)} output(s)",
                                 "of δˡ⁺¹ (boxed; label: weight used)"])
    parts += _svg_grid(xd, y0, layout.delta, fed, decimals=2)
    parts += [_svg_box(xd, y0, t.output[0] - 1, t.output[1] - 1, 1, 1) for t in terms]
    parts += _svg_title(xp, 16, ["gather: rot180(w) over the padded δˡ⁺¹", f"gives δˡ at ({m}, {n}) = {rounded(value, 4):g}"])
    parts += _svg_grid(xp, y0, layout.padded_delta, gathered, decimals=1)
    rows, cols = layout.dilated_delta.shape
    parts.append(_svg_box(xp, y0, kH - 1, kW - 1, rows, cols, stroke_width=1.5, dashed=True))
    parts.append(_svg_box(xp, y0, top, left_col, kH, kW, stroke_width=3))
    dilated = " dilated" if max(layout.stride) > 1 else ""
    parts.append(f'<text x="{xp}" y="{height - 10}" font-size="11.5" fill="black">'
                 f'stride s = {_pair_text(layout.stride)}, padding P = {_pair_text(layout.padding)}; '
                 f'dashed box: δˡ⁺¹{dilated}</text>')
    parts.append("</svg>")
    return "".join(parts)
