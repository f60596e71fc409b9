"""The moves a run can make on a ladder, as the drawings label them (text, Mermaid, DOT,
and the report's SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..format.ladder import Edge, Ladder, Stage
from ..format.thresholds import shown


@dataclass(frozen=True, slots=True)
class Move:
    """One drawable move between two stages, with its label text (no markup)."""

    source: str
    target: str
    label: str
    kind: str  # "up", "down", "trigger" or "jump"


def num(value: float) -> str:
    """A threshold as people write it (`5`, `2.5`)."""
    return f"{value:g}"


def plural(n: int, word: str) -> str:
    """`1 step`, `3 steps`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def with_guard(label: str, edge: Edge | None) -> str:
    """A move's label with its edge's guard, if it has one."""
    if edge is None or edge.guard is None:
        return label
    return f"{label} if {edge.guard.text}"


def _neighbour_move(ladder: Ladder, stage: Stage, other: Stage, upward: bool) -> Move:
    if upward and stage.up is not None:
        label, kind = f"tension >= {shown(stage, 'up')}", "up"
    elif not upward and stage.down is not None:
        label = f"tension <= {shown(stage, 'down')} for {plural(stage.dwell, 'step')}"
        kind = "down"
    else:
        label, kind = "trigger", "trigger"
    label = with_guard(label, ladder.edge(stage.id, other.id))
    return Move(stage.id, other.id, label, kind)


def moves(ladder: Ladder) -> list[Move]:
    """Every move a run can make on a ladder, stage by stage from the lowest.

    Args:
        ladder: the ladder.

    Returns:
        For each non-absorbing stage: its move up, its move down (where those neighbours
        exist) and its declared jumps.
    """
    out: list[Move] = []
    stages = ladder.stages
    for i, stage in enumerate(stages):
        if stage.absorbing:
            continue
        if i + 1 < len(stages):
            out.append(_neighbour_move(ladder, stage, stages[i + 1], upward=True))
        if i > 0:
            out.append(_neighbour_move(ladder, stage, stages[i - 1], upward=False))
        for edge in ladder.edges:
            if edge.source == stage.id and edge.jump:
                out.append(Move(edge.source, edge.target,
                                with_guard("jump (trigger only)", edge), "jump"))
    return out


def start_stage(ladder: Ladder, start: str | None) -> str:
    """The stage a drawing starts from: `start`, checked, else the lowest stage."""
    if start is None:
        return ladder.stages[0].id
    if start not in ladder.stage_ids:
        raise InputError(f"unknown start stage '{start}' (stages: {', '.join(ladder.stage_ids)})")
    return start
