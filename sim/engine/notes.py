"""What the engine says about a step: why a run's stage changed, and the trace of run 0.

The model keeps a rule code per run for each step (`EscalationModel.rule`) and, when tracing,
a `StepNote` for run 0. They have a module of their own so that the model
(sim/engine/model.py) and its events (sim/engine/events.py), which both write them, share
them without importing each other, and so that what reads the notes (the trace of
`ladder run --trace`, `ladder play`) need not import the model for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..format.scenario import Scenario

# Why a run's stage changed in a step (see `EscalationModel.rule`).
RULE_NONE, RULE_UP, RULE_DOWN, RULE_TRIGGER, RULE_EVENT = 0, 1, 2, 3, 4
RULE_JOINT, RULE_ACCIDENT = 5, 6
RULE_NAMES = {RULE_UP: "threshold up", RULE_DOWN: "threshold down", RULE_TRIGGER: "trigger",
              RULE_EVENT: "event", RULE_JOINT: "joint decision", RULE_ACCIDENT: "accident"}
ACTION_CODES = 1024  # a trigger's cause is actor index * ACTION_CODES + action index


class Move(NamedTuple):
    """One stage move of the traced run: on ladder `ladder` (its key), `old` -> `new`, by
    `rule` (a RULE_NAMES name) and `by` (`cause_text`: what made it, as in moves.csv)."""

    ladder: str
    old: str
    new: str
    rule: str
    by: str


def cause_text(scenario: Scenario, key: str, rule: int, cause: int) -> str:
    """Who or what made a move on ladder `key`, in words: the actor's action for a trigger
    or joint decision, the event's name, the hazard's description or `hazards[i]` ('' for
    a threshold, or a cause not recorded)."""
    if rule in (RULE_TRIGGER, RULE_JOINT) and cause >= 0:
        actor = scenario.actors[cause // ACTION_CODES]
        return f"{actor.id}.{actor.action_ids[cause % ACTION_CODES]}"
    if rule == RULE_EVENT and cause >= 0:
        return scenario.events[cause].name
    if rule == RULE_ACCIDENT and cause >= 0:
        hazard = [h for h in scenario.hazards if h.ladder == key][cause]
        return hazard.description or f"hazards[{scenario.hazards.index(hazard)}]"
    return ""


@dataclass
class StepNote:
    """What happened in run 0 during one step (kept only when tracing)."""

    step: int
    events: list[str] = field(default_factory=list)
    actions: dict[str, str] = field(default_factory=dict)
    tension: float = 0.0
    moved: list[Move] = field(default_factory=list)  # every move, in order (events first)
    blocked: list[str] = field(default_factory=list)
    near: dict[str, list[float]] = field(default_factory=dict)  # level -> thresholds it met
    values: dict[str, float] = field(default_factory=dict)  # variables, after the step
    flags: dict[str, bool] = field(default_factory=dict)  # after the step
    perceived: dict[str, dict[str, float | str]] = field(default_factory=dict)  # actor -> seen
    signals: dict[str, str] = field(default_factory=dict)  # actor -> the action others saw

    def on(self, key: str) -> list[Move]:
        """The moves on ladder `key` this step."""
        return [m for m in self.moved if m.ladder == key]

