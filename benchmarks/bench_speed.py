"""What the engine's step costs: this checkout against an older one, in paired fresh processes.

    git worktree add /tmp/ladder-before 9e72970     # the commit before the engine changed
    python benchmarks/bench_speed.py --baseline /tmp/ladder-before
    python benchmarks/bench_speed.py --baseline /tmp/ladder-before --quick   # ~1 minute

Three sizes: the teaching file (the first seed scenario, one tension number) at 10^5 runs, the
seed scenario on three coupled doctrines (perception, memory) at 10^4, and the historical
replay of the seed (1,156 steps) at 50 runs, where the engine's fixed cost per step is most of
the time. For each repeat the baseline and this checkout are measured one after the other,
each in a fresh interpreter with PYTHONPATH set to its checkout (alternating which goes
first), and only the `sim.run(scenario, runs=N, seed=1, jobs=1, keep_runs=False)` call is
timed (Mesa and the engine are imported first); both read the scenario from this checkout.
Printed per size: wall and CPU seconds of the child, and both per model step (median, min,
max), the median of the paired ratios baseline / this (above 1: this checkout is
faster) with their range, for wall and for CPU time (steadier on a shared machine), whether
both gave the same summary (less `timing`), and the load average before and after. It
asserts nothing, and exits 1 only if the summaries differ or a measurement fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _child import ROOT, cpu_model, run_child

CHUNK = 10_000  # runs per model (sim.engine.outcomes.CHUNK)
SIZES = (("scenarios/belarus-poland-2024-tension.yaml", 100_000),  # the v1 seed
         ("scenarios/belarus-poland-2024.yaml", 10_000),  # the seed on three doctrines
         ("scenarios/history/seed-2021-2024.yaml", 50))  # 1,156 steps: per-step overhead
QUICK = (20_000, 5_000, 50)  # --quick: the same scenarios, fewer runs


def _child(spec: dict) -> None:
    import sim
    import sim.engine.runner  # noqa: F401  # Mesa and the engine: imported before the clock

    scenario = sim.load_scenario(spec["scenario"])
    started, cpu = time.perf_counter(), time.process_time()
    result = sim.run(scenario, runs=spec["n"], seed=1, jobs=1, keep_runs=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    summary = {k: v for k, v in result.summary.items() if k != "timing"}
    steps = math.ceil(spec["n"] / CHUNK) * scenario.clock.horizon  # model steps, at most
    print(json.dumps({"seconds": seconds, "cpu": cpu, "step_ms": 1e3 * seconds / steps,
                      "step_cpu_ms": 1e3 * cpu / steps,
                      "summary": json.dumps(summary, sort_keys=True), "package": sim.__file__}))


@contextmanager
def _pythonpath(checkout: Path) -> Iterator[None]:
    """PYTHONPATH set to `checkout` for the children started inside."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(checkout)
    try:
        yield
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old


def measure(checkout: Path, scenario: str, n: int) -> dict:
    """One timed run of `checkout`'s engine in a fresh interpreter."""
    with _pythonpath(checkout):
        m = run_child(__file__, {"scenario": str(ROOT / scenario), "n": n}, str(checkout))
    if m is None:
        raise SystemExit(f"measurement of {checkout} failed")
    if not Path(m["package"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"{checkout}: imported {m['package']} instead of its own package")
    return m


def _spread(values: list[float], unit: str) -> str:
    return (f"median {statistics.median(values):8.3f} {unit}  min {min(values):8.3f}  "
            f"max {max(values):8.3f}")


def compare(sides: dict[str, Path], scenario: str, n: int, repeat: int) -> bool:
    """Measure one size on every side, interleaved; print it; True if the summaries agree."""
    seen: dict[str, list[dict]] = {name: [] for name in sides}
    for i in range(repeat):
        order = list(sides.items()) if i % 2 == 0 else list(sides.items())[::-1]
        for name, checkout in order:
            seen[name].append(measure(checkout, scenario, n))
    print(f"{scenario} at {n:,} runs:")
    for name, ms in seen.items():
        print(f"  {name:<14} seconds  {_spread([m['seconds'] for m in ms], 's ')}")
        print(f"  {'':<14} CPU      {_spread([m['cpu'] for m in ms], 's ')}")
        print(f"  {'':<14} per step {_spread([m['step_ms'] for m in ms], 'ms')}")
        print(f"  {'':<14} CPU/step {_spread([m['step_cpu_ms'] for m in ms], 'ms')}")
    if "baseline" not in seen:
        return True
    old, new = seen["baseline"], seen["this checkout"]
    for what in ("seconds", "cpu"):
        pairs = [a[what] / b[what] for a, b in zip(old, new, strict=True)]
        print(f"  speed-up baseline / this ({what}): median of paired ratios "
              f"{statistics.median(pairs):.3f} (min {min(pairs):.3f}, max {max(pairs):.3f})")
    same = all(m["summary"] == old[0]["summary"] for m in old + new)
    print(f"  same summary on both sides (less timing): {same}")
    return same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", type=Path, help="an older checkout to compare against")
    ap.add_argument("--repeat", type=int, default=3, help="measurements per side and size")
    ap.add_argument("--quick", action="store_true", help="fewer runs (20,000 / 5,000 / 50)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(json.loads(args.child))
        return 0
    sides = {"this checkout": ROOT}
    if args.baseline:
        sides = {"baseline": args.baseline.resolve(), **sides}
    print(f"cpu: {cpu_model()}; os.cpu_count() = {os.cpu_count()}; load average before: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"seed 1, jobs 1, {args.repeat} repeats per side, interleaved\n")
    same = True
    for (scenario, runs), quick in zip(SIZES, QUICK, strict=True):
        same &= compare(sides, scenario, quick if args.quick else runs, args.repeat)
        print()
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
