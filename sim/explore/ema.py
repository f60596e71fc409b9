"""A scenario as an EMA Workbench model (the `ema` extra): `sim.ema.model(...)`.

    import sim
    from ema_workbench import perform_experiments
    m = sim.ema.model("scenarios/belarus-poland-2024.yaml",
                      uncertainties={"tension.decay": (0.85, 0.95)},
                      outcomes=["reach:use_of_force"], runs=500)
    experiments, outcomes = perform_experiments(m, scenarios=20)

Each uncertainty is a dotted path into the scenario file with its range, as `ladder sweep
--vary PATH=LOW:HIGH` takes it (`count` and `horizon` give an IntegerParameter, every other
path a RealParameter); each outcome is `reach:<stage>`, `final:<stage>` or `absorbed`, as
`ladder sweep --outcome` takes it. One EMA experiment loads the file with the experiment's
values at their paths, validated exactly as `ladder run --set` does, runs `runs` runs and
returns each outcome's probability: the `p` of `sim.run(...).summary`, nothing added.

Seeds: every experiment runs from the same seed (common random numbers, as `ladder sweep`
does by default), so differences between experiments are mostly the parameters' doing and
an experiment is reproduced by `ladder run --set PATH=VALUE ... --runs R --seed S`.

EMA names must be Python identifiers: a path or outcome becomes one with each other
character replaced by `_` (`identifier`): `tension.decay` is the column `tension_decay` of
the experiments, `reach:use_of_force` the outcome `reach_use_of_force`.

ema_workbench is imported only when `model` is called: `sim.ema` itself loads none of it.
"""

from __future__ import annotations

import json
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.runner import run
from ..errors import InputError
from ..format.scenario import MAX_RUNS, Scenario, read_scenario
from .designs import Axis, make_axis
from .points import check_ranges, load_point
from .sweep import Outcome, parse_outcome

__all__ = ["DEFAULT_RUNS", "Experiment", "identifier", "model", "probability"]

DEFAULT_RUNS = 1000
NEEDS_EXTRA = "sim.ema needs the ema extra: python -m pip install -e '.[ema]'"


def identifier(text: str) -> str:
    """The EMA name of a parameter path or an outcome: each character that cannot be in a
    Python identifier becomes `_` (`tension.decay` -> `tension_decay`, `reach:use_of_force`
    -> `reach_use_of_force`); a leading digit gets a `_` in front."""
    name = re.sub(r"\W", "_", text, flags=re.ASCII)
    return f"_{name}" if name[:1].isdigit() else name


def probability(outcome: Outcome, summary: dict) -> float:
    """An outcome's probability in a run's summary (`sim.run(...).summary`)."""
    if outcome.kind == "absorbed":
        return summary["absorbed"]["p"]
    if outcome.ladder is not None:
        summary = summary["ladders"][outcome.ladder]
    return summary[outcome.kind][outcome.stage]["p"]


@dataclass(frozen=True)
class Experiment:
    """The function of the EMA model: one experiment, `runs` runs of the scenario with the
    uncertainties' values at their paths. A plain picklable object, so EMA's
    MultiprocessingEvaluator can send it to its worker processes.

    Attributes:
        path: the scenario file.
        axes: the uncertain parameters.
        names: the EMA name of each axis.
        fixed: the (path, value) overrides of a loaded scenario, applied at every experiment.
        outcomes: what is measured.
        outcome_names: the EMA name of each outcome.
        runs: runs per experiment.
        seed: the seed of every experiment.
        jobs: worker processes of each experiment's `sim.run`.
    """

    path: str
    axes: tuple[Axis, ...]
    names: tuple[str, ...]
    fixed: tuple[tuple[str, Any], ...]
    outcomes: tuple[Outcome, ...]
    outcome_names: tuple[str, ...]
    runs: int
    seed: int
    jobs: int = 1

    def __call__(self, **values: float) -> dict[str, float]:
        """Each outcome's probability with these values (by EMA name); an uncertainty left
        out keeps its value in the file.

        Raises:
            InputError: a name that is not one of the model's uncertainties.
            ValidationError: the values make an invalid scenario (naming the path).
        """
        unknown = sorted(set(values) - set(self.names))
        if unknown:
            raise InputError(f"unknown uncertainty {', '.join(unknown)} (this model has: "
                             f"{', '.join(self.names)})")
        given = [(a, values[n]) for a, n in zip(self.axes, self.names, strict=True)
                 if n in values]
        where = "at the EMA experiment " + (", ".join(f"{a.path}={a.value(v):g}"
                                                      for a, v in given) or "with no values")
        scenario = load_point(self.path, [a for a, _ in given], [v for _, v in given],
                              dict(self.fixed), where, "uncertainty")
        result = run(scenario, runs=self.runs, seed=self.seed, jobs=self.jobs, keep_runs=False)
        return {name: probability(o, result.summary)
                for o, name in zip(self.outcomes, self.outcome_names, strict=True)}


def model(scenario: str | Path | Scenario, uncertainties: Mapping[str, tuple[float, float]],
          outcomes: str | Sequence[str] | None = None, runs: int = DEFAULT_RUNS,
          seed: int | None = None, name: str | None = None, jobs: int = 1) -> Any:
    """An `ema_workbench.Model` of a scenario over uncertain parameters.

    Args:
        scenario: the scenario file, or a loaded Scenario (its file is read again for each
            experiment, with the overrides it was loaded with).
        uncertainties: dotted path into the file -> (low, high), as `ladder sweep --vary`;
            `count` and `horizon` paths are whole numbers (IntegerParameter).
        outcomes: `reach:<stage>`, `final:<stage>` or `absorbed` (one, or a list); None:
            the default outcome of `ladder sweep`.
        runs: runs per experiment.
        seed: the seed of every experiment (default: the scenario's seed).
        name: the EMA model's name, letters and digits (default: the scenario id's).
        jobs: worker processes of each experiment's run (keep 1 under EMA's
            MultiprocessingEvaluator).

    Returns:
        An `ema_workbench.Model` whose uncertainties and outcomes are named by `identifier`.

    Raises:
        InputError: ema_workbench missing; a bad range, outcome, name, runs, seed or jobs.
        ValidationError: a path not in the file, or a range whose ends make the scenario
            invalid (each tried on its own), naming the path.
    """
    ema = _ema_workbench()
    path, fixed, base = _source(scenario)
    axes = _axes(uncertainties, fixed)
    texts = [outcomes] if isinstance(outcomes, str) or outcomes is None else list(outcomes)
    if not texts:
        raise InputError("sim.ema.model needs at least one outcome, e.g. "
                         "outcomes=['reach:use_of_force']")
    measured = [parse_outcome(t, base, "outcome") for t in texts]
    repeated = [str(o) for i, o in enumerate(measured) if o in measured[:i]]
    if repeated:
        raise InputError(f"outcome {repeated[0]}: given twice")
    seed = base.seed if seed is None else seed
    _whole("runs", runs, 1, MAX_RUNS)
    _whole("seed", seed, 0)
    _whole("jobs", jobs, 1)
    if name is None:
        name = "".join(c for c in base.id if c.isalnum()) or "ladder"
    if not (isinstance(name, str) and name.isalnum()):
        raise InputError(f"name {name!r}: an EMA Workbench model name is letters and digits "
                         "only")
    names = [identifier(a.path) for a in axes]
    outcome_names = [identifier(str(o)) for o in measured]
    _check_unique([a.path for a in axes] + [str(o) for o in measured], names + outcome_names)
    check_ranges(path, axes, fixed, "uncertainty")
    # the file's absolute path: worker processes may run in another working folder
    function = Experiment(os.path.abspath(path), tuple(axes), tuple(names), tuple(fixed.items()),
                          tuple(measured), tuple(outcome_names), int(runs), int(seed), int(jobs))
    m = ema.Model(name, function=function)
    m.uncertainties = [(ema.IntegerParameter if a.integer else ema.RealParameter)(
        n, a.value(a.low), a.value(a.high)) for a, n in zip(axes, names, strict=True)]
    m.outcomes = [ema.ScalarOutcome(n, expected_range=(0.0, 1.0)) for n in outcome_names]
    return m


def _ema_workbench() -> Any:
    try:
        import ema_workbench
    except ImportError:
        raise InputError(NEEDS_EXTRA) from None
    return ema_workbench


def _source(scenario: str | Path | Scenario) -> tuple[str, dict[str, Any], Scenario]:
    """The file, the overrides to apply at every experiment, and the scenario as loaded."""
    if not isinstance(scenario, Scenario):
        if not isinstance(scenario, str | Path):
            raise InputError(f"scenario: expected a file path or a loaded Scenario, got "
                             f"{type(scenario).__name__}")
        return str(scenario), {}, read_scenario(scenario)[0]
    if not scenario.path:
        raise InputError(f"scenario {scenario.id}: has no file (sim.ema reads the file again "
                         "for each experiment); pass a scenario loaded with sim.load_scenario")
    fixed = {key: json.loads(text) for key, text in scenario.overrides}
    base = read_scenario(scenario.path, fixed)[0]
    if base.sha256 != scenario.sha256:
        raise InputError(f"scenario {scenario.path}: the file has changed since it was "
                         "loaded; load it again")
    return scenario.path, fixed, base


def _axes(uncertainties: Mapping[str, tuple[float, float]], fixed: dict[str, Any]
          ) -> list[Axis]:
    if not isinstance(uncertainties, Mapping) or not uncertainties:
        raise InputError("sim.ema.model needs uncertainties: a dict of dotted paths to "
                         "(low, high), e.g. {'tension.decay': (0.85, 0.95)}")
    axes = []
    for path, bounds in uncertainties.items():
        if not isinstance(path, str) or not path:
            raise InputError(f"uncertainty {path!r}: expected a dotted path such as "
                             "'tension.decay'")
        if path in fixed:
            raise InputError(f"uncertainty {path}: also an override of the loaded scenario; "
                             "drop one")
        if not (isinstance(bounds, Sequence) and len(bounds) == 2 and all(
                isinstance(b, numbers.Real) and not isinstance(b, bool) for b in bounds)):
            raise InputError(f"uncertainty {path}: expected (low, high), two numbers, got "
                             f"{bounds!r}")
        axes.append(make_axis(path, float(bounds[0]), float(bounds[1]), "uncertainty"))
    return axes


def _whole(label: str, value: object, least: int, most: int | None = None) -> None:
    if (not isinstance(value, numbers.Integral) or isinstance(value, bool) or int(value) < least
            or most is not None and int(value) > most):
        span = f"from {least} to {most:,}" if most is not None else f">= {least}"
        raise InputError(f"{label} must be a whole number {span}, got {value!r}")


def _check_unique(labels: list[str], names: list[str]) -> None:
    for i, n in enumerate(names):
        if n in names[:i]:
            first = labels[names.index(n)]
            raise InputError(f"{first} and {labels[i]} both become the EMA name {n}; "
                             "vary or measure only one of them")
