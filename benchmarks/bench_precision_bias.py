"""What stopping after each chunk does to the estimates of `--precision`.

    python benchmarks/bench_precision_bias.py                # 300 seeds, about 3 minutes
    python benchmarks/bench_precision_bias.py --seeds 500    # the figures in docs/results.md
    python benchmarks/bench_precision_bias.py --at 4 --seeds 400   # stopping at 4 or 5 chunks

Precision mode checks its rule after each chunk of 10,000 runs and stops at the first chunk
where every targeted interval is narrow enough. The number of runs then depends on the
estimates themselves (a Wilson interval is narrower the further p is from 1/2), so the
stopped estimate could be biased. This measures it on scenarios/examples/gamblers-ruin.yaml,
whose P(reach) and P(final) are known exactly (`ladder exact`: what an ever longer
fixed-size run tends to, with no Monte Carlo error of its own; a fixed run of 2 million runs
would itself carry 0.1 standard error of noise at 20,000):

1. The target is set where stopping is most data-dependent: the widest Wilson half-width of
   the targeted quantity at the exact probabilities after K = `--at` chunks (default 2), so
   that about half the seeds stop at K chunks and the others at K + 1.
2. For each seed, the first K + 1 chunks are simulated once, as `sim.run` simulates them
   (`run_chunk` with the seed's spawned streams), and the precision rule of `sim.run`
   (`Plan.widest`) is applied after each chunk, for on = reach and on = final. For the first
   `--check` seeds the stopped figures are checked against `sim.run(..., precision=target,
   precision_on=on)` itself.
3. For every stage's P(reach) and P(final) strictly between 0 and 1, the bias of the
   stopped estimate, E[estimate] - p, in units of se = sqrt(p (1 - p) / n), n the mean
   number of runs the seeds stopped at: measured against the exact p, and (sharper: the
   same seed's K-chunk estimate is unbiased and shares the runs) against that estimate.
   Each comes with its own noise: two standard errors of the mean over seeds.

At that knife-edge, the estimate that drives the rule is stopped after K chunks when it lies
on the side away from 1/2 and carried on otherwise; the carried-on estimate keeps K/(K + 1)
of its first K chunks, so the bias is about phi(0) / (K + 1) standard errors of the K-chunk
estimate (phi(0) = 0.399, the standard normal density at 0): 0.149 SE at K = 2, 0.085 at
K = 4. The output prints that figure beside the measured ones.

It asserts nothing and exits 0 unless something crashes (or a check disagrees).
"""

from __future__ import annotations

import argparse
import collections
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "examples" / "gamblers-ruin.yaml"


def stopped(chunks: list, plan=None) -> object:
    """The totals precision mode stops at: chunks merged in order, the rule after each
    (without a plan: all of them)."""
    from sim.engine.outcomes import Totals

    totals = Totals()
    for chunk in chunks:
        totals.add(chunk)
        if plan is not None and plan.widest([totals]) <= plan.precision:
            break
    return totals


def estimates(totals, stage_ids) -> dict:
    """P(reach) and P(final) of every stage, as the summary has them."""
    from sim.engine.outcomes import summarise

    s = summarise(totals, stage_ids, totals.n)
    return {(key, stage): s[key][stage]["p"] for key in ("reach", "final") for stage in stage_ids}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=300, help="seeds (default 300)")
    ap.add_argument("--at", type=int, default=2,
                    help="chunks at whose width the target is set (default 2)")
    ap.add_argument("--check", type=int, default=5,
                    help="seeds checked against sim.run's precision mode (default 5)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import sim
    from sim.analyses.exact import analyse
    from sim.engine.intervals import wilson
    from sim.engine.outcomes import CHUNK
    from sim.engine.precision import Plan
    from sim.engine.runner import run_chunk

    scenario = sim.load_scenario(EXAMPLE)
    stage_ids = scenario.ladder.stage_ids
    exact_result = analyse(scenario)
    exact = {("reach", s): exact_result.reach[s] for s in stage_ids}
    exact |= {("final", s): exact_result.final[s] for s in stage_ids}
    kept = [k for k, p in exact.items() if 0 < p < 1]
    chunks_run = args.at + 1  # with the target at K chunks' width, K + 1 always meet it here
    at = args.at * CHUNK
    plans = {on: Plan(chunks_run * CHUNK, max((hi - lo) / 2 for lo, hi in (
        wilson(round(exact[key, s] * at), at) for key, s in exact if key == on)), on)
        for on in ("reach", "final")}
    print(f"{EXAMPLE.relative_to(ROOT)}, seeds 1 to {args.seeds}; reference: the exact "
          "P(reach) and P(final) (ladder exact)")
    started = time.perf_counter()
    runs = collections.defaultdict(list)
    est = collections.defaultdict(list)  # (on, key, stage) -> stopped estimates
    base = collections.defaultdict(list)  # (key, stage) -> K-chunk estimates
    for seed in range(1, args.seeds + 1):
        root = np.random.SeedSequence(seed)
        chunks = [run_chunk(scenario, k, CHUNK, root.spawn(1)[0]) for k in range(chunks_run)]
        for k, p in estimates(stopped(chunks[:args.at]), stage_ids).items():
            base[k].append(p)
        for on, plan in plans.items():
            totals = stopped(chunks, plan)
            runs[on].append(totals.n)
            figures = estimates(totals, stage_ids)
            for k in kept:
                est[on, *k].append(figures[k])
            if seed <= args.check:
                s = sim.run(scenario, seed=seed, precision=plan.precision, precision_on=on,
                            keep_runs=False).summary
                same = s["runs"] == totals.n and all(s[key][st]["p"] == figures[key, st]
                                                     for key, st in kept)
                if not same:
                    print(f"! seed {seed}, on {on}: sim.run stopped elsewhere")
                    return 1
    seconds = time.perf_counter() - started
    worst = 0.0
    for on, plan in plans.items():
        n = statistics.fmean(runs[on])
        spread = ", ".join(f"{r:,} runs: {c}" for r, c in sorted(collections.Counter(
            runs[on]).items()))
        print(f"\n--precision {plan.precision:.5f} --precision-on {on}: stopped at {spread} "
              f"seeds (mean {n:,.0f})")
        predicted = 0.3989 / (args.at + 1) * math.sqrt(n / at)
        print(f"at the knife-edge, the estimate driving the rule: about {predicted:.3f} SE")
        header = (f"{'':<7}{'stage':<12}{'exact p':>10}{'bias pts':>10}{'bias/SE':>9}"
                  f"{'2 se':>7}{f'vs {args.at} chunks':>13}{'2 se':>7}")
        print(header)
        print("-" * len(header))
        for key, stage in kept:
            p = exact[key, stage]
            se = math.sqrt(p * (1 - p) / n)
            xs = est[on, key, stage]
            d = [x - p for x in xs]
            c = [x - b for x, b in zip(xs, base[key, stage], strict=True)]
            noise = [2 * statistics.stdev(v) / math.sqrt(len(v)) / se for v in (d, c)]
            bias, sharp = statistics.fmean(d) / se, statistics.fmean(c) / se
            worst = max(worst, abs(sharp))
            print(f"{key:<7}{stage:<12}{p:>10.6f}{100 * statistics.fmean(d):>+10.4f}"
                  f"{bias:>+9.3f}{noise[0]:>7.3f}{sharp:>+13.3f}{noise[1]:>7.3f}")
    print(f"\nlargest |bias| (against the {args.at}-chunk estimate): {worst:.3f} SE of the "
          f"stopped estimate; {args.seeds} seeds x {chunks_run} chunks in {seconds:.0f} s "
          f"(checked against sim.run for {min(args.check, args.seeds)} seeds per target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
