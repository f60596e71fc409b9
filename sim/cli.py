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
  ladder run scenarios/belarus-poland-2024.yaml --precision 0.005 --jobs 2
  ladder compare scenarios/belarus-poland-2024.yaml scenarios/checkpoint-opened.yaml
  ladder report scenarios/belarus-poland-2024.yaml --out report.html
  ladder exact scenarios/examples/gamblers-ruin.yaml
  ladder sweep scenarios/belarus-poland-2024.yaml --vary tension.decay=0.8:0.95
  ladder play scenarios/belarus-poland-2024.yaml --as warsaw

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
    add_overrides(p)
    p.add_argument("--out", metavar="DIR",
                   help="write summary.json, runs.csv (and runs.parquet with pyarrow), "
                        "occupancy.csv, incidence.csv and tension.csv into DIR")
    p.add_argument("--json", action="store_true", help="print the summary as JSON only")
    p.add_argument("--trace", action="store_true",
                   help="tell the story of one run (with --runs 1, the default then)")
    add_plot(p, "P(reach), incidence, occupancy and tension")
    add_precision(p)

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

    p = sub.add_parser(
        "compare", help="compare outcome distributions of scenario variants",
        description="Compare variants with the first one (the baseline): for each stage, "
                    "P(reach) in each with the difference B - A, its 95%% interval and a "
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
               "  ladder run base.yaml --out results/base && "
               "ladder compare results/base variant.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_variant_inputs(p, "two or more scenario files or results folders; the first is the "
                          "baseline")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON only")
    add_plot(p, "P(reach) per variant, incidence overlays, differences and tension")
    add_precision(p)

    p = sub.add_parser(
        "report", help="write a self-contained HTML report of runs or a comparison",
        description="Write one HTML file a reader can open offline: the ladder drawn bottom-up, "
                    "the scenario's actors, events and sources, outcome tables with 95%% "
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
    p.add_argument("--out", required=True, metavar="FILE.html", help="the report to write")

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
    p.add_argument("--jobs", type=int,
                   help="worker processes (default 1), or LocalCluster workers (default 2)")
    p.add_argument("--scheduler", metavar="local|tcp://HOST:PORT",
                   help="run the points on Dask: a LocalCluster started here, or a running "
                        "scheduler (needs the dask extra)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="fix a value of the scenario file at every point (as in `ladder run`)")
    p.add_argument("--out", metavar="DIR", help="write sweep.json and points.csv into DIR")
    p.add_argument("--json", action="store_true", help="print the sweep as JSON only")
    add_plot(p, "the tornado chart and the outcome map")

    p = sub.add_parser(
        "play", help="a workshop in the terminal: one run turn by turn, a team plays an actor",
        description="Step one run of a scenario turn by turn for a room: the ladder with the "
                    "current stage, tension, the date, each actor's action and why the stage "
                    "moved, and a live forecast from the current position (P(reach) by the "
                    "horizon with Wilson 95%% intervals, from --forecast-runs runs forked from "
                    "here). The room plays the --as actors (their legal moves are listed); the "
                    "others follow their scenario policy. At the prompt: a number or action "
                    "id, n [K], u, b NAME, r NAME, f ..., q, ?. See docs/workshop.md.",
        epilog="examples:\n"
               "  ladder play scenarios/belarus-poland-2024.yaml --as warsaw\n"
               "  ladder play scenarios/belarus-poland-2024.yaml --as warsaw --seed 3 \\\n"
               "      --script rehearsal.txt --transcript debrief.md\n"
               "  ladder play scenarios/belarus-poland-2024.yaml --as warsaw --as nato",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_session_options(p)
    p.add_argument("--script", metavar="FILE",
                   help="read the commands from FILE (one a line, # comments) instead of the "
                        "keyboard; the session ends with the file")
    p.add_argument("--transcript", metavar="FILE.md",
                   help="write a markdown debrief at the end (also on quit, end of input and "
                        "Ctrl-C)")

    p = sub.add_parser(
        "demo", help="the workshop in a browser: a dashboard for the projector",
        description="Serve a web dashboard of one run played step by step (the game of "
                    "`ladder play`): the ladder with the current stage highlighted, a step "
                    "counter, Step / Play / Reset, a control per --as actor (its legal moves, "
                    "applied on the next step), what happened and why the stage moved, the "
                    "live forecast from here and the outcomes of a quick batch from the start. "
                    "Prints the URL; Ctrl-C stops the server. Loads nothing from the network. "
                    "Needs the demo extra. See docs/workshop.md.",
        epilog="examples:\n"
               "  ladder demo scenarios/belarus-poland-2024.yaml --as warsaw\n"
               "  ladder demo scenarios/belarus-poland-2024.yaml --as warsaw --seed 3 --port 8800",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_session_options(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    return parser


def add_session_options(p: argparse.ArgumentParser) -> None:
    """Scenario, played actors, seed and forecast size, shared by `play` and `demo`."""
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--as", dest="players", action="append", default=[], metavar="ACTOR",
                   help="an actor the room plays (not a population); repeatable")
    p.add_argument("--seed", type=int, help="session seed (default: the scenario's seed)")
    p.add_argument("--forecast-runs", type=int, default=2000, metavar="N",
                   help="runs in each forecast (default 2000)")


def add_plot(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--plot", metavar="FILE", help=f"also draw {what} into FILE (.png or .svg; "
                                                  "needs the plots extra: matplotlib)")


def add_overrides(p: argparse.ArgumentParser) -> None:
    """--horizon and --set, shared by `run` and `exact` (see `scenario_overrides`)."""
    p.add_argument("--horizon", type=int, help="steps per run (default: the scenario's)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a value of the scenario file before it is validated: a dotted "
                        "path and a YAML value (number or distribution); repeatable")


def scenario_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The overrides --set and --horizon ask for, as `load_scenario` takes them."""
    overrides = parse_sets(args.set)
    if args.horizon is not None:
        overrides["clock.horizon"] = args.horizon
    return overrides


def add_variant_inputs(p: argparse.ArgumentParser, inputs_help: str) -> None:
    """Inputs, runs, seed and jobs, shared by `compare` and `report`."""
    p.add_argument("inputs", nargs="+", metavar="SCENARIO_OR_RESULTS", help=inputs_help)
    p.add_argument("--runs", type=int, help="runs per scenario (default: the first results "
                                            "folder's, else the first scenario's runs)")
    p.add_argument("--seed", type=int, help="root seed (default: the first results folder's, "
                                            "else the first scenario's seed)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")


def add_precision(p: argparse.ArgumentParser) -> None:
    p.add_argument("--precision", type=float, metavar="HALF_WIDTH",
                   help="add chunks of 10,000 runs until every P(reach) 95%% interval is at "
                        "most this wide on each side (0.005 = +/-0.5 points); --runs is then "
                        "ignored")
    p.add_argument("--max-runs", type=int, metavar="N",
                   help="with --precision, stop at N runs even if the target is not met "
                        "(default 1,000,000)")


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
    from .format.validate import validate_paths

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
    from .format.validate import is_ladder
    from .format.yamlio import load_yaml
    from .present.show import render

    if is_ladder(load_yaml(args.path)):
        from .format.ladder import load_ladder

        obj = load_ladder(args.path)
    else:
        from .format.scenario import load_scenario

        obj = load_scenario(args.path)
    print(render(obj, args.format))
    return 0


def parse_sets(items: list[str]) -> dict[str, object]:
    """`PATH=VALUE` pairs from --set, the value read as YAML (safely)."""
    from .format.yamlio import parse_yaml

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
    from .engine.results import summary_json, write_results
    from .engine.runner import run
    from .format.scenario import load_scenario
    from .present.render import story, summary_table

    runs = args.runs
    if args.trace:
        if runs not in (None, 1):
            raise InputError(f"--trace tells the story of one run; use --runs 1 (got {runs})")
        runs = 1
    overrides = scenario_overrides(args)
    scenario = load_scenario(args.scenario, overrides)
    if args.plot:
        from .present.plots import check_path

        check_path(args.plot)
    progress = not args.json and not args.trace and sys.stderr.isatty()
    if args.precision is not None:
        if args.trace:
            raise InputError("--precision adds runs until a target; --trace tells one run")
        runs = args.max_runs
    elif args.max_runs is not None:
        raise InputError("--max-runs caps --precision; use --runs for a fixed number of runs")
    result = run(scenario, runs=runs, seed=args.seed, jobs=args.jobs,
                 keep_runs=bool(args.out), trace=args.trace, progress=progress,
                 precision=args.precision)
    if args.out:
        for path in write_results(result, args.out):
            if not args.json:
                print(f"wrote {path}", file=sys.stderr)
    if args.plot:
        from .present.plots import RunView, run_figure, save

        path = save(run_figure(RunView.from_result(result)), args.plot)
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        sys.stdout.write(summary_json(result.summary))
    elif args.trace:
        print(story(scenario, result.notes or []))
    else:
        print(summary_table(result))
    if "precision" in result.summary and not args.json:
        print(precision_note(result.summary), file=sys.stderr)
    if result.partial:
        print(f"interrupted: the summary covers {result.summary['runs']:,} finished runs "
              "and is partial", file=sys.stderr)
        return 1
    return 0


def precision_note(summary: dict) -> str:
    """What precision mode achieved, in words."""
    prec = summary["precision"]
    widest = f"widest P(reach) half-width {100 * prec['widest_half_width']:.2f} points"
    if prec["reached"]:
        return (f"precision: target +/-{100 * prec['target']:g} points met after "
                f"{summary['runs']:,} runs ({widest})")
    return (f"precision: target +/-{100 * prec['target']:g} points NOT met: stopped at "
            f"{summary['runs']:,} runs ({widest}); raise --max-runs")


def cmd_compare(args: argparse.Namespace) -> int:
    from .analyses.compare import compare, describe_pairing
    from .analyses.variants import load_variants
    from .engine.results import summary_json
    from .present.render import compare_table

    if len(args.inputs) < 2:
        raise InputError("compare needs at least two scenarios or results folders")
    if args.plot:
        from .present.plots import check_path

        check_path(args.plot)
    loaded = load_variants(args.inputs, args.runs, args.seed, args.jobs, args.precision,
                           args.max_runs, progress=not args.json and sys.stderr.isatty())
    variants = [v.outcomes for v in loaded]
    report = compare(variants)
    if args.plot:
        from .present.plots import compare_figure, save, view_of

        path = save(compare_figure([view_of(v) for v in loaded], report), args.plot)
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    partial = any(v.summary.get("partial") for v in variants)
    if args.precision is not None:
        ran = [v.summary for v in variants if "precision" in v.summary]
        report["precision"] = ran[0]["precision"] | {"runs": ran[0]["runs"]}
    if args.json:
        sys.stdout.write(summary_json(report))
    else:
        print(compare_table(report, describe_pairing(report), args.inputs))
        if args.precision is not None:
            print(precision_note(ran[0]), file=sys.stderr)
    if partial:
        print("interrupted: the comparison covers the finished runs only", file=sys.stderr)
        return 1
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .analyses.variants import load_variants
    from .engine.results import atomic_write
    from .present.plots import require_matplotlib
    from .present.report import check_out, report_html

    out = check_out(args.out)
    require_matplotlib("ladder report")
    loaded = load_variants(args.inputs, args.runs, args.seed, args.jobs,
                           progress=sys.stderr.isatty())
    text = report_html(loaded)
    atomic_write(out, lambda handle: handle.write(text))
    print(f"wrote {out}", file=sys.stderr)
    if any(v.outcomes.summary.get("partial") for v in loaded):
        print("interrupted: the report covers the finished runs only", file=sys.stderr)
        return 1
    return 0


def cmd_exact(args: argparse.Namespace) -> int:
    from .analyses.exact import analyse, exact_table
    from .engine.results import summary_json
    from .format.scenario import load_scenario

    overrides = scenario_overrides(args)
    result = analyse(load_scenario(args.scenario, overrides))
    if args.json:
        sys.stdout.write(summary_json(result.to_dict()))
    else:
        print(exact_table(result))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from .engine.results import summary_json
    from .explore.sweep import parse_vary, sweep
    from .present.sweep_output import sweep_table, write_sweep

    axes = parse_vary(args.vary)
    if args.plot:
        from .present.plots import check_path

        check_path(args.plot)
    result = sweep(args.scenario, axes, design=args.design, points=args.points,
                   runs=args.runs_per_point, outcome=args.outcome, seed=args.seed,
                   seeds=args.seeds, threshold=args.threshold, jobs=args.jobs,
                   scheduler=args.scheduler, fixed=parse_sets(args.set),
                   progress=not args.json and sys.stderr.isatty())
    written = write_sweep(result, args.out) if args.out else []
    if args.plot:
        from .present.plots import save
        from .present.sweep_plots import sweep_figure

        written.append(save(sweep_figure(result), args.plot))
    if not args.json:
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
    sys.stdout.write(summary_json(result.to_dict()) if args.json
                     else sweep_table(result) + "\n")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from .format.scenario import load_scenario
    from .workshop.play import play

    return play(load_scenario(args.scenario), players=args.players, seed=args.seed,
                forecast_runs=args.forecast_runs, script=args.script,
                transcript=args.transcript)


def cmd_demo(args: argparse.Namespace) -> int:
    from .workshop.demo import serve

    return serve(args.scenario, players=args.players, seed=args.seed,
                 forecast_runs=args.forecast_runs, host=args.host, port=args.port)


COMMANDS = {"validate": cmd_validate, "show": cmd_show, "run": cmd_run,
            "compare": cmd_compare, "report": cmd_report, "exact": cmd_exact,
            "sweep": cmd_sweep, "play": cmd_play, "demo": cmd_demo}


if __name__ == "__main__":
    sys.exit(main())
