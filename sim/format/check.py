"""Validation helpers: walk raw YAML values, collect every problem with its file, line and field."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Any, cast

from ..errors import Problem, ValidationError
from .vocabulary import FILE_ID_RE, ID_RE
from .yamlio import YamlList, YamlMap, line_of

MISSING = object()  # an absent key: containers skip it (the parent reported it if required)


def suggest(word: str, options: Iterable[str]) -> str:
    """A "; did you mean 'x'?" suffix when a close match exists, else ""."""
    match = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def listing(options: Iterable[str]) -> str:
    return ", ".join(str(o) for o in options)


def join(path: str, key: object) -> str:
    """The dotted field path of `key` under `path` (list indexes in brackets)."""
    if isinstance(key, bool):  # an unquoted `true:` key: show it as the file spells it
        key = str(key).lower()
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _spelt(key: object) -> str:
    """A key as the file spells it: `true` for the boolean True, repr otherwise."""
    return str(key).lower() if isinstance(key, bool) else repr(key)


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int) and abs(value) >= 10**20:
        return f"a {len(str(abs(value)))}-digit integer"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__


def top_kind(value: object) -> str:
    """What a whole file holds when it is not a mapping, without quoting any of it."""
    if isinstance(value, str):
        return f"a string ({len(value)} characters)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return type_name(value) if isinstance(value, list) or value is None else "a value"


class Checker:
    """Collects problems for one file; typed getters report and return None on bad values."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def error(self, line: int | None, field: str, message: str) -> None:
        """Report an error at `line`: in the file that line belongs to (see `yamlio.Line`),
        else in this checker's file."""
        self.problems.append(self._problem(line, field, message, False))

    def warn(self, line: int | None, field: str, message: str) -> None:
        """Report a warning, like `error`."""
        self.problems.append(self._problem(line, field, message, True))

    def _problem(self, line: int | None, field: str, message: str, warning: bool) -> Problem:
        # A variant's tree mixes values from several files: each line says which one.
        file = getattr(line, "file", None) or self.file
        return Problem(file, None if line is None else int(line), field, message, warning)

    def raise_if_errors(self) -> None:
        if any(not p.warning for p in self.problems):
            raise ValidationError(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    # -- containers -------------------------------------------------------------------------
    def mapping(
        self,
        value: object,
        path: str,
        line: int | None,
        allowed: frozenset[str],
        required: Iterable[str] = (),
    ) -> YamlMap | None:
        """Check that value is a mapping with only `allowed` keys and all `required` ones.

        `value` MISSING (an absent key) gives None without a problem: the parent mapping
        reports it when it is required. The same holds for `id_mapping` and `sequence`.
        At the top level (`path` ""), what the file holds instead is named, never quoted: a
        file that is not a mapping may be anything (a referenced ladder, a key file).
        """
        if value is MISSING:
            return None
        if not isinstance(value, dict):
            got = type_name(value) if path else top_kind(value)
            self.error(line, path, f"expected a mapping with keys {listing(sorted(allowed))}, "
                       f"got {got}")
            return None
        for key in value:
            if key not in allowed:
                self.error(line_of(value, key), join(path, key),
                           f"unknown key{suggest(key, allowed)} "
                           f"(allowed: {listing(sorted(allowed))})")
        for key in required:
            if key not in value:
                self.error(line_of(value), path, f"missing required key '{key}'")
        return cast(YamlMap, value)  # every tree is built of YamlMap/YamlList (yamlio, extends)

    def id_mapping(self, value: object, path: str, line: int | None, what: str) -> YamlMap | None:
        """A mapping keyed by ids (actors, actions, weights); checks the id syntax."""
        if value is MISSING:
            return None
        if not isinstance(value, dict):
            self.error(line, path, f"expected a mapping of {what} ids, got {type_name(value)}")
            return None
        for key in value:
            if not isinstance(key, str) or not ID_RE.match(key):
                self.error(line_of(value, key), join(path, key),
                           f"bad {what} id {_spelt(key)}; expected lower-case letters, digits "
                           "and _" + (" (YAML reads true and false as booleans)"
                                      if isinstance(key, bool) else ""))
        return cast(YamlMap, value)  # as in `mapping`

    def sequence(self, value: object, path: str, line: int | None, what: str) -> YamlList | None:
        """Check that value is a list (MISSING: None, see `mapping`)."""
        if value is MISSING:
            return None
        if not isinstance(value, list):
            self.error(line, path, f"expected a list of {what}, got {type_name(value)}")
            return None
        return cast(YamlList, value)  # as in `mapping`

    # -- scalars ----------------------------------------------------------------------------
    def get(self, m: dict, key: str, path: str, kind: str, required: bool = False,
            default: Any = None) -> Any:
        """Read m[key] and check it is of `kind`: str, id, file_id, bool, int, number, strings.

        Typed Any: the value is of `kind` (checked here, at run time) or is `default`.

        An absent key gives `default` (`mapping(required=...)` reports a missing one). A null
        value (`key:` with nothing after it) is an error: for an optional key, the message
        says to omit the key for the default.
        """
        field = join(path, key)
        value, line = m.get(key), line_of(m, key)
        if value is None:
            if key in m:
                got = "nothing" if required else (
                    f"null (omit the key for the default{_shown(default)})")
                self.error(line, field, f"{check_scalar(None, kind)}, got {got}")
            return default
        ok = check_scalar(value, kind)
        if ok is not None:
            self.error(line, field, f"{ok}, got {type_name(value)}")
            return default
        return value

    def finite(self, value: object, line: int | None, field: str) -> float | None:
        """Read a finite number as a float (None and a problem otherwise)."""
        ok = check_scalar(value, "number")
        if ok is not None:
            self.error(line, field, f"{ok}, got {type_name(value)}")
            return None
        assert isinstance(value, int | float)  # check_scalar(value, "number") passed
        return float(value)


def _shown(default: object) -> str:
    """", VALUE" for a default worth naming in a message (not None or empty)."""
    if isinstance(default, bool):
        return f", {str(default).lower()}"
    if default is None or default in ("", [], ()):
        return ""
    return f", {default}"


def is_finite(value: int | float) -> bool:
    """True for a number that is finite as a float (a 400-digit integer is not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def check_scalar(value: object, kind: str) -> str | None:
    """Return None when value is of `kind`, else what was expected (for the error message)."""
    if kind == "str":
        return None if isinstance(value, str) and value.strip() else "expected a non-empty string"
    if kind == "id":
        return None if isinstance(value, str) and ID_RE.match(value) else (
            "expected an id (lower-case letters, digits and _)")
    if kind == "file_id":
        return None if isinstance(value, str) and FILE_ID_RE.match(value) else (
            "expected an id (lower-case letters, digits, _ and -)")
    if kind == "bool":
        return None if isinstance(value, bool) else "expected true or false"
    if kind == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) else (
            "expected an integer")
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "expected a number"
        return None if is_finite(value) else "expected a finite number"
    if kind == "strings":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return "expected a list of strings"
    raise ValueError(kind)
