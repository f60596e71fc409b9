"""Run an ensemble in fixed-size chunks, in this process or in worker processes.

Chunk k always holds runs k*CHUNK .. and draws from `SeedSequence(seed).spawn(...)[k]`, so the
same scenario and seed give the same numbers whatever the number of workers. Chunks are
merged in chunk order and only their aggregates are kept (unless per-run rows are asked
for), so memory does not grow with the number of runs.
"""

from __future__ import annotations

import functools
import multiprocessing
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field

import mesa
import numpy as np
import pandas as pd

from .. import __version__
from ..errors import InputError
from ..format.scenario import MAX_RUNS, Scenario
from . import assumptions, coupled, memory
from .folder import signals_held
from .frames import Tables
from .model import TENSION_QUANTILES, EscalationModel
from .moves import moves_table
from .notes import StepNote
from .observations import observations_table
from .outcomes import CHUNK, ChunkResult, Totals, collect, summarise, summarise_ladders
from .precision import NAMES, Plan, block
from .tables import runs_table

DEFAULT_MAX_RUNS = 1_000_000  # the cap in precision mode unless runs are given
Sink = Callable[[ChunkResult], None]  # takes a chunk's per-run rows (`run`'s `sink`)


@dataclass(repr=False)
class RunResult(Tables):
    """What `run` returns. `repr` is one line; in Jupyter it shows as a table of P(reach) and
    P(final) with intervals. `summary_frame()`, `occupancy_frame()` and `incidence_frame()`
    give tidy frames (`sim.engine.frames`; docs/python.md).

    Attributes:
        summary: the summary dict (`ladder run --json`, `summary.json`).
        occupancy: DataFrame, one row per step, one column per stage: share of runs there.
        incidence: DataFrame, one row per step, one column per stage: share of runs that
            have reached the stage (or a higher one) by that step.
        mean_tension: Series of mean tension per step.
        partial: True when interrupted before every chunk finished.
        notes: the step-by-step story of run 0 when traced.
        totals: the merged aggregates (and per-run arrays when kept).
        scenario: the scenario that was run.
        tension_bands: DataFrame, one row per step, tension quantiles (q05 .. q95) across
            the runs of the first chunk (the first 10,000 runs at most).
        planned: the runs asked for (the cap in precision mode); `summary["runs"]` is
            fewer when the run was interrupted.
        coupled_occupancy, coupled_incidence: each coupled ladder's occupancy and incidence,
            by key, shaped as `occupancy` (empty for one ladder).
    """

    summary: dict
    occupancy: pd.DataFrame
    incidence: pd.DataFrame
    mean_tension: pd.Series
    partial: bool
    notes: list[StepNote] | None
    totals: Totals
    scenario: Scenario
    tension_bands: pd.DataFrame | None = None
    planned: int | None = None
    coupled_occupancy: dict[str, pd.DataFrame] = field(default_factory=dict)
    coupled_incidence: dict[str, pd.DataFrame] = field(default_factory=dict)

    @functools.cached_property
    def runs(self) -> pd.DataFrame | None:
        """One row per run (see docs/results.md), or None unless run with `keep_runs` (and
        not streamed to a folder: `sink`)."""
        return runs_table(self.scenario, self.totals) if self._rows else None

    @property
    def _rows(self) -> bool:
        """Whether every per-run array was kept (not only the outcomes compare pairs on)."""
        return bool(self.totals.per_run) and "moves" in self.totals.per_run[0]

    @functools.cached_property
    def moves(self) -> pd.DataFrame | None:
        """One row per stage move of each run, with its step and cause (docs/results.md,
        moves.csv), or None unless run with `keep_runs`."""
        return moves_table(self.scenario, self.totals) if self._rows else None

    @functools.cached_property
    def observations(self) -> pd.DataFrame | None:
        """One row per run and period of the scenario's `observe:` quantities (columns run,
        period 'YYYY-MM', then each quantity; docs/results.md, observations.csv), or None
        without `observe:` or unless run with `keep_runs`."""
        if self.scenario.observe is None or not self._rows:
            return None
        return observations_table(self.scenario, self.totals)


def chunk_sizes(runs: int) -> list[int]:
    """Sizes of the chunks that make up `runs` runs."""
    full, rest = divmod(runs, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


def run_chunk(scenario: Scenario, index: int, n: int, seed: np.random.SeedSequence,
              keep: str | None = None, trace: bool = False, traced: int = 0) -> ChunkResult:
    """Simulate one chunk of `n` runs to the horizon, keeping per-run rows as `keep` says
    (`sim.engine.outcomes.per_run_arrays`; None: none), with `trace` the story of its run
    `traced`."""
    model = EscalationModel(scenario, n=n, rng=seed, trace=trace, bands=index == 0)
    model.traced = traced
    if keep == "all":
        for track in model.tracks:
            track.log = []
    else:
        model.observer = None  # `observe:` records are read only with the runs
    model.run_to_end()
    result = collect(model, index, keep)
    model.release()
    return result


def ignore_sigint() -> None:
    """Pool initializer: workers leave Ctrl-C to the parent, which stops them and keeps the
    finished chunks, and die on SIGTERM (the parent's handler, if it set one, is not
    theirs)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def worker_context() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it: workers start at once, with nothing to re-import."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _in_order(tasks: Iterator[tuple], jobs: int) -> Generator[ChunkResult, None, None]:
    """Run `run_chunk(*task)` for each task and yield the results in task order.

    With several jobs, at most jobs + 1 tasks are in flight, so an open-ended stream of tasks
    (precision mode) wastes at most that many chunks when the consumer stops; closing the
    generator (or Ctrl-C) terminates the workers at once.
    """
    if jobs == 1:
        for task in tasks:
            yield run_chunk(*task)
        return
    pool = worker_context().Pool(jobs, initializer=ignore_sigint)
    pending: deque = deque()
    finished = False
    try:
        for task in tasks:
            pending.append(pool.apply_async(run_chunk, task))
            if len(pending) > jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        finished = True
    finally:
        if finished:
            pool.close()
        else:
            pool.terminate()  # stopped early: chunks still running are not wanted
        pool.join()


def run(scenario: Scenario, runs: int | None = None, seed: int | None = None, jobs: int = 1,
        keep_runs: bool = True, trace: bool = False, progress: bool = False,
        precision: float | None = None, max_memory: float | None = None,
        watch: str | None = None, trace_run: int | None = None,
        precision_on: str = "reach", scheduler: str | None = None,
        sink: Sink | None = None) -> RunResult:
    """Simulate `runs` runs of a scenario and summarise them.

    Args:
        scenario: a loaded scenario (`sim.load_scenario`).
        runs: number of runs (default: the scenario's `runs`); with `precision`, the cap.
        seed: root seed (default: the scenario's `seed`).
        jobs: worker processes (1: in this process). Results do not depend on it.
        keep_runs: keep one row per run in `result.runs`.
        trace: keep the story of the first run (`result.notes`).
        progress: show a progress bar on stderr.
        precision: if given, add chunks of runs until every P(reach) interval half-width is
            at most this (or `runs` is reached); `summary["precision"]` says how it went.
        precision_on: what `precision` targets: `reach` (every P(reach)) or `final`
            (every P(final)); `diff` needs several variants (`ladder compare`).
        max_memory: the most memory in bytes the run may need by its estimate
            (`sim.engine.memory`; default: 4 GiB or half the physical memory, whichever is
            less; `math.inf`: no bound).
        watch: the main-ladder stage whose P(reach) `summary["assumptions"]` measures
            (default: `sim.engine.assumptions.WATCH_RULE`).
        trace_run: keep the story of run `trace_run` of the ensemble (from 0; its chunk is
            simulated whole, so the story is that of row `trace_run` of `result.runs`).
        scheduler: run the chunks on Dask instead ("local": a LocalCluster of `jobs` worker
            processes; "tcp://HOST:PORT": a running scheduler); the same numbers.
        sink: with `keep_runs`, each chunk's per-run rows go to `sink(chunk)` as the chunk
            is merged, in chunk order, and are not kept (`result.runs` is None): how
            `ladder run --out` writes its tables chunk by chunk (`sim.engine.stream`).

    Returns:
        A RunResult. If interrupted (Ctrl-C), the finished chunks are summarised and
        `partial` is True.

    Raises:
        InputError: bad arguments, an unknown `watch` stage, or a run whose memory estimate
            is above `max_memory` (before anything runs).
    """
    seed = scenario.seed if seed is None else seed
    cap = (DEFAULT_MAX_RUNS if precision is not None else scenario.runs) if runs is None else runs
    if watch is not None:
        assumptions.watched(scenario.ladder.stage_ids, scenario.start, np.zeros(0), 0, watch)
    if trace_run is not None and not 0 <= trace_run < cap:
        raise InputError(f"--trace-run {trace_run}: the ensemble has runs 0 to {cap - 1}")
    return run_many([scenario], [seed], Plan(cap, precision, precision_on), jobs, keep_runs,
                    trace, progress, max_memory, watch=watch, trace_run=trace_run,
                    scheduler=scheduler, sinks=None if sink is None else [sink])[0]


def run_many(scenarios: Sequence[Scenario], seeds: Sequence[int], plan: Plan, jobs: int = 1,
             keep_runs: bool = True, trace: bool = False, progress: bool = False,
             max_memory: float | None = None, table: bool = True,
             watch: str | None = None, trace_run: int | None = None,
             scheduler: str | None = None, sinks: Sequence[Sink] | None = None
             ) -> list[RunResult]:
    """Simulate several scenarios in lockstep: chunk k of every scenario before chunk k + 1.

    Scenario i draws chunk k from `SeedSequence(seeds[i]).spawn(...)[k]`, exactly as a run
    on its own does. In precision mode the stopping rule is checked after each whole round
    of chunks, in chunk order, so the number of runs does not depend on `jobs` either.
    Before anything runs, the memory estimate is checked against `max_memory` (see `run`);
    `table` says whether the per-run table (`RunResult.runs`) will be built from kept runs
    (False: only the outcome arrays `ladder compare` pairs runs on are kept); `sinks` take
    each scenario's chunks instead of keeping them (see `run`);
    `watch` is the stage the assumptions are measured on, `trace_run` the run whose story is
    kept instead of run 0's (see `run`), `scheduler` a Dask cluster to run the chunks on.
    """
    _check(plan, seeds, jobs)
    sizes = chunk_sizes(plan.runs)
    workers = min(jobs, len(sizes) * len(scenarios))
    memory.check(memory.estimate(scenarios, plan.runs, workers, keep_runs, table,
                                 streamed=sinks is not None), max_memory)
    keep = ("all" if table else "outcomes") if keep_runs else None
    roots = [np.random.SeedSequence(s) for s in seeds]
    totals = [Totals() for _ in scenarios]

    def tasks() -> Iterator[tuple]:
        for k, n in enumerate(sizes):
            for scenario, root in zip(scenarios, roots, strict=True):
                if trace_run is None:
                    yield (scenario, k, n, root.spawn(1)[0], keep, trace and k == 0)
                else:
                    yield (scenario, k, n, root.spawn(1)[0], keep,
                           k == trace_run // CHUNK, trace_run % CHUNK)

    started = time.perf_counter()
    bar = _bar(scenarios, plan) if progress else None
    partial = False
    if scheduler is None:
        results = _in_order(tasks(), workers)
    else:
        from .workers import chunks_on_dask  # workers imports this module

        results = chunks_on_dask(tasks(), jobs, scheduler)
    round_: list[ChunkResult] = []  # merged only when every scenario has its chunk k
    try:
        for chunk in results:
            round_.append(chunk)
            if len(round_) < len(scenarios):
                continue
            _merge(totals, round_, sinks)
            round_ = []
            if bar is not None:
                bar.update(totals[0].n * len(scenarios) - bar.n)
            if plan.precision is not None:
                worst = plan.widest(totals)
                if bar is not None:
                    bar.set_postfix_str(f"widest half-width {100 * worst:.2f} points")
                if worst <= plan.precision:
                    break
    except KeyboardInterrupt:
        partial = True
        if totals[0].n == 0:
            raise
    finally:
        results.close()  # stops the worker pool, even when Ctrl-C came between chunks
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started
    rule = plan.widest(totals) if plan.precision is not None else None
    out = [_result(sc, t, seed, root, jobs, seconds, partial, plan, watch, rule)
           for sc, t, seed, root in zip(scenarios, totals, seeds, roots, strict=True)]
    for r in out if scheduler is not None else ():  # where the chunks ran: timing only
        r.summary["timing"]["scheduler"] = scheduler
    return out


def _merge(totals: Sequence[Totals], round_: Sequence[ChunkResult],
           sinks: Sequence[Sink] | None) -> None:
    """Add each scenario's chunk to its totals, its per-run rows first to its sink; Ctrl-C
    and SIGTERM wait until both are done, so what was written matches what was merged."""
    if sinks is None:
        for t, c in zip(totals, round_, strict=True):
            t.add(c)
        return
    with signals_held():
        for t, c, sink in zip(totals, round_, sinks, strict=True):
            sink(c)
            c.per_run = None
            t.add(c)


def _check(plan: Plan, seeds: Sequence[int], jobs: int) -> None:
    if not 1 <= plan.runs <= MAX_RUNS:
        raise InputError(f"runs must be from 1 to {MAX_RUNS:,}, got {plan.runs}")
    if plan.precision is not None and not 0 < plan.precision < 0.5:
        raise InputError(f"precision must be a half-width between 0 and 0.5 (e.g. 0.005 for "
                         f"+/-0.5 points), got {plan.precision}")
    for seed in seeds:
        if seed < 0:
            raise InputError(f"seed must be >= 0, got {seed}")
    if jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}")
    plan.check()


def _bar(scenarios: Sequence[Scenario], plan: Plan):
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked
    desc = scenarios[0].id if len(scenarios) == 1 else f"{len(scenarios)} scenarios"
    if plan.precision is not None:
        desc += f" to +/-{100 * plan.precision:g} points on {NAMES[plan.on]}"
    return tqdm(total=plan.runs * len(scenarios), unit="run", file=sys.stderr, leave=False,
                desc=desc, dynamic_ncols=True)


def provenance(scenario: Scenario, seed: int, runs: int, root: np.random.SeedSequence) -> dict:
    """Where the numbers come from: versions, seed, runs, file hashes."""
    prov = {"version": __version__, "seed": seed, "runs": runs,
            "scenario_sha256": scenario.sha256, "ladder_sha256": scenario.ladder.sha256,
            "mesa": mesa.__version__, "numpy": np.__version__,
            "chunk_size": CHUNK, "seed_entropy": str(root.entropy),
            "scenario_file": scenario.path, "ladder_file": scenario.ladder.path}
    if scenario.extends:
        prov["scenario_extends"] = list(scenario.extends)
    if scenario.posterior is not None:
        prov["posterior_file"] = scenario.posterior.path
        prov["posterior_sha256"] = scenario.posterior.sha256
    overrides = scenario.overrides
    if overrides:
        prov["overrides"] = [f"{path}={value}" for path, value in overrides]
    return prov


def _result(scenario: Scenario, totals: Totals, seed: int, root: np.random.SeedSequence,
            jobs: int, seconds: float, partial: bool, plan: Plan,
            watch: str | None = None, worst: float | None = None) -> RunResult:
    stage_ids = scenario.ladder.stage_ids
    summary = {"scenario": scenario.id, "ladder": scenario.ladder.id, "runs": totals.n,
               "seed": seed, "horizon": scenario.clock.horizon, "step": scenario.clock.step,
               "stages": list(stage_ids)}
    summary.update(summarise(totals, stage_ids, totals.n))
    if scenario.reads != "tension":  # what mean_tension and tension.csv hold
        summary["reads"] = scenario.reads
    if scenario.coupled:
        summary.update(summarise_ladders(totals, scenario))
    summary["provenance"] = provenance(scenario, seed, totals.n, root)
    if partial:
        summary["partial"] = True
    if worst is not None:
        summary["precision"] = block(plan, totals, worst,
                                     worst if plan.on == "diff" else None)
    assert totals.peak is not None  # set by the first chunk
    summary["assumptions"] = assumptions.summarise(
        totals.assumptions, stage_ids, scenario.start, totals.peak, totals.n, watch)
    summary["timing"] = {"seconds": round(seconds, 3), "jobs": jobs}
    # set by the first chunk: a run has at least one
    assert totals.occupancy is not None and totals.first is not None
    assert totals.tension_sum is not None
    steps = pd.RangeIndex(scenario.clock.horizon + 1, name="step")
    occupancy = pd.DataFrame(totals.occupancy / totals.n, index=steps, columns=list(stage_ids))
    incidence = pd.DataFrame(np.cumsum(totals.first, axis=1).T / totals.n, index=steps,
                             columns=list(stage_ids))
    mean_tension = pd.Series(totals.tension_sum / totals.n, index=steps, name="mean_tension")
    bands = None
    if totals.tension_bands is not None:
        bands = pd.DataFrame(totals.tension_bands, index=steps,
                             columns=[f"q{round(100 * q):02d}" for q in TENSION_QUANTILES])
    ladder_occupancy, ladder_incidence = coupled.step_tables(
        scenario, totals.coupled, totals.n, scenario.clock.horizon)
    return RunResult(summary, occupancy, incidence, mean_tension, partial, totals.notes,
                     totals, scenario, bands, plan.runs, ladder_occupancy, ladder_incidence)
