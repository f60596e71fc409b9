"""Which varied parameters move the outcome most: one ranking per design.

- morris: mu* (mean absolute elementary effect) with its bootstrap 95% interval, and sigma
  (spread of the effects: interactions or non-linearity), from SALib.
- sobol: total-order index ST (share of the outcome's variance a parameter is involved in,
  interactions included) and first-order S1, with bootstrap 95% intervals: SALib's
  estimators (Saltelli 2010 for S1, Jansen for ST) and its bootstrap over base samples,
  computed here so that, under independent seeds, each point's binomial noise variance can be
  taken out of them (see `_sobol`).
- grid: the main-effect range: max minus min, over an axis's levels, of the outcome's mean
  over all other axes (its marginal means).
- lhs: standardized rank regression coefficients (SRRC): the slopes of a least-squares fit of
  the outcome's ranks on the parameters' ranks, each scaled by its standard deviation over
  the outcome's, with a bootstrap 95% interval over points; R^2 says how much of the
  variation the fit explains. Ranks make the fit follow any monotone effect (a probability
  that saturates, say), and keep a parameter with no effect near 0 where a linear fit of the
  raw values would lend it some of the curvature of the others.

Monte Carlo noise: each point's outcome is k/n from n runs. Under independent seeds the
points' errors are independent, so the bootstrap over trajectories, base samples or points
carries them; they also bias mu* and ST up, which `_sobol` corrects and `_morris` reports
(`noise`: the mu* of noise alone). Under common random numbers the errors are shared and
cancel in differences (a parameter that cannot matter gets exactly 0), and the intervals are
for the model with these runs' random numbers: `INTERVALS` says so in the output.

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

BEYOND = "re-run with another --seed to see it"
INTERVALS = {
    ("morris", "common"): "95% intervals: bootstrap over trajectories, for the model with "
                          "these runs' random numbers (common to every point); the Monte "
                          f"Carlo error they leave is not in them ({BEYOND}); a parameter "
                          "that cannot matter gets exactly 0",
    ("morris", "independent"): "95% intervals: bootstrap over trajectories, which carries "
                               "each point's Monte Carlo noise (independent across points); "
                               "the noise also biases mu* up: noise = the mu* that noise "
                               "alone gives (from each point's binomial variance); an effect "
                               "is beyond noise only where the interval's low end is above it",
    ("sobol", "common"): "95% intervals: bootstrap over base samples, for the model with these "
                         "runs' random numbers (common to every point); the Monte Carlo error "
                         f"they leave is not in them ({BEYOND}); a parameter that cannot "
                         "matter gets exactly 0",
    ("sobol", "independent"): "95% intervals: bootstrap over base samples, which carries each "
                              "point's Monte Carlo noise (independent across points); the "
                              "noise's bias is taken out: each point's binomial variance "
                              "p(1-p)/(n-1) is subtracted from the outcome's variance and "
                              "from ST's squared differences",
    ("lhs", "common"): "95% intervals: bootstrap over points, for the model with these runs' "
                       f"random numbers (common to every point); their error is not in them "
                       f"({BEYOND})",
    ("lhs", "independent"): "95% intervals: bootstrap over points, which carries each point's "
                            "Monte Carlo noise (independent across points)",
    ("grid", "common"): "no interval: compare the points' own intervals",
    ("grid", "independent"): "no interval: compare the points' own intervals",
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
        extra: further figures: `mu`, `sigma`, and under independent seeds `noise` (the
            mu* that Monte Carlo noise alone gives) (morris); `S1`, `S1_lo`, `S1_hi` (sobol);
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
        intervals: what the intervals cover, Monte Carlo noise included or not (INTERVALS).
    """

    method: str
    measure: str
    rows: list[Sensitivity]
    note: str
    r2: float | None = None
    intervals: str = ""

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"method": self.method, "measure": self.measure, "note": self.note,
                               "intervals": self.intervals,
                               "ranking": [r.to_dict() for r in self.rows]}
        if self.r2 is not None:
            out["r2"] = _r(self.r2)
        return out


def _r(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 10)


def rank(design: Design, axes: Sequence[Axis], y: np.ndarray, seed: int,
         runs: np.ndarray | None = None, seeds: str = "common") -> Ranking:
    """Rank the parameters of a finished sweep by their influence on the outcome `y`.

    Args:
        design: the design that was run.
        axes: its parameters.
        y: the outcome at each point (a probability).
        seed: for the bootstrap intervals.
        runs: (points,) runs behind each point's outcome; with `seeds="independent"` their
            binomial noise is taken into account (see the module's docstring).
        seeds: "common" or "independent", as the points were run.
    """
    method = design.name
    note, intervals = EXPLAIN[method], INTERVALS[method, seeds]
    if np.ptp(y) == 0:
        rows = [Sensitivity(a.name, a.path, 0.0, 0.0, 0.0) for a in axes]
        return Ranking(method, MEASURES[method], rows,
                       f"{note}. The outcome was {y[0]:.4g} at every point: nothing to rank",
                       intervals=intervals)
    noise = None
    if seeds == "independent" and runs is not None:
        noise = y * (1 - y) / np.maximum(np.asarray(runs) - 1, 1)  # unbiased for p(1-p)/n
    rows, r2 = {"morris": _morris, "sobol": _sobol, "grid": _grid, "lhs": _srrc}[method](
        design, axes, y, seed, noise)
    rows.sort(key=lambda r: -abs(r.value))  # stable: ties keep the order of --vary
    return Ranking(method, MEASURES[method], rows, note, r2, intervals)


def _morris(design: Design, axes, y, seed, noise) -> tuple[list[Sensitivity], None]:
    """SALib's Morris analysis; with `noise` (each point's variance), also each parameter's
    noise floor: the mean over trajectories of E|e| = sqrt(2/pi) sd(e), e the normal
    approximation of the noise in its elementary effect."""
    from SALib.analyze import morris

    res = morris.analyze(salib_problem(axes), design.sample, y, num_resamples=RESAMPLES,
                         conf_level=0.95, num_levels=MORRIS_LEVELS, seed=seed)
    floor = None if noise is None else _morris_noise(design.sample, axes, noise)
    rows = []
    for i, a in enumerate(axes):
        mu_star, conf = float(res["mu_star"][i]), float(res["mu_star_conf"][i])
        extra = {"mu": float(res["mu"][i]), "sigma": float(res["sigma"][i])}
        if floor is not None:
            extra["noise"] = float(floor[i])
        rows.append(Sensitivity(a.name, a.path, mu_star, max(0.0, mu_star - conf),
                                mu_star + conf, extra))
    return rows, None


def _morris_noise(x: np.ndarray, axes: Sequence[Axis], noise: np.ndarray) -> np.ndarray:
    """(parameters,) the mu* Monte Carlo noise alone gives: each trajectory's step k -> k+1
    moves one parameter by a share delta of its range, so its elementary effect (y[k+1] -
    y[k]) / delta carries noise of variance (v[k] + v[k+1]) / delta^2."""
    d = len(axes)
    span = np.array([a.high - a.low for a in axes])
    total, count = np.zeros(d), np.zeros(d)
    for start in range(0, len(x), d + 1):
        for k in range(start, start + d):
            step = (x[k + 1] - x[k]) / span
            j = int(np.argmax(np.abs(step)))
            total[j] += np.sqrt(2 / np.pi * (noise[k] + noise[k + 1])) / abs(step[j])
            count[j] += 1
    return total / np.maximum(count, 1)


def _sobol(design: Design, axes, y, seed, noise) -> tuple[list[Sensitivity], None]:
    """SALib's first-order (Saltelli 2010) and total (Jansen) estimators over Saltelli's
    sample, with its bootstrap over base samples (normal 95% interval). With `noise` (each
    point's variance, points independent) its bias is taken out: E[var(y)] holds the mean
    noise variance and E[(yA - yAB)^2] the two points' variances, so both are subtracted;
    S1's numerator, mean(yB (yAB - yA)), is unbiased as it is."""
    d = len(axes)
    yc = y - y.mean()  # SALib centres (and scales, which changes no index) the outcome
    v = np.zeros_like(yc) if noise is None else noise
    step = d + 2
    a, b, ab = yc[0::step], yc[step - 1::step], np.stack([yc[j + 1::step] for j in range(d)], 1)
    va, vb, vab = v[0::step], v[step - 1::step], np.stack([v[j + 1::step] for j in range(d)], 1)
    m = len(a)

    def indices(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """S1 and ST (..., d) over the base samples r (..., m)."""
        var = np.var(np.concatenate([a[r], b[r]], -1), -1) - \
            np.mean(np.concatenate([va[r], vb[r]], -1), -1)
        var = np.where(var > 0, var, np.nan)
        s1 = np.stack([np.mean(b[r] * (ab[r, j] - a[r]), -1) for j in range(d)], -1)
        st = np.stack([0.5 * np.mean((a[r] - ab[r, j]) ** 2 - va[r] - vab[r, j], -1)
                       for j in range(d)], -1)
        return s1 / var[..., None], st / var[..., None]

    s1, st = indices(np.arange(m))
    boot = np.random.default_rng(seed).integers(m, size=(m, RESAMPLES)).T  # SALib's draws
    s1_b, st_b = indices(boot)
    z = 1.959963984540054  # the normal 97.5% quantile, as SALib's interval
    s1_c, st_c = z * np.nanstd(s1_b, 0, ddof=1), z * np.nanstd(st_b, 0, ddof=1)
    rows = []
    for i, ax in enumerate(axes):
        rows.append(Sensitivity(ax.name, ax.path, float(st[i]), float(st[i] - st_c[i]),
                                float(st[i] + st_c[i]),
                                {"S1": float(s1[i]), "S1_lo": float(s1[i] - s1_c[i]),
                                 "S1_hi": float(s1[i] + s1_c[i])}))
    return rows, None


def _grid(design: Design, axes, y, seed, noise) -> tuple[list[Sensitivity], None]:
    assert design.levels is not None
    rows = []
    for i, a in enumerate(axes):
        means = [float(y[design.sample[:, i] == v].mean()) for v in design.levels[i]]
        rows.append(Sensitivity(a.name, a.path, max(means) - min(means),
                                extra={"at_low": means[0], "at_high": means[-1],
                                       "lowest": min(means), "highest": max(means)}))
    return rows, None


def _srrc(design: Design, axes, y, seed, noise) -> tuple[list[Sensitivity], float]:
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
