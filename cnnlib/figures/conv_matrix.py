"""Pictures for "the convolution as a matrix": the matrix K drawn as a grid.

Only draws: which weight sits where comes from `cnnlib.conv_matrix.weight_index_matrix`.
Each nonzero entry is labelled with its weight in the asker's 1-based notation
(w_{a,b}) and coloured by the kernel row a (Okabe-Ito colours, safe for colour-blind
readers; the label carries the meaning, not the colour). Zeros are left white with a
small grey 0, so the band structure and the sharing are both visible.
"""
import matplotlib.pyplot as plt
import numpy as np

from ..checks import as_pair, output_size
from ..conv_matrix import weight_index_matrix

# Okabe-Ito: orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple.
ROW_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]
MIN_FONT_PT = 7.5   # at the notebooks' 90 dpi this is 9.4 px: never below 8 px on screen


def conv_matrix_figure(kernel_shape, input_shape, stride=1, padding=0, values=None, title=None,
                       width_inches=12.0, height_inches=None):
    """K of a single-channel convolution as a labelled grid. Returns a Figure.

    kernel_shape (kH, kW), input_shape (H, W), stride, padding as in `conv_matrix`.
    Row label (i, j): output z^{l+1}_{i,j}; column label (r, c): input z^l_{r,c} (1-based).
    values: optional (kH, kW) weights; their numbers are then written under the labels.
    The default size is at most 1080 x 470 px at the notebooks' 90 dpi (fits a slide).
    """
    index = weight_index_matrix(kernel_shape, input_shape, stride, padding)
    kH, kW = kernel_shape
    H, W = input_shape
    rows, cols = index.shape
    out_cols = output_size(W, kW, as_pair(stride, "stride", 1)[1], as_pair(padding, "padding", 0)[1])
    cell = width_inches / (cols + 3)
    height_inches = height_inches or min(5.2, cell * rows + 1.5)
    fig, ax = plt.subplots(figsize=(width_inches, height_inches))
    colours = np.ones((rows, cols, 3))
    for k in range(kH * kW):
        colours[index == k] = _rgb(ROW_COLOURS[(k // kW) % len(ROW_COLOURS)])
    ax.imshow(colours, aspect="auto", interpolation="nearest")
    font = max(MIN_FONT_PT, min(10.0, 2.4 * 72 * cell * 0.45 / 2))
    for row in range(rows):
        for col in range(cols):
            k = index[row, col]
            if k < 0:
                ax.text(col, row, "0", ha="center", va="center", fontsize=font, color="#767676", in_layout=False)
                continue
            label = f"w{k // kW + 1}{k % kW + 1}"
            if values is not None:
                label += f"\n{np.asarray(values).ravel()[k]:g}"
            ax.text(col, row, label, ha="center", va="center", fontsize=font, color="black", in_layout=False)
    ax.set_yticks(range(rows), [f"({i // out_cols + 1},{i % out_cols + 1})" for i in range(rows)],
                  fontsize=max(MIN_FONT_PT, font))
    ax.set_xticks(range(cols), [f"{r // W + 1},{r % W + 1}" for r in range(cols)], rotation=90,
                  fontsize=max(MIN_FONT_PT, font))
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="#bdbdbd", linewidth=0.6)
    ax.tick_params(which="both", length=0)
    for boundary in range(W, cols, W):          # a thicker line between input rows r
        ax.axvline(boundary - 0.5, color="#404040", linewidth=1.2)
    ax.set_xlabel("input entry $z^l_{r,c}$ = column (r−1)·W + c of K", fontsize=10, labelpad=8)
    ax.set_ylabel("output $z^{l+1}_{i,j}$", fontsize=10)
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    ax.set_title(title or f"K: {rows}×{cols}, kernel {kH}×{kW}, stride {stride}, padding {padding} "
                 "— colour = kernel row, label = the weight, 0 = no connection", fontsize=10, pad=6)
    fig.subplots_adjust(left=0.07, right=0.99, top=1 - 1.3 / height_inches, bottom=0.12 / height_inches)
    return fig


def _rgb(hex_colour):
    return np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
