"""How a position's screen is shortened to fit a terminal's height, and in what order.

`squeezes` yields ever shorter layouts; `Screen.position(height)` (sim/workshop/screen.py)
draws the first that fits. The order leaves out what the room needs least first: the blank
lines between parts, then the variables and perceptions under WHAT HAPPENED, the coupled
ladders' outlooks, the stages already reached in the outlook (one line names them), the long
command hint, the outlook's line on its forked runs (its n stays in the line under the rows),
the other actors' actions (the played actors and the stage line stay); then fewer outlook
rows (the most severe kept) and fewer ladder rows (those around the current stage kept),
down to three of each; then two, one and no outlook rows (a line says the outlook is not
shown), the ladder down to the current stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .session import Session

MIN_ROWS = 3


@dataclass(frozen=True)
class Squeeze:
    """What a position's screen shows; FULL shows everything.

    Attributes:
        gaps: blank lines between the parts.
        dynamics: WHAT HAPPENED's coupled ladders, variables, flags and perceptions.
        coupled: the coupled ladders' outlooks.
        everyone: every actor's action, the events, notes and the level line (else the
            played actors' actions and the stage line only).
        reached_rows: a row per stage already reached in the outlook (else one line).
        hint: the long command hint under the moves (else a short one).
        forked: the outlook's line on its runs, forked from here (n is also under the rows).
        outlook_rows: at most this many outlook rows per ladder (None: all; 0: the outlook
            is not shown, a line says so).
        ladder_rows: at most this many ladder rows (None: all).
    """

    gaps: bool = True
    dynamics: bool = True
    coupled: bool = True
    everyone: bool = True
    reached_rows: bool = True
    hint: bool = True
    forked: bool = True
    outlook_rows: int | None = None
    ladder_rows: int | None = None


FULL = Squeeze()
STEPS = ("gaps", "dynamics", "coupled", "reached_rows", "hint", "forked", "everyone")


def squeezes(session: Session, height: int) -> Iterator[Squeeze]:
    """Layouts of the position, each shorter than the one before (see the module)."""
    sq = FULL
    yield sq
    for name in STEPS:
        sq = replace(sq, **{name: False})
        yield sq
    stages = len(session.ladder.stages)
    for rows in range(stages - 1, MIN_ROWS - 1, -1):
        sq = replace(sq, outlook_rows=rows)
        yield sq
    for rows in range(stages - 1, MIN_ROWS - 1, -1):
        sq = replace(sq, ladder_rows=rows)
        yield sq
    for rows in range(MIN_ROWS - 1, -1, -1):  # at last, no outlook rows: a line says so
        sq = replace(sq, outlook_rows=rows, ladder_rows=max(1, rows))
        yield sq


def window(stages: int, here: int, rows: int | None) -> tuple[range, int, int]:
    """The ladder rows shown around the current stage `here` (one below it, the rest
    above), and how many are left out above and below."""
    if rows is None or rows >= stages:
        return range(stages), 0, 0
    low = min(max(0, here - 1 if rows > 1 else here), stages - rows)
    low = max(low, here - rows + 1)  # the current stage is always shown
    return range(low, low + rows), stages - low - rows, low


def middle_cut(lines: list[str], height: int, tail: int) -> list[str]:
    """At most `height` lines: the first ones and the last `tail` (the moves), with a line
    saying how many were left out between them."""
    if len(lines) <= height:
        return lines
    tail = min(tail, max(0, height - 2))
    head = max(0, height - tail - 1)
    gone = len(lines) - head - tail
    return lines[:head] + [f"  ({gone} lines not shown: a taller terminal shows them)"] + (
        lines[len(lines) - tail:] if tail else [])
