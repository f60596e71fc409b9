"""Peak memory of `ladder run` with and without `--out`, as the number of runs grows.

    python benchmarks/bench_memory.py                       # 10^3 .. 10^5 runs (minutes)
    python benchmarks/bench_memory.py --sizes 1000000       # 10^6 runs: about 4 min each
    python benchmarks/bench_memory.py --scenario scenarios/belarus-poland-2024-tension.yaml

Each measurement is one `ladder run SCENARIO --runs N --json [--out DIR]` in a fresh process;
its peak RSS is the kernel's high-water mark for that process (`ru_maxrss` of the only child
of a small wrapper process, KiB on Linux), so imports (Mesa, pandas, SciPy; pyarrow with
`--out`) are included. The folder is written under a temporary directory and removed. Flat
memory means the peak does not grow with N: `ladder run --out` streams its per-run tables
chunk by chunk (`sim.engine.stream`), and a run without `--out` keeps nothing per run.

Targets (the scale issue, on the three-ladder seed scenario): at 10^6 runs, at most
250 MiB without `--out` and 300 MiB with it. Memory, unlike time, hardly depends on the
machine's load, so one measurement per size is shown; the load average is printed anyway.
The benchmark asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS_MIB = {False: 250.0, True: 300.0}  # at 10^6 runs: without, with --out
# runs the command as its only child, then prints that child's peak RSS (KiB on Linux)
WRAPPER = ("import resource, subprocess, sys\n"
           "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
           "sys.exit(code)")


def measure(scenario: str, runs: int, out: bool) -> tuple[float, float, int]:
    """(peak RSS in MiB, seconds, bytes written) of one `ladder run` in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "sim", "run", scenario, "--runs", str(runs), "--json"]
        if out:
            cmd += ["--out", str(folder)]
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], cwd=ROOT,
                              capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
        peak = int(proc.stdout.strip().splitlines()[-1])
        written = sum(f.stat().st_size for f in folder.iterdir()) if out else 0
        return peak / 1024, seconds, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="belarus-poland-2024")
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated run counts (default 1000,10000,100000)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    print(f"scenario {args.scenario}; python {sys.version.split()[0]}; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    print(f"{'runs':>10}  {'--out':>5}  {'peak RSS':>10}  {'seconds':>8}  {'written':>10}")
    for runs in sizes:
        for out in (False, True):
            peak, seconds, written = measure(args.scenario, runs, out)
            target = ""
            if runs >= 1_000_000:
                ok = peak <= TARGETS_MIB[out]
                target = f"  target <= {TARGETS_MIB[out]:.0f} MiB: {'met' if ok else 'NOT met'}"
            size = f"{written / 1024**2:,.0f} MiB" if out else "-"
            print(f"{runs:>10,}  {'yes' if out else 'no':>5}  {peak:>6.0f} MiB  {seconds:>8.1f}"
                  f"  {size:>10}{target}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
