"""`ladder play`: a workshop in the terminal, one run stepped turn by turn.

The screen shows the ladder with the current stage marked, tension, the date, what each
actor did and why the stage moved, the live outlook from here, and the played actors'
legal moves. Commands come from the keyboard or from a script (`--script`, one command a
line, `#` comments); the debrief is written at the end (sim/workshop/debrief.py). The game itself
is sim/workshop/session.py; this module only reads commands and draws text.
"""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

from ..errors import InputError
from ..format.scenario import Scenario
from .commands import obey, parse_command, read_script
from .debrief import check_transcript, save_transcript
from .screen import Paint, Screen, use_colour
from .session import DEFAULT_OUTLOOK_RUNS, CommandError, Session


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
         outlook_runs: int = DEFAULT_OUTLOOK_RUNS, turn_steps: int = 1,
         script: str | None = None,
         transcript: str | None = None, out: TextIO | None = None,
         stdin: TextIO | None = None, draws: str = "fresh") -> int:
    """Run a workshop session; returns the exit code, 0: the session ended by `q`, at the end
    of input or of the script, or by Ctrl-C (the room stopped it; the transcript is written,
    and `ladder demo` stopped by Ctrl-C is 0 too).

    Raises:
        InputError: bad options, or a script command that is invalid (with FILE:LINE); a
            session stopped by a bad script command still writes its transcript first.
    """
    out = out or sys.stdout
    path = check_transcript(transcript, script) if transcript else None
    session = Session(scenario, players or [], seed, outlook_runs, draws, turn_steps)
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
