"""What coupled ladders (`ladders:` in a scenario) add to the outputs of a run: per-run
columns `<key>.peak`, `<key>.final`, `<key>.first_<stage>` and `<key>.time_<stage>` of the
per-run table, each coupled ladder's occupancy and incidence per step, and their files in
the results folder (`occupancy-<key>.csv`, `incidence-<key>.csv`). A scenario with one
ladder has none of them, so its outputs are as they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..format.scenario import Scenario
from .frames import stage_column, stage_dtype

# The per-step files of a coupled ladder in the results folder.
STEP_FILES = ("occupancy", "incidence")
FILE_PATTERN = re.compile(r"(occupancy|incidence)-[A-Za-z0-9_.-]+\.csv")


def scenario_ladders(scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """Each coupled ladder's stage ids by key, in file order (empty for one ladder)."""
    return {c.key: c.ladder.stage_ids for c in scenario.coupled}


def summary_ladders(summary: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each coupled ladder's stage ids by key, read from a summary (`ladders`, the main one
    first, which is left out); empty for one ladder."""
    ladders = summary.get("ladders") or {}
    return {k: list(v["stages"]) for k, v in list(ladders.items())[1:]}


def file_names(keys: Iterable[str]) -> list[str]:
    """The results folder's files of the coupled ladders `keys`, in the order written."""
    return [f"{name}-{key}.csv" for key in keys for name in STEP_FILES]


def result_names(folder: str | Path, base: Sequence[str]) -> list[str]:
    """`base` (the files of a results folder) and the coupled ladders' per-step files an
    existing `folder` holds, which a new run may replace like any other result."""
    names = list(base)
    path = Path(folder)
    try:
        if path.is_dir():
            names += sorted(p.name for p in path.iterdir() if FILE_PATTERN.fullmatch(p.name))
    except OSError:
        pass  # the caller's own check of the folder says why it cannot be read
    return names


# -- the per-run table ---------------------------------------------------------------------
def stage_columns(key: str, stages: Sequence[str]) -> list[str]:
    """The per-run columns of coupled ladder `key`, in table order."""
    return ([f"{key}.peak", f"{key}.final"] + [f"{key}.first_{s}" for s in stages]
            + [f"{key}.time_{s}" for s in stages])


def run_columns(part: Mapping[str, Any], ladders: Mapping[str, Sequence[str]]
                ) -> dict[str, Any]:
    """The coupled ladders' columns of one chunk's per-run rows (`per_run["ladder:<key>"]`):
    peak and final as stage categoricals, first step at each stage (Int64, missing: never)
    and steps begun in each stage."""
    cols: dict[str, Any] = {}
    for key, stages in ladders.items():
        data = part[f"ladder:{key}"]
        cols[f"{key}.peak"] = stage_column(data["peak"], stages)
        cols[f"{key}.final"] = stage_column(data["final"], stages)
        cols.update(first_and_time_columns(data, stages, f"{key}."))
    return cols


def first_and_time_columns(data: Mapping[str, Any], stages: Sequence[str], prefix: str = ""
                           ) -> dict[str, Any]:
    """A ladder's `first_<stage>` (Int64, missing: never reached) and `time_<stage>` columns
    from its per-run `first` and `time_in` arrays, each name after `prefix` (the main
    ladder's: none; a coupled ladder's: `<key>.`)."""
    cols: dict[str, Any] = {}
    for i, s in enumerate(stages):
        first = data["first"][:, i].astype(float)
        first[first < 0] = np.nan
        cols[f"{prefix}first_{s}"] = pd.array(first, dtype="Int64")
    for i, s in enumerate(stages):
        cols[f"{prefix}time_{s}"] = data["time_in"][:, i]
    return cols


def run_dtypes(ladders: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The dtypes of the coupled ladders' per-run columns (as `runs_dtypes` for the main
    ladder's): stage dtype of that ladder, Int64, int32."""
    out: dict[str, Any] = {}
    for key, stages in ladders.items():
        out[f"{key}.peak"] = out[f"{key}.final"] = stage_dtype(stages)
        out.update({f"{key}.first_{s}": "Int64" for s in stages})
        out.update({f"{key}.time_{s}": "int32" for s in stages})
    return out


def table_dtypes(columns: Iterable[str], main: dict[str, Any],
                 ladders: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Each column's dtype: a coupled ladder's column by `run_dtypes`, any other by `main`
    (the main ladder's `runs_dtypes`)."""
    extra = run_dtypes(ladders)
    return {c: extra.get(c, main.get(c)) for c in columns}


def stage_strings(ladders: Mapping[str, Sequence[str]]) -> dict[str, type]:
    """The coupled stage columns, read as text from runs.csv."""
    return {f"{k}.{c}": str for k in ladders for c in ("peak", "final")}


def check_stages(frame: pd.DataFrame, ladders: Mapping[str, Sequence[str]], name: str) -> None:
    """Every coupled `<key>.peak` and `<key>.final` is one of that ladder's stages.

    Raises:
        ValueError: a column is missing or holds another value.
    """
    for key, stages in ladders.items():
        for column in (f"{key}.peak", f"{key}.final"):
            if column not in frame.columns:
                raise ValueError(f"{name} has no column {column}")
            values = frame[column]
            if values.isna().any() or set(values.astype(str)) - set(stages):
                raise ValueError(f"{name}: a run's {column} stage is not one of "
                                 f"{', '.join(stages)}")


# -- per-step tables -----------------------------------------------------------------------
def step_tables(scenario: Scenario, records: Mapping[str, Any], n: int, horizon: int
                ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Each coupled ladder's occupancy and incidence (as `RunResult.occupancy` and
    `.incidence` for the main ladder), by key, from its `LadderRecord`."""
    steps = pd.RangeIndex(horizon + 1, name="step")
    occupancy, incidence = {}, {}
    for key, stages in scenario_ladders(scenario).items():
        record = records[key]
        occupancy[key] = pd.DataFrame(record.occupancy / n, index=steps, columns=list(stages))
        incidence[key] = pd.DataFrame(np.cumsum(record.first, axis=1).T / n, index=steps,
                                      columns=list(stages))
    return occupancy, incidence


def step_files(occupancy: Mapping[str, pd.DataFrame], incidence: Mapping[str, pd.DataFrame]
               ) -> list[tuple[str, pd.DataFrame]]:
    """(file name, table) of each coupled ladder's per-step files, as `file_names` orders
    them."""
    tables = {"occupancy": occupancy, "incidence": incidence}
    return [(f"{name}-{key}.csv", tables[name][key]) for key in occupancy
            for name in STEP_FILES]
