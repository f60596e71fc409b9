"""Interval estimates and tests for the proportions and distributions we print.

Conventions: differences are B - A; intervals are 95% unless `z` says otherwise.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from ..engine.intervals import Z95, wilson


def newcombe_diff(xa: int, na: int, xb: int, nb: int, z: float = Z95) -> tuple[float, float]:
    """Interval for pB - pA from independent samples: Newcombe's hybrid score method
    (Newcombe 1998, Statistics in Medicine 17:873, method 10)."""
    pa, pb = xa / na, xb / nb
    la, ua = wilson(xa, na, z)
    lb, ub = wilson(xb, nb, z)
    d = pb - pa
    return (max(-1.0, d - math.hypot(pb - lb, ua - pa)),
            min(1.0, d + math.hypot(ub - pb, pa - la)))


def newcombe_paired_diff(both: int, only_a: int, only_b: int, neither: int,
                         z: float = Z95) -> tuple[float, float]:
    """Interval for pB - pA from paired samples: Newcombe's score method for paired data
    (Newcombe 1998, Statistics in Medicine 17:2635, method 10, continuity-corrected phi).

    The four counts are the paired 2x2 table: runs where the event happened in both, only
    in A, only in B, in neither.
    """
    n = both + only_a + only_b + neither
    xa, xb = both + only_a, both + only_b
    pa, pb = xa / n, xb / n
    la, ua = wilson(xa, n, z)
    lb, ub = wilson(xb, n, z)
    phi = 0.0
    margins = float(xa) * (n - xa) * xb * (n - xb)
    if margins > 0:
        cross: float = both * neither - only_a * only_b
        cross = max(cross - n / 2, 0.0) if cross > 0 else cross
        phi = cross / math.sqrt(margins)
    d = pb - pa
    lower = math.sqrt(max(0.0, (pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2))
    upper = math.sqrt(max(0.0, (ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2))
    return (max(-1.0, d - lower), min(1.0, d + upper))


def two_proportion_p(xa: int, na: int, xb: int, nb: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (independent samples)."""
    pooled = (xa + xb) / (na + nb)
    se = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    if se == 0:
        return 1.0
    zval = (xb / nb - xa / na) / se
    return float(2 * sps.norm.sf(abs(zval)))


def mcnemar_p(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (paired samples)."""
    if only_a + only_b == 0:
        return 1.0
    return float(sps.binomtest(only_b, only_a + only_b, 0.5).pvalue)


def cohen_h(pa: float, pb: float) -> float:
    """Cohen's h effect size for pB against pA (0.2 small, 0.5 medium, 0.8 large)."""
    return 2 * math.asin(math.sqrt(pb)) - 2 * math.asin(math.sqrt(pa))


def chi_square_homogeneity(counts_a: np.ndarray, counts_b: np.ndarray) -> dict:
    """Pearson chi-square test that two independent samples share one category distribution,
    with Cramer's V."""
    table = np.vstack([counts_a, counts_b]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return {"chi2": 0.0, "dof": 0, "p": 1.0, "cramers_v": 0.0}
    chi2, p, dof, _ = sps.chi2_contingency(table, correction=False)
    v = math.sqrt(chi2 / table.sum()) if table.sum() else 0.0
    return {"chi2": float(chi2), "dof": int(dof), "p": float(p), "cramers_v": v}


def stuart_maxwell(a: np.ndarray, b: np.ndarray, k: int) -> dict:
    """Stuart-Maxwell test of marginal homogeneity for paired categories (paired samples).

    `a[i]` and `b[i]` are the categories (0..k-1) of pair i.
    """
    table = np.zeros((k, k))
    np.add.at(table, (a, b), 1)
    used = (table.sum(axis=0) + table.sum(axis=1)) > 0
    table = table[np.ix_(used, used)]
    if len(table) < 2:
        return {"chi2": 0.0, "dof": 0, "p": 1.0}
    d = (table.sum(axis=1) - table.sum(axis=0))[:-1]
    cov = -(table + table.T)[:-1, :-1]
    np.fill_diagonal(cov, (table.sum(axis=1) + table.sum(axis=0) - 2 * np.diag(table))[:-1])
    dof = int(np.linalg.matrix_rank(cov))
    if dof == 0:
        return {"chi2": 0.0, "dof": 0, "p": 1.0}
    chi2 = float(d @ np.linalg.pinv(cov) @ d)
    return {"chi2": chi2, "dof": dof, "p": float(sps.chi2.sf(chi2, dof))}


def logrank(events_a: np.ndarray, events_b: np.ndarray, na: int, nb: int) -> dict:
    """Log-rank test from event counts per step, every run followed to the end.

    `events_x[t]` is the number of runs whose event (first reaching a stage) came at step
    t; runs without the event are censored after the last step. Returns chi2, p and the
    hazard ratio of B against A (observed / expected events, B over A).
    """
    at_risk_a = na - np.concatenate([[0], np.cumsum(events_a)[:-1]])
    at_risk_b = nb - np.concatenate([[0], np.cumsum(events_b)[:-1]])
    total = at_risk_a + at_risk_b
    d = events_a + events_b
    ok = total > 0
    expected_b = np.divide(d * at_risk_b, total, out=np.zeros(len(d)), where=ok)
    var = np.divide(d * at_risk_a * at_risk_b * (total - d), total**2 * (total - 1),
                    out=np.zeros(len(d)), where=total > 1)
    observed_b, e_b = float(events_b.sum()), float(expected_b.sum())
    observed_a, e_a = float(events_a.sum()), float(d.sum()) - e_b
    v = float(var.sum())
    if v <= 0:
        return {"chi2": 0.0, "p": 1.0, "hazard_ratio": None}
    chi2 = (observed_b - e_b) ** 2 / v
    hr = None
    if e_a > 0 and e_b > 0 and observed_a > 0:
        hr = (observed_b / e_b) / (observed_a / e_a)
    return {"chi2": chi2, "p": float(sps.chi2.sf(chi2, 1)), "hazard_ratio": hr}


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment of p-values for multiple comparisons."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted
