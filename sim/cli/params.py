"""`ladder params`: every path `--set` and `--vary` accept, with its value now."""

from __future__ import annotations

import argparse
import json
import sys

from .options import add_overrides, horizon_named, scenario_overrides


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder params`, its options and help."""
    p = sub.add_parser(
        "params", help="list the parameters --set and --vary accept, with their values",
        description="List every numeric path of a scenario that `ladder run --set PATH=VALUE` "
                    "and `ladder sweep --vary PATH=LOW:HIGH` accept: the file's own values "
                    "(in file order), then the weights, per-stage weights, scales and effects "
                    "--set may add. Each with its value now (YAML), its kind, the range it "
                    "may take, and whether an event's `set` may change it too (docs/python.md, "
                    "Parameters).",
        epilog="examples:\n"
               "  ladder params belarus-poland-2024\n"
               "  ladder params scenarios/belarus-poland-2024.yaml --json\n"
               "  ladder params scenarios/belarus-poland-2024.yaml --set tension.decay=0.8 "
               "--in-file",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="a scenario file or a bundled id")
    p.add_argument("--in-file", action="store_true",
                   help="only the values the file gives (not the ones --set may add)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list, one object per path (value as a JSON value)")
    add_overrides(p)


def execute(args: argparse.Namespace) -> int:
    """Run `ladder params` with parsed arguments; the exit code."""
    from ..format.parameters import rows

    with horizon_named(args):
        found = rows(args.scenario, scenario_overrides(args), source="--set")
    if args.in_file:
        found = [r for r in found if r["in_file"]]
    if args.json:
        out = [r | {"value": json.loads(r["value"])} for r in found]
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 0
    head = ("path", "value", "kind", "range", "in file", "event")
    table = [(r["path"], r["value"], r["kind"], r["range"],
              "yes" if r["in_file"] else "may add", "yes" if r["event"] else "")
             for r in found]
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h)
              for i, h in enumerate(head)]
    for row in (head, *table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    added = sum(not r["in_file"] for r in found)
    print(f"{len(found)} parameters: {len(found) - added} in the file, {added} --set may add",
          file=sys.stderr)
    return 0
