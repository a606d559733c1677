"""Notebook 02's explorer for benchmarks/bench_widgets.py: every control, through its range."""
import numpy as np

from cnnlib.widgets.weight_gradient import WeightGradientExplorer

# The notebook's numbers (section 1 of 02_conv_weight_gradient.ipynb).
INPUTS = np.array([[2, 3, 2], [1, 1, -2], [1, 3, 1]], dtype=float)
W1 = np.array([[-1, 2], [-1, 2]], dtype=float)
W2 = np.array([[3, 1], [-3, -2]], dtype=float)

EXPLORERS = [
    {"name": "02 weight gradient",
     "make": lambda: WeightGradientExplorer(INPUTS, W1, W2, 3.0, weight_number=1),
     "controls": {"weight": [2, 3, 4, 1], "seed": [1, 17, 50, 0], "target": [-20.0, 5.5, 20.0, 3.0]}},
]
