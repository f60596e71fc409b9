"""A scenario's events, prepared for one ensemble: per-run values drawn, `set` paths resolved.

Each `_PreparedEvent` decides in which runs its event is due at a step (`at` or `when`, and
`once`) and applies it there: parameter changes through a setter per `set` path, tension,
and a forced stage. `EscalationModel` (sim/engine/model.py) makes one per event and applies
them at the start of each step; `ladder play` also fires them between steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .assumptions import draw
from .notes import RULE_EVENT, StepNote

if TYPE_CHECKING:
    from .model import EscalationModel


class _PreparedEvent:
    """An event with its per-run values drawn and its parameter paths resolved to arrays."""

    def __init__(self, model: EscalationModel, event):
        self.model, self.event = model, event
        self.fired = np.zeros(model.n, dtype=bool)
        self.sets = [(parameter_setter(model, path), draw(model, value))
                     for path, value in event.set.items()]
        self.tension = None
        if event.tension is not None:
            self.tension = (event.tension[0], draw(model, event.tension[1]))
        self.stage = model.ladder.index(event.stage) if event.stage else None
        self.variables = [(name, op, draw(model, value)) for name, op, value in event.variables]
        # When each run last applied the `set` (the model's count of sets so far, -1: never),
        # so a fork with fresh draws can apply them again in the same order.
        self.set_at = np.full(model.n, -1, dtype=np.int32) if self.sets else None

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
        self.fire(due, note)

    def fire(self, due: np.ndarray, note: StepNote | None) -> None:
        """Apply the event in the runs where `due`."""
        model, event = self.model, self.event
        self.fired |= due
        for setter, values in self.sets:
            setter(due, values)
        if self.set_at is not None:
            self.set_at[due] = model.sets_fired
            model.sets_fired += 1
        if self.tension is not None:
            op, values = self.tension
            model.tension = np.where(due, values + (model.tension if op == "add" else 0.0),
                                     model.tension)
        for name, op, values in self.variables:
            old = model.vars.values[name]
            model.vars.values[name] = np.where(due, values + (old if op == "add" else 0.0), old)
            model.vars.clip(name)
        for name, on in event.flags:
            model.vars.flags[name][due] = on
        if self.stage is not None:
            model.rule[due] = RULE_EVENT
            model.main.cause[due] = model.events.index(self)
            model.set_stage(np.full(model.n, self.stage), due, note)
        if event.stage_on is not None:
            key, stage = event.stage_on
            track = model.track(key)
            track.rule[due] = RULE_EVENT
            track.cause[due] = model.events.index(self)
            track.set_stage(np.full(model.n, track.ladder.index(stage)), due, note)
        if note is not None and due[model.traced]:
            note.events.append(event.name)


def parameter_setter(model: EscalationModel, path: str):
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
        agent.may_scale(int(rest[2]), a)

        def set_scale(mask, values):
            scale[a, mask] = values[mask]
        return set_scale

    def set_weight(mask, values):
        rows = np.flatnonzero(mask)
        agent.weights[a, stages[:, None], rows] = values[rows]
        agent.forget_weights()
    return set_weight
