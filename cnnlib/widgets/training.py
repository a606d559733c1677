"""Notebook 05's retraining explorer: pick two digits, the number of kernels, the
learning rate and the epochs, press Train, watch a progress bar, read the result.

`retrain` is the update logic, a plain function (tested without a browser);
`TrainingExplorer` only wires the controls to it. Curves are an `ipywidgets.Image`,
the result an `ipywidgets.HTML`: nothing is printed from the callback.
"""
from dataclasses import dataclass

import ipywidgets as widgets

from ..figures.training import training_curves_figure
from ..plot import figure_to_png
from ..training import History, train_best_of, train_test_split_pair


LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)   # the explorer's choices (Adam)


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
            on_epoch=None):
    """Split the two digits (seeded, stratified), train the question-1 model with
    `num_kernels` kernels from `restarts` initialisations, keep the lowest training loss.

    on_epoch(done, total): progress callback, as in `train_best_of`. Returns a RetrainResult.
    """
    split = train_test_split_pair(first, second, seed=seed)
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
        self.curves = widgets.Image(format="png", layout=widgets.Layout(width="600px"))  # no upscaling
        self.summary = widgets.HTML()
        for name in ("first_digit", "second_digit", "num_kernels", "learning_rate", "epochs",
                     "train_button", "progress", "curves", "summary"):
            getattr(self, name).add_class(f"cnnlib-training-{name.replace('_', '-')}")
        self.train_button.on_click(self._on_train)
        controls = widgets.HBox([widgets.VBox([self.first_digit, self.second_digit, self.num_kernels]),
                                 widgets.VBox([self.learning_rate, self.epochs,
                                               widgets.HBox([self.train_button, self.progress])])])
        super().__init__([controls, self.summary, self.curves])
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
        try:
            self.state = retrain(first, second, self.num_kernels.value, self.learning_rate.value,
                                 self.epochs.value, restarts=self.restarts, seed=self.seed,
                                 on_epoch=self._show_progress)
        finally:
            self.train_button.disabled = False
        title = f"{first} vs {second}, {self.num_kernels.value} kernel(s)"
        self.curves.value = figure_to_png(training_curves_figure(self.state.history, title=title,
                                                                 size=(6.4, 2.4)))
        self.summary.value = result_html(self.state)


def training_explorer(**options):
    """Build a TrainingExplorer (options: first, second, num_kernels, learning_rate, epochs,
    restarts, seed, train_now). Trains once at once, unless train_now=False."""
    return TrainingExplorer(**options)
