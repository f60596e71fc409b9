"""What the benchmarks share: one measurement in a fresh interpreter, and the CPU's name."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(script: str, spec: dict, label: str) -> dict | None:
    """Run `script --child SPEC` in a fresh interpreter and return the JSON object it prints
    last; None (after printing why, under `label`) if it failed."""
    return run_child_in(sys.executable, script, spec, label)


def cpu_model() -> str:
    """The CPU's model name (Linux), else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def run_child_in(python: str, script: str, spec: dict, label: str) -> dict | None:
    """`run_child` in another interpreter (`python`, e.g. a private venv's): the same JSON
    protocol, the same environment (so PYTHONPATH still points at this checkout)."""
    proc = subprocess.run([python, str(Path(script).resolve()), "--child", json.dumps(spec)],
                          capture_output=True, text=True, cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        print(f"  ! {label} failed (exit {proc.returncode}):\n"
              f"{proc.stderr.strip()[-2000:]}", flush=True)
        return None
    return json.loads(lines[-1])


def load_average() -> str:
    """The machine's 1-, 5- and 15-minute load averages, as text ("n/a" where unknown)."""
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"
