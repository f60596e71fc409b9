"""The results folder written by `ladder run --out DIR`: all or nothing
(`sim.engine.folder`), with a manifest that readers require; and `atomic_write` for one
file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .folder import Written, write_folder
from .runner import RunResult


def atomic_write(path: Path, write: Callable[[object], None]) -> None:
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
    """Whether pyarrow is installed, so runs.parquet can be written and read."""
    import importlib.util

    return importlib.util.find_spec("pyarrow") is not None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def summary_json(summary: dict) -> str:
    """The summary as stable, indented JSON."""
    return json.dumps(summary, indent=2, sort_keys=False) + "\n"


RESULT_FILES = ("summary.json", "runs.csv", "runs.parquet", "occupancy.csv", "incidence.csv",
                "tension.csv")


def write_results(result: RunResult, folder: str | Path) -> Written:
    """Write summary.json, runs.csv (and runs.parquet with pyarrow) when runs were kept,
    occupancy.csv, incidence.csv, tension.csv and manifest.json, all or nothing: into a
    temporary sibling of `folder`, then put in its place (`sim.engine.folder.write_folder`).

    Raises:
        Interrupted: Ctrl-C or SIGTERM while writing; `folder` is as it was.
        InputError: an OSError while writing (a full disk, say); `folder` is as it was.
    """
    files: list[tuple[str, Callable[[object], None]]] = [
        ("summary.json", lambda h: h.write(summary_json(result.summary)))]
    if result.runs is not None:
        files.append(("runs.csv", lambda h: result.runs.to_csv(h, index=False)))
        if has_parquet():
            files.append(("runs.parquet",
                          lambda h: result.runs.to_parquet(h.buffer, index=False)))
    tension = result.mean_tension.to_frame("mean")
    if result.tension_bands is not None:
        tension = tension.join(result.tension_bands)
    for name, frame in (("occupancy", result.occupancy), ("incidence", result.incidence),
                        ("tension", tension)):
        files.append((f"{name}.csv", lambda h, frame=frame: frame.to_csv(h)))
    runs = result.summary["runs"]
    meta = {"runs": runs, "planned_runs": result.planned or runs,
            "partial": bool(result.summary.get("partial"))}
    return write_folder(folder, files, "run", meta, RESULT_FILES)
