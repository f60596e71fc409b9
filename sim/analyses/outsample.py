"""Forecasts of a recorded ladder's monthly stage on a test window, and their scores side by
side: models (shares of runs per stage) and trivial baselines (docs/validation.md)."""

from __future__ import annotations

import numpy as np

from . import scores as sc

BASELINES = ("persistence", "climatology", "uniform")


def model_forecast(sim: np.ndarray, k: int) -> np.ndarray:
    """(months, K): the share of runs whose stage in each month is each stage (sim: runs x
    months of stage indices)."""
    sim = sim.astype(np.int64)
    return np.stack([np.bincount(sim[:, j], minlength=k)[:k] / sim.shape[0]
                     for j in range(sim.shape[1])])


def baselines(fit_obs: np.ndarray, months: int, k: int) -> dict[str, np.ndarray]:
    """The three baselines from the fit window's observed stages (NaN: not given):
    persistence of the last one, the fit window's frequencies, the uniform."""
    known = fit_obs[~np.isnan(fit_obs)].astype(np.int64)
    if not len(known):
        return {"uniform": np.full((months, k), 1 / k)}
    last = np.zeros(k)
    last[known[-1]] = 1.0
    freq = np.bincount(known, minlength=k)[:k] / len(known)
    return {"persistence": np.tile(last, (months, 1)), "climatology": np.tile(freq, (months, 1)),
            "uniform": np.full((months, k), 1 / k)}


def score_rows(forecasts: dict[str, np.ndarray], y: np.ndarray, seed: int) -> dict[str, dict]:
    """Each forecast (mixed with `scores.MIX` of the uniform) scored on the months with an
    observed stage: Brier, log, RPS and coverage, each with its interval over months."""
    known = ~np.isnan(y)
    obs = y[known].astype(np.int64)
    return {name: sc.scores(sc.mix(p[known]), obs, seed) for name, p in forecasts.items()}


def differences(rows: dict[str, dict], model: str, seed: int) -> dict[str, dict]:
    """Per baseline (and other forecast): model - it for each score, paired over months, with
    its interval; negative is better for the model."""
    out: dict[str, dict] = {}
    for other, row in rows.items():
        if other == model:
            continue
        out[other] = {s: sc.paired_difference(rows[model]["per_month"][s],
                                              row["per_month"][s], seed)
                      for s in ("brier", "log", "rps")}
    return out


def count_coverage(sim: np.ndarray, obs: np.ndarray, seed: int) -> dict:
    """Coverage of a recorded count by a model's central bands, over the months it is given."""
    known = ~np.isnan(obs)
    if not known.any():
        return {"months": 0}
    cover = sc.value_coverage(sim[:, known].T, obs[known])
    return {"months": int(known.sum()),
            **{band: sc.mean_interval(v, seed) for band, v in cover.items()}}


def verdict(rows: dict[str, dict], diffs: dict[str, dict], model: str) -> str:
    """The comparison in plain words: on which scores the model beats, ties or loses to each
    baseline (by the interval of the paired difference)."""
    parts = []
    for base in BASELINES:
        if base not in diffs:
            continue
        words = []
        for score in ("brier", "log", "rps"):
            d = diffs[base][score]
            if d["hi"] is not None and d["hi"] < 0:
                words.append(f"beats it on {score}")
            elif d["lo"] is not None and d["lo"] > 0:
                words.append(f"loses to it on {score}")
            else:
                words.append(f"ties on {score}")
        parts.append(f"against {base}: " + ", ".join(words))
    months = rows[model]["brier"]["months"]
    return f"The {model} model, over {months} test months, " + "; ".join(parts) + "."
