"""What the engine says about a step: why a run's stage changed, and the trace of run 0.

The model keeps a rule code per run for each step (`EscalationModel.rule`) and, when tracing,
a `StepNote` for run 0. They have a module of their own so that the model
(sim/engine/model.py) and its events (sim/engine/events.py), which both write them, share
them without importing each other, and so that what reads the notes (the trace of
`ladder run --trace`, `ladder play`) need not import the model for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Why a run's stage changed in a step (see `EscalationModel.rule`).
RULE_NONE, RULE_UP, RULE_DOWN, RULE_TRIGGER, RULE_EVENT = 0, 1, 2, 3, 4
RULE_JOINT, RULE_ACCIDENT = 5, 6
RULE_NAMES = {RULE_UP: "threshold up", RULE_DOWN: "threshold down", RULE_TRIGGER: "trigger",
              RULE_EVENT: "event", RULE_JOINT: "joint decision", RULE_ACCIDENT: "accident"}


@dataclass
class StepNote:
    """What happened in run 0 during one step (kept only when tracing)."""

    step: int
    events: list[str] = field(default_factory=list)
    actions: dict[str, str] = field(default_factory=dict)
    tension: float = 0.0
    move: tuple[str, str, str] | None = None  # (from, to, rule) on the main ladder
    blocked: list[str] = field(default_factory=list)
    moves: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # coupled ladders
    values: dict[str, float] = field(default_factory=dict)  # variables, after the step
    flags: dict[str, bool] = field(default_factory=dict)  # after the step
    perceived: dict[str, dict[str, float | str]] = field(default_factory=dict)  # actor -> seen
    signals: dict[str, str] = field(default_factory=dict)  # actor -> the action others saw

