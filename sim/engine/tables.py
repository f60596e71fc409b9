"""The per-run table (`RunResult.runs`, runs.csv): one chunk's rows at a time, so a results
folder can be written chunk by chunk (`sim.engine.stream`) or the whole table built at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..format.scenario import Scenario
from . import coupled
from .frames import runs_dtypes, stage_column
from .outcomes import CHUNK, Totals


def chunk_runs_frame(scenario: Scenario, index: int, part: Mapping[str, Any],
                     ladders: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Chunk `index`'s rows of the per-run table, from its per-run arrays (kept with
    `keep="all"`): run, peak, final, absorbed, steps, first step and time at each stage,
    each coupled ladder's (`<key>.peak`, ...: `sim.engine.coupled`), each actor's action
    counts, and each drawn number's per-run value (`drawn:<path>`), in the dtypes of
    `sim.engine.frames.runs_dtypes`."""
    stage_ids = scenario.ladder.stage_ids
    if ladders is None:
        ladders = coupled.scenario_ladders(scenario)
    n = len(part["peak"])
    cols = {"run": np.arange(index * CHUNK, index * CHUNK + n),
            "peak": stage_column(part["peak"], stage_ids),
            "final": stage_column(part["final"], stage_ids),
            "absorbed": part["absorbed"], "steps": part["steps"],
            **coupled.first_and_time_columns(part, stage_ids)}
    cols.update(coupled.run_columns(part, ladders))
    for actor in scenario.actors:
        counts = part[f"actions:{actor.id}"]
        for j, a in enumerate(actor.action_ids):
            cols[f"{actor.id}.{a}"] = counts[:, j]
        shown = part.get(f"shown:{actor.id}")
        if shown is not None:  # what the others saw of an actor that signals
            for j, a in enumerate(actor.action_ids):
                cols[f"{actor.id}.shown.{a}"] = shown[:, j]
    cols.update({k: v for k, v in part.items() if k.startswith("drawn:")})
    table = pd.DataFrame(cols)
    dtypes = runs_dtypes(stage_ids, table.columns)
    return table.astype(coupled.table_dtypes(table.columns, dtypes, ladders)
                        if ladders else dtypes)


def runs_table(scenario: Scenario, totals: Totals) -> pd.DataFrame:
    """One row per kept run, every chunk's rows (`chunk_runs_frame`) in chunk order."""
    ladders = coupled.scenario_ladders(scenario)
    return pd.concat([chunk_runs_frame(scenario, k, part, ladders)
                      for k, part in zip(totals.chunks, totals.per_run, strict=True)],
                     ignore_index=True)
