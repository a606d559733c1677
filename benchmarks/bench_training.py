"""Time to train the question-1 network on one digit pair (target: <= 2 s per pair), and
the notebook-05 explorer's Train action (target: <= 5 s, with the progress bar moving).

Run: /work/venv/bin/python benchmarks/bench_training.py
Each configuration is the notebook's / widget's default training: a seeded stratified
split, 30 epochs of Adam on mini-batches of 32, best of 3 initialisations by training loss
(so 3 full trainings). Prints the best of a few repeats (the machine is shared), per pair.
"""
import time

from cnnlib.training import train_best_of, train_test_split_pair

CONFIGS = [((0, 1), 1), ((3, 8), 1), ((3, 8), 4), ((3, 8), 8)]
REPEATS = 3
BUDGET_SECONDS = 2.0


def time_config(pair, num_kernels, repeats=REPEATS):
    split = train_test_split_pair(*pair, seed=0)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        history = train_best_of(split, num_kernels=num_kernels, restarts=3, seed=0, epochs=30,
                                learning_rate=0.03)
        times.append(time.perf_counter() - start)
    return min(times), history


TRAIN_BUTTON_CONFIGS = [dict(first=0, second=1, num_kernels=1, epochs=30),   # the defaults
                        dict(first=8, second=9, num_kernels=4, epochs=30),   # the notebook's state
                        dict(first=8, second=9, num_kernels=8, epochs=60)]   # the slowest choices
TRAIN_BUTTON_SECONDS = 5.0


def time_train_button(config, repeats=REPEATS):
    """Seconds from the click to the finished picture and text, and the progress updates seen."""
    from cnnlib.widgets.training import training_explorer

    explorer = training_explorer(train_now=False)
    explorer.first_digit.value, explorer.second_digit.value = config["first"], config["second"]
    explorer.num_kernels.value, explorer.epochs.value = config["num_kernels"], config["epochs"]
    updates = []
    explorer.progress.observe(lambda change: updates.append(change["new"]), names="value")
    times = []
    for _ in range(repeats):
        updates.clear()
        start = time.perf_counter()
        explorer.train_button.click()
        times.append(time.perf_counter() - start)
    return min(times), len(updates)


def main():
    print(f"{'pair':>7} {'kernels':>7} {'train imgs':>10} {'seconds':>8} {'held-out acc':>12}  within {BUDGET_SECONDS} s")
    for pair, num_kernels in CONFIGS:
        seconds, history = time_config(pair, num_kernels)
        images = len(train_test_split_pair(*pair).y_train)
        print(f"{pair[0]} vs {pair[1]:<2} {num_kernels:>7} {images:>10} {seconds:>8.2f} "
              f"{100 * history.test_accuracy[-1]:>11.1f}%  {'yes' if seconds <= BUDGET_SECONDS else 'NO'}")
    import matplotlib
    matplotlib.use("Agg")
    print(f"\nexplorer Train button (best of {REPEATS}), within {TRAIN_BUTTON_SECONDS} s")
    for config in TRAIN_BUTTON_CONFIGS:
        seconds, updates = time_train_button(config)
        print(f"{config['first']} vs {config['second']}, {config['num_kernels']} kernel(s), {config['epochs']} epochs: "
              f"{seconds:.2f} s, {updates} progress updates  {'yes' if seconds <= TRAIN_BUTTON_SECONDS else 'NO'}")


if __name__ == "__main__":
    main()
