"""Root pytest configuration.

The nbval sanitize file is given as an absolute path here, because a relative
--nbval-sanitize-with breaks when pytest is started from a subfolder.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SANITIZE_FILE = ROOT / "notebooks" / "nbval_sanitize.cfg"


def pytest_configure(config):
    if getattr(config.option, "nbval", False) and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE_FILE)
