"""Throughput and memory of the ensemble engine, against the per-run "idiomatic Mesa" way.

    python benchmarks/bench_engine.py                 # sizes 10^3..10^6, jobs 1 and 2
    python benchmarks/bench_engine.py --quick         # smoke test: sizes 10^3, 10^4
    python benchmarks/bench_engine.py --sizes 100000 --jobs 1,2,4 --mesa-runs 500

For each N (runs) and each jobs value, `sim.run(scenario, runs=N, seed=1, jobs=J,
keep_runs=False)` runs in a fresh Python subprocess, so each peak RSS belongs to one
measurement only. Only the `run()` call is timed (not imports or scenario loading). The child
reports its own peak RSS and that of its worker processes (joined before measuring); the
figure shown is the larger of the two. With jobs > 1 the machine holds the parent and every
worker at once, so the total can be up to parent + jobs x worker (forked pages are shared,
so their sum overstates it).

Columns: replica-steps = runs x steps each run was simulated (until absorption or the
horizon); agent decisions count population members one by one (see `sim.engine.outcomes.collect`).
Runs of 10,000 or fewer are a single chunk, so `--jobs 2` falls back to one in-process job
for them (marked "*").

The "idiomatic Mesa way" steps the same scenario as one `EscalationModel(scenario, n=1)` per
run in a Python loop (`run_to_end`, then `collect` as the engine does for each chunk).

Figures on shared or small (e.g. 2-core) machines are noisy: other load, CPU frequency
scaling and memory bandwidth change them from one run to the next; compare figures from the
same machine, and repeat a measurement before trusting a difference of a few tens of percent.
The benchmark asserts nothing: it prints figures and whether the targets of the performance
issue are met, and always exits 0 unless a measurement crashes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

from _child import ROOT, cpu_model, run_child

# Targets from the performance issue.
TARGET_DECISIONS_PER_S = 30e6  # agent decisions per second, one core
TARGET_MESA_RATIO = 100.0  # ensemble runs/s over per-run Mesa runs/s
TARGET_RSS_MB = 1000.0  # 10^6 runs under 1 GB peak RSS
TARGET_JOBS_RATIO = 1.7  # --jobs 2 over --jobs 1, largest N


# -- child side ------------------------------------------------------------------------------
def _peak_rss_kib() -> tuple[int, int]:
    """(this process, its largest waited-for child) peak RSS in KiB (Linux units)."""
    import multiprocessing

    for p in multiprocessing.active_children():  # reap pool workers so RUSAGE_CHILDREN sees them
        p.join(30)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def _child(spec: dict) -> None:
    import numpy as np

    import sim

    scenario = sim.load_scenario(spec["scenario"])
    if spec["kind"] == "ensemble":
        started = time.perf_counter()
        result = sim.run(scenario, runs=spec["n"], seed=1, jobs=spec["jobs"], keep_runs=False)
        seconds = time.perf_counter() - started
        runs, steps, decisions = result.totals.n, result.totals.steps, result.totals.decisions
    else:
        from sim.engine.model import EscalationModel
        from sim.engine.outcomes import collect

        runs = steps = decisions = 0
        started = time.perf_counter()
        for i in range(spec["n"]):
            model = EscalationModel(scenario, n=1, rng=np.random.SeedSequence(i))
            model.run_to_end()
            chunk = collect(model, i, False)
            runs += chunk.n
            steps += chunk.steps
            decisions += chunk.decisions
        seconds = time.perf_counter() - started
    self_kib, children_kib = _peak_rss_kib()
    print(json.dumps({"seconds": seconds, "runs": runs, "steps": steps, "decisions": decisions,
                      "rss_self_kib": self_kib, "rss_children_kib": children_kib}))


# -- parent side -----------------------------------------------------------------------------
def measure(kind: str, scenario: str, n: int, jobs: int = 1) -> dict | None:
    """Run one measurement in a fresh interpreter; None (after printing why) if it failed."""
    spec = {"kind": kind, "scenario": scenario, "n": n, "jobs": jobs}
    m = run_child(__file__, spec, f"{kind} N={n} jobs={jobs}")
    if m is None:
        return None
    s = max(m["seconds"], 1e-9)
    m.update(runs_s=m["runs"] / s, steps_s=m["steps"] / s, decisions_s=m["decisions"] / s,
             rss_mb=max(m["rss_self_kib"], m["rss_children_kib"]) * 1024 / 1e6)
    return m


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.replace("_", "").split(",") if x.strip()]


def _si(x: float) -> str:
    for unit, f in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= f:
            return f"{x / f:.2f}{unit}"
    return f"{x:.1f}"


def _verdict(ok: bool | None) -> str:
    return {True: "MET", False: "NOT MET", None: "not measured"}[ok]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="scenarios/belarus-poland-2024.yaml")
    ap.add_argument("--sizes", default="1000,10000,100000,1000000",
                    help="comma-separated numbers of runs (default: %(default)s)")
    ap.add_argument("--jobs", default="1,2", help="comma-separated jobs values (default: 1,2)")
    ap.add_argument("--mesa-runs", type=int, default=200,
                    help="runs for the per-run Mesa loop (default: %(default)s)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke mode: sizes 1000,10000 and 20 Mesa runs")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(json.loads(args.child))
        return 0
    sizes = [1000, 10000] if args.quick else _ints(args.sizes)
    mesa_runs = 20 if args.quick else args.mesa_runs
    jobs_list = _ints(args.jobs)
    scenario = Path(args.scenario)
    if not scenario.is_absolute():
        scenario = (Path.cwd() / scenario) if (Path.cwd() / scenario).exists() else ROOT / scenario
    scenario = str(scenario.resolve())

    import mesa
    import numpy as np

    from sim.engine.runner import CHUNK

    print(f"scenario {os.path.relpath(scenario, ROOT)}; seed 1; keep_runs=False")
    print(f"cpu: {cpu_model()}; os.cpu_count() = {os.cpu_count()}; "
          f"python {platform.python_version()}; numpy {np.__version__}; mesa {mesa.__version__}")
    print("(each row: a fresh subprocess; only run() is timed; figures on shared machines are"
          " noisy)\n")
    header = (f"{'N':>9} {'jobs':>4} {'seconds':>8} {'runs/s':>9} {'steps/s':>9} "
              f"{'decisions/s':>11} {'peak RSS MB':>11}")
    print(header)
    print("-" * len(header))
    results: dict[tuple[int, int], dict] = {}
    fallback = False
    for n in sizes:
        for j in jobs_list:
            m = measure("ensemble", scenario, n, j)
            if m is None:
                continue
            results[n, j] = m
            chunks = -(-n // CHUNK)
            mark = "*" if min(j, chunks) < j else " "
            fallback |= mark == "*"
            print(f"{n:>9,} {j:>3}{mark} {m['seconds']:>8.2f} {_si(m['runs_s']):>9} "
                  f"{_si(m['steps_s']):>9} {_si(m['decisions_s']):>11} {m['rss_mb']:>11.0f}",
                  flush=True)
    if fallback:
        print(f"  * one chunk ({CHUNK:,} runs) or fewer: runs in-process with one job")

    print(f"\nper-run Mesa way ({mesa_runs} x EscalationModel(n=1) in a Python loop):")
    mesa_m = measure("mesa", scenario, mesa_runs)
    if mesa_m is not None:
        print(f"  {mesa_m['seconds']:.2f} s; {_si(mesa_m['runs_s'])} runs/s; "
              f"{_si(mesa_m['steps_s'])} replica-steps/s; "
              f"{_si(mesa_m['decisions_s'])} decisions/s; peak RSS {mesa_m['rss_mb']:.0f} MB")

    mesa_ratio = None
    base = [n for (n, j) in results if j == 1 and n <= 100_000]
    if mesa_m is not None and base:
        nb = max(base)
        mesa_ratio = results[nb, 1]["runs_s"] / mesa_m["runs_s"]
        print(f"  ensemble (jobs=1, N={nb:,}) / per-run Mesa: {mesa_ratio:.0f}x runs/s")

    print("\njobs=2 / jobs=1 runs/s:")
    jobs_ratio = {}
    for n in sizes:
        if (n, 1) in results and (n, 2) in results:
            jobs_ratio[n] = results[n, 2]["runs_s"] / results[n, 1]["runs_s"]
            note = "  (one chunk: both in-process, so this is noise)" if n <= CHUNK else ""
            print(f"  N={n:>9,}: {jobs_ratio[n]:.2f}x{note}")
    if not jobs_ratio:
        print("  (needs jobs 1 and 2)")
    if (os.cpu_count() or 1) < 2:
        print("  (fewer than 2 CPUs: no speed-up possible)")

    print("\ntargets (from the issue; informational, nothing is asserted):")
    one_core = [(m["decisions_s"], n) for (n, j), m in results.items() if j == 1]
    if one_core:
        best, nb = max(one_core)
        print(f"  >= 30 M agent-decisions/s on one core: {_si(best)}/s (jobs=1, N={nb:,}) "
              f"-> {_verdict(best >= TARGET_DECISIONS_PER_S)}")
    else:
        print(f"  >= 30 M agent-decisions/s on one core: {_verdict(None)}")
    print("  >= 100x the per-run Mesa way: "
          + (f"{mesa_ratio:.0f}x -> {_verdict(mesa_ratio >= TARGET_MESA_RATIO)}"
             if mesa_ratio is not None else _verdict(None)))
    million = {j: m["rss_mb"] for (n, j), m in results.items() if n == 1_000_000}
    if million:
        worst = max(million.values())
        detail = ", ".join(f"jobs={j}: {v:.0f} MB" for j, v in sorted(million.items()))
        print(f"  10^6 runs under 1 GB peak RSS: {detail} -> {_verdict(worst < TARGET_RSS_MB)}")
    else:
        print(f"  10^6 runs under 1 GB peak RSS: {_verdict(None)}")
    parallel = [n for n in jobs_ratio if n > CHUNK]  # at least two chunks: two workers
    if parallel:
        nl = max(parallel)
        print(f"  --jobs 2 >= 1.7x --jobs 1 (N={nl:,}): {jobs_ratio[nl]:.2f}x "
              f"-> {_verdict(jobs_ratio[nl] >= TARGET_JOBS_RATIO)}")
    else:
        print(f"  --jobs 2 >= 1.7x --jobs 1: {_verdict(None)} (needs N > {CHUNK:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
