"""`ladder play`: a workshop in the terminal, one run stepped turn by turn.

The screen shows the ladder with the current stage marked, tension, the date, what each
actor did and why the stage moved, the live outlook from here, and the played actors'
legal moves. Commands come from the keyboard or from a script (`--script`, one command a
line, `#` comments); the debrief is written at the end (sim/workshop/debrief.py). The game itself
is sim/workshop/session.py; this module only reads commands and draws text.

Every line fits the width (`--width`; the terminal's, or 100 for a script). On an interactive
terminal each new position is redrawn in place from the top, shortened to the terminal's
height (sim/workshop/squeeze.py); scripts and pipes scroll.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import TextIO

from ..errors import InputError
from ..format.scenario import Scenario
from .commands import obey, parse_command, read_script
from .debrief import check_transcript, save_transcript
from .screen import Paint, Screen, use_colour
from .session import DEFAULT_OUTLOOK_RUNS, CommandError, Session
from .textfit import fit_width

CLEAR = "\033[H\033[2J"  # the cursor to the top left, then the screen cleared
SCRIPT_WIDTH = 100
MIN_WIDTH, MAX_WIDTH = 40, 400
BRIEF_LINES = 4  # the turns of `n K` shown above a redrawn position


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


class Output:
    """Where the screen goes: every text fitted to the width, and on an interactive terminal
    each new position redrawn in place, shortened to the terminal's height."""

    def __init__(self, out: TextIO, screen: Screen, redraw: bool):
        self.out, self.screen, self.redraw = out, screen, redraw

    def show(self, text: str) -> None:
        self.out.write(fit_width(text, self.screen.width) + "\n")

    def position(self, text: str) -> None:
        """Show a command's text; one that ends with the position (a move, `n`, undo,
        return) is, when redrawing, drawn from the top of a cleared screen."""
        full = self.screen.position()
        if not self.redraw or not text.endswith(full):
            self.show(text)
            return
        above = newest(fit_width(text[: len(text) - len(full)].rstrip("\n"),
                                 self.screen.width))
        rows = shutil.get_terminal_size((self.screen.width, 40)).lines
        height = max(8, rows - 1 - len(above))  # and a line for the prompt
        self.out.write(CLEAR + "\n".join([*above, self.screen.position(height)]) + "\n")


def newest(text: str) -> list[str]:
    """The newest entries of the text above a position (the turns of `n K`, a note), in at
    most BRIEF_LINES lines; an entry's wrapped lines are indented by four spaces."""
    entries: list[list[str]] = []
    for line in text.split("\n") if text else []:
        if line.startswith("    ") and entries:
            entries[-1].append(line)
        else:
            entries.append([line])
    kept: list[str] = []
    while entries and len(kept) + len(entries[-1]) <= BRIEF_LINES - (len(entries) > 1):
        kept = entries.pop() + kept
    return ([f"  ({len(entries)} earlier turns not shown)"] if entries else []) + kept


def screen_width(width: int | None, script: str | None, out: TextIO | None = None) -> int:
    """The screen's width: `width` when given, else the terminal's columns (60 to 160) when
    the screen goes to a terminal, and 100 for a script or output to a pipe or file."""
    if width is not None:
        if not MIN_WIDTH <= width <= MAX_WIDTH:
            raise InputError(f"--width {width}: use {MIN_WIDTH} to {MAX_WIDTH} columns")
        return width
    if script or out is None or not out.isatty():
        return SCRIPT_WIDTH
    return max(60, min(160, shutil.get_terminal_size((SCRIPT_WIDTH, 40)).columns))


def redraws(out: TextIO, script: str | None, redraw: bool) -> bool:
    """Whether positions are redrawn in place: an interactive terminal (not a script, a
    pipe or TERM=dumb) and redrawing not turned off (`--no-redraw`)."""
    return (redraw and script is None and out.isatty()
            and os.environ.get("TERM", "") != "dumb")


def play(scenario: Scenario, players: list[str] | None = None, seed: int | None = None,
         outlook_runs: int = DEFAULT_OUTLOOK_RUNS, turn_steps: int = 1,
         script: str | None = None,
         transcript: str | None = None, out: TextIO | None = None,
         stdin: TextIO | None = None, draws: str = "fresh", width: int | None = None,
         redraw: bool = True) -> int:
    """Run a workshop session; returns the exit code, 0: the session ended by `q`, at the end
    of input or of the script, or by Ctrl-C (the room stopped it; the transcript is written,
    and `ladder demo` stopped by Ctrl-C is 0 too).

    `width` is the screen's width (`screen_width`); `redraw` False keeps scrolling output on
    a terminal too.

    Raises:
        InputError: bad options, or a script command that is invalid (with FILE:LINE); a
            session stopped by a bad script command still writes its transcript first.
    """
    out = out or sys.stdout
    columns = screen_width(width, script, out)
    path = check_transcript(transcript, script) if transcript else None
    session = Session(scenario, players or [], seed, outlook_runs, draws, turn_steps,
                      assess=path is not None)  # decision points: for the transcript
    actions = {a for p in session.players for a in scenario.actor(p).action_ids}
    source = (Script(read_script(script, actions), out) if script
              else Keyboard(stdin or sys.stdin, out))
    screen = Screen(session, Paint(use_colour(out)), columns)
    shown = Output(out, screen, redraws(out, script, redraw))
    ended, failure, lost = "quit", None, None
    try:
        shown.position(screen.position())
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
                shown.position(obey(session, screen, command))
            except CommandError as exc:
                if where is not None:
                    failure = f"{where}: {exc}"
                    ended = f"stopped by a bad script command ({failure})"
                    break
                shown.show(f"  ! {exc}")
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
