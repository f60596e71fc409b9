"""Outcome records: what a chunk of runs produced, merged across chunks, and summarised."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .assumptions import Bins, chunk_bins
from .intervals import proportion, quantile_ranks
from .model import EscalationModel
from .notes import StepNote

CHUNK = 10_000  # runs per chunk: chunk k holds runs k * CHUNK onwards

# The columns of a chunk's move log (per_run["moves"]), one row per stage move of a run:
# run (in the chunk), step, from, to (stage indices), rule (RULE_*), cause (the actor,
# event or hazard index; -1 for a threshold), ladder (the track's index, 0: main).
MOVE_COLUMNS = ("run", "step", "from", "to", "rule", "cause", "ladder")


@dataclass
class LadderRecord:
    """One coupled ladder's aggregates in a chunk (they add up across chunks)."""

    peak: np.ndarray
    final: np.ndarray
    absorbed: int
    first: np.ndarray
    occupancy: np.ndarray

    def add(self, other: LadderRecord) -> LadderRecord:
        return LadderRecord(self.peak + other.peak, self.final + other.final,
                            self.absorbed + other.absorbed, self.first + other.first,
                            self.occupancy + other.occupancy)


def _first_histogram(first: np.ndarray, horizon: int) -> np.ndarray:
    out = np.zeros((first.shape[1], horizon + 1), dtype=np.int64)
    for s in range(first.shape[1]):
        col = first[:, s]
        out[s] = np.bincount(col[col >= 0], minlength=horizon + 1)
    return out


def _ladder_record(model: EscalationModel, track) -> LadderRecord:
    n_stages = len(track.up)
    occupancy = track.occupancy.copy()
    occupancy[model.t + 1:] = occupancy[model.t]
    return LadderRecord(np.bincount(track.peak, minlength=n_stages),
                        np.bincount(track.stage, minlength=n_stages),
                        int(track.absorbing[track.stage].sum()),
                        _first_histogram(track.first, model.horizon), occupancy)


def _endings(model: EscalationModel) -> dict[str, int]:
    """Runs ended in each run-ending stage, as `<key>:<stage>`: the absorbing stages of every
    ladder that ends runs."""
    out = {}
    for track in model.tracks:
        if not track.ends_run:
            continue
        counts = np.bincount(track.stage[~model.active], minlength=len(track.up))
        for i, s in enumerate(track.ladder.stage_ids):
            if track.absorbing[i]:
                out[f"{track.key}:{s}"] = int(counts[i])
    return out


@dataclass
class ChunkResult:
    """Aggregates of one chunk of runs (they add up across chunks), plus optional per-run rows.

    Attributes:
        index: the chunk number (its seed is spawn key `index` of the root SeedSequence).
        n: runs in the chunk.
        peak: (stages,) runs whose peak stage is each stage.
        final: (stages,) runs whose final stage is each stage.
        absorbed: runs that ended in an absorbing stage.
        first: (stages, horizon + 1) runs first reaching stage >= s at each step.
        occupancy: (horizon + 1, stages) runs in each stage at each step.
        tension_sum: (horizon + 1,) sum of tension over runs at each step.
        actions: actor id -> (actions,) total action counts (members for populations).
        steps: replica-steps simulated (runs x steps until absorption or horizon).
        decisions: agent decisions made (population members counted one by one).
        per_run: per-run arrays when asked for, else None.
        notes: the story of run 0 when traced, else None.
        tension_bands: (horizon + 1, quantiles) tension quantiles across the chunk's runs,
            when the model kept them (chunk 0), else None.
        coupled: each coupled ladder's aggregates, by key (none for one ladder).
        endings: with coupled ladders, runs ended in each run-ending stage (`key:stage`).
        assumptions: each drawn number's peaks in its lowest and highest fifth, by path
            (`sim.engine.assumptions`).
    """

    index: int
    n: int
    peak: np.ndarray
    final: np.ndarray
    absorbed: int
    first: np.ndarray
    occupancy: np.ndarray
    tension_sum: np.ndarray
    actions: dict[str, np.ndarray]
    steps: int
    decisions: int
    per_run: dict[str, np.ndarray] | None = None
    notes: list[StepNote] | None = None
    tension_bands: np.ndarray | None = None
    coupled: dict[str, LadderRecord] = field(default_factory=dict)
    endings: dict[str, int] = field(default_factory=dict)
    assumptions: dict[str, Bins] = field(default_factory=dict)


KEEP = ("outcomes", "all")  # what `collect` keeps per run: see `per_run_arrays`


def stage_int(stages: int) -> type[np.signedinteger]:
    """The compact integer type of a stage index (int8 up to 127 stages)."""
    return np.int8 if stages <= 127 else np.int16


def per_run_arrays(model: EscalationModel, keep: str) -> dict:
    """A finished model's per-run rows, in compact integer types.

    `keep="outcomes"` is what `ladder compare` pairs runs on: peak, final (int8 stage
    indices), first (int32 step at each stage, -1: never), absorbed, and each coupled ladder's
    peak and final. `keep="all"` adds what the per-run table, moves.csv and observations.csv
    are made of: steps and time_in (int32), each actor's action counts (int32, runs x
    actions) and faces shown, the move log, the drawn numbers (float64) and the `observe:`
    records.
    """
    small = stage_int(len(model.ladder.stages))
    out: dict = {"peak": model.peak.astype(small), "final": model.stage.astype(small),
                 "absorbed": ~model.active, "first": model.first.copy()}
    for track in model.tracks[1:]:
        kind = stage_int(len(track.up))
        out[f"ladder:{track.key}"] = {"peak": track.peak.astype(kind),
                                      "final": track.stage.astype(kind)}
        if keep == "all":
            out[f"ladder:{track.key}"].update(first=track.first.copy(),
                                              time_in=track.time_in.copy())
    if keep == "outcomes":
        return out
    out["steps"] = model.time_in.sum(axis=1, dtype=np.int32)
    out["time_in"] = model.time_in.copy()
    for agent in model.actors:
        out[f"actions:{agent.actor.id}"] = agent.counts.T.astype(np.int32)
        if agent.signals is not None:
            out[f"shown:{agent.actor.id}"] = agent.shown_counts.T.astype(np.int32)
    logs = [np.column_stack([log, np.full(len(log), k, dtype=np.int32)])
            for k, track in enumerate(model.tracks) if track.log
            for log in [np.concatenate(track.log)]]
    out["moves"] = (np.concatenate(logs) if logs
                    else np.zeros((0, len(MOVE_COLUMNS)), dtype=np.int32))
    for path, (_, _, values) in model.drawn.items():
        out[f"drawn:{path}"] = values.astype(np.float64)
    if model.observer is not None:  # `observe:`: quantity -> (runs, periods)
        out["observations"] = model.observer.read()
    return out


def collect(model: EscalationModel, index: int, keep: str | None) -> ChunkResult:
    """Read the records of a finished model into a ChunkResult, with per-run rows as `keep`
    says (None: none; `per_run_arrays`)."""
    n_stages, horizon = len(model.ladder.stages), model.horizon
    first = _first_histogram(model.first, horizon)
    steps_per_run = model.time_in.sum(axis=1)
    per_run = per_run_arrays(model, keep) if keep is not None else None
    decisions = 0
    for agent in model.actors:
        if hasattr(agent, "size"):
            decisions += int((agent.size * steps_per_run).sum())
        else:
            decisions += int(steps_per_run.sum())
    # The model stops early when every run is absorbed; later steps keep their last state.
    occupancy = model.occupancy.copy()
    tension_sum = model.tension_sum.copy()
    occupancy[model.t + 1:] = occupancy[model.t]
    tension_sum[model.t + 1:] = tension_sum[model.t]
    bands = None
    if model.tension_bands is not None:
        bands = model.tension_bands.copy()
        bands[model.t + 1:] = bands[model.t]
    return ChunkResult(
        index=index, n=model.n,
        peak=np.bincount(model.peak, minlength=n_stages),
        final=np.bincount(model.stage, minlength=n_stages),
        absorbed=int((~model.active).sum()), first=first, occupancy=occupancy,
        tension_sum=tension_sum,
        actions={a.actor.id: a.counts.sum(axis=1) for a in model.actors},
        steps=int(steps_per_run.sum()), decisions=decisions, per_run=per_run,
        notes=model.notes, tension_bands=bands,
        coupled={t.key: _ladder_record(model, t) for t in model.tracks[1:]},
        endings=_endings(model) if len(model.tracks) > 1 else {},
        assumptions=chunk_bins(model),
    )


@dataclass
class Totals:
    """Running sums over merged chunks (merged in chunk order, so sums are reproducible)."""

    n: int = 0
    chunks: list[int] = field(default_factory=list)
    peak: np.ndarray | None = None
    final: np.ndarray | None = None
    absorbed: int = 0
    first: np.ndarray | None = None
    occupancy: np.ndarray | None = None
    tension_sum: np.ndarray | None = None
    actions: dict[str, np.ndarray] = field(default_factory=dict)
    steps: int = 0
    decisions: int = 0
    per_run: list[dict[str, np.ndarray]] = field(default_factory=list)
    notes: list[StepNote] | None = None
    tension_bands: np.ndarray | None = None
    coupled: dict[str, LadderRecord] = field(default_factory=dict)
    endings: dict[str, int] = field(default_factory=dict)
    assumptions: dict[str, Bins] = field(default_factory=dict)

    def add(self, c: ChunkResult) -> None:
        """Merge one chunk."""
        self.n += c.n
        self.chunks.append(c.index)
        for name in ("peak", "final", "first", "occupancy", "tension_sum"):
            mine = getattr(self, name)
            theirs = getattr(c, name)
            setattr(self, name, theirs.copy() if mine is None else mine + theirs)
        self.absorbed += c.absorbed
        for actor, counts in c.actions.items():
            self.actions[actor] = self.actions.get(actor, 0) + counts
        self.steps += c.steps
        self.decisions += c.decisions
        if c.per_run is not None:
            self.per_run.append(c.per_run)
        if c.notes is not None and self.notes is None:
            self.notes = c.notes
        if c.tension_bands is not None and self.tension_bands is None:
            self.tension_bands = c.tension_bands
        for key, record in c.coupled.items():
            mine = self.coupled.get(key)
            self.coupled[key] = record if mine is None else mine.add(record)
        for key, count in c.endings.items():
            self.endings[key] = self.endings.get(key, 0) + count
        for path, bins in c.assumptions.items():
            mine_bins = self.assumptions.get(path)
            self.assumptions[path] = bins if mine_bins is None else mine_bins.add(bins)


def step_quantile(hist: np.ndarray, q: float) -> int:
    """Smallest step t with at least a share q of the histogram's mass at steps <= t."""
    cum = np.cumsum(hist)
    return int(np.searchsorted(cum, q * cum[-1] - 1e-9 * cum[-1], side="left"))


def step_interval(hist: np.ndarray, q: float) -> list[int]:
    """The 95% interval for the q-quantile step of a histogram of steps (0 to its last):
    the steps of the order statistics `quantile_ranks` gives, with the histogram's ends
    (step 0, the horizon) where the sample has none low or high enough."""
    cum = np.cumsum(hist)
    m = int(cum[-1])
    j, k = quantile_ranks(m, q)
    lo = int(np.searchsorted(cum, j, side="left")) if j >= 1 else 0
    hi = int(np.searchsorted(cum, k, side="left")) if k <= m else len(hist) - 1
    return [lo, hi]


QUANTILES = (("median", 0.5), ("q25", 0.25), ("q75", 0.75))


def summarise(totals: Totals | LadderRecord, stage_ids: tuple[str, ...], n: int) -> dict:
    """The outcome summary: P(reach), P(final), time to each stage (median and quartiles of
    the first step among the runs that reached it, each with its 95% interval), share
    absorbed."""
    # set by the first chunk: a summary follows at least one
    assert totals.peak is not None and totals.final is not None and totals.first is not None
    reach_counts = np.cumsum(totals.peak[::-1])[::-1]  # runs whose peak >= s
    reach = {s: proportion(int(reach_counts[i]), n) for i, s in enumerate(stage_ids)}
    final = {s: proportion(int(totals.final[i]), n) for i, s in enumerate(stage_ids)}
    time_to: dict[str, dict[str, Any] | None] = {}
    for i, s in enumerate(stage_ids):
        hist = totals.first[i]
        reached = int(hist.sum())
        if reached == 0:
            time_to[s] = None
            continue
        entry: dict[str, Any] = {"reached": reached}
        entry.update({name: step_quantile(hist, q) for name, q in QUANTILES})
        entry.update({f"{name}_ci": step_interval(hist, q) for name, q in QUANTILES})
        time_to[s] = entry
    return {"reach": reach, "final": final, "time_to": time_to,
            "absorbed": proportion(totals.absorbed, n)}


def summarise_ladders(totals: Totals, scenario) -> dict:
    """With coupled ladders: each ladder's summary by key (the main one first, with its
    ladder id and stages), and the joint outcome: the share of runs ended in any run-ending
    stage, and in each."""
    n = totals.n
    out = {}
    ladders = [(scenario.key, scenario.ladder, totals)] + [
        (c.key, c.ladder, totals.coupled[c.key]) for c in scenario.coupled]
    for key, ladder, record in ladders:
        out[key] = {"ladder": ladder.id, "stages": list(ladder.stage_ids),
                    **summarise(record, ladder.stage_ids, n)}
        absorbing = [i for i, s in enumerate(ladder.stages) if s.absorbing]
        assert record.final is not None  # set by the first chunk
        out[key]["absorbed"] = proportion(int(record.final[absorbing].sum()), n)
    # runs that ended (by any ladder); a run can end in two ladders' stages in one step, so
    # the shares `by` stage may add up to more
    joint = {"ended": proportion(totals.absorbed, n),
             "by": {k: proportion(v, n) for k, v in totals.endings.items()}}
    return {"ladders": out, "joint": joint}
