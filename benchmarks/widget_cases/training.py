"""Notebook 05's retraining explorer for benchmarks/bench_widgets.py.

Its dropdowns and slider only choose what the next press of Train does (no callback), so a
change costs next to nothing; the Train action itself (real training, target <= 5 s) is timed
by benchmarks/bench_training.py.
"""
from cnnlib.widgets.training import training_explorer

EXPLORERS = [
    {"name": "05 retraining (choices only)",
     "make": lambda: training_explorer(train_now=False),
     "controls": {"first_digit": [3, 8, 0], "second_digit": [9, 5, 1], "num_kernels": [2, 4, 1],
                  "learning_rate": [0.1, 0.001, 0.03], "epochs": [20, 60, 30]}},
]
