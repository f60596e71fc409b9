"""What must be true for a run to end where it can end (issue 15, `ladder explain`): for each
run-ending stage, the chains of rules that can carry a run from its ladder's start there,
read from the scenario alone (no simulation).

A move from stage `a` to `b` of a ladder can be made by the rules of docs/format.md,
"Semantics of one step": a threshold (`up`, `down` with its `dwell`) to a neighbour; a
chosen action's trigger (a joint decision with `requires`) along a neighbour edge or a
declared jump, where the action (and a joint decision's partner) is allowed at the main
ladder's stage and can have a weight; an event's `stage`; a hazard. Guards hold for all of
them but events, which move a run directly. A chain is a simple path (no stage twice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from ..format.actors import Action, Actor
from ..format.distributions import Dist, Number, describe
from ..format.ladder import Ladder, Stage
from ..format.scenario import Scenario

COUNT_BUDGET = 200_000  # stages visited counting the chains beyond those shown
_FLIP = {">=": "<", "<=": ">", ">": "<=", "<": ">=", "==": "!=", "!=": "=="}
_COMPARISON = re.compile(r"^\s*([\w.]+)\s*(>=|<=|==|!=|>|<)\s*([\w.+-]+)\s*$")
_NAME = re.compile(r"^\s*[\w.]+\s*$")


@dataclass(frozen=True, slots=True)
class _Track:
    """One ladder of the scenario: its key, start, the variable it reads, whether main."""

    key: str
    ladder: Ladder
    start: str
    reads: str
    main: bool
    ends_run: bool


def must_be_true(scenario: Scenario, max_chains: int = 5) -> list[dict]:
    """For each run-ending stage of each ladder (main and coupled), the chains of rules that
    can bring a run from the ladder's start to it, shortest first, at most `max_chains`.

    Returns one JSON-ready entry per stage (main ladder first, ladder order): `ladder` (key),
    `stage`, `name`, `start`, `reads` (what its thresholds and guards call tension),
    `reachable`, `chains` (each a list of steps `{from, to, edge, guard, ways}`; `edge` is
    "neighbour", "jump" (no threshold takes it) or "none" (only an event's stage moves
    there)), `more` (chains not shown) and `more_exact` (False: a search stopped at
    COUNT_BUDGET, so `more` is a lower bound; only a very dense graph of moves does that).
    """
    main = _Track(scenario.key, scenario.ladder, scenario.start, scenario.reads, True, True)
    tracks = [main] + [_Track(c.key, c.ladder, c.start, c.reads, False, c.ends_run)
                       for c in scenario.coupled]
    out = []
    for track in tracks:
        ends = [s for s in track.ladder.stages if s.absorbing and track.ends_run]
        if not ends:
            continue
        ways = _moves(scenario, track)
        graph: dict[str, list[str]] = {}
        for a, b in sorted(ways, key=lambda m: (track.ladder.index(m[0]),
                                                 track.ladder.index(m[1]))):
            graph.setdefault(a, []).append(b)
        for s in ends:
            paths, more, exact = _chains(graph, track.start, s.id, max_chains)
            chains = [[_step(track.ladder, a, b, ways[(a, b)]) for a, b in pairwise(p)]
                      for p in paths]
            out.append({"ladder": track.key, "stage": s.id, "name": s.name,
                        "start": track.start, "reads": track.reads, "reachable": bool(paths),
                        "chains": chains, "more": more, "more_exact": exact})
    return out


def _step(ladder: Ladder, a: str, b: str, ways: list[dict]) -> dict:
    edge = ladder.edge(a, b)
    kind = ("neighbour" if abs(ladder.index(a) - ladder.index(b)) == 1
            else "jump" if edge is not None else "none")
    guard = edge.guard.text if edge is not None and edge.guard is not None else None
    return {"from": a, "to": b, "edge": kind, "guard": guard, "ways": ways}


# -- the moves of one ladder and the rules that make them --------------------------------------
def _moves(scenario: Scenario, track: _Track) -> dict[tuple[str, str], list[dict]]:
    """Every move some rule can make on this ladder, with each way it can be made."""
    ladder, ids = track.ladder, track.ladder.stage_ids
    ways: dict[tuple[str, str], list[dict]] = {}
    for i, s in enumerate(ladder.stages):
        if s.absorbing:
            continue

        def add(target: str, way: dict, s: Stage = s) -> None:
            edge = ladder.edge(s.id, target)
            guard = edge.guard.text if edge is not None and edge.guard is not None else None
            ways.setdefault((s.id, target), []).append(
                {**way, "guard": None if way["kind"] == "event" else guard})

        if s.up is not None and i + 1 < len(ids):
            add(ids[i + 1], {"kind": "threshold up", "rule": _threshold(s, "up", track.reads)})
        if s.down is not None and i > 0:
            add(ids[i - 1], {"kind": "threshold down",
                             "rule": _threshold(s, "down", track.reads)})
        targets = ladder.targets(s.id)
        for actor in scenario.actors:
            for a in actor.actions:
                target = a.trigger if track.main else (
                    a.trigger_on[1] if a.trigger_on and a.trigger_on[0] == track.key else None)
                if target not in targets:
                    continue
                way = _trigger_way(scenario, actor, a, s.id if track.main else None)
                if way is not None:
                    add(target, way)
        for e in scenario.events:
            target = e.stage if track.main else (
                e.stage_on[1] if e.stage_on and e.stage_on[0] == track.key else None)
            if target is None or target == s.id or (e.at is not None
                                                    and e.at > scenario.clock.horizon):
                continue
            when = f"at step {e.at}" if e.at is not None else (
                f"when {e.when.text}" if e.when is not None else None)
            if not e.once and when is not None:
                when += " (every step it holds)"
            add(target, {"kind": "event", "event": e.name, "when": when})
        for h in scenario.hazards:
            if h.ladder == track.key and s.id in h.at and _upper(h.p) > 0:
                add(h.to, {"kind": "accident", "hazard": h.description or f"{s.id} to {h.to}",
                           "p": describe(h.p), "when": h.when.text if h.when else None})
    return ways


def _threshold(stage: Stage, key: str, reads: str) -> str:
    """`minsk.danger >= 4.5–5.5, drawn per run from uniform(4.5, 5.5)`, `tension <= 1 for 14
    steps`."""
    value, drawn = (stage.up, stage.up_drawn) if key == "up" else (stage.down, stage.down_drawn)
    if drawn is not None:
        lo, hi = drawn.bounds()
        text = f"{lo:g}–{hi:g}, drawn per run from {describe(drawn)}"
    else:
        text = f"{value:g}"
    if key == "up":
        return f"{reads} >= {text}"
    dwell = f" for {stage.dwell} steps" if stage.dwell > 1 else ""
    return f"{reads} <= {text}{dwell}"


def _trigger_way(scenario: Scenario, actor: Actor, a: Action, at: str | None) -> dict | None:
    """A trigger (or joint decision) way, None if the action (or its partner's) can never
    be chosen (at main-ladder stage `at`)."""
    can, when = _when(scenario, actor, a, at)
    if not can:
        return None
    way: dict = {"kind": "trigger", "actor": actor.id, "action": a.id, "when": when}
    if a.requires is None:
        return way
    other, action = a.requires
    partner = scenario.actor(other)
    can, partner_when = _when(scenario, partner, next(x for x in partner.actions
                                                        if x.id == action), None)
    return {**way, "kind": "joint decision", "requires": f"{other}.{action}",
            "within": a.within, "partner_when": partner_when} if can else None


# -- when an actor can choose an action --------------------------------------------------------
def _when(scenario: Scenario, actor: Actor, a: Action, at: str | None
          ) -> tuple[bool, str | None]:
    """Whether `actor` can choose `a` (at main-ladder stage `at`, or at some stage), and
    under which conditions, as text (None when nothing restricts it)."""
    ladder, key = scenario.ladder, scenario.key  # `allowed` and weights read the main ladder
    live = [s.id for s in ladder.stages if not s.absorbing]
    allowed = [s for s in live if a.allowed is None or s in a.allowed]
    weighted = [s for s in allowed if _upper(actor.policy.weight(s, a.id)) > 0]
    given: dict[str, list[str]] = {}  # stage -> events that give the action a weight there
    for e in scenario.events:
        for path, value in e.set.items():
            if _upper(value) <= 0:
                continue
            prefix = f"actors.{actor.id}.policy."
            if path == f"{prefix}weights.{a.id}":
                stages = [s for s in allowed if a.id not in actor.policy.stages.get(s, {})]
            else:
                stages = [s for s in allowed if path == f"{prefix}stages.{s}.{a.id}"]
            for s in stages:
                given.setdefault(s, []).append(e.name)
    possible = [s for s in allowed if s in weighted or s in given]
    if not possible or (at is not None and at not in possible):
        return False, None
    parts = []
    if possible != live:
        parts.append(f"only while {key} is at {_either(possible)}" if scenario.coupled
                     else f"only at {_either(possible)}")
    scopes = [at] if at is not None else possible
    events = sorted({n for s in scopes if s not in weighted for n in given.get(s, [])})
    if events:
        parts.append("once event " + " or ".join(f"'{n}'" for n in events)
                     + " gives it a weight")
    blocks = [m.when.text for m in actor.policy.modifiers
              if a.id in m.scale and _upper(m.scale[a.id]) <= 0]
    parts += [f"only if {_negate(text)}" for text in blocks]
    return True, "; ".join(parts) or None


def _either(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _negate(text: str) -> str:
    """The condition under which `text` does not hold, as text."""
    m = _COMPARISON.match(text)
    if m:
        return f"{m[1]} {_FLIP[m[2]]} {m[3]}"
    if text.strip().startswith("not ") and _NAME.match(text.strip()[4:]):
        return text.strip()[4:].strip()
    return f"not {text.strip()}" if _NAME.match(text) else f"not ({text})"


def _upper(value: Number) -> float:
    return value.bounds()[1] if isinstance(value, Dist) else float(value)


# -- chains ------------------------------------------------------------------------------------
def _chains(graph: dict[str, list[str]], start: str, goal: str, limit: int
            ) -> tuple[list[list[str]], int, bool]:
    """Up to `limit` simple paths from `start` to `goal`, shortest first; how many more there
    are; whether both are exact (each search stops after COUNT_BUDGET stages visited).

    Paths are found by increasing length (a depth-first search of each length, pruned by
    the fewest moves left to `goal`), so the ones shown are the shortest."""
    dist = _distances(graph, goal)
    if start not in dist:
        return [], 0, True
    shown: list[list[str]] = []
    budget = [COUNT_BUDGET]  # stages the search for the shortest may visit
    for length in range(dist[start], len(dist)):
        if len(shown) >= limit or budget[0] < 0:
            break
        shown += _paths(graph, dist, [start], goal, length, limit - len(shown), budget)
    total, exact = _count(graph, dist, start, goal)
    return shown, max(total - len(shown), 0), exact and budget[0] >= 0


def _distances(graph: dict[str, list[str]], goal: str) -> dict[str, int]:
    """Fewest moves from each stage to `goal` (stages that cannot reach it are left out)."""
    back: dict[str, list[str]] = {}
    for a, targets in graph.items():
        for b in targets:
            back.setdefault(b, []).append(a)
    dist, todo = {goal: 0}, [goal]
    for here in todo:
        for a in back.get(here, []):
            if a not in dist:
                dist[a] = dist[here] + 1
                todo.append(a)
    return dist


def _paths(graph: dict[str, list[str]], dist: dict[str, int], path: list[str], goal: str,
           length: int, limit: int, budget: list[int]) -> list[list[str]]:
    """Simple paths extending `path` to `goal` in exactly `length` moves, at most `limit`
    (`budget[0]`: stages it may still visit)."""
    here, left = path[-1], length - (len(path) - 1)
    if here == goal:
        return [list(path)] if left == 0 else []
    budget[0] -= 1
    found: list[list[str]] = []
    for b in graph.get(here, []):
        if len(found) >= limit or budget[0] < 0:
            break
        if b in dist and b not in path and dist[b] <= left - 1:
            found += _paths(graph, dist, [*path, b], goal, length, limit - len(found), budget)
    return found


def _count(graph: dict[str, list[str]], dist: dict[str, int], start: str, goal: str
           ) -> tuple[int, bool]:
    """How many simple paths lead from `start` to `goal`; False if the budget ran out."""
    budget, total = COUNT_BUDGET, 0
    stack: list[tuple[str, frozenset[str]]] = [(start, frozenset([start]))]
    while stack:
        here, seen = stack.pop()
        if here == goal:
            total += 1
            continue
        budget -= 1
        if budget < 0:
            return total, False
        stack += [(b, seen | {b}) for b in graph.get(here, []) if b in dist and b not in seen]
    return total, True
