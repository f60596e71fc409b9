"""Results as tidy pandas frames, for notebooks: the summary as one row per ladder, stage and
measure; occupancy and incidence in long form; stages as an ordered categorical in ladder
order; the per-run table's dtypes (one definition, for the table built in memory and the
one read back from a results folder); a short `repr` and an HTML table for Jupyter; and a
scenario's parameters as a frame (`sim.parameters`).

`Tables` holds the methods `RunResult` (`sim.engine.runner`) and `LoadedResults`
(`sim.engine.loaded`) share; each has `summary`, `occupancy` and `incidence`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..format.scenario import Scenario

SUMMARY_COLUMNS = ("ladder", "stage", "measure", "p", "lo", "hi", "n")
MEASURES = ("reach", "final")


def stage_dtype(stages: Sequence[str]) -> pd.CategoricalDtype:
    """The dtype of a stage column: the ladder's stage ids, ordered lowest first, so that
    sorting and comparisons (`runs.peak >= "border_incident"`) follow the ladder."""
    return pd.CategoricalDtype(list(stages), ordered=True)


def stage_column(codes: np.ndarray, stages: Sequence[str]) -> pd.Categorical:
    """A stage column from stage indices (0: the lowest stage)."""
    return pd.Categorical.from_codes(codes, dtype=stage_dtype(stages))


def runs_dtypes(stages: Sequence[str], columns: Iterable[str]) -> dict[str, Any]:
    """The dtype of each column of the per-run table (docs/results.md, runs.csv): `run`
    int64, `steps` and the action counts int32, `peak` and `final` the stage dtype,
    `absorbed` bool, `first_<stage>` Int64 (empty: never reached), `time_<stage>` int32, the
    drawn numbers (`drawn:<path>`) float64."""
    firsts = {f"first_{s}" for s in stages}
    out: dict[str, Any] = {}
    for c in columns:
        if c in ("peak", "final"):
            out[c] = stage_dtype(stages)
        elif c == "absorbed":
            out[c] = "bool"
        elif c in firsts:
            out[c] = "Int64"
        elif c.startswith("drawn:"):
            out[c] = "float64"
        elif c == "run":
            out[c] = "int64"
        else:  # steps, time_<stage>, the action counts
            out[c] = "int32"
    return out


def summary_frame(summary: dict) -> pd.DataFrame:
    """P(reach) and P(final) of each stage with their Wilson 95% intervals: one row per
    ladder, measure (`reach`, `final`) and stage, with columns ladder, stage, measure, p, lo,
    hi and n (the runs)."""
    stages = summary["stages"]
    rows = [(summary["ladder"], s, m, summary[m][s]["p"], summary[m][s]["lo"],
             summary[m][s]["hi"], summary["runs"]) for m in MEASURES for s in stages]
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame["stage"] = frame["stage"].astype(stage_dtype(stages))
    frame["n"] = frame["n"].astype("int64")
    return frame


def long_frame(wide: pd.DataFrame, summary: dict, value: str) -> pd.DataFrame:
    """A step x stage table in long form: columns ladder, step, stage and `value`, one row
    per step and stage (steps first, stages in ladder order within a step)."""
    stages = summary["stages"]
    steps = np.asarray(wide.index, dtype=np.int64)
    frame = pd.DataFrame({
        "ladder": summary["ladder"],
        "step": np.repeat(steps, len(stages)),
        "stage": stage_column(np.tile(np.arange(len(stages)), len(steps)), stages),
        value: wide[list(stages)].to_numpy(dtype=float).reshape(-1)})
    return frame


def result_repr(kind: str, summary: dict, partial: bool) -> str:
    """One line: what was run, how many runs, which seed, whether partial."""
    note = ", partial" if partial else ""
    return (f"<{kind} {summary['scenario']}: {summary['runs']:,} runs, seed {summary['seed']}, "
            f"ladder {summary['ladder']} ({len(summary['stages'])} stages), horizon "
            f"{summary['horizon']} {summary['step']}s{note}>")


def _pct(entry: dict) -> str:
    return f"{100 * entry['p']:.1f}% [{100 * entry['lo']:.1f}, {100 * entry['hi']:.1f}]"


def result_html(kind: str, summary: dict, partial: bool) -> str:
    """A compact HTML table: each stage's P(reach) and P(final) with Wilson 95% intervals, and
    a caption with the scenario, runs (n), seed and whether partial. All text is escaped."""
    esc = html.escape
    caption = (f"{esc(kind)} {esc(str(summary['scenario']))}: n = {summary['runs']:,} runs, "
               f"seed {esc(str(summary['seed']))}, ladder {esc(str(summary['ladder']))}, "
               f"horizon {summary['horizon']} {esc(str(summary['step']))}s")
    if partial:
        caption += " (partial: interrupted)"
    rows = "".join(
        f"<tr><td>{esc(s)}</td><td style=\"text-align:right\">{_pct(summary['reach'][s])}</td>"
        f"<td style=\"text-align:right\">{_pct(summary['final'][s])}</td></tr>"
        for s in summary["stages"])
    return (f"<table><caption>{caption}</caption><thead><tr><th>stage</th>"
            "<th>P(reach) [95% CI]</th><th>P(final) [95% CI]</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


class Tables:
    """Tidy frames and display for a result with `summary`, `occupancy`, `incidence` and
    `partial` (`RunResult`, `LoadedResults`)."""

    summary: dict
    occupancy: pd.DataFrame
    incidence: pd.DataFrame
    partial: bool

    def summary_frame(self) -> pd.DataFrame:
        """P(reach) and P(final) per stage with intervals: columns ladder, stage, measure
        (`reach` or `final`), p, lo, hi, n; `stage` is an ordered categorical."""
        return summary_frame(self.summary)

    def occupancy_frame(self) -> pd.DataFrame:
        """`occupancy` in long form: columns ladder, step, stage, share (of runs in the stage
        at the end of the step)."""
        return long_frame(self.occupancy, self.summary, "share")

    def incidence_frame(self) -> pd.DataFrame:
        """`incidence` in long form: columns ladder, step, stage, share (of runs that have
        reached the stage, or a higher one, by the step)."""
        return long_frame(self.incidence, self.summary, "share")

    def __repr__(self) -> str:
        return result_repr(type(self).__name__, self.summary, self.partial)

    def _repr_html_(self) -> str:
        return result_html(type(self).__name__, self.summary, self.partial)


def parameters(scenario: Scenario | str | Path, overrides: dict[str, object] | None = None
               ) -> pd.DataFrame:
    """Every numeric path `--set` and `--vary` accept, as a pandas DataFrame, one row per path
    (`sim.parameters`; `ladder params SCENARIO` prints it).

    Columns: `path`; `value`, its value now as YAML text (for a path not in the file, the
    value it has by default: an effect 0, a default weight 0, a per-stage weight the default
    weight, a scale 1); `kind` (integer, number, effect, weight, scale; `bounds` and
    `parameter` for the numbers inside a distribution, e.g. the two ends of a `uniform`);
    `form` (integer, number or distribution); `range`, the values it may take; `in_file`
    (False: a path `--set` may add); `event` (an event's `set` may change it too).

    Args and errors as for `sim.format.parameters.rows`.
    """
    from ..format.parameters import COLUMNS, rows

    return pd.DataFrame(rows(scenario, overrides), columns=list(COLUMNS))
