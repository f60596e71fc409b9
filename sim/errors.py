"""One exception tree for everything a user can get wrong; the CLI maps it to exit code 2."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding in an input file: where, which field, what is wrong."""

    file: str
    line: int | None
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        kind = "warning: " if self.warning else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {kind}{field}{self.message}"


class LadderError(Exception):
    """Base of every error caused by bad input (files, options, values)."""


class InputError(LadderError):
    """Bad input that is not tied to a file position (a command-line option, a missing file)."""


class ValidationError(LadderError):
    """A file failed validation; carries every problem found in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if not p.warning]
        self.warnings = [p for p in problems if p.warning]
        super().__init__("\n".join(str(p) for p in self.problems))
