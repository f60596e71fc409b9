"""Intervals the engine's summary prints: Wilson intervals for proportions, and
distribution-free intervals for quantiles from order statistics.

Wilson's is plain arithmetic; the order statistics' ranks take the binomial distribution
function from SciPy (which Mesa loads anyway), so the engine summarises runs without the
analyses layer.
"""

from __future__ import annotations

import bisect
import math

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default)."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def proportion(successes: int, n: int) -> dict[str, float]:
    """A proportion with its Wilson 95% interval and Monte Carlo standard error."""
    p = successes / n if n else 0.0
    lo, hi = wilson(successes, n)
    se = math.sqrt(p * (1 - p) / n) if n else 0.0
    return {"p": round(p, 10), "lo": round(lo, 10), "hi": round(hi, 10), "se": round(se, 10)}


def quantile_ranks(m: int, q: float, level: float = 0.95) -> tuple[int, int]:
    """Ranks (from 1) of the order statistics that bound a `level` interval for the q-quantile
    of a sample of `m`: the largest j with P(B <= j - 1) <= a and the smallest k with
    P(B <= k - 1) >= 1 - a, B ~ Binomial(m, q), a = (1 - level) / 2. Then P(X_(j) <= x_q <=
    X_(k)) >= level for any distribution, discrete ones included (conservatively). j = 0: no
    order statistic is low enough (the interval is open below); k = m + 1: none is high
    enough."""
    from scipy.special import bdtr  # P(B <= k) for B ~ Binomial(m, q)

    a = (1 - level) / 2
    cdf = range(m + 1)  # bisected by P(B <= k), which rises with k
    j = bisect.bisect_right(cdf, a, key=lambda k: float(bdtr(k, m, q)))
    k = bisect.bisect_left(cdf, 1 - a, key=lambda k: float(bdtr(k, m, q))) + 1
    return j, k
