"""Loading the points of a sweep: each is the scenario file with the point's values put at
their dotted paths, read and validated exactly as `ladder run --set` does
(`read_scenario(path, overrides)`), with problems that name the `--vary` path and the point.
`sim.ema` loads its experiments the same way, naming the path as an `uncertainty`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..errors import Problem, ValidationError
from ..format.scenario import Scenario, read_scenario
from .designs import Axis


def load_point(path: str, axes: Sequence[Axis], values: Sequence[float],
               fixed: dict[str, object], where: str, what: str = "--vary") -> Scenario:
    """The scenario with one point's values (and the fixed `--set` values) applied, validated
    as `ladder run --set` does. Problems name the path (as `what`, e.g. `--vary PATH`) and
    the point (`where`)."""
    overrides = dict(fixed)
    overrides.update({a.path: a.value(v) for a, v in zip(axes, values, strict=True)})
    try:
        return read_scenario(path, overrides, source="--set")[0]
    except ValidationError as exc:
        raise ValidationError([_relabel(p, axes, where, what) for p in exc.problems]) from None


def _relabel(problem: Problem, axes: Sequence[Axis], where: str, what: str) -> Problem:
    for a in axes:
        if problem.field == f"--set {a.path}":  # a bad path: apply_override's message
            return replace(problem, field=f"{what} {a.path}")
    return replace(problem, message=f"{problem.message} ({where})")


def check_ranges(path: str, axes: Sequence[Axis], fixed: dict[str, object],
                 what: str = "--vary") -> None:
    """Try each parameter at both ends of its range, the others as in the file, so a bad
    path or a range that leaves a field's domain fails before any simulation.

    Raises:
        ValidationError: every problem found at any end.
    """
    problems: list[Problem] = []
    for a in axes:
        for end, value in (("LOW", a.low), ("HIGH", a.high)):
            where = f"with {what} {a.path}={a.low:g}:{a.high:g} at its {end} end, {value:g}"
            try:
                load_point(path, [a], [value], fixed, where, what)
            except ValidationError as exc:
                problems += [p for p in exc.problems if p not in problems]
                if any(p.field == f"{what} {a.path}" for p in exc.problems):
                    break  # a bad path: the other end says the same
    if problems:
        raise ValidationError(problems)
