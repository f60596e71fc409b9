"""One ladder of an ensemble: its stage per run, how it moves, and its records.

A scenario has a main ladder and may couple further ones (`ladders:`); each is a `Track`.
Every step, part 6 of docs/format.md ("Semantics of one step"), each track first works out
its moves from the state as it is (`plan`: triggers, then thresholds on the variable it
reads, then hazards), and only then do all tracks move (`set_stage`), so that no ladder
sees another's move of the same step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..format.ladder import Ladder
from .assumptions import draw
from .notes import (
    ACTION_CODES,
    RULE_ACCIDENT,
    RULE_DOWN,
    RULE_JOINT,
    RULE_NAMES,
    RULE_TRIGGER,
    RULE_UP,
    Move,
    StepNote,
    cause_text,
)
from .perception import StateView

if TYPE_CHECKING:
    from .model import EscalationModel

NONE = -1


class MainLadder:
    """The main ladder's state and records, read on the model as they have always been
    (`model.stage` is `model.main.stage`, ...)."""

    stage = property(lambda self: self.main.stage)
    below = property(lambda self: self.main.below)
    rule = property(lambda self: self.main.rule)
    peak = property(lambda self: self.main.peak)
    first = property(lambda self: self.main.first)
    time_in = property(lambda self: self.main.time_in)
    entered = property(lambda self: self.main.entered)
    occupancy = property(lambda self: self.main.occupancy)
    start = property(lambda self: self.main.start)
    up = property(lambda self: self.main.up)
    absorbing = property(lambda self: self.main.absorbing)


class GuardView(StateView):
    """What a ladder's guards see: its own stage as `stage`, the variable it reads as
    `tension`, and `step` (a ladder file is a doctrine: it names no scenario's actors)."""

    def __init__(self, model: EscalationModel, track: Track):
        super().__init__(model)
        self._track = track

    @property
    def stage(self) -> np.ndarray:
        return self._track.stage

    @property
    def tension(self) -> np.ndarray:
        return self._model.value(self._track.reads)


class Track:
    """One ladder's state and records over the runs of an ensemble.

    Attributes:
        key: the ladder's key; `reads`: the variable its thresholds read; `ends_run`:
            whether entering an absorbing stage ends the run.
        stage, below, rule: per run: the stage index, steps in a row at or below `down`,
            and why the stage changed this step (a RULE_* code).
        peak, first, time_in, entered, occupancy: the records (see `EscalationModel`).
    """

    def __init__(self, model: EscalationModel, key: str, ladder: Ladder, start: str,
                 reads: str = "tension", ends_run: bool = True):
        self.model, self.key, self.ladder = model, key, ladder
        self.reads, self.ends_run = reads, ends_run
        n, stages = model.n, ladder.stages
        n_stages = len(stages)
        self.start = ladder.index(start)
        self.up = np.array([np.inf if s.up is None else s.up for s in stages])
        self.down = np.array([-np.inf if s.down is None else s.down for s in stages])
        self.dwell = np.array([s.dwell for s in stages])
        self.absorbing = np.array([s.absorbing for s in stages])
        self.edges = np.zeros((n_stages + 1, n_stages + 1), dtype=bool)  # +1: index -1 = none
        for i, s in enumerate(stages):
            for target in ladder.targets(s.id):
                self.edges[i, ladder.index(target)] = True
        self.guards = [(ladder.index(e.source), ladder.index(e.target), e.guard)
                       for e in ladder.edges if e.guard is not None]
        self._prepare_moves(n)
        self.guard_view = model.view if reads == "tension" else GuardView(model, self)
        self.stage = np.full(n, self.start)
        self.below = np.zeros(n, dtype=np.int64)
        self.rule = np.zeros(n, dtype=np.int8)
        self.cause = np.full(n, -1, dtype=np.int32)  # which actor, event or hazard: `log`
        self.log: list[np.ndarray] | None = None  # every move when kept (`run_chunk`)
        self.peak = self.stage.copy()
        self.first = np.full((n, n_stages), -1, dtype=np.int32)  # first step at stage >= s
        self.first[:, : self.start + 1] = 0
        self.time_in = np.zeros((n, n_stages), dtype=np.int32)
        self.entered = np.zeros(n, dtype=np.int32)
        self.occupancy = np.zeros((model.horizon + 1, n_stages), dtype=np.int64)
        self.occupancy[0] = np.bincount(self.stage, minlength=n_stages)
        self.hazards: list = []  # (at mask over stages, target, p per run, when), `add_hazard`
        self.drawn: tuple[np.ndarray, np.ndarray] | None = None  # `draw_thresholds`

    def _prepare_moves(self, n: int) -> None:
        """What `plan` looks up rather than recomputes each step: per stage the stage a
        threshold moves up and down to and whether that edge has a guard, which edges have
        guards, and the all-true answer of `guard_ok` off them."""
        n_stages = len(self.up)
        self.up_to = np.minimum(np.arange(n_stages) + 1, n_stages - 1)
        self.down_to = np.maximum(np.arange(n_stages) - 1, 0)
        self.guarded = np.zeros_like(self.edges)  # (stages + 1, stages + 1): -1 is none
        for a, b, _ in self.guards:
            self.guarded[a, b] = True
        self.up_guarded = self.guarded[np.arange(n_stages), self.up_to]
        self.down_guarded = self.guarded[np.arange(n_stages), self.down_to]
        self.unguarded = np.ones(n, dtype=bool)
        self.unguarded.flags.writeable = False
        self.triggering: list = []  # (index, agent) of the actors that can trigger here

    def find_triggers(self, actors: list) -> None:
        """Note which actors have an action that triggers a move on this ladder (`plan`
        asks only them)."""
        self.triggering = [(i, a) for i, a in enumerate(actors) if a.can_trigger(self.key)]

    def draw_thresholds(self) -> None:
        """Per-run `up` and `down` where the ladder file gives a distribution: (runs, stages)
        tables, drawn after every other draw and only for a ladder that has one."""
        stages = self.ladder.stages
        if not any(s.up_drawn or s.down_drawn for s in stages):
            return
        up, down = np.tile(self.up, (self.model.n, 1)), np.tile(self.down, (self.model.n, 1))
        for i, s in enumerate(stages):
            for table, dist, key in ((up, s.up_drawn, "up"), (down, s.down_drawn, "down")):
                if dist is not None:
                    path = f"ladders.{self.key}.stages.{s.id}.{key}"
                    table[:, i] = draw(self.model, replace(dist, path=path))
        self.drawn = (up, down)
        self.row_starts = np.arange(self.model.n) * len(stages)  # each run's row, read flat

    def thresholds(self, stage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each run's `up` and `down` at its stage `stage`."""
        if self.drawn is None:
            return self.up[stage], self.down[stage]
        cells = self.row_starts + stage  # (runs, stages) tables, read flat: a cheaper gather
        return self.drawn[0].reshape(-1)[cells], self.drawn[1].reshape(-1)[cells]

    def add_hazard(self, hazard) -> None:
        """Prepare a scenario hazard on this ladder (its p drawn per run)."""
        at = np.zeros(len(self.up), dtype=bool)
        at[[self.ladder.index(s) for s in hazard.at]] = True
        self.hazards.append((at, self.ladder.index(hazard.to),
                             draw(self.model, hazard.p), hazard.when))

    @property
    def arrays(self) -> list[tuple[np.ndarray, int]]:
        """Per-run state arrays with their run axis (for snapshots and forks; the drawn
        thresholds, `drawn`, are parameters: sim/engine/forking.py)."""
        return [(self.stage, 0), (self.below, 0), (self.rule, 0), (self.peak, 0),
                (self.first, 0), (self.time_in, 0), (self.entered, 0)]

    # -- moving ------------------------------------------------------------------------------
    def plan(self, note: StepNote | None) -> np.ndarray:
        """This step's new stage per run (triggers, thresholds, hazards); `rule` says why."""
        model, stage = self.model, self.stage
        if self.log is not None or note is not None:  # causes: move log and trace
            self.cause[:] = NONE
        found, blocked = self._triggered(note)
        triggered = None if found is None else (found[0] >= 0) & model.active
        free = model.active if triggered is None else model.active & ~triggered
        up_to, down_to = self.up_to[stage], self.down_to[stage]
        level = model.value(self.reads)
        at_up, at_down = self.thresholds(stage)
        up_ok = self.guard_ok(stage, up_to, self.up_guarded[stage])
        up = free & (level >= at_up) & up_ok
        self.below = np.where(free & (level <= at_down), self.below + 1, 0)
        down_ok = self.guard_ok(stage, down_to, self.down_guarded[stage])
        down = free & ~up & (self.below >= self.dwell[stage]) & down_ok
        new = stage + up - down  # up and down never both hold
        if found is not None and triggered is not None:
            new = np.where(triggered, found[0], new)
            self.rule[triggered] = RULE_TRIGGER
            self.rule[triggered & found[1]] = RULE_JOINT
        self.rule[up] = RULE_UP
        self.rule[down] = RULE_DOWN
        if self.hazards:
            new = self._accidents(new, free & ~up & ~down)
        if note is not None:
            r = model.traced
            on = "" if self is model.main else f" on ladder {self.key}"
            if blocked:
                note.blocked.append(f"a trigger{on} was blocked (no edge, or its guard did not "
                                    "hold)")
            if model.active[r]:
                note.near.setdefault(self.reads, []).extend([float(at_up[r]), float(at_down[r])])
            for going, ok, to in ((free & (level >= at_up), up_ok, up_to),
                                  (free & ~up & (self.below >= self.dwell[stage]), down_ok,
                                   down_to)):
                if going[r] and not ok[r]:
                    note.blocked.append(self._blocked(on, int(stage[r]), int(to[r])))
        return new

    def _triggered(self, note: StepNote | None
                   ) -> tuple[tuple[np.ndarray, np.ndarray] | None, bool]:
        """Part 6's triggers: per run the highest stage this step's actions trigger on this
        ladder whose edge exists and whose guard holds (-1: none), and whether a joint
        decision gave it (None when no action of this step triggers here); and whether a
        trigger of the traced run was blocked (when tracing)."""
        model, stage = self.model, self.stage
        target: np.ndarray | None = None
        joint = np.zeros(0, dtype=bool)
        blocked = False
        for i, agent in self.triggering:
            wanted, by_joint = agent.trigger_targets(self.key)
            wants = wanted >= 0
            if not wants.any():  # no effect on the target, the joint flags or the causes
                continue
            # Edge stage -> wanted in the flat (stages + 1)^2 tables; wanted -1 (none) lands
            # in the none column of the row before (or the none row): False in both tables.
            cells = stage * len(self.edges) + wanted
            ok = self.edges.reshape(-1)[cells]
            if self.guards:
                ok &= self.guard_ok(stage, wanted, self.guarded.reshape(-1)[cells])
            if note is not None:
                r = model.traced
                blocked |= bool(wants[r] and not ok[r] and model.active[r])
            if target is None:
                target, joint = np.full(model.n, NONE), np.zeros(model.n, dtype=bool)
            better = ok & (wanted > target)
            target = np.where(better, wanted, target)
            if self.log is not None or note is not None:
                self.cause[better] = i * ACTION_CODES + agent.choice[better]
            if by_joint is not None:
                joint = np.where(better, by_joint, joint)
        return (None if target is None else (target, joint)), blocked

    def _blocked(self, on: str, source: int, target: int) -> str:
        """The trace's line for a threshold move of the traced run that a guard stopped."""
        ids = self.ladder.stage_ids
        edge = self.ladder.edge(ids[source], ids[target])
        guard = f" '{edge.guard.text}'" if edge and edge.guard else ""
        way = "up" if target > source else "down"
        return (f"a threshold move{on} {way} to {ids[target]} was blocked (its guard{guard} "
                "did not hold)")

    def _accidents(self, new: np.ndarray, still: np.ndarray) -> np.ndarray:
        """Hazards, in file order, in runs no other rule moved: each draws one number per run
        every step (whatever the state, so the stream does not depend on it)."""
        model = self.model
        for i, (at, to, p, when) in enumerate(self.hazards):
            u = model.rng.random(model.n)
            hit = still & at[self.stage] & (u < p)
            if when is not None and hit.any():
                hit &= when.evaluate(model.view)
            hit &= self.guard_ok(self.stage, to)
            if hit.any():
                new = np.where(hit, to, new)
                self.rule[hit] = RULE_ACCIDENT
                self.cause[hit] = i
                still = still & ~hit
        return new

    def guard_ok(self, stage: np.ndarray, target: np.ndarray | int,
                 guarded: np.ndarray | None = None) -> np.ndarray:
        """Per run, whether the guard of the edge stage -> target holds (True off guarded
        edges). `guarded`: whether each run's edge has a guard, if the caller knows. The
        result may be a shared read-only array: do not write to it."""
        if not self.guards:
            return self.unguarded
        if guarded is None:
            guarded = self.guarded[stage, target]
        if not guarded.any():
            return self.unguarded
        ok = np.ones(self.model.n, dtype=bool)
        for a, b, guard in self.guards:
            on_edge = (stage == a) & (target == b)
            if on_edge.any():
                ok &= ~on_edge | guard.evaluate(self.guard_view)
        return ok

    def set_stage(self, new: np.ndarray, moved: np.ndarray, note: StepNote | None) -> None:
        """Move runs (where `moved`) to `new`, keeping the records up to date."""
        model = self.model
        rows = np.flatnonzero(moved & (new != self.stage))
        if rows.size:
            old = self.stage[rows]
            if self.log is not None:  # run, step, from, to, rule, cause (threshold: -1)
                self.log.append(np.column_stack([rows, np.full(rows.size, model.t), old,
                                                 new[rows], self.rule[rows],
                                                 self.cause[rows]]).astype(np.int32))
            self.time_in[rows, old] += model.t - self.entered[rows]
            self.entered[rows] = model.t
            r = model.traced
            if note is not None and moved[r] and new[r] != self.stage[r]:
                ids, rule = self.ladder.stage_ids, int(self.rule[r])
                note.moved.append(Move(self.key, ids[self.stage[r]], ids[new[r]],
                                       RULE_NAMES[rule], cause_text(
                                           model.scenario, self.key, rule, int(self.cause[r]))))
            self.stage[rows] = new[rows]
            self.below[rows] = 0
            peak_old = self.peak[rows]
            self.peak[rows] = np.maximum(peak_old, new[rows])
            for s in range(int(peak_old.min()) + 1, int(self.peak[rows].max()) + 1):
                newly = rows[(peak_old < s) & (self.peak[rows] >= s)]
                self.first[newly, s] = model.t
            if self.ends_run:
                ended = rows[self.absorbing[new[rows]]]
                model.active[ended] = False

    def record(self) -> None:
        self.occupancy[self.model.t] = np.bincount(self.stage, minlength=len(self.up))

    def finish(self) -> None:
        """Steps spent in the stage each unfinished run ends in."""
        model = self.model
        rows = np.flatnonzero(model.active)
        self.time_in[rows, self.stage[rows]] += model.t - self.entered[rows]
        self.entered[rows] = model.t

    def close(self, rows: np.ndarray) -> None:
        """Close the books of `rows`, runs another ladder ended this step: their time in this
        ladder's stage counted up to now."""
        model = self.model
        self.time_in[rows, self.stage[rows]] += model.t - self.entered[rows]
        self.entered[rows] = model.t
