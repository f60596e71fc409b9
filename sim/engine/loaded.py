"""A results folder (`ladder run --out DIR`) read back as pandas objects: `load_results`
(`sim.load_results`) returns a `LoadedResults` with the same tables, and the same dtypes, as
the `RunResult` that was written. It reads through `sim.engine.folder_read.read_folder`, which
refuses a folder whose files do not match its manifest.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from . import coupled
from .folder_read import read_folder
from .frames import Tables, runs_dtypes
from .moves import DTYPES
from .results import has_parquet

TABLES = ("auto", "parquet", "csv")
MOVES = tuple(DTYPES)  # moves.csv's columns


@dataclass(repr=False)
class LoadedResults(Tables):
    """A results folder read back (`sim.load_results`). Its tables equal those of the
    `RunResult` that wrote it, dtypes included; `summary_frame()`, `occupancy_frame()` and
    `incidence_frame()` work as on a `RunResult`.

    Attributes:
        summary: summary.json as a dict (`ladder run --json`).
        runs: one row per run (runs.parquet or runs.csv), or None when the folder was written
            without the runs kept. `peak` and `final` are ordered categoricals in ladder
            order, `first_<stage>` Int64 (missing: never reached).
        occupancy: one row per step (index `step`), one column per stage.
        incidence: the same shape: the share of runs that reached each stage by each step.
        mean_tension: Series of mean tension per step.
        tension_bands: tension quantiles (q05 .. q95) per step, or None.
        partial: True when the run was interrupted (the manifest's `partial`).
        planned: the runs asked for (the manifest's `planned_runs`).
        folder: the folder read.
        table: the file `runs` was read from (`runs.parquet`, `runs.csv`, or None).
        coupled_occupancy, coupled_incidence: each coupled ladder's occupancy and incidence
            by key (`occupancy-<key>.csv`, `incidence-<key>.csv`; empty for one ladder).
        moves: every stage move of every run (moves.parquet beside runs.parquet, else
            moves.csv), as `RunResult.moves`; None without runs, or for a folder written
            before moves were kept.
        observations: observations.csv (one row per run and period), or None when the
            folder has none; dtypes as `RunResult.observations`.
    """

    summary: dict
    runs: pd.DataFrame | None
    occupancy: pd.DataFrame
    incidence: pd.DataFrame
    mean_tension: pd.Series
    tension_bands: pd.DataFrame | None
    partial: bool
    planned: int
    folder: str
    table: str | None
    coupled_occupancy: dict[str, pd.DataFrame] = field(default_factory=dict)
    coupled_incidence: dict[str, pd.DataFrame] = field(default_factory=dict)
    moves: pd.DataFrame | None = None
    observations: pd.DataFrame | None = None


def load_results(folder: str | Path, table: str = "auto") -> LoadedResults:
    """Read a results folder written by `ladder run --out` (or `sim.engine.results.
    write_results`).

    Args:
        folder: the folder.
        table: which per-run table to read: "parquet", "csv", or "auto" (runs.parquet when
            the folder has it and pyarrow is installed, else runs.csv).

    Raises:
        InputError: not a complete results folder of `ladder run` (no manifest, files that do
            not match it), a table that is not there, or a file that cannot be parsed.
    """
    if table not in TABLES:
        raise InputError(f"table must be one of {', '.join(TABLES)}, got {table!r}")
    folder = Path(folder)
    manifest = read_folder(folder, "run", [])[0]
    listed = manifest["files"]
    name = _table_name(folder, table, listed)
    moves = _moves_name(name, listed)
    names = ["summary.json", "occupancy.csv", "incidence.csv", "tension.csv"]
    extra = [n for n in listed if coupled.FILE_PATTERN.fullmatch(n)]
    extra += ["observations.csv"] if "observations.csv" in listed else []
    data = read_folder(folder, "run", names + extra + [n for n in (name, moves) if n])[1]
    try:
        summary = json.loads(data["summary.json"].decode("utf-8"))
        stages = list(summary["stages"])
        ladders = coupled.summary_ladders(summary)
        occupancy, incidence, tension = (_steps(data[f"{n}.csv"]) for n in
                                         ("occupancy", "incidence", "tension"))
        runs = _runs(data[name], name, stages, ladders) if name else None
        by_ladder = {n: _ladder_steps(data, n, ladders) for n in coupled.STEP_FILES}
        moved = _moves(data[moves], moves, stages, ladders) if moves else None
        observed = (_observations(data["observations.csv"])
                    if "observations.csv" in data else None)
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{folder}: cannot read the results folder ({exc!s})") from None
    bands = tension.drop(columns="mean") if len(tension.columns) > 1 else None
    return LoadedResults(summary, runs, occupancy, incidence,
                         tension["mean"].rename("mean_tension"), bands,
                         bool(manifest.get("partial")),
                         int(manifest.get("planned_runs") or summary["runs"]), str(folder), name,
                         by_ladder["occupancy"], by_ladder["incidence"], moved, observed)


def _ladder_steps(data: dict[str, bytes], kind: str, ladders: dict[str, list[str]]
                  ) -> dict[str, pd.DataFrame]:
    """Each coupled ladder's `<kind>-<key>.csv`, its columns checked against its stages."""
    out = {}
    for key, stages in ladders.items():
        name = f"{kind}-{key}.csv"
        if name not in data:
            raise KeyError(f"the summary has coupled ladder {key} but the folder has no {name}")
        frame = _steps(data[name])
        if list(frame.columns) != stages:
            raise ValueError(f"{name}: its columns are not ladder {key}'s stages")
        out[key] = frame
    return out


def _observations(data: bytes) -> pd.DataFrame:
    """observations.csv with the dtypes of `RunResult.observations`: run int64, period a
    string, a stage quantity (written as integers) int16, counts and means float64."""
    frame = pd.read_csv(io.BytesIO(data), dtype={"period": str})
    if list(frame.columns[:2]) != ["run", "period"]:
        raise ValueError("observations.csv: its first columns are not run, period")
    dtypes = {c: "int16" if pd.api.types.is_integer_dtype(frame[c]) else "float64"
              for c in frame.columns[2:]}
    return frame.astype({"run": "int64", **dtypes})


def _table_name(folder: Path, table: str, listed: dict) -> str | None:
    if table == "auto":
        if "runs.parquet" in listed and has_parquet():
            return "runs.parquet"
        return "runs.csv" if "runs.csv" in listed else None
    name = f"runs.{table}"
    if name not in listed:
        raise InputError(f"{folder}: the results folder has no {name}")
    if table == "parquet" and not has_parquet():
        raise InputError("reading runs.parquet needs pyarrow: python -m pip install -e "
                         "'.[parquet]'")
    return name


def _moves_name(runs: str | None, listed: dict) -> str | None:
    """The move table to read with the per-run table `runs`: moves.parquet beside
    runs.parquet, else moves.csv; None without runs or moves (a folder written before
    moves were kept lists neither)."""
    if runs is None:
        return None
    if runs == "runs.parquet" and "moves.parquet" in listed:
        return "moves.parquet"
    return "moves.csv" if "moves.csv" in listed else None


def _moves(data: bytes, name: str, stages: list[str], ladders: dict[str, list[str]]
           ) -> pd.DataFrame:
    """moves.csv or moves.parquet with `RunResult.moves`'s dtypes, its ladders and stages
    checked (a key not among the coupled ones is the main ladder's)."""
    if name == "moves.parquet":
        frame = pd.read_parquet(io.BytesIO(data))
    else:
        frame = pd.read_csv(io.BytesIO(data), dtype=dict.fromkeys(MOVES[2:], str),
                            keep_default_na=False)
    if tuple(frame.columns) != MOVES:
        raise ValueError(f"{name}: its columns are not {', '.join(MOVES)}")
    main = frame["ladder"][~frame["ladder"].isin(list(ladders))].unique()
    if len(main) > 1:
        raise ValueError(f"{name}: moves on more ladders than the summary has")
    for key, ids in [*((k, stages) for k in main), *ladders.items()]:
        on = frame["ladder"] == key
        if not (frame["from"][on].isin(ids).all() and frame["to"][on].isin(ids).all()):
            raise ValueError(f"{name}: a move on ladder {key} names a stage it does not have")
    return frame.astype(DTYPES)


def _steps(data: bytes) -> pd.DataFrame:
    """A per-step CSV (occupancy, incidence, tension) with its `step` index as written."""
    frame = pd.read_csv(io.BytesIO(data), index_col="step")
    if list(frame.index) != list(range(len(frame))):
        raise ValueError("its steps are not 0, 1, 2, ...")
    frame.index = pd.RangeIndex(len(frame), name="step")
    return frame.astype("float64")


def _runs(data: bytes, name: str, stages: list[str], ladders: dict[str, list[str]]
          ) -> pd.DataFrame:
    if name == "runs.parquet":
        frame = pd.read_parquet(io.BytesIO(data))
    else:
        frame = pd.read_csv(io.BytesIO(data), dtype={"peak": str, "final": str,
                                                      **coupled.stage_strings(ladders)})
    for column in ("peak", "final"):
        unknown = set(frame[column].dropna().astype(str)) - set(stages)
        if unknown or frame[column].isna().any():
            raise ValueError(f"{name}: a run's {column} stage is not one of {', '.join(stages)}")
    dtypes = runs_dtypes(stages, frame.columns)
    if not ladders:
        return frame.astype(dtypes)
    coupled.check_stages(frame, ladders, name)
    return frame.astype(coupled.table_dtypes(frame.columns, dtypes, ladders))
