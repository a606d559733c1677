"""Shared plotting primitives for the notebooks: annotated grids, highlighted
windows, and a zero-centred diverging colour map for gradients.

Topic pictures live in `cnnlib.figures.<topic>` and build on these.
"""
import io

import matplotlib

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Rectangle

GRADIENT_CMAP = "RdBu_r"   # red = positive, blue = negative, white = zero
VALUE_CMAP = "viridis"


def use_notebook_defaults():
    """Fixed print options and figure style, so every run prints the same text.

    Call once at the top of every notebook.
    """
    np.set_printoptions(precision=4, suppress=True, linewidth=100, floatmode="maxprec")
    matplotlib.rcParams.update({"figure.dpi": 90, "font.size": 10, "axes.titlesize": 11})


def rounded(x, decimals=4):
    """Round for printing, and turn -0.0 into 0.0 so output is identical on every CPU.

    Arrays stay arrays; a scalar comes back as a plain Python float.
    """
    result = np.round(np.asarray(x, dtype=np.float64), decimals) + 0.0
    return float(result) if result.ndim == 0 else result


def diverging_norm(values):
    """A colour normalisation centred at zero and symmetric, for gradients."""
    limit = float(np.max(np.abs(values))) if np.size(values) else 1.0
    limit = limit if limit > 0 else 1.0
    return TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)


def show_grid(ax, values, title="", annotate=True, decimals=2, gradient=False, cmap=None,
              index_base=1, fontsize=None):
    """Draw a 2-D array as coloured cells, optionally with each value written in.

    values: (H, W). gradient=True uses the diverging map centred at zero.
    index_base=1 labels rows/columns 1..H as the questions do (0 for array indices).
    Returns the image artist.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"show_grid needs a 2-D array, got shape {values.shape}")
    if gradient:
        image = ax.imshow(values, cmap=cmap or GRADIENT_CMAP, norm=diverging_norm(values))
    else:
        image = ax.imshow(values, cmap=cmap or VALUE_CMAP)
    H, W = values.shape
    ax.set_xticks(range(W), [str(j + index_base) for j in range(W)])
    ax.set_yticks(range(H), [str(i + index_base) for i in range(H)])
    ax.tick_params(length=0, labelsize=8)
    ax.set_xticks(np.arange(-0.5, W, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, H, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    if title:
        ax.set_title(title)
    if annotate:
        size = fontsize or max(5, 11 - max(H, W) // 2)
        rgba = image.cmap(image.norm(values))
        for i in range(H):
            for j in range(W):
                luminance = 0.299 * rgba[i, j, 0] + 0.587 * rgba[i, j, 1] + 0.114 * rgba[i, j, 2]
                # in_layout=False: a number sits inside its cell, so tight layouts need not
                # measure it (with hundreds of them, that measuring was most of a figure's time)
                ax.text(j, i, f"{rounded(values[i, j], decimals):g}", ha="center", va="center",
                        fontsize=size, color="black" if luminance > 0.5 else "white", in_layout=False)
    return image


def highlight_window(ax, row, col, height, width, color="red", linewidth=2.5, label=None):
    """Outline the cells [row, row+height) x [col, col+width) (0-based array indices)."""
    patch = Rectangle((col - 0.5, row - 0.5), width, height, fill=False, edgecolor=color,
                      linewidth=linewidth, label=label)
    ax.add_patch(patch)
    return patch


def mark_cell(ax, row, col, color="red", marker="o", size=90):
    """Put a marker on one cell (0-based array indices), e.g. a window's max."""
    return ax.scatter([col], [row], s=size, facecolors="none", edgecolors=color, marker=marker, linewidths=2)


def figure_to_png(fig):
    """Render a figure to PNG bytes and close it: for ipywidgets.Image in widgets."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()
