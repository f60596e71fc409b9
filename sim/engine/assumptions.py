"""The assumptions a run's figures depend on most, measured from the per-run draws.

Every number a file gives as a distribution is drawn once per run (`draw`, which every
per-run draw of the engine goes through). Its lowest and highest fifth are fixed by the
distribution before any run is drawn (`fifths`): a uniform's by arithmetic, a normal's and a
beta's by the quantile function, a discrete one's (`choice`, an integer `uniform`) by its
cumulative probabilities, where ties make a fifth inexact (it holds every run at the edge
value, so more than a fifth of the runs). Each chunk counts, per drawn number and fifth, the
runs and their peak stages (`Bins`); chunks add up, so the figures are the same for any
`--jobs` and any chunking, and memory holds two small histograms per drawn number, never the
draws themselves (a chunk's model keeps each run's draw and its fifth until it is read; kept
runs carry their draws into the per-run table, `drawn:<path>` columns).

`summarise` picks the watched stage (`watched`) and ranks the drawn numbers by how far
P(reach) of that stage differs between their lowest and highest fifth. This is an
association within the ensemble, not a causal effect: the other drawn numbers vary at the
same time, and the numbers the file fixes are not varied at all.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..errors import InputError
from ..format.check import suggest
from ..format.distributions import Dist, Number, sample
from ..format.posterior import Posterior, read_posterior
from .intervals import proportion

FIFTH = 0.2
WATCH_SHARE = 0.05  # the watched stage is reached in at least this share of runs (rarer stages
# give fifths of a few dozen runs each, where the ranking is mostly noise)
SHOWN = 3  # the drawn numbers the text shows
WATCH_RULE = (f"the highest stage above the start reached in at least {100 * WATCH_SHARE:g}% "
              "of runs (else the stage just above the start)")
LOW, MIDDLE, HIGH = -1, 0, 1


def draw(model, value: Number, dtype=float) -> np.ndarray:
    """Per-run values of a number or distribution for `model`'s runs, from its generator; a
    distribution's draws and each run's fifth of them are noted in `model.drawn` (by its
    path) for `collect`."""
    posterior = model.scenario.posterior
    if posterior is not None and isinstance(value, Dist) and value.path in posterior.paths:
        out = _from_posterior(model, posterior, value.path, dtype)
    else:
        out = sample(value, model.rng, model.n, dtype)
    if isinstance(value, Dist) and value.path:
        model.drawn.setdefault(value.path, (value, fifth_codes(value, out), out))
    return out


def _from_posterior(model, posterior: Posterior, path: str, dtype) -> np.ndarray:
    """Each run's value of `path` from its parameter set: one set per run, drawn by weight
    from a stream of its own (spawned from the model's seed), so the draws from the file
    stay as they would be without a posterior."""
    rows = getattr(model, "posterior_rows", None)
    if rows is None:
        stream = np.random.default_rng(model.rng.bit_generator.seed_seq.spawn(1)[0])
        rows = stream.choice(len(posterior.weights), size=model.n, p=posterior.weights)
        model.posterior_rows = rows
    column = np.asarray(posterior.values)[:, posterior.paths.index(path)]
    return column[rows].astype(dtype)


def drawn_paths(scenario) -> set[str]:
    """The paths of every number a run of the scenario draws (as runs.csv's `drawn:`)."""
    from .model import EscalationModel  # the engine draws them; a one-run model is enough

    model = EscalationModel(scenario, n=1, rng=0)
    try:
        return set(model.drawn)
    finally:
        model.release()


def with_posterior(scenario, path) -> object:
    """The scenario with the posterior file at `path`, checked against what it draws."""
    from dataclasses import replace

    return replace(scenario, posterior=read_posterior(path, drawn_paths(scenario)))


@functools.lru_cache(maxsize=256)
def fifths(dist: Dist) -> tuple[float, float] | None:
    """The edges (low, high) of a distribution's lowest and highest fifth: a draw <= low is in
    the lowest, a draw >= high in the highest. None when the draws cannot be split in two
    (a single value, or every value tied)."""
    if dist.kind == "choice" or (dist.integer and dist.kind == "uniform"):
        return _discrete_fifths(dist)
    a = dist.args
    if dist.kind == "uniform":
        low, high = a[0] + FIFTH * (a[1] - a[0]), a[1] - FIFTH * (a[1] - a[0])
    elif dist.kind == "normal":
        if a[1] <= 0:
            return None
        normal = NormalDist(a[0], a[1])
        low, high = normal.inv_cdf(FIFTH), normal.inv_cdf(1 - FIFTH)
    else:  # beta
        from scipy.special import betaincinv  # the engine has SciPy loaded already (Mesa)

        low, high = float(betaincinv(a[0], a[1], FIFTH)), float(betaincinv(a[0], a[1], 1 - FIFTH))
    if dist.clip is not None:
        low, high = (min(max(x, dist.clip[0]), dist.clip[1]) for x in (low, high))
    if dist.integer:
        low, high = float(np.rint(low)), float(np.rint(high))
    return (low, high) if low < high else None


def _discrete_fifths(dist: Dist) -> tuple[float, float] | None:
    if dist.kind == "choice":
        values = np.asarray(dist.args, dtype=float)
        probs = np.asarray(dist.p if dist.p else [1 / len(values)] * len(values))
    else:
        values = np.arange(int(dist.args[0]), int(dist.args[1]) + 1, dtype=float)
        probs = np.full(len(values), 1 / len(values))
    if dist.clip is not None:
        values = np.clip(values, dist.clip[0], dist.clip[1])
    if dist.integer:
        values = np.rint(values)
    support, where = np.unique(values, return_inverse=True)
    mass = np.bincount(where, weights=probs, minlength=len(support))
    if len(support) < 2:
        return None
    below = np.cumsum(mass)  # P(X <= v)
    above = 1 - below + mass  # P(X >= v)
    lo = int(np.argmax(below >= FIFTH - 1e-12))
    hi = int(np.nonzero(above >= FIFTH - 1e-12)[0][-1])
    hi = max(hi, lo + 1)  # ties: the lowest values against the rest
    if hi >= len(support):
        return None
    return float(support[lo]), float(support[hi])


def fifth_codes(dist: Dist, values: np.ndarray) -> np.ndarray:
    """Each run's fifth of a distribution's draws: LOW, HIGH or MIDDLE (int8)."""
    edges = fifths(dist)
    codes = np.zeros(len(values), dtype=np.int8)
    if edges is not None:
        codes[values <= edges[0]] = LOW
        codes[values >= edges[1]] = HIGH
    return codes


@dataclass
class Bins:
    """One drawn number's counts in a chunk (they add up across chunks).

    Attributes:
        dist: the distribution.
        low, high: (stages,) runs in the lowest (highest) fifth whose peak is each stage.
    """

    dist: Dist
    low: np.ndarray
    high: np.ndarray

    def add(self, other: Bins) -> Bins:
        return Bins(self.dist, self.low + other.low, self.high + other.high)


def chunk_bins(model) -> dict[str, Bins]:
    """The `Bins` of every drawn number of a finished model, in the order they were drawn
    (those that cannot be split: empty)."""
    n_stages = len(model.ladder.stages)
    out = {}
    for path, (dist, codes, _) in getattr(model, "drawn", {}).items():
        out[path] = Bins(dist, np.bincount(model.peak[codes == LOW], minlength=n_stages),
                         np.bincount(model.peak[codes == HIGH], minlength=n_stages))
    return out


def watched(stage_ids: tuple[str, ...], start: str, reach_counts: np.ndarray, n: int,
            watch: str | None = None) -> str | None:
    """The stage whose P(reach) the assumptions are measured on: `watch` if given, else by
    `WATCH_RULE`; None when the start is the top stage.

    Raises:
        InputError: `watch` is not a stage of the main ladder.
    """
    if watch is not None:
        if watch not in stage_ids:
            raise InputError(f"--watch: unknown stage '{watch}'{suggest(watch, stage_ids)} "
                             f"(stages: {', '.join(stage_ids)})")
        return watch
    above = range(stage_ids.index(start) + 1, len(stage_ids))
    if not above:
        return None
    hit = [i for i in above if n and reach_counts[i] >= WATCH_SHARE * n]
    return stage_ids[hit[-1] if hit else above[0]]


def summarise(bins: dict[str, Bins], stage_ids: tuple[str, ...], start: str,
              peak: np.ndarray, n: int, watch: str | None = None) -> dict:
    """The `assumptions` of a run's summary (docs/results.md): the watched stage and rule,
    and every drawn number that can be split with P(reach) in its lowest and highest fifth,
    ranked by the size of the difference (largest first; ties in the order drawn).

    Args:
        bins: the merged `Bins` by path, in the order drawn.
        stage_ids, start: the main ladder's stages and the start stage.
        peak: (stages,) runs whose peak is each stage, over all runs; n: the runs.
        watch: the stage to measure (default: `watched`'s rule).
    """
    reach_counts = np.cumsum(peak[::-1])[::-1]
    stage = watched(stage_ids, start, reach_counts, n, watch)
    out: dict = {"watch": stage, "rule": "--watch" if watch is not None else WATCH_RULE,
                 "drawn": len(bins), "parameters": [],
                 "unsplit": [path for path, b in bins.items() if fifths(b.dist) is None]}
    if stage is None:
        return out
    s = stage_ids.index(stage)
    rows: list[tuple[float, dict]] = []
    for path, b in bins.items():
        dist, edges = b.dist, fifths(b.dist)
        if edges is None:
            continue
        low = _bin(b.low, s, "at_most", edges[0], dist.integer)
        high = _bin(b.high, s, "at_least", edges[1], dist.integer)
        diff = high["p"] - low["p"] if low["n"] and high["n"] else 0.0
        data = dist.to_data()
        if dist.integer:  # whole numbers, as the file gives them
            data[dist.kind] = [int(x) for x in dist.args]
        rows.append((abs(diff), {"path": path, "distribution": data, "integer": dist.integer,
                                 "low": low, "high": high, "difference": round(diff, 10)}))
    rows.sort(key=lambda r: -r[0])  # stable: the order drawn among ties
    out["parameters"] = [row for _, row in rows]
    return out


def _bin(hist: np.ndarray, s: int, side: str, edge: float, integer: bool) -> dict:
    n = int(hist.sum())
    edge_out: float | int = int(edge) if integer else round(edge, 10)
    return {side: edge_out, "n": n, **proportion(int(hist[s:].sum()), n)}
