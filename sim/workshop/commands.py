"""The command language of a workshop session: what `ladder play` reads at its prompt and
from `--script`, and what Control types in `ladder demo` and `ladder demo --seats`.

`parse_command` reads one line, `read_script` a whole script (every syntax error with its
line), and `obey` carries a command out on a `Session` (sim/workshop/session.py) and returns
the text to show, drawn by a `Screen` (sim/workshop/screen.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, ValidationError
from ..format.access import read_input
from ..format.check import suggest
from .screen import Paint, Screen
from .session import CommandError, Session, whole_number

WORDS = {"n": "next", "next": "next", "u": "undo", "undo": "undo", "b": "save", "save": "save",
         "r": "back", "return": "back", "f": "fork", "fork": "fork", "q": "quit",
         "quit": "quit", "?": "help", "help": "help"}
HELP = """\
commands (one per line; a script file takes the same, with # comments):
  NUMBER or ACTION    the played actor's move this turn (its legal actions are listed)
  n [K], next [K]     play K turns (default 1); played actors without a move this turn
                      follow their scenario policy, as every other actor does
  u, undo             take back the last turn (the dice are rewound too), or this turn's
                      choices so far when several actors are played
  b NAME, save NAME   remember this position as branch point NAME
  r NAME, return NAME go back to branch point NAME
  f ...,  fork ...    what if? run the outlook from a branched position, beside this one:
                        f ACTION | f ACTOR=ACTION   a different move this turn
                        f event N | f event NAME    a scenario event applied now
                        f tension +2                tension changed now
                      f alone lists the events and the actions
  q, quit             end the session (the transcript is written; so on end of input and
                      Ctrl-C)
  ?, help             this text"""


@dataclass(frozen=True)
class Command:
    kind: str  # pick | next | undo | save | back | fork | quit | help
    words: tuple[str, ...] = ()


def parse_command(text: str, actions: set[str]) -> Command:
    """One command line; `actions` are the action ids a pick may name."""
    words = text.split()
    if not words:
        raise CommandError("empty command; ? lists the commands")
    head, rest = words[0], tuple(words[1:])
    kind = WORDS.get(head.lower())
    if kind is None:
        if whole_number(head) is not None or head in actions:
            if rest:
                raise CommandError(f"a move is one number or action id, got {text.strip()!r}")
            return Command("pick", (head,))
        raise CommandError(f"unknown command {head!r}{suggest(head, list(WORDS) + sorted(actions))}"
                           "; ? lists the commands")
    if kind == "next":
        if len(rest) > 1 or (rest and not (whole_number(rest[0]) or 0) >= 1):
            raise CommandError(f"n takes a number of turns >= 1, got {' '.join(rest)!r}")
    elif kind in ("save", "back"):
        if len(rest) != 1:
            raise CommandError(f"{head} needs one NAME, e.g. {head} calm")
    elif kind in ("undo", "quit", "help") and rest:
        raise CommandError(f"{head} takes no arguments")
    elif kind == "fork" and rest and rest[0] == "tension" and not (
            len(rest) == 2 and _is_number(rest[1])):
        raise CommandError("f tension needs one number, e.g. f tension +2")
    return Command(kind, rest)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_script(path: str | Path, actions: set[str]) -> list[tuple[str, str]]:
    """The commands of a script as (text, 'FILE:LINE'); every syntax error, with its line."""
    path = Path(path)
    try:  # a regular file only (a FIFO would block), at most MAX_BYTES
        raw = read_input(path).decode("utf-8")
    except ValidationError as exc:
        raise InputError(f"--script {exc.problems[0]}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"--script {path}: cannot read: {exc}") from None
    raw = raw.removeprefix("\ufeff")  # a byte order mark, as some Windows editors write
    lines, problems = [], []
    for number, line in enumerate(raw.splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            parse_command(text, actions)
        except CommandError as exc:
            problems.append(f"{path}:{number}: {exc}")
        lines.append((text, f"{path}:{number}"))
    if problems:
        raise InputError("\n".join(problems))
    return lines


def obey(session: Session, screen: Screen, command: Command) -> str:
    """Carry out one command; the text to show."""
    kind, words = command.kind, command.words
    if kind == "help":
        return HELP
    if kind == "pick":
        actor = session.waiting_for()
        if actor is None:
            raise CommandError("nobody is played (--as ACTOR), so there is no move to pick; "
                               "n plays a turn")
        if not session.choose(actor, words[0]):
            return screen.moves()
        session.play()
        return screen.position()
    if kind == "next":
        session.check_running()
        turns = session.advance(int(words[0]) if words else 1)  # a whole number: parse_command
        shown = [screen.brief(t) for t in turns[:-1]]
        return "\n".join(shown + [screen.position()])
    if kind == "undo":
        if session.pending:
            session.pending = {}
            return "  this turn's choices so far taken back\n" + screen.moves()
        gone = session.undo()
        return f"  undone: {session.when(gone.step)}\n" + screen.position()
    if kind == "save":
        session.save(words[0])
        return f"  branch point '{words[0]}' saved at {session.when(session.t)}"
    if kind == "back":
        session.back(words[0])
        return f"  back at branch point '{words[0]}'\n" + screen.position()
    if not words:
        return screen.fork_help()
    return screen.fork(session.fork(session.parse_change(list(words))))


def run_command(session: Session, text: str, width: int = 80) -> str:
    """Carry out one command line on `session` (as typed at `ladder play`'s prompt) and
    return the text to show, plain (no colour), `width` columns wide.

    Raises:
        CommandError: a command that cannot be read or carried out here.
    """
    actions = {a for p in session.players for a in session.scenario.actor(p).action_ids}
    return obey(session, Screen(session, Paint(False), width), parse_command(text, actions))
