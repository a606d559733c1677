"""Pictures for notebook 04: how real layers (batches, channels, stride, padding) compute
their forward and backward passes in bulk.

All pictures are of single maps (one sample, one channel), labelled with 0-based array
indices as the library uses them; the notebook says how they extend to N, C and F.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle

from html import escape

from ..checks import as_pair, output_size
from ..plot import highlight_window, mark_cell, show_grid
from ..pool import maxpool2d_backward, maxpool2d_forward

# Okabe-Ito (colour-blind safe); windows are also told apart by their position.
WINDOW_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
# Cell kinds of a padded input: 0 padding, 1 input read by some window, 2 input never read.
_KINDS = ListedColormap(["#d9d9d9", "#ffffff", "#fdb863"])   # unread cells are also hatched


def padded_input_kinds(height, width, kernel, stride, padding):
    """Which cells of the padded input a strided kernel reads.

    Returns an int array (H + 2ph, W + 2pw): 0 = padding, 1 = input cell some window
    reads, 2 = input cell no window reaches (floor rule: its gradient is always 0).
    """
    (kH, kW), (sh, sw), (ph, pw) = as_pair(kernel, "kernel", 1), as_pair(stride, "stride", 1), \
        as_pair(padding, "padding", 0)
    kinds = np.zeros((height + 2 * ph, width + 2 * pw), dtype=int)
    kinds[ph:ph + height, pw:pw + width] = 2
    Ho, Wo = output_size(height, kH, sh, ph), output_size(width, kW, sw, pw)
    read = np.zeros_like(kinds, dtype=bool)
    read[:(Ho - 1) * sh + kH, :(Wo - 1) * sw + kW] = True
    kinds[(kinds == 2) & read] = 1
    return kinds


def window_grid_figure(height, width, kernel, stride, padding, error=None, size=(6.4, 3.0)):
    """One channel of the padded input with the first windows outlined, next to the output grid.

    height, width: H, W of the input; kernel, stride, padding: ints or (h, w) pairs.
    Grey = padding, white = input, orange hatched = input rows/columns no window reaches.
    With `error` (the library's message for an impossible configuration) the figure
    shows that text instead. Returns a Figure.
    """
    if error:
        fig, ax = plt.subplots(figsize=(size[0], 1.2))
        ax.axis("off")
        ax.text(0.0, 0.5, "impossible configuration:\n" + error, va="center", fontsize=9, color="#b00000",
                wrap=True)
        return fig
    (kH, kW), (sh, sw), (ph, pw) = as_pair(kernel, "kernel", 1), as_pair(stride, "stride", 1), \
        as_pair(padding, "padding", 0)
    kinds = padded_input_kinds(height, width, kernel, stride, padding)
    Ho, Wo = output_size(height, kH, sh, ph), output_size(width, kW, sw, pw)
    fig, (left, right) = plt.subplots(1, 2, figsize=size, gridspec_kw={"width_ratios": [kinds.shape[1], max(Wo, 2)]})
    left.imshow(kinds, cmap=_KINDS, vmin=0, vmax=2)
    for r, c in zip(*np.nonzero(kinds == 2)):
        left.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#7f3b08",
                                 linewidth=0))
    show_grid(right, np.zeros((Ho, Wo)), annotate=False, cmap=ListedColormap(["#ffffff"]), index_base=0)
    for ax, (rows, cols) in ((left, kinds.shape), (right, (Ho, Wo))):
        ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
        ax.grid(which="minor", color="#888888", linewidth=0.6)
        ax.tick_params(which="both", length=0, labelsize=7)
    left.set_xticks(range(kinds.shape[1]), [str(j - pw) for j in range(kinds.shape[1])])
    left.set_yticks(range(kinds.shape[0]), [str(i - ph) for i in range(kinds.shape[0])])
    left.set_title(f"padded input {kinds.shape[0]}x{kinds.shape[1]} (labels: unpadded index)", fontsize=9)
    right.set_title(f"output {Ho}x{Wo}", fontsize=9)
    left.legend(handles=[Patch(facecolor=_KINDS(k), edgecolor="#888888", hatch="///" if k == 2 else None,
                               label=label) for k, label in
                         enumerate(["padding", "input, read", "input, never read: gradient 0"])],
                loc="upper left", bbox_to_anchor=(0.0, -0.08), ncol=3, fontsize=7, frameon=False)
    shown = [(0, 0), (0, 1), (1, 0), (1, 1)]
    for k, (colour, (i, j)) in enumerate(zip(WINDOW_COLOURS, shown)):
        if i < Ho and j < Wo:
            inset = 0.06 + 0.08 * k   # outlines drawn inside the cells, apart, so overlapping windows show
            highlight_window(left, i * sh + inset, j * sw + inset, kH - 2 * inset, kW - 2 * inset, color=colour,
                             linewidth=2.2)
            highlight_window(right, i + 0.06, j + 0.06, 0.88, 0.88, color=colour, linewidth=2.2)
            right.text(j, i, str(k + 1), ha="center", va="center", fontsize=8, in_layout=False)
    fig.tight_layout()
    return fig


# Okabe-Ito colours (colour-blind safe) for the explorer's windows; the window number is also written.
SVG_WINDOW_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]
_SVG_FILL = {0: "#d9d9d9", 1: "#ffffff", 2: "#fdb863"}


def window_grid_svg(height, width, kernel, stride, padding, error=None, cell=18):
    """The explorer's picture as SVG markup (crisp at any zoom, numbers as real text, >= 10 px).

    Same content as `window_grid_figure`: the padded input (grey padding, white input that
    some window reads, orange hatched input no window reaches) with the first four windows
    outlined and numbered, next to the output grid with the same outlines. `cell` is the
    side of one cell in CSS pixels. With `error`, a short SVG that says the layer is impossible.
    """
    if error:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="460" height="40" role="img" '
                f'aria-label="impossible configuration"><text x="0" y="24" font-size="13" '
                f'font-family="sans-serif" fill="#444">no picture: the library refuses this layer</text></svg>')
    (kH, kW), (sh, sw), (ph, pw) = as_pair(kernel, "kernel", 1), as_pair(stride, "stride", 1), \
        as_pair(padding, "padding", 0)
    kinds = padded_input_kinds(height, width, kernel, stride, padding)
    Hp, Wp = kinds.shape
    Ho, Wo = output_size(height, kH, sh, ph), output_size(width, kW, sw, pw)
    left, top, gap = 26, 40, 46
    out_x = left + Wp * cell + gap
    total_w = max(out_x + max(Wo, 3) * cell + 10, left + 330)   # room for the legend
    total_h = top + max(Hp, Ho) * cell + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
             f'viewBox="0 0 {total_w} {total_h}" role="img" font-family="sans-serif" '
             f'aria-label="padded input {Hp} by {Wp} with its first windows, and the output {Ho} by {Wo}">',
             '<defs><pattern id="unread" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fdb863"/>'
             '<line x1="0" y1="0" x2="0" y2="6" stroke="#7f3b08" stroke-width="1.5"/></pattern></defs>',
             f'<text x="{left}" y="14" font-size="12">padded input {Hp}×{Wp}</text>',
             f'<text x="{out_x}" y="14" font-size="12">output {Ho}×{Wo}</text>']
    for (r, c), kind in np.ndenumerate(kinds):
        fill = "url(#unread)" if kind == 2 else _SVG_FILL[int(kind)]
        parts.append(f'<rect x="{left + c * cell}" y="{top + r * cell}" width="{cell}" height="{cell}" '
                     f'fill="{fill}" stroke="#888" stroke-width="0.6"/>')
    for r in range(Hp):
        parts.append(f'<text x="{left - 4}" y="{top + r * cell + cell * 0.7:.1f}" font-size="10" '
                     f'text-anchor="end">{r - ph}</text>')
    for c in range(Wp):
        parts.append(f'<text x="{left + c * cell + cell / 2:.1f}" y="{top - 5}" font-size="10" '
                     f'text-anchor="middle">{c - pw}</text>')
    for i in range(Ho):
        for j in range(Wo):
            parts.append(f'<rect x="{out_x + j * cell}" y="{top + i * cell}" width="{cell}" height="{cell}" '
                         f'fill="#fff" stroke="#888" stroke-width="0.6"/>')
    for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        if i >= Ho or j >= Wo:
            continue
        colour, inset = SVG_WINDOW_COLOURS[k], 1.5 + 1.5 * k
        parts.append(f'<rect x="{left + j * sw * cell + inset}" y="{top + i * sh * cell + inset}" '
                     f'width="{kW * cell - 2 * inset}" height="{kH * cell - 2 * inset}" fill="none" '
                     f'stroke="{colour}" stroke-width="2.2"/>')
        parts.append(f'<rect x="{out_x + j * cell + 1.5}" y="{top + i * cell + 1.5}" width="{cell - 3}" '
                     f'height="{cell - 3}" fill="none" stroke="{colour}" stroke-width="2.2"/>')
        parts.append(f'<text x="{out_x + j * cell + cell / 2:.1f}" y="{top + i * cell + cell * 0.7:.1f}" '
                     f'font-size="10" text-anchor="middle">{k + 1}</text>')
    legend_y = top + max(Hp, Ho) * cell + 18
    x = left
    for kind, label in ((0, "padding"), (1, "read"), (2, "never read: gradient 0")):
        fill = "url(#unread)" if kind == 2 else _SVG_FILL[kind]
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{fill}" stroke="#888"/>')
        parts.append(f'<text x="{x + 16}" y="{legend_y}" font-size="11">{escape(label)}</text>')
        x += 16 + 6 * len(label) + 14
    parts.append(f'<text x="{left}" y="{legend_y + 18}" font-size="11">row and column labels: '
                 'index in the unpadded input</text></svg>')
    return "".join(parts)


def sliding_windows_figure(x, kernel, stride=1, size=(9.5, 3.2)):
    """The forward pass as 'all windows at once': x, every window it is read as, the kernel, the output.

    x (H, W) one channel (already padded), kernel (kH, kW), stride int or pair.
    The second panel tiles the (Ho, Wo, kH, kW) array that sliding_window_view returns
    (a view, no copy); the output is one contraction of it with the kernel.
    Returns a Figure.
    """
    x, kernel = np.asarray(x, dtype=float), np.asarray(kernel, dtype=float)
    (kH, kW), (sh, sw) = kernel.shape, as_pair(stride, "stride", 1)
    Ho, Wo = output_size(x.shape[0], kH, sh, 0), output_size(x.shape[1], kW, sw, 0)
    windows = np.array([[x[i * sh:i * sh + kH, j * sw:j * sw + kW] for j in range(Wo)] for i in range(Ho)])
    tiled = np.full((Ho * (kH + 1) - 1, Wo * (kW + 1) - 1), np.nan)
    for i in range(Ho):
        for j in range(Wo):
            tiled[i * (kH + 1):i * (kH + 1) + kH, j * (kW + 1):j * (kW + 1) + kW] = windows[i, j]
    output = np.einsum("ijab,ab->ij", windows, kernel)
    fig, axes = plt.subplots(1, 4, figsize=size, gridspec_kw={"width_ratios": [x.shape[1], tiled.shape[1], kW, Wo]})
    show_grid(axes[0], x, title="input x", index_base=0, decimals=1)
    # Same colours as the input panel (same value range), text dark on light cells, light on dark ones.
    image = axes[1].imshow(np.ma.masked_invalid(tiled), cmap="viridis", vmin=np.min(x), vmax=np.max(x))
    for (r, c), value in np.ndenumerate(tiled):
        if not np.isnan(value):
            red, green, blue, _ = image.cmap(image.norm(value))
            light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
            axes[1].text(c, r, f"{value:g}", ha="center", va="center", fontsize=7,
                         color="black" if light else "white", in_layout=False)
    axes[1].set_title(f"windows: a ({Ho}, {Wo}, {kH}, {kW}) view")
    axes[1].axis("off")
    show_grid(axes[2], kernel, title="kernel w", index_base=0, decimals=1)
    show_grid(axes[3], output, title="out", index_base=0, decimals=1)
    for k, (i, j) in enumerate((i, j) for i in range(Ho) for j in range(Wo)):
        colour = WINDOW_COLOURS[k % len(WINDOW_COLOURS)]
        inset = 0.05 + 0.07 * (k % 4)   # outlines drawn inside the cells, apart, so overlapping windows show
        highlight_window(axes[0], i * sh + inset, j * sw + inset, kH - 2 * inset, kW - 2 * inset, color=colour,
                         linewidth=2.5)
        highlight_window(axes[1], i * (kH + 1) + 0.05, j * (kW + 1) + 0.05, kH - 0.1, kW - 0.1, color=colour,
                         linewidth=2.5)
        highlight_window(axes[3], i + 0.05, j + 0.05, 0.9, 0.9, color=colour, linewidth=2.5)
    fig.tight_layout()
    return fig


def shifted_additions_terms(dout, w, stride, padded_hw):
    """The vectorised dX of one map, one term per kernel offset.

    dout (Ho, Wo), w (kH, kW), stride int or pair, padded_hw: (H + 2ph, W + 2pw).
    Returns terms (kH, kW, H + 2ph, W + 2pw): term [a, b] is zero except on the strided
    slice [a : a + (Ho-1)*sh + 1 : sh, b : ... : sw], which holds dout * w[a, b].
    Their sum over (a, b) is the gradient of the padded input.
    """
    dout, w = np.asarray(dout, dtype=float), np.asarray(w, dtype=float)
    (Ho, Wo), (kH, kW), (sh, sw) = dout.shape, w.shape, as_pair(stride, "stride", 1)
    terms = np.zeros((kH, kW) + tuple(padded_hw))
    for a in range(kH):
        for b in range(kW):
            terms[a, b, a:a + (Ho - 1) * sh + 1:sh, b:b + (Wo - 1) * sw + 1:sw] = dout * w[a, b]
    return terms


def shifted_additions_figure(dout, w, stride, padded_hw, panel=1.75):
    """dX as kH*kW shifted, strided additions: one panel per kernel offset, then their sum.

    dout (Ho, Wo), w (kH, kW), stride, padded_hw (H + 2ph, W + 2pw). Each offset (a, b)
    of the kernel touched, in every window, the input cell (i*s + a, j*s + b): so it
    adds dout * w[a, b] onto one strided slice. Returns a Figure.
    """
    terms = shifted_additions_terms(dout, w, stride, padded_hw)
    kH, kW = terms.shape[:2]
    fig, axes = plt.subplots(kH, kW + 1, figsize=(panel * (kW + 1), panel * kH))
    axes = np.atleast_2d(axes)
    (sh, sw), (Ho, Wo) = as_pair(stride, "stride", 1), np.shape(dout)
    for a in range(kH):
        for b in range(kW):
            show_grid(axes[a, b], terms[a, b], title=f"offset ({a},{b}): δ·w[{a},{b}]", gradient=True,
                      index_base=0, decimals=2, fontsize=7)
            highlight_window(axes[a, b], a, b, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1, color="black", linewidth=1.6)
            axes[a, b].title.set_fontsize(8)
    show_grid(axes[0, kW], dout, title="δ = dout", gradient=True, index_base=0, decimals=2, fontsize=7)
    show_grid(axes[1 % kH, kW], w, title="w", gradient=True, index_base=0, decimals=2, fontsize=7)
    if kH > 2:
        show_grid(axes[2, kW], terms.sum(axis=(0, 1)), title="sum = dX (padded)", gradient=True,
                  index_base=0, decimals=2, fontsize=7)
    for a in range(3, kH):
        axes[a, kW].axis("off")
    for ax in axes[:, kW]:
        ax.title.set_fontsize(8)
    fig.tight_layout()
    return fig


def overlapping_pool_figure(x, dout, size, stride, cell, panel=3.0):
    """Max-pool with overlapping windows: the windows, their winners, and a cell paid twice.

    x (H, W) one channel, dout (Ho, Wo), size/stride ints with stride < size,
    cell (row, col) 0-based: the input cell to mark (one that wins several windows).
    Panels: x with every window outlined and its winner circled; dout; dx, where the
    marked cell holds the sum of the dout of every window it won. Returns a Figure.
    """
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    out, cache = maxpool2d_forward(x[None, None], size, stride)
    dx = maxpool2d_backward(dout[None, None], cache)[0, 0]
    winners = cache.winners[0, 0]
    (kh, kw), (sh, sw) = as_pair(size, "size", 1), as_pair(stride, "stride", 1)
    fig, axes = plt.subplots(1, 3, figsize=(panel * 3, panel), gridspec_kw={"width_ratios": [x.shape[1], dout.shape[1], x.shape[1]]})
    show_grid(axes[0], x, title=f"x, {kh}x{kw} windows, stride {sh}", index_base=0, decimals=1)
    show_grid(axes[1], dout, title="dout (one per window)", gradient=True, index_base=0, decimals=1)
    show_grid(axes[2], dx, title="dx: winners collect (+=)", gradient=True, index_base=0, decimals=1)
    for k, (i, j) in enumerate(np.ndindex(*out.shape[2:])):
        colour = WINDOW_COLOURS[k % len(WINDOW_COLOURS)]
        offset = 0.08 * (k % 4) - 0.12   # nudge outlines apart so overlapping windows stay visible
        highlight_window(axes[0], i * sh + offset, j * sw + offset, kh, kw, color=colour, linewidth=2)
        highlight_window(axes[1], i, j, 1, 1, color=colour, linewidth=2)
        a, b = divmod(int(winners[i, j]), kw)
        mark_cell(axes[0], i * sh + a, j * sw + b, color=colour, size=160 + 140 * (k % 4))
    highlight_window(axes[2], cell[0], cell[1], 1, 1, color="black", linewidth=3)
    fig.tight_layout()
    return fig

