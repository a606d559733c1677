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


MODEL_LABELS = {"trained": "trained kernel", "frozen": "frozen random kernel", "logistic": "logistic regression (64 pixels)",
                "trained 4": "4 trained kernels", "frozen 4": "4 frozen random kernels"}
MODEL_COLOURS = {"trained": "#3b528b", "frozen": "#21918c", "logistic": "#fde725",
                 "trained 4": "#440154", "frozen 4": "#5ec962"}    # viridis steps: distinct without red/green
MODEL_HATCHES = {"trained": "", "frozen": "//", "logistic": "..", "trained 4": "", "frozen 4": "\\\\"}


def controls_figure(summary, pairs, models=("trained", "frozen", "logistic"), size=(8.4, 3.2)):
    """Held-out accuracy per digit pair (groups) and model (bars): the mean over the splits
    as a bar, each split as a dot, mean ± spread as an error bar.

    summary: {pair: {model: cnnlib.experiments.Summary}}. Bars differ by colour AND hatching.
    """
    pairs = list(pairs)
    fig, ax = plt.subplots(figsize=size)
    width = 0.8 / len(models)
    lowest = 1.0
    for k, model in enumerate(models):
        xs = np.arange(len(pairs)) + (k - (len(models) - 1) / 2) * width
        means = [100 * summary[pair][model].mean for pair in pairs]
        spreads = [100 * summary[pair][model].spread for pair in pairs]
        ax.bar(xs, means, width * 0.92, yerr=spreads, capsize=3, color=MODEL_COLOURS[model],
               hatch=MODEL_HATCHES[model], edgecolor="black", linewidth=0.6, label=MODEL_LABELS[model])
        for x, pair in zip(xs, pairs):
            values = 100 * np.array(summary[pair][model].accuracies)
            lowest = min(lowest, values.min() / 100)
            ax.scatter(np.full(len(values), x), values, s=9, color="black", zorder=3)
            ax.text(x, 100.6, f"{means[list(pairs).index(pair)]:.1f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(pairs)), [f"{a} vs {b}" for a, b in pairs])
    ax.set_ylim(max(0.0, np.floor(100 * lowest / 5) * 5 - 2), 103)
    ax.set_yticks([t for t in ax.get_yticks() if t <= 100])
    ax.set_ylabel("held-out accuracy (%)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", framealpha=0.95)
    ax.set_title(f"mean over {len(summary[pairs[0]][models[0]].accuracies)} train/test splits "
                 "(dots: each split, bars: mean ± spread)", fontsize=10)
    fig.tight_layout()
    return fig


def all_pairs_figure(summary, comparisons=(("trained", "frozen"), ("trained", "logistic")), size=(9.6, 4.4)):
    """For every pair of digits (i < j), the mean held-out accuracy of one model minus another's,
    in percentage points, one panel per comparison; cells written in, diverging colours
    (PuOr, centred at 0, the same scale in every panel)."""
    gaps = []
    for better, worse in comparisons:
        grid = np.full((9, 9), np.nan)     # rows: first digit 0..8, columns: second digit 1..9
        for (a, b), models in summary.items():
            grid[a, b - 1] = 100 * (models[better].mean - models[worse].mean)
        gaps.append(grid)
    limit = max(1.0, float(np.nanmax(np.abs(gaps))))
    fig, axes = plt.subplots(1, len(comparisons), figsize=size, squeeze=False)
    for ax, grid, (better, worse) in zip(axes[0], gaps, comparisons):
        image = ax.imshow(grid, cmap="PuOr", vmin=-limit, vmax=limit)   # purple: ahead, orange: behind
        for a in range(9):
            for b in range(9):
                if not np.isnan(grid[a, b]):
                    value = grid[a, b]
                    ax.text(b, a, f"{value:+.0f}" if abs(value) >= 0.5 else "0", ha="center", va="center",
                            fontsize=8, color="white" if abs(value) > 0.6 * limit else "black", in_layout=False)
        ax.set_xticks(range(9), [str(d) for d in range(1, 10)])
        ax.set_yticks(range(9), [str(d) for d in range(9)])
        ax.tick_params(length=0, labelsize=8)
        ax.set_xlabel("digit with y = 1")
        ax.set_ylabel("digit with y = 0")
        ax.set_title(f"{MODEL_LABELS[better]} minus\n{MODEL_LABELS[worse]} (points)", fontsize=10)
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="percentage points")
    return fig


def learning_rate_curves_figure(histories, size=(8.0, 3.0)):
    """Training loss (left, log scale) and held-out accuracy (right) per epoch for several runs,
    one line style per learning rate. histories: {learning rate: History}."""
    fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=size)
    styles = ["-", "--", ":", "-."]
    for (rate, history), style in zip(sorted(histories.items()), styles * 3):
        epochs = np.arange(1, history.epochs + 1)
        loss_ax.plot(epochs, history.train_loss, style, label=f"learning rate {rate:g}")
        accuracy_ax.plot(epochs, 100 * np.array(history.test_accuracy), style, label=f"learning rate {rate:g}")
    loss_ax.set(xlabel="epoch", ylabel="training loss", yscale="log", title="training loss")
    accuracy_ax.set(xlabel="epoch", ylabel="held-out accuracy (%)", title="held-out accuracy")
    for ax in (loss_ax, accuracy_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
