"""Every stage move of every kept run, with its step and cause: `moves.csv` and
`RunResult.moves` (docs/results.md, moves.csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..format.scenario import Scenario
from .notes import RULE_NAMES, cause_text
from .outcomes import CHUNK, MOVE_COLUMNS, Totals

# moves.csv's columns and their dtypes (the stages, causes and names as strings, also when
# there is no move: `sim.load_results` reads them back so)
DTYPES = {"run": "int64", "step": "int64", "ladder": "str", "from": "str", "to": "str",
          "cause": "str", "by": "str"}


def moves_table(scenario: Scenario, totals: Totals) -> pd.DataFrame:
    """One row per stage move, in run order then step order: run, step, ladder (its key),
    from, to, cause (`threshold up`, `threshold down`, `trigger`, `joint decision`,
    `event`, `accident`) and by (the actor's action for a trigger or joint decision, the
    event's name, the hazard's description or `hazards[i]`; empty for a threshold). Every
    chunk's rows (`chunk_moves_frame`), in chunk order."""
    frames = [chunk_moves_frame(scenario, k, p["moves"])
              for k, p in zip(totals.chunks, totals.per_run, strict=True)]
    frames = [f for f in frames if len(f)] or frames[:1]  # concat warns of empty frames
    if not frames:
        return chunk_moves_frame(scenario, 0, np.zeros((0, len(MOVE_COLUMNS)), np.int64))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def chunk_moves_frame(scenario: Scenario, index: int, log: np.ndarray) -> pd.DataFrame:
    """Chunk `index`'s rows of `moves_table`, from its move log (`MOVE_COLUMNS`)."""
    keys = [scenario.key] + [c.key for c in scenario.coupled]
    ladders = [scenario.ladder] + [c.ladder for c in scenario.coupled]
    moves = np.column_stack([log[:, 0] + index * CHUNK, log[:, 1:]]) if len(log) else log
    col = {name: moves[:, i] for i, name in enumerate(MOVE_COLUMNS)}
    order = np.lexsort((col["ladder"], col["step"], col["run"]))
    col = {name: values[order] for name, values in col.items()}
    stage_from = np.empty(len(order), dtype=object)
    stage_to = np.empty(len(order), dtype=object)
    for k, ladder in enumerate(ladders):
        ids, on = np.array(ladder.stage_ids, dtype=object), col["ladder"] == k
        stage_from[on], stage_to[on] = ids[col["from"][on]], ids[col["to"][on]]
    # who or what: one lookup per distinct (ladder, rule, cause)
    triples, which = np.unique(np.column_stack([col["ladder"], col["rule"], col["cause"]]),
                               axis=0, return_inverse=True)
    by = np.array([cause_text(scenario, keys[lad], rule, cause)
                   for lad, rule, cause in triples.tolist()] or [""], dtype=object)
    return pd.DataFrame({
        "run": col["run"].astype(np.int64), "step": col["step"].astype(np.int64),
        "ladder": np.array(keys, dtype=object)[col["ladder"]], "from": stage_from,
        "to": stage_to, "cause": np.array([RULE_NAMES.get(r, "") for r in col["rule"]],
                                          dtype=object),
        "by": by[which.reshape(-1)] if len(order) else by[:0]}).astype(DTYPES)

