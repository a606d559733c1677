"""Pictures for notebook 03: the error of a conv layer's input is a full convolution.

The geometry lives in two plain functions the notebook, the widget and the tests share:
- `full_convolution_layout` builds every intermediate array of the gather view
  (dilate delta by the stride, pad it by k - 1, slide rot180(w) over it, crop the padding);
- `scatter_terms` lists, for one input position, the outputs it fed and the weight it
  was multiplied by (the scatter view), in the question's 1-based indices.
The figures only draw what these return. They are built as plain matplotlib Figures,
not through pyplot, so a notebook shows each exactly once, as the cell's value.

Conventions: 2-D arrays (one channel), forward z_next = correlate(pad(z, p), w) with
stride s, kernel anchored at its top-left corner; positions (m, n) are 1-based.
"""
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from ..checks import as_float_array, as_pair, output_size, require_ndim, require_no_nan
from ..plot import highlight_window, rounded, show_grid
from ..signal import correlate2d, dilate, pad2d, rot180


@dataclass
class FullConvolutionLayout:
    """Every array of the gather view, 0-based numpy arrays (labels in figures are 1-based).

    delta:                 (Ho, Wo) the error of the layer's output, delta^{l+1}
    kernel:                (kH, kW) the weights w^{l+1}
    rotated_kernel:        (kH, kW) rot180(kernel)
    dilated_delta:         ((Ho-1)*sh + 1, (Wo-1)*sw + 1), stride - 1 zeros between entries
    extra:                 (rows, cols) of zeros added at the bottom/right for the floor rule
                           (input rows/columns no forward window reached)
    padded_delta:          (H + 2ph + kH - 1, W + 2pw + kW - 1): dilated delta, `extra`
                           zeros at the bottom/right, then kH-1 / kW-1 zeros on every side
    padded_input_gradient: (H + 2ph, W + 2pw) = correlate2d(padded_delta, rotated_kernel)
    input_gradient:        (H, W), the padded one with ph / pw cropped from each side
    """
    delta: np.ndarray
    kernel: np.ndarray
    rotated_kernel: np.ndarray
    dilated_delta: np.ndarray
    extra: tuple
    padded_delta: np.ndarray
    padded_input_gradient: np.ndarray
    input_gradient: np.ndarray
    stride: tuple
    padding: tuple
    input_shape: tuple

    @property
    def border(self):
        """Zeros put around the dilated delta on each side: (kH - 1, kW - 1)."""
        return (self.kernel.shape[0] - 1, self.kernel.shape[1] - 1)


def full_convolution_layout(delta, w, stride=1, padding=0, input_shape=None):
    """The gather view of dL/dz^l for one channel, step by step.

    delta (Ho, Wo): error of the conv output; w (kH, kW); stride, padding: int or (h, w).
    input_shape (H, W): shape of the layer's input z^l. It is needed when stride > 1,
    because several input sizes give the same Ho (floor rule); by default the smallest,
    H = (Ho - 1) * sh + kH - 2 * ph.
    Returns a FullConvolutionLayout; its `input_gradient` (H, W) equals dx of
    `conv2d_backward` for one sample and one channel.
    """
    delta = as_float_array(delta, "delta")
    w = as_float_array(w, "w")
    require_ndim(delta, 2, "delta", "(Ho, Wo)")
    require_ndim(w, 2, "w", "(kH, kW)")
    require_no_nan(delta, "delta")
    require_no_nan(w, "w")
    if min(w.shape) < 1 or min(delta.shape) < 1:
        raise ValueError(f"delta {delta.shape} and w {w.shape} must not be empty")
    sh, sw = as_pair(stride, "stride", minimum=1)
    ph, pw = as_pair(padding, "padding", minimum=0)
    kH, kW = w.shape
    Ho, Wo = delta.shape
    if input_shape is None:
        input_shape = ((Ho - 1) * sh + kH - 2 * ph, (Wo - 1) * sw + kW - 2 * pw)
    input_shape = as_pair(input_shape, "input_shape", minimum=1)
    H, W = input_shape
    expected = (output_size(H, kH, sh, ph), output_size(W, kW, sw, pw))
    if H + 2 * ph < kH or W + 2 * pw < kW or expected != (Ho, Wo):
        raise ValueError(
            f"delta {delta.shape} is not the output shape of input {input_shape} with kernel {w.shape}, "
            f"stride {(sh, sw)}, padding {(ph, pw)} (that would be {expected})")
    dilated = dilate(delta, (sh, sw))
    # Floor rule: the last forward window ends at row (Ho-1)*sh + kH of the padded input;
    # rows after it were never read, so they get zero gradient: append them as zeros.
    extra = (H + 2 * ph - ((Ho - 1) * sh + kH), W + 2 * pw - ((Wo - 1) * sw + kW))
    grown = np.pad(dilated, ((0, extra[0]), (0, extra[1])))
    padded = pad2d(grown, (kH - 1, kW - 1))
    rotated = rot180(w)
    padded_gradient = correlate2d(padded, rotated)
    gradient = padded_gradient[ph:ph + H, pw:pw + W]   # explicit ends: safe when p == 0
    return FullConvolutionLayout(delta, w, rotated, dilated, extra, padded, padded_gradient,
                                 gradient, (sh, sw), (ph, pw), (H, W))


@dataclass
class ScatterTerm:
    """One output that input position (m, n) fed: z^{l+1}_{out} got z^l_{m,n} * w_{weight}.

    output, weight: 1-based (row, col) pairs, as in the question; delta_value, weight_value
    the numbers; product = delta_value * weight_value, this term's share of delta^l_{m,n}.
    """
    output: tuple
    weight: tuple
    delta_value: float
    weight_value: float

    @property
    def product(self):
        return self.delta_value * self.weight_value


def _require_position(layout, m, n):
    H, W = layout.input_shape
    if not (1 <= m <= H and 1 <= n <= W):
        raise ValueError(f"position (m, n) = {(m, n)} is outside the input 1..{H} x 1..{W} (1-based)")


def scatter_terms(layout, m, n):
    """The scatter view of one input position (m, n), 1-based in the unpadded input.

    Returns the list of ScatterTerm for every output whose window covered z^l_{m,n}:
    output (p, q) and weight (i, j) with (p-1)*s + i = m + pad (1-based), in row-major
    order. Their products sum to layout.input_gradient[m-1, n-1]. Empty when no forward
    window reached (m, n) (floor rule).
    """
    _require_position(layout, m, n)
    (sh, sw), (ph, pw) = layout.stride, layout.padding
    kH, kW = layout.kernel.shape
    Ho, Wo = layout.delta.shape
    row, col = m - 1 + ph, n - 1 + pw          # 0-based row/col in the padded input
    terms = []
    for p in range(Ho):
        a = row - p * sh                        # kernel row that output p laid on this input row
        if not 0 <= a < kH:
            continue
        for q in range(Wo):
            b = col - q * sw
            if 0 <= b < kW:
                terms.append(ScatterTerm((p + 1, q + 1), (a + 1, b + 1),
                                         float(layout.delta[p, q]), float(layout.kernel[a, b])))
    return terms


def gather_window(layout, m, n):
    """The gather view of one input position (m, n), 1-based in the unpadded input.

    Returns (top, left): 0-based top-left corner, in layout.padded_delta, of the window
    the rotated kernel covers to produce delta^l_{m,n}; the value is
    sum(padded_delta[top:top+kH, left:left+kW] * rotated_kernel).
    """
    _require_position(layout, m, n)
    return (m - 1 + layout.padding[0], n - 1 + layout.padding[1])


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
    ax.text(col, row + 0.3, text, ha="center", va="center", fontsize=fontsize, color="black",
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "alpha": 0.75, "linewidth": 0})


def _outline_real_delta(ax, layout):
    """Dashed box around the cells of padded_delta that hold (dilated) delta, not padding."""
    kH, kW = layout.kernel.shape
    rows, cols = layout.dilated_delta.shape
    highlight_window(ax, kH - 1, kW - 1, rows, cols, color="black", linewidth=1.2).set_linestyle("--")


def step_through_figure(layout, positions=None, columns=4):
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
    fig = Figure(figsize=(2.6 * columns, 2.9 * rows * size[0] / max(size[1], 1) + 0.4))
    axes = fig.subplots(rows, columns, squeeze=False)
    kH, kW = layout.kernel.shape
    labels = _weight_labels((kH, kW), rotated=True)
    norm_values = layout.padded_delta
    for ax, (m, n) in zip(axes.flat, positions):
        show_grid(ax, norm_values, gradient=True, decimals=1, fontsize=7)
        _outline_real_delta(ax, layout)
        top, left = gather_window(layout, m, n)
        highlight_window(ax, top, left, kH, kW, color="black", linewidth=2.5)
        for a in range(kH):
            for b in range(kW):
                _write_label(ax, left + b, top + a, labels[a, b], 5.5)
        value = layout.input_gradient[m - 1, n - 1]
        ax.set_title(f"$\\delta^l_{{{m},{n}}} = {rounded(value, 4):g}$", fontsize=9)
    last = axes.flat[len(positions)]
    show_grid(last, layout.input_gradient, gradient=True, decimals=2, fontsize=7)
    for m, n in positions:
        highlight_window(last, m - 1, n - 1, 1, 1, color="black", linewidth=2)
    last.set_title(r"$\delta^l$ (visited entries boxed)", fontsize=9)
    for ax in list(axes.flat)[panels:]:
        ax.axis("off")
    fig.suptitle(r"gather: rot180($w$) slides over the zero-padded $\delta^{l+1}$ (dashed: the real entries)",
                 fontsize=10)
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
    show_grid(right, layout.padded_delta, gradient=True, decimals=1, fontsize=7)
    _outline_real_delta(right, layout)
    top, left_col = gather_window(layout, m, n)
    highlight_window(right, top, left_col, kH, kW, color="black", linewidth=2.5)
    labels = _weight_labels((kH, kW), rotated=True)
    for a in range(kH):
        for b in range(kW):
            _write_label(right, left_col + b, top + a, labels[a, b], 6)
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
    fig = Figure(figsize=(min(0.42 * sum(widths) + 2, 16), 3.5))
    axes = fig.subplots(1, len(panels), gridspec_kw={"width_ratios": widths})
    for ax, (values, title) in zip(axes, panels):
        show_grid(ax, values, gradient=True, decimals=1, fontsize=6)
        ax.set_title(title, fontsize=8)
    H, W = layout.input_shape
    if ph or pw:
        highlight_window(axes[4], ph, pw, H, W, color="black", linewidth=2)
    fig.suptitle(f"the gather recipe, step by step (stride s = {_pair_text(layout.stride)}, "
                 f"padding P = {_pair_text(layout.padding)}, input {H}x{W})", fontsize=10)
    fig.tight_layout()
    return fig
