"""Notebook 01's explorer for benchmarks/bench_widgets.py (the notebook's starting state)."""
from cnnlib.widgets.maxpool_routing import maxpool_routing_explorer

EXPLORERS = [
    {"name": "01 max-pool routing",
     "make": lambda: maxpool_routing_explorer(digit_index=0, seed=156, window_row=1, window_col=1,
                                              nudge=0.05),
     "controls": {"window_row": [2, 3, 1], "window_col": [2, 3, 1], "digit_index": [5, 42, 0],
                  "seed": [3, 11, 156], "nudge": [0.1, -0.2, 0.05]}},
]
