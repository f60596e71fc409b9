"""`ladder explain`: why runs escalate (pathways, drivers, off-ramps, what must be true,
narratives)."""

from __future__ import annotations

import argparse
import os
import sys

from ..format.vocabulary import MAX_RUNS
from .options import (
    add_jobs,
    add_max_memory,
    add_overrides,
    add_scheduler,
    load_overridden,
    scheduler_jobs,
)
from .parsing import whole

PARTS = ("pathways", "drivers", "offramps", "must_be_true", "narratives")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder explain`, its options and help."""
    p = sub.add_parser(
        "explain", help="why runs escalate: pathways, drivers, off-ramps, narratives",
        description="Explain an ensemble's outcome. Pathways: the most frequent ways up the "
                    "outcome's ladder, each move with its cause, with shares and 95% "
                    "intervals. Drivers: how each actor's action rates and each drawn number "
                    "differ between runs that reach the outcome and runs that do not (effect "
                    "sizes with intervals; associations, not effects). Off-ramps: at each stage "
                    "below the outcome, each actor's legal move there and its paired change in "
                    "P(outcome) (forks with common random numbers from real positions of the "
                    "ensemble). What must be true: the chains of rules that can reach each "
                    "run-ending stage, from the files. Narratives: a representative run of "
                    "each outcome class, told from its trace. The input is a scenario "
                    "(simulated now) or a results folder of `ladder run --out`. With "
                    "--scheduler, the ensemble's chunks run on Dask; the off-ramp forks (each "
                    "from a position of a model held here) and the narratives (a traced chunk "
                    "per outcome class) run in this process. See docs/explain.md.",
        epilog="examples:\n"
               "  ladder explain belarus-poland-2024\n"
               "  ladder explain scenarios/belarus-poland-2024.yaml --runs 5000 --json\n"
               "  ladder explain belarus-poland-2024 --outcome nato:article_4\n"
               "  ladder explain belarus-poland-2024 --parts pathways,drivers\n"
               "  ladder explain belarus-poland-2024 --runs 200000 --parts pathways,drivers "
               "\\\n      --scheduler tcp://scheduler-host:8786\n"
               "  ladder run belarus-poland-2024 --runs 20000 --out results/seed && "
               "ladder explain results/seed",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO_OR_RESULTS",
                   help="a scenario file or id, or a results folder of `ladder run --out`")
    p.add_argument("--outcome", metavar="LADDER:STAGE",
                   help="the outcome to explain: reaching this stage (LADDER: defaults to the "
                        "main ladder). Default: the stage `ladder run`'s assumptions watch, the "
                        "highest stage above the start reached in at least 5%% of runs")
    p.add_argument("--runs", type=whole(1, MAX_RUNS),
                   help="runs of a scenario (default: the scenario's runs)")
    p.add_argument("--seed", type=whole(0), help="root seed (default: the scenario's seed)")
    add_jobs(p)
    add_scheduler(p, "the ensemble's chunks of 10,000 runs (not the off-ramp forks or the "
                     "narratives)")
    p.add_argument("--parts", default=",".join(PARTS), metavar="LIST",
                   help=f"comma-separated parts to compute (default all: {','.join(PARTS)})")
    p.add_argument("--fork-runs", type=whole(10, 100_000), default=400, metavar="N",
                   help="off-ramps: runs per fork, per move and position (default 400)")
    p.add_argument("--positions", type=whole(1, 50), default=3, metavar="K",
                   help="off-ramps: positions per stage, the first K runs to enter it "
                        "(default 3)")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON only")
    add_overrides(p)
    add_max_memory(p)


def parts_of(text: str) -> tuple[str, ...]:
    """The parts `--parts` names, refused with the list when one is unknown."""
    from ..errors import InputError
    from ..format.check import suggest

    parts = tuple(x.strip() for x in text.split(",") if x.strip())
    for x in parts:
        if x not in PARTS:
            raise InputError(f"--parts: unknown part {x!r}{suggest(x, PARTS)} "
                             f"(parts: {', '.join(PARTS)})")
    if not parts:
        raise InputError(f"--parts: name at least one of {', '.join(PARTS)}")
    return parts


def execute(args: argparse.Namespace) -> int:
    """Run `ladder explain` with parsed arguments; the exit code."""
    from ..analyses.explain import explain, forks, from_folder, simulate
    from ..engine.results import summary_json
    from ..errors import InputError
    from ..present.explain import explain_text

    parts = parts_of(args.parts)
    folder = os.path.isdir(args.scenario)
    if folder and (args.runs or args.seed is not None or args.set or args.horizon
                   or args.jobs or args.scheduler):
        raise InputError("--runs, --seed, --set, --horizon, --jobs and --scheduler apply to a "
                         "scenario; a results folder's runs are already made")
    scheduler, jobs = scheduler_jobs(args)
    show = not args.json and sys.stderr.isatty()
    inputs = (from_folder(args.scenario) if folder else
              simulate(load_overridden(args), args.runs, args.seed, jobs, show,
                       args.max_memory, scheduler))
    bar = None
    if show and "offramps" in parts:
        from tqdm import tqdm

        bar = tqdm(total=forks(inputs, args.outcome, args.positions), unit="fork",
                   desc="off-ramps", file=sys.stderr, leave=False, dynamic_ncols=True)
    try:
        result = explain(inputs, args.outcome, parts, fork_runs=args.fork_runs,
                         positions=args.positions,
                         tick=(lambda: bar.update()) if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        sys.stdout.write(summary_json(result))
    else:
        print(explain_text(result))
    return 0
