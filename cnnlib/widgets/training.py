"""Notebook 05's retraining explorer: pick two digits, the number of kernels, the
learning rate and the epochs, press Train, watch a progress bar, read the result.

`retrain` is the update logic, a plain function (tested without a browser);
`TrainingExplorer` only wires the controls to it. Curves are an `ipywidgets.Image`,
the result an `ipywidgets.HTML`: nothing is printed from the callback.
"""
import io
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..figures.training import training_curves_figure
from ..training import History, train_best_of, train_test_split_pair


LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)   # the explorer's choices (Adam)
CURVES_SIZE = (6.4, 2.4)   # inches; at the notebook's 90 dpi the picture is 576 x 216 CSS pixels
PIXEL_RATIO = 2            # rendered at twice that, shown at half: crisp on HiDPI screens


def crisp_png(fig, ratio=PIXEL_RATIO):
    """(PNG bytes rendered at `ratio` times the figure's dpi, CSS width, CSS height) and close
    the figure. Show it with width = the CSS width: natural size, never stretched, and sharp on a
    screen with that device-pixel ratio. No bbox_inches="tight" (it draws the figure twice)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi * ratio)
    width, height = (round(float(v)) for v in fig.get_size_inches() * fig.dpi)
    plt.close(fig)
    return buffer.getvalue(), width, height


@dataclass
class RetrainResult:
    """What the explorer shows after one press of Train.

    first, second: the digits (labels 0 and 1); num_kernels, learning_rate, epochs, restarts;
    history: the chosen run (see `train_best_of`); train_size, test_size: images per set;
    train_accuracy, test_accuracy: after the last epoch, in [0, 1].
    """
    first: int
    second: int
    num_kernels: int
    learning_rate: float
    epochs: int
    restarts: int
    history: History
    train_size: int
    test_size: int
    train_accuracy: float
    test_accuracy: float


def retrain(first=0, second=1, num_kernels=1, learning_rate=0.03, epochs=30, restarts=3, seed=0,
            on_epoch=None, split_seed=None):
    """Split the two digits (seeded, stratified), train the question-1 model with
    `num_kernels` kernels from `restarts` initialisations (seeds seed, seed+1, ...), keep the
    lowest training loss. The split's seed is `split_seed`, or `seed` if it is None.

    on_epoch(done, total): progress callback, as in `train_best_of`. Returns a RetrainResult.
    """
    split = train_test_split_pair(first, second, seed=seed if split_seed is None else split_seed)
    history = train_best_of(split, num_kernels=num_kernels, restarts=restarts, seed=seed, epochs=epochs,
                            learning_rate=learning_rate, on_epoch=on_epoch)
    return RetrainResult(
        first=first, second=second, num_kernels=num_kernels, learning_rate=float(learning_rate),
        epochs=epochs, restarts=restarts, history=history, train_size=len(split.y_train),
        test_size=len(split.y_test), train_accuracy=history.train_accuracy[-1],
        test_accuracy=history.test_accuracy[-1],
    )


def percent(fraction):
    """An accuracy in [0, 1] as the text the explorer shows, e.g. 0.98888 -> '98.9 %'."""
    return f"{round(100 * float(fraction), 1) + 0.0:.1f} %"


def result_html(result):
    """The explorer's text for a RetrainResult: the set-up, both accuracies, the chosen seed."""
    kernels = "1 kernel" if result.num_kernels == 1 else f"{result.num_kernels} kernels"
    return (
        f"<b>{result.first} vs {result.second}</b>, {kernels}, learning rate {result.learning_rate:g}, "
        f"{result.epochs} epochs (best of {result.restarts} starts by training loss: seed {result.history.seed})<br>"
        f"training accuracy <b>{percent(result.train_accuracy)}</b> on {result.train_size} images, "
        f"held-out accuracy <b>{percent(result.test_accuracy)}</b> on {result.test_size} images"
    )


class TrainingExplorer(widgets.VBox):
    """Controls: first_digit, second_digit, num_kernels, learning_rate, epochs, train_button.
    Outputs: progress (IntProgress), curves (Image), summary (HTML).
    `state` holds the latest RetrainResult (None before the first training or after an error).
    """

    def __init__(self, first=0, second=1, num_kernels=1, learning_rate=0.03, epochs=30, restarts=3,
                 seed=0, train_now=True):
        self.restarts, self.seed, self.state = restarts, seed, None
        digits = list(range(10))
        labelled = {"style": {"description_width": "initial"}}   # show whole descriptions
        self.first_digit = widgets.Dropdown(options=digits, value=first, description="digit with y = 0",
                                            layout=widgets.Layout(width="190px"), **labelled)
        self.second_digit = widgets.Dropdown(options=digits, value=second, description="digit with y = 1",
                                             layout=widgets.Layout(width="190px"), **labelled)
        self.num_kernels = widgets.Dropdown(options=[1, 2, 4, 8], value=num_kernels, description="kernels",
                                            layout=widgets.Layout(width="190px"), **labelled)
        # A list of exact rates, not a FloatLogSlider: the browser snaps a log slider's value to its
        # grid (0.03 would become 0.0316), so the page would train with another rate than it shows.
        rates = sorted(set(LEARNING_RATES) | {float(learning_rate)})
        self.learning_rate = widgets.Dropdown(options=[(f"{rate:g}", rate) for rate in rates],
                                              value=float(learning_rate), description="learning rate",
                                              layout=widgets.Layout(width="190px"), **labelled)
        self.epochs = widgets.IntSlider(value=epochs, min=1, max=60, step=1, description="epochs", **labelled)
        self.train_button = widgets.Button(description="Train", button_style="primary")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress")
        width, height = (round(v * 90) for v in CURVES_SIZE)
        # Natural size (no stretching). No `tooltip` for alt text: the static site's widget manager
        # cannot draw an Image that has one; the notebook describes the picture in words instead.
        self.curves = widgets.Image(format="png", width=str(width), height=str(height),
                                    layout=widgets.Layout(max_width="100%", height="auto"))
        self.summary = widgets.HTML()
        for name in ("first_digit", "second_digit", "num_kernels", "learning_rate", "epochs",
                     "train_button", "progress", "curves", "summary"):
            getattr(self, name).add_class(f"cnnlib-training-{name.replace('_', '-')}")
        self.train_button.on_click(self._on_train)
        controls = widgets.HBox([widgets.VBox([self.first_digit, self.second_digit, self.num_kernels]),
                                 widgets.VBox([self.learning_rate, self.epochs,
                                               widgets.HBox([self.train_button, self.progress])])])
        super().__init__([controls, self.summary, self.curves])
        self.add_class("cnnlib-training")
        if train_now:
            self.train()
        else:
            self.summary.value = "Press <b>Train</b>."

    def _show_progress(self, done, total):
        self.progress.max = total
        self.progress.value = done

    def _on_train(self, _button):
        self.train()

    def train(self):
        """Retrain with the current control values and show the result (what Train does)."""
        first, second = self.first_digit.value, self.second_digit.value
        if first == second:
            self.state = None
            self.summary.value = f"Pick two different digits (both are {first})."
            return
        self.train_button.disabled = True
        self.progress.value = 0
        self.summary.value = f"Training {first} vs {second} ..."
        try:
            self.state = retrain(first, second, self.num_kernels.value, self.learning_rate.value,
                                 self.epochs.value, restarts=self.restarts, seed=self.seed,
                                 on_epoch=self._show_progress)
        finally:
            self.train_button.disabled = False
        self.show(self.state)

    def show(self, result):
        """Draw a RetrainResult: the curves at natural size and the summary text."""
        title = f"{result.first} vs {result.second}, {result.num_kernels} kernel(s)"
        png, width, height = crisp_png(training_curves_figure(result.history, title=title, size=CURVES_SIZE))
        self.curves.width, self.curves.height = str(width), str(height)
        self.curves.value = png
        self.summary.value = result_html(result)


def training_explorer(**options):
    """Build a TrainingExplorer (options: first, second, num_kernels, learning_rate, epochs,
    restarts, seed, train_now). Trains once at once, unless train_now=False."""
    return TrainingExplorer(**options)
