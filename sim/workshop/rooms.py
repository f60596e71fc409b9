"""Several rooms that played the same scenario, side by side (`ladder debrief T1.md T2.md`).

For each played actor and each stage a team decided at: how often the rooms chose each move
(count, share with its Wilson 95% interval, n decisions) against the policy's share there
(the mean of the policy's shares at those decision points, since modifiers can change the
weights between points), and a chi-square goodness-of-fit test of the choices against those
shares when every expected count is at least 5. Also how each played actor's moves came
(the team's pick, the policy, standing orders, Control), from the turns.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from ..engine.intervals import wilson
from ..errors import InputError
from ..format.access import shown
from .hotwash import hot_wash
from .record_read import Transcript, read_transcript

MIN_EXPECTED = 5  # the usual floor of each expected count for the chi-square approximation
HOWS = ("chosen", "policy", "standing", "forced", "vetoed", "argued")


def debrief(paths: list[str], stage: str | None = None) -> dict:
    """The debrief of one or several transcripts: each room's hot wash, and with several
    rooms the aggregation.

    Raises:
        InputError: a file cannot be read or is not a transcript record, a file is given
            twice, the records are of different scenarios, or `stage` is not a stage.
    """
    rooms = [read_transcript(p) for p in paths]
    check_rooms(rooms)
    return {"format": "ladder-debrief/1", "stage": stage,
            "rooms": [{"file": str(t.path), **hot_wash(t.record, stage)} for t in rooms],
            "aggregation": aggregate(rooms) if len(rooms) > 1 else None}


def check_rooms(rooms: list[Transcript]) -> None:
    """Several rooms must be records of one scenario (seeds may differ), each file once."""
    seen: dict[object, Transcript] = {}
    for t in rooms:
        try:
            key: object = t.path.resolve()
        except OSError:
            key = t.path
        if key in seen:
            raise InputError(f"{shown(t.path)}: given twice (as {shown(seen[key].path)}); each "
                             "room's transcript counts once")
        seen[key] = t
    first = rooms[0]
    for t in rooms[1:]:
        a, b = first.record["scenario"]["id"], t.record["scenario"]["id"]
        if a != b:
            raise InputError(f"{shown(t.path)} is a record of scenario '{b}' but "
                             f"{shown(first.path)} is of '{a}': rooms are aggregated only "
                             "over one scenario (different seeds are fine)")


def aggregate(rooms: list[Transcript]) -> dict:
    """The rooms' choices per played actor and stage against the policy, and how each
    played actor's moves came."""
    # (actor, stage) -> one (room index, chosen, {action: share}) per decision point
    points: dict[tuple[str, str], list[tuple[int, str, dict[str, float]]]] = defaultdict(list)
    how: dict[str, Counter] = defaultdict(Counter)
    played_in: dict[str, set[int]] = defaultdict(set)
    for r, t in enumerate(rooms):
        players = set(t.record["players"])
        for e in t.record["log"]:
            if e["kind"] == "decision":
                shares = {o["action"]: o["share"] for o in e["options"]}
                points[(e["actor"], e["stage"])].append((r, e["chosen"], shares))
                played_in[e["actor"]].add(r)
            elif e["kind"] == "turn":
                for m in e["moves"]:
                    if m["actor"] in players:
                        how[m["actor"]][m["how"]] += 1
                        played_in[m["actor"]].add(r)
    stage_ids = rooms[0].record["stage_ids"]
    actors = sorted(played_in)
    return {"rooms": len(rooms), "min_expected": MIN_EXPECTED,
            "actors": [{"actor": a, "rooms": len(played_in[a]),
                        "stages": [stage_choices(a, s, points[(a, s)]) for s in stage_ids
                                   if (a, s) in points],
                        "how": {**{k: how[a][k] for k in HOWS},
                                **{k: v for k, v in sorted(how[a].items()) if k not in HOWS}}}
                       for a in actors]}


def stage_choices(actor: str, stage: str,
                  points: list[tuple[int, str, dict[str, float]]]) -> dict:
    """One actor's decisions at one stage across the rooms, against the policy's shares."""
    n = len(points)
    legal = sorted({a for _, _, shares in points for a in shares})
    policy = {a: sum(shares.get(a, 0.0) for _, _, shares in points) / n for a in legal}
    counts = Counter(chosen for _, chosen, _ in points)
    moves = []
    for a in sorted(legal, key=lambda a: (-counts[a], -policy[a], a)):
        lo, hi = wilson(counts[a], n)
        moves.append({"action": a, "count": counts[a], "share": counts[a] / n, "lo": lo,
                      "hi": hi, "policy_share": policy[a]})
    outside = n - sum(counts[a] for a in legal)  # argued moves outside the repertoire
    lo, hi = wilson(outside, n)
    per_room = Counter(r for r, _, _ in points)
    return {"actor": actor, "stage": stage, "n": n, "rooms": len(per_room),
            "several_in_a_room": max(per_room.values()) > 1, "moves": moves,
            "outside_repertoire": {"count": outside, "share": outside / n, "lo": lo, "hi": hi},
            "test": fit_test([counts[a] for a in legal], [policy[a] for a in legal])}


def fit_test(counts: list[int], shares: list[float]) -> dict:
    """Chi-square goodness of fit of counts to shares, when every expected count is at
    least MIN_EXPECTED; else why there is no test."""
    kept = [(c, s) for c, s in zip(counts, shares, strict=True) if c or s > 0]
    n = sum(c for c, _ in kept)
    if n == 0 or len(kept) < 2:
        return {"method": None, "reason": "only one legal move: nothing to test"
                if n else "no decision among the legal moves: nothing to test"}
    unweighted = [c for c, s in kept if s <= 0]
    if unweighted:
        return {"method": None, "reason": f"the policy gives no weight to a move the rooms "
                f"chose ({sum(unweighted)} decisions): a departure no test is needed for"}
    total = sum(s for _, s in kept)
    expected = [n * s / total for _, s in kept]
    if min(expected) < MIN_EXPECTED:
        return {"method": None, "smallest_expected": min(expected),
                "reason": f"too few decisions to test (smallest expected count "
                          f"{min(expected):.1f}; the chi-square test needs {MIN_EXPECTED} "
                          "in each)"}
    from scipy import stats

    result = stats.chisquare([c for c, _ in kept], expected)
    return {"method": "chi-square goodness of fit", "statistic": float(result.statistic),
            "df": len(kept) - 1, "p": float(result.pvalue), "n": n,
            "smallest_expected": min(expected)}
