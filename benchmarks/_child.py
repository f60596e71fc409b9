"""What the benchmarks share: one measurement in a fresh interpreter, and the CPU's name."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(script: str, spec: dict, label: str) -> dict | None:
    """Run `script --child SPEC` in a fresh interpreter and return the JSON object it prints
    last; None (after printing why, under `label`) if it failed."""
    proc = subprocess.run([sys.executable, str(Path(script).resolve()), "--child",
                           json.dumps(spec)], capture_output=True, text=True, cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        print(f"  ! {label} failed (exit {proc.returncode}):\n"
              f"{proc.stderr.strip()[-2000:]}", flush=True)
        return None
    return json.loads(lines[-1])


def cpu_model() -> str:
    """The CPU's model name (Linux), else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"
