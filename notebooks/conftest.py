"""pytest set-up for the notebooks: PyTorch is optional.

Notebook 06 ("The same rules in PyTorch") needs torch; nothing else in the series does.
- Without torch, its nbval cells are skipped with one reason (`pytest -rs` prints it on one line).
- With CNNLIB_REQUIRE_TORCH=1 (what CI sets) and no torch, they fail instead, so a CI run
  cannot pass by silently skipping the notebook.
torch is imported only when one of those cells is about to run, so collecting or running
the other notebooks never pays for it, and no kernel is started for a skipped notebook.

`pytest` runs on two processes (pytest-xdist, `--dist loadgroup`): every cell of a notebook is
put in that notebook's group, so one process runs them all, in order, in one kernel.
"""
import os

import pytest

TORCH_NOTEBOOKS = ("06_the_same_rules_in_pytorch.ipynb",)
SKIP_REASON = "notebook 06 needs PyTorch: pip install torch (CNNLIB_REQUIRE_TORCH=1 makes this a failure)"
_torch_available = None


def torch_available():
    """True if `import torch` works in this environment (checked once)."""
    global _torch_available
    if _torch_available is None:
        try:
            import torch  # noqa: F401
        except ImportError:
            _torch_available = False
        else:
            _torch_available = True
    return _torch_available


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.path.name not in TORCH_NOTEBOOKS or torch_available():
        return
    if os.environ.get("CNNLIB_REQUIRE_TORCH") == "1":
        pytest.fail(f"CNNLIB_REQUIRE_TORCH=1 but torch is not installed: {item.path.name} needs it "
                    "(pip install torch)", pytrace=False)
    pytest.skip(SKIP_REASON)


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.xdist_group(f"notebook-{item.path.stem}"))
