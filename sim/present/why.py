"""The words of a traced step: a level against its thresholds, each move with what made
it, and why the stage did not move (`ladder run --trace`, `ladder play` and its debrief)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ..engine.notes import Move, StepNote
from ..format.scenario import Scenario
from ..format.thresholds import shown

if TYPE_CHECKING:
    from ..engine.model import EscalationModel


def level_text(value: float, thresholds: Iterable[float] = ()) -> str:
    """A level (tension or a variable) with two decimals, or with as many more as it takes
    to stand on the same side of each threshold as the value does: 4.996 against an `up` of
    5 reads 4.996, never 5.00 (and 5.004 against a `down` of 5, 5.004)."""
    near = [t for t in thresholds if math.isfinite(t)]
    for digits in range(2, 13):
        text = f"{value:.{digits}f}"
        shown_as = float(text)
        if all((shown_as > t) - (shown_as < t) == (value > t) - (value < t) for t in near):
            return text
    return repr(value)


def level_now(model: EscalationModel, value: float | None = None, stage: str | None = None
              ) -> str:
    """What run 0's main ladder reads (or `value`), as `level_text` against the thresholds of
    its stage now (or of `stage`): the figure `ladder play` and its debrief show."""
    at = model.main.stage if stage is None else np.full(model.n, model.ladder.index(stage))
    up, down = model.main.thresholds(at)
    level = float(model.level()[0]) if value is None else value
    return level_text(level, (float(up[0]), float(down[0])))


def step_levels(note: StepNote, reads: str, before: float, after: float) -> tuple[str, str]:
    """What a ladder reads before and after a step, as `level_text` against the thresholds
    the step met."""
    near = note.near.get(reads, ())
    return level_text(before, near), level_text(after, near)


def move_text(scenario: Scenario, note: StepNote, move: Move) -> str:
    """`MOVE a -> b by RULE (...)`, with `KEY: ` before `a` for a coupled ladder."""
    on = "" if move.ladder == scenario.key else f"{move.ladder}: "
    return f"MOVE {on}{move.old} -> {move.new} by {why_moved(scenario, note, move)}"


def why_moved(scenario: Scenario, note: StepNote, move: Move) -> str:
    """The rule that moved the traced run in a step, in words, crediting what the engine
    recorded as the move's cause (the `by` of moves.csv)."""
    key, old, new, rule, by = move
    coupled = next((c for c in scenario.coupled if c.key == key), None)
    ladder = coupled.ladder if coupled else scenario.ladder
    reads = coupled.reads if coupled else scenario.reads
    level = note.tension if reads == "tension" else note.values.get(reads, float("nan"))
    level_shown = level_text(level, note.near.get(reads, ()))
    st = ladder.stages[ladder.index(old)]
    if rule == "threshold up":
        return f"threshold ({reads} {level_shown} >= up {shown(st, 'up')})"
    if rule == "threshold down":
        return (f"threshold ({reads} {level_shown} <= down {shown(st, 'down')} "
                f"for {st.dwell} step(s))")
    if rule == "joint decision":
        actor_id, _, action_id = by.partition(".")
        act = next((a for a in scenario.actor(actor_id).actions if a.id == action_id), None
                   ) if by else None
        with_ = f" with {act.requires[0]}.{act.requires[1]}" if act and act.requires else ""
        return f"joint decision ({by or 'two actors'}{with_})"
    if rule == "trigger":
        edge = ladder.edge(old, new)
        guard = f", guard '{edge.guard.text}' held" if edge and edge.guard else ""
        return f"trigger ({by or 'an action'}{guard})"
    return f"{rule} ({by})" if by else rule


def explain(scenario: Scenario, model: EscalationModel, note: StepNote) -> str:
    """How the played run's stage moved this step and by which rule, or why it did not."""
    ladder = scenario.ladder
    if note.on(scenario.key):
        return "; ".join(move_text(scenario, note, m) for m in note.on(scenario.key))
    i = int(model.stage[0])
    st = ladder.stages[i]
    if st.absorbing:
        return f"the run is over: {st.id} is absorbing"
    parts, (up, down) = [], (float(x[0]) for x in model.main.thresholds(model.stage))
    reads = scenario.reads  # (up, down: run 0's, drawn per run where the ladder says so)
    value = note.tension if reads == "tension" else note.values[reads]
    level = level_text(value, (up, down))
    if st.up is not None:
        if value >= up:
            edge = ladder.edge(st.id, ladder.stage_ids[i + 1])
            guard = f"'{edge.guard.text}'" if edge and edge.guard else "of the edge"
            parts.append(f"{reads} {level} >= up {up:g}, but the guard {guard} "
                         f"to {ladder.stage_ids[i + 1]} did not hold")
        else:
            parts.append(f"{reads} {level} < up {up:g}")
    if st.down is not None:
        below = int(model.below[0])
        if below:
            parts.append(f"at or below down {down:g} for {below} of {st.dwell} step(s)")
        else:
            parts.append(f"above down {down:g}")
    return f"no move: {'; '.join(parts) or 'no threshold at ' + st.id}"
