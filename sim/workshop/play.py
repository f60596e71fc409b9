"""`ladder play`: a workshop in the terminal, one run stepped turn by turn.

The screen shows the ladder with the current stage marked, tension, the date, what each
actor did and why the stage moved, the live outlook from here, and the played actors'
legal moves. Commands come from the keyboard or from a script (`--script`, one command a
line, `#` comments); the debrief is written at the end (sim/workshop/debrief.py). The game itself
is sim/workshop/session.py; this module only reads commands and draws text.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..analyses.compare import format_p
from ..analyses.outlook import ODDS, ForkResult, Outlook
from ..errors import InputError, ValidationError
from ..format.access import read_input
from ..format.check import suggest
from ..format.scenario import Scenario
from ..format.thresholds import shown
from .debrief import check_transcript, played_text, save_transcript
from .session import DEFAULT_OUTLOOK_RUNS, CommandError, Session, Turn, whole_number

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


class Paint:
    """ANSI styles when colour is on (a terminal, NO_COLOR unset), else plain text."""

    def __init__(self, on: bool):
        self.on = on

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def now(self, text: str) -> str:
        return self._wrap("1;7", text)

    def move(self, text: str) -> str:
        return self._wrap("1;33", text)


def use_colour(out: TextIO) -> bool:
    return out.isatty() and not os.environ.get("NO_COLOR")


class Screen:
    """The text of each part of the screen."""

    def __init__(self, session: Session, paint: Paint, width: int):
        self.s, self.p, self.width = session, paint, width

    def rule(self, title: str) -> str:
        return self.p.bold(f"== {title} " + "=" * max(0, self.width - len(title) - 4))

    def position(self) -> str:
        s = self.s
        date = s.scenario.clock.date_of(s.t)
        return "\n".join([self.rule(f"{s.scenario.id} | step {s.t} of {s.model.horizon}"
                                    + (f" | {date.isoformat()}" if date else "")
                                    + f" | stage {s.stage} | {s.reads} {s.level}"),
                          self.happened(), "", self.ladder(), "", self.outlook(), "",
                          self.moves()])

    def outlook(self) -> str:
        s = self.s
        if not s.ended:
            return self.outlook_lines(s.outlook())
        peak = s.ladder.stage_ids[int(s.model.peak[0])]
        return (self.p.bold("THE RUN HAS ENDED") + f" at {s.when(s.t)} in {s.stage}; highest "
                f"stage reached: {peak}. Nothing more can happen in it: no outlook.")

    def happened(self) -> str:
        s, turn = self.s, self.s.last_turn
        if turn is None:
            return (f"START at {s.when(0)}: stage {s.scenario.start}, {s.reads} "
                    f"{s.level}\nplayed: {played_text(s)}")
        lines = [self.p.bold(f"WHAT HAPPENED at {s.when(turn.step)}")]
        lines += [f"  event      {name}" for name in turn.note.events]
        for actor, action in turn.note.actions.items():
            who = f"{actor} (you, {turn.how[actor]})" if actor in turn.how else actor
            lines.append(f"  {who:<32}{action}")
        lines += [f"  note       {text}" for text in turn.note.blocked + turn.refused]
        lines.append(f"  {self.s.reads:<10} {turn.levels[0]} -> {turn.levels[1]}")
        why = turn.why if not turn.why.startswith("MOVE") else self.p.move(turn.why)
        lines.append(f"  stage      {why}")
        return "\n".join(lines + s.dynamics(turn))

    def ladder(self) -> str:
        s = self.s
        here = s.ladder.index(s.stage)
        lines = [self.p.bold(f"LADDER {s.ladder.id} (most severe at the top)")]
        for i in reversed(range(len(s.ladder.stages))):
            st = s.ladder.stages[i]
            rules = ("absorbing" if st.absorbing else ", ".join(
                ([f"up {shown(st, 'up')}"] if st.up is not None else [])
                + ([f"down {shown(st, 'down')} for {st.dwell}"] if st.down is not None else [])))
            name = st.name if len(st.name) <= 40 else st.name[:39] + "~"
            text = f"{st.id:<18}{name:<42}{rules}"
            if i == here:
                lines.append(self.p.now(f" >> {text}   <- NOW, {s.reads} {s.level}"))
            else:
                lines.append(f"    {text}")
        return "\n".join(lines)

    def outlook_lines(self, f: Outlook) -> str:
        s = self.s
        players = ", ".join(s.players)
        follow = (f"; {players} follow{'s' if len(s.players) == 1 else ''} "
                  "the scenario policy in them" if players else "")
        lines = [self.p.bold(f"OUTLOOK from {s.when(f.step)}: P(reach each stage by "
                             f"{s.when(f.horizon, ', ', '')})"),
                 f"  {f.n:,} runs forked from here{follow} ({1000 * f.seconds:.0f} ms)"]
        bar_width = max(10, self.width - 48)
        for key, part in [(s.scenario.key if f.ladders else "", f), *f.ladders.items()]:
            lines += [f"  ladder {key}:"] if key else []
            for row in reversed(part.rows()):
                ci = f"[{100 * row['lo']:.1f}, {100 * row['hi']:.1f}]"
                bar = "#" * round(bar_width * row["p"])
                lines.append(f"  {row['stage']:<18}{'reached':>8}" if row["already"] else
                             f"  {row['stage']:<18}{100 * row['p']:>7.1f}%  {ci:<15}|{bar}")
        lines.append(f"  n = {f.n:,} runs, Wilson 95% intervals. {ODDS}")
        return "\n".join(lines)

    def moves(self) -> str:
        s = self.s
        if s.ended:
            return "  u undo; r NAME return to a branch point; q quit; ? help"
        actor = s.waiting_for()
        if actor is None:
            return self.p.bold("NEXT: ") + "n [K] plays K turns; ? help"
        who = s.scenario.actor(actor)
        lines = [self.p.bold(f"YOUR MOVE: {actor} ({who.name}) at {s.stage}, "
                             f"{s.when(s.t + 1)}")]
        for o in s.options(actor):
            desc = o.action.description
            room = max(10, self.width - 46)
            desc = desc if len(desc) <= room else desc[: room - 1] + "~"
            share = "<1%" if 0 < o.share < 0.005 else f"{100 * o.share:.0f}%"
            lines.append(f"  {o.number:>2}  {o.action.id:<24}policy {share:>4}  {desc}")
        lines.append("  number or action id: your move; n: policy this turn; n K: K turns; "
                     "u undo; b/r NAME; f fork; q quit; ? help")
        return "\n".join(lines)

    def brief(self, turn: Turn) -> str:
        moves = ", ".join(f"{a} {turn.note.actions[a]} ({turn.how[a]})" for a in turn.how)
        events = "".join(f"; event: {name}" for name in turn.note.events)
        why = turn.why if not turn.why.startswith("MOVE") else self.p.move(turn.why)
        return (f"  {self.s.when(turn.step)}: {moves + '; ' if moves else ''}{self.s.reads} "
                f"{turn.levels[1]}{events}; {why}")

    def fork(self, r: ForkResult) -> str:
        lines = [self.rule(f"FORK at {self.s.when(r.step)}: {r.change.describe()}"),
                 "  as is: every actor, played ones too, follows its policy from here; "
                 f"branch: the same with the change; {r.base.n:,} runs each",
                 f"  {'stage':<18}{'as is':>8}{'branch':>9}   {'branch - as is, points':<26}p"]
        for row in reversed(r.rows):
            if row["already"]:
                lines.append(f"  {row['stage']:<18}{'reached':>8}{'reached':>9}")
                continue
            diff = (f"{100 * row['diff']:+.1f} [{100 * row['lo']:+.1f}, "
                    f"{100 * row['hi']:+.1f}]")
            lines.append(f"  {row['stage']:<18}{100 * row['pa']:>7.1f}%{100 * row['pb']:>8.1f}%"
                         f"   {diff:<26}{format_p(row['p'])}")
        lines.append(f"  {r.method}; 95% intervals. {ODDS}")
        return "\n".join(lines)

    def fork_help(self) -> str:
        s = self.s
        lines = ["fork: f ACTION | f ACTOR=ACTION | f event N|NAME | f tension +X"]
        lines += [f"  event {i}: {e.name}" for i, e in enumerate(s.scenario.events, start=1)]
        for a in s.scenario.actors:
            if not a.is_population and not s.ended:
                legal = ", ".join(o.action.id for o in s.options(a.id))
                lines.append(f"  {a.id}= {legal}")
        return "\n".join(lines)


class Keyboard:
    """Commands typed at the prompt (or piped in)."""

    def __init__(self, stdin: TextIO, out: TextIO):
        self.stdin, self.out = stdin, out

    def read(self, prompt: str) -> tuple[str, str | None] | None:
        if self.stdin is sys.stdin and self.out is sys.stdout and sys.stdin.isatty():
            try:
                return input(prompt), None
            except EOFError:
                self.out.write("\n")
                return None
        self.out.write(prompt)
        line = self.stdin.readline()
        if not line:
            self.out.write("\n")
            return None
        self.out.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\n"), None


class Script:
    """Commands from a script file, echoed after the prompt."""

    def __init__(self, lines: list[tuple[str, str]], out: TextIO):
        self.lines, self.out, self.next = lines, out, 0

    def read(self, prompt: str) -> tuple[str, str | None] | None:
        if self.next >= len(self.lines):
            return None
        text, where = self.lines[self.next]
        self.next += 1
        self.out.write(f"{prompt}{text}\n")
        return text, where


def play(scenario: Scenario, players: list[str] | None = None, seed: int | None = None,
         outlook_runs: int = DEFAULT_OUTLOOK_RUNS, script: str | None = None,
         transcript: str | None = None, out: TextIO | None = None,
         stdin: TextIO | None = None) -> int:
    """Run a workshop session; returns the exit code, 0: the session ended by `q`, at the end
    of input or of the script, or by Ctrl-C (the room stopped it; the transcript is written,
    and `ladder demo` stopped by Ctrl-C is 0 too).

    Raises:
        InputError: bad options, or a script command that is invalid (with FILE:LINE); a
            session stopped by a bad script command still writes its transcript first.
    """
    out = out or sys.stdout
    path = check_transcript(transcript, script) if transcript else None
    session = Session(scenario, players or [], seed, outlook_runs)
    actions = {a for p in session.players for a in scenario.actor(p).action_ids}
    source = (Script(read_script(script, actions), out) if script
              else Keyboard(stdin or sys.stdin, out))
    width = 100 if script else min(160, max(80, shutil.get_terminal_size((100, 40)).columns))
    screen = Screen(session, Paint(use_colour(out)), width)
    ended, failure, lost = "quit", None, None
    try:
        out.write(screen.position() + "\n")
        while True:
            actor = session.waiting_for()
            got = source.read(f"{actor or 'step'}> " if not session.ended else "ended> ")
            if got is None:
                ended = "end of the script" if script else "end of input"
                break
            text, where = got
            if not text.strip():
                continue
            try:
                command = parse_command(text, actions)
                if command.kind == "quit":
                    break
                out.write(obey(session, screen, command) + "\n")
            except CommandError as exc:
                if where is not None:
                    failure = f"{where}: {exc}"
                    ended = f"stopped by a bad script command ({failure})"
                    break
                out.write(f"  ! {exc}\n")
    except KeyboardInterrupt:
        ended = "interrupted (Ctrl-C)"
        out.write("\ninterrupted\n")
    finally:
        if path is not None:
            lost = save_transcript(session, path, ended, sys.stderr)
            if lost is None:
                print(f"wrote {path}", file=sys.stderr)
    if failure or lost:
        raise InputError("\n".join(filter(None, (failure, lost))))
    return 0


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
