"""Ladders: ordered doctrinal stages, thresholds with hysteresis, guarded edges and jumps."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from . import vocabulary
from .access import read_input
from .check import MISSING, Checker, join, suggest
from .distributions import Dist
from .expr import BUILTINS, Condition, Symbols, compile_condition
from .expr_syntax import KEYWORDS, ExprError
from .library import resolve_input
from .thresholds import below_own_up, check_order, read_threshold
from .vocabulary import MAX_HORIZON
from .yamlio import MAX_BYTES, YamlMap, line_of, load_yaml

LADDER_KEYS = vocabulary.keys("ladder")
STAGE_KEYS = vocabulary.keys("stage")
EDGE_KEYS = vocabulary.keys("edge")
GROUP_KEYS = vocabulary.keys("group")
RESERVED = tuple(BUILTINS) + tuple(sorted(KEYWORDS))  # names conditions already use


@dataclass(frozen=True, slots=True)
class Stage:
    """One rung. `up`/`down` are tension thresholds (None: no drift that way); a drawn one
    (`up_drawn`, `down_drawn`: the distribution each run draws it from) has the midpoint
    of its range as `up`/`down` (sim/format/thresholds.py)."""

    id: str
    name: str
    level: int
    description: str = ""
    source: str = ""
    absorbing: bool = False
    up: float | None = None
    down: float | None = None
    dwell: int = 1
    up_drawn: Dist | None = None
    down_drawn: Dist | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """A declared edge: a guard on a neighbour move, or a jump (taken only by a trigger)."""

    source: str
    target: str
    jump: bool
    guard: Condition | None = None
    description: str = ""
    citation: str = ""  # the file's `source:` (a reference; not used by the model)


@dataclass(frozen=True, slots=True)
class Group:
    """A named run of consecutive stages (e.g. Kahn's crisis families)."""

    id: str
    name: str
    first: str
    last: str
    threshold: str = ""


@dataclass(frozen=True, slots=True)
class Ladder:
    """A validated ladder. Stages are lowest first; `index` maps stage id to position."""

    id: str
    title: str
    stages: tuple[Stage, ...]
    edges: tuple[Edge, ...] = ()
    groups: tuple[Group, ...] = ()
    description: str = ""
    sources: tuple[str, ...] = ()
    path: str = ""
    sha256: str = ""

    def __repr__(self) -> str:
        ids = self.stage_ids
        absorbing = sum(s.absorbing for s in self.stages)
        return (f"<Ladder {self.id}: {len(ids)} stages, {ids[0]} .. {ids[-1]}, {absorbing} "
                f"absorbing>")

    @property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    def index(self, stage_id: str) -> int:
        """Position of a stage in ladder order."""
        return self.stage_ids.index(stage_id)

    def edge(self, source: str, target: str) -> Edge | None:
        """The declared edge between two stages, if any."""
        for e in self.edges:
            if e.source == source and e.target == target:
                return e
        return None

    def targets(self, source: str) -> list[str]:
        """Stages one move away from `source`: its neighbours and declared jumps."""
        i = self.index(source)
        if self.stages[i].absorbing:
            return []
        out = [self.stages[j].id for j in (i - 1, i + 1) if 0 <= j < len(self.stages)]
        return out + [e.target for e in self.edges if e.source == source and e.jump]

    def symbols(self) -> Symbols:
        """Names a ladder guard may use (stages, tension, step; no actors)."""
        return Symbols.of(self.stage_ids, {})


def read_ladder(path: str | Path) -> tuple[Ladder, list[Problem]]:
    """Load and validate a ladder file (or the bundled ladder with this id, see
    `sim.format.library`); return it with its warnings.

    Raises:
        ValidationError: listing every problem found.
    """
    path = resolve_input(path, "ladder")
    file = str(path)
    raw = load_yaml(path)
    ck = Checker(file)
    ladder = _build(ck, raw)
    ck.raise_if_errors()
    assert ladder is not None and isinstance(raw, dict)  # no errors: _build made a ladder
    ladder = _with_file(ladder, file, read_input(path, MAX_BYTES))
    _graph_warnings(ck, raw, ladder)
    return ladder, ck.warnings


def load_ladder(path: str | Path) -> Ladder:
    """Load and validate a ladder file (warnings are dropped; see `read_ladder`)."""
    return read_ladder(path)[0]


def _with_file(ladder: Ladder, file: str, data: bytes) -> Ladder:
    from dataclasses import replace

    return replace(ladder, path=file, sha256=hashlib.sha256(data).hexdigest())


def _build(ck: Checker, raw: object) -> Ladder | None:
    top = ck.mapping(raw, "", 1, LADDER_KEYS, vocabulary.required("ladder"))
    if top is None:
        return None
    lid = ck.get(top, "id", "", "file_id", required=True)
    title = ck.get(top, "title", "", "str", required=True)
    description = ck.get(top, "description", "", "str", default="")
    sources = ck.get(top, "sources", "", "strings", default=[])
    stages = _stages(ck, top)
    if stages is None:
        return None
    ids = [s.id for s in stages]
    edges = _edges(ck, top, stages)
    groups = _groups(ck, top, ids)
    if lid is None or title is None:
        return None
    return Ladder(lid, title, tuple(stages), tuple(edges), tuple(groups), description,
                  tuple(sources))


def _stages(ck: Checker, top: dict) -> list[Stage] | None:
    seq = ck.sequence(top.get("stages", MISSING), "stages", line_of(top, "stages"), "stages")
    if seq is None:
        return None
    if len(seq) < 2:
        ck.error(line_of(top, "stages"), "stages", "a ladder needs at least 2 stages")
    stages: list[Stage] = []
    maps: list[YamlMap] = []  # maps[i]: the mapping of stages[i], for the lines of errors
    seen: set[str] = set()
    for i, item in enumerate(seq):
        path, line = f"stages[{i}]", seq.lines[i]
        m = ck.mapping(item, path, line, STAGE_KEYS, vocabulary.required("stage"))
        if m is None:
            continue
        sid = ck.get(m, "id", path, "id", required=True)
        if sid is not None:
            path = f"stages.{sid}"
            _check_stage_id(ck, m, path, sid, seen)
            seen.add(sid)
        name = ck.get(m, "name", path, "str", required=True)
        level = ck.get(m, "level", path, "int", default=i)
        absorbing = ck.get(m, "absorbing", path, "bool", default=False)
        up, up_drawn = read_threshold(ck, m, "up", path)
        down, down_drawn = read_threshold(ck, m, "down", path)
        dwell = ck.get(m, "dwell", path, "int", default=1)
        if absorbing:
            for key in ("up", "down", "dwell"):
                if key in m:
                    ck.error(line_of(m, key), join(path, key),
                             "an absorbing stage has no thresholds (a run that enters it ends)")
        if "dwell" in m and "down" not in m:
            ck.error(line_of(m, "dwell"), join(path, "dwell"), "dwell needs a down threshold")
        if dwell is not None and not 1 <= dwell <= MAX_HORIZON:
            most = f" and <= {MAX_HORIZON} (the longest run)" if dwell > 1 else ""
            ck.error(line_of(m, "dwell"), join(path, "dwell"),
                     f"expected an integer >= 1{most}, got {dwell}")
            dwell = 1
        if i == 0 and down is not None:
            ck.error(line_of(m, "down"), join(path, "down"),
                     "the lowest stage has no stage below it to move down to")
        if sid is None:
            continue
        maps.append(m)  # a bad name was reported; the id alone keeps later checks meaningful
        stages.append(Stage(sid, name or sid, level,
                            ck.get(m, "description", path, "str", default=""),
                            ck.get(m, "source", path, "str", default=""), bool(absorbing),
                            up, down, dwell, up_drawn, down_drawn))
        below_own_up(ck, stages[-1], m, path)
    check_order(ck, stages, maps)
    return stages


def _check_stage_id(ck: Checker, m: dict, path: str, sid: str, seen: set[str]) -> None:
    """Report a duplicate stage id, or one that conditions could not tell from a name.

    The stage is kept (the ladder is not built anyway), so that order checks see the ladder
    as written; `_edges` leaves such ids out of the names a guard may use.
    """
    if sid in seen:
        ck.error(line_of(m, "id"), join(path, "id"), f"duplicate stage id '{sid}'")
    elif sid in RESERVED:
        ck.error(line_of(m, "id"), join(path, "id"),
                 f"stage id '{sid}' is a name that conditions already use; choose another "
                 f"(reserved: {', '.join(RESERVED)})")


def _stage_ref(ck: Checker, m: dict, key: str, path: str, ids: list[str]) -> str | None:
    value = ck.get(m, key, path, "id", required=True)
    if value is not None and value not in ids:
        ck.error(line_of(m, key), join(path, key),
                 f"unknown stage '{value}'{suggest(value, ids)} (stages: {', '.join(ids)})")
        return None
    return value


def _edges(ck: Checker, top: dict, stages: list[Stage]) -> list[Edge]:
    seq = ck.sequence(top.get("edges", []), "edges", line_of(top, "edges"), "edges")
    ids = [s.id for s in stages]
    # duplicate and reserved ids were reported by _stages; guards may not name them
    symbols = Symbols.of(tuple(dict.fromkeys(i for i in ids if i not in RESERVED)), {})
    edges: list[Edge] = []
    for i, item in enumerate(seq or []):
        path = f"edges[{i}]"
        m = ck.mapping(item, path, line_of(seq, i), EDGE_KEYS, vocabulary.required("edge"))
        if m is None:
            continue
        a, b = _stage_ref(ck, m, "from", path, ids), _stage_ref(ck, m, "to", path, ids)
        guard = compile_guard(ck, m, "guard", path, symbols)
        description = ck.get(m, "description", path, "str", default="")
        citation = ck.get(m, "source", path, "str", default="")
        if a is None or b is None:
            continue
        if a == b:
            ck.error(line_of(m, "to"), join(path, "to"), "an edge must join two different stages")
            continue
        if stages[ids.index(a)].absorbing:
            ck.error(line_of(m, "from"), join(path, "from"),
                     f"'{a}' is absorbing: no edge can leave it")
            continue
        if any(e.source == a and e.target == b for e in edges):
            ck.error(line_of(m, "to"), path, f"duplicate edge {a} -> {b}")
            continue
        jump = abs(ids.index(a) - ids.index(b)) != 1
        edges.append(Edge(a, b, jump, guard, description, citation))
    return edges


def compile_guard(ck: Checker, m: dict, key: str, path: str, symbols: Symbols,
                  required: bool = False) -> Condition | None:
    """Compile the condition at m[key] (if present), reporting parse errors at its line.

    With `required`, a null value is an error (as in `Checker.get`).
    """
    text = ck.get(m, key, path, "str", required=required)
    if text is None:
        return None
    try:
        return compile_condition(text, symbols)
    except ExprError as exc:
        ck.error(line_of(m, key), join(path, key), f"bad condition {text!r}: {exc}")
        return None


def _groups(ck: Checker, top: dict, ids: list[str]) -> list[Group]:
    seq = ck.sequence(top.get("groups", []), "groups", line_of(top, "groups"), "groups")
    groups: list[Group] = []
    taken: dict[int, str] = {}
    for i, item in enumerate(seq or []):
        path = f"groups[{i}]"
        m = ck.mapping(item, path, line_of(seq, i), GROUP_KEYS, vocabulary.required("group"))
        if m is None:
            continue
        gid = ck.get(m, "id", path, "id", required=True)
        name = ck.get(m, "name", path, "str", required=True)
        first, last = _stage_ref(ck, m, "first", path, ids), _stage_ref(ck, m, "last", path, ids)
        if gid is None or name is None or first is None or last is None:
            continue
        lo, hi = ids.index(first), ids.index(last)
        if lo > hi:
            ck.error(line_of(m, "last"), join(path, "last"), f"'{last}' is below '{first}'")
            continue
        overlap = [taken[j] for j in range(lo, hi + 1) if j in taken]
        if overlap:
            ck.error(line_of(m), path, f"group '{gid}' overlaps group '{overlap[0]}'")
        taken.update({j: gid for j in range(lo, hi + 1)})
        threshold = ck.get(m, "threshold", path, "str", default="")
        groups.append(Group(gid, name, first, last, threshold))
    return groups


def reachable(ladder: Ladder, start: str, moves: dict[str, set[str]] | None = None) -> set[str]:
    """Stages reachable from `start` along `moves` (default: every edge of the ladder)."""
    seen, todo = {start}, [start]
    while todo:
        here = todo.pop()
        nxt = moves.get(here, set()) if moves is not None else ladder.targets(here)
        for t in nxt:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def _graph_warnings(ck: Checker, raw: dict, ladder: Ladder) -> None:
    lines = {s.get("id"): raw["stages"].lines[i] for i, s in enumerate(raw["stages"])
             if isinstance(s, dict)}
    # A run may start at any non-absorbing stage (the scenario says which; its own check
    # follows from there), so here a stage is unreachable only when no other
    # non-absorbing stage leads to it. The lowest stage is a natural start and is exempt.
    seen = {ladder.stages[0].id}
    for s in ladder.stages:
        if not s.absorbing:
            seen |= reachable(ladder, s.id) - {s.id}
    for s in ladder.stages:
        if s.id not in seen:
            ck.warn(lines.get(s.id), f"stages.{s.id}",
                    "unreachable: no other stage leads to it (an absorbing stage blocks the "
                    "way, or it has no threshold or edge into it); declare a jump edge to it")
        elif (not s.absorbing and s.up is None and s.down is None
              and not any(e.source == s.id for e in ladder.edges)):
            ck.warn(lines.get(s.id), f"stages.{s.id}",
                    "no way out: no up or down threshold and no declared edge; only triggers "
                    "and events can move a run out of this stage")
