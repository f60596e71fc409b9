"""The results folder written by `ladder run --out DIR`: all or nothing
(`sim.engine.folder`), with a manifest that readers require; and `atomic_write` for one
file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .coupled import result_names, step_files
from .folder import Writer, Written, write_folder
from .runner import RunResult

if TYPE_CHECKING:
    import pandas as pd


def atomic_write(path: Path, write: Writer) -> None:
    """Write a file under a temporary name in the same folder, then rename it into place.

    `write` gets a text handle; its `.buffer` takes bytes.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are ordinary files
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def has_parquet() -> bool:
    """Whether pyarrow is installed, so runs.parquet and moves.parquet can be written and
    read."""
    import importlib.util

    return importlib.util.find_spec("pyarrow") is not None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def summary_json(summary: dict) -> str:
    """The summary as stable, indented JSON."""
    return json.dumps(summary, indent=2, sort_keys=False) + "\n"


RESULT_FILES = ("summary.json", "runs.csv", "runs.parquet", "moves.csv", "moves.parquet",
                "observations.csv",
                "occupancy.csv", "incidence.csv", "tension.csv")


def _csv(frame: pd.DataFrame) -> Writer:
    """The writer of one table as CSV (index included)."""
    return lambda h: frame.to_csv(h)


def write_results(result: RunResult, folder: str | Path) -> Written:
    """Write summary.json, runs.csv and moves.csv when runs were kept (and runs.parquet and
    moves.parquet with pyarrow; observations.csv for a scenario with `observe:`),
    occupancy.csv, incidence.csv, tension.csv, with coupled ladders `occupancy-<key>.csv`
    and `incidence-<key>.csv` for each, and manifest.json, all or nothing: into a temporary
    sibling of `folder`, then put in its place (`sim.engine.folder.write_folder`).
    `ladder run --out` streams the per-run tables instead (`sim.engine.stream`), to the same
    files.

    Raises:
        Interrupted: Ctrl-C or SIGTERM while writing; `folder` is as it was.
        InputError: an OSError while writing (a full disk, say); `folder` is as it was.
    """
    files = [summary_file(result)]
    table = result.runs
    if table is not None:
        files.append(("runs.csv", lambda h: table.to_csv(h, index=False)))
        if has_parquet():
            files.append(("runs.parquet",
                          lambda h: table.to_parquet(h.buffer, index=False)))
        moves = result.moves
        assert moves is not None  # kept with the runs
        files.append(("moves.csv", lambda h: moves.to_csv(h, index=False)))
        if has_parquet():
            files.append(("moves.parquet",
                          lambda h: moves.to_parquet(h.buffer, index=False)))
        observed = result.observations
        if observed is not None:
            files.append(("observations.csv", lambda h: observed.to_csv(h, index=False)))
    files += step_files_of(result)
    return write_folder(folder, files, "run", folder_meta(result),
                        result_names(folder, RESULT_FILES))


def summary_file(result: RunResult) -> tuple[str, Writer]:
    """summary.json and its writer."""
    return ("summary.json", lambda h: h.write(summary_json(result.summary)))


def step_files_of(result: RunResult) -> list[tuple[str, Writer]]:
    """The per-step tables and their writers: occupancy.csv, incidence.csv, tension.csv,
    and each coupled ladder's occupancy and incidence."""
    tension = result.mean_tension.to_frame("mean")
    if result.tension_bands is not None:
        tension = tension.join(result.tension_bands)
    files = [(f"{name}.csv", _csv(frame)) for name, frame in (
        ("occupancy", result.occupancy), ("incidence", result.incidence), ("tension", tension))]
    files += [(name, _csv(frame)) for name, frame in step_files(result.coupled_occupancy,
                                                                  result.coupled_incidence)]
    return files


def folder_meta(result: RunResult) -> dict:
    """The manifest's run count, planned runs and whether the runs are partial."""
    runs = result.summary["runs"]
    return {"runs": runs, "planned_runs": result.planned or runs,
            "partial": bool(result.summary.get("partial"))}
