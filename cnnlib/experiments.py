"""Notebook 05's controlled experiment: does training the conv kernel matter?

Three models on the same seeded, stratified train/test splits of two digit classes:

- "trained": the question-1 network, every parameter learns (conv kernel and dense layer);
- "frozen":  the same network from the same initialisations, but the conv kernel and bias stay
  at their random start, so only the dense layer (9F + 1 numbers) learns: the control that
  says what the conv gradients add;
- "logistic": scikit-learn's logistic regression on the 64 raw pixels (no convolution at all).

Both networks train exactly like `cnnlib.training.train_best_of`: Adam, learning rate 0.03,
30 epochs, mini-batches of 32, best of 3 initialisations by final TRAINING loss. Split k uses
`train_test_split_pair(first, second, seed=k)` and initialisations 3k, 3k+1, 3k+2.

    run_split(3, 8, split_seed=0)           # {"trained": Outcome, "frozen": ..., "logistic": ...}
    summary = summarize(cached_results())    # mean and spread per pair and model

Training every pair takes minutes, so the results are cached in `cnnlib/experiment_results.py`
(a plain Python module, so it ships with the package). Rebuild it with
`python -m cnnlib.experiments --write`; `python -m cnnlib.experiments --check` recomputes
everything and compares; tests/test_experiments.py recomputes a sample.
"""
import argparse
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from .model import Sequential, question1_model
from .training import train, train_test_split_pair

HEADLINE_PAIRS = ((0, 1), (3, 8), (8, 9))
ALL_PAIRS = tuple(combinations(range(10), 2))
SPLITS = 5                 # train/test splits per pair (split seeds 0..4)
RESTARTS = 3               # initialisations per training, best by training loss
SETTINGS = {"epochs": 30, "learning_rate": 0.03, "batch_size": 32, "optimizer": "adam"}
FROZEN_PREFIX = "conv."    # the parameters a frozen model does not update
CACHE_PATH = Path(__file__).with_name("experiment_results.py")
DEAD_KERNEL_SEEDS = 40     # the dead-kernel scan: initialisations 0..39 on 0 vs 1, split 0


class FrozenConvModel(Sequential):
    """A Sequential whose conv parameters are left out of `parameters()` and `gradients()`.

    `train` updates exactly what `parameters()` lists, so the conv kernel and bias keep their
    initial values while the dense layer learns. The forward and backward passes are unchanged.
    """

    def parameters(self):
        return {name: value for name, value in super().parameters().items()
                if not name.startswith(FROZEN_PREFIX)}

    def gradients(self):
        return {name: value for name, value in super().gradients().items()
                if not name.startswith(FROZEN_PREFIX)}


def frozen_conv(model):
    """A copy of `model` (a Sequential) that trains only its non-conv layers."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a cnnlib.model.Sequential, got {type(model).__name__}")
    if not any(name.startswith(FROZEN_PREFIX) for name in Sequential.parameters(model)):
        raise ValueError(f"model has no parameters named {FROZEN_PREFIX}*: nothing to freeze")
    copy = model.copy()
    return FrozenConvModel(copy.layers, copy.layer_names, copy.input_shape)


@dataclass(frozen=True)
class Outcome:
    """One model on one split: held-out images classified right, of how many; the winning seed
    (None for logistic regression); accuracy = correct / total."""
    correct: int
    total: int
    seed: object = None

    @property
    def accuracy(self):
        return self.correct / self.total


def best_network(split, num_kernels=1, freeze=False, seeds=(0, 1, 2)):
    """Train the question-1 network from each seed (frozen conv if `freeze`) with SETTINGS;
    return the History with the lowest final training loss (ties: the first seed)."""
    best = None
    for seed in seeds:
        model = question1_model(num_kernels, seed=seed)
        history = train(frozen_conv(model) if freeze else model, split, seed=seed, **SETTINGS)
        if best is None or history.train_loss[-1] < best.train_loss[-1]:
            best = history
    return best


def logistic_regression(split):
    """scikit-learn's LogisticRegression (default L2, C = 1) on the 64 raw pixels of each image:
    fitted on the training images, scored on the held-out ones. Returns the fitted classifier."""
    from sklearn.linear_model import LogisticRegression

    flat = split.x_train.reshape(len(split.x_train), -1)
    return LogisticRegression(max_iter=2000).fit(flat, split.y_train)


def _correct(predictions, labels):
    return int(np.sum(np.asarray(predictions) == np.asarray(labels)))


def run_split(first, second, split_seed, kernel_counts=(1,)):
    """Every model on split `split_seed` of `first` vs `second`.

    Returns {"trained": Outcome, "frozen": Outcome, "logistic": Outcome} for one kernel;
    for each other count F in kernel_counts also "trained F" and "frozen F".
    """
    split = train_test_split_pair(first, second, seed=split_seed)
    seeds = tuple(RESTARTS * split_seed + k for k in range(RESTARTS))
    total = len(split.y_test)
    outcomes = {}
    for num_kernels in kernel_counts:
        suffix = "" if num_kernels == 1 else f" {num_kernels}"
        for name, freeze in (("trained", False), ("frozen", True)):
            history = best_network(split, num_kernels, freeze, seeds)
            correct = _correct(history.model.predict(split.x_test), split.y_test)
            outcomes[name + suffix] = Outcome(correct, total, history.seed)
    classifier = logistic_regression(split)
    outcomes["logistic"] = Outcome(_correct(classifier.predict(split.x_test.reshape(total, -1)), split.y_test), total)
    return outcomes


def run_pair(first, second, splits=SPLITS, kernel_counts=(1,)):
    """{model name: [Outcome per split]} for split seeds 0 .. splits-1."""
    per_split = [run_split(first, second, k, kernel_counts) for k in range(splits)]
    return {name: [outcomes[name] for outcomes in per_split] for name in per_split[0]}


def dead_kernel_scan(seeds=range(DEAD_KERNEL_SEEDS), first=0, second=1, threshold=0.6):
    """The one-kernel network trained alone (no restarts) from each initialisation in `seeds` on
    split 0 of first vs second: the seeds whose final training loss stays above `threshold`
    (log 2 = 0.693 is chance), i.e. the runs whose kernel died."""
    split = train_test_split_pair(first, second, seed=0)
    return [seed for seed in seeds
            if train(question1_model(1, seed=seed), split, seed=seed, **SETTINGS).train_loss[-1] > threshold]


@dataclass(frozen=True)
class Summary:
    """Held-out accuracies of one model on one pair over the splits, in [0, 1]."""
    accuracies: tuple

    @property
    def mean(self):
        return float(np.mean(self.accuracies))

    @property
    def spread(self):
        """Sample standard deviation over the splits (ddof = 1)."""
        return float(np.std(self.accuracies, ddof=1))

    @property
    def low(self):
        return float(min(self.accuracies))

    @property
    def high(self):
        return float(max(self.accuracies))


def summarize(results):
    """{pair: {model: Summary}} from {pair: {model: [Outcome per split]}}."""
    return {pair: {name: Summary(tuple(o.accuracy for o in outcomes)) for name, outcomes in models.items()}
            for pair, models in results.items()}


def paired_wins(results, pair, better="trained", worse="frozen"):
    """On how many splits of `pair` model `better` classified more held-out images right than `worse`
    (and on how many fewer): (wins, losses)."""
    a, b = results[pair][better], results[pair][worse]
    return sum(x.correct > y.correct for x, y in zip(a, b)), sum(x.correct < y.correct for x, y in zip(a, b))


def percent_text(summary):
    """'99.3 ± 0.8 %' (mean ± spread over the splits, in percent)."""
    return f"{round(100 * summary.mean, 1) + 0.0:.1f} ± {round(100 * summary.spread, 1) + 0.0:.1f} %"


def results_table(results, models=("trained", "frozen", "logistic"), pairs=None):
    """A markdown table: one row per pair, one column per model, 'mean ± spread %' and the range."""
    summary = summarize(results)
    pairs = list(results) if pairs is None else list(pairs)
    header = "| pair | " + " | ".join(models) + " | splits |"
    lines = [header, "|" + "---|" * (len(models) + 2)]
    for pair in pairs:
        cells = [f"{percent_text(summary[pair][m])} ({100 * summary[pair][m].low:.1f}–{100 * summary[pair][m].high:.1f})"
                 for m in models]
        lines.append(f"| {pair[0]} vs {pair[1]} | " + " | ".join(cells) + f" | {len(summary[pair][models[0]].accuracies)} |")
    return "\n".join(lines)


# ------------------------------------------------------------------ the cache

def _pair_job(job):
    pair, kernel_counts = job
    return run_pair(*pair, kernel_counts=kernel_counts)


def compute_all(processes=1):
    """Everything the cache holds: the headline pairs with 1 and 4 kernels, all 45 pairs with one
    kernel, and the dead-kernel scan. Takes several minutes (`processes` > 1 runs pairs in parallel;
    every run is seeded, so the result does not depend on it)."""
    jobs = [(pair, (1, 4) if pair in HEADLINE_PAIRS else (1,)) for pair in ALL_PAIRS]
    if processes > 1:
        from multiprocessing import Pool

        with Pool(processes) as pool:
            per_pair = pool.map(_pair_job, jobs, chunksize=1)
    else:
        per_pair = [_pair_job(job) for job in jobs]
    everything = dict(zip(ALL_PAIRS, per_pair))
    headline = {pair: everything[pair] for pair in HEADLINE_PAIRS}
    all_pairs = {pair: {name: everything[pair][name] for name in ("trained", "frozen", "logistic")}
                 for pair in ALL_PAIRS}
    return {"headline": headline, "all_pairs": all_pairs, "dead_kernel_seeds": dead_kernel_scan()}


def _encode(results):
    return {f"{a}-{b}": {name: [(o.correct, o.total, o.seed) for o in outcomes] for name, outcomes in models.items()}
            for (a, b), models in results.items()}


def decode(raw):
    """{(a, b): {model: [Outcome]}} from the cache's plain {"a-b": {model: [(correct, total, seed)]}}."""
    return {tuple(int(d) for d in key.split("-")): {name: [Outcome(*t) for t in outcomes]
                                                    for name, outcomes in models.items()}
            for key, models in raw.items()}


def write_cache(data, path=CACHE_PATH):
    """Write `compute_all()`'s result as a Python module of literals."""
    lines = ['"""Cached results of cnnlib.experiments (generated: python -m cnnlib.experiments --write;',
             'do not edit). Each entry: (held-out images right, held-out images, winning seed)."""',
             f"SPLITS = {SPLITS}", f"RESTARTS = {RESTARTS}", f"SETTINGS = {SETTINGS!r}",
             f"DEAD_KERNEL_SEEDS = {data['dead_kernel_seeds']!r}  # of 0..{DEAD_KERNEL_SEEDS - 1}"]
    for name in ("headline", "all_pairs"):
        lines.append(f"{name.upper()} = {{")
        for key, models in _encode(data[name]).items():
            lines.append(f"    {key!r}: {{")
            for model, outcomes in models.items():
                lines.append(f"        {model!r}: {outcomes!r},")
            lines.append("    },")
        lines.append("}")
    path.write_text("\n".join(lines) + "\n")


def cached_results(part="headline"):
    """The cached {(a, b): {model: [Outcome per split]}}: part "headline" (0 vs 1, 3 vs 8, 8 vs 9
    with 1 and 4 kernels) or "all_pairs" (all 45 pairs, one kernel)."""
    from . import experiment_results as cache

    if part not in ("headline", "all_pairs"):
        raise ValueError(f"part must be 'headline' or 'all_pairs', got {part!r}")
    if cache.SPLITS != SPLITS or cache.RESTARTS != RESTARTS or cache.SETTINGS != SETTINGS:
        raise ValueError("cnnlib/experiment_results.py was made with other settings: "
                         "rebuild it with python -m cnnlib.experiments --write")
    return decode(cache.HEADLINE if part == "headline" else cache.ALL_PAIRS)


def cached_dead_kernel_seeds():
    """The cached result of `dead_kernel_scan()`."""
    from . import experiment_results as cache

    return list(cache.DEAD_KERNEL_SEEDS)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Rebuild or verify cnnlib/experiment_results.py.")
    parser.add_argument("--write", action="store_true", help="recompute everything and write the cache")
    parser.add_argument("--check", action="store_true", help="recompute everything and compare with the cache")
    parser.add_argument("--processes", type=int, default=1, help="pairs trained in parallel")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        parser.error("give --write or --check")
    data = compute_all(args.processes)
    if args.write:
        write_cache(data)
        print("wrote", CACHE_PATH)
    if args.check:
        same = (data["headline"] == cached_results("headline") and data["all_pairs"] == cached_results("all_pairs")
                and data["dead_kernel_seeds"] == cached_dead_kernel_seeds())
        print("cache equals the recomputation" if same else "cache DIFFERS from the recomputation")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
