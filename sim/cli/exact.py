"""`ladder exact`: compute a Markov scenario's outcome distribution exactly (no sampling)."""

from __future__ import annotations

import argparse
import sys

from .options import add_overrides, load_overridden


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder exact`, its options and help."""
    p = sub.add_parser(
        "exact", help="compute a Markov scenario's outcome distribution exactly (no sampling)",
        description="When every policy depends only on the stage (decay 0, no modifiers on "
                    "last actions or tension, no conditional events, fixed or discrete "
                    "numbers), the stages form a Markov chain: print, per stage, the exact "
                    "P(reach) and P(final) by the horizon, and, with no horizon, the absorption "
                    "probabilities and expected steps to absorption. Exit 2 with every reason "
                    "(FILE:LINE: FIELD: REASON) when the scenario is not exactly analysable. "
                    "See docs/exact.md.",
        epilog="examples:\n"
               "  ladder exact scenarios/examples/gamblers-ruin.yaml\n"
               "  ladder exact scenarios/examples/markov-crisis.yaml --horizon 365 --json\n"
               "  ladder exact scenarios/examples/markov-crisis.yaml \\\n"
               "      --set actors.capital.policy.weights.provoke=2",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO")
    add_overrides(p)
    p.add_argument("--json", action="store_true",
                   help="print the exact summary as JSON only (the keys of `ladder run --json`)")


def execute(args: argparse.Namespace) -> int:
    """Run `ladder exact` with parsed arguments; the exit code."""
    from ..analyses.exact import analyse, exact_table
    from ..engine.results import summary_json

    scenario = load_overridden(args)
    if scenario.coupled:  # several ladders: one chain over their joint state
        from ..analyses.product import analyse_product, product_table

        product = analyse_product(scenario)
        sys.stdout.write(summary_json(product.to_dict()) if args.json else
                         product_table(product) + "\n")
        return 0
    result = analyse(scenario)
    if args.json:
        sys.stdout.write(summary_json(result.to_dict()))
    else:
        print(exact_table(result))
    return 0
