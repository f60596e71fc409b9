"""Write two generated tables of docs/scenarios.md: "Readings of Minsk's intent" (four
readings of Minsk's intent in scenarios/intent/, their outcomes, and the early indicators
that would tell them apart) and "The checkpoint signal" (what opening the crossing does,
with and without its direct effect on the danger Minsk reads), each measured from the runs.

    python3 docs/intent_table.py                 # print the table (10,000 runs, seed 7)
    python3 docs/intent_table.py --write         # and put it into docs/scenarios.md
    python3 docs/intent_table.py --runs 500      # quicker, wider intervals

Every figure is a mean over runs with its 95% interval (normal approximation; for a share,
Wilson) and n. A probe is the same scenario with one override; probe and reading are run
from the same seed, so run i of each shares its random numbers and the difference is taken
run by run (paired). tests/test_intent_table.py runs this at a small size.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.analyses.compare import compare, from_result  # noqa: E402
from sim.engine.intervals import wilson  # noqa: E402

DOC = ROOT / "docs" / "scenarios.md"
START, END = "<!-- intent-table:start -->", "<!-- intent-table:end -->"
CP_START, CP_END = "<!-- checkpoint-table:start -->", "<!-- checkpoint-table:end -->"
# The checkpoint's direct effect on the danger Minsk reads: the action's effect (in every
# file) and the variant's opening event (events.6 of checkpoint-opened and its variant).
NO_DIRECT_ACTION = {"actors.warsaw.actions.open_checkpoint.effect.minsk.danger": 0}
NO_DIRECT_EVENT = {"events.6.variables.minsk.danger.add": 0}
READINGS = [("casus-belli", "Casus-belli seeker (the seed)"),
            ("iron-curtain", "Iron curtain (regime security)"),
            ("kremlin-instrument", "Kremlin instrument"),
            ("sanctions-bargainer", "Sanctions bargainer")]
EARLY = 30  # days: the window of the early indicators
# The probes, as overrides of any reading (docs/format.md, parameter paths).
CHECKPOINT = {  # Warsaw keeps offering the crossing, the command's opinion overridden
    "actors.warsaw.policy.weights.open_checkpoint": 50,
    "actors.warsaw.policy.modifiers.2.scale.open_checkpoint": 1}
ARTICLE4 = {"actors.warsaw.policy.stages.border_incident.request_article4": 100}
RESTRAINT = {"actors.russia.policy.weights.restrain_minsk": 5}


@dataclass
class Estimate:
    """A mean over runs with its 95% interval and sample size."""

    mean: float
    lo: float
    hi: float
    n: int

    def points(self) -> str:
        """As percentage points, e.g. `+12.3 [+10.1, +14.5]`."""
        return f"{100 * self.mean:+.1f} [{100 * self.lo:+.1f}, {100 * self.hi:+.1f}]"

    def share(self) -> str:
        """As a percentage, e.g. `41.3% [40.3, 42.3]`."""
        return f"{100 * self.mean:.1f}% [{100 * self.lo:.1f}, {100 * self.hi:.1f}]"

    def plain(self) -> str:
        """As a number with two decimals."""
        return f"{self.mean:.2f} [{self.lo:.2f}, {self.hi:.2f}]"


def mean_of(values: np.ndarray) -> Estimate:
    """Mean of per-run values with a normal 95% interval."""
    n = len(values)
    m = float(values.mean())
    half = 1.96 * float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else float("nan")
    return Estimate(m, m - half, m + half, n)


def share_of(flags: np.ndarray) -> Estimate:
    """Share of runs with a Wilson 95% interval."""
    n = len(flags)
    k = int(flags.sum())
    lo, hi = wilson(k, n)
    return Estimate(k / n, lo, hi, n)


def result_of(name: str, overrides: dict, runs: int, seed: int):
    """The result of one bundled scenario (its path under scenarios/, without .yaml) under
    overrides."""
    scenario = sim.load_scenario(str(ROOT / "scenarios" / f"{name}.yaml"), overrides or None)
    return sim.run(scenario, runs=runs, seed=seed, jobs=1)


def runs_of(name: str, overrides: dict, runs: int, seed: int):
    """The per-run table of one bundled scenario under overrides."""
    return result_of(name, overrides, runs, seed).runs


def reached(table, stage: str) -> np.ndarray:
    """1 where the run reached the main ladder's stage, else 0."""
    return table[f"first_{stage}"].notna().to_numpy(dtype=float)


def incidents_per_month(table) -> np.ndarray:
    """Minsk's staged incidents and provocations per 30 days, per run."""
    moves = table["minsk.stage_incident"] + table["minsk.provoke"]
    return (moves * 30 / table["steps"]).to_numpy(dtype=float)


def restraint_share(table) -> np.ndarray:
    """The share of days on which Minsk held migrants back, per run."""
    return (table["minsk.restrain"] / table["steps"]).to_numpy(dtype=float)


def measure(name: str, runs: int, seed: int, base=None) -> dict[str, Estimate]:
    """Outcomes and indicators of one reading (`base`: its per-run table, if already run)."""
    early = {"clock.horizon": EARLY}
    name = f"intent/{name}"
    base = runs_of(name, {}, runs, seed) if base is None else base
    base30 = runs_of(name, early, runs, seed)
    open30 = runs_of(name, {**early, **CHECKPOINT}, runs, seed)
    art4 = runs_of(name, ARTICLE4, runs, seed)
    calm = runs_of(name, RESTRAINT, runs, seed)
    return {
        "incident": share_of(reached(base, "border_incident")),
        "crisis": share_of(reached(base, "mp_crisis")),
        "force": share_of(reached(base, "use_of_force")),
        "incidents30": mean_of(incidents_per_month(base30)),
        "checkpoint": mean_of(restraint_share(open30) - restraint_share(base30)),
        "article4": mean_of(reached(art4, "mp_crisis") - reached(base, "mp_crisis")),
        "russia": mean_of(reached(calm, "border_incident") - reached(base, "border_incident")),
    }


def table(runs: int, seed: int) -> str:
    """The Markdown of the section's generated part."""
    results = {name: result_of(f"intent/{name}", {}, runs, seed) for name, _ in READINGS}
    rows = [(label, measure(name, runs, seed, results[name].runs)) for name, label in READINGS]
    paired = compare([from_result(results[name], name) for name, _ in READINGS])
    diffs = {(c["b"], c["metric"]): c for c in paired["comparisons"]}
    out = [f"Generated by `python3 docs/intent_table.py --write` ({runs:,} runs per reading "
           f"and probe, seed {seed}; scenarios/intent/). Shares with Wilson 95% intervals; "
           "differences are paired run by run (common random numbers), as percentage "
           "points with normal 95% intervals. n = "
           f"{runs:,} runs in every cell.", "",
           "**Outcomes in 90 days** (P(reach) on Minsk's ladder):", "",
           "| reading | border_incident | mp_crisis | use_of_force |",
           "| --- | --- | --- | --- |"]
    out += [f"| {label} | {m['incident'].share()} | {m['crisis'].share()} | "
            f"{m['force'].share()} |" for label, m in rows]
    out += ["", "**Against the seed's reading** (`ladder compare`: paired differences in "
            "P(reach), points, Newcombe 95% intervals, p Holm-adjusted over "
            f"{paired['adjustment'].split()[-2]} tests):", "",
            "| reading | border_incident | mp_crisis | use_of_force |",
            "| --- | --- | --- | --- |"]
    for name, label in READINGS[1:]:
        cells = []
        for stage in ("border_incident", "mp_crisis", "use_of_force"):
            c = diffs.get((name, f"reach:{stage}"))
            if c is None:
                cells.append("no run reached it")
                continue
            p = "p < 0.001" if c["p_adjusted"] < 0.001 else f"p = {c['p_adjusted']:.3f}"
            cells.append(f"{100 * c['diff']:+.1f} [{100 * c['lo']:+.1f}, "
                         f"{100 * c['hi']:+.1f}], {p}")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out += ["", "**Early indicators** (what an observer could watch):", "",
            "| reading | staged incidents and provocations per month, first 30 days | "
            "response to the checkpoint: change in Minsk's days of restraint, first 30 "
            "days (points) | Article 4 at the first incident: change in P(mp_crisis) "
            "(points) | Russian restraint: change in P(border_incident) (points) |",
            "| --- | --- | --- | --- | --- |"]
    out += [f"| {label} | {m['incidents30'].plain()} | {m['checkpoint'].points()} | "
            f"{m['article4'].points()} | {m['russia'].points()} |" for label, m in rows]
    return "\n".join(out)


def checkpoint_table(runs: int, seed: int) -> str:
    """The Markdown of the checkpoint comparison: each variant against the seed scenario,
    with the checkpoint's direct effect and without it."""
    out = [f"Generated by `python3 docs/intent_table.py --write` ({runs:,} runs each, seed "
           f"{seed}). Differences from the seed scenario, paired run by run, in percentage "
           f"points with normal 95% intervals; n = {runs:,} runs in every cell.", "",
           "| variant | direct effect of the opening | P(border_incident) | P(mp_crisis) | "
           "Minsk's days of restraint |", "| --- | --- | --- | --- | --- |"]
    for variant in ("checkpoint-opened", "minsk-reciprocates"):
        for direct in (True, False):
            base = runs_of("belarus-poland-2024", {} if direct else NO_DIRECT_ACTION,
                           runs, seed)
            other = runs_of(variant, {} if direct else
                            {**NO_DIRECT_ACTION, **NO_DIRECT_EVENT}, runs, seed)
            cells = [mean_of(reached(other, s) - reached(base, s)).points()
                     for s in ("border_incident", "mp_crisis")]
            cells.append(mean_of(restraint_share(other) - restraint_share(base)).points())
            label = "-0.3 on minsk.danger" if direct else "none (set to 0)"
            out.append(f"| {variant} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def put(doc: str, start: str, end: str, text: str) -> str:
    """`doc` with `text` between the markers `start` and `end`."""
    head, rest = doc.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{text}\n{end}{tail}"


def write(text: str, checkpoint: str) -> None:
    """Put both tables between their markers in docs/scenarios.md."""
    doc = put(DOC.read_text(encoding="utf-8"), START, END, text)
    DOC.write_text(put(doc, CP_START, CP_END, checkpoint), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Print the table, and with --write put it into docs/scenarios.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs per reading and probe")
    parser.add_argument("--seed", type=int, default=7, help="root seed")
    parser.add_argument("--write", action="store_true", help="update docs/scenarios.md")
    args = parser.parse_args(argv)
    text = table(args.runs, args.seed)
    checkpoint = checkpoint_table(args.runs, args.seed)
    print(text, checkpoint, sep="\n\n")
    if args.write:
        write(text, checkpoint)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
