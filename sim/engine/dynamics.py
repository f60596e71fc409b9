"""What the model needs to remember for the memory functions and joint decisions, and what
the trace tells of the dynamics (variables, flags, perceived values, signals)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..format.expr import Condition
from .notes import StepNote
from .perception import DEEDS, SHOWN

if TYPE_CHECKING:
    from .model import EscalationModel


def memory_needs(model: EscalationModel) -> dict[tuple[str, str], int]:
    """(actor, face) -> the longest `count` window over it (0: only since/ever), for every
    memory function in the scenario's conditions, and the deeds joint decisions wait for."""
    scenario = model.scenario
    observed: list[tuple[str | None, Condition]] = []  # (observer or None, condition)
    for actor in scenario.actors:
        observed += [(actor.id, m.when) for m in actor.policy.modifiers]
    for v in scenario.variables:
        if v.learn is not None:
            observed += [(v.owner, c) for c in v.learn.toward]
    observed += [(None, e.when) for e in scenario.events if e.when is not None]
    observed += [(None, h.when) for h in scenario.hazards if h.when is not None]
    needs: dict[tuple[str, str], int] = {}
    for observer, condition in observed:
        for node in condition.memories():
            seen_as = SHOWN if observer not in (None, node.actor) and \
                node.actor in model.signallers else DEEDS
            key = (node.actor, seen_as)
            needs[key] = max(needs.get(key, 0), node.window)
    for actor in scenario.actors:
        for a in actor.actions:
            if a.requires is not None:
                needs.setdefault((a.requires[0], DEEDS), 0)
    return needs


def describe_dynamics(model: EscalationModel, note: StepNote) -> None:
    """The traced run's variables, flags, perceived values and signals, after the step."""
    r = model.traced
    note.values = {name: float(v[r]) for name, v in model.vars.values.items()}
    note.flags = {name: bool(f[r]) for name, f in model.vars.flags.items()}
    for actor_id, view in model.views.items():
        if view.seen:
            note.perceived[actor_id] = {name: perceived_value(model, name, v[r])
                                        for name, v in view.seen.items()}
    for agent in model.actors:
        if agent.signals is not None and agent.shown[r] != agent.choice[r]:
            note.signals[agent.actor.id] = agent.actor.actions[int(agent.shown[r])].id


def perceived_value(model: EscalationModel, name: str, value) -> float | str:
    """A perceived number, or the id of a perceived stage."""
    if name == "stage":
        return model.ladder.stage_ids[int(value)]
    if name.endswith(".stage") and name[:-6] in model.track_keys:
        return model.track(name[:-6]).ladder.stage_ids[int(value)]
    return float(value)
