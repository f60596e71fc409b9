"""`ladder explain`: why runs escalate, from an ensemble's moves and per-run table.

Five parts (docs/explain.md): `pathways` (the most frequent ways up the outcome's ladder, all
runs and the runs that reach the outcome, with the links of the flow diagram), `drivers`
(what differs between runs that reach the outcome and the rest), `offramps` (each actor's
legal moves at each stage below the outcome, by their paired effect on P(outcome)),
`must_be_true` (the chains of rules that can reach each run-ending stage, from the files) and
`narratives` (a representative run per outcome class, told from its trace). The input is a
scenario, simulated now, or a results folder of `ladder run --out` with its runs kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.assumptions import WATCH_RULE
from ..engine.intervals import proportion
from ..engine.loaded import load_results
from ..engine.runner import RunResult, run
from ..errors import InputError
from ..format.check import suggest
from ..format.scenario import Scenario
from . import drivers as drivers_mod
from . import pathways as pw
from .compare import action_columns
from .narratives import narratives
from .offramps import FORK_RUNS, POSITIONS, offramps
from .requirements import must_be_true
from .variants import Variant, scenario_of_folder

PARTS = ("pathways", "drivers", "offramps", "must_be_true", "narratives")
ASSUMPTIONS = ("Shares and differences are within this ensemble, under the scenario's stated "
               "assumptions: distributions, not predictions.")


@dataclass(frozen=True)
class Inputs:
    """What explain reads: the scenario (None when a folder's file cannot be had), its seed
    and runs, the per-run table and the moves, and where they came from."""

    scenario: Scenario | None
    seed: int
    runs: pd.DataFrame
    moves: pd.DataFrame
    source: str
    summary: dict
    missing: str = ""  # why the scenario could not be had (a results folder)


def simulate(scenario: Scenario, runs: int | None, seed: int | None, jobs: int = 1,
             progress: bool = False, max_memory: float | None = None,
             scheduler: str | None = None) -> Inputs:
    """Run the scenario with its runs kept (its chunks on Dask with `scheduler`, as
    `sim.engine.runner.run` takes it; the off-ramp forks and narratives run here)."""
    return of_result(run(scenario, runs=runs, seed=seed, jobs=jobs, keep_runs=True,
                         progress=progress, max_memory=max_memory, scheduler=scheduler),
                     "simulated now")


def of_result(result: RunResult, source: str) -> Inputs:
    """A fresh run's inputs (its runs kept)."""
    if result.runs is None or result.moves is None:
        raise InputError(f"{source}: the runs were not kept; explain needs them")
    return Inputs(result.scenario, int(result.summary["provenance"]["seed"]), result.runs,
                  result.moves, source, result.summary)


def of_variant(variant: Variant) -> Inputs:
    """The inputs of a `ladder compare`/`ladder report` input: a fresh run or a folder."""
    if variant.result is not None:
        return of_result(variant.result, variant.source)
    return from_folder(variant.source)


def from_folder(folder: str) -> Inputs:
    """A results folder read back, with the scenario that wrote it when its file is still
    there unchanged (found by the folder's provenance)."""
    loaded = load_results(folder)
    if loaded.runs is None or loaded.moves is None:
        raise InputError(f"{folder}: written without the runs kept (runs.csv, moves.csv); "
                         "explain needs them: run again with --out and without --no-runs")
    prov = loaded.summary["provenance"]
    scenario, missing = scenario_of_folder(loaded.summary)
    return Inputs(scenario, int(prov["seed"]), loaded.runs, loaded.moves, folder,
                  loaded.summary, missing)


def ladder_stages(summary: dict, scenario: Scenario | None) -> dict[str, list[str]]:
    """Each ladder's stages by key, the main ladder first."""
    if scenario is not None:
        return {scenario.key: list(scenario.ladder.stage_ids),
                **{c.key: list(c.ladder.stage_ids) for c in scenario.coupled}}
    if "ladders" in summary:
        return {k: list(v["stages"]) for k, v in summary["ladders"].items()}
    return {"main": list(summary["stages"])}


def outcome_of(summary: dict, scenario: Scenario | None, outcome: str | None
               ) -> tuple[str, str]:
    """The outcome as (ladder key, stage): `LADDER:STAGE`, a main-ladder `STAGE`, or by
    default the stage `ladder run`'s assumptions watch (`WATCH_RULE`)."""
    ladders = ladder_stages(summary, scenario)
    main = next(iter(ladders))
    if outcome is None:
        stage = summary.get("assumptions", {}).get("watch")
        if stage is None:
            raise InputError("the main ladder has no stage above its start to explain; "
                             "name one with --outcome LADDER:STAGE")
        return main, str(stage)
    key, _, stage = outcome.rpartition(":")
    key = key or main
    if key not in ladders:
        raise InputError(f"--outcome: unknown ladder {key!r}{suggest(key, ladders)} "
                         f"(ladders: {', '.join(ladders)})")
    if stage not in ladders[key]:
        raise InputError(f"--outcome: {key} has no stage {stage!r}"
                         f"{suggest(stage, ladders[key])} (stages: {', '.join(ladders[key])})")
    return key, stage


def explain(inputs: Inputs, outcome: str | None = None, parts: tuple[str, ...] = PARTS,
            fork_runs: int = FORK_RUNS, positions: int = POSITIONS, top: int = pw.TOP,
            tick: Callable[[], object] | None = None) -> dict:
    """The explanation of `inputs` for `outcome` (see `outcome_of`), as a JSON-ready dict
    holding each part asked for; a part that needs the scenario file when it cannot be had
    says why instead."""
    key, stage = outcome_of(inputs.summary, inputs.scenario, outcome)
    n = len(inputs.runs)
    ladder = _ladder(inputs, key)
    column = "peak" if key == ladder_main(inputs) else f"{key}.peak"
    peak = inputs.runs[column].astype(str).to_numpy()
    level = {s: i for i, s in enumerate(ladder.stages)}
    reached = np.array([level[p] for p in peak]) >= level[stage]
    peaks = pw.new_peaks(inputs.moves, ladder)
    full = pw.run_pathways(peaks, n)
    out: dict = {"source": inputs.source, "runs": n, "seed": inputs.seed,
                 "outcome": {"ladder": key, "stage": stage, "reached": int(reached.sum()),
                             "p": proportion(int(reached.sum()), n)},
                 "default_outcome": WATCH_RULE if outcome is None else None,
                 "assumptions": ASSUMPTIONS}
    if "pathways" in parts:
        to_outcome = pw.run_pathways(peaks, n, stage, ladder.stages)
        out["pathways"] = {
            "ladder": key, "start": ladder.start, "stages": list(ladder.stages),
            "all": pw.top_pathways(full, np.ones(n, bool), top, f"stays at {ladder.start}"),
            "to_outcome": pw.top_pathways(to_outcome, reached, top),
            "flows": pw.flows(peaks, ladder, n)}
    if "drivers" in parts:
        cols = (drivers_mod.driver_columns(inputs.scenario, inputs.runs) if inputs.scenario
                else _columns(inputs.runs, inputs.summary))
        out["drivers"] = drivers_mod.drivers(inputs.runs, reached, cols)
    scenario = inputs.scenario
    needs = f"needs the scenario file: {inputs.missing}"
    if "offramps" in parts:
        out["offramps"] = (offramps(scenario, inputs.seed, n, key, stage, fork_runs,
                                    positions, tick) if scenario else {"skipped": needs})
    if "must_be_true" in parts:
        out["must_be_true"] = must_be_true(scenario) if scenario else {"skipped": needs}
    if "narratives" in parts:
        out["narratives"] = (narratives(scenario, inputs.seed, inputs.runs, inputs.moves,
                                        ladder, full, peaks) if scenario
                             else {"skipped": needs})
    return out


def forks(inputs: Inputs, outcome: str | None, positions: int = POSITIONS) -> int:
    """How many forks the off-ramps part runs at most (for a progress bar): per stage below
    the outcome and position, the base and one per legal move (on the main ladder, the
    actions allowed at that stage; on a coupled one, every action)."""
    scenario = inputs.scenario
    if scenario is None:
        return 0
    key, stage = outcome_of(inputs.summary, scenario, outcome)
    ladder = _ladder(inputs, key)
    stages = ladder.stages[ladder.stages.index(ladder.start):ladder.stages.index(stage)]
    actions = [a for actor in scenario.actors if not actor.is_population
               for a in actor.actions]
    return positions * sum(
        1 + sum(1 for a in actions if key != scenario.key or a.allowed is None
                or s in a.allowed) for s in stages)


def ladder_main(inputs: Inputs) -> str:
    """The main ladder's key."""
    return next(iter(ladder_stages(inputs.summary, inputs.scenario)))


def _ladder(inputs: Inputs, key: str) -> pw.Ladders:
    """The ladder `key`; without the scenario, its start is the highest stage every run
    was at or above from step 0 (runs.csv's `first_<stage>`)."""
    if inputs.scenario is not None:
        return pw.ladder_info(inputs.scenario, key)
    stages = ladder_stages(inputs.summary, None)[key]
    prefix = "" if key == ladder_main(inputs) else f"{key}."
    at_zero = [s for s in stages if (inputs.runs[f"{prefix}first_{s}"] == 0).all()]
    return pw.Ladders(key, tuple(stages), at_zero[-1] if at_zero else stages[0])


def _columns(runs: pd.DataFrame, summary: dict) -> list[tuple[str, str]]:
    """Without the scenario: the action counts as `ladder compare` reads them from a folder
    (`compare.action_columns`), and the `drawn:` numbers."""
    return ([(c, "action") for c in action_columns(runs.columns, summary)]
            + [(c, "drawn") for c in map(str, runs.columns) if c.startswith("drawn:")])
