"""Notebook 04's explorer (every shape of a real conv layer), for benchmarks/bench_widgets.py."""
from cnnlib.widgets.real_layers import real_layer_shapes_explorer

EXPLORERS = [
    {"name": "04 real layer shapes",
     "make": lambda: real_layer_shapes_explorer(batch=2, channels=3, filters=4, height=8, width=7,
                                                kernel=3, stride=2, padding=1),
     "controls": {"batch": [4, 8, 2], "channels": [1, 8, 3], "filters": [1, 8, 4],
                  "height": [12, 3, 8], "width": [12, 4, 7], "kernel": [1, 7, 3],
                  "stride": [1, 3, 4, 2], "padding": [0, 3, 1]}},
]
