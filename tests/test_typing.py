"""mypy over the package (issue 18: `sim` ships `py.typed`, so its annotations must hold).

The configuration is pyproject's `[tool.mypy]`: the `sim` package, with missing imports
ignored only for the third-party libraries that ship no types (mesa, solara, SALib, ...).
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean():
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"mypy found errors:\n{done.stdout}{done.stderr}"
