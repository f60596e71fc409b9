"""Wilson intervals for the proportions the engine's summary prints.

Plain arithmetic (no SciPy), so the engine can summarise runs without the analyses layer.
"""

from __future__ import annotations

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
