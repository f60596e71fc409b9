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


class Interrupted(BaseException):
    """A signal (Ctrl-C, SIGTERM) stopped a write, which was cleaned up first. `message` says
    what is on disk now; the CLI prints it and exits with `code` (130 for Ctrl-C, 143 for
    SIGTERM). A BaseException, like KeyboardInterrupt, so `except Exception` lets it pass."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.message, self.code = message, code


class ValidationError(LadderError):
    """A file failed validation; carries every problem found in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if not p.warning]
        self.warnings = [p for p in problems if p.warning]
        super().__init__("\n".join(str(p) for p in self.problems))
