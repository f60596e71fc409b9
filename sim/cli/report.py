"""`ladder report`: write a self-contained HTML report of runs or a comparison."""

from __future__ import annotations

import argparse
import sys

from .options import add_max_memory, add_variant_inputs


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder report`, its options and help."""
    p = sub.add_parser(
        "report", help="write a self-contained HTML report of runs or a comparison",
        description="Write one HTML file a reader can open offline: the ladder drawn bottom-up, "
                    "the scenario's actors, events and sources, outcome tables with 95% "
                    "intervals and run counts, figures, the comparison when there are several "
                    "inputs (as `ladder compare`), and provenance. Inputs are scenario files "
                    "(simulated now, as `ladder compare` does) or results folders. Needs the "
                    "plots extra (matplotlib).",
        epilog="examples:\n"
               "  ladder report scenarios/belarus-poland-2024.yaml --out report.html\n"
               "  ladder report base.yaml variant.yaml --runs 20000 --jobs 2 --out cmp.html\n"
               "  ladder run base.yaml --out results/base && "
               "ladder report results/base --out base.html",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_variant_inputs(p, "one or more scenario files or results folders; with several, the "
                          "first is the baseline of the comparison")
    p.add_argument("--out", required=True, metavar="FILE.html",
                   help="the report to write (checked before anything is simulated)")
    add_max_memory(p)


def execute(args: argparse.Namespace) -> int:
    """Run `ladder report` with parsed arguments; the exit code."""
    from ..analyses.variants import load_variants
    from ..engine.results import atomic_write
    from ..present.plots import require_matplotlib
    from ..present.report import check_out, report_html

    out = check_out(args.out)
    require_matplotlib("ladder report")
    loaded = load_variants(args.inputs, args.runs, args.seed, args.jobs,
                           progress=sys.stderr.isatty(), max_memory=args.max_memory)
    text = report_html(loaded)
    atomic_write(out, lambda handle: handle.write(text))
    print(f"wrote {out}", file=sys.stderr)
    if any(v.outcomes.summary.get("partial") for v in loaded):
        print("interrupted: the report covers the finished runs only", file=sys.stderr)
        return 1
    return 0
