"""One room's hot wash, computed from its transcript record (`ladder debrief T.md`).

The hot wash is data (a dict that `--json` prints as it is): the headline, the team's
departures from policy at each decision point, the missed off-ramps, the largest swings of
the outlook with what happened in between, and Control's judgements. Every probability keeps
its interval and n. `sim.workshop.hotwash_text` turns it into terminal text and markdown.
"""

from __future__ import annotations

from ..engine.intervals import wilson
from ..errors import InputError

ASSUMPTIONS = "Distributions under the scenario's stated assumptions, not predictions"
DRAWS = {"fresh": "each outlook run draws the scenario's uncertain numbers afresh",
         "run": "outlook runs keep the uncertain numbers drawn for the played run"}
TOP = 5  # the missed off-ramps and swings listed


def hot_wash(record: dict, stage: str | None = None, top: int = TOP) -> dict:
    """The hot wash of one record; `stage` the stage watched (default: per decision point,
    the highest stage not yet reached that any option can reach).

    Raises:
        InputError: `stage` is not one of the record's stages.
    """
    stage_ids = record["stage_ids"]
    if stage is not None and stage not in stage_ids:
        raise InputError(f"--stage {stage}: not a stage of ladder {record['scenario']['ladder']}"
                         f"; expected one of {', '.join(stage_ids)}")
    decisions = [decision_view(e, stage_ids, stage) for e in record["log"]
                 if e["kind"] == "decision"]
    watched = stage or watched_stage(record)
    return {"headline": headline(record, watched),
            "departures": sorted(decisions, key=_departure_rank),
            "missed_offramps": missed_offramps(decisions)[:top],
            "swings": swings(record, watched)[:top],
            "judgements": judgements(record, watched)}


def headline(record: dict, watched: str | None) -> dict:
    """Who played what, how it ended, and on what assumptions."""
    log = record["log"]
    return {"scenario": record["scenario"], "seed": record["seed"],
            "players": record["players"], "turn_steps": record["turn_steps"],
            "turns": sum(1 for e in log if e["kind"] == "turn"),
            "decisions": sum(1 for e in log if e["kind"] == "decision"),
            "control_acts": sum(1 for e in log if e["kind"] == "control"),
            "forks": sum(1 for e in log if e["kind"] == "fork"),
            "end": record["end"], "outlook_runs": record["outlook_runs"],
            "draws": record["draws"],
            "assumptions": f"{ASSUMPTIONS}; {DRAWS.get(record['draws'], record['draws'])}",
            "watched": watched}


# -- decision points ---------------------------------------------------------------------------

def proportion(p: float, n: int) -> dict:
    """A share of n runs with its Wilson 95% interval."""
    lo, hi = wilson(round(p * n), n)
    return {"p": p, "lo": lo, "hi": hi, "n": n}


def decision_watch(entry: dict, stage_ids: list[str], stage: str | None) -> str | None:
    """The stage a decision point is read at: `stage`, else the highest stage not yet
    reached where the policy base or any option has a positive probability (None: none)."""
    rows = [r for o in entry["options"] for r in o["rows"] if not r["already"]]
    if stage is not None:
        return stage if any(r["stage"] == stage for r in rows) else None
    live = {r["stage"] for r in rows if r["pa"] > 0 or r["pb"] > 0}
    return next((s for s in reversed(stage_ids) if s in live), None)


def _row(option: dict, stage: str | None) -> dict | None:
    return next((r for r in option["rows"] if r["stage"] == stage), None)


def compared(option: dict, stage: str | None, n: int) -> dict | None:
    """One option at the watched stage: base and forced P(reach), the paired difference."""
    row = _row(option, stage)
    if row is None or row["already"]:
        return None
    return {"action": option["action"], "share": option["share"],
            "base": proportion(row["pa"], n), "with": proportion(row["pb"], n),
            "diff": row["diff"], "lo": row["lo"], "hi": row["hi"], "p": row["p"],
            "clear": row["lo"] > 0 or row["hi"] < 0}


def decision_view(entry: dict, stage_ids: list[str], stage: str | None) -> dict:
    """A decision point as the hot wash reads it: the team's move and every option at the
    watched stage."""
    watched = decision_watch(entry, stage_ids, stage)
    options = [c for o in entry["options"] if (c := compared(o, watched, entry["n"]))]
    chosen = next((c for c in options if c["action"] == entry["chosen"]), None)
    share = next((o["share"] for o in entry["options"] if o["action"] == entry["chosen"]),
                 None)
    return {"step": entry["step"], "actor": entry["actor"], "stage": entry["stage"],
            "chosen": entry["chosen"], "how": entry["how"], "why": entry["why"],
            "share": share, "n": entry["n"], "watched": watched, "effect": chosen,
            "options": options}


def _departure_rank(d: dict) -> tuple:
    effect = d["effect"]
    return (effect is None, -abs(effect["diff"]) if effect else 0.0, d["step"])


def missed_offramps(decisions: list[dict]) -> list[dict]:
    """Per decision point, the legal option that lowers P(reach the watched stage) most,
    when the team chose another; most lowering first."""
    found = []
    for d in decisions:
        if not d["options"]:
            continue
        best = min(d["options"], key=lambda c: c["diff"])
        if best["diff"] >= 0 or best["action"] == d["chosen"]:
            continue
        found.append({"step": d["step"], "actor": d["actor"], "stage": d["stage"],
                      "watched": d["watched"], "n": d["n"], "option": best,
                      "chosen": d["chosen"], "chosen_effect": d["effect"]})
    return sorted(found, key=lambda m: (m["option"]["diff"], m["step"]))


# -- the outlook between turns -----------------------------------------------------------------

def _outlooks(record: dict) -> list[tuple[int, dict]]:
    """(index in the log, outlook) of every entry that leaves an outlook behind it."""
    found = []
    for i, e in enumerate(record["log"]):
        o = e.get("outlook_after") if e["kind"] == "control" else e.get("outlook")
        if e["kind"] in ("start", "turn", "control") and o is not None:
            found.append((i, o))
    return found


def reach(outlook: dict, stage: str, stage_ids: list[str]) -> dict:
    """P(reach `stage`) in an outlook, with its interval and n (reached: p = 1)."""
    if stage_ids.index(stage) <= stage_ids.index(outlook["reached"]):
        return {"p": 1.0, "lo": 1.0, "hi": 1.0, "n": outlook["n"], "reached": True}
    return {"p": outlook["p"][stage], "lo": outlook["lo"][stage], "hi": outlook["hi"][stage],
            "n": outlook["n"], "reached": False}


def watched_stage(record: dict) -> str | None:
    """The stage the swings and Control's acts are read at: the highest stage with a
    positive P(reach) in an outlook that had not reached it (None: no outlook)."""
    stage_ids = record["stage_ids"]
    outlooks = [o for _, o in _outlooks(record)]
    outlooks += [e["outlook_before"] for e in record["log"]
                 if e["kind"] == "control" and e.get("outlook_before")]
    for s in reversed(range(len(stage_ids))):
        if any(s > stage_ids.index(o["reached"]) and o["p"][stage_ids[s]] > 0
               for o in outlooks):
            return stage_ids[s]
    return stage_ids[-1] if outlooks else None


def swings(record: dict, stage: str | None) -> list[dict]:
    """The change in P(reach `stage`) between consecutive outlooks, largest first, with the
    entries in between as its causes."""
    if stage is None:
        return []
    log, stage_ids = record["log"], record["stage_ids"]
    found = []
    pairs = _outlooks(record)
    for (i, a), (j, b) in zip(pairs, pairs[1:], strict=False):
        before, after = reach(a, stage, stage_ids), reach(b, stage, stage_ids)
        found.append({"from_step": a["step"], "from": log[i]["kind"], "to_step": b["step"],
                      "to": log[j]["kind"], "stage": stage,
                      "before": before, "after": after, "change": after["p"] - before["p"],
                      "causes": [c for e in log[i + 1:j + 1]
                                 for c in causes(e, record["players"])]})
    return sorted(found, key=lambda s: (-abs(s["change"]), s["from_step"]))


def causes(entry: dict, players: list[str]) -> list[str]:
    """What an entry did to the played run, in words: events, the played actors' moves and
    any move that was not the policy's, stage moves, Control's acts and notes (a decision
    point's move is in the turn that plays it; forks change nothing in the played run)."""
    kind, step = entry["kind"], entry["step"]
    if kind == "turn":
        out = [f"step {step}: event {name}" for name in entry["events"]]
        out += [f"step {step}: {m['actor']} {m['action']} ({m['how']}"
                + (f"; why: {m['why']}" if m["why"] else "") + ")"
                for m in entry["moves"] if m["actor"] in players or m["how"] != "policy"]
        if entry["stage_before"] != entry["stage_after"]:
            out.append(f"step {step}: stage {entry['stage_before']} -> {entry['stage_after']}"
                       f": {entry['stage_why']}")
        return out
    if kind == "control":
        return [f"step {step}: Control {entry['power']}: {entry['what']} (Control's "
                f"judgement: {entry['why'] or 'no reason given'})"]
    if kind == "note":
        return [f"step {step}: {entry['text']}"]
    return []


def judgements(record: dict, stage: str | None) -> list[dict]:
    """Every act of Control, with its reason and the outlook around it at `stage`."""
    out = []
    for e in record["log"]:
        if e["kind"] != "control":
            continue
        around = {key: reach(e[key], stage, record["stage_ids"])
                  if stage is not None and e.get(key) else None
                  for key in ("outlook_before", "outlook_after")}
        out.append({"step": e["step"], "power": e["power"], "what": e["what"],
                    "why": e["why"], "stage": stage, "before": around["outlook_before"],
                    "after": around["outlook_after"]})
    return out
