"""What the dynamics (issue 13) cost: today's engine against an older checkout, side by side.

    git worktree add /tmp/ladder-before 092c6d8      # the commit before the engine changed
    python benchmarks/bench_dynamics.py --baseline /tmp/ladder-before
    python benchmarks/bench_dynamics.py --quick       # without a baseline: this checkout only

For each repeat, each measurement runs in a fresh interpreter, the baseline's and this
checkout's interleaved (so the machine's load falls on both alike), and only the
`sim.run(scenario, runs=N, seed=1)` call is timed. Printed: runs/s, replica-steps/s and
agent decisions/s as the median, min and max of the repeats, the ratio of this checkout's
median to the baseline's with the range of the paired ratios, whether both give the same
summary (less timing, versions and the `assumptions` block added in issue 14), and the load
average before and after. The scenario both sides run is the first seed scenario, kept as
the teaching file scenarios/belarus-poland-2024-tension.yaml (one shared tension number),
read from this checkout by both engines. Then the same for the seed scenario on three
coupled doctrines (scenarios/belarus-poland-2024.yaml) and the illustration of every
dynamic (scenarios/examples/coupled-ladders.yaml), which only this checkout can run. It
asserts nothing and exits 0 unless a measurement crashes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _child import ROOT, cpu_model

SEED_SCENARIO = "scenarios/belarus-poland-2024-tension.yaml"  # the first seed scenario
DYNAMIC_SCENARIOS = ("scenarios/belarus-poland-2024.yaml",  # the seed on three doctrines
                     "scenarios/examples/coupled-ladders.yaml")


def _child(spec: dict) -> None:
    import sim

    scenario = sim.load_scenario(spec["scenario"])
    started = time.perf_counter()
    result = sim.run(scenario, runs=spec["n"], seed=1, jobs=1, keep_runs=False)
    seconds = time.perf_counter() - started
    summary = {k: v for k, v in result.summary.items()
               if k not in ("timing", "provenance", "assumptions")}
    print(json.dumps({"seconds": seconds, "runs": result.totals.n,
                      "steps": result.totals.steps, "decisions": result.totals.decisions,
                      "summary": json.dumps(summary, sort_keys=True), "package": sim.__file__}))


def measure(checkout: Path, scenario: str, n: int) -> dict:
    """One measurement of `checkout`'s engine in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    spec = json.dumps({"scenario": str(ROOT / scenario), "n": n})
    proc = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True,
                          text=True, cwd=checkout, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"measurement of {checkout} failed:\n{proc.stderr[-2000:]}")
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    if not Path(m["package"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"{checkout}: imported {m['package']} instead of its own package")
    m["runs_s"] = m["runs"] / m["seconds"]
    m["steps_s"] = m["steps"] / m["seconds"]
    m["decisions_s"] = m["decisions"] / m["seconds"]
    return m


def _spread(values: list[float]) -> str:
    return (f"median {statistics.median(values):>10,.0f}  min {min(values):>10,.0f}  "
            f"max {max(values):>10,.0f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", type=Path, help="an older checkout to compare against")
    ap.add_argument("--runs", type=int, default=100_000, help="runs per measurement")
    ap.add_argument("--repeat", type=int, default=5, help="measurements per side")
    ap.add_argument("--quick", action="store_true", help="20,000 runs, 3 repeats")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(json.loads(args.child))
        return 0
    runs, repeat = (20_000, 3) if args.quick else (args.runs, args.repeat)
    print(f"cpu: {cpu_model()}; os.cpu_count() = {os.cpu_count()}; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{runs:,} runs per measurement, seed 1, jobs 1; {repeat} repeats, interleaved\n")
    sides = {"this checkout": ROOT}
    if args.baseline:
        sides = {"baseline": args.baseline.resolve(), **sides}
    seen: dict[str, list[dict]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, checkout in sides.items():
            seen[name].append(measure(checkout, SEED_SCENARIO, runs))
    print(f"{SEED_SCENARIO}:")
    for name, ms in seen.items():
        print(f"  {name:<14} runs/s      {_spread([m['runs_s'] for m in ms])}")
        print(f"  {'':<14} steps/s     {_spread([m['steps_s'] for m in ms])}")
        print(f"  {'':<14} decisions/s {_spread([m['decisions_s'] for m in ms])}")
    if args.baseline:
        old, new = seen["baseline"], seen["this checkout"]
        ratio = (statistics.median(m["runs_s"] for m in new)
                 / statistics.median(m["runs_s"] for m in old))
        pairs = [b["runs_s"] / a["runs_s"] for a, b in zip(old, new, strict=True)]
        print(f"  this / baseline runs/s: {ratio:.3f} (median over median; paired ratios "
              f"{min(pairs):.3f} to {max(pairs):.3f})")
        same = all(m["summary"] == old[0]["summary"] for m in old + new)
        print(f"  same summary on both sides (less timing and provenance): {same}")
    for scenario in DYNAMIC_SCENARIOS:
        dyn = [measure(ROOT, scenario, runs) for _ in range(repeat)]
        print(f"\n{scenario} (this checkout only):")
        print(f"  runs/s      {_spread([m['runs_s'] for m in dyn])}")
        print(f"  steps/s     {_spread([m['steps_s'] for m in dyn])}")
        print(f"  decisions/s {_spread([m['decisions_s'] for m in dyn])}")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
