"""Shared pytest set-up for the cnnlib core tests.

Hypothesis runs derandomized (the same examples on every run and machine), with no
per-example deadline (a shared CI machine is slow in bursts) and a modest number of
examples per test, so the core suite stays well under a minute on two cores.
Set HYPOTHESIS_PROFILE=thorough for a longer local search.
"""
import os

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
