"""`ladder sweep`: simulate over ranges of parameters: sensitivity ranking and high-risk ."""

from __future__ import annotations

import argparse
import sys

from .options import (
    add_allow_outside,
    add_jobs,
    add_max_memory,
    add_plot,
    add_scheduler,
    parse_sets,
    scheduler_jobs,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder sweep`, its options and help."""
    p = sub.add_parser(
        "sweep", help="simulate over ranges of parameters: sensitivity ranking and high-risk "
                      "regions",
        description="Simulate a scenario at every point of a design over the --vary ranges "
                    "(each point a full Monte Carlo run, validated as `ladder run --set`), rank "
                    "the parameters by their influence on the outcome (Morris mu*, Sobol' "
                    "indices, grid main effects or rank regression coefficients), and find "
                    "boxes of parameter space where the outcome is high (PRIM). Morris and "
                    "Sobol' need the explore extra (SALib); --scheduler needs the dask extra. "
                    "See docs/sweep.md.",
        epilog="examples:\n"
               "  ladder sweep scenarios/belarus-poland-2024.yaml \\\n"
               "      --vary actors.minsk.policy.weights.push_migrants=3:9 \\\n"
               "      --vary actors.polish_border_forces.policy.weights.counteract=1:5 \\\n"
               "      --design grid --points 5 --outcome reach:use_of_force --plot sweep.png\n"
               "  ladder sweep S.yaml --vary tension.decay=0.8:0.95 --vary ... --design morris\n"
               "  ladder sweep S.yaml --vary ... --design sobol --points 128 --jobs 2 --json\n"
               "  ladder sweep S.yaml --vary ... --scheduler tcp://scheduler-host:8786",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO")
    add_allow_outside(p)
    p.add_argument("--vary", action="append", default=[], metavar="PATH=LOW:HIGH",
                   help="a parameter to vary: a dotted path into the scenario file (as --set "
                        "takes it) and its range; repeatable")
    p.add_argument("--design", choices=("grid", "lhs", "morris", "sobol"), default="lhs",
                   help="grid, lhs (Latin hypercube), morris or sobol (default lhs)")
    p.add_argument("--points", type=int, metavar="K",
                   help="grid: values per parameter (default 5); lhs: samples (100); morris: "
                        "trajectories (10); sobol: base samples, a power of 2 (64)")
    p.add_argument("--runs-per-point", type=int, default=1000, metavar="N",
                   help="runs at each point (default 1000)")
    p.add_argument("--outcome", metavar="OUTCOME",
                   help="reach:<stage>, final:<stage> or absorbed (default: reach: the highest "
                        "non-absorbing stage above the start)")
    p.add_argument("--threshold", type=float, metavar="P",
                   help="a point is high-risk when its outcome is above P (default: the mean "
                        "over the points)")
    p.add_argument("--seed", type=int, help="root seed (default: the scenario's seed)")
    p.add_argument("--seeds", choices=("common", "independent"), default="common",
                   help="common: every point runs from --seed (common random numbers, the "
                        "default); independent: a seed per point")
    add_jobs(p)
    add_scheduler(p, "the design points")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="fix a value of the scenario file at every point (as in `ladder run`)")
    p.add_argument("--out", metavar="DIR",
                   help="write sweep.json, points.csv and manifest.json into DIR, all or "
                        "nothing (a previous DIR is replaced only once the new one is "
                        "complete; see docs/results.md)")
    p.add_argument("--json", action="store_true", help="print the sweep as JSON only")
    add_plot(p, "the tornado chart and the outcome map")
    add_max_memory(p)


def execute(args: argparse.Namespace) -> int:
    """Run `ladder sweep` with parsed arguments; the exit code."""
    from ..engine.results import summary_json
    from ..explore.sweep import parse_vary, sweep
    from ..present.sweep_output import sweep_table, write_sweep

    scheduler, jobs = scheduler_jobs(args)
    axes = parse_vary(args.vary)
    if args.out:
        from ..engine.targets import check_out_folder
        from ..present.sweep_output import SWEEP_FILES

        for note in check_out_folder(args.out, SWEEP_FILES):
            print(note, file=sys.stderr)
    if args.plot:
        from ..present.plots import check_path

        check_path(args.plot)
    result = sweep(args.scenario, axes, design=args.design, points=args.points,
                   runs=args.runs_per_point, outcome=args.outcome, seed=args.seed,
                   seeds=args.seeds, threshold=args.threshold, jobs=jobs,
                   scheduler=scheduler, fixed=parse_sets(args.set),
                   progress=not args.json and sys.stderr.isatty(), max_memory=args.max_memory)
    notes = []
    if args.out:
        folder = write_sweep(result, args.out)
        notes.append(f"wrote {folder.folder} ({len(result.counts):,} points"
                     f"{'; replaced the previous folder' if folder.replaced else ''}): "
                     f"{', '.join(folder.files)}")
    if args.plot:
        from ..present.plots import save
        from ..present.sweep_plots import sweep_figure

        notes.append(f"wrote {save(sweep_figure(result), args.plot)}")
    if not args.json:
        for note in notes:
            print(note, file=sys.stderr)
    sys.stdout.write(summary_json(result.to_dict()) if args.json
                     else sweep_table(result) + "\n")
    return 0
