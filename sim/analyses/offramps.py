"""Off-ramps: at each stage below an outcome, what each actor's legal move there does to the
chance of reaching it.

Positions are real: the first `positions` runs of the ensemble's first chunk (the same runs
as rows 0 onwards of runs.csv, same seed) to enter each stage, at the step they enter it
(runs at the start stage: at step 0). From each position the run is forked into `fork_runs`
runs that follow every actor's policy (the base) and, for each actor's action allowed there,
into `fork_runs` runs where that actor takes that action next step, drawn from the same seed
as the base (common random numbers: run i of a branch and of the base share their random
numbers). This is `play`'s fork (`sim.analyses.outlook.ensemble`, `EscalationModel.force`).
Pairs pool over positions; the difference branch - base in P(reaching the outcome by the
horizon) has Newcombe's paired 95% interval and an exact McNemar p-value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..engine.agents import PopulationAgent
from ..engine.model import EscalationModel
from ..engine.outcomes import CHUNK
from ..format.scenario import Scenario
from .outlook import Change, Outlook, ensemble
from .pathways import ladder_info
from .stats import mcnemar_p, newcombe_paired_diff

FORK_RUNS = 400
POSITIONS = 3
METHOD = ("paired forks (common random numbers) from real positions of the ensemble; "
          "Newcombe's paired 95% interval, exact McNemar test")


def offramps(scenario: Scenario, seed: int, runs: int, key: str, outcome: str,
             fork_runs: int = FORK_RUNS, positions: int = POSITIONS,
             tick: Callable[[], object] | None = None) -> dict:
    """The move-value table of every stage from the ladder's start up to the outcome's.

    Args:
        scenario, seed, runs: the ensemble (its first chunk gives the positions).
        key, outcome: the outcome's ladder key and stage.
        fork_runs: runs per fork (per position, per move).
        positions: positions per stage.
        tick: called once per fork (a progress bar).
    """
    model = EscalationModel(scenario, n=min(runs, CHUNK),
                            rng=np.random.SeedSequence(seed).spawn(1)[0])
    track = next(t for t in model.tracks if t.key == key)
    stages = track.ladder.stage_ids
    target, start = stages.index(outcome), stages.index(ladder_info(scenario, key).start)
    wanted = list(range(start, target))
    found: dict[int, list[tuple[int, int]]] = {s: [] for s in wanted}
    tables: dict[int, list[dict]] = {}
    seen = np.zeros((len(stages), model.n), dtype=bool)
    try:
        while True:
            for s in wanted:
                if len(found[s]) >= positions:
                    continue
                new = np.flatnonzero((track.stage == s) & ~seen[s] & (track.peak < target)
                                     & model.active)
                for run in new[: positions - len(found[s])]:
                    found[s].append((int(run), model.t))
                    _fork_all(model, int(run), key, target, fork_runs, seed, s,
                              len(found[s]) - 1, tables.setdefault(s, []), tick)
            seen[np.clip(track.stage, 0, len(stages) - 1), np.arange(model.n)] = True
            if not model.running or all(len(found[s]) >= positions for s in wanted):
                break
            model.step()
    finally:
        model.release()
    return {"ladder": key, "outcome": outcome, "fork_runs": fork_runs, "method": METHOD,
            "stages": [_stage_entry(scenario, stages[s], found[s], tables.get(s, []))
                       for s in wanted]}


def _fork_all(model: EscalationModel, run: int, key: str, target: int, n: int, seed: int,
              stage: int, position: int, rows: list[dict],
              tick: Callable[[], object] | None) -> None:
    """The base fork and one fork per legal move of every actor from one position; the
    paired counts added into `rows` (one row per actor and action, pooled over positions)."""
    fork_seed = np.random.SeedSequence([seed, 15, stage, position])
    base = _reached(ensemble(model, n, fork_seed, None, run), key, target)
    if tick:
        tick()
    main_stage = int(model.stage[run])
    i = 0
    for agent in model.actors:
        if isinstance(agent, PopulationAgent):
            continue
        shares = agent.policy_shares(run)
        for a in range(agent.n_actions):
            if not agent.allowed[a, main_stage]:
                continue
            action = agent.actor.actions[a].id
            branch = _reached(ensemble(model, n, fork_seed,
                                       Change("action", agent.actor.id, action), run),
                              key, target)
            if tick:
                tick()
            counts = np.array([(base & branch).sum(), (base & ~branch).sum(),
                               (~base & branch).sum(), (~base & ~branch).sum()])
            found = next((r for r in rows if r["actor"] == agent.actor.id
                          and r["action"] == action), None)
            if found is None:
                found = {"actor": agent.actor.id, "action": action, "counts": np.zeros(4, int),
                         "policy_share": []}
                rows.insert(i, found)
            found["counts"] += counts
            found["policy_share"].append(float(shares[a]))
            i += 1


def _reached(outlook: Outlook, key: str, target: int) -> np.ndarray:
    peak = outlook.ladders[key].peak if key in outlook.ladders else outlook.peak
    return peak >= target


def _stage_entry(scenario: Scenario, stage: str, found: list[tuple[int, int]],
                 rows: list[dict]) -> dict:
    """A stage's positions and its move-value rows with their intervals."""
    dated = [{"run": r, "step": t, "date": _date(scenario, t)} for r, t in found]
    out_rows = []
    for r in rows:
        both, only_base, only_branch, neither = (int(x) for x in r["counts"])
        n = both + only_base + only_branch + neither
        lo, hi = newcombe_paired_diff(both, only_base, only_branch, neither)
        out_rows.append({
            "actor": r["actor"], "action": r["action"], "pairs": n,
            "p_base": (both + only_base) / n, "p_move": (both + only_branch) / n,
            "diff": (only_branch - only_base) / n, "lo": lo, "hi": hi,
            "p_value": mcnemar_p(only_base, only_branch),
            "policy_share": float(np.mean(r["policy_share"]))})
    best: dict[str, dict] = {}
    for r in out_rows:
        if r["actor"] not in best or r["diff"] < best[r["actor"]]["diff"]:
            best[r["actor"]] = r
    return {"stage": stage, "positions": dated, "moves": out_rows,
            "best": {actor: {"action": r["action"], "diff": r["diff"], "lo": r["lo"],
                             "hi": r["hi"], "clear": r["hi"] < 0}
                     for actor, r in best.items()},
            "note": "" if found else "no run of the ensemble's first chunk entered this stage"}


def _date(scenario: Scenario, step: int) -> str | None:
    date = scenario.clock.date_of(step)
    return date.isoformat() if date else None
