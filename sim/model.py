"""The escalation model: one Mesa model steps an ensemble of N independent runs in lockstep.

Every piece of state is a numpy array with a leading run axis, and each agent chooses for
all runs at once; N = 1 is a single run. The step follows docs/format.md ("Semantics of one
step"): events, simultaneous choices, tension, then triggers before thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

from .agents import NONE, ActorAgent, PopulationAgent
from .distributions import sample
from .scenario import Scenario

# Why a run's stage changed in a step (see `EscalationModel.rule`).
RULE_NONE, RULE_UP, RULE_DOWN, RULE_TRIGGER, RULE_EVENT = 0, 1, 2, 3, 4
TENSION_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)  # the band kept when `bands` is asked for
RULE_NAMES = {RULE_UP: "threshold up", RULE_DOWN: "threshold down", RULE_TRIGGER: "trigger",
              RULE_EVENT: "event"}


class StateView:
    """What conditions see: stage, tension, step and every actor's last action."""

    def __init__(self, model: EscalationModel):
        self._model = model
        self.last: dict[str, np.ndarray] = {}

    @property
    def stage(self) -> np.ndarray:
        return self._model.stage

    @property
    def tension(self) -> np.ndarray:
        return self._model.tension

    @property
    def step(self) -> int:
        return self._model.t

    @property
    def n(self) -> int:
        return self._model.n


@dataclass
class StepNote:
    """What happened in run 0 during one step (kept only when tracing)."""

    step: int
    events: list[str] = field(default_factory=list)
    actions: dict[str, str] = field(default_factory=dict)
    tension: float = 0.0
    move: tuple[str, str, str] | None = None  # (from, to, rule)
    blocked: list[str] = field(default_factory=list)


class EscalationModel(mesa.Model):
    """An ensemble of `n` runs of a scenario.

    Args:
        scenario: the validated scenario.
        n: number of runs stepped together.
        rng: seed or `numpy.random.SeedSequence` for the model's generator.
        trace: keep a `StepNote` per step for run 0 (for `ladder run --trace`).
        bands: keep the TENSION_QUANTILES of tension across runs at every step.
    """

    def __init__(self, scenario: Scenario, n: int = 1, rng=None, trace: bool = False,
                 bands: bool = False):
        super().__init__(rng=rng)
        self.scenario = scenario
        self.ladder = ladder = scenario.ladder
        self.n = n
        self.horizon = scenario.clock.horizon
        self.run_index = np.arange(n)
        self.t = 0
        stages = ladder.stages
        n_stages = len(stages)
        self.start = ladder.index(scenario.start)
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
        # State (one entry per run).
        self.stage = np.full(n, self.start)
        self.tension = sample(scenario.initial_tension, self.rng, n)
        self.decay = sample(scenario.decay, self.rng, n)
        self.below = np.zeros(n, dtype=np.int64)  # consecutive steps at or below `down`
        self.active = np.ones(n, dtype=bool)
        self.rule = np.zeros(n, dtype=np.int8)
        self.view = StateView(self)
        self.actors: list[ActorAgent] = []  # in file order, as in self.agents
        for actor in scenario.actors:
            cls = PopulationAgent if actor.is_population else ActorAgent
            agent = cls(self, actor)
            self.view.last[actor.id] = agent.last
            self.actors.append(agent)
        self.events = [_PreparedEvent(self, e) for e in scenario.events]
        # Records.
        self.peak = self.stage.copy()
        self.first = np.full((n, n_stages), -1, dtype=np.int32)  # first step at stage >= s
        self.first[:, : self.start + 1] = 0
        self.time_in = np.zeros((n, n_stages), dtype=np.int32)
        self.entered = np.zeros(n, dtype=np.int32)
        self.occupancy = np.zeros((self.horizon + 1, n_stages), dtype=np.int64)
        self.occupancy[0] = np.bincount(self.stage, minlength=n_stages)
        self.tension_sum = np.zeros(self.horizon + 1)
        self.tension_sum[0] = self.tension.sum()
        self.tension_bands = np.zeros((self.horizon + 1, len(TENSION_QUANTILES))) if bands else None
        if bands:
            self.tension_bands[0] = np.quantile(self.tension, TENSION_QUANTILES)
        self.notes: list[StepNote] | None = [] if trace else None
        self.datacollector = mesa.DataCollector(model_reporters={
            "occupancy": lambda m: m.occupancy[m.t].tolist(),
            "mean_tension": lambda m: m.tension_sum[m.t] / m.n,
            "active": lambda m: int(m.active.sum()),
        })
        self.datacollector.collect(self)

    # -- one step ---------------------------------------------------------------------------
    def step(self) -> None:
        """Advance every active run by one step."""
        self.t += 1
        note = StepNote(self.t) if self.notes is not None else None
        self.rule[:] = RULE_NONE
        for event in self.events:
            event.apply(note)
        self.stage_run = self.stage * self.n + self.run_index  # column in (stages*runs)
        self.agents.do("choose")
        for agent in self.actors:
            np.copyto(agent.last, agent.choice)
        effects = sum(agent.effect for agent in self.actors)
        self.tension = np.where(self.active, self.decay * self.tension + effects, self.tension)
        self._move(note)
        self._record(note)
        self.datacollector.collect(self)
        if self.t >= self.horizon or not self.active.any():
            self.running = False

    def _move(self, note: StepNote | None) -> None:
        stage = self.stage
        blocked = np.zeros(self.n, dtype=bool)
        target = np.full(self.n, NONE)
        for agent in self.actors:
            wanted = agent.trigger_targets()
            ok = self.edges[stage, wanted] & self._guard_ok(stage, wanted)
            blocked |= (wanted >= 0) & ~ok & self.active
            target = np.where(ok & (wanted > target), wanted, target)
        triggered = (target >= 0) & self.active
        free = self.active & ~triggered
        up_to = np.minimum(stage + 1, len(self.up) - 1)
        up = free & (self.tension >= self.up[stage]) & self._guard_ok(stage, up_to)
        self.below = np.where(free & (self.tension <= self.down[stage]), self.below + 1, 0)
        down = (free & ~up & (self.below >= self.dwell[stage])
                & self._guard_ok(stage, np.maximum(stage - 1, 0)))
        new = np.where(triggered, target, np.where(up, stage + 1, np.where(down, stage - 1, stage)))
        self.rule[triggered] = RULE_TRIGGER
        self.rule[up] = RULE_UP
        self.rule[down] = RULE_DOWN
        if note is not None and blocked[0]:
            note.blocked.append("a trigger was blocked (no edge, or its guard did not hold)")
        self.set_stage(new, self.rule != RULE_NONE, note)

    def _guard_ok(self, stage: np.ndarray, target: np.ndarray) -> np.ndarray:
        ok = np.ones(self.n, dtype=bool)
        for a, b, guard in self.guards:
            on_edge = (stage == a) & (target == b)
            if on_edge.any():
                ok &= ~on_edge | guard.evaluate(self.view)
        return ok

    def set_stage(self, new: np.ndarray, moved: np.ndarray, note: StepNote | None) -> None:
        """Move runs (where `moved`) to `new`, keeping the records up to date."""
        rows = np.flatnonzero(moved & (new != self.stage))
        if rows.size:
            old = self.stage[rows]
            self.time_in[rows, old] += self.t - self.entered[rows]
            self.entered[rows] = self.t
            if note is not None and rows[0] == 0:
                rule = RULE_NAMES[int(self.rule[0])]
                ids = self.ladder.stage_ids
                note.move = (ids[old[0]], ids[new[0]], rule)
            self.stage[rows] = new[rows]
            self.below[rows] = 0
            peak_old = self.peak[rows]
            self.peak[rows] = np.maximum(peak_old, new[rows])
            for s in range(int(peak_old.min()) + 1, int(self.peak[rows].max()) + 1):
                newly = rows[(peak_old < s) & (self.peak[rows] >= s)]
                self.first[newly, s] = self.t
            ended = rows[self.absorbing[new[rows]]]
            self.active[ended] = False

    def _record(self, note: StepNote | None) -> None:
        n_stages = len(self.up)
        self.occupancy[self.t] = np.bincount(self.stage, minlength=n_stages)
        self.tension_sum[self.t] = self.tension.sum()
        if self.tension_bands is not None:
            self.tension_bands[self.t] = np.quantile(self.tension, TENSION_QUANTILES)
        if note is not None:
            note.tension = float(self.tension[0])
            note.actions = {a.actor.id: a.describe_choice(0) for a in self.actors}
            self.notes.append(note)

    def finish(self) -> None:
        """Close the books: steps spent in the stage each unabsorbed run ends in."""
        rows = np.flatnonzero(self.active)
        self.time_in[rows, self.stage[rows]] += self.t - self.entered[rows]
        self.entered[rows] = self.t

    def release(self) -> None:
        """Let go of this model once its records are read.

        Mesa 3.3's `Agent._ids` keeps every model that ever created an agent (Mesa issue
        #3179), so without this each chunk's arrays would stay in memory until exit.
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)
        self.remove_all_agents()
        self.actors.clear()
        self.view.last.clear()

    def run_to_end(self) -> None:
        """Step until the horizon (or until every run is absorbed), then `finish`."""
        while self.running:
            self.step()
        self.finish()


class _PreparedEvent:
    """An event with its per-run values drawn and its parameter paths resolved to arrays."""

    def __init__(self, model: EscalationModel, event):
        self.model, self.event = model, event
        self.fired = np.zeros(model.n, dtype=bool)
        rng, n = model.rng, model.n
        self.sets = [(_setter(model, path), sample(value, rng, n))
                     for path, value in event.set.items()]
        self.tension = None
        if event.tension is not None:
            self.tension = (event.tension[0], sample(event.tension[1], rng, n))
        self.stage = model.ladder.index(event.stage) if event.stage else None

    def apply(self, note: StepNote | None) -> None:
        model, event = self.model, self.event
        if event.at is not None:
            if event.at != model.t:
                return
            due = model.active.copy()
        else:
            due = model.active & event.when.evaluate(model.view)
            if event.once:
                due &= ~self.fired
        if not due.any():
            return
        self.fired |= due
        for setter, values in self.sets:
            setter(due, values)
        if self.tension is not None:
            op, values = self.tension
            model.tension = np.where(due, values + (model.tension if op == "add" else 0.0),
                                     model.tension)
        if self.stage is not None:
            model.rule[due] = RULE_EVENT
            model.set_stage(np.full(model.n, self.stage), due, note)
        if note is not None and due[0]:
            note.events.append(event.name)


def _setter(model: EscalationModel, path: str):
    """A function (runs mask, values) that sets the parameter at `path` in those runs."""
    parts = path.split(".")
    if parts == ["tension", "decay"]:
        def set_decay(mask, values):
            model.decay[mask] = values[mask]
        return set_decay
    agent = next(a for a in model.actors if a.actor.id == parts[1])
    ids = agent.actor.action_ids
    rest = parts[2:]
    if rest[0] == "actions":
        a = ids.index(rest[1])

        def set_effect(mask, values):
            agent.effects[a, mask] = values[mask]
        return set_effect
    a = ids.index(rest[-1])
    if rest[1] == "weights":
        stages = np.flatnonzero(~agent.own[a] & agent.allowed[a])
    elif rest[1] == "stages":
        s = model.ladder.index(rest[2])
        stages = np.array([s] if agent.allowed[a, s] else [], dtype=int)
    else:
        scale = agent.modifiers[int(rest[2])][1]

        def set_scale(mask, values):
            scale[a, mask] = values[mask]
        return set_scale

    def set_weight(mask, values):
        rows = np.flatnonzero(mask)
        agent.weights[a, stages[:, None], rows] = values[rows]
    return set_weight
