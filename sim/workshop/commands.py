"""The command language of a workshop session: what `ladder play` reads at its prompt and
from `--script`, and what Control types in `ladder demo` and `ladder demo --seats`.

`parse_command` reads one line, `read_script` a whole script (every syntax error with its
line), and `obey` carries a command out on a `Session` (sim/workshop/session.py) and returns
the text to show, drawn by a `Screen` (sim/workshop/screen.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..analyses.outlook import Change
from ..errors import InputError, ValidationError
from ..format.access import read_input
from ..format.check import suggest
from . import control
from .control import event_name, finite_number
from .entries import ControlAct, check_players
from .screen import Paint, Screen
from .session import CommandError, Session, whole_number

WORDS = {"n": "next", "next": "next", "u": "undo", "undo": "undo", "b": "save", "save": "save",
         "r": "back", "return": "back", "f": "fork", "fork": "fork", "q": "quit",
         "quit": "quit", "?": "help", "help": "help", "turn": "turn",
         "inject": "inject", "force": "force", "veto": "veto", "adjudicate": "adjudicate",
         "argue": "argue", "rule": "rule", "order": "order"}
CONTROL = ("inject", "force", "veto", "adjudicate", "rule", "order")  # need Control's reason
REASONED = CONTROL + ("pick", "fork", "argue")  # take a reason after --
HELP = """\
commands (one a line; a script takes the same, with # comments). Anything after
-- is the one-line why, logged in the transcript:
  NUMBER or ACTION [-- why]  the played actor's move this turn; ACTOR=ACTION
                        names the actor when several are played
  n [K], next [K]       play K turns (default 1); played actors without a move
                        follow their standing order or their scenario policy
  turn K | turn decision  steps per turn, or each turn to the next stage move
                        or event
  u, undo               take back the last turn or Control's last change (the
                        dice are rewound too), or this turn's choices so far
  b NAME, r NAME        save / return to a branch point
  f ... [-- why]        what if? the outlook of a branch beside this one:
                          f [ACTOR=]ACTION | f event N|NAME | f tension +2
                        f alone lists the events and the actions
  argue [ACTOR] -- MOVE  a team's move outside its repertoire; Control rules
control (Control's judgement; each needs its reason after --):
  inject tension +X|=X | inject VARIABLE +X|=X | inject FLAG on|off
  inject event N|NAME | inject stage [LADDER:]STAGE | inject param PATH VALUE
  adjudicate [LADDER:]STAGE   move a stage by hand now
  force ACTOR ACTION    ACTOR plays ACTION next step (any actor)
  veto ACTOR ACTION     ACTOR may not play ACTION this turn (its policy is drawn
                        again without it; a team picks again)
  rule [ACTOR] p=P [tension=+X] [VAR=+X] [FLAG=on] [stage=STAGE] [event=NAME]
       [as=ACTION]      the argued move's odds, what success does, and the
                        repertoire move that stands in for it
  order ACTOR ACTION|off  a standing order for the steps a turn plays itself
  q, quit               end the session (the transcript is written; so on end
                        of input and Ctrl-C)
  ?, help               this text"""
REASON = re.compile(r"(?:^|\s)--(?:\s|$)")


@dataclass(frozen=True)
class Command:
    kind: str  # pick | next | turn | undo | save | back | fork | quit | help | a CONTROL one
    words: tuple[str, ...] = ()
    why: str = ""


def parse_command(text: str, actions: set[str]) -> Command:
    """One command line (`... -- why` gives the reason); `actions` are the action ids a pick
    may name."""
    found = REASON.search(text)
    why = text[found.end():].strip() if found else ""
    words = (text[: found.start()] if found else text).split()
    if not words:
        raise CommandError("empty command; ? lists the commands")
    head, rest = words[0], tuple(words[1:])
    kind = WORDS.get(head.lower())
    if kind is None:
        actor, _, action = head.rpartition("=")
        if whole_number(action) is not None or action in actions:
            if rest:
                raise CommandError(f"a move is one number or action id, got {text.strip()!r}")
            return Command("pick", (action, actor) if actor else (action,), why)
        raise CommandError(f"unknown command {head!r}{suggest(head, list(WORDS) + sorted(actions))}"
                           "; ? lists the commands")
    if found and kind not in REASONED:
        raise CommandError(f"{head} takes no reason (--); moves, forks and Control's powers do")
    if kind in CONTROL and not why:
        raise CommandError(f"{head} needs Control's reason after --, e.g. {head} ... -- the "
                           "room judged it so; it is logged as Control's judgement")
    if kind == "next":
        if len(rest) > 1 or (rest and not (whole_number(rest[0]) or 0) >= 1):
            raise CommandError(f"n takes a number of turns >= 1, got {' '.join(rest)!r}")
    elif kind == "turn":
        if len(rest) != 1 or not (rest[0] == "decision" or (whole_number(rest[0]) or 0) >= 1):
            raise CommandError("turn takes a number of steps >= 1 or 'decision', e.g. turn 7")
    elif kind in ("save", "back"):
        if len(rest) != 1:
            raise CommandError(f"{head} needs one NAME, e.g. {head} calm")
    elif kind in ("undo", "quit", "help") and rest:
        raise CommandError(f"{head} takes no arguments")
    elif kind == "fork" and rest and rest[0] == "tension" and not (
            len(rest) == 2 and _is_number(rest[1])):
        raise CommandError("f tension needs one number, e.g. f tension +2")
    elif kind in ("force", "veto", "order") and len(rest) != 2:
        raise CommandError(f"{head} ACTOR ACTION -- why")
    elif kind == "argue" and (len(rest) > 1 or not why):
        raise CommandError("argue [ACTOR] -- the move, e.g. argue warsaw -- close the rail "
                           "crossing")
    return Command(kind, rest, why)


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
    kind, words, why = command.kind, command.words, command.why
    if kind == "help":
        return HELP
    if kind in CONTROL or kind == "argue":
        return control_command(session, screen, command)
    if kind == "pick":
        actor = words[1] if len(words) == 2 else session.waiting_for()
        if actor is None:
            raise CommandError("nobody is played (--as ACTOR), so there is no move to pick; "
                               "n plays a turn" if not session.players else
                               "every played actor has its move this turn; n plays it")
        if actor not in session.players:
            raise CommandError(f"{actor} is not played (--as): played: "
                               f"{', '.join(session.players) or 'nobody'}")
        if not session.choose(actor, words[0], why=why):
            return screen.moves()
        return turns_text(screen, session.play_turn())
    if kind == "next":
        session.check_running()
        return turns_text(screen, session.advance(int(words[0]) if words else 1))
    if kind == "turn":
        session.turn_steps = 0 if words[0] == "decision" else int(words[0])
        session.log.append(f"Turns are now {turn_text(session.turn_steps)}, from "
                           f"{session.when(session.t)}")
        return f"  turns are now {turn_text(session.turn_steps)}"
    if kind == "undo":
        if session.pending or session.argued or session.forced:
            session.pending, session.argued, session.reasons = {}, {}, {}
            session.forced = {}
            return ("  this turn's choices so far (and Control's forced moves) taken back\n"
                    + screen.moves())
        gone = session.undo()
        what = (f"Control's {gone.act.power}" if gone.act else
                session.when(gone.turn.step) if gone.turn else "")
        return f"  undone: {what}\n" + screen.position()
    if kind == "save":
        session.save(words[0])
        return f"  branch point '{words[0]}' saved at {session.when(session.t)}"
    if kind == "back":
        session.back(words[0])
        return f"  back at branch point '{words[0]}'\n" + screen.position()
    if not words:
        return screen.fork_help()
    return screen.fork(session.fork(parse_change(session, list(words)), why=why))


def turn_text(steps: int) -> str:
    return ("to the next decision point (a stage move or an event)" if steps == 0 else
            f"{steps} step{'s' if steps != 1 else ''}")


def turns_text(screen: Screen, turns: list) -> str:
    """The steps just played: one line each but the last, then the position."""
    return "\n".join([screen.brief(t) for t in turns[:-1]] + [screen.position()])


def control_command(session: Session, screen: Screen, command: Command) -> str:
    """One of Control's powers, or a team's argued move; the text to show."""
    kind, words, why = command.kind, list(command.words), command.why
    if kind == "argue":
        actor = words[0] if words else session.waiting_for() or (session.players or [""])[0]
        control.argue(session, actor, why)
        return (f"  {actor} argues: {why}\n  Control rules on it: rule {actor} p=P "
                "[tension=+X] [stage=STAGE] [as=ACTION] -- why")
    if kind in ("inject", "adjudicate"):
        act = control.change_now(session, kind, words, why)
        return act_text(session, act) + "\n" + screen.position()
    if kind == "rule":
        act = control.rule(session, words, why)
    else:
        power = {"force": control.force, "veto": control.veto, "order": control.order}[kind]
        act = power(session, words[0], words[1], why)
    return act_text(session, act) + "\n" + screen.moves()


def act_text(session: Session, act: ControlAct) -> str:
    """Control's act as one line, marked as its judgement."""
    return f"  CONTROL'S JUDGEMENT at {session.when(act.step)}: {act.what} -- {act.why}"


def run_command(session: Session, text: str, width: int = 80) -> str:
    """Carry out one command line on `session` (as typed at `ladder play`'s prompt) and
    return the text to show, plain (no colour), `width` columns wide.

    Raises:
        CommandError: a command that cannot be read or carried out here.
    """
    actions = {a for p in session.players for a in session.scenario.actor(p).action_ids}
    command = parse_command(text, actions)
    if command.kind == "quit":
        raise CommandError("q ends `ladder play`; here the session ends when its server "
                           "stops: Ctrl-C in its terminal (the transcript is written then)")
    return obey(session, Screen(session, Paint(False), width), command)


def parse_change(session: Session, words: list[str]) -> Change:
    """A fork's change from its words: `[ACTOR=]ACTION`, `event N|NAME`, `tension +X`."""
    session.check_running()
    if not words:
        raise CommandError("fork what? f [ACTOR=]ACTION | f event N|NAME | f tension +X")
    if words[0] == "tension":
        if len(words) != 2:
            raise CommandError("f tension needs one number, e.g. f tension +2")
        return Change("tension", delta=finite_number(words[1], "f tension"))
    if words[0] == "event":
        return Change("event", event=event_name(session.scenario, " ".join(words[1:])))
    if len(words) != 1:
        raise CommandError(f"fork: cannot read {' '.join(words)!r}; "
                           "f [ACTOR=]ACTION | f event N|NAME | f tension +X")
    actor, sep, action = words[0].rpartition("=")
    if not sep:
        if not session.players:
            raise CommandError("f ACTION needs a played actor (--as); "
                               "name one: f ACTOR=ACTION")
        actor = session.players[0]
    check_players(session.scenario, [actor], what="f", error=CommandError)
    option = session.option(actor, action)
    return Change("action", actor=actor, action=option.action.id)
