"""The historical replay: does the model reproduce the 2021-2024 stage path it is given no
stage of?

`scenarios/history/belarus-eu-border-2021-2024.yaml` runs the baseline's actors through the
dated timeline of the Belarus-EU border crisis, with no event forcing a stage. `TIMELINE`
maps each dated event (and the timeline's context items that are not events of the file) to
the stage of the belarus-2024 ladder the crisis was in from that day, after the timeline in
docs/sources.md#border-crisis-timeline-2021-2024; that mapping is judgement. `replay` runs the
file and compares, month by month, the simulated stage with the historical one:

- simulated: the stage on a day of the month, pooled over the month's days and all runs
  (from `RunResult.occupancy`), and its 10th and 90th percentiles (the 80% band);
- historical: the highest stage the mapped timeline puts the month in;
- inside: the historical stage lies in the band; hot: the band lies above it; cold: below.

`python -m sim.analyses.history` prints the mapping and the monthly table (docs/validation.md quotes
its output).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine.runner import RunResult, run
from ..errors import LadderError
from ..format.scenario import Scenario, load_scenario

REPLAY = Path(__file__).resolve().parents[2] / "scenarios" / "history" / \
    "belarus-eu-border-2021-2024.yaml"
BAND = (0.1, 0.9)


@dataclass(frozen=True)
class Mapped:
    """One dated item of the timeline and the stage it puts the crisis in from that day.

    Attributes:
        date: the day (a placeholder where the timeline gives only a month; see `note`).
        name: the event's name in the replay file, or a label for a context item.
        stage: the ladder stage from this day on; None for context that moves no stage.
        modelled: True when the replay file has an event of this name on this date.
        note: what the timeline (docs/sources.md#border-crisis-timeline-2021-2024) says, and
            any judgement.
    """

    date: dt.date
    name: str
    stage: str | None
    modelled: bool
    note: str


D = dt.date
START = Mapped(D(2021, 5, 1), "Start of the replay", "peacetime", False,
               "before the crisis: the timeline has hybrid pressure begin on 23-26 May 2021")
TIMELINE: tuple[Mapped, ...] = (
    Mapped(D(2021, 5, 26), "Minsk stops holding migrants back", "hybrid_pressure", True,
           "Ryanair landing 23 May, EU sanctions; 'hybrid pressure begins'"),
    Mapped(D(2021, 7, 2), "Lithuania declares an emergency", None, False,
           "surge into Lithuania: 'hybrid pressure', but not on the Polish border; context"),
    Mapped(D(2021, 8, 15), "Usnarz Gorny standoff", "hybrid_pressure", True,
           "'Aug 2021': the day is a placeholder; 'hybrid pressure'"),
    Mapped(D(2021, 9, 2), "State of emergency in the border zone", "hybrid_pressure", True,
           "'hybrid pressure (high)'"),
    Mapped(D(2021, 11, 8), "Thousands at Kuznica-Bruzgi", "border_incident", True,
           "'8-16 Nov 2021 ... border incident'"),
    Mapped(D(2021, 11, 16), "Clashes at Kuznica-Bruzgi", "border_incident", True,
           "'16 Nov clashes, stones thrown, water cannon and tear gas'"),
    Mapped(D(2021, 11, 20), "Camp cleared; repatriation flights", "hybrid_pressure", True,
           "'late Nov 2021 - 2022': the day is a placeholder; 'de-escalation to hybrid "
           "pressure'"),
    Mapped(D(2022, 2, 24), "Russia invades Ukraine", None, False,
           "'regional context, not a border-stage move'"),
    Mapped(D(2022, 6, 30), "Barrier completed; entry ban ends", "hybrid_pressure", True,
           "'Jun 2022 ... hybrid pressure (lower)'; entry ban to 30 June 2022 "
           "(docs/sources.md#polish-border-measures-2021-2024)"),
    Mapped(D(2023, 7, 1), "Wagner fighters in Belarus", "hybrid_pressure", True,
           "'Jun-Oct 2023 ... hybrid pressure (high)': TNW delivered, Wagner after the "
           "24 June mutiny; the day is a placeholder"),
    Mapped(D(2023, 8, 1), "Belarusian helicopters in Polish airspace", "hybrid_pressure", True,
           "'the airspace event is an incident candidate': counted as hybrid pressure "
           "(judgement; the alternative is reported)"),
    Mapped(D(2024, 4, 25), "New military doctrine", "hybrid_pressure", True,
           "'doctrine change (ladder definition)'"),
    Mapped(D(2024, 5, 1), "May 2024 surge of crossing attempts", "hybrid_pressure", True,
           "about 7,500 attempts in May vs 3,400 in April; the day is a placeholder"),
    Mapped(D(2024, 5, 28), "Polish soldier stabbed through the barrier", "border_incident",
           True, "'28 May 2024 ... border incident' (an event of the baseline)"),
    Mapped(D(2024, 6, 4), "Buffer zone announced", "border_incident", True,
           "the seed's date for the buffer zone (an event of the baseline)"),
    Mapped(D(2024, 6, 6), "Soldier dies of his wounds; Belarus's charge d'affaires summoned",
           "border_incident", True, "an event of the baseline"),
    Mapped(D(2024, 6, 13), "Buffer zone in force", "border_incident", True,
           "'13 Jun 2024 ... response measure' (an event of the baseline)"),
)


@dataclass
class Replay:
    """The comparison of one replay run with the historical path.

    Attributes:
        table: one row per month: `month`, `history` (stage), `p10`, `p50`, `p90` (the
            simulated median and 80% band), `inside`, `verdict` (inside / hot / cold),
            `history_share` (share of run-days at the historical stage), `incident_share`
            (at border_incident or above) and `crisis_share` (at mp_crisis or above).
        coverage: the share of months whose historical stage lies inside the band.
        result: the run.
    """

    table: pd.DataFrame
    coverage: float
    result: RunResult

    @property
    def hot(self) -> list[str]:
        """Months in which the whole band lies above the historical stage."""
        return list(self.table.loc[self.table.verdict == "hot", "month"])

    @property
    def cold(self) -> list[str]:
        """Months in which the whole band lies below the historical stage."""
        return list(self.table.loc[self.table.verdict == "cold", "month"])


def modelled_events(scenario: Scenario) -> dict[str, int]:
    """The replay file's dated events (`at`), name -> step."""
    return {e.name: e.at for e in scenario.events if e.at is not None}


def check_mapping(scenario: Scenario) -> list[str]:
    """Problems between TIMELINE and the file: every dated event mapped, on its date."""
    events, problems = modelled_events(scenario), []
    mapped = {m.name: m for m in TIMELINE}
    for name, step in events.items():
        m = mapped.get(name)
        if m is None:
            problems.append(f"event {name!r} of the file has no stage in TIMELINE")
        elif not m.modelled:
            problems.append(f"event {name!r} is in the file but TIMELINE says it is not")
        elif scenario.clock.date_of(step) != m.date:
            problems.append(f"event {name!r} is on {scenario.clock.date_of(step)} in the file "
                            f"but on {m.date} in TIMELINE")
    for m in TIMELINE:
        if m.modelled and m.name not in events:
            problems.append(f"TIMELINE's {m.name!r} is not an event of the file")
    return problems


def historical_stages(scenario: Scenario, timeline: Sequence[Mapped] = TIMELINE) -> np.ndarray:
    """The stage index (ladder order) the mapped timeline gives each step 0..horizon."""
    ladder, clock = scenario.ladder, scenario.clock
    days = np.array([clock.date_of(s) for s in range(clock.horizon + 1)])
    assert START.stage is not None  # the timeline's start names its stage
    path = np.full(len(days), ladder.index(START.stage))
    for m in sorted(timeline, key=lambda m: m.date):
        if m.stage is not None:
            path[days >= m.date] = ladder.index(m.stage)
    return path


def monthly(result: RunResult, timeline: Sequence[Mapped] = TIMELINE) -> pd.DataFrame:
    """The month-by-month table of `Replay.table` for a finished run."""
    scenario = result.scenario
    ids = scenario.ladder.stage_ids
    occ = result.occupancy.to_numpy(dtype=float)
    months = pd.PeriodIndex([scenario.clock.date_of(s) for s in range(len(occ))], freq="M")
    history = historical_stages(scenario, timeline)
    incident, crisis = ids.index("border_incident"), ids.index("mp_crisis")
    rows = []
    for month in months.unique():
        here = months == month
        share = occ[here].mean(axis=0)
        cum = np.cumsum(share)
        lo, mid, hi = (int(np.argmax(cum >= q - 1e-9)) for q in (BAND[0], 0.5, BAND[1]))
        h = int(history[here].max())
        verdict = "inside" if lo <= h <= hi else ("hot" if lo > h else "cold")
        rows.append({"month": str(month), "history": ids[h], "p10": ids[lo], "p50": ids[mid],
                     "p90": ids[hi], "inside": lo <= h <= hi, "verdict": verdict,
                     "history_share": float(share[h]),
                     "incident_share": float(share[incident:].sum()),
                     "crisis_share": float(share[crisis:].sum())})
    return pd.DataFrame(rows)


def replay(path: str | Path = REPLAY, runs: int = 2000, seed: int = 7, jobs: int = 1,
           overrides: dict[str, object] | None = None,
           timeline: Sequence[Mapped] = TIMELINE) -> Replay:
    """Run the replay file and compare it with the mapped historical path.

    Args:
        path: the replay scenario.
        runs: number of runs (the month-by-month shares have a Monte Carlo error of about
            0.5/sqrt(runs) at most).
        seed: root seed.
        jobs: worker processes.
        overrides: `--set`-style overrides (dotted path -> value), e.g. for a sensitivity.
        timeline: the mapping (default TIMELINE).

    Returns:
        A Replay.
    """
    scenario = load_scenario(path, overrides)
    result = run(scenario, runs=runs, seed=seed, jobs=jobs, keep_runs=False)
    table = monthly(result, timeline)
    return Replay(table, float(table.inside.mean()), result)


# -- output -------------------------------------------------------------------------------------


def mapping_markdown(timeline: Sequence[Mapped] = TIMELINE) -> str:
    """The mapping as a Markdown table."""
    lines = ["| date | item | stage from that day | in the file | "
             "docs/sources.md#border-crisis-timeline-2021-2024, and judgement |",
             "| --- | --- | --- | --- | --- |",
             f"| {START.date} | {START.name} | {START.stage} | start | {START.note} |"]
    for m in timeline:
        lines.append(f"| {m.date} | {m.name} | {m.stage or '(none: context)'} | "
                     f"{'event' if m.modelled else 'not modelled'} | {m.note} |")
    return "\n".join(lines)


def table_markdown(rep: Replay) -> str:
    """The monthly comparison as a Markdown table, with the coverage line."""
    short = {"peacetime": "peace", "hybrid_pressure": "hybrid", "border_incident": "incident",
             "mp_crisis": "crisis", "use_of_force": "force", "nuclear_use": "nuclear"}

    def name(stage: str) -> str:
        return short.get(stage, stage)

    lines = ["| month | history | simulated band p10 - p90 | | median | run-days at the "
             "historical stage | at border_incident+ | at mp_crisis+ |",
             "| --- | --- | --- | --- | --- | ---: | ---: | ---: |"]
    r: Any  # a row of the table (pandas types a namedtuple row as a generic tuple)
    for r in rep.table.itertuples():
        band = name(r.p10) if r.p10 == r.p90 else f"{name(r.p10)} - {name(r.p90)}"
        lines.append(f"| {r.month} | {name(r.history)} | {band} | {r.verdict} | {name(r.p50)} "
                     f"| {100 * r.history_share:.0f}% | {100 * r.incident_share:.0f}% | "
                     f"{100 * r.crisis_share:.1f}% |")
    t, n = rep.table, len(rep.table)
    lines.append("")
    lines.append(f"inside the band: {int(t.inside.sum())} of {n} months "
                 f"({100 * rep.coverage:.0f}%); hot (band above history): {len(rep.hot)}; "
                 f"cold (band below history): {len(rep.cold)}; median stage = history: "
                 f"{int((t.p50 == t.history).sum())} of {n} months; mean share of run-days at "
                 f"the historical stage: {100 * t.history_share.mean():.0f}%")
    return "\n".join(lines)


def summary_line(rep: Replay) -> str:
    """P(reach) of the stages above hybrid pressure over the whole replay, as one line."""
    scenario, reach = rep.result.scenario, rep.result.summary["reach"]
    parts = [f"{sid} {100 * reach[sid]['p']:.1f}%" for sid in scenario.ladder.stage_ids[2:]]
    end = scenario.clock.date_of(scenario.clock.horizon)
    return f"P(reach) by {end}: " + ", ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m sim.analyses.history [--runs N] [--seed S] [--jobs J] [--set PATH=VALUE]
    [--mapping]`."""
    parser = argparse.ArgumentParser(prog="python -m sim.analyses.history",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="override a value of the replay file (as `ladder run --set`)")
    parser.add_argument("--helicopters-incident", action="store_true",
                        help="map the helicopters of 1 Aug 2023 to border_incident instead")
    parser.add_argument("--mapping", action="store_true", help="print the mapping only")
    args = parser.parse_args(argv)
    timeline = TIMELINE
    if args.helicopters_incident:
        timeline = tuple(Mapped(m.date, m.name, "border_incident", m.modelled, m.note)
                         if m.name == "Belarusian helicopters in Polish airspace" else m
                         for m in TIMELINE)
        heli = next(m.date for m in timeline if m.name.startswith("Belarusian helicopters"))
        timeline += (Mapped(heli + dt.timedelta(days=31), "(incident over)",
                            "hybrid_pressure", False, "judgement"),)
    if args.mapping:
        print(mapping_markdown(timeline))
        return 0
    try:
        from ..format.yamlio import parse_yaml

        overrides = {}
        for item in args.set:
            key, _, value = item.partition("=")
            overrides[key] = parse_yaml(value, "--set")
        scenario = load_scenario(REPLAY, overrides or None, source="--set")
        problems = check_mapping(scenario)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 2
        rep = replay(REPLAY, args.runs, args.seed, args.jobs, overrides or None, timeline)
    except LadderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{scenario.id}: {args.runs:,} runs, seed {args.seed}, {len(rep.table)} months"
          + (f"; --set {' '.join(args.set)}" if args.set else ""))
    print()
    print(table_markdown(rep))
    print(summary_line(rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
