"""`ladder list`: the bundled ladders and scenarios, by id.

(The module is `sim.cli.list`; `sim/cli/__init__.py` imports it as `list_` so the builtin
`list` stays itself there.)
"""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder list`, its options and help."""
    p = sub.add_parser(
        "list", help="list the bundled ladders and scenarios",
        description="List the ladders and scenarios that come with ladder: for each its id, "
                    "its title, and for a scenario its ladder and the baseline it extends. "
                    "Every command takes an id in place of a file name (a file of that name, "
                    "if there is one, wins).",
        epilog="examples:\n  ladder list\n  ladder list --json\n"
               "  ladder run belarus-poland-2024\n  ladder show kahn-1965",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true",
                   help="print the list as JSON: library, ladders, scenarios (with paths)")


def execute(args: argparse.Namespace) -> int:
    """Run `ladder list` with parsed arguments; the exit code."""
    from ..format.library import catalog
    from ..present.show import render_catalog

    found = catalog()
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False))
    else:
        print(render_catalog(found), end="")
    return 0
