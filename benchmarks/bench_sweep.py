"""Throughput of `ladder sweep`: design points and runs per second, locally and on Dask.

    python benchmarks/bench_sweep.py                  # 40 lhs points x 1,000 runs
    python benchmarks/bench_sweep.py --quick          # smoke test: 8 points x 200 runs
    python benchmarks/bench_sweep.py --points 100 --runs 2000 --jobs 1,2

Each measurement runs in a fresh Python subprocess and times only the `sim.explore.sweep.sweep` call
(not imports); loading and validating each point's scenario is part of the sweep and so of
the time. The settings:

- local, jobs J: the points in J local worker processes (1: in the sweeping process);
- Dask LocalCluster, started: `--scheduler local` with 2 worker processes, the cluster's
  start and stop included (what a user waits for);
- Dask LocalCluster, running: the same cluster started (and each worker warmed up by one
  tiny run) before the clock starts, and passed by its address, as a running cluster is
  (`--scheduler tcp://...`).

The sweep varies four parameters of the bundled scenario over a Latin hypercube, with the
default outcome. Every setting must give the same numbers; the benchmark checks that the
outcomes agree and says so. Figures on shared or small (e.g. 2-core) machines are noisy:
compare figures from the same machine, and repeat a measurement before trusting a difference
of a few tens of percent. It asserts nothing and exits 0 unless a measurement crashes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from _child import ROOT, cpu_model, run_child

VARY = ["actors.minsk.policy.weights.push_migrants=3:9",
        "actors.polish_border_forces.policy.weights.counteract=1:5",
        "actors.minsk.actions.stage_incident.effect=1:2",
        "actors.minsk.policy.stages.border_incident.declare_mp_crisis=0.01:0.06"]


# -- child side ------------------------------------------------------------------------------
def _warm_up(scenario: str) -> None:
    """Import and run the engine once in a worker, as a worker of a running cluster has."""
    import sim

    sim.run(sim.load_scenario(scenario), runs=10, seed=0, keep_runs=False)


def _child(spec: dict) -> None:
    from sim.explore.sweep import parse_vary, sweep

    axes = parse_vary(VARY)
    kwargs = {"design": "lhs", "points": spec["points"], "runs": spec["runs"], "seed": 1}
    cluster = None
    if spec["kind"] == "dask-running":
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        kwargs["scheduler"] = cluster.scheduler_address
        # A running cluster has imported sim already: warm every new worker up first.
        from distributed import Client

        with Client(cluster) as client:
            client.run(_warm_up, spec["scenario"])
    elif spec["kind"] == "dask-started":
        kwargs.update(scheduler="local", jobs=2)
    else:
        kwargs["jobs"] = spec["jobs"]
    started = time.perf_counter()
    result = sweep(spec["scenario"], axes, **kwargs)
    seconds = time.perf_counter() - started
    if cluster is not None:
        cluster.close()
    print(json.dumps({"seconds": seconds, "points": len(result.counts),
                      "runs": int(result.n.sum()), "y": [float(v) for v in result.y]}))


# -- parent side -----------------------------------------------------------------------------
def measure(spec: dict) -> dict | None:
    """Run one measurement in a fresh interpreter; None (after printing why) if it failed."""
    m = run_child(__file__, spec, spec["kind"])
    if m is None:
        return None
    s = max(m["seconds"], 1e-9)
    m.update(points_s=m["points"] / s, runs_s=m["runs"] / s)
    return m


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="scenarios/belarus-poland-2024.yaml")
    ap.add_argument("--points", type=int, default=40, help="lhs points (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=1000,
                    help="runs per point (default: %(default)s)")
    ap.add_argument("--jobs", default="1,2", help="comma-separated local jobs (default: 1,2)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask measurements")
    ap.add_argument("--quick", action="store_true", help="smoke mode: 8 points x 200 runs")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(json.loads(args.child))
        return 0
    points, runs = (8, 200) if args.quick else (args.points, args.runs)
    scenario = Path(args.scenario)
    if not scenario.is_absolute():
        scenario = (Path.cwd() / scenario) if (Path.cwd() / scenario).exists() else ROOT / scenario
    scenario = str(scenario.resolve())

    import numpy as np

    print(f"scenario {os.path.relpath(scenario, ROOT)}; lhs over {len(VARY)} parameters, "
          f"{points} points x {runs:,} runs; seed 1")
    print(f"cpu: {cpu_model()}; os.cpu_count() = {os.cpu_count()}; "
          f"python {platform.python_version()}; numpy {np.__version__}")
    print("(each row: a fresh subprocess; only sweep() is timed; figures on shared machines "
          "are noisy)\n")
    settings = [(f"local, jobs {j}", {"kind": "local", "jobs": j})
                for j in (int(x) for x in args.jobs.split(",") if x.strip())]
    if not args.no_dask:
        try:
            import distributed  # noqa: F401

            settings += [("Dask LocalCluster (2 workers), started", {"kind": "dask-started"}),
                         ("Dask LocalCluster (2 workers), running", {"kind": "dask-running"})]
        except ImportError:
            print("Dask is not installed (pip install -e '.[dask]'): Dask rows skipped\n")
    header = f"{'setting':<40} {'seconds':>8} {'points/s':>9} {'runs/s':>9}"
    print(header)
    print("-" * len(header))
    outcomes = []
    base = None
    for label, spec in settings:
        spec.update(scenario=scenario, points=points, runs=runs)
        m = measure(spec)
        if m is None:
            continue
        outcomes.append(m["y"])
        base = base or m
        speed = f"  ({m['runs_s'] / base['runs_s']:.2f}x the first row)" if m is not base else ""
        print(f"{label:<40} {m['seconds']:>8.2f} {m['points_s']:>9.1f} {m['runs_s']:>9,.0f}"
              f"{speed}", flush=True)
    if outcomes:
        same = all(o == outcomes[0] for o in outcomes)
        print(f"\nsame outcome at every point in every setting: {'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
