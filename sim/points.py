"""Loading the points of a sweep: each is the scenario file with the point's values put at
their dotted paths, read and validated exactly as `ladder run --set` does
(`read_scenario(path, overrides)`), with problems that name the `--vary` path and the point.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from .designs import Axis
from .errors import Problem, ValidationError
from .scenario import Scenario, read_scenario


@contextmanager
def parsed_once() -> Iterator[None]:
    """Parse each YAML file once while a sweep loads its points.

    `read_scenario` reads and parses the scenario and ladder files on every call (pure-Python
    YAML with line marks: tens of milliseconds each). A sweep calls it once per point with the
    same files, so here the scenario and ladder loaders get a copy of the tree parsed the first
    time (keyed by path, modification time and size) instead; validation and the overrides
    run as always. Nothing changes if a loader is renamed: it is then simply not cached.
    """
    from . import ladder, scenario

    cache: dict[tuple, object] = {}
    patched = [(m, m.load_yaml) for m in (scenario, ladder) if hasattr(m, "load_yaml")]

    def wrap(load):
        def cached(path):
            try:
                stat = Path(path).stat()
            except OSError:
                return load(path)  # the loader reports the problem
            key = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)
            if key not in cache:
                cache[key] = load(path)
            return copy.deepcopy(cache[key])
        return cached

    for module, load in patched:
        module.load_yaml = wrap(load)
    try:
        yield
    finally:
        for module, load in patched:
            module.load_yaml = load


def load_point(path: str, axes: Sequence[Axis], values: Sequence[float],
               fixed: dict[str, object], where: str) -> Scenario:
    """The scenario with one point's values (and the fixed `--set` values) applied, validated
    as `ladder run --set` does. Problems name the `--vary` path and the point (`where`)."""
    overrides = dict(fixed)
    overrides.update({a.path: a.value(v) for a, v in zip(axes, values, strict=True)})
    try:
        return read_scenario(path, overrides)[0]
    except ValidationError as exc:
        raise ValidationError([_relabel(p, axes, where) for p in exc.problems]) from None


def _relabel(problem: Problem, axes: Sequence[Axis], where: str) -> Problem:
    for a in axes:
        if problem.field == f"--set {a.path}":  # a bad path: apply_override's message
            return replace(problem, field=f"--vary {a.path}")
    return replace(problem, message=f"{problem.message} ({where})")


def check_ranges(path: str, axes: Sequence[Axis], fixed: dict[str, object]) -> None:
    """Try each parameter at both ends of its range, the others as in the file, so a bad
    path or a range that leaves a field's domain fails before any simulation.

    Raises:
        ValidationError: every problem found at any end.
    """
    problems: list[Problem] = []
    for a in axes:
        for end, value in (("LOW", a.low), ("HIGH", a.high)):
            where = f"with --vary {a.path}={a.low:g}:{a.high:g} at its {end} end, {value:g}"
            try:
                load_point(path, [a], [value], fixed, where)
            except ValidationError as exc:
                problems += [p for p in exc.problems if p not in problems]
                if any(p.field == f"--vary {a.path}" for p in exc.problems):
                    break  # a bad path: the other end says the same
    if problems:
        raise ValidationError(problems)
