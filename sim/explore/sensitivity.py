"""Which varied parameters move the outcome most: one ranking per design.

- morris: mu* (mean absolute elementary effect) with its bootstrap 95% interval, and sigma
  (spread of the effects: interactions or non-linearity), from SALib.
- sobol: total-order index ST (share of the outcome's variance a parameter is involved in,
  interactions included) and first-order S1, with bootstrap 95% intervals, from SALib.
- grid: the main-effect range: max minus min, over an axis's levels, of the outcome's mean
  over all other axes (its marginal means).
- lhs: standardized rank regression coefficients (SRRC): the slopes of a least-squares fit of
  the outcome's ranks on the parameters' ranks, each scaled by its standard deviation over
  the outcome's, with a bootstrap 95% interval over points; R^2 says how much of the
  variation the fit explains. Ranks make the fit follow any monotone effect (a probability
  that saturates, say), and keep a parameter with no effect near 0 where a linear fit of the
  raw values would lend it some of the curvature of the others.

Every figure is in outcome units (probability) except SRRC and the Sobol' indices, which
are coefficients and shares. Rankings are properties of the model under its assumptions, not
of the world.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .designs import MORRIS_LEVELS, Axis, Design, salib_problem

RESAMPLES = 1000
MEASURES = {"morris": "mu_star", "sobol": "ST", "grid": "main_effect_range", "lhs": "SRRC"}
EXPLAIN = {
    "morris": "mu* = mean |elementary effect|: change in the outcome over a parameter's full "
              "range, averaged over trajectories; sigma large against mu* = interactions or "
              "non-linearity",
    "sobol": "ST = total-order Sobol' index (share of the outcome's variance involving the "
             "parameter); S1 = first-order (the parameter alone)",
    "grid": "main-effect range = max - min of the outcome's mean at each value of the "
            "parameter, averaged over the other parameters",
    "lhs": "SRRC = standardized rank regression coefficient (a linear fit of the ranks); "
           "ranked by |SRRC|",
}


@dataclass(frozen=True)
class Sensitivity:
    """One parameter's place in the ranking.

    Attributes:
        parameter: the axis name.
        path: the dotted path into the scenario file.
        value: the ranking measure (see MEASURES); larger |value| ranks higher.
        lo: lower end of its 95% interval (None where the method gives none).
        hi: upper end of its 95% interval.
        extra: further figures: `mu`, `sigma` (morris); `S1`, `S1_lo`, `S1_hi` (sobol);
            `at_low`, `at_high` (outcome's mean at the lowest and highest value, grid and
            lhs: for lhs, over the points in the lowest and highest fifth of the range);
            `lowest`, `highest` (grid: the smallest and largest marginal mean).
    """

    parameter: str
    path: str
    value: float
    lo: float | None = None
    hi: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"parameter": self.parameter, "path": self.path, "value": _r(self.value),
               "lo": _r(self.lo), "hi": _r(self.hi)}
        out.update({k: _r(v) for k, v in self.extra.items()})
        return out


@dataclass(frozen=True)
class Ranking:
    """The parameters, most influential first.

    Attributes:
        method: the design's name.
        measure: what `value` is (see MEASURES).
        rows: one Sensitivity per parameter, ranked.
        note: how to read the measure, and any caveat (e.g. the outcome did not vary).
        r2: for lhs, the R^2 of the linear fit.
    """

    method: str
    measure: str
    rows: list[Sensitivity]
    note: str
    r2: float | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"method": self.method, "measure": self.measure, "note": self.note,
               "ranking": [r.to_dict() for r in self.rows]}
        if self.r2 is not None:
            out["r2"] = _r(self.r2)
        return out


def _r(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 10)


def rank(design: Design, axes: Sequence[Axis], y: np.ndarray, seed: int) -> Ranking:
    """Rank the parameters of a finished sweep by their influence on the outcome `y`.

    Args:
        design: the design that was run.
        axes: its parameters.
        y: the outcome at each point (a probability).
        seed: for the bootstrap intervals.
    """
    method = design.name
    note = EXPLAIN[method]
    if np.ptp(y) == 0:
        rows = [Sensitivity(a.name, a.path, 0.0, 0.0, 0.0) for a in axes]
        return Ranking(method, MEASURES[method], rows,
                       f"{note}. The outcome was {y[0]:.4g} at every point: nothing to rank")
    rows, r2 = {"morris": _morris, "sobol": _sobol, "grid": _grid, "lhs": _srrc}[method](
        design, axes, y, seed)
    rows.sort(key=lambda r: -abs(r.value))  # stable: ties keep the order of --vary
    return Ranking(method, MEASURES[method], rows, note, r2)


def _morris(design: Design, axes, y, seed) -> tuple[list[Sensitivity], None]:
    from SALib.analyze import morris

    res = morris.analyze(salib_problem(axes), design.sample, y, num_resamples=RESAMPLES,
                         conf_level=0.95, num_levels=MORRIS_LEVELS, seed=seed)
    rows = []
    for i, a in enumerate(axes):
        mu_star, conf = float(res["mu_star"][i]), float(res["mu_star_conf"][i])
        rows.append(Sensitivity(a.name, a.path, mu_star, max(0.0, mu_star - conf),
                                mu_star + conf,
                                {"mu": float(res["mu"][i]), "sigma": float(res["sigma"][i])}))
    return rows, None


def _sobol(design: Design, axes, y, seed) -> tuple[list[Sensitivity], None]:
    from SALib.analyze import sobol

    res = sobol.analyze(salib_problem(axes), y, calc_second_order=False,
                        num_resamples=RESAMPLES, conf_level=0.95, seed=seed)
    rows = []
    for i, a in enumerate(axes):
        st, st_c = float(res["ST"][i]), float(res["ST_conf"][i])
        s1, s1_c = float(res["S1"][i]), float(res["S1_conf"][i])
        rows.append(Sensitivity(a.name, a.path, st, st - st_c, st + st_c,
                                {"S1": s1, "S1_lo": s1 - s1_c, "S1_hi": s1 + s1_c}))
    return rows, None


def _grid(design: Design, axes, y, seed) -> tuple[list[Sensitivity], None]:
    assert design.levels is not None
    rows = []
    for i, a in enumerate(axes):
        means = [float(y[design.sample[:, i] == v].mean()) for v in design.levels[i]]
        rows.append(Sensitivity(a.name, a.path, max(means) - min(means),
                                extra={"at_low": means[0], "at_high": means[-1],
                                       "lowest": min(means), "highest": max(means)}))
    return rows, None


def _srrc(design: Design, axes, y, seed) -> tuple[list[Sensitivity], float]:
    from scipy.stats import rankdata

    x = design.sample
    rx, ry = rankdata(x, axis=0), rankdata(y)
    coef, r2 = _standardized_fit(rx, ry)
    rng = np.random.default_rng(seed)
    boot = np.empty((RESAMPLES, x.shape[1]))
    for b in range(RESAMPLES):
        idx = rng.integers(0, len(y), len(y))
        boot[b] = _standardized_fit(rx[idx], ry[idx])[0]
    lo, hi = np.nanpercentile(boot, [2.5, 97.5], axis=0)
    rows = []
    for i, a in enumerate(axes):
        low_cut, high_cut = np.quantile(x[:, i], [0.2, 0.8])
        rows.append(Sensitivity(a.name, a.path, float(coef[i]), float(lo[i]), float(hi[i]),
                                {"at_low": float(y[x[:, i] <= low_cut].mean()),
                                 "at_high": float(y[x[:, i] >= high_cut].mean())}))
    return rows, r2


def _standardized_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Coefficients of the least-squares fit of standardized y on standardized x, and R^2."""
    sx, sy = x.std(axis=0), y.std()
    if sy == 0:
        return np.zeros(x.shape[1]), 0.0
    zx = np.divide(x - x.mean(axis=0), sx, out=np.zeros_like(x), where=sx > 0)
    zy = (y - y.mean()) / sy
    coef, *_ = np.linalg.lstsq(zx, zy, rcond=None)
    resid = zy - zx @ coef
    return coef, float(1 - resid @ resid / (zy @ zy))
