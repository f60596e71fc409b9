"""Scenario discovery: boxes of parameter space where the outcome is high (PRIM).

The Patient Rule Induction Method (Friedman and Fisher 1999; as used for scenario discovery
by Bryant and Lempert 2010) looks for a box, a range on each parameter, that holds many of
the "high" points (coverage) and few of the others (density). Peeling shrinks the box from
the whole space, a small slice (alpha, 5% of the points in the box) at a time, always
removing the slice whose loss raises the density most, until the box holds fewer than
`min_mass` of the points. From the boxes passed on the way we keep the one with the largest
coverage x (density - share of high points overall): dense, yet covering many of the high
points; pasting then widens it again wherever that does not lower its density. Then each
limit of the box (a lower or an upper end on one parameter) must hold beyond chance, Monte
Carlo noise included: `_limit_p` is a permutation test of the points' high/low labels among
the points the box would hold without that limit; the labels carry each point's Monte Carlo
noise, so a limit that only catches points that noise pushed below the threshold is no better
than a cut of shuffled labels. Its statistic is the best z, over every cut of that kind at
any depth, of the high points the cut keeps, so choosing where to cut is accounted for; and
since peeling chose among all 2d limits a box over d parameters can have, Holm's correction
is over those 2d. Limits whose corrected p is 0.05 or more are dropped one at a time, the
least supported first, and the others tested again. Covering
repeats the search on the points outside the boxes found so far, for up to `max_boxes` boxes;
a later box is kept only when most of its points are high and a binomial test says it is
denser than the points left (p < 0.01).

EMA Workbench (`ema-workbench` on PyPI) has a full PRIM, but brings a whole modelling
framework with it; this compact implementation over the design points is all a sweep needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
MIN_MASS = 0.05
MAX_BOXES = 3
PERMUTATIONS = 999  # at least; 200 d - 1 over d parameters, so that Holm can reach 0.01
LEVEL = 0.05
CHECK = (f"each limit of a box is kept only if a permutation test of the points' high/low "
         f"labels (at least {PERMUTATIONS} shuffles among the points the box holds without "
         f"that limit; statistic: the largest z, over cuts of that kind at any depth, of the "
         f"high points a cut keeps against a random subset of its size) gives p < {LEVEL} "
         f"after Holm's correction over the 2d limits a box on d parameters can have; the "
         f"labels carry each point's Monte Carlo noise")


@dataclass(frozen=True)
class Box:
    """One box found by PRIM.

    Attributes:
        limits: the restricted parameters only: name -> (lower, upper); None on a side the
            box leaves open.
        n: design points in the box (for a second or later box: points not in an earlier box).
        hits: of those, how many are high.
        mass: n over all design points: the share of the explored space the box covers.
        coverage: hits over all high points.
        density: hits over n.
        mean: the outcome's mean over the points in the box.
    """

    limits: dict[str, tuple[float | None, float | None]]
    n: int
    hits: int
    mass: float
    coverage: float
    density: float
    mean: float

    def condition(self) -> str:
        """The box as a readable condition, e.g. `push >= 3.1 and decay <= 0.4`."""
        parts = []
        for name, (lo, hi) in self.limits.items():
            if lo is not None and hi is not None and f"{lo:.3g}" == f"{hi:.3g}":
                parts.append(f"{name} = {lo:.3g}")
            elif lo is not None and hi is not None:
                parts.append(f"{lo:.3g} <= {name} <= {hi:.3g}")
            elif lo is not None:
                parts.append(f"{name} >= {lo:.3g}")
            else:
                parts.append(f"{name} <= {hi:.3g}")
        return " and ".join(parts) or "anywhere"

    def to_dict(self) -> dict:
        return {"condition": self.condition(),
                "limits": {k: {"low": lo, "high": hi} for k, (lo, hi) in self.limits.items()},
                "n": self.n, "hits": self.hits, "mass": round(self.mass, 10),
                "coverage": round(self.coverage, 10), "density": round(self.density, 10),
                "mean": round(self.mean, 10)}


def prim(x: np.ndarray, high: np.ndarray, names: Sequence[str], outcome: np.ndarray | None = None,
         alpha: float = ALPHA, min_mass: float = MIN_MASS,
         max_boxes: int = MAX_BOXES, seed: int = 0) -> list[Box]:
    """Find boxes of the design space where `high` points concentrate.

    Args:
        x: (points, parameters) the design.
        high: (points,) True where the outcome exceeds the threshold.
        names: parameter names, for the limits.
        outcome: (points,) the outcome, for each box's mean (default: `high` as 0/1).
        alpha: share of the box's points removed by one peel.
        min_mass: peeling stops before the box holds fewer than this share of all points.
        max_boxes: at most this many boxes (covering).
        seed: draws the permutations that check each limit (see CHECK).

    Returns:
        The boxes found, best first; empty when no box is denser than the whole space.
    """
    x = np.asarray(x, dtype=float)
    high = np.asarray(high, dtype=bool)
    outcome = high.astype(float) if outcome is None else np.asarray(outcome, dtype=float)
    n, total_hits = len(high), int(high.sum())
    full_lo, full_hi = x.min(axis=0), x.max(axis=0)
    left = np.ones(n, dtype=bool)
    boxes: list[Box] = []
    min_count = max(2, int(np.ceil(min_mass * n)))
    rng = np.random.default_rng(seed)
    while len(boxes) < max_boxes and high[left].sum() >= 2:
        xs, ys = x[left], high[left]
        lo, hi = _best_on_path(_peel(xs, ys, alpha, min_count), ys)
        lo, hi = _paste(xs, ys, lo, hi, alpha)
        lo, hi = _simplify(xs, ys, lo, hi, full_lo, full_hi, rng)
        inside = left & _inside(x, lo, hi)
        hits = int(high[inside].sum())
        if not _enriched(hits, int(inside.sum()), float(ys.mean()), first=not boxes):
            break  # nothing more to discover
        limits = {}
        for j, name in enumerate(names):
            a = float(lo[j]) if lo[j] > full_lo[j] else None
            b = float(hi[j]) if hi[j] < full_hi[j] else None
            if a is not None or b is not None:
                limits[name] = (a, b)
        count = int(inside.sum())
        boxes.append(Box(limits, count, hits, count / n, hits / total_hits, hits / count,
                         float(outcome[inside].mean())))
        left &= ~inside
    return boxes


def _simplify(x: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray,
              full_lo: np.ndarray, full_hi: np.ndarray, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
    """Drop the limits that do not hold beyond chance (see CHECK), one at a time, the one
    with the largest p first, until every limit left has a Holm-adjusted p below LEVEL (over
    all 2d possible limits: those not set count as p = 1)."""
    hypotheses = 2 * x.shape[1]
    shuffles = max(PERMUTATIONS, 100 * hypotheses - 1)
    while True:
        limits = [(j, side) for j in range(x.shape[1]) for side in (0, 1)
                  if (lo[j] > full_lo[j] if side == 0 else hi[j] < full_hi[j])]
        if not limits:
            return lo, hi
        p = np.array([_limit_p(x, y, lo, hi, j, side, rng, shuffles) for j, side in limits])
        order = np.argsort(p, kind="stable")
        holm = np.maximum.accumulate(p[order] * (hypotheses - np.arange(len(p))))
        if holm[-1] < LEVEL:
            return lo, hi
        j, side = limits[order[-1]]
        if side == 0:
            lo[j] = full_lo[j]
        else:
            hi[j] = full_hi[j]


def _limit_p(x: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray, j: int, side: int,
             rng: np.random.Generator, shuffles: int) -> float:
    """Permutation p-value of the lower (side 0) or upper (side 1) limit of the box on
    parameter j, among the points W the box holds without it. Statistic: over every cut of
    that kind on j (any depth, between distinct values), the largest z of the high points
    it keeps against a random subset of W of its size (hypergeometric mean and spread);
    p: how often shuffled labels give a z at least as large. 1 when the limit keeps no
    point of W out, or W's points are all high or all low."""
    wide_lo, wide_hi = lo.copy(), hi.copy()
    (wide_lo if side == 0 else wide_hi)[j] = -np.inf if side == 0 else np.inf
    wide = _inside(x, wide_lo, wide_hi)
    kept, vals, labels = int(_inside(x, lo, hi).sum()), x[wide, j], y[wide].astype(float)
    if kept in (0, len(vals)) or labels.min() == labels.max():
        return 1.0
    order = np.argsort(-vals if side == 0 else vals, kind="stable")  # kept points first
    ranked = vals[order]
    ends = np.flatnonzero(ranked[1:] != ranked[:-1]) + 1  # cut between distinct values only
    labels = labels[order]
    n, share = len(labels), labels.mean()
    spread = np.sqrt(ends * share * (1 - share) * (n - ends) / (n - 1))

    def best(rows: np.ndarray) -> np.ndarray:
        return ((np.cumsum(rows, axis=-1)[..., ends - 1] - ends * share) / spread).max(axis=-1)

    observed = best(labels)
    chunk = max(1, 2_000_000 // len(labels))
    above = 0
    for start in range(0, shuffles, chunk):
        rows = rng.permuted(np.tile(labels, (min(chunk, shuffles - start), 1)), axis=1)
        above += int((best(rows) >= observed - 1e-12).sum())
    return (1 + above) / (1 + shuffles)


def _enriched(hits: int, n: int, base: float, first: bool) -> bool:
    """Whether a box is worth reporting: the first one if it is denser than the whole space;
    a later one only if most of its points are high and a one-sided binomial test against
    the points left gives p < 0.01 (so noise does not make boxes)."""
    if n == 0 or hits / n <= base:
        return False
    if first:
        return True
    from scipy.stats import binomtest

    return hits / n >= 0.5 and binomtest(hits, n, base, alternative="greater").pvalue < 0.01


def _inside(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.all((x >= lo) & (x <= hi), axis=1)


def _peel(x: np.ndarray, y: np.ndarray, alpha: float, min_count: int) -> list[tuple]:
    """The peeling path: (lower, upper, inside) of each box, from the whole space inwards."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    inside = np.ones(len(y), dtype=bool)
    path = [(lo.copy(), hi.copy(), inside)]
    while True:
        best = None  # (density, kept, dimension, side, new limit)
        for j in range(x.shape[1]):
            vals = x[inside, j]
            levels = np.unique(vals)
            if len(levels) < 2:
                continue
            # Peel about alpha of the points from each end, at least one distinct value.
            cut_lo = vals[vals >= np.quantile(vals, alpha)].min()
            cut_lo = levels[1] if cut_lo <= levels[0] else cut_lo
            cut_hi = vals[vals <= np.quantile(vals, 1 - alpha)].max()
            cut_hi = levels[-2] if cut_hi >= levels[-1] else cut_hi
            for keep, side, limit in ((vals >= cut_lo, 0, cut_lo), (vals <= cut_hi, 1, cut_hi)):
                kept = int(keep.sum())
                if kept < min_count:
                    continue
                density = y[inside][keep].mean()
                if best is None or (density, kept) > (best[0], best[1]):
                    best = (density, kept, j, side, limit)
        if best is None:
            return path
        _, _, j, side, limit = best
        if side == 0:
            lo[j] = limit
        else:
            hi[j] = limit
        inside = _inside(x, lo, hi)
        path.append((lo.copy(), hi.copy(), inside))


def _best_on_path(path: list[tuple], y: np.ndarray) -> tuple:
    """The box on the path with the largest coverage x (density - base rate): dense, yet not
    so small that it covers few of the high points."""
    total, base = y.sum(), y.mean()
    best, best_score = path[0], 0.0
    for lo, hi, inside in path:
        hits, n = y[inside].sum(), inside.sum()
        score = hits / total * (hits / n - base)
        if score > best_score:
            best, best_score = (lo, hi, inside), score
    return best[0].copy(), best[1].copy()


def _paste(x: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray, alpha: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """Widen the box, one side at a time, while that keeps or raises its density and adds
    high points."""
    while True:
        inside = _inside(x, lo, hi)
        n_in, hits = int(inside.sum()), int(y[inside].sum())
        step = max(1, int(np.ceil(alpha * n_in)))
        best = None  # (density, hits, dimension, side, new limit)
        for j in range(x.shape[1]):
            others = np.ones(len(y), dtype=bool)
            for k in range(x.shape[1]):
                if k != j:
                    others &= (x[:, k] >= lo[k]) & (x[:, k] <= hi[k])
            for side in (0, 1):
                out = others & ((x[:, j] < lo[j]) if side == 0 else (x[:, j] > hi[j]))
                if not out.any():
                    continue
                vals = np.sort(x[out, j])
                limit = vals[::-1][min(step, len(vals)) - 1] if side == 0 \
                    else vals[min(step, len(vals)) - 1]
                new_lo, new_hi = lo.copy(), hi.copy()
                (new_lo if side == 0 else new_hi)[j] = limit
                grown = _inside(x, new_lo, new_hi)
                g_hits = int(y[grown].sum())
                density = g_hits / grown.sum()
                if g_hits > hits and density >= hits / n_in and (
                        best is None or (density, g_hits) > (best[0], best[1])):
                    best = (density, g_hits, j, side, limit)
        if best is None:
            return lo, hi
        _, _, j, side, limit = best
        if side == 0:
            lo[j] = limit
        else:
            hi[j] = limit
