"""How runs escalate: each run's pathway on a ladder, the most frequent ones, their flows.

A run's *pathway* on a ladder is the sequence of its new peaks: every move to a stage higher
than any it had reached before, with the move's cause (threshold, trigger or joint decision
with the actor's action, event, accident), in step order. Moves down and back up to a stage
already reached are not in it, so a pathway is short and runs that climbed the same way share
it. The pathway *to an outcome* stops at the move that first reaches the outcome's stage.
Read from `moves.csv` (`sim.engine.moves`), so the same for a fresh run or a results folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.intervals import proportion
from ..errors import InputError
from ..format.check import suggest
from ..format.scenario import Scenario

TOP = 5  # pathways listed


@dataclass(frozen=True)
class Ladders:
    """What the analyses need of a ladder: its key, stage ids (lowest first) and start."""

    key: str
    stages: tuple[str, ...]
    start: str


def ladder_info(scenario: Scenario, key: str) -> Ladders:
    """The ladder of `scenario` with key `key` (the main one or a coupled one)."""
    if key == scenario.key:
        return Ladders(key, scenario.ladder.stage_ids, scenario.start)
    for c in scenario.coupled:
        if c.key == key:
            return Ladders(key, c.ladder.stage_ids, c.start)
    keys = [scenario.key] + [c.key for c in scenario.coupled]
    raise InputError(f"unknown ladder {key!r}{suggest(key, keys)} (ladders: {', '.join(keys)})")


def new_peaks(moves: pd.DataFrame, ladder: Ladders) -> pd.DataFrame:
    """The moves of `ladder` that reach a stage above every stage the run had reached before
    (its start included): run, step, to, cause, by, in run then step order."""
    on = moves[moves["ladder"] == ladder.key]
    index = {s: i for i, s in enumerate(ladder.stages)}
    to = on["to"].map(index).to_numpy(dtype=np.int64)
    runs = on["run"].to_numpy(dtype=np.int64)
    start = index[ladder.start]
    best = pd.Series(to).groupby(runs).cummax().to_numpy() if len(to) else to
    before = np.empty_like(best)
    if len(best):
        before[0] = start
        before[1:] = best[:-1]
        first = np.r_[True, runs[1:] != runs[:-1]]
        before[first] = start
        before = np.maximum(before, start)
    keep = to > before
    return on.loc[on.index[keep], ["run", "step", "to", "cause", "by"]].reset_index(drop=True)


def step_text(to: str, cause: str, by: str) -> str:
    """One move of a pathway in words: `border_incident by trigger minsk.stage_incident`."""
    return f"{to} by {cause}" + (f" {by}" if by else "")


def run_pathways(peaks: pd.DataFrame, n: int, stop_at: str | None = None,
                 stages: tuple[str, ...] = ()) -> np.ndarray:
    """Each run's pathway as text (`a > b > c`; '' when it never rose above its start), runs
    0..n-1; with `stop_at`, cut after the move that first reaches that stage or higher."""
    out = np.full(n, "", dtype=object)
    if not len(peaks):
        return out
    rows = peaks
    if stop_at is not None:
        level = {s: i for i, s in enumerate(stages)}
        at = rows["to"].map(level).to_numpy() >= level[stop_at]
        # keep a run's moves up to and including its first at-or-above the outcome
        seen = pd.Series(at).groupby(rows["run"].to_numpy()).cumsum().to_numpy()
        rows = rows[(seen == 0) | (at & (seen == 1))]
    words = [step_text(t, c, b) for t, c, b in zip(rows["to"], rows["cause"], rows["by"],
                                                   strict=True)]
    joined = pd.Series(words).groupby(rows["run"].to_numpy()).agg(" > ".join)
    out[joined.index.to_numpy()] = joined.to_numpy()
    return out


def top_pathways(paths: np.ndarray, among: np.ndarray, top: int = TOP,
                 empty: str = "") -> dict:
    """The `top` most frequent pathways among the runs where `among` holds: each with its
    runs, its share of those runs (Wilson 95%) and of all runs; the rest counted as one."""
    n_all, chosen = len(paths), paths[among]
    n = len(chosen)
    values, counts = np.unique(chosen.astype(str), return_counts=True)
    order = np.lexsort((values, -counts))  # most frequent first, then by text
    rows = []
    for i in order[:top]:
        share = proportion(int(counts[i]), n)
        rows.append({"path": str(values[i]) or empty, "steps": _steps(str(values[i])),
                     "runs": int(counts[i]), "share": share,
                     "of_all": proportion(int(counts[i]), n_all)})
    rest = int(counts[order[top:]].sum())
    return {"runs": n, "pathways": rows, "distinct": len(values),
            "other": {"runs": rest, "share": proportion(rest, n) if n else None}}


def _steps(path: str) -> list[dict]:
    """A pathway's text back as its moves."""
    out = []
    for part in path.split(" > ") if path else []:
        to, _, rest = part.partition(" by ")
        cause, by = _cause_by(rest)
        out.append({"to": to, "cause": cause, "by": by})
    return out


def _cause_by(text: str) -> tuple[str, str]:
    for cause in ("threshold up", "threshold down", "joint decision", "trigger", "event",
                  "accident"):
        if text == cause or text.startswith(cause + " "):
            return cause, text[len(cause) + 1:]
    return text, ""


def flows(peaks: pd.DataFrame, ladder: Ladders, n: int) -> list[dict]:
    """The links of the flow diagram: from the stage a run had reached to its next new peak,
    by cause, with the runs that took it (every run starts at the ladder's start), most runs
    first."""
    if not len(peaks):
        return []
    runs = peaks["run"].to_numpy()
    source = np.r_[[ladder.start], peaks["to"].to_numpy()[:-1]].astype(object)
    source[np.r_[True, runs[1:] != runs[:-1]]] = ladder.start
    frame = pd.DataFrame({"from": source, "to": peaks["to"].to_numpy(),
                          "cause": peaks["cause"].to_numpy(), "by": peaks["by"].to_numpy()})
    grouped = frame.groupby(["from", "to", "cause", "by"], sort=False).size()
    level = {s: i for i, s in enumerate(ladder.stages)}
    links = [{"from": f, "to": t, "cause": c, "by": b, "runs": int(k),
              "share": proportion(int(k), n)}
             for (f, t, c, b), k in zip(grouped.index.tolist(), grouped.tolist(), strict=True)]
    return sorted(links, key=lambda x: (level[x["from"]], -x["runs"], level[x["to"]]))


def classes(peak: np.ndarray, stages: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Outcome classes: the runs whose highest stage on the ladder is each stage (only the
    stages some run peaked at), lowest first."""
    return {s: np.flatnonzero(peak == s) for s in stages if (peak == s).any()}


def representative(paths: np.ndarray, peaks: pd.DataFrame, members: np.ndarray) -> dict:
    """The run of a class nearest its typical path: among the members that took the class's
    most frequent pathway, the one whose steps of those moves are nearest (sum of absolute
    differences) the members' median steps; the lowest run number among ties."""
    values, counts = np.unique(paths[members].astype(str), return_counts=True)
    order = np.lexsort((values, -counts))
    typical = values[order[0]]
    takers = members[paths[members] == typical]
    distance = np.zeros(len(takers))
    if typical:
        steps = (peaks[peaks["run"].isin(takers)].groupby("run")["step"].apply(list))
        matrix = np.array([steps[r] for r in takers], dtype=float)
        distance = np.abs(matrix - np.median(matrix, axis=0)).sum(axis=1)
    best = int(takers[np.lexsort((takers, distance))[0]])
    return {"run": best, "path": str(typical), "takers": int(len(takers)),
            "share": proportion(int(len(takers)), int(len(members)))}
