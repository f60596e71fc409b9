"""The scenario's clock: the length of a step, the horizon, and the calendar date of a step."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from . import vocabulary
from .check import MISSING, Checker
from .vocabulary import DATE, MAX_HORIZON, STEP_DAYS
from .yamlio import line_of

CLOCK_KEYS = vocabulary.keys("clock")
DATE_RE = re.compile(DATE)


@dataclass(frozen=True, slots=True)
class Clock:
    step: str
    horizon: int
    start_date: dt.date | None = None

    def date_of(self, step: int) -> dt.date | None:
        """Calendar date of a step, when the clock has a start date."""
        if self.start_date is None:
            return None
        return self.start_date + dt.timedelta(days=step * STEP_DAYS[self.step])


def read_clock(ck: Checker, top: dict) -> Clock | None:
    m = ck.mapping(top.get("clock", MISSING), "clock", line_of(top, "clock"), CLOCK_KEYS,
                   vocabulary.required("clock"))
    if m is None:
        return None
    step = ck.get(m, "step", "clock", "str", default="day")
    if step not in STEP_DAYS:
        ck.error(line_of(m, "step"), "clock.step", f"expected day or week, got {step!r}")
        step = None
    horizon = ck.get(m, "horizon", "clock", "int", required=True)
    if horizon is not None and not 1 <= horizon <= MAX_HORIZON:
        ck.error(line_of(m, "horizon"), "clock.horizon",
                 f"expected an integer from 1 to {MAX_HORIZON}, got {horizon}")
        horizon = None
    start_date = None
    if m.get("start_date") is not None:
        start_date = read_date(ck, m["start_date"], line_of(m, "start_date"), "clock.start_date")
    elif "start_date" in m:
        ck.error(line_of(m, "start_date"), "clock.start_date",
                 "expected a date YYYY-MM-DD, got null (omit the key for no start date)")
    if step is None or horizon is None or ("start_date" in m and start_date is None):
        return None  # reported; events are not checked against a clock we could not read
    if start_date is not None and (late := _runs_past_the_calendar(start_date, step, horizon)):
        ck.error(line_of(m, "start_date"), "clock.start_date", late)
        return None
    return Clock(step, horizon, start_date)


def _runs_past_the_calendar(start: dt.date, step: str, horizon: int) -> str | None:
    """Why the date of the last step is not a calendar date (after 9999-12-31), or None."""
    days = horizon * STEP_DAYS[step]
    if (dt.date.max - start).days >= days:
        return None
    unit = f"{step}{'s' if horizon != 1 else ''}"
    latest = dt.date.max - dt.timedelta(days=days)  # MAX_HORIZON weeks fit in the calendar
    return (f"{start.isoformat()} plus the horizon of {horizon} {unit} runs past "
            f"{dt.date.max.isoformat()}, the last date there is; start on "
            f"{latest.isoformat()} or earlier, or shorten clock.horizon")


def read_date(ck: Checker, value: object, line: int | None, field: str) -> dt.date | None:
    """A calendar date written YYYY-MM-DD (`fromisoformat` alone would also take 20240527)."""
    try:
        if isinstance(value, str) and DATE_RE.match(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    ck.error(line, field, f"expected a date YYYY-MM-DD, got {value!r}")
    return None
