"""A stage's `up` and `down` thresholds: a number, or a distribution each run draws from.

A drawn threshold is judgement stated as a range (docs/format.md, Ladder). Its order
against the other thresholds is checked over its whole range, so that every run's draws
keep the ladder's rules (thresholds increase; a stage's `down` lies below the `up` that
moved a run into it, and below its own `up`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .check import Checker, join
from .distributions import Dist, describe, parse_number
from .vocabulary import MAX_MAGNITUDE
from .yamlio import YamlMap, line_of

if TYPE_CHECKING:
    from .ladder import Stage


def read_threshold(ck: Checker, m: dict, key: str, path: str
                   ) -> tuple[float | None, Dist | None]:
    """A stage's `up` or `down`: (its value, or the midpoint of a distribution's range;
    the distribution or None). (None, None) when absent or bad."""
    if key not in m:
        return None, None
    field = join(path, key)
    if not isinstance(m[key], dict):  # a number (or not): checked as before distributions
        number = ck.get(m, key, path, "number")
        if number is not None and not -MAX_MAGNITUDE <= number <= MAX_MAGNITUDE:
            ck.error(line_of(m, key), field, f"{key} {number:g} is outside the allowed "
                     f"range [{-MAX_MAGNITUDE:g}, {MAX_MAGNITUDE:g}]")
            return None, None
        return (None if number is None else float(number)), None
    value = parse_number(ck, m[key], field, line_of(m, key), -MAX_MAGNITUDE, MAX_MAGNITUDE)
    if not isinstance(value, Dist):
        return None, None
    lo, hi = value.bounds()  # finite: parse_number keeps every draw within +-MAX_MAGNITUDE
    return (lo + hi) / 2, value


def span(stage: Stage, key: str) -> tuple[float, float] | None:
    """The lowest and highest value `up` or `down` of `stage` can take (None: absent)."""
    value, drawn = ((stage.up, stage.up_drawn) if key == "up"
                    else (stage.down, stage.down_drawn))
    if drawn is not None:
        return drawn.bounds()
    return None if value is None else (value, value)


def shown(stage: Stage, key: str) -> str:
    """`up` or `down` as text: `5`, or `uniform(4.5, 5.5)` for a drawn threshold."""
    drawn = stage.up_drawn if key == "up" else stage.down_drawn
    if drawn is not None:
        return describe(drawn)
    value = stage.up if key == "up" else stage.down
    return "" if value is None else f"{value:g}"


def below_own_up(ck: Checker, stage: Stage, m: YamlMap, path: str) -> None:
    """A stage's `down` lies below its own `up` over both ranges."""
    up, down = span(stage, "up"), span(stage, "down")
    if up is not None and down is not None and down[1] >= up[0]:
        ck.error(line_of(m, "down"), join(path, "down"),
                 f"down {shown(stage, 'down')} must be below this stage's up "
                 f"{shown(stage, 'up')}")


def check_order(ck: Checker, stages: list[Stage], maps: list[YamlMap]) -> None:
    """Levels and up thresholds increase; hysteresis; the top stage has no up. A drawn
    threshold counts with its whole range.

    Each error points at the offending key (`maps[i]` is the mapping of `stages[i]`).
    """
    last_up: Stage | None = None
    for i, stage in enumerate(stages):
        path, m = f"stages.{stage.id}", maps[i]
        prev = stages[i - 1] if i > 0 else None
        up, down = span(stage, "up"), span(stage, "down")
        if prev is not None and stage.level <= prev.level:
            ck.error(line_of(m, "level"), join(path, "level"),
                     f"level {stage.level} must be above '{prev.id}' level {prev.level}")
        prev_up = span(prev, "up") if prev is not None else None
        if prev is not None and down is not None and prev_up is not None and down[1] >= prev_up[0]:
            ck.error(line_of(m, "down"), join(path, "down"),
                     f"down {shown(stage, 'down')} must be below '{prev.id}' up "
                     f"{shown(prev, 'up')} (hysteresis: the tension that moved a run up must "
                     "not move it straight back)")
        if up is None:
            continue
        last = span(last_up, "up") if last_up is not None else None
        if last_up is not None and last is not None and up[0] <= last[1]:
            ck.error(line_of(m, "up"), join(path, "up"),
                     f"thresholds out of order: up {shown(stage, 'up')} must be above "
                     f"'{last_up.id}' up {shown(last_up, 'up')}")
        last_up = stage
        if i == len(stages) - 1:
            ck.error(line_of(m, "up"), join(path, "up"),
                     "the top stage has no stage above it to move up to")
