"""A ladder as a diagram: a Mermaid state diagram or a Graphviz digraph, drawn bottom-up
with every move a run can make (`ladder show --format mermaid|dot`), and optionally a
scenario's actors with the stage moves their actions trigger (`--actors`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..format.actors import Actor
from ..format.ladder import Ladder
from .moves import Move, moves, start_stage

_MERMAID_LABEL = str.maketrans({":": "-", ";": ",", "{": "(", "}": ")", '"': "'", "#": " ",
                                "\n": " ", "\r": " ", "\t": " "})


def mermaid_label(text: str) -> str:
    """Text safe after `: ` in a Mermaid transition (no `:`, `;`, braces, `"` or `#`)."""
    return re.sub(r"\s+", " ", text.translate(_MERMAID_LABEL)).strip() or "-"


def mermaid_name(text: str) -> str:
    """Text safe inside `state "..." as id` (quotes become `'`, no line breaks or `#`)."""
    return re.sub(r"\s+", " ", text.replace('"', "'").replace("#", " ")).strip() or "-"


def ladder_order(ladder: Ladder) -> list[Move]:
    """The moves in the order that keeps a layered layout in ladder order: each stage's move
    up, lowest first (the chain), then the moves down, then jumps and trigger moves.

    Mermaid lays a state diagram out with dagre, which first breaks every cycle (a move up
    and its move down make one) by reversing the edges that a depth-first walk, in the
    order states and edges are written, finds pointing back; listing the chain first makes
    that walk climb the ladder, so every move down is the one reversed.
    """
    index = {sid: i for i, sid in enumerate(ladder.stage_ids)}
    all_moves = moves(ladder)

    def rank(m: Move) -> tuple[int, int]:
        step = index[m.target] - index[m.source]
        group = 0 if step == 1 else 1 if step == -1 else 2
        return group, index[m.source]

    return sorted(all_moves, key=rank)


def actor_triggers(actors: Sequence[Actor]) -> list[tuple[Actor, str, str]]:
    """(actor, label, target stage) for each action that triggers a move, in file order;
    the label is the action's id and, when it is restricted, where it is allowed."""
    return [(a, x.id + (f" (at {', '.join(x.allowed)})" if x.allowed else ""), x.trigger)
            for a in actors for x in a.actions if x.trigger]


def actor_id(actor: Actor) -> str:
    """An actor's node id in a diagram, apart from the stage ids."""
    return f"actor_{actor.id}"


def render_mermaid(ladder: Ladder, start: str | None = None,
                   actors: Sequence[Actor] = ()) -> str:
    """A ladder as a Mermaid `stateDiagram-v2`, states and moves in ladder order.

    Args:
        ladder: the ladder.
        start: the stage `[*]` points to (default: the lowest stage).
        actors: a scenario's actors to draw beside the ladder: one state per actor (class
            `actor`, dashed blue), with a transition to each stage one of its actions
            triggers, labelled with the action.

    Returns:
        The diagram source, ending with a newline.

    Raises:
        InputError: if `start` is not a stage of the ladder.
    """
    lines = ["stateDiagram-v2", "    direction BT"]
    lines += [f'    state "{mermaid_name(s.name)}" as {s.id}' for s in ladder.stages]
    lines.append(f"    [*] --> {start_stage(ladder, start)}")
    lines += [f"    {m.source} --> {m.target} : {mermaid_label(m.label)}"
              for m in ladder_order(ladder)]
    lines += [f"    {s.id} --> [*]" for s in ladder.stages if s.absorbing]
    if actors:
        lines.append("    classDef actor fill:#e8eefc,stroke:#3060c0,stroke-dasharray:4 3")
        lines += [f'    state "{mermaid_name(a.name)}" as {actor_id(a)}' for a in actors]
        lines += [f"    {actor_id(a)} --> {target} : {mermaid_label(label)}"
                  for a, label, target in actor_triggers(actors)]
        lines.append(f"    class {','.join(actor_id(a) for a in actors)} actor")
    return "\n".join(lines) + "\n"


# -- Graphviz DOT -------------------------------------------------------------------------------


def dot_quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, line breaks as `\\n`."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{text}"'


_EDGE_STYLE = {"up": "", "down": ", style=dashed", "trigger": ", style=dotted",
               "jump": ", style=bold, color=red"}


def _dot_nodes(ladder: Ladder) -> list[str]:
    lines = []
    for s in ladder.stages:
        attrs = f"label={dot_quote(f'{s.level}  {s.name}' + chr(10) + s.id)}"
        if s.absorbing:
            attrs += ", peripheries=2"
        lines.append(f"  {dot_quote(s.id)} [{attrs}];")
    return lines


def _dot_groups(ladder: Ladder) -> list[str]:
    lines = []
    ids = ladder.stage_ids
    for g in ladder.groups:
        label = f"--- {g.threshold} ---\n{g.name}" if g.threshold else g.name
        members = ids[ladder.index(g.first): ladder.index(g.last) + 1]
        lines.append(f"  subgraph {dot_quote('cluster_' + g.id)} {{")
        lines.append(f"    label={dot_quote(label)}; labelloc=t; style=dashed;")
        lines += [f"    {dot_quote(sid)};" for sid in members]
        lines.append("  }")
    return lines


def render_dot(ladder: Ladder, start: str | None = None, actors: Sequence[Actor] = ()) -> str:
    """A ladder as a Graphviz digraph drawn bottom-up (`rankdir=BT`).

    Stages keep ladder order through invisible edges; the drawn edges do not move ranks.

    Args:
        ladder: the ladder.
        start: the stage the start point leads to (default: the lowest stage).
        actors: a scenario's actors to draw beside the ladder: one filled ellipse per actor
            (in a cluster "actors"), with a dashed blue edge to each stage one of its
            actions triggers, labelled with the action; these edges do not move ranks.

    Returns:
        The DOT source, ending with a newline.

    Raises:
        InputError: if `start` is not a stage of the ladder.
    """
    first = start_stage(ladder, start)
    lines = [f"digraph {dot_quote(ladder.id)} {{", "  rankdir=BT;",
             f"  label={dot_quote(f'{ladder.id}: {ladder.title}')}; labelloc=t;",
             '  node [shape=box, style=rounded, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];',
             '  "__start" [shape=point, label=""];']
    lines += _dot_nodes(ladder)
    lines += _dot_groups(ladder)
    ids = ladder.stage_ids
    lines += [f"  {dot_quote(a)} -> {dot_quote(b)} [style=invis];"
              for a, b in zip(ids, ids[1:], strict=False)]
    lines.append(f'  "__start" -> {dot_quote(first)} [constraint=false];')
    lines += [f"  {dot_quote(m.source)} -> {dot_quote(m.target)} "
              f"[label={dot_quote(m.label)}, constraint=false{_EDGE_STYLE[m.kind]}];"
              for m in ladder_order(ladder)]
    lines += _dot_actors(actors)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_actors(actors: Sequence[Actor]) -> list[str]:
    if not actors:
        return []
    lines = ['  subgraph "cluster_actors" {', '    label="actors"; style=dotted;']
    lines += [f"    {dot_quote(actor_id(a))} [label={dot_quote(f'{a.name}' + chr(10) + a.id)}, "
              'shape=ellipse, style=filled, fillcolor="#e8eefc", color="#3060c0"];'
              for a in actors]
    lines.append("  }")
    lines += [f"  {dot_quote(actor_id(a))} -> {dot_quote(target)} [label={dot_quote(label)}, "
              'constraint=false, style=dashed, color="#3060c0", fontcolor="#3060c0"];'
              for a, label, target in actor_triggers(actors)]
    return lines
