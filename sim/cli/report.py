"""`ladder report`: write a self-contained HTML report of runs or a comparison."""

from __future__ import annotations

import argparse
import sys

from .options import add_max_memory, add_variant_inputs, refuse_idle_scheduler, scheduler_jobs


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder report`, its options and help."""
    p = sub.add_parser(
        "report", help="write a self-contained HTML report of runs or a comparison",
        description="Write one HTML file a reader can open offline: the ladder drawn bottom-up, "
                    "the scenario's actors, events and sources, outcome tables with 95% "
                    "intervals and run counts, figures, the comparison when there are several "
                    "inputs (as `ladder compare`), why runs escalate (`ladder explain` of the "
                    "first input, with a flow diagram of its pathways), and provenance. Inputs "
                    "are scenario files (simulated now, as `ladder compare` does) or results "
                    "folders. Needs the plots extra (matplotlib). With --scheduler, the "
                    "scenarios' chunks run on Dask; the 'Why runs escalate' section (its "
                    "narratives and off-ramp forks) is computed in this process.",
        epilog="examples:\n"
               "  ladder report scenarios/belarus-poland-2024.yaml --out report.html\n"
               "  ladder report base.yaml variant.yaml --runs 20000 --jobs 2 --out cmp.html\n"
               "  ladder report belarus-poland-2024 --outcome nato:article_4 --offramps "
               "--out seed.html\n"
               "  ladder run base.yaml --out results/base && "
               "ladder report results/base --out base.html",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_variant_inputs(p, "one or more scenario files or results folders; with several, the "
                          "first is the baseline of the comparison")
    p.add_argument("--out", required=True, metavar="FILE.html",
                   help="the report to write (checked before anything is simulated)")
    p.add_argument("--outcome", metavar="LADDER:STAGE",
                   help="the outcome its 'Why runs escalate' section explains, for the first "
                        "input (default: as `ladder explain`)")
    p.add_argument("--offramps", action="store_true",
                   help="add the off-ramps to that section (forks at every stage below the "
                        "outcome: slower; as `ladder explain`)")
    p.add_argument("--no-explain", action="store_true",
                   help="leave the 'Why runs escalate' section out")
    add_max_memory(p)


def _explained(variant, args: argparse.Namespace) -> dict | str:
    """`ladder explain` of the first input for the report, or why it cannot be made."""
    from ..analyses.explain import PARTS, explain, of_variant
    from ..errors import InputError

    parts = tuple(p for p in PARTS if p != "offramps" or args.offramps)
    try:
        return explain(of_variant(variant), args.outcome, parts)
    except InputError as exc:
        if args.outcome is not None:
            raise
        return str(exc)


def execute(args: argparse.Namespace) -> int:
    """Run `ladder report` with parsed arguments; the exit code."""
    from ..analyses.variants import load_variants
    from ..engine.results import atomic_write
    from ..present.plots import require_matplotlib
    from ..present.report import check_out, report_html

    out = check_out(args.out)
    require_matplotlib("ladder report")
    scheduler, jobs = scheduler_jobs(args)
    refuse_idle_scheduler(scheduler, args.inputs)
    loaded = load_variants(args.inputs, args.runs, args.seed, jobs,
                           progress=sys.stderr.isatty(), max_memory=args.max_memory,
                           scheduler=scheduler, every_array=not args.no_explain)
    text = report_html(loaded, None if args.no_explain else _explained(loaded[0], args))
    atomic_write(out, lambda handle: handle.write(text))
    print(f"wrote {out}", file=sys.stderr)
    if any(v.outcomes.summary.get("partial") for v in loaded):
        print("interrupted: the report covers the finished runs only", file=sys.stderr)
        return 1
    return 0
