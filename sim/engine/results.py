"""The results folder written by `ladder run --out DIR`, each file written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
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


def out_folder(folder: str | Path) -> Path:
    """The `--out` folder, created if needed; a clear error if it cannot be."""
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {folder}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {folder}: cannot create folder ({exc.strerror})") from None
    return out


def write_results(result: RunResult, folder: str | Path) -> list[Path]:
    """Write summary.json, runs.csv (when kept), occupancy.csv, incidence.csv and tension.csv
    into `folder`."""
    out = out_folder(folder)
    written = []
    target = out / "summary.json"
    atomic_write(target, lambda h: h.write(summary_json(result.summary)))
    written.append(target)
    if result.runs is not None:
        target = out / "runs.csv"
        atomic_write(target, lambda h: result.runs.to_csv(h, index=False))
        written.append(target)
        if has_parquet():
            target = out / "runs.parquet"
            atomic_write(target, lambda h: result.runs.to_parquet(h.buffer, index=False))
            written.append(target)
    tension = result.mean_tension.to_frame("mean")
    if result.tension_bands is not None:
        tension = tension.join(result.tension_bands)
    for name, frame in (("occupancy", result.occupancy), ("incidence", result.incidence),
                        ("tension", tension)):
        target = out / f"{name}.csv"
        atomic_write(target, lambda h, frame=frame: frame.to_csv(h))
        written.append(target)
    return written
