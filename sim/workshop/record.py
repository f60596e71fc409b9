"""The machine-readable record of a workshop session, kept in its transcript.

`record` turns a session's log into one JSON-ready dict (format "ladder-transcript/1"),
which the transcript carries in its last section (sim/workshop/debrief.py) and
`ladder debrief` reads back (sim/workshop/record_read.py). Its fields are described in
docs/debrief.md. Like the transcript, nothing in it depends on the clock or the machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..analyses.outlook import ForkResult, Outlook
from .entries import ControlAct, Decision, Turn

if TYPE_CHECKING:
    from .session import Session

FORMAT = "ladder-transcript/1"
ROW_KEYS = ("stage", "pa", "pb", "diff", "lo", "hi", "p", "already")


def outlook_record(f: Outlook | None) -> dict | None:
    """An outlook: P(reach) per stage with its Wilson 95% interval, n, the stage reached."""
    if f is None:
        return None
    rows = f.rows()
    return {"step": f.step, "n": f.n, "reached": f.stage_ids[f.reached],
            "p": {r["stage"]: round(r["p"], 6) for r in rows},
            "lo": {r["stage"]: round(r["lo"], 6) for r in rows},
            "hi": {r["stage"]: round(r["hi"], 6) for r in rows}}


def rows_record(rows: list[dict]) -> list[dict]:
    """Paired rows (`sim.analyses.outlook.paired_rows`), rounded for the file."""
    return [{k: (round(r[k], 6) if isinstance(r[k], float) else r[k]) for k in ROW_KEYS}
            for r in rows]


def turn_record(session: Session, turn: Turn) -> dict:
    moves = [{"actor": actor, "action": action, "how": turn.how.get(actor, "policy"),
              "why": turn.reasons.get(actor, "")} for actor, action in turn.note.actions.items()]
    argued = [{"actor": a.actor, "text": a.text, "p": a.p, "roll": a.roll,
               "success": a.success, "effects": [list(e) for e in a.effects],
               "as": a.stand_in, "why": a.why} for a in turn.argued]
    return {"kind": "turn", "step": turn.step, "stage_before": turn.stage_before,
            "stage_after": turn.stage_after, "stage_why": turn.why,
            "events": list(turn.note.events), "moves": moves, "argued": argued,
            "outlook": outlook_record(turn.outlook)}


def entry_record(session: Session, entry) -> dict:
    """One entry of the session's log as a dict."""
    if isinstance(entry, Turn):
        return turn_record(session, entry)
    if isinstance(entry, Decision):
        return {"kind": "decision", "step": entry.step, "actor": entry.actor,
                "stage": entry.stage, "chosen": entry.chosen, "how": entry.how,
                "why": entry.why, "n": entry.n,
                "options": [{"action": a, "share": round(share, 6), "rows": rows_record(rows)}
                            for a, share, rows in entry.options]}
    if isinstance(entry, ControlAct):
        return {"kind": "control", "step": entry.step, "power": entry.power,
                "what": entry.what, "why": entry.why,
                "outlook_before": outlook_record(entry.before),
                "outlook_after": outlook_record(entry.after)}
    if isinstance(entry, ForkResult):
        return {"kind": "fork", "step": entry.step, "change": entry.change.describe(),
                "why": entry.why, "n": entry.base.n, "rows": rows_record(entry.rows)}
    return {"kind": "note", "step": None, "text": str(entry)}  # `record` fills in the step


def record(session: Session, ended: str) -> dict:
    """The whole session as one JSON-ready dict (format "ladder-transcript/1")."""
    sc, model = session.scenario, session.model
    start = session.line[0]
    log = [{"kind": "start", "step": 0, "stage": sc.start,
            "outlook": outlook_record(start.outlook)}]
    for entry in session.log:
        log.append(entry_record(session, entry))
        if log[-1]["step"] is None:  # a note: at the step of the entry before it
            log[-1]["step"] = log[-2]["step"]
    return {"format": FORMAT,
            "scenario": {"id": sc.id, "title": sc.title, "ladder": sc.ladder.id},
            "seed": session.seed, "players": list(session.players),
            "stage_ids": list(sc.ladder.stage_ids), "outlook_runs": session.outlook_runs,
            "draws": session.draws,
            "turn_steps": session.turn_steps or "decision",
            "log": log,
            "end": {"step": session.t, "stage": session.stage,
                    "peak": sc.ladder.stage_ids[int(model.peak[0])], "ended": ended}}
