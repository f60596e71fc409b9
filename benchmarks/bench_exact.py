"""Speed of the exact analysis, and how the Monte Carlo engine agrees with it.

    python benchmarks/bench_exact.py                  # 50 stages, 6 actors, horizon 365
    python benchmarks/bench_exact.py --stages 80 --horizon 730 --repeats 9
    python benchmarks/bench_exact.py --runs 200000    # a larger Monte Carlo comparison

1. Speed: `sim.analyses.exact.analyse` on a generated ladder of `--stages` stages (thresholds
   up every stage, down with a dwell of 1-3 steps, a trigger-only jump from every tenth stage to the
   absorbing top) with six actors: five states with 3-5 actions each, one of them with
   triggers, and a population of 12 members with three actions. Effects are multiples of
   0.25, as in most hand-written scenarios. The figure is the median wall-clock time of
   `--repeats` analyses (the scenario is loaded once, outside the timing), with the number of
   chain states, the distinct outcomes of one step, and the target from the issue (50 ms).
2. Agreement: `ladder run` on scenarios/examples/markov-crisis.yaml (`--runs` runs, seed 1)
   against the exact values: each stage's P(reach) and P(final), the Monte Carlo estimate,
   its standard error sqrt(p(1-p)/n) from the exact p, and z = (estimate - exact) / se.

Figures on shared or small (e.g. 2-core) machines are noisy; compare figures taken on the
same machine. The benchmark asserts nothing and exits 0 unless something crashes.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 50.0
EXAMPLE = ROOT / "scenarios" / "examples" / "markov-crisis.yaml"


def generated(n_stages: int, horizon: int) -> tuple[dict, dict]:
    """A ladder of n_stages (two absorbing on top) and a six-actor Markov scenario on it."""
    stages = []
    for i in range(n_stages - 2):
        stage = {"id": f"s{i}", "name": f"Stage {i}", "up": round(0.5 + 0.1 * i, 2)}
        if i > 0:
            stage.update(down=round(0.1 * i - 1.0, 2), dwell=1 + i % 3)
        stages.append(stage)
    stages += [{"id": "force", "name": "Use of force", "absorbing": True},
               {"id": "nuclear", "name": "Nuclear use", "absorbing": True}]
    edges = [{"from": f"s{i}", "to": "nuclear", "guard": f"tension >= {round(1 + 0.1 * i, 2)}"}
             for i in range(9, n_stages - 2, 10)]
    ladder = {"id": "bench-exact", "title": "Generated ladder for bench_exact.py",
              "stages": stages, "edges": edges}
    weights = {f"a{k}": 1 + k for k in range(5)}

    def state(n_actions: int, lo: float, extra: dict | None = None) -> dict:
        actions = {f"a{k}": {"effect": lo + 0.25 * k} for k in range(n_actions)}
        actions.update(extra or {})
        policy = {"weights": {a: weights.get(a, 0.02) for a in actions},
                  "stages": {f"s{i}": {"a0": 2 + i % 4} for i in range(0, n_stages - 2, 5)}}
        return {"kind": "state", "actions": actions, "policy": policy}

    decide = {"strike": {"trigger": "force", "effect": 0.0},
              "nuke": {"trigger": "nuclear", "effect": 0.0}}
    actors = {"capital": state(5, -0.5, decide), "neighbour": state(4, -0.75),
              "ally": state(3, -0.25), "patron": state(3, -0.5), "observer": state(4, -0.5),
              "crowd": {"kind": "population", "count": 12,
                        "actions": {"approach": {"effect": 0.25}, "riot": {"effect": 0.5},
                                    "disperse": {"effect": -0.25}},
                        "policy": {"weights": {"approach": 3, "riot": 1, "disperse": 4}}}}
    scenario = {"id": "bench-exact", "title": "Generated Markov scenario for bench_exact.py",
                "ladder": "./bench-exact.yaml", "start": "s1", "clock": {"horizon": horizon},
                "tension": {"decay": 0}, "actors": actors}
    return ladder, scenario


def load_generated(folder: Path, n_stages: int, horizon: int):
    import sim

    ladder, scenario = generated(n_stages, horizon)
    (folder / "bench-exact.yaml").write_text(yaml.safe_dump(ladder, sort_keys=False))
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return sim.load_scenario(path)


def speed(n_stages: int, horizon: int, repeats: int) -> None:
    from sim.analyses.exact import analyse

    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_generated(Path(tmp), n_stages, horizon)
    analyse(scenario)  # warm-up (imports, caches of numpy)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = analyse(scenario)
        times.append(1000 * (time.perf_counter() - started))
    median = statistics.median(times)
    print(f"exact analysis: {n_stages} stages, {len(scenario.actors)} actors (one a population "
          f"of 12), horizon {horizon}")
    print(f"  {result.states} chain states")
    print(f"  median {median:.1f} ms over {repeats} repeats (min {min(times):.1f}, "
          f"max {max(times):.1f})")
    print(f"  P(reach nuclear) = {result.reach['nuclear']:.6g}, "
          f"P(absorbed by {horizon}) = {result.absorbed:.6g}, expected steps to absorption = "
          f"{result.expected_steps}")
    verdict = "MET" if median < TARGET_MS else "NOT MET"
    print(f"  target: under {TARGET_MS:.0f} ms -> {verdict}")


def agreement(runs: int) -> None:
    import sim
    from sim.analyses.exact import analyse

    scenario = sim.load_scenario(EXAMPLE)
    exact = analyse(scenario)
    started = time.perf_counter()
    mc = sim.run(scenario, runs=runs, seed=1, keep_runs=False)
    seconds = time.perf_counter() - started
    print(f"\nMonte Carlo vs exact: {EXAMPLE.relative_to(ROOT)}, {runs:,} runs, seed 1 "
          f"({seconds:.1f} s), exact in {1000 * exact.seconds:.0f} ms")
    header = f"{'stage':<10}{'':>7}{'exact':>11}{'MC':>11}{'se':>10}{'z':>7}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for s in scenario.ladder.stage_ids:
        for key, values in (("reach", exact.reach), ("final", exact.final)):
            p, est = values[s], mc.summary[key][s]["p"]
            se = math.sqrt(p * (1 - p) / runs)
            z = (est - p) / se if se > 0 else 0.0
            worst = max(worst, abs(z))
            print(f"{s:<10}{key:>7}{p:>11.6f}{est:>11.6f}{se:>10.6f}{z:>7.2f}")
    print(f"max |z| = {worst:.2f} (|z| > 4 would be a disagreement)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stages", type=int, default=50)
    ap.add_argument("--horizon", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--runs", type=int, default=100_000, help="Monte Carlo runs (default 100000)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import numpy as np

    print(f"python {platform.python_version()}; numpy {np.__version__}; "
          f"{platform.machine()}\n")
    speed(args.stages, args.horizon, args.repeats)
    agreement(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
