"""The escalation model: one Mesa model steps an ensemble of N independent runs in lockstep.

Every piece of state is a numpy array with a leading run axis, and each agent chooses for
all runs at once; N = 1 is a single run. The step follows docs/format.md ("Semantics of one
step"): events, simultaneous choices, tension, then triggers before thresholds.

For playing one run turn by turn (`ladder play`, sim/workshop/session.py) the same model can
force an actor's next action (`force`), apply an event now (`apply_event`), save and restore its
whole state (`snapshot`, `restore`), and fork one run into a fresh ensemble (`fork`).
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from ..errors import InputError
from ..format.distributions import sample
from ..format.scenario import Scenario
from .agents import NONE, ActorAgent, PopulationAgent
from .events import _PreparedEvent
from .inputs import chunk_seed, collector, with_overrides
from .notes import RULE_DOWN, RULE_NAMES, RULE_NONE, RULE_TRIGGER, RULE_UP, StepNote

TENSION_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)  # the band kept when `bands` is asked for


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


class EscalationModel(mesa.Model):
    """An ensemble of `n` runs of a scenario.

    Args:
        scenario: the validated scenario, or a scenario file (or bundled id) to load.
        n: number of runs stepped together.
        rng: the root seed of `ladder run --seed` (an int): the model draws from chunk
            `chunk`'s seed, `SeedSequence(rng, spawn_key=(chunk,))`, so with `n` the size of
            that chunk it is run for run that chunk of `ladder run --seed rng`. A
            `numpy.random.SeedSequence` or `Generator` is used as it is; None: fresh entropy.
        trace: keep a `StepNote` per step for run 0 (for `ladder run --trace`).
        bands: keep the TENSION_QUANTILES of tension across runs at every step.
        chunk: which chunk of an int `rng` (0: the first 10,000 runs).
        **kwargs: overrides, dotted paths into the file as `ladder run --set` takes them,
            e.g. `**{"tension.decay": 0.9}` (what `mesa.batch_run` passes); the file is loaded
            with them (a loaded scenario: again, with its own overrides first).
    """

    def __init__(self, scenario: Scenario | str | Path, n: int = 1, rng=None,
                 trace: bool = False, bands: bool = False, *, chunk: int = 0, **kwargs):
        scenario = with_overrides(scenario, kwargs)
        super().__init__(rng=chunk_seed(rng, chunk))
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
        if self.tension_bands is not None:  # (bands)
            self.tension_bands[0] = np.quantile(self.tension, TENSION_QUANTILES)
        self.notes: list[StepNote] | None = [] if trace else None
        self.datacollector = collector(ladder.stage_ids)  # collects after each step

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
        if self.t >= self.horizon or not self.active.any():
            self.running = False
            self.finish()  # so Mesa's run_model and batch_run leave a finished model
        self.datacollector.collect(self)

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
            assert self.notes is not None  # `step` makes a note only when tracing
            self.notes.append(note)

    def finish(self) -> None:
        """Close the books: steps spent in the stage each unabsorbed run ends in. `step`
        calls it on the last step; calling it again adds nothing."""
        rows = np.flatnonzero(self.active)
        self.time_in[rows, self.stage[rows]] += self.t - self.entered[rows]
        self.entered[rows] = self.t

    def release(self) -> None:
        """Let go of this model once its records are read.

        Mesa 3.3's `Agent._ids` keeps every model that ever created an agent (Mesa issue
        #3179), so without this each chunk's arrays would stay in memory until exit. The
        reference cycles (the events' setters close over agents, the state view and Mesa's
        wrapped `step` point back at the model) are broken too, so the arrays are freed at
        once rather than at the garbage collector's next full pass: without that, a long
        run held several chunks' arrays at a time (measured: 25 MB after one chunk of the
        seed scenario, 125 MB after thirty).
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)
        self.remove_all_agents()
        self.actors.clear()
        self.view.last.clear()
        self.events.clear()
        self.view._model = None  # type: ignore[assignment]  # released: never read again
        self.__dict__.pop("step", None)  # Mesa's _wrapped_step, bound to this model
        self.__dict__.pop("_user_step", None)

    def run_to_end(self) -> None:
        """Step until the horizon (or until every run is absorbed), then `finish`."""
        while self.running:
            self.step()
        self.finish()

    # -- playing one run: force, inject, snapshot, fork ---------------------------------------
    def agent_of(self, actor_id: str) -> ActorAgent:
        """The agent of an actor id."""
        for agent in self.actors:
            if agent.actor.id == actor_id:
                return agent
        raise InputError(f"unknown actor {actor_id!r} (actors: "
                         f"{', '.join(a.actor.id for a in self.actors)})")

    def force(self, actor_id: str, action: str | int, runs=None) -> None:
        """Make an actor take `action` (id or index) in the next step, in `runs` (default all).

        The policy still draws (so the random stream stays as without forcing); the forced
        action then replaces the draw, in runs that are active and where the action is
        allowed at the stage the choice is made in (an event may move the stage first). It
        counts and shows in the trace like a drawn action. Populations cannot be forced.
        """
        agent = self.agent_of(actor_id)
        if isinstance(agent, PopulationAgent):
            raise InputError(f"{actor_id} is a population: its members choose one by one, so "
                             "its action cannot be forced")
        ids = agent.actor.action_ids
        if isinstance(action, str):
            if action not in ids:
                raise InputError(f"{actor_id} has no action {action!r} (actions: "
                                 f"{', '.join(ids)})")
            action = ids.index(action)
        if not 0 <= action < len(ids):
            raise InputError(f"{actor_id}: action index {action} out of range 0..{len(ids) - 1}")
        runs = self.run_index if runs is None else np.atleast_1d(np.asarray(runs, dtype=np.int64))
        agent.forced = (runs, int(action))

    def apply_event(self, event: str | int, runs=None) -> None:
        """Apply a scenario event (name or index) now, between steps, in `runs` (default every
        active run), whatever its `at` or `when`. A `once` event then counts as fired; an `at`
        event still happens at its own step too."""
        names = [e.event.name for e in self.events]
        if isinstance(event, str):
            if event not in names:
                raise InputError(f"unknown event {event!r} (events: {'; '.join(names)})")
            event = names.index(event)
        due = self.active.copy()
        if runs is not None:
            due &= np.isin(self.run_index, runs)
        if due.any():
            self.events[event].fire(due, None)

    def _state(self) -> list[tuple[np.ndarray, int]]:
        """Every per-run array of the model, its agents and events, with its run axis."""
        arrays = [(getattr(self, name), 0) for name in
                  ("stage", "tension", "decay", "below", "active", "rule", "peak", "first",
                   "time_in", "entered")]
        for agent in self.actors:
            arrays += [(agent.weights, -1), (agent.effects, -1), (agent.choice, 0),
                       (agent.last, 0), (agent.effect, 0), (agent.counts, -1)]
            arrays += [(scale, -1) for _, scale in agent.modifiers]
            if isinstance(agent, PopulationAgent):
                arrays += [(agent.size, 0), (agent.members, -1)]
        for event in self.events:
            arrays.append((event.fired, 0))
            arrays += [(values, 0) for _, values in event.sets]
            if event.tension is not None:
                arrays.append((event.tension[1], 0))
        return arrays

    def snapshot(self) -> dict:
        """A copy of the whole state (every run, the records, the random generators), for
        `restore`. Cheaper and safer than deep-copying a Mesa model with its agent registry."""
        return {
            "arrays": [a.copy() for a, _ in self._state()],
            "t": self.t, "steps": self.steps, "running": self.running,
            "records": [self.occupancy.copy(), self.tension_sum.copy()]
            + ([] if self.tension_bands is None else [self.tension_bands.copy()]),
            "notes": None if self.notes is None else list(self.notes),
            "collected": {k: list(v) for k, v in self.datacollector.model_vars.items()},
            "rng": self.rng.bit_generator.state, "random": self.random.getstate(),
        }

    def restore(self, snap: dict) -> None:
        """Put back the state of a `snapshot` of this model (dice included: replaying the
        same choices gives the same steps)."""
        for (live, _), saved in zip(self._state(), snap["arrays"], strict=True):
            np.copyto(live, saved)
        for a in self.actors:
            a.forced = None
        self.t, self.steps, self.running = snap["t"], snap["steps"], snap["running"]
        records = [self.occupancy, self.tension_sum]
        if self.tension_bands is not None:
            records.append(self.tension_bands)
        for live, saved in zip(records, snap["records"], strict=True):
            np.copyto(live, saved)
        if self.notes is not None:
            self.notes[:] = snap["notes"]
        for key, values in snap["collected"].items():
            self.datacollector.model_vars[key][:] = values
        self.rng.bit_generator.state = snap["rng"]
        self.random.setstate(snap["random"])

    def fork(self, run: int = 0, n: int = 2000, rng=None, trace: bool = False
             ) -> EscalationModel:
        """A new ensemble of `n` runs, each an exact copy of run `run` of this model as it is
        now (stage, tension, parameters drawn for the run, last actions, events fired, records
        such as peak and first steps, the step), drawing fresh randomness from `rng`.

        Stepping it on gives the distribution of what can follow from here. The occupancy
        and tension records before the current step are copied only from a one-run model
        (they are ensemble totals); the new model's trace, if any, starts now.
        """
        if not 0 <= run < self.n:
            raise InputError(f"run {run} out of range 0..{self.n - 1}")
        new = EscalationModel(self.scenario, n=n, rng=rng, trace=trace)
        for (mine, axis), (theirs, _) in zip(self._state(), new._state(), strict=True):
            np.copyto(theirs, np.take(mine, [run], axis=axis))
        new.t, new.steps, new.running = self.t, self.steps, self.running
        new.occupancy[:] = 0
        new.tension_sum[:] = 0
        if self.n == 1:
            new.occupancy[: self.t + 1] = self.occupancy[: self.t + 1] * n
            new.tension_sum[: self.t + 1] = self.tension_sum[: self.t + 1] * n
        new.occupancy[new.t] = np.bincount(new.stage, minlength=len(self.up))
        new.tension_sum[new.t] = new.tension.sum()
        return new

