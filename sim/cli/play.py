"""`ladder play`: a workshop in the terminal: one run turn by turn, a team plays an actor."""

from __future__ import annotations

import argparse

from .options import add_session_options


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder play`, its options and help."""
    p = sub.add_parser(
        "play", help="a workshop in the terminal: one run turn by turn, a team plays an actor",
        description="Step one run of a scenario turn by turn for a room: the ladder with the "
                    "current stage, tension, the date, each actor's action and why the stage "
                    "moved, and a live outlook from the current position (P(reach) by the "
                    "horizon with Wilson 95% intervals, from --outlook-runs runs forked from "
                    "here). The room plays the --as actors (their legal moves are listed); the "
                    "others follow their scenario policy. At the prompt: a number or action "
                    "id (with '-- why'), n [K], u, b NAME, r NAME, f ..., argue, turn K, "
                    "q, ?; and Control's powers, each with its reason after --: inject, "
                    "adjudicate, force, veto, rule, order. See docs/workshop.md.",
        epilog="examples:\n"
               "  ladder play scenarios/belarus-poland-2024.yaml --as warsaw\n"
               "  ladder play scenarios/belarus-poland-2024.yaml --as warsaw --seed 3 \\\n"
               "      --script rehearsal.txt --transcript debrief.md\n"
               "  ladder play scenarios/belarus-poland-2024.yaml --as warsaw --as nato\n"
               "  ladder play scenarios/belarus-poland-2024.yaml --as warsaw --turn 7 \\\n"
               "      --transcript game.md && ladder debrief game.md",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_session_options(p)
    p.add_argument("--script", metavar="FILE",
                   help="read the commands from FILE (one a line, # comments) instead of the "
                        "keyboard; the session ends with the file")
    p.add_argument("--transcript", metavar="FILE.md",
                   help="write a markdown debrief at the end (also on quit, end of input and "
                        "Ctrl-C)")
    p.add_argument("--width", type=int, metavar="N",
                   help="the screen's width in columns (default: the terminal's, 60 to 160; "
                        "100 with --script or output to a pipe or file)")
    p.add_argument("--no-redraw", dest="redraw", action="store_false",
                   help="on a terminal, print each position below the last rather than "
                        "redrawing the screen in place")


def execute(args: argparse.Namespace) -> int:
    """Run `ladder play` with parsed arguments; the exit code."""
    from ..format.scenario import load_scenario
    from ..workshop.play import play

    return play(load_scenario(args.scenario), players=args.players, seed=args.seed,
                outlook_runs=args.outlook_runs, draws=args.outlook_draws,
                turn_steps=args.turn, script=args.script,
                transcript=args.transcript, width=args.width, redraw=args.redraw)
