"""`ladder run --out DIR` written as the run goes: each chunk's per-run rows are appended to
runs.csv, moves.csv and observations.csv (and a row group of runs.parquet and moves.parquet)
in the folder's temporary sibling as the chunk is merged, then dropped, so memory does not
grow with the number of runs. At the end the summary and per-step tables are written and
the folder is put in place all or nothing, as `sim.engine.results.write_results` does; the
files are the same, byte for byte, for CSV (parquet: the same rows in row groups of one
chunk).

    with ResultsStream(folder, scenario) as stream:
        result = run(scenario, ..., keep_runs=True, sink=stream)
        written = stream.finish(result)

Ctrl-C during the run ends it with the finished chunks, which are written (partial, as
`ladder run` always did); Ctrl-C before the first chunk is merged, SIGTERM at any time, or an
error discards the temporary folder and leaves DIR as it was (`sim.engine.folder`; exit 130,
143 or 2). A killed process (SIGKILL) leaves the hidden temporary folder, which the next
write to DIR removes (`sim.engine.folder.tidy`).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
from pathlib import Path
from typing import IO, Any

import pandas as pd

from ..errors import InputError
from ..format.scenario import Scenario
from . import coupled
from .folder import Staging, Written, _Stop, cannot_write, finish, interrupted, sigterm_raises
from .memory import format_size
from .moves import DTYPES as MOVE_DTYPES
from .moves import chunk_moves_frame
from .observations import chunk_observations_frame
from .outcomes import ChunkResult
from .results import RESULT_FILES, folder_meta, has_parquet, step_files_of, summary_file
from .runner import RunResult
from .tables import chunk_runs_frame


class ResultsStream:
    """A results folder being written chunk by chunk: a `sink` for `sim.engine.runner.run`
    (call it with each merged chunk), then `finish` with the result."""

    def __init__(self, folder: str | Path, scenario: Scenario, planned: int | None = None):
        self.scenario = scenario
        self.planned = planned  # runs asked for: the disk space is checked on the first chunk
        self.staging = Staging(folder, coupled.result_names(folder, RESULT_FILES))
        self.ladders = coupled.scenario_ladders(scenario)
        self.parquet = has_parquet()
        self.names = ["runs.csv", *(["runs.parquet"] if self.parquet else []), "moves.csv",
                      *(["moves.parquet"] if self.parquet else []),
                      *(["observations.csv"] if scenario.observe is not None else [])]
        self.handles: dict[str, IO[str]] = {}
        self.tables: dict[str, Any] = {}  # pyarrow ParquetWriter by file name
        self.stack = contextlib.ExitStack()

    def __enter__(self) -> ResultsStream:
        try:
            self.staging.open()
            for name in self.names:
                if name.endswith(".csv"):
                    self.handles[name] = open(self.staging.tmp / name, "w", newline="",
                                              encoding="utf-8")
        except OSError as exc:
            self._close()
            self.staging.discard()
            raise cannot_write(self.staging, exc) from None
        self.stack.enter_context(sigterm_raises())
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self.stack.close()
        self._close()
        self.staging.discard()
        if isinstance(exc, _Stop):
            raise interrupted(self.staging, exc.signum) from None
        if isinstance(exc, KeyboardInterrupt):  # before the first chunk was merged
            raise interrupted(self.staging, signal.SIGINT) from None

    def __call__(self, chunk: ChunkResult) -> None:
        """Append one chunk's rows to every per-run file."""
        part = chunk.per_run
        assert part is not None  # a sink takes chunks kept with keep="all"
        try:
            runs = chunk_runs_frame(self.scenario, chunk.index, part, self.ladders)
            moves = chunk_moves_frame(self.scenario, chunk.index, part["moves"])
            self._csv("runs.csv", runs)
            self._csv("moves.csv", moves)
            if self.parquet:
                self._parquet("runs.parquet", runs)
                self._parquet("moves.parquet", moves)
            if self.scenario.observe is not None:
                self._csv("observations.csv",
                          chunk_observations_frame(self.scenario, chunk.index, part))
            if self.planned is not None:
                self._check_space(chunk.n)
                self.planned = None
        except OSError as exc:
            raise cannot_write(self.staging, exc) from None

    def _check_space(self, runs: int) -> None:
        """After the first chunk: refuse a run whose tables will not fit on the disk, by the
        bytes a run this chunk took (before hours of simulating end in a full disk)."""
        assert self.planned is not None
        for handle in self.handles.values():
            handle.flush()
        written = sum(f.stat().st_size for f in self.staging.tmp.iterdir())
        need = written / runs * self.planned
        free = shutil.disk_usage(self.staging.tmp).free
        if need - written > free:
            raise InputError(
                f"cannot write {self.staging.shown}: its per-run tables need about "
                f"{format_size(need)} for {self.planned:,} runs ({written / runs:,.0f} bytes a "
                f"run on the first chunk) and the disk has only {format_size(free)} free; "
                f"{self.staging.before} (fewer runs, or --out on a larger disk)")

    def finish(self, result: RunResult) -> Written:
        """Close the streamed files, write the rest, and put the folder in place."""
        self._close()
        files = [summary_file(result), *((n, None) for n in self.names),
                 *step_files_of(result)]
        return finish(self.staging, files, "run", folder_meta(result))

    def _csv(self, name: str, frame: pd.DataFrame) -> None:
        handle = self.handles[name]
        frame.to_csv(handle, index=False, header=handle.tell() == 0)

    def _parquet(self, name: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer = self.tables.get(name)
        schema = writer.schema if writer is not None else (
            _moves_schema(pa) if name == "moves.parquet" else None)
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        if writer is None:
            writer = self.tables[name] = pq.ParquetWriter(self.staging.tmp / name,
                                                          table.schema)
        writer.write_table(table)

    def _close(self) -> None:
        for handle in self.handles.values():
            handle.close()
        for writer in self.tables.values():
            writer.close()


def _moves_schema(pa) -> Any:
    """moves.parquet's columns (fixed: a first chunk without moves has no strings to infer
    them from)."""
    return pa.schema([(c, pa.int64() if t == "int64" else pa.string())
                      for c, t in MOVE_DTYPES.items()])
