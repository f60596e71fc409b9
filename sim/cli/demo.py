"""`ladder demo`: the workshop in a browser: a dashboard for the projector."""

from __future__ import annotations

import argparse

from ..errors import InputError
from .options import add_session_options


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder demo`, its options and help."""
    p = sub.add_parser(
        "demo", help="the workshop in a browser: a dashboard for the projector",
        description="Serve a web dashboard of one run played step by step (the game of "
                    "`ladder play`): the ladder with the current stage highlighted, a step "
                    "counter, Step / Play / Reset, a control per --as actor (its legal moves, "
                    "applied on the next step), what happened and why the stage moved, the "
                    "live outlook from here and the outcomes of a quick batch from the start. "
                    "Prints the URL; Ctrl-C stops the server. Loads nothing from the network. "
                    "Needs the demo extra. See docs/workshop.md.",
        epilog="examples:\n"
               "  ladder demo scenarios/belarus-poland-2024.yaml --as warsaw\n"
               "  ladder demo scenarios/belarus-poland-2024.yaml --as warsaw --seed 3 --port 8800\n"
               "  ladder demo scenarios/belarus-poland-2024.yaml --seats --as warsaw \\\n"
               "      --as minsk --transcript debrief.md",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_session_options(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default 127.0.0.1: this machine only; any other "
                        "address prints a warning and a link with a token, which the page "
                        "requires)")
    p.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    p.add_argument("--seats", action="store_true",
                   help="team seats with hidden information instead of the dashboard: a "
                        "page (and a JSON interface) per --as actor, each with its own link, "
                        "and one for Control; needs no demo extra. See docs/seats.md")
    p.add_argument("--transcript", metavar="FILE.md",
                   help="with --seats: write a markdown debrief when the server stops")


def execute(args: argparse.Namespace) -> int:
    """Run `ladder demo` with parsed arguments; the exit code."""
    if args.seats:
        from ..workshop.seats_server import serve_seats

        return serve_seats(args.scenario, args.players, seed=args.seed,
                           outlook_runs=args.outlook_runs, host=args.host, port=args.port,
                           transcript=args.transcript, draws=args.outlook_draws,
                           turn_steps=args.turn)
    if args.transcript:
        raise InputError("--transcript is for --seats (the dashboard keeps no debrief; "
                         "ladder play --transcript writes one for the terminal game)")
    from ..workshop.demo import serve

    return serve(args.scenario, players=args.players, seed=args.seed,
                 outlook_runs=args.outlook_runs, draws=args.outlook_draws, host=args.host,
                 port=args.port, turn_steps=args.turn)
