"""A workshop transcript read back: the JSON record in its last section, checked.

`ladder play --transcript FILE.md` ends the markdown with a section `## Record` holding one
```json block: the session as data (format "ladder-transcript/1", described in
docs/debrief.md). `read_transcript` finds that block, parses it and checks the parts the
debrief reads, so a damaged or hand-edited file is refused with its name and the line of
the block rather than failing half way through a hot wash.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, ValidationError
from ..format.access import read_input, shown

FORMAT = "ladder-transcript/1"
HEADING = "## Record"
MAX_BYTES = 8_000_000  # a transcript of a long session with many decision points stays far below
_NUMBER = (int, float)


@dataclass(frozen=True)
class Transcript:
    """One room's record, with where it came from.

    Attributes:
        path: the transcript file.
        line: the line of the record's ```json fence in it.
        record: the parsed record (a dict in the "ladder-transcript/1" format).
    """

    path: Path
    line: int
    record: dict


def read_transcript(path: str | Path) -> Transcript:
    """The record of a transcript file, found, parsed and checked.

    Raises:
        InputError: naming the file (and the line of the block when there is one): it cannot
            be read, is not UTF-8, has no `## Record` section with a ```json block, the
            block is not JSON, or it is not a "ladder-transcript/1" record.
    """
    path = Path(path)
    try:
        data = read_input(path, MAX_BYTES)
    except ValidationError as exc:
        raise InputError("; ".join(str(p) for p in exc.problems)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown(path)}: not UTF-8 text (byte {exc.start}); expected a "
                         "markdown transcript from `ladder play --transcript`") from None
    line, block = find_block(text, shown(path))
    where = f"{shown(path)}:{line}"
    try:
        record = json.loads(block, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"{shown(path)}:{line + exc.lineno}: the record is not valid JSON: "
                         f"{exc.msg} (column {exc.colno})") from None
    except ValueError as exc:  # NaN or Infinity
        raise InputError(f"{where}: the record is not valid JSON: {exc}") from None
    check_record(record, where)
    return Transcript(path, line, record)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def find_block(text: str, name: str) -> tuple[int, str]:
    """The line of the ```json fence of the last `## Record` section, and the block's text.

    Raises:
        InputError: no such section, no ```json block in it, or the block is not closed.
    """
    lines = text.splitlines()
    heads = [i for i, line in enumerate(lines) if line.strip() == HEADING]
    if not heads:
        raise InputError(f"{name}: no '{HEADING}' section: expected a transcript written by "
                         "`ladder play --transcript`, whose last section holds the session "
                         "as a ```json block")
    head = heads[-1]
    fence = next((i for i in range(head + 1, len(lines)) if lines[i].strip() == "```json"
                  or lines[i].startswith(("#", "```"))), None)  # prose may come first
    if fence is None or lines[fence].strip() != "```json":
        raise InputError(f"{name}:{head + 1}: the '{HEADING}' section has no ```json block "
                         "after its heading")
    end = next((i for i in range(fence + 1, len(lines)) if lines[i].strip() == "```"), None)
    if end is None:
        raise InputError(f"{name}:{fence + 1}: the record's ```json block is not closed (no "
                         "``` line after it)")
    return fence + 1, "\n".join(lines[fence + 1:end])


# -- the checks: the keys the debrief reads, with their types ---------------------------------

def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


class _Check:
    """Type checks at one place in the record, raising an InputError that names it."""

    def __init__(self, where: str, stage_ids: list[str] | None = None):
        self.where, self.stage_ids = where, stage_ids or []

    def fail(self, field: str, expected: str, value: object) -> InputError:
        return InputError(f"{self.where}: record: {field} should be {expected}, got "
                          f"{_kind(value)}")

    def get(self, obj: dict, key: str, field: str) -> object:
        if key not in obj:
            raise InputError(f"{self.where}: record: {field} is missing '{key}'")
        return obj[key]

    def obj(self, value: object, field: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(field, "an object", value)
        return value

    def text(self, obj: dict, key: str, field: str) -> str:
        value = self.get(obj, key, field)
        if not isinstance(value, str):
            raise self.fail(f"{field}.{key}", "a string", value)
        return value

    def whole(self, obj: dict, key: str, field: str) -> int:
        value = self.get(obj, key, field)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{field}.{key}", "a whole number", value)
        return value

    def number(self, obj: dict, key: str, field: str) -> float:
        value = self.get(obj, key, field)
        if isinstance(value, bool) or not isinstance(value, _NUMBER) or not math.isfinite(value):
            raise self.fail(f"{field}.{key}", "a number", value)
        return float(value)

    def items(self, obj: dict, key: str, field: str) -> list:
        value = self.get(obj, key, field)
        if not isinstance(value, list):
            raise self.fail(f"{field}.{key}", "a list", value)
        return value

    def stage(self, obj: dict, key: str, field: str) -> str:
        value = self.text(obj, key, field)
        if value not in self.stage_ids:
            raise InputError(f"{self.where}: record: {field}.{key} is '{value}', not one of "
                             f"stage_ids ({', '.join(self.stage_ids)})")
        return value


def check_record(record: object, where: str) -> None:
    """Check a parsed record's format and the parts the debrief reads.

    Raises:
        InputError: at `where` (FILE:LINE), naming the field that is wrong.
    """
    c = _Check(where)
    if not isinstance(record, dict):
        raise c.fail("the record", "one JSON object", record)
    fmt = record.get("format")
    if fmt != FORMAT:
        got = f"'{fmt}'" if isinstance(fmt, str) else _kind(fmt)
        raise InputError(f"{where}: the record's format is {got}, expected '{FORMAT}' (a "
                         "transcript from `ladder play --transcript`)")
    scenario = c.obj(c.get(record, "scenario", "the record"), "scenario")
    for key in ("id", "title", "ladder"):
        c.text(scenario, key, "scenario")
    stage_ids = c.items(record, "stage_ids", "the record")
    if not stage_ids or not all(isinstance(s, str) for s in stage_ids):
        raise c.fail("stage_ids", "a list of stage ids", stage_ids)
    c.stage_ids = stage_ids
    c.whole(record, "seed", "the record")
    c.whole(record, "outlook_runs", "the record")
    c.text(record, "draws", "the record")
    players = c.items(record, "players", "the record")
    if not all(isinstance(p, str) for p in players):
        raise c.fail("players", "a list of actor ids", players)
    steps = c.get(record, "turn_steps", "the record")
    if steps != "decision" and (isinstance(steps, bool) or not isinstance(steps, int)):
        raise c.fail("turn_steps", "a whole number or \"decision\"", steps)
    end = c.obj(c.get(record, "end", "the record"), "end")
    c.whole(end, "step", "end")
    for key in ("stage", "peak"):
        c.stage(end, key, "end")
    c.text(end, "ended", "end")
    for i, entry in enumerate(c.items(record, "log", "the record")):
        _check_entry(c, c.obj(entry, f"log[{i}]"), f"log[{i}]")


def _check_entry(c: _Check, entry: dict, field: str) -> None:
    kind = c.text(entry, "kind", field)
    c.whole(entry, "step", field)
    field = f"{field} ({kind})"
    if kind == "start":
        c.stage(entry, "stage", field)
        _check_outlook(c, entry, "outlook", field)
    elif kind == "turn":
        for key in ("stage_before", "stage_after"):
            c.stage(entry, key, field)
        c.text(entry, "stage_why", field)
        if not all(isinstance(e, str) for e in c.items(entry, "events", field)):
            raise c.fail(f"{field}.events", "a list of event names", entry["events"])
        for j, move in enumerate(c.items(entry, "moves", field)):
            move = c.obj(move, f"{field}.moves[{j}]")
            for key in ("actor", "action", "how", "why"):
                c.text(move, key, f"{field}.moves[{j}]")
        _check_outlook(c, entry, "outlook", field)
    elif kind == "decision":
        for key in ("actor", "chosen", "how", "why"):
            c.text(entry, key, field)
        c.stage(entry, "stage", field)
        c.whole(entry, "n", field)
        for j, option in enumerate(c.items(entry, "options", field)):
            option = c.obj(option, f"{field}.options[{j}]")
            c.text(option, "action", f"{field}.options[{j}]")
            c.number(option, "share", f"{field}.options[{j}]")
            _check_rows(c, option, f"{field}.options[{j}]")
    elif kind == "control":
        for key in ("power", "what", "why"):
            c.text(entry, key, field)
        _check_outlook(c, entry, "outlook_before", field)
        _check_outlook(c, entry, "outlook_after", field)
    elif kind == "fork":
        for key in ("change", "why"):
            c.text(entry, key, field)
        c.whole(entry, "n", field)
        _check_rows(c, entry, field)
    elif kind == "note":
        c.text(entry, "text", field)
    # any other kind is a later addition to the format: the debrief passes over it


def _check_outlook(c: _Check, entry: dict, key: str, field: str) -> None:
    value = c.get(entry, key, field)
    if value is None:
        return
    o = c.obj(value, f"{field}.{key}")
    field = f"{field}.{key}"
    c.whole(o, "step", field)
    c.whole(o, "n", field)
    reached = c.stage_ids.index(c.stage(o, "reached", field))
    for part in ("p", "lo", "hi"):
        values = c.obj(c.get(o, part, field), f"{field}.{part}")
        for stage in c.stage_ids[reached + 1:]:
            c.number(values, stage, f"{field}.{part}")


def _check_rows(c: _Check, obj: dict, field: str) -> None:
    for k, row in enumerate(c.items(obj, "rows", field)):
        row = c.obj(row, f"{field}.rows[{k}]")
        c.stage(row, "stage", f"{field}.rows[{k}]")
        for key in ("pa", "pb", "diff", "lo", "hi", "p"):
            c.number(row, key, f"{field}.rows[{k}]")
        if not isinstance(c.get(row, "already", f"{field}.rows[{k}]"), bool):
            raise c.fail(f"{field}.rows[{k}].already", "true/false", row["already"])
