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
from ..format.scenario import Scenario
from . import forking
from .agents import ActorAgent, PopulationAgent
from .assumptions import draw
from .dynamics import describe_dynamics, memory_needs
from .events import _PreparedEvent, parameter_setter
from .inputs import chunk_seed, collector, with_overrides
from .notes import RULE_NONE, StepNote
from .observations import Observer
from .perception import ActorView, Perception, Recall, StateView
from .tracks import MainLadder, Track
from .variables import Variables

TENSION_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)  # the band kept when `bands` is asked for


class EscalationModel(MainLadder, mesa.Model):
    """An ensemble of `n` runs of a scenario.

    Args:
        scenario: the validated scenario, or a scenario file (or bundled id) to load.
        n: number of runs stepped together.
        rng: the root seed of `ladder run --seed` (an int): the model draws from chunk
            `chunk`'s seed, so with `n` that chunk's size it is run for run that chunk of
            `ladder run --seed rng`. A SeedSequence or Generator is used as it is; None: fresh.
        trace: keep a `StepNote` per step for run `traced` (`ladder run --trace`, `--trace-run`).
        bands: keep the TENSION_QUANTILES of tension across runs at every step.
        chunk: which chunk of an int `rng` (0: the first 10,000 runs).
        **kwargs: overrides, dotted paths into the file as `ladder run --set` takes them,
            e.g. `**{"tension.decay": 0.9}` (what `mesa.batch_run` passes); the file is loaded
            with them (a loaded scenario: again, with its own overrides first).
    """

    traced = 0  # the run whose StepNotes are kept when tracing (`run_chunk` may set it)

    def __init__(self, scenario: Scenario | str | Path, n: int = 1, rng=None,
                 trace: bool = False, bands: bool = False, *, chunk: int = 0, **kwargs):
        scenario = with_overrides(scenario, kwargs)
        super().__init__(rng=chunk_seed(rng, chunk))
        self.scenario = scenario
        self.ladder = ladder = scenario.ladder
        self.n = n
        self.horizon = scenario.clock.horizon
        self.run_index, self.t = np.arange(n), 0
        self.sets_fired = 0  # events' `set`s applied so far (each event's `set_at`)
        self.parameter_sets: list[tuple[int, str, float]] = []  # (order, path, value)
        self.drawn: dict = {}  # path -> (distribution, each run's fifth, each run's draw)
        self.view = StateView(self)
        self.main = Track(self, scenario.key, ladder, scenario.start, scenario.reads)
        self.tracks = [self.main]
        self.track_keys = {scenario.key: self.main}
        # State (one entry per run).
        self.tension = draw(self, scenario.initial_tension)
        self.decay = draw(self, scenario.decay)
        self.active = np.ones(n, dtype=bool)
        self.actors: list[ActorAgent] = []  # in file order, as in self.agents
        for actor in scenario.actors:
            cls = PopulationAgent if actor.is_population else ActorAgent
            agent = cls(self, actor)
            self.view.last[actor.id] = agent.last
            self.actors.append(agent)
        self.events = [_PreparedEvent(self, e) for e in scenario.events]
        self._prepare_dynamics()
        # Records. `tension_sum` and `tension_bands` record what the main ladder reads:
        # tension, or the variable named by the scenario's `reads`.
        self.tension_sum = np.zeros(self.horizon + 1)
        self.tension_sum[0] = self.level().sum()
        self.tension_bands = np.zeros((self.horizon + 1, len(TENSION_QUANTILES))) if bands else None
        if self.tension_bands is not None:  # (bands)
            self.tension_bands[0] = np.quantile(self.level(), TENSION_QUANTILES)
        self.notes: list[StepNote] | None = [] if trace else None
        self.datacollector = collector(ladder.stage_ids)  # collects after each step

    def _prepare_dynamics(self) -> None:
        """Coupled ladders, variables, flags, perception, signals, memory, hazards and drawn
        thresholds: drawn after everything else, and only what the scenario uses, so a file
        without them draws (and steps) exactly as before they existed."""
        scenario = self.scenario
        for c in scenario.coupled:
            track = Track(self, c.key, c.ladder, c.start, c.reads, c.ends_run)
            self.tracks.append(track)
            self.track_keys[c.key] = track
        self.vars = Variables(self)
        keys = {c.key: c.ladder.stage_ids for c in scenario.coupled}
        for agent in self.actors:
            agent.prepare_dynamics(keys)
        self.signallers = {a.actor.id for a in self.actors if a.signals is not None}
        views: dict[str, ActorView] = {}
        if self.signallers or any(a.perceives for a in scenario.actors):
            for agent in self.actors:
                views[agent.actor.id] = ActorView(self, agent.actor.id)
                agent.view = views[agent.actor.id]
                for other in self.actors:
                    views[agent.actor.id].last[other.actor.id] = (
                        other.last if other.actor.id not in self.signallers
                        or other is agent else other.shown_last)
        self.views = views
        self.perception = Perception(self, views) if any(
            a.perceives for a in scenario.actors) else None
        self.recall = Recall(self, memory_needs(self))
        for hazard in scenario.hazards:
            self.track(hazard.ladder).add_hazard(hazard)
        for track in self.tracks:
            track.draw_thresholds()
            track.find_triggers(self.actors)
        self.dynamic = bool(scenario.coupled or scenario.variables or scenario.flags
                            or views or self.recall.last_at or scenario.hazards)
        self.observer = Observer(self) if scenario.observe is not None else None

    # -- what conditions read ---------------------------------------------------------------
    def value(self, name: str) -> np.ndarray:
        """The true value of tension or a variable, per run."""
        return self.tension if name == "tension" else self.vars.values[name]

    def level(self) -> np.ndarray:
        """What the main ladder's thresholds read, per run (tension unless `reads` says)."""
        return self.tension if self.scenario.reads == "tension" else self.value(self.scenario.reads)

    def track(self, key: str) -> Track:
        """The ladder of key `key`."""
        return self.track_keys[key]

    def view_of(self, actor_id: str | None):
        """What an actor's conditions see (the truth for None or an actor that perceives
        nothing and sees no signal)."""
        return self.views.get(actor_id, self.view) if actor_id else self.view

    # -- one step ---------------------------------------------------------------------------
    def step(self) -> None:
        """Advance every active run by one step."""
        self.t += 1
        note = StepNote(self.t) if self.notes is not None else None
        for track in self.tracks:
            track.rule[:] = RULE_NONE
        was_active = self.active.copy() if len(self.tracks) > 1 else self.active
        for event in self.events:
            event.apply(note)
        if self.perception is not None:
            self.perception.observe()
        self.stage_run = self.stage * self.n + self.run_index  # column in (stages*runs)
        self.agents.do("choose")
        for agent in self.actors:
            np.copyto(agent.last, agent.choice)
            if agent.signals is not None:
                np.copyto(agent.shown_last, agent.shown)
        if self.dynamic:
            self.recall.update()
            self.vars.apply_actions()
        effects = sum(agent.effect for agent in self.actors)
        self.tension = np.where(self.active, self.decay * self.tension + effects, self.tension)
        if self.dynamic:
            self.vars.update()
        self._move(note, was_active)
        self._record(note)
        if self.t >= self.horizon or not self.active.any():
            self.running = False
            self.finish()  # so Mesa's run_model and batch_run leave a finished model
        self.datacollector.collect(self)

    def _move(self, note: StepNote | None, was_active: np.ndarray) -> None:
        """Part 6: every ladder plans its move from the same state, then all move. With
        coupled ladders, the runs that ended this step (by an event too) close the books of
        every ladder (`was_active`: the runs active when the step began)."""
        if len(self.tracks) == 1:
            new = self.main.plan(note)
            self.main.set_stage(new, self.main.rule != RULE_NONE, note)
            return
        plans = [track.plan(note) for track in self.tracks]
        for track, new in zip(self.tracks, plans, strict=True):
            track.set_stage(new, track.rule != RULE_NONE, note)
        ended = np.flatnonzero(was_active & ~self.active)
        if ended.size:
            for track in self.tracks:
                track.close(ended)

    def set_stage(self, new: np.ndarray, moved: np.ndarray, note: StepNote | None) -> None:
        """Move runs (where `moved`) to `new` on the main ladder, keeping the records."""
        self.main.set_stage(new, moved, note)

    def _record(self, note: StepNote | None) -> None:
        for track in self.tracks:
            track.record()
        self.tension_sum[self.t] = self.level().sum()
        if self.observer is not None:  # `observe:` (sim.engine.observations)
            self.observer.record()
        if self.tension_bands is not None:
            self.tension_bands[self.t] = np.quantile(self.level(), TENSION_QUANTILES)
        if note is not None:
            note.tension = float(self.tension[self.traced])
            note.actions = {a.actor.id: a.describe_choice(self.traced) for a in self.actors}
            if self.dynamic:
                describe_dynamics(self, note)
            assert self.notes is not None  # `step` makes a note only when tracing
            self.notes.append(note)

    def finish(self) -> None:
        """Close the books: steps spent in the stage each unabsorbed run ends in. `step`
        calls it on the last step; calling it again adds nothing."""
        for track in self.tracks:
            track.finish()

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
        for view in self.views.values():
            view._model = None  # type: ignore[assignment]
        self.views.clear()
        for track in self.tracks:
            track.guard_view = None  # type: ignore[assignment]  # released
            track.triggering.clear()  # (index, agent) pairs: the agents point at the model
        for part in (*self.tracks, self.vars, self.recall, self.perception, self.observer):
            if part is not None:  # each points back at the model
                part.model = None  # type: ignore[assignment]  # released
        self.tracks.clear()
        self.track_keys.clear()
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

    def set_parameter(self, path: str, value: float) -> None:
        """Set a parameter (a path as an event's `set:` takes it, checked by the caller) to
        `value` in every active run now, between steps. A fork with fresh draws sets it again,
        in its order among the events' `set`s (`parameter_sets`)."""
        parameter_setter(self, path)(self.active.copy(), np.full(self.n, float(value)))
        self.parameter_sets.append((self.sets_fired, path, float(value)))
        self.sets_fired += 1

    def _state(self) -> list[tuple[np.ndarray, int]]:
        """Every per-run array of the model, its agents and events, with its run axis: the
        state, then the drawn parameters (sim/engine/forking.py)."""
        return forking.state_arrays(self) + forking.parameter_arrays(self)

    def snapshot(self) -> dict:
        """A copy of the whole state (every run, the records, the random generators), for
        `restore`. Cheaper and safer than deep-copying a Mesa model with its agent registry."""
        return forking.snapshot(self)

    def restore(self, snap: dict) -> None:
        """Put back the state of a `snapshot` of this model (dice included: replaying the
        same choices gives the same steps)."""
        forking.restore(self, snap)

    def fork(self, run: int = 0, n: int = 2000, rng=None, trace: bool = False,
             draws: str = "fresh") -> EscalationModel:
        """A new ensemble of `n` runs, each in the state of run `run` of this model as it is
        now (stage, tension, variables, flags, last actions and counts, memory, perception
        buffers, events fired, records such as peak and first steps, the step), drawing fresh
        randomness from `rng`.

        draws="fresh": each run draws the scenario's uncertain numbers afresh from their
        stated distributions (as a new model does; the `set` of every event already fired is
        applied again), so a fork at step 0 is distributed as a fresh ensemble. draws="run":
        each run keeps run `run`'s own draws, so the ensemble is conditional on them.

        Stepping it on gives the distribution of what can follow from here. The occupancy
        and tension records before the current step are copied only from a one-run model
        (they are ensemble totals); the new model's trace, if any, starts now.
        """
        return forking.fork(self, run, n, rng, trace, draws)
