"""The coupled ladders of a compared variant (`ladders:` in a scenario): each one's per-run
peak and final stage, from a fresh run's kept runs or from a results folder's per-run table
(`<key>.peak`, `<key>.final`), and the proportions `ladder compare` tests on them:
`reach:<key>:<stage>` and `final:<key>:<stage>`. A variant with one ladder has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..engine.coupled import stage_columns, summary_ladders


@dataclass(frozen=True)
class LadderRuns:
    """One coupled ladder's outcomes, run by run.

    Attributes:
        stages: its stage ids, lowest first.
        peak, final: (runs,) stage index of each run's highest and final stage on it.
    """

    stages: tuple[str, ...]
    peak: np.ndarray
    final: np.ndarray


def from_parts(parts: Sequence[Mapping[str, Any]], ladders: Mapping[str, Sequence[str]]
               ) -> dict[str, LadderRuns]:
    """Each coupled ladder's runs from a run's kept per-run rows (`per_run["ladder:<key>"]`)."""
    return {key: LadderRuns(tuple(stages),
                            np.concatenate([p[f"ladder:{key}"]["peak"] for p in parts]),
                            np.concatenate([p[f"ladder:{key}"]["final"] for p in parts]))
            for key, stages in ladders.items()}


def from_table(runs: pd.DataFrame, summary: Mapping[str, Any]) -> dict[str, LadderRuns]:
    """Each coupled ladder's runs from a results folder's per-run table.

    Raises:
        ValueError: a coupled ladder's column is missing or holds a stage not on it.
    """
    out = {}
    for key, stages in summary_ladders(summary).items():
        index = {s: i for i, s in enumerate(stages)}
        codes = []
        for column in (f"{key}.peak", f"{key}.final"):
            if column not in runs.columns:
                raise ValueError(f"the per-run table has no column {column}")
            mapped = runs[column].astype(str).map(index)
            if mapped.isna().any():
                raise ValueError(f"a run's {column} stage is not one of {', '.join(stages)}")
            codes.append(mapped.to_numpy(dtype=np.int64))
        out[key] = LadderRuns(tuple(stages), codes[0], codes[1])
    return out


def own_columns(summary: Mapping[str, Any]) -> set[str]:
    """The per-run table's columns of the coupled ladders (not action counts)."""
    return {c for key, stages in summary_ladders(summary).items()
            for c in stage_columns(key, stages)}


def metrics(a: Mapping[str, LadderRuns], b: Mapping[str, LadderRuns]
            ) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(metric, event per run of A, of B) for each stage of every coupled ladder both
    variants have on the same stages: `reach:<key>:<stage>`, then `final:<key>:<stage>`."""
    out = []
    for key, la in a.items():
        lb = b.get(key)
        if lb is None or lb.stages != la.stages:
            continue
        out += [(f"reach:{key}:{s}", la.peak >= i, lb.peak >= i)
                for i, s in enumerate(la.stages)]
        out += [(f"final:{key}:{s}", la.final == i, lb.final == i)
                for i, s in enumerate(la.stages)]
    return out
