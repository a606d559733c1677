"""Shared pytest set-up for the cnnlib core tests.

Hypothesis runs derandomized (the same examples on every run and machine), with no
per-example deadline (a shared CI machine is slow in bursts) and a modest number of
examples per test, so the core suite stays well under a minute on two cores.
Set HYPOTHESIS_PROFILE=thorough for a longer local search.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "cnnlib",
    derandomize=True,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    parent=settings.get_profile("cnnlib"),
    max_examples=300,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "cnnlib"))


# `pytest` runs on two processes (pytest-xdist, `--dist loadgroup`, see pyproject.toml). The
# modules that start Jupyter, Voila or Chromium, and share a built site between their tests,
# run as one group on one process, in order: two browsers at once on a 2-core machine would
# only make both slower, and each module's fixture is built once.
ONE_PROCESS_MODULES = ("test_browser.py", "test_site.py", "test_slides.py", "test_rise.py")


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in ONE_PROCESS_MODULES:
            item.add_marker(pytest.mark.xdist_group("browser"))
    # The tests marked slow first (a stable sort: all else keeps its order), so that neither
    # process is left with one long test at the end while the other has nothing to do.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
