"""Session set-up: when tests/test_typing.py is collected in a single-process session,
mypy starts in the background as soon as collection ends, beside the other tests, and
test_mypy_is_clean waits for it. Its output goes to files, never a pipe that could fill up.
Under pytest-xdist (pyproject's addopts: two worker processes, one per core) every worker
collects every test, so none starts it: the test runs mypy itself, beside the other
worker's tests."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKGROUND: dict = {}  # "mypy" -> (process, output file)


def pytest_collection_finish(session) -> None:
    if importlib.util.find_spec("mypy") is None or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if not any(Path(str(item.fspath)).name == "test_typing.py" for item in session.items):
        return
    out = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "mypy"], cwd=ROOT, stdout=out,
                            stderr=subprocess.STDOUT, text=True)
    BACKGROUND["mypy"] = (proc, out)


def pytest_sessionfinish(session, exitstatus) -> None:
    started = BACKGROUND.pop("mypy", None)
    if started is not None and started[0].poll() is None:
        started[0].kill()
