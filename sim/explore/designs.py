"""Designs of experiments for `ladder sweep`: the varied parameters (axes, from `--vary
PATH=LOW:HIGH`) and which of their values to simulate.

A design is a table of points, one row per point, one column per varied parameter. Grid and
Latin hypercube designs are built here with numpy and scipy; Morris trajectories and Sobol'
(Saltelli) samples come from SALib (the `explore` extra), because their analysis needs the
exact sample SALib expects. Every design is drawn from a seed, so the same command gives the
same points.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError

DESIGNS = ("grid", "lhs", "morris", "sobol")
DEFAULT_POINTS = {"grid": 5, "lhs": 100, "morris": 10, "sobol": 64}
POINTS_MEANING = {"grid": "grid points per parameter", "lhs": "samples",
                  "morris": "trajectories (r)", "sobol": "base samples (N, a power of 2)"}
MORRIS_LEVELS = 4
MAX_POINTS = 100_000
INTEGER_KEYS = ("count", "horizon")  # whole-number fields of the scenario format
GENERIC = frozenset({"actors", "actions", "policy", "weights", "stages", "modifiers", "scale",
                     "effect", "count", "initial", "horizon", "clock", "tension"})


@dataclass(frozen=True)
class Axis:
    """One varied parameter.

    Attributes:
        path: the dotted path into the scenario file, as `--set` takes it.
        low: the smallest value.
        high: the largest value.
        integer: values are rounded to whole numbers (populations' `count`, `clock.horizon`).
        name: a short, unique name for tables and rules (the shortest unique tail of the path).
    """

    path: str
    low: float
    high: float
    integer: bool = False
    name: str = ""

    def value(self, x: float) -> float | int:
        """A design value as it goes into the scenario file."""
        return int(round(x)) if self.integer else float(x)


def parse_vary(items: Sequence[str]) -> list[Axis]:
    """`PATH=LOW:HIGH` items (from `--vary`) as axes with short unique names.

    Raises:
        InputError: a malformed item, LOW >= HIGH, a non-finite number, a repeated path, or
            a fraction on a whole-number field.
    """
    axes: list[Axis] = []
    for item in items:
        path, sep, text = item.partition("=")
        path = path.strip()
        low_text, colon, high_text = text.partition(":")
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            low = high = math.nan
        if not sep or not path or not colon or not (math.isfinite(low) and math.isfinite(high)):
            raise InputError(f"--vary {item!r}: expected PATH=LOW:HIGH with two numbers, e.g. "
                             "tension.decay=0.8:0.95")
        if any(a.path == path for a in axes):
            raise InputError(f"--vary {path}: given twice")
        axes.append(make_axis(path, low, high))
    if not axes:
        raise InputError("sweep needs at least one --vary PATH=LOW:HIGH")
    names = short_names([a.path for a in axes])
    return [replace(a, name=n) for a, n in zip(axes, names, strict=True)]


def make_axis(path: str, low: float, high: float, what: str = "--vary") -> Axis:
    """One varied parameter from its path and range (`what` names it in messages: `--vary`
    for the command, `uncertainty` for `sim.ema`). Whole-number fields (`count`, `horizon`)
    give an integer axis.

    Raises:
        InputError: a non-finite number, LOW >= HIGH, or a fraction on a whole-number field.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise InputError(f"{what} {path}: LOW and HIGH must be finite numbers, got "
                         f"{low:g} and {high:g}")
    if low >= high:
        raise InputError(f"{what} {path}: LOW ({low:g}) must be below HIGH ({high:g})")
    integer = path.rsplit(".", 1)[-1] in INTEGER_KEYS
    if integer and (low != int(low) or high != int(high)):
        raise InputError(f"{what} {path}: a whole-number field; give whole LOW and HIGH")
    return Axis(path, float(low), float(high), integer)


def short_names(paths: Sequence[str]) -> list[str]:
    """The shortest tail of each path that is unique and says more than a field name, e.g.
    `push_migrants` for `actors.minsk.policy.weights.push_migrants`, `decay` for
    `tension.decay`, `migrant_groups.count` for `actors.migrant_groups.count`."""
    parts = [p.split(".") for p in paths]
    out = []
    for mine in parts:
        for k in range(1, len(mine) + 1):
            tail = mine[-k:]
            if all(t in GENERIC or t.isdigit() for t in tail) and k < len(mine):
                continue
            if sum(other[-k:] == tail for other in parts) == 1:
                break
        out.append(".".join(mine[-k:]))
    return out


@dataclass(frozen=True)
class Design:
    """The points of a sweep.

    Attributes:
        name: grid, lhs, morris or sobol.
        k: the `--points` figure it was built from (see POINTS_MEANING).
        sample: (points, parameters) the values as drawn, before integer rounding; the
            Morris and Sobol' analyses read these.
        levels: for a grid, the values of each axis; else None.
    """

    name: str
    k: int
    sample: np.ndarray
    levels: tuple[np.ndarray, ...] | None = None

    @property
    def n(self) -> int:
        return len(self.sample)


def design_size(name: str, d: int, k: int) -> int:
    """How many points a design of `d` parameters and figure `k` has."""
    return {"grid": k**d, "lhs": k, "morris": (d + 1) * k, "sobol": k * (d + 2)}[name]


def check_design(name: str, d: int, k: int) -> None:
    """Refuse a design that cannot be built or analysed, before anything runs.

    Raises:
        InputError: unknown design, too few points, a Sobol' N that is not a power of 2,
            too many points, or SALib missing for morris and sobol.
    """
    if name not in DESIGNS:
        raise InputError(f"--design {name!r}: expected one of {', '.join(DESIGNS)}")
    least = {"grid": 2, "lhs": d + 2, "morris": 2, "sobol": 2}[name]
    if k < least:
        extra = " (the regression ranking needs parameters + 2)" if name == "lhs" else ""
        raise InputError(f"--points {k}: {name} needs at least {least} "
                         f"{POINTS_MEANING[name]}{extra}")
    if name == "sobol" and k & (k - 1):
        raise InputError(f"--points {k}: sobol needs a power of 2 base samples "
                         f"(e.g. {1 << (k.bit_length() - 1)} or {1 << k.bit_length()})")
    if name == "morris" and d < 1 or name == "sobol" and d < 2:
        raise InputError(f"--design {name} needs at least {2 if name == 'sobol' else 1} "
                         "--vary parameters")
    size = design_size(name, d, k)
    if size > MAX_POINTS:
        raise InputError(f"--design {name} --points {k} over {d} parameters makes {size:,} "
                         f"points; at most {MAX_POINTS:,}")
    if name in ("morris", "sobol"):
        require_salib(f"--design {name}")


def require_salib(what: str) -> None:
    """Raises InputError naming the extra when SALib is not installed."""
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise InputError(f"{what} needs SALib: pip install -e '.[explore]'") from None


def salib_problem(axes: Sequence[Axis]) -> dict:
    """The parameter description SALib's samplers and analyses take."""
    return {"num_vars": len(axes), "names": [a.name for a in axes],
            "bounds": [[a.low, a.high] for a in axes]}


def make_design(name: str, axes: Sequence[Axis], k: int, seed: int) -> Design:
    """Draw the points of a design.

    Args:
        name: grid (k values per axis, evenly spaced, every combination), lhs (k Latin
            hypercube samples), morris (k trajectories on a 4-level grid) or sobol (Saltelli's
            scheme on k base samples, first-order and total indices: k (d + 2) points).
        axes: the varied parameters.
        k: the `--points` figure.
        seed: draws the lhs, morris and sobol samples (a grid has no randomness).

    Raises:
        InputError: see `check_design`.
    """
    d = len(axes)
    check_design(name, d, k)
    if name == "grid":
        levels = tuple(_levels(a, k) for a in axes)
        sample = np.array(list(itertools.product(*levels)), dtype=float).reshape(-1, d)
        return Design(name, k, sample, levels)
    if name == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d, rng=np.random.default_rng(seed)).random(k)
        low = np.array([a.low for a in axes])
        high = np.array([a.high for a in axes])
        return Design(name, k, low + unit * (high - low))
    problem = salib_problem(axes)
    if name == "morris":
        from SALib.sample import morris

        sample = morris.sample(problem, N=k, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        from SALib.sample import sobol

        sample = sobol.sample(problem, k, calc_second_order=False, seed=seed)
    return Design(name, k, np.asarray(sample, dtype=float))


def _levels(axis: Axis, k: int) -> np.ndarray:
    values = np.linspace(axis.low, axis.high, k)
    return np.unique(np.round(values)) if axis.integer else values
