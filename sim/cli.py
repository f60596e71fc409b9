"""The `ladder` command: a thin layer that parses options, calls the library, renders."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import __version__
from .errors import InputError, LadderError, ValidationError

EPILOG = """\
examples:
  ladder validate ladders scenarios
  ladder show ladders/belarus-2024.yaml --format mermaid
  ladder run scenarios/belarus-poland-2024.yaml --runs 20000 --seed 7
  ladder run scenarios/belarus-poland-2024.yaml --runs 1 --trace

exit codes: 0 ok, 1 run failed or interrupted, 2 bad input.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ladder",
        description="Scenario modelling of crisis escalation ladders: doctrinal stages as a "
                    "state machine, agent-based Monte Carlo over actors' responses.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ladder {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "validate", help="check ladder and scenario files",
        description="Check ladder and scenario files (or every .yaml under folders). Prints "
                    "each problem as FILE:LINE: FIELD: MESSAGE; exit 2 if any file is invalid.",
        epilog="example:\n  ladder validate ladders scenarios\n  ladder validate my-scenario.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only, no warnings")

    p = sub.add_parser(
        "show", help="draw a ladder (or a scenario's ladder and actors)",
        description="Draw a ladder bottom-up as text, or as a Mermaid state diagram or a "
                    "Graphviz digraph. Given a scenario, also lists its actors and events.",
        epilog="examples:\n  ladder show ladders/belarus-2024.yaml\n"
               "  ladder show scenarios/belarus-poland-2024.yaml --format mermaid > ladder.mmd\n"
               "  ladder show ladders/belarus-2024.yaml --format dot | dot -Tsvg > ladder.svg",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", metavar="LADDER_OR_SCENARIO")
    p.add_argument("--format", choices=("text", "mermaid", "dot"), default="text")

    p = sub.add_parser(
        "run", help="simulate a scenario many times and summarise the outcomes",
        description="Simulate a scenario --runs times and print, per stage, the probability of "
                    "reaching it and of ending in it, with Wilson 95%% intervals, the time to "
                    "reach it, and a provenance line. Same scenario and seed give the same "
                    "numbers whatever --jobs is.",
        epilog="examples:\n"
               "  ladder run scenarios/belarus-poland-2024.yaml\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --runs 100000 --jobs 2\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --json > summary.json\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --out results/base\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --set tension.decay=0.95 \\\n"
               "      --set 'actors.minsk.actions.push_migrants.effect={uniform: [0.5, 1]}'\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --runs 1 --trace",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--runs", type=int, help="number of runs (default: the scenario's runs)")
    p.add_argument("--seed", type=int, help="root seed (default: the scenario's seed)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--horizon", type=int, help="steps per run (default: the scenario's)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a value of the scenario file before it is validated: a dotted "
                        "path and a YAML value (number or distribution); repeatable")
    p.add_argument("--out", metavar="DIR",
                   help="write summary.json, runs.csv, occupancy.csv and incidence.csv into DIR")
    p.add_argument("--json", action="store_true", help="print the summary as JSON only")
    p.add_argument("--trace", action="store_true",
                   help="tell the story of one run (with --runs 1, the default then)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ladder` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except ValidationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except LadderError as exc:
        print(f"ladder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted before any results were ready; nothing written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `ladder show ... | head`: the reader has gone, so stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import validate_paths

    problems, n_files = validate_paths(args.paths)
    errors = [p for p in problems if not p.warning]
    for p in problems:
        if not (args.quiet and p.warning):
            print(p)
    warnings = len(problems) - len(errors)
    print(f"checked {n_files} file(s): {len(errors)} error(s), {warnings} warning(s)",
          file=sys.stderr)
    return 2 if errors else 0


def cmd_show(args: argparse.Namespace) -> int:
    from .show import render
    from .validate import is_ladder
    from .yamlio import load_yaml

    if is_ladder(load_yaml(args.path)):
        from .ladder import load_ladder

        obj = load_ladder(args.path)
    else:
        from .scenario import load_scenario

        obj = load_scenario(args.path)
    print(render(obj, args.format))
    return 0


def parse_sets(items: list[str]) -> dict[str, object]:
    """`PATH=VALUE` pairs from --set, the value read as YAML (safely)."""
    from .yamlio import parse_yaml

    out: dict[str, object] = {}
    for item in items:
        path, sep, text = item.partition("=")
        if not sep or not path.strip():
            raise InputError(f"--set {item!r}: expected PATH=VALUE, e.g. tension.decay=0.95")
        try:
            out[path.strip()] = parse_yaml(text, f"--set {path.strip()}")
        except ValidationError as exc:
            raise InputError(f"--set {item!r}: {exc.problems[0].message}") from None
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from .render import story, summary_table
    from .results import summary_json, write_results
    from .runner import run
    from .scenario import load_scenario

    runs = args.runs
    if args.trace:
        if runs not in (None, 1):
            raise InputError(f"--trace tells the story of one run; use --runs 1 (got {runs})")
        runs = 1
    overrides = parse_sets(args.set)
    if args.horizon is not None:
        overrides["clock.horizon"] = args.horizon
    scenario = load_scenario(args.scenario, overrides)
    progress = not args.json and not args.trace and sys.stderr.isatty()
    result = run(scenario, runs=runs, seed=args.seed, jobs=args.jobs,
                 keep_runs=bool(args.out), trace=args.trace, progress=progress)
    if args.out:
        for path in write_results(result, args.out):
            if not args.json:
                print(f"wrote {path}", file=sys.stderr)
    if args.json:
        sys.stdout.write(summary_json(result.summary))
    elif args.trace:
        print(story(scenario, result.notes or []))
    else:
        print(summary_table(result))
    if result.partial:
        print(f"interrupted: the summary covers {result.summary['runs']:,} finished runs "
              "and is partial", file=sys.stderr)
        return 1
    return 0


COMMANDS = {"validate": cmd_validate, "show": cmd_show, "run": cmd_run}


if __name__ == "__main__":
    sys.exit(main())
