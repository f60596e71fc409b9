"""What `ladder explain` costs, part by part, on the seed scenario.

    python benchmarks/bench_explain.py                 # 5,000 runs, 3 repeats
    python benchmarks/bench_explain.py --runs 2000 --repeats 1 --fork-runs 100

The ensemble is simulated once (timed apart); then each part of the explanation is timed
alone on it, `--repeats` times, and printed as the median, min and max in seconds, with the
off-ramps' forks per second (runs forked, stepped to the horizon) and the peak RSS of the
process. The load average is printed before and after. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

from _child import ROOT, cpu_model

sys.path.insert(0, str(ROOT))

SCENARIO = ROOT / "scenarios" / "belarus-poland-2024.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fork-runs", type=int, default=400)
    parser.add_argument("--positions", type=int, default=3)
    args = parser.parse_args()

    import sim
    from sim.analyses.explain import PARTS, explain, forks, simulate

    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    inputs = simulate(sim.load_scenario(SCENARIO), args.runs, 7)
    print(f"ensemble: {args.runs:,} runs in {time.perf_counter() - started:.1f} s")
    n_forks = forks(inputs, None, args.positions)
    for part in PARTS:
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            explain(inputs, parts=(part,), fork_runs=args.fork_runs, positions=args.positions)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        extra = ""
        if part == "offramps":
            extra = (f"  ({n_forks} forks of {args.fork_runs} runs: "
                     f"{n_forks * args.fork_runs / med:,.0f} forked runs/s)")
        print(f"{part:<14} median {med:7.2f} s  [min {min(times):.2f}, max {max(times):.2f}]"
              f"{extra}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB; load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
