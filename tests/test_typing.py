"""mypy over the package (issue 18: `sim` ships `py.typed`, so its annotations must hold).

The configuration is pyproject's `[tool.mypy]`: the `sim` package, with missing imports
ignored only for the third-party libraries that ship no types (mesa, solara, SALib, ...).
mypy is started in the background when the session's collection ends (tests/conftest.py),
so it runs beside the other tests; run alone, this test starts it itself.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKGROUND

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean():
    pytest.importorskip("mypy")
    started = BACKGROUND.pop("mypy", None)
    if started is None:
        done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                              text=True, timeout=600)
        code, output = done.returncode, done.stdout + done.stderr
    else:
        proc, out = started
        code = proc.wait(timeout=600)
        out.seek(0)
        output = out.read()
    assert code == 0, f"mypy found errors:\n{output}"
