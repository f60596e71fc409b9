"""Ctrl-C during a long run keeps the finished chunks and says the summary is partial."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its children (Linux /proc)."""
    total = 0.0
    pids = [pid]
    try:
        children = open(f"/proc/{pid}/task/{pid}/children").read().split()
        pids += [int(c) for c in children]
        for p in pids:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / 100  # utime, stime in ticks
    except (OSError, ValueError):
        pass
    return total


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_gives_a_partial_summary(tmp_path, jobs):
    out = tmp_path / "res"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "run",
         str(ROOT / "scenarios" / "belarus-poland-2024-tension.yaml"), "--runs", "3000000",
         "--json", "--jobs", str(jobs), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    # Interrupt once imports are long done and some chunks have finished (CPU time, not wall
    # time: these machines are shared and sometimes slow).
    while cpu_seconds(proc.pid) < 8 and time.time() < deadline - 60:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=max(1, deadline - time.time()))
    assert "Traceback" not in stderr
    assert proc.returncode == 1, stderr
    summary = json.loads(stdout)
    assert summary["partial"] is True
    assert 0 < summary["runs"] < 3_000_000 and summary["runs"] % 10_000 == 0
    assert summary["provenance"]["runs"] == summary["runs"]
    assert "partial" in stderr
    assert json.loads((out / "summary.json").read_text())["partial"] is True
    assert not list(out.glob(".*.tmp"))
