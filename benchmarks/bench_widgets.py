"""Milliseconds per control change for every explorer of the series (kernel side).

Target: the median of each control <= 100 ms on the 2-core machine. A benchmark, not a
timed test: it prints figures and ratios and always exits 0.

Each notebook topic describes its explorer in benchmarks/widget_cases/<topic>.py:

    EXPLORERS = [
        {"name": "01 max-pool routing",
         "make": lambda: maxpool_routing_explorer(...),      # a fresh explorer
         "controls": {"window_row": [1, 2, 3, 2], ...}},      # attribute -> values to set in turn
    ]

Setting `explorer.<attribute>.value` runs the explorer's callback synchronously, so the
time around that assignment is the whole kernel-side update (compute, text and picture).

    python benchmarks/bench_widgets.py [--repeats 5]
"""
import argparse
import importlib.util
import statistics
import time
from pathlib import Path

TARGET_MS = 100.0
CASES_DIR = Path(__file__).resolve().parent / "widget_cases"


def load_explorers():
    explorers = []
    for path in sorted(CASES_DIR.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"widget_cases.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        explorers.extend(getattr(module, "EXPLORERS", []))
    return explorers


def time_control(explorer, attribute, values, repeats):
    control = getattr(explorer, attribute)
    timings = []
    for _ in range(repeats):
        for value in values:
            start = time.perf_counter()
            control.value = value
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    rows = []
    for entry in load_explorers():
        explorer = entry["make"]()
        for attribute, values in entry["controls"].items():
            timings = time_control(explorer, attribute, values, args.repeats)
            rows.append((entry["name"], attribute, statistics.median(timings), max(timings)))
    print(f"{'explorer':34} {'control':16} {'median ms':>10} {'max ms':>8} {'target':>8}  verdict")
    for name, attribute, median, worst in rows:
        verdict = "met" if median <= TARGET_MS else "MISSED"
        print(f"{name:34} {attribute:16} {median:10.1f} {worst:8.1f} {TARGET_MS:8.0f}  {verdict}")
    if not rows:
        print("no explorers described in", CASES_DIR)


if __name__ == "__main__":
    main()
