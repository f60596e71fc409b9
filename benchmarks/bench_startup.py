"""Start-up time of `ladder` commands, beside a bare `python -c pass` timed in the same run.

Each command is run `--repeat` times in a fresh process (interleaved with the others, so
load on the machine hits them alike) and the median and minimum wall times are printed,
with the median minus bare Python's. It asserts nothing.

    python benchmarks/bench_startup.py
    python benchmarks/bench_startup.py --repeat 21
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from _child import ROOT, cpu_model

SCENARIO = "scenarios/belarus-poland-2024.yaml"
COMMANDS = {
    "python -c pass": None,
    "ladder --version": ["--version"],
    "ladder --help": ["--help"],
    "ladder validate ladders scenarios": ["validate", "ladders", "scenarios"],
    "ladder show ladders/belarus-2024.yaml": ["show", "ladders/belarus-2024.yaml"],
    f"ladder run {SCENARIO} --runs 1": ["run", SCENARIO, "--runs", "1"],
}


def ladder_argv() -> list[str]:
    """The installed console script beside this interpreter, else `python -m sim`."""
    script = shutil.which("ladder", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "sim"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=11, help="runs per command (default 11)")
    args = parser.parse_args()
    base = ladder_argv()
    argvs = {label: [sys.executable, "-c", "pass"] if extra is None else base + extra
             for label, extra in COMMANDS.items()}
    times: dict[str, list[float]] = {label: [] for label in argvs}
    for _ in range(args.repeat):
        for label, argv in argvs.items():
            start = time.perf_counter()
            subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
            times[label].append(time.perf_counter() - start)
    print(f"start-up, {args.repeat} runs each, on {cpu_model()} ({os.cpu_count()} cores), "
          f"Python {sys.version.split()[0]}; ladder = {' '.join(base)}")
    bare = statistics.median(times["python -c pass"])
    width = max(map(len, times))
    print(f"{'command':<{width}}  median    min  median - bare python")
    for label, ts in times.items():
        med = statistics.median(ts)
        print(f"{label:<{width}}  {med:5.3f}s  {min(ts):5.3f}s  {med - bare:+.3f}s")


if __name__ == "__main__":
    main()
