"""Notebook 03's explorer for benchmarks/bench_widgets.py: every control, through its range."""
from cnnlib.widgets.full_convolution import FullConvolutionExplorer

EXPLORERS = [
    {"name": "03 full convolution",
     "make": lambda: FullConvolutionExplorer(kernel_size=3, stride=2, padding=1, m=3, n=4),
     "controls": {"row": [1, 2, 5, 6, 3], "col": [1, 6, 2, 4], "kernel_size": [2, 4, 1, 3],
                  "stride": [1, 3, 2], "padding": [0, 2, 1]}},
]
