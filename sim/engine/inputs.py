"""What an `EscalationModel` is built from, for Mesa's tools as well as the runner: a scenario
or a file with overrides as keyword arguments (`mesa.batch_run` passes them so), the chunk
seed of a root seed, and the DataCollector's model reporters."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import mesa
import numpy as np

from ..errors import InputError
from ..format.scenario import Scenario, load_scenario


def with_overrides(scenario: Scenario | str | Path, overrides: dict) -> Scenario:
    """The scenario, loaded from its file with `overrides` when there are any."""
    if isinstance(scenario, Scenario):
        if not overrides:
            return scenario
        if not scenario.path:
            raise InputError(f"scenario {scenario.id} has no file to load with overrides")
        fixed = {key: json.loads(text) for key, text in scenario.overrides}
        return load_scenario(scenario.path, {**fixed, **overrides})
    if not isinstance(scenario, str | Path):
        raise InputError(f"scenario: expected a loaded Scenario or a file path, got "
                         f"{type(scenario).__name__}")
    return load_scenario(scenario, overrides or None)


def chunk_seed(rng, chunk: int):
    """An int root seed becomes chunk `chunk`'s SeedSequence, as in sim.engine.runner."""
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        if rng < 0 or chunk < 0:
            raise InputError(f"seed and chunk must be >= 0, got rng={rng}, chunk={chunk}")
        return np.random.SeedSequence(int(rng), spawn_key=(int(chunk),))
    if chunk:
        raise InputError("chunk needs an int root seed as rng")
    return rng


def collector(stage_ids: tuple[str, ...]) -> mesa.DataCollector:
    """The model-level series Mesa's tools see, one row after each step (docs/python.md):
    the step, occupancy, mean tension, active runs, and per stage the share of runs that
    have reached it (`reach_<stage>`) and the mean steps spent in it (`time_<stage>`, whole
    only on the last row, once the model has finished). Each reporter reads its column of
    `_row`, the one definition of the values."""
    names = ["step", "occupancy", "mean_tension", "active", *(f"reach_{s}" for s in stage_ids),
             *(f"time_{s}" for s in stage_ids)]
    reporters: dict[str, Callable[..., object]] = {
        name: (lambda m, k=k: _row(m)[k]) for k, name in enumerate(names)}
    return _Collector(reporters)


class _Collector(mesa.DataCollector):
    """Mesa's DataCollector over the reporters of `collector`, whose whole row `collect`
    computes once (`_row`) and stores without Mesa's deepcopy (fresh ints, floats and
    lists). Reporters added later, or agent reporters, are collected by Mesa's own
    `collect`."""

    def __init__(self, reporters: dict[str, Callable[..., object]]):
        super().__init__(model_reporters=reporters)
        self._own = tuple(reporters)

    def collect(self, model) -> None:
        if (tuple(self.model_reporters) != self._own or self.agent_reporters
                or self.agenttype_reporters):
            super().collect(model)
            return
        for name, value in zip(self._own, _row(model), strict=True):
            self.model_vars[name].append(value)


def _row(model) -> list:
    """One row of `collector`'s reporters, in their order: the step, the occupancy (a list),
    mean tension, active runs (int), then per stage the share of runs whose peak is at or
    above it, then the mean steps begun in it. The sums over runs are of whole numbers below
    2**53, so exact in any order: a product with ones is each column's sum, the one numpy's
    mean takes (and cheaper than a sum over the long axis of a (runs, stages) array)."""
    n, stages = model.n, model.time_in.shape[1]
    reached = np.bincount(model.peak, minlength=stages)[::-1].cumsum()[::-1]  # peak >= i
    times = np.ones(n) @ model.time_in.astype(np.float64) / n
    return [model.t, model.occupancy[model.t].tolist(), float(model.tension_sum[model.t] / n),
            int(np.count_nonzero(model.active)), *(int(k) / n for k in reached[:stages]),
            *(float(x) for x in times)]
