"""`ladder validate`: check ladder and scenario files."""

from __future__ import annotations

import argparse
import sys

from .options import add_allow_outside


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder validate`, its options and help."""
    p = sub.add_parser(
        "validate", help="check ladder and scenario files",
        description="Check ladder and scenario files (or every .yaml under folders). Prints "
                    "each problem as FILE:LINE: FIELD: MESSAGE; exit 2 if any file is invalid.",
        epilog="example:\n  ladder validate ladders scenarios\n  ladder validate my-scenario.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only, no warnings")
    add_allow_outside(p)


def execute(args: argparse.Namespace) -> int:
    """Run `ladder validate` with parsed arguments; the exit code."""
    from ..format.validate import validate_paths

    problems, n_files = validate_paths(args.paths)
    errors = [p for p in problems if not p.warning]
    for p in problems:
        if not (args.quiet and p.warning):
            print(p)
    warnings = len(problems) - len(errors)
    print(f"checked {n_files} file(s): {len(errors)} error(s), {warnings} warning(s)",
          file=sys.stderr)
    return 2 if errors else 0
