"""PyTorch stays optional: without it notebook 06 is skipped with one reason, and with
CNNLIB_REQUIRE_TORCH=1 it fails instead. "Without torch" is simulated by a package named
torch, first on PYTHONPATH, whose import raises ImportError (as a missing torch does)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "notebooks/06_the_same_rules_in_pytorch.ipynb"


def _run_without_torch(tmp_path, require):
    blocker = tmp_path / "no_torch" / "torch"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text('raise ImportError("No module named \'torch\' (blocked by the test)")\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(blocker.parent), str(ROOT)]))
    env.pop("CNNLIB_REQUIRE_TORCH", None)
    if require:
        env["CNNLIB_REQUIRE_TORCH"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", NOTEBOOK, "-q", "-rsf", "-p", "no:cacheprovider",
                           "-n", "0"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_blocker_really_hides_torch(tmp_path):
    blocker = tmp_path / "torch"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('blocked')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    probe = subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True, text=True)
    assert probe.returncode != 0 and "ImportError: blocked" in probe.stderr


@pytest.mark.slow
def test_without_torch_notebook_06_is_skipped_with_one_reason(tmp_path):
    result = _run_without_torch(tmp_path, require=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "passed" not in output and "failed" not in output, output
    skipped = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, output       # all cells collapse into one line with one reason
    assert "notebook 06 needs PyTorch: pip install torch" in skipped[0]


@pytest.mark.slow
def test_without_torch_and_required_notebook_06_fails(tmp_path):
    result = _run_without_torch(tmp_path, require=True)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "CNNLIB_REQUIRE_TORCH=1 but torch is not installed" in output
    assert " skipped" not in output, output


def test_with_torch_the_notebook_is_not_skipped():
    pytest.importorskip("torch")
    import importlib.util
    spec = importlib.util.spec_from_file_location("notebooks_conftest", ROOT / "notebooks" / "conftest.py")
    notebooks_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(notebooks_conftest)
    assert notebooks_conftest.torch_available() is True
