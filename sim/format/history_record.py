"""History records (`kind: history-record`): the monthly record of a crisis, for replay and
calibration.

A record (format in docs/format.md, "History records") gives, month by month, the stage
each ladder in use was in (`stages`, the highest stage of the month) and the observable
quantities the sources give (`observed`, null where no source gives one), each month with its
source; the forcing events a replay imposes are listed apart, under `inputs`, so the file
says which events are inputs and which months are what a model must reproduce.
`load_record` checks it with the project's `Checker`: every problem names the file, the line,
the field and what was expected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ValidationError
from .access import read_input
from .check import Checker, join, listing, suggest, type_name
from .clock import read_date
from .ladder import load_ladder
from .library import resolve_input
from .yamlio import MAX_BYTES, YamlMap, line_of, load_yaml

KIND = "history-record"
TOP_KEYS = frozenset({"kind", "id", "title", "description", "sources", "ladders",
                      "quantities", "inputs", "months", "spans"})
REQUIRED = ("kind", "id", "title", "description", "sources", "ladders", "quantities",
            "inputs", "months")
READINGS = ("count", "at_least", "level")  # what a quantity's number says (docs/format.md)
BASES = ("timeline", "documented", "judgement")  # where a month's stage comes from
MONTH_RE = re.compile(r"\d{4}-\d{2}\Z")


@dataclass(frozen=True)
class Quantity:
    """An observable a month may give: its unit, what its number says (`reading`: count, the
    month's total as a source gives it; at_least, the events the sources document, a lower
    bound, null where they document none; level, a stock at a point of the month) and what it
    means."""

    name: str
    unit: str
    reading: str
    description: str


@dataclass(frozen=True)
class Input:
    """A forcing event: what a replay imposes, not what it must reproduce. `event` is the
    name of the replay scenario's event that imposes it."""

    date: dt.date
    name: str
    event: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class Month:
    """One month of outcomes: the highest stage of each ladder (None: unknown), where each
    stage comes from (`basis`: timeline, documented or judgement), the observed quantities
    (None: no source gives it), the source and a note."""

    month: str
    stages: dict[str, str | None]
    basis: dict[str, str]
    observed: dict[str, float | None]
    source: str
    note: str = ""


@dataclass(frozen=True)
class Span:
    """A total over several months that no single month gives (`first` to `last`)."""

    first: str
    last: str
    quantity: str
    value: float
    source: str
    note: str = ""


@dataclass(frozen=True)
class Record:
    """A loaded history record (see the module docstring)."""

    id: str
    title: str
    description: str
    path: str
    sha256: str
    sources: tuple[str, ...]
    ladders: dict[str, str]
    quantities: dict[str, Quantity]
    inputs: tuple[Input, ...]
    months: tuple[Month, ...]
    spans: tuple[Span, ...] = ()

    def month(self, name: str) -> Month:
        """The month `name` ('YYYY-MM'); KeyError if the record has none."""
        for m in self.months:
            if m.month == name:
                return m
        raise KeyError(name)


def is_record(raw: object) -> bool:
    """A file whose top-level `kind` is history-record."""
    return isinstance(raw, dict) and raw.get("kind") == KIND


def load_record(path: str | Path) -> Record:
    """Load and check a history record (or the bundled one with this id).

    Raises:
        ValidationError: listing every problem found (file, line, field, what was expected).
    """
    path = resolve_input(path, "scenario")
    file = str(path)
    raw = load_yaml(path)
    ck = Checker(file)
    top = ck.mapping(raw, "", 1, TOP_KEYS, REQUIRED)
    if top is None:
        ck.raise_if_errors()
    assert top is not None  # ck.mapping reported why it is None, so that raised
    if "kind" in top and top["kind"] != KIND:
        ck.error(line_of(top, "kind"), "kind", f"expected '{KIND}', got {type_name(top['kind'])}")
    rid = ck.get(top, "id", "", "file_id", required=True)
    title = ck.get(top, "title", "", "str", required=True)
    description = ck.get(top, "description", "", "str", required=True)
    sources = ck.get(top, "sources", "", "strings", required=True, default=[])
    stage_ids = _ladders(ck, top)
    quantities = _quantities(ck, top)
    months = _months(ck, top, stage_ids, quantities)
    known = [m.month for m in months]
    inputs = _inputs(ck, top, known)
    spans = _spans(ck, top, known, quantities)
    ck.raise_if_errors()
    return Record(rid, title, description, file,
                  hashlib.sha256(read_input(path, MAX_BYTES)).hexdigest(), tuple(sources),
                  {k: str(v) for k, v in top["ladders"].items()}, quantities, tuple(inputs),
                  tuple(months), tuple(spans))


def _ladders(ck: Checker, top: YamlMap) -> dict[str, tuple[str, ...]]:
    """Key -> stage ids of each bundled ladder named (unknown ones reported)."""
    out: dict[str, tuple[str, ...]] = {}
    m = ck.id_mapping(top.get("ladders"), "ladders", line_of(top, "ladders"), "ladder key")
    if m is None:
        return out
    for key, lid in m.items():
        field = join("ladders", key)
        if ck.get(m, key, "ladders", "file_id", required=True) is None:
            continue
        try:
            out[key] = load_ladder(resolve_input(lid, "ladder")).stage_ids
        except ValidationError as exc:
            ck.error(line_of(m, key), field, f"unknown ladder '{lid}': {exc.problems[0].message}")
    return out


def _quantities(ck: Checker, top: YamlMap) -> dict[str, Quantity]:
    """The declared quantities, each with its unit, reading and description."""
    out: dict[str, Quantity] = {}
    m = ck.id_mapping(top.get("quantities"), "quantities", line_of(top, "quantities"),
                      "quantity")
    for name, spec in (m or {}).items():
        path = join("quantities", name)
        q = ck.mapping(spec, path, line_of(m, name), frozenset({"unit", "reading",
                       "description"}), ("unit", "reading", "description"))
        if q is None:
            continue
        unit, reading = ck.get(q, "unit", path, "str"), ck.get(q, "reading", path, "str")
        desc = ck.get(q, "description", path, "str")
        if reading is not None and reading not in READINGS:
            ck.error(line_of(q, "reading"), join(path, "reading"), f"expected one of "
                     f"{listing(READINGS)}, got {reading!r}{suggest(reading, READINGS)}")
        if unit and reading in READINGS and desc:
            out[name] = Quantity(name, unit, reading, desc)
    return out


def _stages(ck: Checker, m: YamlMap, path: str, ids: dict[str, tuple[str, ...]]
            ) -> dict[str, str | None]:
    """A mapping ladder key -> stage id or null (unknown), every key of `ladders` given."""
    raw = ck.id_mapping(m.get("stages"), join(path, "stages"), line_of(m, "stages"),
                        "ladder key")
    out: dict[str, str | None] = {}
    if raw is None:
        return out
    for key, stage in raw.items():
        field = join(join(path, "stages"), key)
        if key not in ids:
            ck.error(line_of(raw, key), field, f"unknown ladder key '{key}'"
                     f"{suggest(key, ids)} (ladders: {listing(ids) or 'none valid'})")
        elif stage is None:
            out[key] = None
        elif not isinstance(stage, str) or stage not in ids[key]:
            ck.error(line_of(raw, key), field, f"expected a stage of the ladder '{key}'"
                     f" or null (unknown), got {type_name(stage)}"
                     f"{suggest(str(stage), ids[key])} (stages: {listing(ids[key])})")
        else:
            out[key] = stage
    for key in ids:
        if key not in raw:
            ck.error(line_of(raw), join(path, "stages"), f"missing the stage of ladder '{key}' "
                     "(null where unknown)")
    return out


def _months(ck: Checker, top: YamlMap, ids: dict[str, tuple[str, ...]],
            quantities: dict[str, Quantity]) -> list[Month]:
    """The months, in order and without a gap (one problem for each slip)."""
    seq = ck.sequence(top.get("months"), "months", line_of(top, "months"), "months")
    out: list[Month] = []
    previous: str | None = None
    for i, item in enumerate(seq or []):
        path = f"months[{i}]"
        m = ck.mapping(item, path, line_of(seq, i), frozenset({"month", "stages", "basis",
                       "observed", "source", "note"}), ("month", "stages", "basis", "observed",
                                                        "source"))
        if m is None:
            continue
        name = _month_name(ck, m.get("month"), line_of(m, "month"), join(path, "month"))
        expected = _next_month(previous) if previous else name
        if name is not None and expected is not None and name != expected:
            why = "repeated" if name == previous else "out of order" if name < expected \
                else f"after a gap ({expected} is missing)"
            ck.error(line_of(m, "month"), join(path, "month"),
                     f"month {name} {why}: expected {expected}, the month after {previous}")
        # a month repeated or out of order stands for the one expected (one problem for one
        # slip); after a gap, counting goes on from the month given
        previous = max(name, expected) if name and expected else name or expected
        stages = _stages(ck, m, path, ids)
        basis = _basis(ck, m, path, ids)
        observed = _observed(ck, m, path, quantities)
        source = ck.get(m, "source", path, "str")
        note = ck.get(m, "note", path, "str", default="")
        if name is not None and source is not None:
            out.append(Month(name, stages, basis, observed, source, note))
    return out


def _month_name(ck: Checker, value: object, line: int | None, field: str) -> str | None:
    """A month written YYYY-MM (None and a problem otherwise)."""
    if isinstance(value, str) and MONTH_RE.match(value) and 1 <= int(value[5:]) <= 12:
        return value
    ck.error(line, field, f"expected a month YYYY-MM, got {type_name(value)}")
    return None


def _next_month(month: str) -> str:
    """The month after `month` (YYYY-MM)."""
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def _basis(ck: Checker, m: YamlMap, path: str, ids: dict[str, tuple[str, ...]]
           ) -> dict[str, str]:
    """Where each stage of a month comes from: timeline, documented or judgement."""
    raw = ck.id_mapping(m.get("basis"), join(path, "basis"), line_of(m, "basis"), "ladder key")
    out: dict[str, str] = {}
    for key, value in (raw or {}).items():
        field = join(join(path, "basis"), key)
        if key not in ids:
            ck.error(line_of(raw, key), field, f"unknown ladder key '{key}'{suggest(key, ids)}")
        elif value not in BASES:
            ck.error(line_of(raw, key), field, f"expected one of {listing(BASES)}, got "
                     f"{type_name(value)}{suggest(str(value), BASES)}")
        else:
            out[key] = value
    return out


def _observed(ck: Checker, m: YamlMap, path: str, quantities: dict[str, Quantity]
              ) -> dict[str, float | None]:
    """Every declared quantity of a month: a number >= 0, or None (no source gives it)."""
    raw = ck.id_mapping(m.get("observed"), join(path, "observed"), line_of(m, "observed"),
                        "quantity")
    out: dict[str, float | None] = {}
    if raw is None:
        return out
    for name, value in raw.items():
        field = join(join(path, "observed"), name)
        if name not in quantities:
            ck.error(line_of(raw, name), field, f"quantity '{name}' is not declared"
                     f"{suggest(name, quantities)} (quantities: {listing(quantities)})")
        elif value is None:
            out[name] = None
        else:
            number = ck.finite(value, line_of(raw, name), field)
            if number is not None and number < 0:
                ck.error(line_of(raw, name), field, f"expected a number >= 0 or null, got {value}")
            elif number is not None:
                out[name] = number
    missing = [q for q in quantities if q not in raw]
    if missing:
        ck.error(line_of(raw), join(path, "observed"), f"missing {listing(missing)} (give "
                 "null where no source gives a quantity)")
    return out


def _inputs(ck: Checker, top: YamlMap, months: list[str]) -> list[Input]:
    """The forcing events, each dated within the record's months."""
    seq = ck.sequence(top.get("inputs"), "inputs", line_of(top, "inputs"), "inputs")
    out: list[Input] = []
    first = dt.date.fromisoformat(months[0] + "-01") if months else None
    for i, item in enumerate(seq or []):
        path = f"inputs[{i}]"
        m = ck.mapping(item, path, line_of(seq, i), frozenset({"date", "name", "event",
                       "source", "note"}), ("date", "name", "event", "source"))
        if m is None:
            continue
        date = read_date(ck, m.get("date"), line_of(m, "date"), join(path, "date"))
        if date is not None and ((first and date < first) or (
                months and date.isoformat()[:7] > months[-1])):
            ck.error(line_of(m, "date"), join(path, "date"), f"expected a date from "
                     f"{first} to the end of {months[-1]}, got {date}")
        name, event = ck.get(m, "name", path, "str"), ck.get(m, "event", path, "str")
        source, note = ck.get(m, "source", path, "str"), ck.get(m, "note", path, "str", default="")
        if date and name and event and source:
            out.append(Input(date, name, event, source, note))
    return out


def _spans(ck: Checker, top: YamlMap, months: list[str], quantities: dict[str, Quantity]
           ) -> list[Span]:
    """Totals over several months of the record, of declared quantities."""
    seq = ck.sequence(top.get("spans"), "spans", line_of(top, "spans"), "spans")
    out: list[Span] = []
    for i, item in enumerate(seq or []):
        path = f"spans[{i}]"
        m = ck.mapping(item, path, line_of(seq, i), frozenset({"from", "to", "quantity", "value",
                       "source", "note"}), ("from", "to", "quantity", "value", "source"))
        if m is None:
            continue
        ends = [_month_name(ck, m.get(k), line_of(m, k), join(path, k)) for k in ("from", "to")]
        for key, end in zip(("from", "to"), ends, strict=True):
            if end is not None and end not in months:
                ck.error(line_of(m, key), join(path, key), f"month {end} is not in the record "
                         f"({months[0] if months else '?'} to {months[-1] if months else '?'})")
        if None not in ends and ends[0] > ends[1]:  # type: ignore[operator]
            ck.error(line_of(m, "to"), join(path, "to"), f"expected a month from {ends[0]} on, "
                     f"got {ends[1]}")
        quantity = ck.get(m, "quantity", path, "id")
        if quantity is not None and quantity not in quantities:
            ck.error(line_of(m, "quantity"), join(path, "quantity"), f"quantity '{quantity}' is "
                     f"not declared{suggest(quantity, quantities)}")
        value = ck.finite(m.get("value"), line_of(m, "value"), join(path, "value"))
        source, note = ck.get(m, "source", path, "str"), ck.get(m, "note", path, "str", default="")
        if ends[0] and ends[1] and quantity and value is not None and source:
            out.append(Span(ends[0], ends[1], quantity, value, source, note))
    return out
