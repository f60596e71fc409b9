"""`ladder run`: simulate a scenario many times and summarise the outcomes."""

from __future__ import annotations

import argparse
import contextlib
import sys

from ..errors import InputError
from ..format.vocabulary import MAX_RUNS
from .options import (
    add_jobs,
    add_max_memory,
    add_overrides,
    add_plot,
    add_precision,
    add_scheduler,
    load_overridden,
    precision_note,
    precision_target,
    scheduler_jobs,
)
from .parsing import whole


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder run`, its options and help."""
    p = sub.add_parser(
        "run", help="simulate a scenario many times and summarise the outcomes",
        description="Simulate a scenario --runs times and print, per stage, the probability of "
                    "reaching it and of ending in it, with Wilson 95% intervals, the time to "
                    "reach it (median and quartiles, each with its 95% interval), and a "
                    "provenance line. Same scenario and seed give the same "
                    "numbers whatever --jobs or --scheduler is.",
        epilog="examples:\n"
               "  ladder run scenarios/belarus-poland-2024.yaml\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --runs 100000 --jobs 2\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --json > summary.json\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --out results/base\n"
               "  ladder run scenarios/belarus-poland-2024.yaml "
               "--set variables.minsk.danger.decay=0.95 \\\n"
               "      --set 'actors.minsk.actions.push_migrants.effect.warsaw.alarm="
               "{uniform: [0.1, 0.4]}'\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --runs 1 --trace\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --runs 20000 --trace-run 137 "
               "--out results/base\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --precision 0.005 "
               "--precision-on final\n"
               "  ladder run scenarios/belarus-poland-2024.yaml --runs 1000000 "
               "--scheduler tcp://scheduler-host:8786 --out results/big",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--runs", type=whole(1, MAX_RUNS),
                   help="number of runs (default: the scenario's runs)")
    p.add_argument("--seed", type=whole(0), help="root seed (default: the scenario's seed)")
    add_jobs(p)
    add_scheduler(p, "the chunks of 10,000 runs")
    add_overrides(p)
    p.add_argument("--out", metavar="DIR",
                   help="write summary.json, runs.csv, moves.csv (and runs.parquet and "
                        "moves.parquet with pyarrow), occupancy.csv, incidence.csv, "
                        "tension.csv and manifest.json into "
                        "DIR, all or nothing (a previous DIR is replaced only once the new "
                        "one is complete; see docs/results.md)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON only")
    p.add_argument("--trace", action="store_true",
                   help="tell the story of one run (with --runs 1, the default then)")
    p.add_argument("--trace-run", type=whole(0), metavar="K",
                   help="simulate the ensemble and tell the story of its run K (from 0): row K "
                        "of runs.csv with --out")
    p.add_argument("--watch", metavar="STAGE",
                   help="the main-ladder stage whose P(reach) the assumptions block measures "
                        "(default: the highest stage above the start reached in at least 5%% "
                        "of runs; see docs/results.md)")
    p.add_argument("--posterior", metavar="FILE.csv",
                   help="draw the numbers a posterior file lists from its parameter sets, one "
                        "set per run, instead of from the file's distributions (a CSV of "
                        "drawn:<path> columns; docs/results.md)")
    add_plot(p, "P(reach), incidence, occupancy and tension")
    add_precision(p)
    add_max_memory(p)


def execute(args: argparse.Namespace) -> int:
    """Run `ladder run` with parsed arguments; the exit code."""
    from ..engine.results import summary_json
    from ..engine.runner import run
    from ..engine.stream import ResultsStream
    from ..present.render import story, summary_table

    runs = args.runs
    if args.trace:
        if runs not in (None, 1):
            raise InputError(f"--trace tells the story of one run; use --runs 1 (got {runs})")
        if args.json:
            raise InputError("--trace tells the story of one run as text; it has no JSON form "
                             "(drop --json)")
        runs = 1
    if args.trace_run is not None and (args.trace or args.json or args.precision is not None):
        raise InputError("--trace-run K tells the story of run K of a fixed ensemble as text; "
                         "drop --trace, --json and --precision")
    on = precision_target(args)
    scheduler, jobs = scheduler_jobs(args)
    scenario = load_overridden(args)
    if args.posterior:
        from ..engine.assumptions import with_posterior

        scenario = with_posterior(scenario, args.posterior)
    if args.out:
        from ..engine.coupled import result_names
        from ..engine.results import RESULT_FILES
        from ..engine.targets import check_out_folder

        for note in check_out_folder(args.out, result_names(args.out, RESULT_FILES)):
            print(note, file=sys.stderr)
    if args.plot:
        from ..present.plots import check_path

        check_path(args.plot)
    tracing = args.trace or args.trace_run is not None
    progress = not args.json and not tracing and sys.stderr.isatty()
    if args.precision is not None:
        if args.trace:
            raise InputError("--precision adds runs until a target; --trace tells one run")
        runs = args.max_runs
    elif args.max_runs is not None:
        raise InputError("--max-runs caps --precision; use --runs for a fixed number of runs")
    planned = None if args.precision is not None else runs or scenario.runs
    with (ResultsStream(args.out, scenario, planned) if args.out
          else contextlib.nullcontext()) as sink:
        result = run(scenario, runs=runs, seed=args.seed, jobs=jobs,
                     scheduler=scheduler,
                     keep_runs=bool(args.out), trace=args.trace, progress=progress,
                     precision=args.precision, max_memory=args.max_memory, watch=args.watch,
                     trace_run=args.trace_run, precision_on=on, sink=sink)
        if sink is not None:
            written = sink.finish(result)
            if not args.json:
                print(wrote_folder(written, result), file=sys.stderr)
    if args.plot:
        from ..present.plots import RunView, run_figure, save

        path = save(run_figure(RunView.from_result(result)), args.plot)
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        sys.stdout.write(summary_json(result.summary))
    elif tracing:
        if args.trace_run is not None:
            print(f"run {args.trace_run:,} of {result.summary['runs']:,} (seed "
                  f"{result.summary['seed']}):")
        print(story(scenario, result.notes or []))
    else:
        print(summary_table(result))
    if "precision" in result.summary and not args.json:
        print(precision_note(result.summary["precision"], result.summary["runs"]),
              file=sys.stderr)
    if result.partial:
        print(f"interrupted: the summary covers {result.summary['runs']:,} finished runs "
              "and is partial", file=sys.stderr)
        return 1
    return 0


def wrote_folder(written, result) -> str:
    """`wrote results/base (12,000 runs): summary.json, ...`, or `(partial: 30,000 of
    200,000 runs)`."""
    runs = result.summary["runs"]
    count = (f"partial: {runs:,} of {result.planned:,} runs" if result.partial
             else f"{runs:,} runs")
    replaced = "; replaced the previous folder" if written.replaced else ""
    return f"wrote {written.folder} ({count}{replaced}): {', '.join(written.files)}"
