"""Hand-built workshop records ("ladder-transcript/1") and transcripts holding them, for the
tests of `ladder debrief` (and the worked example of docs/debrief.md).

Paired rows are made from the counts of a paired 2x2 table with the library's own
Newcombe interval and McNemar test, so their numbers are consistent, as the session's are.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.analyses.stats import mcnemar_p, newcombe_paired_diff
from sim.engine.intervals import wilson

STAGES = ["peacetime", "hybrid_pressure", "border_incident", "mp_crisis", "use_of_force",
          "nuclear_use"]
N = 2000


def outlook(step: int, reached: str, p: dict[str, float], n: int = N) -> dict:
    """An outlook: P(reach) of each stage above `reached` (unlisted: 0), Wilson intervals."""
    above = STAGES[STAGES.index(reached) + 1:]
    counts = {s: round(p.get(s, 0.0) * n) for s in above}
    bounds = {s: wilson(c, n) for s, c in counts.items()}
    return {"step": step, "n": n, "reached": reached,
            "p": {s: counts[s] / n for s in above},
            "lo": {s: bounds[s][0] for s in above}, "hi": {s: bounds[s][1] for s in above}}


def row(stage: str, both: int, only_a: int, only_b: int, n: int = N,
        already: bool = False) -> dict:
    """A paired row from its 2x2 table: runs reaching the stage in both ensembles, only
    under the policy, only with the change."""
    lo, hi = newcombe_paired_diff(both, only_a, only_b, n - both - only_a - only_b)
    pa, pb = (both + only_a) / n, (both + only_b) / n
    return {"stage": stage, "pa": pa, "pb": pb, "diff": pb - pa, "lo": lo, "hi": hi,
            "p": mcnemar_p(only_a, only_b), "already": already}


def rows(reached: str, tables: dict[str, tuple[int, int, int]], n: int = N) -> list[dict]:
    """Every stage's row: reached ones `already`, the others from `tables` (default none)."""
    top = STAGES.index(reached)
    return [row(s, n, 0, 0, n, True) if i <= top else row(s, *tables.get(s, (0, 0, 0)), n)
            for i, s in enumerate(STAGES)]


def decision(step: int, stage: str, chosen: str, why: str,
             options: dict[str, tuple[float, dict[str, tuple[int, int, int]]]],
             actor: str = "warsaw", how: str = "chosen", n: int = N) -> dict:
    """A decision point: per legal option, its policy share and its paired tables."""
    return {"kind": "decision", "step": step, "actor": actor, "stage": stage,
            "chosen": chosen, "how": how, "why": why, "n": n,
            "options": [{"action": a, "share": share, "rows": rows(stage, tables, n)}
                        for a, (share, tables) in options.items()]}


def turn(step: int, before: str, after: str, why: str, moves: list[tuple[str, str, str, str]],
         out: dict | None, events: tuple[str, ...] = ()) -> dict:
    return {"kind": "turn", "step": step, "stage_before": before, "stage_after": after,
            "stage_why": why, "events": list(events),
            "moves": [{"actor": a, "action": x, "how": h, "why": w} for a, x, h, w in moves],
            "outlook": out}


def record(log: list[dict], seed: int = 3, end: tuple[int, str, str] = (5, "border_incident",
           "border_incident"), scenario: str = "belarus-poland-2024-tension",
           players: tuple[str, ...] = ("warsaw",)) -> dict:
    return {"format": "ladder-transcript/1",
            "scenario": {"id": scenario, "title": "Belarus-Poland border, one tension number",
                         "ladder": "belarus-2024"},
            "seed": seed, "players": list(players), "stage_ids": STAGES, "outlook_runs": N,
            "draws": "fresh", "turn_steps": 1, "log": log,
            "end": {"step": end[0], "stage": end[1], "peak": end[2], "ended": "quit"}}


def markdown(rec: dict, before: str = "") -> str:
    """A transcript: some markdown, then the record's section last."""
    return (f"# Workshop debrief: {rec['scenario']['title']}\n\n{before}"
            "## The session, in order\n\n(turns...)\n\n## Record\n\n```json\n"
            + json.dumps(rec, indent=1) + "\n```\n")


def write(path: Path, rec: dict) -> Path:
    path.write_text(markdown(rec), encoding="utf-8")
    return path


def room_one() -> dict:
    """Warsaw hardens early; Control injects an incident; Article 4 at the border incident;
    later the team hardens where a protest would have lowered P(reach use_of_force)."""
    hp, bi = "hybrid_pressure", "border_incident"
    return record([
        {"kind": "start", "step": 0, "stage": hp,
         "outlook": outlook(0, hp, {bi: 0.62, "mp_crisis": 0.18, "use_of_force": 0.03})},
        decision(0, hp, "harden", "show resolve at the border", {
            "hold": (0.40, {bi: (1240, 0, 0), "mp_crisis": (360, 0, 0),
                            "use_of_force": (60, 0, 0)}),
            "harden": (0.30, {bi: (1230, 10, 90), "mp_crisis": (350, 10, 60),
                              "use_of_force": (58, 2, 14)}),
            "diplomatic_protest": (0.30, {bi: (1150, 90, 10), "mp_crisis": (300, 60, 0),
                                          "use_of_force": (52, 8, 4)})}),
        turn(1, hp, hp, "tension 3.10 < up 5; above down 1",
             [("minsk", "push_migrants", "policy", ""),
              ("warsaw", "harden", "chosen", "show resolve at the border")],
             outlook(1, hp, {bi: 0.66, "mp_crisis": 0.22, "use_of_force": 0.04})),
        {"kind": "control", "step": 1, "power": "inject", "what": "tension +2",
         "why": "a reported shooting at the crossing (exercise inject 3)",
         "outlook_before": outlook(1, hp, {bi: 0.66, "mp_crisis": 0.22, "use_of_force": 0.04}),
         "outlook_after": outlook(1, hp, {bi: 0.85, "mp_crisis": 0.35, "use_of_force": 0.07})},
        turn(2, hp, bi, "MOVE hybrid_pressure -> border_incident by threshold (tension 5.30 "
             ">= up 5)", [("minsk", "stage_incident", "policy", ""),
                          ("warsaw", "hold", "policy", "")],
             outlook(2, bi, {"mp_crisis": 0.40, "use_of_force": 0.08}),
             events=("Buffer zone reinstated",)),
        decision(2, bi, "request_article4", "allies must be in the room", {
            "hold": (0.15, {"mp_crisis": (800, 0, 20), "use_of_force": (160, 0, 10)}),
            "harden": (0.38, {"mp_crisis": (790, 10, 90), "use_of_force": (155, 5, 25)}),
            "diplomatic_protest": (0.45, {"mp_crisis": (700, 100, 20),
                                          "use_of_force": (140, 20, 0)}),
            "request_article4": (0.02, {"mp_crisis": (640, 160, 20),
                                        "use_of_force": (118, 42, 2)})}),
        {"kind": "fork", "step": 2, "change": "warsaw plays open_checkpoint this turn",
         "why": "what if we de-escalate?", "n": N,
         "rows": rows(bi, {"mp_crisis": (600, 200, 10), "use_of_force": (120, 40, 0)})},
        turn(3, bi, bi, "tension 6.00 < up 9; above down 3",
             [("minsk", "push_migrants", "policy", ""),
              ("warsaw", "request_article4", "chosen", "allies must be in the room")],
             outlook(3, bi, {"mp_crisis": 0.30, "use_of_force": 0.05})),
        {"kind": "note", "step": 3, "text": "Branch point after_art4 saved at step 3"},
        decision(3, bi, "harden", "hold the line", {
            "hold": (0.15, {"mp_crisis": (600, 0, 0), "use_of_force": (100, 0, 0)}),
            "harden": (0.38, {"mp_crisis": (600, 0, 60), "use_of_force": (98, 2, 18)}),
            "diplomatic_protest": (0.45, {"mp_crisis": (560, 40, 0),
                                          "use_of_force": (78, 22, 2)}),
            "request_article4": (0.02, {"mp_crisis": (590, 10, 0),
                                        "use_of_force": (94, 6, 0)})}),
        turn(4, bi, bi, "tension 6.40 < up 9; above down 3",
             [("minsk", "push_migrants", "policy", ""),
              ("warsaw", "harden", "chosen", "hold the line")],
             outlook(4, bi, {"mp_crisis": 0.33, "use_of_force": 0.06})),
        turn(5, bi, bi, "tension 6.10 < up 9; above down 3",
             [("minsk", "push_migrants", "policy", ""),
              ("warsaw", "diplomatic_protest", "policy", "")],
             outlook(5, bi, {"mp_crisis": 0.31, "use_of_force": 0.055})),
    ])


def room_two() -> dict:
    """Another room, another seed: a protest early, then two decisions at the incident."""
    hp, bi = "hybrid_pressure", "border_incident"
    same = {"hold": (0.15, {"use_of_force": (150, 0, 0)}),
            "harden": (0.38, {"use_of_force": (145, 5, 15)}),
            "diplomatic_protest": (0.45, {"use_of_force": (130, 20, 0)}),
            "request_article4": (0.02, {"use_of_force": (120, 30, 0)})}
    return record([
        {"kind": "start", "step": 0, "stage": hp,
         "outlook": outlook(0, hp, {bi: 0.60, "mp_crisis": 0.17, "use_of_force": 0.03})},
        decision(0, hp, "diplomatic_protest", "talk first", {
            "hold": (0.40, {"use_of_force": (60, 0, 0)}),
            "harden": (0.30, {"use_of_force": (58, 2, 10)}),
            "diplomatic_protest": (0.30, {"use_of_force": (55, 5, 0)})}),
        turn(1, hp, bi, "MOVE hybrid_pressure -> border_incident by trigger (minsk "
             "stage_incident)", [("minsk", "stage_incident", "policy", ""),
                                 ("warsaw", "diplomatic_protest", "chosen", "talk first")],
             outlook(1, bi, {"mp_crisis": 0.35, "use_of_force": 0.075})),
        decision(1, bi, "diplomatic_protest", "keep talking", same),
        turn(2, bi, bi, "tension 5.50 < up 9; above down 3",
             [("warsaw", "diplomatic_protest", "chosen", "keep talking")],
             outlook(2, bi, {"mp_crisis": 0.30, "use_of_force": 0.07})),
        decision(2, bi, "harden", "they did not listen", {
            "hold": (0.15, {"use_of_force": (140, 0, 0)}),
            "harden": (0.38, {"use_of_force": (135, 5, 15)}),
            "diplomatic_protest": (0.45, {"use_of_force": (120, 20, 0)}),
            "request_article4": (0.02, {"use_of_force": (110, 30, 0)})}),
        turn(3, bi, bi, "tension 6.20 < up 9; above down 3",
             [("warsaw", "harden", "chosen", "they did not listen")],
             outlook(3, bi, {"mp_crisis": 0.36, "use_of_force": 0.08})),
    ], seed=4, end=(3, bi, bi))
