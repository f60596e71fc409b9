"""Run an ensemble in fixed-size chunks, in this process or in worker processes.

Chunk k always holds runs k*CHUNK .. and draws from `SeedSequence(seed).spawn(...)[k]`, so the
same scenario and seed give the same numbers whatever the number of workers. Chunks are
merged in chunk order and only their aggregates are kept (unless per-run rows are asked
for), so memory does not grow with the number of runs.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd

from . import __version__
from .errors import InputError
from .model import EscalationModel, StepNote
from .outcomes import ChunkResult, Totals, collect, summarise
from .scenario import Scenario

CHUNK = 10_000
MAX_RUNS = 100_000_000


@dataclass
class RunResult:
    """What `run` returns.

    Attributes:
        summary: the summary dict (`ladder run --json`, `summary.json`).
        occupancy: DataFrame, one row per step, one column per stage: share of runs there.
        incidence: DataFrame, one row per step, one column per stage: share of runs that
            have reached the stage (or a higher one) by that step.
        runs: DataFrame with one row per run (None unless `keep_runs`).
        mean_tension: Series of mean tension per step.
        partial: True when interrupted before every chunk finished.
        notes: the step-by-step story of run 0 when traced.
        totals: the merged aggregates.
    """

    summary: dict
    occupancy: pd.DataFrame
    incidence: pd.DataFrame
    runs: pd.DataFrame | None
    mean_tension: pd.Series
    partial: bool
    notes: list[StepNote] | None
    totals: Totals


def chunk_sizes(runs: int) -> list[int]:
    """Sizes of the chunks that make up `runs` runs."""
    full, rest = divmod(runs, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


def run_chunk(scenario: Scenario, index: int, n: int, seed: np.random.SeedSequence,
              keep_runs: bool = False, trace: bool = False) -> ChunkResult:
    """Simulate one chunk of `n` runs to the horizon."""
    model = EscalationModel(scenario, n=n, rng=seed, trace=trace)
    model.run_to_end()
    result = collect(model, index, keep_runs)
    model.release()
    return result


def _run_task(task: tuple) -> ChunkResult:
    return run_chunk(*task)


def _ignore_sigint() -> None:
    # Workers leave Ctrl-C to the parent, which stops them and keeps the finished chunks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it: workers start at once, with nothing to re-import."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _chunks(scenario, sizes, seeds, jobs, keep_runs, trace) -> Iterator[ChunkResult]:
    """Yield chunk results in chunk order."""
    if jobs == 1:
        for k, n in enumerate(sizes):
            yield run_chunk(scenario, k, n, seeds[k], keep_runs, trace)
        return
    tasks = [(scenario, k, n, seeds[k], keep_runs, False) for k, n in enumerate(sizes)]
    pool = _context().Pool(jobs, initializer=_ignore_sigint)
    finished = False
    try:
        yield from pool.imap(_run_task, tasks)
        finished = True
    finally:
        if finished:
            pool.close()
        else:
            pool.terminate()  # interrupted: chunks still running are not wanted
        pool.join()


def run(scenario: Scenario, runs: int | None = None, seed: int | None = None, jobs: int = 1,
        keep_runs: bool = True, trace: bool = False, progress: bool = False) -> RunResult:
    """Simulate `runs` runs of a scenario and summarise them.

    Args:
        scenario: a loaded scenario (`sim.load_scenario`).
        runs: number of runs (default: the scenario's `runs`).
        seed: root seed (default: the scenario's `seed`).
        jobs: worker processes (1: in this process). Results do not depend on it.
        keep_runs: keep one row per run in `result.runs`.
        trace: keep the story of the first run (`result.notes`).
        progress: show a progress bar on stderr.

    Returns:
        A RunResult. If interrupted (Ctrl-C), the finished chunks are summarised and
        `partial` is True.
    """
    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    if not 1 <= runs <= MAX_RUNS:
        raise InputError(f"runs must be from 1 to {MAX_RUNS}, got {runs}")
    if seed < 0:
        raise InputError(f"seed must be >= 0, got {seed}")
    if jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}")
    sizes = chunk_sizes(runs)
    root = np.random.SeedSequence(seed)
    seeds = root.spawn(len(sizes))
    totals = Totals()
    started = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked
        bar = tqdm(total=runs, unit="run", file=sys.stderr, leave=False,
                   desc=scenario.id, dynamic_ncols=True)
    partial = False
    chunks = _chunks(scenario, sizes, seeds, min(jobs, len(sizes)), keep_runs, trace)
    try:
        for chunk in chunks:
            totals.add(chunk)
            if bar is not None:
                bar.update(chunk.n)
    except KeyboardInterrupt:
        partial = True
        if totals.n == 0:
            raise
    finally:
        chunks.close()  # stops the worker pool even when Ctrl-C came between chunks
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started
    return _result(scenario, totals, seed, root, jobs, seconds, partial)


def provenance(scenario: Scenario, seed: int, runs: int, root: np.random.SeedSequence) -> dict:
    """Where the numbers come from: versions, seed, runs, file hashes."""
    return {"version": __version__, "seed": seed, "runs": runs,
            "scenario_sha256": scenario.sha256, "ladder_sha256": scenario.ladder.sha256,
            "mesa": mesa.__version__, "numpy": np.__version__,
            "chunk_size": CHUNK, "seed_entropy": str(root.entropy)}


def _result(scenario, totals, seed, root, jobs, seconds, partial) -> RunResult:
    stage_ids = scenario.ladder.stage_ids
    summary = {"scenario": scenario.id, "ladder": scenario.ladder.id, "runs": totals.n,
               "seed": seed, "horizon": scenario.clock.horizon, "step": scenario.clock.step,
               "stages": list(stage_ids)}
    summary.update(summarise(totals, stage_ids))
    summary["provenance"] = provenance(scenario, seed, totals.n, root)
    if partial:
        summary["partial"] = True
    summary["timing"] = {"seconds": round(seconds, 3), "jobs": jobs}
    steps = pd.RangeIndex(scenario.clock.horizon + 1, name="step")
    occupancy = pd.DataFrame(totals.occupancy / totals.n, index=steps, columns=list(stage_ids))
    incidence = pd.DataFrame(np.cumsum(totals.first, axis=1).T / totals.n, index=steps,
                             columns=list(stage_ids))
    mean_tension = pd.Series(totals.tension_sum / totals.n, index=steps, name="mean_tension")
    runs_frame = runs_table(scenario, totals) if totals.per_run else None
    return RunResult(summary, occupancy, incidence, runs_frame, mean_tension, partial,
                     totals.notes, totals)


def runs_table(scenario: Scenario, totals: Totals) -> pd.DataFrame:
    """One row per run: peak, final, absorbed, steps, first step and time at each stage,
    and each actor's action counts."""
    stage_ids = scenario.ladder.stage_ids
    frames = []
    for k, part in zip(totals.chunks, totals.per_run, strict=True):
        n = len(part["peak"])
        cols = {"run": np.arange(k * CHUNK, k * CHUNK + n),
                "peak": np.array(stage_ids)[part["peak"]],
                "final": np.array(stage_ids)[part["final"]],
                "absorbed": part["absorbed"], "steps": part["steps"]}
        for i, s in enumerate(stage_ids):
            first = part["first"][:, i].astype(float)
            first[first < 0] = np.nan
            cols[f"first_{s}"] = pd.array(first, dtype="Int64")
        for i, s in enumerate(stage_ids):
            cols[f"time_{s}"] = part["time_in"][:, i]
        for actor in scenario.actors:
            counts = part[f"actions:{actor.id}"]
            for j, a in enumerate(actor.action_ids):
                cols[f"{actor.id}.{a}"] = counts[:, j]
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)
