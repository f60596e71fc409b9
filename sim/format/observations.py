"""A scenario's observation layer (`observe:`): quantities recorded per run and calendar
period, for calibration against observed history (docs/format.md, "Observations").

Each quantity is exactly one of `stage: <ladder key>` (the highest stage index in the
period), `count: <actor>.<action>` (how often the action was chosen, times `scale`) and
`mean: <variable or tension>` (its mean over the period's steps).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import vocabulary
from .actors import Actor
from .check import Checker, join, listing, suggest
from .clock import Clock
from .dynamics import Names
from .yamlio import line_of

OBSERVE_KEYS = vocabulary.keys("observe")
QUANTITY_KEYS = vocabulary.keys("observable")
KINDS = ("stage", "count", "mean")  # a quantity gives exactly one
PERIODS = ("month",)


@dataclass(frozen=True, slots=True)
class Quantity:
    """One observed quantity: `kind` (stage, count or mean) of `of` (a ladder key,
    `<actor>.<action>`, or tension or a variable); `scale` multiplies a count."""

    name: str
    kind: str
    of: str
    scale: float = 1.0
    description: str = ""


@dataclass(frozen=True, slots=True)
class Observe:
    """The observation layer: the period (`month`) and the quantities, in file order."""

    period: str
    quantities: tuple[Quantity, ...]

    def names(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.quantities)


def read_observe(ck: Checker, top: dict, clock: Clock | None, names: Names,
                 actors: list[Actor]) -> Observe | None:
    """Read and check `observe:` (None when the file has none or it is invalid)."""
    if "observe" not in top:
        return None
    m = ck.mapping(top["observe"], "observe", line_of(top, "observe"), OBSERVE_KEYS,
                   vocabulary.required("observe"))
    if m is None:
        return None
    period = ck.get(m, "period", "observe", "str", default="month")
    ok = period is not None
    if period is not None and period not in PERIODS:
        ck.error(line_of(m, "period"), "observe.period", f"expected month, got {period!r}")
        ok = False
    elif clock is not None and clock.start_date is None:
        ck.error(line_of(m, "period") or line_of(top, "observe"), "observe.period",
                 "period month needs clock.start_date (the calendar date of step 0)")
        ok = False
    raw = ck.id_mapping(m.get("quantities", {}), "observe.quantities",
                        line_of(m, "quantities"), "quantity")
    if raw is not None and not raw and "quantities" in m:
        ck.error(line_of(m, "quantities"), "observe.quantities", "expected at least one quantity")
    quantities = []
    for name, value in (raw or {}).items():
        q = _quantity(ck, str(name), value, line_of(raw, name), names, actors)
        ok = ok and q is not None
        if q is not None:
            quantities.append(q)
    return Observe(period, tuple(quantities)) if ok and quantities else None


def _quantity(ck: Checker, name: str, value: object, line: int | None, names: Names,
              actors: list[Actor]) -> Quantity | None:
    path = join("observe.quantities", name)
    m = ck.mapping(value, path, line, QUANTITY_KEYS)
    if m is None:
        return None
    given = [k for k in KINDS if k in m]
    if len(given) != 1:
        what = f"got {listing(given)}" if given else "got none"
        ck.error(line_of(m) or line, path,
                 f"expected exactly one of {listing(KINDS)} ({what})")
        return None
    kind = given[0]
    field, where = join(path, kind), line_of(m, kind)
    of = ck.get(m, kind, path, "str")
    description = ck.get(m, "description", path, "str", default="")
    scale = 1.0
    if "scale" in m:
        if kind != "count":
            ck.error(line_of(m, "scale"), join(path, "scale"), "scale goes with count only")
            return None
        given_scale = ck.finite(m["scale"], line_of(m, "scale"), join(path, "scale"))
        if given_scale is None:
            return None
        scale = given_scale
        if not 0 < scale <= vocabulary.MAX_MAGNITUDE:
            ck.error(line_of(m, "scale"), join(path, "scale"),
                     f"expected a number > 0 and <= {vocabulary.MAX_MAGNITUDE:g}, got {scale}")
            return None
    if of is None or not _known(ck, kind, of, field, where, names, actors):
        return None
    return Quantity(name, kind, of, float(scale), description or "")


def _known(ck: Checker, kind: str, of: str, field: str, line: int | None, names: Names,
           actors: list[Actor]) -> bool:
    """Whether `of` names what `kind` reads; reports it otherwise."""
    if kind == "stage":
        keys = list(names.ladders)
        if of in keys:
            return True
        ck.error(line, field, f"unknown ladder key '{of}'{suggest(of, keys)} "
                 f"(expected one of: {listing(keys)})")
        return False
    if kind == "mean":
        numbers = names.numbers()
        if of in numbers:
            return True
        ck.error(line, field, f"unknown variable '{of}'{suggest(of, numbers)} "
                 f"(expected tension or a variable: {listing(numbers)})")
        return False
    actor_id, _, action = of.partition(".")
    by_id = {a.id: a for a in actors}
    if not action:
        ck.error(line, field, f"expected <actor>.<action>, got '{of}'")
        return False
    if actor_id not in by_id:
        ck.error(line, field, f"unknown actor '{actor_id}'{suggest(actor_id, by_id)} "
                 f"(expected <actor>.<action>, with an actor of: {listing(by_id)})")
        return False
    ids = by_id[actor_id].action_ids
    if action not in ids:
        ck.error(line, field, f"{actor_id} has no action '{action}'{suggest(action, ids)} "
                 f"(its actions: {listing(ids)})")
        return False
    return True
