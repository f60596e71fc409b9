"""A ladder as a diagram: a Mermaid state diagram or a Graphviz digraph, drawn bottom-up
with every move a run can make (`ladder show --format mermaid|dot`)."""

from __future__ import annotations

import re

from ..format.ladder import Ladder
from .moves import moves, start_stage

_MERMAID_LABEL = str.maketrans({":": "-", ";": ",", "{": "(", "}": ")", '"': "'", "#": " ",
                                "\n": " ", "\r": " ", "\t": " "})


def mermaid_label(text: str) -> str:
    """Text safe after `: ` in a Mermaid transition (no `:`, `;`, braces, `"` or `#`)."""
    return re.sub(r"\s+", " ", text.translate(_MERMAID_LABEL)).strip() or "-"


def mermaid_name(text: str) -> str:
    """Text safe inside `state "..." as id` (quotes become `'`, no line breaks or `#`)."""
    return re.sub(r"\s+", " ", text.replace('"', "'").replace("#", " ")).strip() or "-"


def render_mermaid(ladder: Ladder, start: str | None = None) -> str:
    """A ladder as a Mermaid `stateDiagram-v2`.

    Args:
        ladder: the ladder.
        start: the stage `[*]` points to (default: the lowest stage).

    Returns:
        The diagram source, ending with a newline.

    Raises:
        InputError: if `start` is not a stage of the ladder.
    """
    lines = ["stateDiagram-v2", "    direction BT"]
    lines += [f'    state "{mermaid_name(s.name)}" as {s.id}' for s in ladder.stages]
    lines.append(f"    [*] --> {start_stage(ladder, start)}")
    lines += [f"    {m.source} --> {m.target} : {mermaid_label(m.label)}" for m in moves(ladder)]
    lines += [f"    {s.id} --> [*]" for s in ladder.stages if s.absorbing]
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


def render_dot(ladder: Ladder, start: str | None = None) -> str:
    """A ladder as a Graphviz digraph drawn bottom-up (`rankdir=BT`).

    Stages keep ladder order through invisible edges; the drawn edges do not move ranks.

    Args:
        ladder: the ladder.
        start: the stage the start point leads to (default: the lowest stage).

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
              for m in moves(ladder)]
    lines.append("}")
    return "\n".join(lines) + "\n"
