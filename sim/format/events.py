"""Events of a scenario: scheduled (`at`) or conditional (`when`) changes to parameters,
tension or stage."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import vocabulary
from .actors import Actor, no_remove
from .check import Checker, join, listing, suggest
from .clock import STEP_DAYS, Clock, read_date
from .distributions import Number, parse_number, parse_weight
from .dynamics import Names, read_stage_ref
from .expr import Condition, Symbols
from .ladder import Ladder, compile_guard
from .overrides import param_problem
from .yamlio import line_of

EVENT_KEYS = vocabulary.keys("event")
EVENT_TENSION_KEYS = vocabulary.keys("eventTension")


@dataclass(frozen=True, slots=True)
class Event:
    """A scheduled (`at`) or conditional (`when`) change to parameters, tension or stage."""

    name: str
    at: int | None = None
    when: Condition | None = None
    once: bool = True
    set: dict[str, Number] = field(default_factory=dict)
    tension: tuple[str, Number] | None = None
    stage: str | None = None
    description: str = ""
    source: str = ""  # the reference the event rests on (a citation; not used by the model)
    flags: tuple[tuple[str, bool], ...] = ()  # flags set (True) or cleared (False)
    variables: tuple[tuple[str, str, Number], ...] = ()  # (variable, add | set, value)
    stage_on: tuple[str, str] | None = None  # (ladder key, stage) on a coupled ladder


def read_events(ck: Checker, top: dict, ladder: Ladder, actors: list[Actor], clock: Clock | None,
            symbols: Symbols, names: Names | None = None) -> list[Event]:
    names = names or Names(ladders={"main": ladder})
    seq = ck.sequence(top.get("events", []), "events", line_of(top, "events"), "events")
    events: list[Event] = []
    for i, item in enumerate(seq or []):
        path = f"events[{i}]"
        m = ck.mapping(item, path, line_of(seq, i), EVENT_KEYS, vocabulary.required("event"))
        if m is None:
            continue
        no_remove(ck, m, path, "event")
        name = ck.get(m, "name", path, "str", required=True)
        if ("at" in m) == ("when" in m):
            ck.error(line_of(m), path, "an event needs exactly one of 'at' (a step or date) "
                     "and 'when' (a condition)")
        if not any(k in m for k in ("set", "tension", "stage", "flags", "variables")):
            ck.error(line_of(m), path, "an event must change something: give 'set', "
                     "'tension', 'stage', 'flags' or 'variables'")
        at = _event_step(ck, m, path, clock) if "at" in m else None
        when = compile_guard(ck, m, "when", path, symbols, required=True)
        once = ck.get(m, "once", path, "bool", default=True)
        sets = _event_sets(ck, m, path, ladder, actors)
        tension = _change(ck, m, "tension", path) if "tension" in m else None
        variables = _variables(ck, m, path, names)
        flags = _flags(ck, m, path, names)
        stage_on = None
        raw_stage = m.get("stage")
        if isinstance(raw_stage, str) and ":" in raw_stage:
            stage, stage_on = None, read_stage_ref(ck, m, "stage", path, names)
        else:
            stage = ck.get(m, "stage", path, "id")
        if stage is not None and stage not in ladder.stage_ids:
            ck.error(line_of(m, "stage"), join(path, "stage"), f"unknown stage '{stage}'"
                     f"{suggest(stage, ladder.stage_ids)} (stages: {listing(ladder.stage_ids)})")
            stage = None
        description = ck.get(m, "description", path, "str", default="")
        source = ck.get(m, "source", path, "str", default="")
        if name is not None:
            events.append(Event(name, at, when, bool(once), sets, tension, stage, description,
                                source, flags, variables, stage_on))
    return events


def _change(ck: Checker, m: dict, key: str, path: str) -> tuple[str, Number] | None:
    """`{add: x}` or `{set: x}` at m[key]."""
    field = join(path, key)
    tm = ck.mapping(m[key], field, line_of(m, key), EVENT_TENSION_KEYS)
    if tm is not None and len(tm) != 1:
        ck.error(line_of(m, key), field, "expected exactly one of add or set, e.g. {add: 1.5}")
    elif tm:
        op = next(iter(tm))
        num = parse_number(ck, tm[op], join(field, op), line_of(tm, op))
        return (op, num) if num is not None else None
    return None


def _variables(ck: Checker, m: dict, path: str, names: Names
               ) -> tuple[tuple[str, str, Number], ...]:
    raw = m.get("variables", {})
    if not isinstance(raw, dict):
        ck.error(line_of(m, "variables"), join(path, "variables"),
                 "expected a mapping: variable -> {add: x} or {set: x}")
        return ()
    out = []
    for name in raw:
        if name not in names.variables:
            ck.error(line_of(raw, name), join(join(path, "variables"), name), f"unknown "
                     f"variable '{name}'{suggest(str(name), names.variables)} (variables: "
                     f"{listing(names.variables) or 'none declared'})")
            continue
        change = _change(ck, raw, name, join(path, "variables"))
        if change is not None:
            out.append((name, *change))
    return tuple(out)


def _flags(ck: Checker, m: dict, path: str, names: Names) -> tuple[tuple[str, bool], ...]:
    raw = m.get("flags", {})
    if not isinstance(raw, dict):
        ck.error(line_of(m, "flags"), join(path, "flags"),
                 "expected a mapping: flag -> true (set) or false (clear)")
        return ()
    out = []
    for name, value in raw.items():
        field = join(join(path, "flags"), name)
        if name not in names.flags:
            ck.error(line_of(raw, name), field, f"unknown flag '{name}'"
                     f"{suggest(str(name), names.flags)} (flags: "
                     f"{listing(names.flags) or 'none declared'})")
        elif not isinstance(value, bool):
            ck.error(line_of(raw, name), field, "expected true (set) or false (clear)")
        else:
            out.append((name, value))
    return tuple(out)


def _event_step(ck: Checker, m: dict, path: str, clock: Clock | None) -> int | None:
    value, line, field = m["at"], line_of(m, "at"), join(path, "at")
    if clock is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        step = value
    elif isinstance(value, str):
        if clock.start_date is None:
            ck.error(line, field, f"a date needs clock.start_date; got {value!r}")
            return None
        date = read_date(ck, value, line, field)
        if date is None:
            return None
        days = (date - clock.start_date).days
        step = math.ceil(days / STEP_DAYS[clock.step])
    else:
        ck.error(line, field, f"expected a step number or a date, got {value!r}")
        return None
    if step < 1:
        ck.error(line, field, f"{value} is step {step}, outside the run (steps 1 to "
                 f"{clock.horizon})")
        return None
    if step > clock.horizon:
        # not an error: `--horizon` may shorten a run; the engine never reaches this step
        ck.warn(line, field, f"{value} is step {step}, after the last step ({clock.horizon}); "
                "the event never happens")
    return step


def _event_sets(ck: Checker, m: dict, path: str, ladder: Ladder, actors: list[Actor]
                ) -> dict[str, Number]:
    sets: dict[str, Number] = {}
    raw = m.get("set", {})
    field = join(path, "set")
    if not isinstance(raw, dict):
        ck.error(line_of(m, "set"), field, "expected a mapping of parameter paths to numbers")
        return sets
    for key, value in raw.items():
        line = line_of(raw, key)
        problem = param_problem(str(key), ladder, actors)
        if problem:
            ck.error(line, join(field, key), problem)
            continue
        if key == "tension.decay":
            num = parse_number(ck, value, join(field, key), line, 0.0, 1.0)
        elif key.endswith(".effect"):
            num = parse_number(ck, value, join(field, key), line)
        else:  # a weight or a modifier's scale
            num = parse_weight(ck, value, join(field, key), line,
                               "scale" if ".scale." in key else "weight")
        if num is not None:
            sets[key] = num
    return sets
