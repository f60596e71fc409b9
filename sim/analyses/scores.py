"""Scores of monthly forecasts against a record: Brier, log and ranked probability scores,
coverage of central bands, and intervals from resampling months.

A forecast of an ordinal quantity (a ladder's stage) is a probability per month per stage.
With K stages and the observed stage y of a month:

- **Brier score**: the sum over stages of (p_k - [k = y])^2, from 0 (certain and right) to 2.
  A flat forecast over K stages scores 1 - 1/K.
- **Log score**: -ln p_y (lower is better). Every forecast, the model's and the baselines',
  is mixed with the same small share of the uniform forecast before it is scored (`mix`), so
  no score is infinite and a point forecast that misses costs -ln(MIX / K), not infinity.
- **Ranked probability score (RPS)**: the sum over stages of (F_k - [y <= k])^2 divided by
  K - 1, where F is the forecast's cumulative probability: it credits forecasts near the
  observed stage, from 0 to 1.

Coverage: whether the observed value lies in the forecast's central 50%, 80% and 95% bands
(for a stage, the band between the stage quantiles; for a count, between the runs'
quantiles). Each score is the mean over the months scored, with a 95% interval from resampling
months with replacement (a percentile bootstrap); a difference between two forecasts is
resampled on the same months, so it is paired.
"""

from __future__ import annotations

import numpy as np

BANDS = (0.5, 0.8, 0.95)
MIX = 0.01  # the share of the uniform forecast mixed into every forecast before scoring
RESAMPLES = 2000


def mix(p: np.ndarray, share: float = MIX) -> np.ndarray:
    """(months, K) probabilities mixed with `share` of the uniform over the K stages."""
    return (1 - share) * p + share / p.shape[1]


def brier(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per month: the multi-category Brier score of forecast p (months, K) for stages y."""
    hit = np.zeros_like(p)
    hit[np.arange(len(y)), y] = 1.0
    return ((p - hit) ** 2).sum(axis=1)


def log_score(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per month: -ln of the probability the forecast gave the observed stage."""
    return -np.log(p[np.arange(len(y)), y])


def rps(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per month: the ranked probability score (normalised by K - 1)."""
    k = p.shape[1]
    cdf = np.cumsum(p, axis=1)
    obs = (np.arange(k)[None, :] >= y[:, None]).astype(float)
    return ((cdf - obs) ** 2).sum(axis=1) / max(k - 1, 1)


def stage_bands(p: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Per month: the lowest and highest stage of the forecast's central `level` band."""
    cdf = np.cumsum(p, axis=1)
    tail = (1 - level) / 2
    lo = (cdf < tail - 1e-12).sum(axis=1)
    hi = (cdf < 1 - tail - 1e-12).sum(axis=1)
    return lo, np.minimum(hi, p.shape[1] - 1)


def stage_coverage(p: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Per band level: per month, 1.0 when the observed stage lies in the central band."""
    out = {}
    for level in BANDS:
        lo, hi = stage_bands(p, level)
        out[f"{round(100 * level)}"] = ((y >= lo) & (y <= hi)).astype(float)
    return out


def value_coverage(samples: np.ndarray, observed: np.ndarray) -> dict[str, np.ndarray]:
    """Per band level: per month, 1.0 when the observed value lies between the runs'
    quantiles (samples: months x runs)."""
    out = {}
    for level in BANDS:
        lo = np.quantile(samples, (1 - level) / 2, axis=1)
        hi = np.quantile(samples, 1 - (1 - level) / 2, axis=1)
        out[f"{round(100 * level)}"] = ((observed >= lo) & (observed <= hi)).astype(float)
    return out


def mean_interval(values: np.ndarray, seed: int = 0) -> dict:
    """The mean over months with a percentile-bootstrap 95% interval over months."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return {"mean": None, "lo": None, "hi": None, "months": 0}
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, n, size=(RESAMPLES, n))].mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return {"mean": float(values.mean()), "lo": float(lo), "hi": float(hi), "months": n}


def scores(p: np.ndarray, y: np.ndarray, seed: int = 0) -> dict:
    """Brier, log and RPS of forecast p for stages y, and its band coverage, each with its
    interval over months; also the per-month values (for paired differences)."""
    per_month = {"brier": brier(p, y), "log": log_score(p, y), "rps": rps(p, y)}
    out = {name: mean_interval(v, seed) for name, v in per_month.items()}
    out["coverage"] = {band: mean_interval(v, seed)
                       for band, v in stage_coverage(p, y).items()}
    out["per_month"] = {name: v.tolist() for name, v in per_month.items()}
    return out


def paired_difference(a: list[float], b: list[float], seed: int = 0) -> dict:
    """Mean of a - b over the same months, with its bootstrap 95% interval (paired)."""
    return mean_interval(np.asarray(a) - np.asarray(b), seed)
