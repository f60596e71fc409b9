"""The `ladder` command: a thin layer that parses options, calls the library, renders.

One module per command (`sim/cli/<command>.py`), each with `add_parser(sub)` and
`execute(args)`; shared options are in `options.py`. Command modules import the library
inside `execute`, so `ladder --help` and `ladder --version` load no numerical library.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import Interrupted, LadderError, ValidationError
from ..format.access import allowing
from . import (
    calibrate,
    compare,
    completion,
    debrief,
    demo,
    exact,
    explain,
    params,
    play,
    report,
    run,
    show,
    sweep,
    validate,
)
from . import list as list_  # `ladder list`; named so the builtin stays itself here
from .parsing import LadderParser

EPILOG = """\
examples:
  ladder list
  ladder run belarus-poland-2024
  ladder validate ladders scenarios
  ladder show ladders/belarus-2024.yaml --format mermaid
  ladder run scenarios/belarus-poland-2024.yaml --runs 20000 --seed 7
  ladder run scenarios/belarus-poland-2024.yaml --runs 1 --trace
  ladder run scenarios/belarus-poland-2024.yaml --precision 0.005 --jobs 2
  ladder compare scenarios/belarus-poland-2024.yaml scenarios/checkpoint-opened.yaml
  ladder explain belarus-poland-2024 --outcome mp_crisis
  ladder report scenarios/belarus-poland-2024.yaml --out report.html
  ladder exact scenarios/examples/gamblers-ruin.yaml
  ladder params belarus-poland-2024
  ladder sweep scenarios/belarus-poland-2024.yaml --vary tension.decay=0.8:0.95
  ladder calibrate seed-2021-2024 --history record-2021-2024 --fit 2021-08:2022-12 \
      --test 2023-01:2024-12
  ladder play scenarios/belarus-poland-2024.yaml --as warsaw
  ladder debrief room1.md room2.md

A bundled scenario or ladder can be named by its id (ladder list) in place of a file.
Shell completion: eval "$(ladder --print-completion bash)" (or zsh) in your shell's rc file.

exit codes: 0 ok (a play or demo session stopped by Ctrl-C too), 1 run failed or
interrupted, 2 bad input.
"""

# in the order `ladder --help` lists them
COMMANDS = {module.__name__.rsplit(".", 1)[1]: module for module in
            (list_, validate, show, params, run, exact, compare, explain, report, sweep,
             calibrate, play, demo, debrief)}


def build_parser() -> argparse.ArgumentParser:
    """The `ladder` argument parser with every command."""
    parser = LadderParser(
        prog="ladder",
        description="Scenario modelling of crisis escalation ladders: doctrinal stages as a "
                    "state machine, agent-based Monte Carlo over actors' responses.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ladder {__version__}")
    completion.add_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ladder` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        with allowing(getattr(args, "allow_outside", None) or ()):
            return COMMANDS[args.command].execute(args)
    except ValidationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except LadderError as exc:
        print(f"ladder: error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:  # a write stopped and cleaned up: the message says what is left
        print(f"ladder: {exc.message}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted before any results were ready; nothing written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `ladder show ... | head`: the reader has gone, so stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
