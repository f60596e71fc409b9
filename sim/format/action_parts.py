"""An action's parts beyond its tension effect: effects on state variables, the flags it sets
and clears, the face it shows others (`signal`), a trigger on a coupled ladder, and the other
actor's action a joint decision requires (docs/format.md, "State variables" and after)."""

from __future__ import annotations

from dataclasses import dataclass

from . import vocabulary
from .check import Checker, join, listing, suggest
from .distributions import Number, parse_number
from .dynamics import Names, read_stage_ref
from .vocabulary import DIST_KINDS
from .yamlio import line_of

SIGNAL_KEYS = vocabulary.keys("signal")
DISTRIBUTION_KEYS = frozenset(DIST_KINDS) | {"clip", "p"}  # a mapping with these is a distribution


@dataclass(frozen=True, slots=True)
class ActionParts:
    """What `read_parts` finds in one action's mapping."""

    effect: Number | None = 0.0  # on tension
    effects: tuple[tuple[str, Number], ...] = ()  # on other variables, in file order
    sets: tuple[str, ...] = ()
    clears: tuple[str, ...] = ()
    signal: tuple[str, float] | None = None  # (action shown, probability)
    requires: tuple[str, str] | None = None  # (actor, action)
    within: int = 0
    trigger: str | None = None  # a stage of the main ladder
    trigger_on: tuple[str, str] | None = None  # (ladder key, stage) of a coupled ladder


def read_parts(ck: Checker, am: dict, path: str, names: Names, action_ids: list[str],
               population: bool) -> ActionParts:
    """Read `effect`, `sets`, `clears`, `signal`, `requires`, `within` and `trigger`."""
    effect, effects = _effect(ck, am, path, names)
    flags = {key: _flags(ck, am, path, key, names, population) for key in ("sets", "clears")}
    signal = None
    if "signal" in am:
        sm = ck.mapping(am["signal"], join(path, "signal"), line_of(am, "signal"),
                        SIGNAL_KEYS, vocabulary.required("signal"))
        if sm is not None:
            shows = ck.get(sm, "shows", join(path, "signal"), "id", required=True)
            p = ck.get(sm, "p", join(path, "signal"), "number", default=1.0)
            if shows is not None and shows not in action_ids:
                ck.error(line_of(sm, "shows"), join(path, "signal.shows"),
                         f"unknown action '{shows}'{suggest(shows, action_ids)} (the actor's "
                         f"actions: {listing(action_ids)})")
            elif p is not None and not 0 <= p <= 1:
                ck.error(line_of(sm, "p"), join(path, "signal.p"),
                         f"expected a probability in [0, 1], got {p}")
            elif shows is not None and p is not None:
                signal = (shows, float(p))
        if population and signal is not None:
            ck.error(line_of(am, "signal"), join(path, "signal"), "a population's members "
                     "show what they do: signals are for one actor's decisions")
            signal = None
    trigger, trigger_on = _trigger(ck, am, path, names)
    requires, within = None, 0
    if "requires" in am:
        text = ck.get(am, "requires", path, "str")
        if text is not None and (text.count(".") != 1 or not all(text.split("."))):
            ck.error(line_of(am, "requires"), join(path, "requires"),
                     f"expected <actor>.<action>, e.g. moscow.authorise_release, got {text!r}")
        elif text is not None:
            a, b = text.split(".")
            requires = (a, b)
        if trigger is None and trigger_on is None:
            ck.error(line_of(am, "requires"), join(path, "requires"),
                     "requires makes a trigger a joint decision; this action has no trigger")
    if "within" in am:
        within = ck.get(am, "within", path, "int", default=0)
        if "requires" not in am:
            ck.error(line_of(am, "within"), join(path, "within"), "within goes with requires")
        elif within is not None and not 0 <= within <= 1000:
            ck.error(line_of(am, "within"), join(path, "within"),
                     f"expected a whole number of steps from 0 to 1000, got {within}")
            within = 0
    return ActionParts(effect, effects, flags["sets"], flags["clears"], signal, requires,
                       within or 0, trigger, trigger_on)


def _effect(ck: Checker, am: dict, path: str, names: Names
            ) -> tuple[Number | None, tuple[tuple[str, Number], ...]]:
    if "effect" not in am:
        return 0.0, ()
    field, raw = join(path, "effect"), am["effect"]
    if not isinstance(raw, dict) or set(raw) & DISTRIBUTION_KEYS:
        return parse_number(ck, raw, field, line_of(am, "effect")), ()
    tension: Number | None = 0.0
    effects = []
    for name, value in raw.items():
        line = line_of(raw, name)
        if name not in names.numbers():
            ck.error(line, join(field, name), f"unknown variable '{name}'"
                     f"{suggest(str(name), names.numbers())} (expected tension or a declared "
                     f"variable: {listing(names.variables) or 'none declared'})")
            continue
        if name in names.learning:
            ck.error(line, join(field, name), f"'{name}' learns: it moves toward what its "
                     "holder observes, not by effects")
            continue
        num = parse_number(ck, value, join(field, name), line)
        if name == "tension":
            tension = num
        elif num is not None:
            effects.append((name, num))
    return tension, tuple(effects)


def _flags(ck: Checker, am: dict, path: str, key: str, names: Names,
           population: bool) -> tuple[str, ...]:
    if key not in am:
        return ()
    field, raw = join(path, key), am[key]
    if population:
        ck.error(line_of(am, key), field, "a population's members act one by one: flags are "
                 "set by one actor's decisions (or by events)")
        return ()
    if not isinstance(raw, list) or not raw:
        ck.error(line_of(am, key), field, "expected a non-empty list of flag names")
        return ()
    out = []
    for i, name in enumerate(raw):
        if name not in names.flags:
            ck.error(line_of(raw, i), f"{field}[{i}]", f"unknown flag {name!r}"
                     f"{suggest(str(name), names.flags)} (flags: "
                     f"{listing(names.flags) or 'none declared'})")
        else:
            out.append(name)
    return tuple(out)


def _trigger(ck: Checker, am: dict, path: str, names: Names
             ) -> tuple[str | None, tuple[str, str] | None]:
    text = am.get("trigger")
    if not isinstance(text, str) or ":" not in text:
        return ck.get(am, "trigger", path, "id"), None
    key, _, stage = text.partition(":")
    if key == names.main_key:
        return ck.get({"trigger": stage}, "trigger", path, "id"), None
    return None, read_stage_ref(ck, am, "trigger", path, names)


def check_requires(ck: Checker, top: dict, actors) -> None:
    """Each `requires` names another actor and one of its actions."""
    by_id = {a.id: a for a in actors}
    for actor in actors:
        for a in actor.actions:
            if a.requires is None:
                continue
            other, action = a.requires
            m = top["actors"][actor.id]["actions"][a.id]
            field = join(f"actors.{actor.id}.actions.{a.id}", "requires")
            if other not in by_id or other == actor.id:
                ck.error(line_of(m, "requires"), field, f"unknown actor '{other}'"
                         f"{suggest(other, [x for x in by_id if x != actor.id])} (a joint "
                         "decision needs another actor)")
            elif action not in by_id[other].action_ids:
                ids = by_id[other].action_ids
                ck.error(line_of(m, "requires"), field, f"unknown action '{action}' of "
                         f"{other}{suggest(action, ids)} (its actions: {listing(ids)})")
            elif by_id[other].is_population:
                ck.error(line_of(m, "requires"), field, f"{other} is a population: a joint "
                         "decision needs one actor's decision")
