"""Narratives: one representative run per outcome class, told as dated prose from its trace.

The classes are the runs' highest stage on the outcome's ladder. A class's representative is
the run nearest its typical path (`sim.analyses.pathways.representative`); its chunk is
simulated again whole with the chunk's own random numbers, keeping that run's trace
(`ladder run --trace-run K`), so the story ends where row K of runs.csv does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.notes import StepNote
from ..engine.outcomes import CHUNK
from ..engine.runner import chunk_sizes, run_chunk
from ..format.scenario import Scenario
from .pathways import Ladders, classes, representative


def trace_of(scenario: Scenario, seed: int, runs: int, run: int) -> list[StepNote]:
    """The trace of run `run` of the ensemble of `runs` runs from `seed`: its chunk simulated
    whole, from the chunk's own seed."""
    k = run // CHUNK
    chunk_seed = np.random.SeedSequence(seed).spawn(k + 1)[k]
    result = run_chunk(scenario, k, chunk_sizes(runs)[k], chunk_seed, trace=True,
                       traced=run % CHUNK)
    return result.notes or []


def narratives(scenario: Scenario, seed: int, runs_table: pd.DataFrame, moves: pd.DataFrame,
               ladder: Ladders, paths: np.ndarray, peaks: pd.DataFrame) -> list[dict]:
    """Per outcome class: its runs, the representative run and its pathway, and the story."""
    column = "peak" if ladder.key == scenario.key else f"{ladder.key}.peak"
    peak = runs_table[column].astype(str).to_numpy()
    n = len(runs_table)
    out = []
    for stage, members in classes(peak, ladder.stages).items():
        rep = representative(paths, peaks, members)
        notes = trace_of(scenario, seed, n, rep["run"])
        row = runs_table[runs_table["run"] == rep["run"]].iloc[0]
        out.append({"class": stage, "runs": int(len(members)), "of_all": len(members) / n,
                    "run": rep["run"], "path": rep["path"], "takers": rep["takers"],
                    "share": rep["share"],
                    "story": tell(scenario, notes, moves[moves["run"] == rep["run"]], row)})
    return out


def tell(scenario: Scenario, notes: list[StepNote], moves: pd.DataFrame,
         row: pd.Series) -> list[str]:
    """A run's story as dated sentences: where it starts, each stage move with its cause and
    the events of that day, and where it ends."""
    names = {a.id: a.name for a in scenario.actors}
    ladders = {scenario.key: scenario.ladder, **{c.key: c.ladder for c in scenario.coupled}}
    starts = {scenario.key: scenario.start, **{c.key: c.start for c in scenario.coupled}}
    by_step = {n.step: n for n in notes}
    told: set[str] = set()  # events already mentioned (a standing event fires every step)
    lines = ["It started at " + "; ".join(
        f"{_stage(ladders[k], s)} ({k})" for k, s in starts.items()) + "."]
    for step_value, group in moves.groupby("step", sort=True):
        step = int(str(step_value))
        note = by_step.get(step)
        parts = [_move_text(names, ladders[key], key, old, new, cause, by)
                 for key, old, new, cause, by in group[["ladder", "from", "to", "cause", "by"]]
                 .itertuples(index=False, name=None)]
        events = [e for e in (note.events if note else [])
                  if not _credited(e, group) and e not in told]
        told.update(note.events if note else [])
        tail = f" That day, first: {'; '.join(events)}." if events else ""
        lines.append(f"{_when(scenario, step)}: " + "; ".join(parts) + "." + tail)
    last = int(row["steps"])
    ends = [f"{_stage(ladders[k], str(row['final' if k == scenario.key else f'{k}.final']))}"
            f" ({k})" for k in ladders]
    how = "the run ended in an absorbing stage" if bool(row["absorbed"]) else "the horizon"
    lines.append(f"{_when(scenario, last)} ({how}): it stood at " + "; ".join(ends) + ".")
    return lines


def _move_text(names: dict[str, str], ladder, key: str, old: str, new: str, cause: str,
               by: str) -> str:
    """One move in words: who or what moved which ladder from where to where."""
    change = f"{key} moved from {_stage(ladder, old)} to {_stage(ladder, new)}"
    if cause in ("trigger", "joint decision"):
        actor, _, action = str(by).partition(".")
        kind = "a joint decision: " if cause == "joint decision" else ""
        return f"{names.get(actor, actor)} chose {action} ({kind}{change})"
    if cause == "event":
        return f"the event \u201c{by}\u201d happened ({change})"
    if cause == "accident":
        return f"an accident: {by} ({change})"
    return f"{change} as its reading crossed the {cause.split()[-1]} threshold"


def _credited(event: str, group: pd.DataFrame) -> bool:
    return bool(((group["cause"] == "event") & (group["by"] == event)).any())


def _stage(ladder, stage: str) -> str:
    return ladder.stages[ladder.index(stage)].name or stage


def _when(scenario: Scenario, step: int) -> str:
    date = scenario.clock.date_of(step)
    return f"{date.isoformat()} (step {step})" if date else f"Step {step}"
