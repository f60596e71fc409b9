"""Saving, restoring and forking the state of an `EscalationModel` (`ladder play`, outlooks).

A model's per-run arrays are of two kinds. Its *parameters* are the numbers the scenario
draws once per run from their stated distributions (policy weights, action effects and
scales, decay, drawn thresholds, hazard p, event values, perception bias and noise,
population sizes): stepping never writes them, only an event's `set` does. Its *state* is
everything stepping writes: stages, tension and the variables' values, flags, actions taken
and counted, memory rings, perception lag buffers, events fired, records such as peak,
first step and time in a stage.

A fork (`fork`) copies one run's state into a new ensemble. With draws="run" it copies that
run's parameters too, so the ensemble is conditional on one draw of the uncertain numbers;
with draws="fresh" each run keeps the parameters the new model drew from its own generator
(as `EscalationModel(scenario, n, rng)` draws them), and the `set` of every event the run
has fired is applied again to them, in the order the run fired them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from .agents import PopulationAgent
from .events import parameter_setter

if TYPE_CHECKING:
    from .model import EscalationModel

DRAWS = ("fresh", "run")  # a fork's parameters: drawn afresh, or the forked run's own

Arrays = list[tuple[np.ndarray, int]]  # (array, its run axis)


def parameter_arrays(model: EscalationModel) -> Arrays:
    """Every per-run array of drawn constants (never written while stepping, except by an
    event's `set`), with its run axis."""
    arrays: Arrays = [(model.decay, 0)]
    for track in model.tracks:
        if track.drawn is not None:
            arrays += [(table, 0) for table in track.drawn]
        arrays += [(p, 0) for _, _, p, _ in track.hazards]
    for agent in model.actors:
        arrays += [(agent.weights, -1), (agent.effects, -1)]
        arrays += [(scale, -1) for _, scale in agent.modifiers]
        arrays += [(e, -1) for e in agent.var_effects.values()]
        if isinstance(agent, PopulationAgent):
            arrays.append((agent.size, 0))
    for event in model.events:
        arrays += [(values, 0) for _, values in event.sets]
        if event.tension is not None:
            arrays.append((event.tension[1], 0))
        arrays += [(values, 0) for _, _, values in event.variables]
    arrays += [(a, 0) for a in model.vars.decay.values()]
    if model.perception is not None:
        arrays += model.perception.parameters
    return arrays


def state_arrays(model: EscalationModel) -> Arrays:
    """Every per-run array that stepping writes, with its run axis."""
    arrays: Arrays = [(model.tension, 0), (model.active, 0)]
    for track in model.tracks:
        arrays += track.arrays
    for agent in model.actors:
        arrays += [(agent.choice, 0), (agent.last, 0), (agent.effect, 0), (agent.counts, -1)]
        if agent.signals is not None:
            arrays += [(agent.shown_last, 0), (agent.shown_counts, -1)]
        if isinstance(agent, PopulationAgent):
            arrays.append((agent.members, -1))
    for event in model.events:
        arrays.append((event.fired, 0))
        if event.set_at is not None:
            arrays.append((event.set_at, 0))
    arrays += [(a, 0) for a in model.vars.values.values()]
    arrays += [(a, 0) for a in model.vars.flags.values()]
    arrays += model.recall.arrays
    if model.perception is not None:
        arrays += model.perception.arrays
    return arrays


def snapshot(model: EscalationModel) -> dict:
    """A copy of the whole state (every run, parameters included, the records, the random
    generators), for `restore`. Cheaper and safer than deep-copying a Mesa model with its
    agent registry."""
    return {
        "arrays": [a.copy() for a, _ in model._state()],
        "t": model.t, "steps": model.steps, "running": model.running,
        "records": [t.occupancy.copy() for t in model.tracks] + [model.tension_sum.copy()]
        + ([] if model.tension_bands is None else [model.tension_bands.copy()]),
        "recorded": model.recall.recorded, "parameter_sets": list(model.parameter_sets),
        "notes": None if model.notes is None else list(model.notes),
        "collected": {k: list(v) for k, v in model.datacollector.model_vars.items()},
        "rng": model.rng.bit_generator.state, "random": model.random.getstate(),
    }


def restore(model: EscalationModel, snap: dict) -> None:
    """Put back the state of a `snapshot` of this model (dice included: replaying the
    same choices gives the same steps)."""
    for (live, _), saved in zip(model._state(), snap["arrays"], strict=True):
        np.copyto(live, saved)
    for a in model.actors:
        a.forced = None
        a.forget_weights()
    model.t, model.steps, model.running = snap["t"], snap["steps"], snap["running"]
    model.recall.recorded = snap["recorded"]
    model.parameter_sets[:] = snap["parameter_sets"]
    records: list[np.ndarray] = [t.occupancy for t in model.tracks] + [model.tension_sum]
    if model.tension_bands is not None:
        records.append(model.tension_bands)
    for live, saved in zip(records, snap["records"], strict=True):
        np.copyto(live, saved)
    if model.notes is not None:
        model.notes[:] = snap["notes"]
    for key, values in snap["collected"].items():
        model.datacollector.model_vars[key][:] = values
    model.rng.bit_generator.state = snap["rng"]
    model.random.setstate(snap["random"])


def fork(model: EscalationModel, run: int, n: int, rng, trace: bool = False,
         draws: str = "fresh") -> EscalationModel:
    """A new ensemble of `n` runs, each in the state of run `run` of `model` as it is now,
    drawing its randomness from `rng`; its parameters drawn afresh (draws="fresh") or run
    `run`'s own (draws="run"). See `EscalationModel.fork`."""
    from .model import EscalationModel  # the model module imports this one

    if draws not in DRAWS:
        raise InputError(f"draws must be 'fresh' or 'run', got {draws!r}")
    if not 0 <= run < model.n:
        raise InputError(f"run {run} out of range 0..{model.n - 1}")
    new = EscalationModel(model.scenario, n=n, rng=rng, trace=trace)
    copied = state_arrays if draws == "fresh" else EscalationModel._state
    for (mine, axis), (theirs, _) in zip(copied(model), copied(new), strict=True):
        np.copyto(theirs, np.take(mine, [run], axis=axis))
    new.sets_fired, new.parameter_sets = model.sets_fired, list(model.parameter_sets)
    if draws == "fresh":
        _set_again(model, new, run)
    else:
        _same_draws(model, new, run)
    for agent in new.actors:
        agent.forget_weights()
    new.t, new.steps, new.running = model.t, model.steps, model.running
    new.recall.recorded = model.recall.recorded
    new.tension_sum[:] = 0
    for old, fresh in zip(model.tracks, new.tracks, strict=True):
        fresh.occupancy[:] = 0
        if model.n == 1:
            fresh.occupancy[: model.t + 1] = old.occupancy[: model.t + 1] * n
        fresh.occupancy[new.t] = np.bincount(fresh.stage, minlength=len(fresh.up))
    if model.n == 1:
        new.tension_sum[: model.t + 1] = model.tension_sum[: model.t + 1] * n
    new.tension_sum[new.t] = new.level().sum()
    return new


def _set_again(model: EscalationModel, new: EscalationModel, run: int) -> None:
    """Apply to `new`'s fresh parameters the `set` of every event run `run` of `model` has
    fired, in the order it last fired them (with `new`'s own drawn values of the event), and
    every parameter set by hand (`EscalationModel.set_parameter`), each in its place."""
    fired: list[tuple[int, int, str, float]] = [
        (int(event.set_at[run]), i, "", 0.0) for i, event in enumerate(model.events)
        if event.set_at is not None and event.set_at[run] >= 0]
    fired += [(order, -1, path, value) for order, path, value in model.parameter_sets]
    every = np.ones(new.n, dtype=bool)
    for _, i, path, value in sorted(fired):
        if i < 0:
            parameter_setter(new, path)(every, np.full(new.n, value))
            continue
        for setter, values in new.events[i].sets:
            setter(every, values)


def _same_draws(model: EscalationModel, new: EscalationModel, run: int) -> None:
    """With draws="run", `new`'s record of its draws (`drawn`, a posterior's rows) says what
    its parameters now are: run `run`'s draws, in every run."""
    rows = getattr(model, "posterior_rows", None)
    if rows is not None:
        new.posterior_rows = np.repeat(rows[run], new.n)
    for path, (dist, fifth, values) in model.drawn.items():
        new.drawn[path] = (dist, np.repeat(fifth[run], new.n), np.repeat(values[run], new.n))
