"""Options that several commands share, and how they become library arguments."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from ..errors import InputError, ValidationError
from ..format.vocabulary import MAX_RUNS
from .parsing import half_width, whole


def add_allow_outside(p: argparse.ArgumentParser) -> None:
    """--allow-outside, on every command that loads a scenario or a ladder; `sim.cli.main`
    applies it (`sim.format.access.allowing`) while the command runs."""
    p.add_argument("--allow-outside", action="append", default=[], metavar="PATH",
                   help="let `ladder:` and `extends:` (and --set ladder=) name files under "
                        "PATH, outside the scenario's project and the bundled library; "
                        "repeatable (see docs/format.md, Where references may point)")


def add_session_options(p: argparse.ArgumentParser) -> None:
    """Scenario, played actors, seed, outlook size and draws, shared by `play` and `demo`."""
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--as", dest="players", action="append", default=[], metavar="ACTOR",
                   help="an actor the room plays (not a population); repeatable")
    p.add_argument("--turn", type=_turn, default=1, metavar="K|decision",
                   help="steps per turn (default 1): the teams' moves are played on a turn's "
                        "first step, and on the other steps played actors follow their "
                        "standing order (order ACTOR ACTION) or their policy; 'decision': each "
                        "turn runs to the next stage move or event")
    p.add_argument("--seed", type=whole(0),
                   help="session seed (default: the scenario's seed)")
    p.add_argument("--outlook-runs", type=whole(1), default=2000, metavar="N",
                   help="runs in each outlook (default 2000)")
    p.add_argument("--outlook-draws", choices=("fresh", "run"), default="fresh",
                   help="fresh (the default): each outlook run draws the scenario's uncertain "
                        "numbers afresh from their stated distributions (the outlook then "
                        "agrees with `ladder run` at step 0); run: it keeps this played run's "
                        "own draws (the outlook is then conditional on one draw of the "
                        "assumptions)")
    add_allow_outside(p)


def _turn(text: str) -> int:
    """--turn K (a whole number >= 1) or 'decision' (0: to the next decision point)."""
    if text == "decision":
        return 0
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 100_000:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a number of steps >= 1 or 'decision', got "
                                     f"{text!r}")


def add_plot(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--plot", metavar="FILE", help=f"also draw {what} into FILE (.png or .svg; "
                                                  "needs the plots extra: matplotlib)")


def add_max_memory(p: argparse.ArgumentParser) -> None:
    """--max-memory SIZE, shared by `run`, `compare`, `report` and `sweep`: the bound on the
    memory estimate made before anything runs (`sim.engine.memory`)."""
    p.add_argument("--max-memory", type=_size, metavar="SIZE",
                   help="refuse to start when the estimated memory need is above SIZE, e.g. "
                        "8G or 500M (K, M, G, T: powers of 1024; default: 4G, or half the "
                        "physical memory if less)")


def _size(text: str) -> int:
    from ..engine.memory import parse_size

    try:
        return parse_size(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--max-memory ")) from None


def add_overrides(p: argparse.ArgumentParser) -> None:
    """--horizon and --set, shared by `run` and `exact` (see `scenario_overrides`)."""
    p.add_argument("--horizon", type=int, help="steps per run (default: the scenario's)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a value of the scenario file before it is validated: a dotted "
                        "path and a YAML value (number or distribution); repeatable")
    add_allow_outside(p)


def scenario_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The overrides --set and --horizon ask for, as `load_scenario` takes them."""
    overrides = parse_sets(args.set)
    if args.horizon is not None:
        overrides["clock.horizon"] = args.horizon
    return overrides


def load_overridden(args: argparse.Namespace):
    """The scenario of `args.scenario` with the overrides --set and --horizon ask for. A bad
    path names `--set PATH`; a bad --horizon value names `--horizon`."""
    from ..format.scenario import load_scenario

    with horizon_named(args):
        return load_scenario(args.scenario, scenario_overrides(args), source="--set")


@contextlib.contextmanager
def horizon_named(args: argparse.Namespace) -> Iterator[None]:
    """Problems with the horizon, when --horizon gave it, name `--horizon` (not the file's
    line of `clock.horizon`, which the flag replaced)."""
    from ..errors import Problem

    try:
        yield
    except ValidationError as exc:
        if args.horizon is None:
            raise

        def relabel(p: Problem) -> Problem:
            if p.field != "clock.horizon":
                return p
            return Problem(p.file, None, "--horizon", f"{p.message} (it sets clock.horizon)",
                           p.warning)
        raise ValidationError([relabel(p) for p in exc.problems + exc.warnings]) from None


def add_variant_inputs(p: argparse.ArgumentParser, inputs_help: str) -> None:
    """Inputs, runs, seed, jobs and scheduler, shared by `compare` and `report`."""
    p.add_argument("inputs", nargs="+", metavar="SCENARIO_OR_RESULTS", help=inputs_help)
    p.add_argument("--runs", type=whole(1, MAX_RUNS),
                   help="runs per scenario (default: the first results folder's, else the first "
                        "scenario's runs)")
    p.add_argument("--seed", type=whole(0),
                   help="root seed (default: the first results folder's, else the first "
                        "scenario's seed)")
    add_jobs(p)
    add_scheduler(p, "the scenarios' chunks of 10,000 runs")
    add_allow_outside(p)


def add_precision(p: argparse.ArgumentParser) -> None:
    """--precision, --precision-on and --max-runs, on `run` and `compare`."""
    p.add_argument("--precision", type=half_width, metavar="HALF_WIDTH",
                   help="add chunks of 10,000 runs until every targeted 95%% interval (see "
                        "--precision-on) is at most this wide on each side (0.005 = +/-0.5 "
                        "points); --runs is then ignored")
    p.add_argument("--precision-on", choices=("reach", "final", "diff"),
                   metavar="reach|final|diff",
                   help="what --precision targets: every stage's P(reach) (the default), "
                        "every stage's P(final), or (compare only) every stage's P(reach) "
                        "difference from the baseline")
    p.add_argument("--max-runs", type=whole(1, MAX_RUNS), metavar="N",
                   help="with --precision, stop at N runs even if the target is not met "
                        "(default 1,000,000)")


def parse_sets(items: list[str]) -> dict[str, object]:
    """`PATH=VALUE` pairs from --set, the value read as YAML (safely)."""
    from ..format.yamlio import parse_yaml

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


def precision_target(args: argparse.Namespace, variants: bool = False) -> str:
    """What --precision targets (`reach` unless --precision-on says). Refused: --precision-on
    without --precision, and `diff` unless the command compares `variants`."""
    if args.precision_on is not None and args.precision is None:
        raise InputError(f"--precision-on {args.precision_on} says what --precision targets; "
                         "give --precision HALF_WIDTH too")
    if args.precision_on == "diff" and not variants:
        from ..engine.precision import DIFF_NEEDS_VARIANTS

        raise InputError(DIFF_NEEDS_VARIANTS)
    return args.precision_on or "reach"


def precision_note(prec: dict, runs: int) -> str:
    """What precision mode achieved, in words (a summary's `precision`, and its runs); a
    second line names the quantities not targeted whose intervals are still wider."""
    from ..engine.precision import NAMES

    name = NAMES[prec["on"]]
    target = f"+/-{100 * prec['target']:g} points"
    widest = f"widest {name} half-width {100 * prec['widest_half_width']:.2f} points"
    if prec["reached"]:
        line = f"precision: target {target} on {name} met after {runs:,} runs ({widest})"
    else:
        line = (f"precision: target {target} on {name} NOT met: stopped at {runs:,} runs "
                f"({widest}); raise --max-runs")
    wider = [f"{NAMES[q]} (widest half-width {100 * w:.2f} points)"
             for q, w in prec["widest"].items() if q != prec["on"] and w > prec["target"]]
    if wider:
        targets = " or ".join(q for q, w in prec["widest"].items()
                              if q != prec["on"] and w > prec["target"])
        line += (f"\nprecision: not targeted and still wider than {target}: "
                 f"{', '.join(wider)}; --precision-on {targets} targets them")
    return line


# -- where the runs go: --jobs and --scheduler ---------------------------------------------------
SCHEMES = ("tcp://", "tls://")


def add_jobs(p: argparse.ArgumentParser) -> None:
    """--jobs J, on every command that simulates: local worker processes, or with
    `--scheduler local` the LocalCluster's workers (`scheduler_jobs` gives the default)."""
    p.add_argument("--jobs", type=whole(1), metavar="J",
                   help="worker processes (default 1: in this process); with --scheduler "
                        "local, the LocalCluster's workers (default 2); not with a tcp:// "
                        "scheduler, whose cluster has its own workers")


def add_scheduler(p: argparse.ArgumentParser, what: str) -> None:
    """--scheduler local|tcp://HOST:PORT: run `what` (chunks of runs, design points) as tasks
    on Dask distributed; the same numbers as in this process."""
    p.add_argument("--scheduler", type=_scheduler, metavar="local|tcp://HOST:PORT",
                   help=f"run {what} as tasks on Dask: `local` starts a LocalCluster of --jobs "
                        "worker processes on this machine (and stops it at the end); "
                        "tcp://HOST:PORT sends them to a running `dask scheduler`, whose "
                        "workers need the same ladder version installed but not the scenario "
                        "files (docs/scale.md). The same numbers as without it. Needs the "
                        "dask extra: pip install -e '.[dask]'")


def _scheduler(text: str) -> str:
    """`local`, or a scheduler address: tcp://HOST:PORT (tls:// too; a bare HOST:PORT gets
    tcp://)."""
    text = text.strip()
    if text == "local":
        return text
    address = text if "://" in text else f"tcp://{text}"
    host, _, port = address.partition("://")[2].rpartition(":")
    if not address.startswith(SCHEMES) or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(
            f"expected local or tcp://HOST:PORT (a running Dask scheduler, e.g. "
            f"tcp://10.0.0.5:8786), got {text!r}")
    return address


def scheduler_jobs(args: argparse.Namespace) -> tuple[str | None, int]:
    """The scheduler (None: no Dask) and the jobs to pass on: --jobs, else 2 for a
    LocalCluster and 1 otherwise. Refused, before anything runs: --jobs with a tcp://
    scheduler, and --scheduler without Dask installed."""
    scheduler, jobs = getattr(args, "scheduler", None), args.jobs
    if scheduler is None:
        return None, 1 if jobs is None else jobs
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise InputError("--scheduler needs Dask (dask[distributed]), which is not installed: "
                         "pip install -e '.[dask]'")
    if scheduler == "local":
        return scheduler, 2 if jobs is None else jobs
    if jobs is not None:
        raise InputError(f"--jobs {jobs} sizes a run on this machine; the cluster at "
                         f"{scheduler} has its own workers (start more `dask worker`s to add "
                         "some): drop --jobs")
    return scheduler, 1


def refuse_idle_scheduler(scheduler: str | None, inputs: list[str]) -> None:
    """--scheduler runs scenarios; refused when every input is a finished results folder."""
    import os

    if scheduler is not None and all(os.path.isdir(x) for x in inputs):
        raise InputError(f"--scheduler {scheduler} runs the scenarios' chunks on Dask, but "
                         "every input is a finished results folder: drop --scheduler")
