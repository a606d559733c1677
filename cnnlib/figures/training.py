"""Pictures for notebook 05: training the question-1 network on real digits.

The routing of the gradient through max-pool on a real digit is drawn by
`cnnlib.figures.maxpool_routing.routing_figure` (notebook 01's picture), fed with
the values a trained model computes (see `Sequential.trace`).
"""
import matplotlib.pyplot as plt
import numpy as np

from ..plot import show_grid


def training_curves_figure(history, title=None, size=(8.0, 3.0)):
    """Loss (left) and accuracy (right) after every epoch, on the training and held-out sets.

    history: a `cnnlib.training.History` (four lists of one float per epoch). Returns a Figure.
    """
    epochs = np.arange(1, history.epochs + 1)
    if len(epochs) == 0:
        raise ValueError("history holds no epochs to draw")
    fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=size)
    for part, style in (("train", "-"), ("test", "--")):
        label = "training set" if part == "train" else "held-out set"
        loss_ax.plot(epochs, getattr(history, f"{part}_loss"), style, label=label)
        accuracy_ax.plot(epochs, np.array(getattr(history, f"{part}_accuracy")) * 100, style, label=label)
    loss_ax.set(xlabel="epoch", ylabel="mean binary cross-entropy", title="loss", yscale="log")
    accuracy_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    bottom, _ = accuracy_ax.set_ylim(top=100.5)   # room for a line at 100 %, but no tick above it
    accuracy_ax.set_yticks([tick for tick in accuracy_ax.get_yticks() if bottom <= tick <= 100])
    accuracy_ax.set_ylim(bottom, 100.5)
    for ax in (loss_ax, accuracy_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def learned_kernels_figure(model, title=None, size_per_kernel=2.2):
    """Each learned 3x3 kernel of the model's first (conv) layer, values written in.

    Diverging colours centred at zero: red weights reward ink under them, blue ones
    penalise it. model: a `Sequential` whose first layer is a `Conv2d` with weights
    (F, 1, kH, kW). Returns a Figure with F panels.
    """
    weights = model.layers[0].params.get("w") if model.layers else None
    if weights is None or weights.ndim != 4 or weights.shape[1] != 1:
        raise ValueError("the model's first layer must be a one-channel Conv2d with weights (F, 1, kH, kW)")
    count = weights.shape[0]
    fig, axes = plt.subplots(1, count, figsize=(size_per_kernel * count, size_per_kernel + 0.3), squeeze=False)
    for f, ax in enumerate(axes[0]):
        show_grid(ax, weights[f, 0], title=f"kernel {f + 1}", gradient=True, decimals=2, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
