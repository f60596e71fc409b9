"""`ladder sweep`: simulate a scenario over a design of uncertain parameters, rank the
parameters by their influence on one outcome, and find the boxes of parameter space where the
outcome is high.

Each design point is the scenario file with the point's values put at their dotted paths, read
and validated exactly as `ladder run --set` does (`read_scenario(path, overrides)`), then a
full Monte Carlo run. Before anything runs, every parameter is tried at both ends of its range
on its own, so a range that breaks the scenario is reported at once, naming the path.

Seeds: by default every point runs from the same seed (common random numbers), so run i of
every point shares its random numbers and differences between points are mostly the
parameters' doing; any point is reproduced by `ladder run --set PATH=VALUE ... --runs R
--seed S`. With `seeds="independent"`, point i runs from a seed drawn from child i of the
third of `SeedSequence(seed).spawn(4)`. Either way the numbers do not depend on `jobs` or the
scheduler.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..engine import memory
from ..engine.intervals import proportion
from ..engine.workers import PointCounts, PointTask, run_points
from ..errors import InputError
from ..format.check import suggest
from ..format.scenario import Scenario, read_scenario
from .designs import DEFAULT_POINTS, Axis, Design, check_design, make_design, parse_vary
from .points import check_ranges, load_point
from .prim import CHECK, Box, prim
from .sensitivity import Ranking, rank

__all__ = ["Discovery", "Outcome", "SweepResult", "default_outcome", "discover",
           "parse_outcome", "parse_vary", "sweep"]

DEFAULT_RUNS = 1000
SEED_MODES = ("common", "independent")


# -- outcomes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What a sweep measures at each point: P(reach a stage), P(end in a stage), P(absorbed).

    Attributes:
        kind: "reach", "final" or "absorbed".
        stage: the stage id (None for absorbed).
        ladder: the key of the coupled ladder the stage is on (None: the main ladder).
        index: the stage's index in its ladder (None for absorbed).
    """

    kind: str
    stage: str | None = None
    ladder: str | None = None
    index: int | None = field(default=None, compare=False)

    def __str__(self) -> str:
        if not self.stage:
            return self.kind
        return f"{self.kind}:{self.ladder}:{self.stage}" if self.ladder else \
            f"{self.kind}:{self.stage}"

    @property
    def label(self) -> str:
        """As printed: `P(reach mp_crisis)`, `P(final peacetime)`, `P(absorbed)`, and for a
        coupled ladder `P(reach nato:article_4)`."""
        if not self.stage:
            return "P(absorbed)"
        return f"P({self.kind} {self.ladder + ':' if self.ladder else ''}{self.stage})"

    def hits(self, counts: PointCounts, stage_ids: Sequence[str]) -> int:
        """Runs of a point with the outcome (`stage_ids`: the main ladder's)."""
        if self.kind == "absorbed":
            return counts.absorbed
        assert self.stage is not None  # only "absorbed" names no stage
        peak, final = (counts.peak, counts.final) if self.ladder is None \
            else counts.ladders[self.ladder]
        i = list(stage_ids).index(self.stage) if self.index is None else self.index
        return int(peak[i:].sum() if self.kind == "reach" else final[i])


def default_outcome(scenario: Scenario) -> Outcome:
    """reach:<the highest non-absorbing stage above the start>: the last rung before a run
    can end, and so more often reached (better estimated) than the absorbing stages above it.
    If every stage above the start is absorbing, the lowest of them."""
    stages = scenario.ladder.stages
    start = scenario.ladder.stage_ids.index(scenario.start)
    above = stages[start + 1:]
    open_ = [s for s in above if not s.absorbing]
    pick = open_[-1] if open_ else (above[0] if above else stages[-1])
    return Outcome("reach", pick.id)


def parse_outcome(text: str | None, scenario: Scenario, what: str = "--outcome") -> Outcome:
    """`reach:<stage>`, `final:<stage>` or `absorbed`, and with coupled ladders
    `reach:<key>:<stage>` and `final:<key>:<stage>` (`<key>` may also be the main ladder's);
    None gives `default_outcome`. `what` names the outcome in messages (`--outcome` for the
    command, `outcome` for `sim.ema`).

    Raises:
        InputError: an unknown form, ladder key or stage, with a "did you mean".
    """
    if text is None:
        return default_outcome(scenario)
    kind, sep, stage = text.partition(":")
    if text == "absorbed":
        return Outcome("absorbed")
    forms = "reach:<stage>, final:<stage> or absorbed"
    keys = [c.key for c in scenario.coupled]
    if keys:
        forms = f"reach:<stage>, final:<stage>, reach:<ladder>:<stage>, final:<ladder>:<stage> " \
                f"(ladders: {', '.join([scenario.key, *keys])}) or absorbed"
    if kind not in ("reach", "final") or not sep:
        raise InputError(f"{what} {text!r}: expected {forms}")
    key, sep, rest = stage.partition(":")
    ladder, name = scenario.ladder, None
    if sep:
        ladders = {scenario.key: scenario.ladder, **{c.key: c.ladder for c in scenario.coupled}}
        if key not in ladders:
            where = (f"the scenario's ladders are {', '.join(ladders)}" if keys else
                     f"the scenario has one ladder (key {scenario.key}): use {kind}:<stage>")
            raise InputError(f"{what} {text}: unknown ladder '{key}'{suggest(key, ladders)} "
                             f"({where})")
        ladder, stage = ladders[key], rest
        name = key if key != scenario.key else None
    ids = ladder.stage_ids
    if stage not in ids:
        raise InputError(f"{what} {text}: unknown stage '{stage}'{suggest(stage, ids)} "
                         f"(ladder {ladder.id} has: {', '.join(ids)})")
    return Outcome(kind, stage, name, ids.index(stage))


# -- the result ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Discovery:
    """Where the outcome is high.

    Attributes:
        threshold: a point is high when its outcome exceeds this.
        rule: how the threshold was chosen ("given" or "mean of the points").
        high: how many points are high.
        boxes: PRIM's boxes, best first (empty: none denser than the whole space).
        check: how each limit of a box was checked against chance (`sim.explore.prim.CHECK`).
    """

    threshold: float
    rule: str
    high: int
    boxes: list[Box]
    check: str = CHECK

    def to_dict(self) -> dict:
        return {"threshold": round(self.threshold, 10), "threshold_rule": self.rule,
                "points_above": self.high, "check": self.check,
                "boxes": [b.to_dict() for b in self.boxes]}


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep.

    Attributes:
        scenario: the scenario as in its file (with the fixed `--set` values).
        axes: the varied parameters.
        design: the design that was run.
        outcome: what was measured.
        runs: runs per point.
        seed: the root seed.
        seeds: "common" or "independent".
        point_seeds: (points,) the seed each point ran from.
        counts: one PointCounts per point, in design order.
        ranking: the parameters, most influential first.
        discovery: PRIM's boxes.
        seconds: wall-clock time of the simulation.
        where: how the points ran, e.g. "2 local processes" or "Dask tcp://...".
    """

    scenario: Scenario
    axes: list[Axis]
    design: Design
    outcome: Outcome
    runs: int
    seed: int
    seeds: str
    point_seeds: np.ndarray
    counts: list[PointCounts]
    ranking: Ranking
    discovery: Discovery
    seconds: float
    where: str

    @property
    def hits(self) -> np.ndarray:
        """(points,) runs with the outcome at each point."""
        ids = self.scenario.ladder.stage_ids
        return np.array([self.outcome.hits(c, ids) for c in self.counts])

    @property
    def n(self) -> np.ndarray:
        """(points,) runs at each point."""
        return np.array([c.n for c in self.counts])

    @property
    def y(self) -> np.ndarray:
        """(points,) the outcome at each point."""
        return self.hits / self.n

    def values(self) -> np.ndarray:
        """(points, parameters) the values that went into the scenario (integers rounded)."""
        return design_values(self.axes, self.design)

    def to_frame(self) -> pd.DataFrame:
        """One row per point: its values, seed, runs, hits, and the outcome with its Wilson
        95% interval (`p`, `lo`, `hi`, `se`)."""
        frame = pd.DataFrame(self.values(), columns=[a.name for a in self.axes])
        frame.insert(0, "point", np.arange(len(frame)))
        frame["seed"] = self.point_seeds
        frame["runs"] = self.n
        frame["hits"] = self.hits
        rows = [proportion(int(h), int(n)) for h, n in zip(self.hits, self.n, strict=True)]
        for key in ("p", "lo", "hi", "se"):
            frame[key] = [r[key] for r in rows]
        return frame

    def to_dict(self) -> dict:
        """The JSON of `ladder sweep --json` (see docs/sweep.md)."""
        y = self.y
        frame = self.to_frame()
        names = [a.name for a in self.axes]
        points = [{"values": {k: _num(row[k]) for k in names}, "seed": int(row["seed"]),
                   "runs": int(row["runs"]), "hits": int(row["hits"]),
                   "p": row["p"], "lo": row["lo"], "hi": row["hi"], "se": row["se"]}
                  for row in frame.to_dict("records")]
        sc = self.scenario
        return {
            "scenario": sc.id, "ladder": sc.ladder.id, "outcome": str(self.outcome),
            "outcome_label": self.outcome.label, "design": self.design.name,
            "points_option": self.design.k, "points": len(self.counts),
            "runs_per_point": self.runs, "seed": self.seed, "seeds": self.seeds,
            "parameters": [{"name": a.name, "path": a.path, "low": a.low, "high": a.high,
                            "integer": a.integer} for a in self.axes],
            "overall": {"mean": round(float(y.mean()), 10), "min": round(float(y.min()), 10),
                        "max": round(float(y.max()), 10)},
            "sensitivity": self.ranking.to_dict(),
            "discovery": self.discovery.to_dict(),
            "results": points,
            "provenance": {"version": __version__, "seed": self.seed,
                           "scenario_file": sc.path, "scenario_sha256": sc.sha256,
                           "ladder_file": sc.ladder.path, "ladder_sha256": sc.ladder.sha256,
                           "overrides": [f"{p}={v}" for p, v in sc.overrides]},
            "timing": {"seconds": round(self.seconds, 3), "where": self.where},
        }


def design_values(axes: Sequence[Axis], design: Design) -> np.ndarray:
    """(points, parameters) the values that go into the scenario (integers rounded)."""
    return np.array([[a.value(v) for a, v in zip(axes, row, strict=True)]
                     for row in design.sample], dtype=float)


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


# -- the sweep -------------------------------------------------------------------------------
def sweep(path: str | Path, axes: Sequence[Axis], design: str = "lhs", points: int | None = None,
          runs: int = DEFAULT_RUNS, outcome: str | Outcome | None = None,
          seed: int | None = None, seeds: str = "common", threshold: float | None = None,
          jobs: int | None = None, scheduler: str | None = None,
          fixed: dict[str, object] | None = None, progress: bool = False,
          max_memory: float | None = None) -> SweepResult:
    """Simulate a scenario at every point of a design and analyse the outcome.

    Args:
        path: the scenario file.
        axes: the varied parameters (`parse_vary`).
        design: grid, lhs, morris or sobol (see `sim.explore.designs.make_design`).
        points: the design's size figure (default per design: DEFAULT_POINTS).
        runs: runs per point.
        outcome: `reach:<stage>`, `final:<stage>`, `absorbed`, or None for the default.
        seed: root seed (default: the scenario's seed).
        seeds: "common" (every point from `seed`) or "independent".
        threshold: a point is "high" when its outcome exceeds this (default: the mean over
            the points).
        jobs: local worker processes (default 1), or the workers of a Dask LocalCluster
            (default 2).
        scheduler: None (local processes), "local" (a Dask LocalCluster started here) or the
            address of a running Dask scheduler.
        fixed: `--set` values applied at every point.
        progress: show a progress bar on stderr.
        max_memory: the bound, in bytes, on the memory estimate of the points running at
            once here (one chunk of the model per local worker; see
            `sim.engine.runner.run`).

    Raises:
        InputError, ValidationError: bad options, paths or ranges, or a memory estimate
            above `max_memory`, before anything runs.
    """
    path, fixed = str(path), dict(fixed or {})
    for a in axes:
        if a.path in fixed:
            raise InputError(f"--vary {a.path}: also given with --set; drop one")
    k = DEFAULT_POINTS[design] if points is None and design in DEFAULT_POINTS else points
    check_design(design, len(axes), k if k is not None else 0)
    assert k is not None  # None only for an unknown design, which check_design refused
    if not 1 <= runs <= 10_000_000:
        raise InputError(f"--runs-per-point must be from 1 to 10,000,000, got {runs}")
    if seeds not in SEED_MODES:
        raise InputError(f"seeds must be one of {', '.join(SEED_MODES)}, got {seeds!r}")
    if threshold is not None and not 0 <= threshold <= 1:
        raise InputError(f"--threshold must be a probability from 0 to 1, got {threshold}")
    jobs = jobs if jobs is not None else (2 if scheduler == "local" else 1)
    if jobs < 1:
        raise InputError(f"--jobs must be >= 1, got {jobs}")
    base = read_scenario(path, fixed, source="--set")[0]
    seed = base.seed if seed is None else seed
    if seed < 0:
        raise InputError(f"--seed must be >= 0, got {seed}")
    outcome = outcome if isinstance(outcome, Outcome) else parse_outcome(outcome, base)
    here = 1 if scheduler not in (None, "local") else jobs  # a remote cluster's workers: one
    memory.check(memory.estimate([base], runs, here, keep_runs=False), max_memory)
    check_ranges(path, axes, fixed)
    design_seed, analysis_seed, points_seed, prim_seed = np.random.SeedSequence(seed).spawn(4)
    plan = make_design(design, axes, k, _int(design_seed))
    if seeds == "common":
        point_seeds = np.full(plan.n, seed, dtype=np.int64)
    else:
        point_seeds = np.array([_int(s) for s in points_seed.spawn(plan.n)], dtype=np.int64)

    def tasks() -> Iterator[PointTask]:
        for i, row in enumerate(plan.sample):
            where = "at sweep point " + ", ".join(
                f"{a.name}={a.value(v):g}" for a, v in zip(axes, row, strict=True))
            yield PointTask(i, load_point(path, axes, row, fixed, where), runs,
                            int(point_seeds[i]))

    started = time.perf_counter()
    counts = run_points(tasks(), plan.n, jobs, scheduler, progress)
    seconds = time.perf_counter() - started
    where = (f"{jobs} local process{'es' if jobs > 1 else ''}" if scheduler is None
             else f"Dask LocalCluster, {jobs} workers" if scheduler == "local"
             else f"Dask {scheduler}")
    ids = base.ladder.stage_ids
    y = np.array([outcome.hits(c, ids) / c.n for c in counts])
    ranking = rank(plan, axes, y, _int(analysis_seed), np.array([c.n for c in counts]), seeds)
    discovery = discover(design_values(axes, plan), y, axes, threshold, _int(prim_seed))
    return SweepResult(base, list(axes), plan, outcome, runs, seed, seeds, point_seeds, counts,
                       ranking, discovery, seconds, where)


def discover(x: np.ndarray, y: np.ndarray, axes: Sequence[Axis],
             threshold: float | None = None, seed: int = 0) -> Discovery:
    """PRIM over the design points: boxes where the outcome exceeds the threshold (default:
    the mean over the points); `seed` draws the permutations that check each limit."""
    rule = "given"
    if threshold is None:
        threshold, rule = float(y.mean()), "mean of the points"
    high = y > threshold
    boxes = prim(x, high, [a.name for a in axes], y, seed=seed) if high.any() else []
    return Discovery(threshold, rule, int(high.sum()), boxes)


def _int(seq: np.random.SeedSequence) -> int:
    """A 32-bit seed drawn from a SeedSequence (for SALib, scipy, and `ladder run --seed`)."""
    return int(seq.generate_state(1)[0])

