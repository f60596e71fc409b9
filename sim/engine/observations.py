"""The observation layer's records (`observe:`, docs/format.md, "Observations"): per run and
calendar period, the highest stage of a ladder, the count of an action, the sum of a
number; and `observations_table`, their tidy frame (`RunResult.observations`).

Step s (0 .. horizon; step 0 is the start) belongs to the month of `clock.date_of(s)`.
Recording draws no random numbers; a model of a scenario without `observe:` has no
`Observer` and does no extra work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..format.observations import Quantity
from ..format.scenario import Scenario

if TYPE_CHECKING:
    from .model import EscalationModel
    from .outcomes import Totals

STAGE_DTYPE = np.int16  # a stage index


def periods(scenario: Scenario) -> tuple[np.ndarray, tuple[str, ...]]:
    """The period index of each step 0..horizon, and each period's label ('YYYY-MM')."""
    clock = scenario.clock
    labels = [d.strftime("%Y-%m") for s in range(clock.horizon + 1)
              if (d := clock.date_of(s)) is not None]
    assert len(labels) == clock.horizon + 1  # `observe` needs a start date (format check)
    order = tuple(dict.fromkeys(labels))  # months in calendar order
    index = {label: i for i, label in enumerate(order)}
    return np.array([index[label] for label in labels], dtype=np.int64), order


def n_periods(scenario: Scenario) -> int:
    """How many periods a scenario's `observe:` records (0 without one)."""
    return 0 if scenario.observe is None else len(periods(scenario)[1])


class Observer:
    """Keeps the records of a model's `observe:` quantities, each (periods, runs): `record`
    after every step, `read` once the model has finished."""

    def __init__(self, model: EscalationModel):
        observe = model.scenario.observe
        assert observe is not None  # the model makes an Observer only for `observe:`
        self.model = model
        self.period_of, self.labels = periods(model.scenario)
        shape = (len(self.labels), model.n)
        self.records: list[tuple[Quantity, np.ndarray]] = []
        self.counted: dict[str, tuple[int, int]] = {}  # a count -> (actor index, action code)
        self.steps = np.bincount(self.period_of, minlength=len(self.labels))
        for q in observe.quantities:
            dtype = {"stage": STAGE_DTYPE, "count": np.int64, "mean": np.float64}[q.kind]
            self.records.append((q, np.zeros(shape, dtype=dtype)))
            if q.kind == "count":
                actor_id, _, action = q.of.partition(".")
                ids = [a.id for a in model.scenario.actors]  # the order of model.actors
                actor = model.scenario.actors[ids.index(actor_id)]
                self.counted[q.name] = (ids.index(actor_id), actor.action_ids.index(action))
        self._add(0)  # step 0: the start (no actions yet)

    def _add(self, t: int) -> None:
        model, p = self.model, self.period_of[t]
        for q, values in self.records:
            row = values[p]
            if q.kind == "stage":
                np.maximum(row, model.track(q.of).stage, out=row, casting="unsafe")
            elif q.kind == "mean":
                row += model.value(q.of)
            elif t > 0:  # what `agent.counts` adds this step
                i, code = self.counted[q.name]
                agent = model.actors[i]
                members = getattr(agent, "members", None)
                row += members[code] if members is not None else agent.choice == code

    def record(self) -> None:
        """Add the step just taken (`model.t`)."""
        self._add(self.model.t)

    def read(self) -> dict[str, np.ndarray]:
        """Each quantity's records, (runs, periods): counts times their scale, means over the
        period's steps. The steps after a model that stopped early (every run ended) keep
        the last state, as the occupancy does: their stage and values, no actions."""
        model = self.model
        rest = np.bincount(self.period_of[model.t + 1:], minlength=len(self.labels))
        out = {}
        for q, values in self.records:
            values = values.copy()
            for p in np.flatnonzero(rest):
                if q.kind == "stage":
                    np.maximum(values[p], model.track(q.of).stage, out=values[p],
                               casting="unsafe")
                elif q.kind == "mean":
                    values[p] += rest[p] * model.value(q.of)
            if q.kind == "mean":
                values = values / self.steps[:, None]
            elif q.kind == "count":
                values = values * q.scale
            out[q.name] = np.ascontiguousarray(values.T)
        return out


def observations_table(scenario: Scenario, totals: Totals) -> pd.DataFrame:
    """One row per run and period, runs in order: `run` (int64), `period` ('YYYY-MM'), then
    each quantity: a stage index (int16: 0 is the ladder's lowest stage), a count times its
    scale (float64), a mean (float64). Every chunk's rows (`chunk_observations_frame`)."""
    return pd.concat([chunk_observations_frame(scenario, k, part)
                      for k, part in zip(totals.chunks, totals.per_run, strict=True)],
                     ignore_index=True)


def chunk_observations_frame(scenario: Scenario, index: int, part: Mapping[str, Any]
                             ) -> pd.DataFrame:
    """Chunk `index`'s rows of `observations_table`, from its per-run arrays."""
    from .outcomes import CHUNK  # outcomes imports the model, which imports this module

    assert scenario.observe is not None
    labels = np.array(periods(scenario)[1], dtype=object)
    records = cast(dict[str, np.ndarray], part["observations"])  # (runs, periods) each
    n = len(part["peak"])
    cols: dict[str, object] = {
        "run": np.repeat(np.arange(index * CHUNK, index * CHUNK + n, dtype=np.int64),
                         len(labels)),
        "period": np.tile(labels, n)}
    cols.update({name: values.reshape(-1) for name, values in records.items()})
    return pd.DataFrame(cols)
