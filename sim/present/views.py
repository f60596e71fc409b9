"""What the figures and the report read of one run: `RunView`, the summary and per-step
tables of a fresh run or of a results folder (with the ladder's thresholds when known).

`sim.present.plots` re-exports `RunView` and `view_of`.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..engine.folder_read import read_folder
from ..engine.runner import RunResult
from ..errors import InputError, LadderError
from ..format.ladder import Ladder, load_ladder

if TYPE_CHECKING:
    from ..analyses.variants import Variant


@dataclass(frozen=True)
class RunView:
    """What the figures and the report show of one run.

    Attributes:
        summary: the summary dict (summary.json).
        occupancy: one row per step, one column per stage: share of runs in the stage.
        incidence: one row per step, one column per stage: share of runs that have reached
            the stage (or a higher one) by that step.
        tension: one row per step: `mean`, and the quantiles `q05` .. `q95` across the first
            chunk's runs when known; None when a results folder has no tension.csv.
        source: the scenario file or results folder it came from.
        thresholds: each stage's `up` threshold (tension at which a run moves one rung up),
            lowest stage first; empty when the ladder is not known.
    """

    summary: dict
    occupancy: pd.DataFrame
    incidence: pd.DataFrame
    tension: pd.DataFrame | None
    source: str = ""
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def stages(self) -> list[str]:
        return list(self.summary["stages"])

    @classmethod
    def from_result(cls, result: RunResult, source: str = "") -> RunView:
        """The view of a fresh run."""
        tension = result.mean_tension.to_frame("mean")
        if result.tension_bands is not None:
            tension = tension.join(result.tension_bands)
        return cls(result.summary, result.occupancy, result.incidence, tension,
                   source or result.scenario.path, up_thresholds(result.scenario.ladder))

    @classmethod
    def from_folder(cls, folder: str | Path) -> RunView:
        """The view of a results folder written by `ladder run --out`.

        Raises:
            InputError: if the folder is not complete (`sim.engine.folder_read.read_folder`: no
                manifest, or files that do not match it), or its tables do not match the
                summary's stages.
        """
        folder = Path(folder)
        data = read_folder(folder, "run", ["summary.json", "occupancy.csv", "incidence.csv"],
                           optional=["tension.csv"])[1]
        try:
            summary = json.loads(data["summary.json"].decode("utf-8"))
            tables = [pd.read_csv(io.BytesIO(data[f"{name}.csv"]), index_col="step")
                      for name in ("occupancy", "incidence")]
            tension = (pd.read_csv(io.BytesIO(data["tension.csv"]), index_col="step")
                       if "tension.csv" in data else None)
            stages = list(summary["stages"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{folder}: cannot read the results folder ({exc!s})") from None
        for name, table in zip(("occupancy", "incidence"), tables, strict=True):
            if list(table.columns) != stages:
                raise InputError(f"{folder / name}.csv: columns {', '.join(table.columns)} are "
                                 f"not the summary's stages {', '.join(stages)}")
        return cls(summary, tables[0], tables[1], tension, str(folder),
                   _folder_thresholds(summary))


def up_thresholds(ladder: Ladder) -> dict[str, float]:
    """Each stage's `up` threshold, lowest stage first (stages without one left out)."""
    return {s.id: s.up for s in ladder.stages if s.up is not None}


def _folder_thresholds(summary: dict) -> dict[str, float]:
    """The thresholds of a results folder's ladder, when its file is still there unchanged."""
    prov = summary.get("provenance", {})
    path = prov.get("ladder_file")
    if not path or not Path(path).is_file():
        return {}
    try:
        ladder = load_ladder(path)
    except LadderError:
        return {}
    return up_thresholds(ladder) if ladder.sha256 == prov.get("ladder_sha256") else {}


def view_of(variant: Variant) -> RunView:
    """The view of a compare/report input: its fresh run, or its results folder."""
    if variant.result is not None:
        return RunView.from_result(variant.result, variant.source)
    return RunView.from_folder(variant.source)
