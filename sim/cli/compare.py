"""`ladder compare`: compare outcome distributions of scenario variants."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError
from .options import (
    add_max_memory,
    add_plot,
    add_precision,
    add_variant_inputs,
    precision_note,
    precision_target,
    refuse_idle_scheduler,
    scheduler_jobs,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder compare`, its options and help."""
    p = sub.add_parser(
        "compare", help="compare outcome distributions of scenario variants",
        description="Compare variants with the first one (the baseline): for each stage, "
                    "P(reach) in each with the difference B - A, its 95% interval and a "
                    "p-value; time to each stage (log-rank); the final-stage distributions "
                    "(chi-square); P(absorbed). p-values are Holm-adjusted over all tests. "
                    "Each input is a scenario file (simulated now) or a results folder from "
                    "`ladder run --out`. Variants with the same actors and actions are run "
                    "from the same seed, so run i of each shares its random numbers (common "
                    "random numbers) and paired tests sharpen the comparison.",
        epilog="examples:\n"
               "  ladder compare scenarios/belarus-poland-2024.yaml \\\n"
               "      scenarios/checkpoint-opened.yaml\n"
               "  ladder compare base.yaml a.yaml b.yaml --runs 50000 --jobs 2 --json\n"
               "  ladder compare base.yaml variant.yaml --precision 0.005\n"
               "  ladder compare base.yaml variant.yaml --precision 0.005 --precision-on diff\n"
               "  ladder compare base.yaml variant.yaml --runs 500000 "
               "--scheduler tcp://scheduler-host:8786\n"
               "  ladder run base.yaml --out results/base && "
               "ladder compare results/base variant.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_variant_inputs(p, "two or more scenario files or results folders; the first is the "
                          "baseline")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON only")
    add_plot(p, "P(reach) per variant, incidence overlays, differences and tension")
    add_precision(p)
    add_max_memory(p)


def execute(args: argparse.Namespace) -> int:
    """Run `ladder compare` with parsed arguments; the exit code."""
    from ..analyses.compare import compare, describe_pairing, widest_difference
    from ..analyses.variants import load_variants
    from ..engine.results import summary_json
    from ..present.render import compare_table

    if len(args.inputs) < 2:
        raise InputError("compare needs at least two scenarios or results folders")
    on = precision_target(args, variants=True)
    scheduler, jobs = scheduler_jobs(args)
    refuse_idle_scheduler(scheduler, args.inputs)
    if args.plot:
        from ..present.plots import check_path

        check_path(args.plot)
    loaded = load_variants(args.inputs, args.runs, args.seed, jobs, args.precision,
                           args.max_runs, progress=not args.json and sys.stderr.isatty(),
                           max_memory=args.max_memory, precision_on=on, scheduler=scheduler)
    variants = [v.outcomes for v in loaded]
    report = compare(variants)
    if args.plot:
        from ..present.plots import compare_figure, save, view_of

        path = save(compare_figure([view_of(v) for v in loaded], report), args.plot)
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    partial = any(v.summary.get("partial") for v in variants)
    if args.precision is not None:
        # the rule's figures are over every scenario run; `widest` too, with the differences
        ran = [v.summary for v in variants if "precision" in v.summary]
        widest = {q: max(s["precision"]["widest"][q] for s in ran) for q in ("reach", "final")}
        widest["diff"] = round(widest_difference(variants), 10)
        report["precision"] = ran[0]["precision"] | {"widest": widest, "runs": ran[0]["runs"]}
    if args.json:
        sys.stdout.write(summary_json(report))
    else:
        print(compare_table(report, describe_pairing(report), args.inputs))
        if args.precision is not None:
            print(precision_note(report["precision"], ran[0]["runs"]), file=sys.stderr)
    if partial:
        print("interrupted: the comparison covers the finished runs only", file=sys.stderr)
        return 1
    return 0
