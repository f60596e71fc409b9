"""What differs between the runs that reach an outcome and the runs that do not.

For each actor's action, its rate per step in each run (how often the actor chose it over the
run's steps; for a population, member-choices per step), and for each number the file draws
per run (`drawn:<path>` in runs.csv), the mean in runs that reach the outcome against the mean
in runs that do not: the difference with Welch's 95% interval, and the standardised
difference (Cohen's d, pooled standard deviation) with its large-sample 95% interval (Hedges
and Olkin 1985). Ranked by |d|.

These are associations within the ensemble under the file's assumptions, not effects: an
action can be frequent in escalating runs because escalation allows it (a declaration of
crisis happens in a crisis), and every drawn number varies at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from ..format.scenario import Scenario

Z95 = 1.959963984540054


def driver_columns(scenario: Scenario, runs: pd.DataFrame) -> list[tuple[str, str]]:
    """(column, kind) for every action count and drawn number of the per-run table."""
    out = [(f"{a.id}.{x}", "action") for a in scenario.actors for x in a.action_ids
           if f"{a.id}.{x}" in runs.columns]
    return out + [(c, "drawn") for c in runs.columns if str(c).startswith("drawn:")]


def drivers(runs: pd.DataFrame, reached: np.ndarray, columns: list[tuple[str, str]],
            top: int | None = None) -> dict:
    """Each column's difference between runs that reach (`reached`) and the others, ranked
    by |Cohen's d|; columns that do not vary in either group are listed apart."""
    n1, n0 = int(reached.sum()), int((~reached).sum())
    out: dict = {"reached": n1, "not_reached": n0, "method": METHOD, "rows": [],
                 "constant": []}
    if n1 < 2 or n0 < 2:
        out["note"] = (f"needs at least 2 runs on each side (reached: {n1}, not: {n0})")
        return out
    steps = np.maximum(runs["steps"].to_numpy(dtype=float), 1.0)
    rows = []
    for column, kind in columns:
        x = runs[column].to_numpy(dtype=float)
        if kind == "action":
            x = x / steps
        row = _difference(x[reached], x[~reached])
        if row is None:
            out["constant"].append(column)
            continue
        name = column.removeprefix("drawn:")
        rows.append({"name": name, "kind": kind, **row})
    rows.sort(key=lambda r: (-abs(r["d"]), r["name"]))
    out["rows"] = rows[:top] if top else rows
    return out


METHOD = ("mean in runs that reach against runs that do not (actions: rate per step); "
          "Welch 95% interval of the difference; Cohen's d (pooled SD) with its "
          "large-sample 95% interval; associations under the file's assumptions, not effects")


def _difference(a: np.ndarray, b: np.ndarray) -> dict | None:
    """Means, Welch difference and Cohen's d of two samples (None when neither varies)."""
    n1, n0 = len(a), len(b)
    m1, m0 = float(a.mean()), float(b.mean())
    v1, v0 = float(a.var(ddof=1)), float(b.var(ddof=1))
    if v1 == 0 and v0 == 0:
        return None
    diff = m1 - m0
    se = np.sqrt(v1 / n1 + v0 / n0)
    df = se ** 4 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    half = float(student_t.ppf(0.975, df) * se)
    pooled = np.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
    d = diff / pooled
    se_d = np.sqrt((n1 + n0) / (n1 * n0) + d ** 2 / (2 * (n1 + n0)))
    return {"mean_reached": m1, "mean_not": m0, "diff": diff, "lo": diff - half,
            "hi": diff + half, "d": float(d), "d_lo": float(d - Z95 * se_d),
            "d_hi": float(d + Z95 * se_d)}
