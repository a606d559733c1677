"""Time to train the question-1 network on one digit pair (target: <= 2 s per pair).

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


def main():
    print(f"{'pair':>7} {'kernels':>7} {'train imgs':>10} {'seconds':>8} {'held-out acc':>12}  within {BUDGET_SECONDS} s")
    for pair, num_kernels in CONFIGS:
        seconds, history = time_config(pair, num_kernels)
        images = len(train_test_split_pair(*pair).y_train)
        print(f"{pair[0]} vs {pair[1]:<2} {num_kernels:>7} {images:>10} {seconds:>8.2f} "
              f"{100 * history.test_accuracy[-1]:>11.1f}%  {'yes' if seconds <= BUDGET_SECONDS else 'NO'}")


if __name__ == "__main__":
    main()
