"""`ladder calibrate`: fit a scenario's uncertain numbers to a historical record (rejection
ABC) and score it out of sample against trivial baselines."""

from __future__ import annotations

import argparse
import sys

from ..format.vocabulary import MAX_RUNS
from .options import add_allow_outside, add_jobs, add_plot, add_scheduler, scheduler_jobs
from .parsing import whole

FILES = ("calibration.json", "posterior.csv")


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 0.1, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share in (0, 1], got {value:g}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder calibrate`, its options and help."""
    p = sub.add_parser(
        "calibrate", help="fit to a historical record and score out of sample",
        description="Approximate Bayesian computation (rejection ABC) against a historical "
                    "record: a prior ensemble of the scenario (each run draws its uncertain "
                    "numbers from the file), each run's distance from the record over the fit "
                    "window, the closest --accept share kept as the posterior (a file for "
                    "`ladder run --posterior`). Then, on the test window, the prior and the "
                    "calibrated model, each also without the record's forcing events, and "
                    "three baselines (persistence, climatology of the fit window, uniform) "
                    "are scored month by month: Brier, log and ranked probability scores and "
                    "the coverage of 50/80/95% bands, with intervals from resampling months. "
                    "The scenario needs an `observe:` block for the record's quantities. "
                    "See docs/validation.md.",
        epilog="examples:\n"
               "  ladder calibrate scenarios/history/seed-2021-2024.yaml \\\n"
               "      --history scenarios/history/record-2021-2024.yaml \\\n"
               "      --fit 2021-08:2022-12 --test 2023-01:2024-12\n"
               "  ladder calibrate seed-2021-2024 --history record-2021-2024 "
               "--fit 2021-08:2022-12 \\\n"
               "      --test 2023-01:2024-12 --runs 20000 --jobs 2 --out results/calibrated\n"
               "  ladder calibrate seed-2021-2024 --history record-2021-2024 --fit 2021-08:2022-12 "
               "\\\n      --test 2023-01:2024-12 --scheduler tcp://scheduler-host:8786\n"
               "  ladder run seed-2021-2024 --posterior results/calibrated/posterior.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="the replay scenario (file or id)")
    p.add_argument("--history", required=True, metavar="RECORD",
                   help="the historical record (a file or id, `kind: history-record`)")
    p.add_argument("--fit", required=True, metavar="FIRST:LAST",
                   help="the months fitted, YYYY-MM:YYYY-MM")
    p.add_argument("--test", required=True, metavar="FIRST:LAST",
                   help="the months scored, after the fit window, YYYY-MM:YYYY-MM")
    p.add_argument("--runs", type=whole(1, MAX_RUNS), default=2000,
                   help="runs of the prior ensemble (default 2000)")
    p.add_argument("--test-runs", type=whole(1, MAX_RUNS), metavar="N",
                   help="runs of each model on the test window (default: --runs)")
    p.add_argument("--accept", type=_share, default=0.1, metavar="SHARE",
                   help="the share of the prior's runs kept (default 0.1)")
    p.add_argument("--seed", type=whole(0), help="root seed (default: the scenario's seed)")
    add_jobs(p)
    add_scheduler(p, "the ensembles' chunks of 10,000 runs")
    p.add_argument("--out", metavar="DIR",
                   help="write calibration.json and posterior.csv into DIR, all or nothing")
    p.add_argument("--json", action="store_true", help="print the summary as JSON only")
    p.add_argument("--markdown", action="store_true",
                   help="print the out-of-sample table as markdown (as docs/validation.md has "
                        "it)")
    add_plot(p, "each parameter's prior against its posterior")
    add_allow_outside(p)


def execute(args: argparse.Namespace) -> int:
    """Run `ladder calibrate` with parsed arguments; the exit code."""
    from ..analyses.calibrate import calibrate, window
    from ..engine.folder import write_folder
    from ..engine.results import summary_json
    from ..engine.targets import check_out_folder
    from ..errors import InputError
    from ..format.history_record import load_record
    from ..format.library import resolve_input
    from ..format.scenario import load_scenario
    from ..present.calibrate import calibrate_markdown, calibrate_text

    if args.json and args.markdown:
        raise InputError("--json and --markdown are two forms of the output: choose one")
    fit, test = window(args.fit, "--fit"), window(args.test, "--test")
    scheduler, jobs = scheduler_jobs(args)
    if args.out:
        for note in check_out_folder(args.out, FILES):
            print(note, file=sys.stderr)
    if args.plot:
        from ..present.plots import check_path

        check_path(args.plot)
    scenario = load_scenario(args.scenario)
    record = load_record(resolve_input(args.history))
    summary, table, draws = calibrate(scenario, record, fit, test, args.runs, args.accept,
                                      args.seed, jobs, args.test_runs,
                                      progress=not args.json and sys.stderr.isatty(),
                                      scheduler=scheduler)
    if args.out:
        text = summary_json(summary)
        write_folder(args.out, [("calibration.json", lambda h: h.write(text)),
                                ("posterior.csv", lambda h: table.to_csv(h, index=False))],
                     "calibrate", {"scenario": scenario.id, "record": record.id})
        if not args.json:
            print(f"wrote {args.out}: calibration.json, posterior.csv "
                  f"(ladder run {args.scenario} --posterior {args.out}/posterior.csv)",
                  file=sys.stderr)
    if args.plot:
        from ..present.calibrate_plots import posterior_figure
        from ..present.plots import save

        path = save(posterior_figure(summary, draws, table), args.plot)
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        sys.stdout.write(summary_json(summary))
    elif args.markdown:
        print(calibrate_markdown(summary), end="")
    else:
        print(calibrate_text(summary))
    return 0
