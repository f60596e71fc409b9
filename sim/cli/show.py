"""`ladder show`: draw a ladder (or a scenario's ladder and actors)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .options import add_allow_outside

if TYPE_CHECKING:
    from ..format.ladder import Ladder
    from ..format.scenario import Scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder show`, its options and help."""
    p = sub.add_parser(
        "show", help="draw a ladder (or a scenario's ladder and actors)",
        description="Draw a ladder bottom-up as text, or as a Mermaid state diagram or a "
                    "Graphviz digraph. Given a scenario, also lists its actors and events.",
        epilog="examples:\n  ladder show ladders/belarus-2024.yaml\n  ladder show belarus-2024\n"
               "  ladder show scenarios/belarus-poland-2024.yaml --format mermaid > ladder.mmd\n"
               "  ladder show ladders/belarus-2024.yaml --format dot | dot -Tsvg > ladder.svg\n"
               "  ladder show belarus-poland-2024 --format mermaid --actors > actors.mmd",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", metavar="LADDER_OR_SCENARIO",
                   help="a file, or the id of a bundled ladder or scenario (ladder list)")
    p.add_argument("--format", choices=("text", "mermaid", "dot"), default="text")
    p.add_argument("--actors", action="store_true",
                   help="with a scenario and --format mermaid or dot: also draw each actor, "
                        "with an edge to each stage one of its actions triggers")
    add_allow_outside(p)


def execute(args: argparse.Namespace) -> int:
    """Run `ladder show` with parsed arguments; the exit code."""
    from ..format.library import resolve_input
    from ..format.validate import is_ladder
    from ..format.yamlio import load_yaml
    from ..present.show import render

    path = resolve_input(args.path)  # a file, or the id of a bundled ladder or scenario
    obj: Ladder | Scenario
    if is_ladder(load_yaml(path)):
        from ..format.ladder import load_ladder

        obj = load_ladder(path)
    else:
        from ..format.scenario import load_scenario

        obj = load_scenario(path)
    print(render(obj, args.format, actors=args.actors))
    return 0
