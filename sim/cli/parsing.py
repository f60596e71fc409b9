"""The argument parser class of `ladder` and of every command's parser.

Two changes from `argparse.ArgumentParser`: no abbreviated options (`--run` is not taken as
`--runs`: a shortened flag is an error, so adding an option never changes what an old command
line means), and a misspelt option, command or choice is refused by the parser it belongs to,
with its usage line and the closest name (`ladder run: error: unrecognized argument --rusn;
did you mean --runs?`). Exit code 2, as argparse.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Iterable


def closest(word: str, names: Iterable[str]) -> str | None:
    """The name closest to `word`, if one is close enough: the one it begins (an abbreviation,
    `--runs` for `--runs-per-point`), else the nearest spelling."""
    names = list(names)
    starting = [name for name in names if name.startswith(word)]
    if len(starting) == 1:
        return starting[0]
    match = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return match[0] if match else None


class LadderParser(argparse.ArgumentParser):
    """The top-level `ladder` parser; its commands' parsers are `CommandParser`s."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", CommandParser)
        return super().add_subparsers(**kwargs)

    def parse_args(self, args: Iterable[str] | None = None, namespace=None):
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            self.refuse(extras)
        return namespace

    def refuse(self, extras: list[str]) -> None:
        """Exit with this parser's usage, naming the unrecognised arguments and, for a
        misspelt option, the closest option this parser has."""
        options = [o for o in self._option_string_actions if o.startswith("--")]
        unknown = [word for word in extras if word.startswith("-") and len(word) > 1]
        if not unknown:
            self.error(f"unrecognized argument{'s' if len(extras) > 1 else ''} "
                       f"{' '.join(extras)}")
        parts = []
        for word in unknown:
            match = closest(word.partition("=")[0], options)
            parts.append((word, f"did you mean {match}?" if match else ""))
        if len(parts) == 1:
            word, hint = parts[0]
            self.error(f"unrecognized argument {word}" + (f"; {hint}" if hint else ""))
        self.error("unrecognized arguments " + ", ".join(
            word + (f" ({hint})" if hint else "") for word, hint in parts))

    def _check_value(self, action: argparse.Action, value) -> None:
        if action.choices is None or value in action.choices:
            return
        names = [str(choice) for choice in action.choices]
        match = closest(str(value), names)
        if action.nargs == argparse.PARSER:
            hint = f"; did you mean {match}?" if match else ""
            raise argparse.ArgumentError(
                None, f"unknown command {value!r}{hint} (commands: {', '.join(names)})")
        hint = f"; did you mean {match!r}?" if match else ""
        raise argparse.ArgumentError(
            action, f"invalid choice: {value!r}{hint} (choose from {', '.join(names)})")


class CommandParser(LadderParser):
    """A command's parser (`ladder run`, ...): it refuses an argument it does not know itself,
    so the error shows this command's usage and options, not the top-level ones."""

    def parse_known_args(self, args: Iterable[str] | None = None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.refuse(extras)
        return namespace, extras


def whole(low: int, high: int | None = None):
    """An argparse `type`: a whole number from `low` (to `high`), so a bad value is refused
    before anything runs, by the option's name (`argument --max-runs: must be at least 1,
    got 0`)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low:,}, got {value:,}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:,}, got {value:,}")
        return value
    return parse


def half_width(text: str) -> float:
    """An argparse `type` for --precision: a half-width strictly between 0 and 0.5."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"must be a half-width between 0 and 0.5 (e.g. 0.005 "
                                         f"for +/-0.5 points), got {text}")
    return value
