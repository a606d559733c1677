"""Training: a seeded train/test split, mini-batches, the training loop, and restarts.

    split = train_test_split_pair(0, 1, seed=0)
    history = train(question1_model(seed=0), split, epochs=30, learning_rate=0.03, seed=0)
    history.test_accuracy[-1], history.model   # the trained model is a copy

Every random choice (initial weights, split, batch order) comes from a seeded
`np.random.default_rng`, so the same seeds give bit-for-bit the same history.
"""
from dataclasses import dataclass, field

import numpy as np

from .checks import as_float_array, require_ndim
from .data import digit_pair
from .model import SGD, Adam, _positive, check_labels, question1_model


@dataclass
class DataSplit:
    """Images (m, 1, 8, 8) and 0/1 labels (m,) for training and for held-out testing."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple = (0, 1)   # the digits labelled 0 and 1


def train_test_split_pair(first, second, test_fraction=0.25, seed=0):
    """The digits `first` (label 0) and `second` (label 1), split by scikit-learn's
    `train_test_split`, stratified (both classes keep their proportions), seeded.

    Returns a DataSplit; with 8x8 digits x_* are (m, 1, 8, 8) in [0, 1].
    """
    from sklearn.model_selection import train_test_split

    if not isinstance(test_fraction, float) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a float strictly between 0 and 1, got {test_fraction!r}")
    images, labels = digit_pair(first, second)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels)
    return DataSplit(x_train, y_train, x_test, y_test, classes=(first, second))


@dataclass
class History:
    """Per-epoch curves of one training run, and the trained model.

    Entry k of each list is measured on the whole set after epoch k+1.
    """

    train_loss: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    model: object = None
    seed: int = 0

    @property
    def epochs(self):
        return len(self.train_loss)

    def as_dict(self):
        """The four curves as {name: list of floats}."""
        return {"train_loss": self.train_loss, "test_loss": self.test_loss,
                "train_accuracy": self.train_accuracy, "test_accuracy": self.test_accuracy}


def evaluate(model, x, y):
    """(mean binary cross-entropy, accuracy) of `model` on images x (N, C, H, W), labels y (N,)."""
    loss, _, logits = model.loss(x, y)
    accuracy = float(np.mean((logits > 0) == (y == 1)))
    return loss, accuracy


def minibatches(count, batch_size, rng):
    """Index arrays covering range(count) once, in a shuffled order, `batch_size` at a time."""
    order = rng.permutation(count)
    return [order[start:start + batch_size] for start in range(0, count, batch_size)]


def _check_split(split):
    if not isinstance(split, DataSplit):
        raise ValueError(f"split must be a DataSplit (see train_test_split_pair), got {type(split).__name__}")
    for part in ("train", "test"):
        x = as_float_array(getattr(split, f"x_{part}"), f"x_{part}")
        require_ndim(x, 4, f"x_{part}", "(N, C, H, W)")
        check_labels(getattr(split, f"y_{part}"), x.shape[0])


def train(model, split, epochs=30, learning_rate=0.03, batch_size=32, optimizer="adam", seed=0,
          on_epoch=None):
    """Train a copy of `model` by mini-batch gradient descent; the argument is not changed.

    model: a `Sequential` giving logits (N,); split: a DataSplit.
    optimizer: "adam" or "sgd". seed: the batch order (use the builder's seed for the weights).
    on_epoch(epoch, history): called after each epoch (e.g. to move a progress bar).
    Returns a History: train/test loss and accuracy after every epoch, and `history.model`.
    """
    _check_split(split)
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    _positive(learning_rate, "learning_rate")
    optimizers = {"adam": Adam, "sgd": SGD}
    if optimizer not in optimizers:
        raise ValueError(f"optimizer must be one of {sorted(optimizers)}, got {optimizer!r}")
    model = model.copy()
    step = optimizers[optimizer](learning_rate)
    rng = np.random.default_rng(seed)
    history = History(model=model, seed=seed)
    for epoch in range(epochs):
        for batch in minibatches(len(split.y_train), batch_size, rng):
            _, gradients = model.loss_and_gradients(split.x_train[batch], split.y_train[batch])
            step.step(model.parameters(), gradients)
        for part in ("train", "test"):
            loss, accuracy = evaluate(model, getattr(split, f"x_{part}"), getattr(split, f"y_{part}"))
            getattr(history, f"{part}_loss").append(loss)
            getattr(history, f"{part}_accuracy").append(accuracy)
        if on_epoch is not None:
            on_epoch(epoch + 1, history)
    return history


def train_best_of(split, num_kernels=1, restarts=3, seed=0, epochs=30, learning_rate=0.03,
                  batch_size=32, optimizer="adam", on_epoch=None):
    """Train the question-1 model from `restarts` initialisations (seeds seed, seed+1, ...)
    and keep the run with the lowest final TRAINING loss.

    Why: with one kernel, an unlucky start can leave the ReLU dead on every image, and
    then no gradient ever reaches the kernel (the run stays at chance). Choosing by the
    training loss uses no held-out data, so the test accuracy stays an honest estimate.
    on_epoch(done, total) is called after every epoch of every restart.
    Returns the chosen History; `history.seed` says which initialisation won.
    """
    if not isinstance(restarts, (int, np.integer)) or isinstance(restarts, bool) or restarts < 1:
        raise ValueError(f"restarts must be a positive int, got {restarts!r}")
    total = restarts * epochs if isinstance(epochs, (int, np.integer)) else None
    best = None
    for restart in range(restarts):
        run_seed = seed + restart
        progress = None
        if on_epoch is not None:
            def progress(epoch, _history, offset=restart * epochs):
                on_epoch(offset + epoch, total)
        history = train(question1_model(num_kernels, seed=run_seed), split, epochs=epochs,
                        learning_rate=learning_rate, batch_size=batch_size, optimizer=optimizer,
                        seed=run_seed, on_epoch=progress)
        if best is None or history.train_loss[-1] < best.train_loss[-1]:
            best = history
    return best
