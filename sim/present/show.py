"""Render ladders and scenarios for people: a text table, Mermaid and Graphviz DOT.

Every function returns a string; nothing here prints. `render` is the dispatcher used by
`ladder show`: it takes a loaded `Ladder` or `Scenario` and a format name.

The text view draws a ladder the way it is read, top rung first::

    belarus-2024: Belarus military doctrine (2024), as read by the seed analysis

      5  nuclear_use      Preventive use of tactical nuclear weapons  [absorbing]
      ...
      1  hybrid_pressure  Hybrid pressure  up >= 5  down <= 1 (dwell 14)  <- start
      0  peacetime        Peacetime        up >= 2

The graph views draw every move a run can make: neighbour moves (labelled with their
threshold, or `trigger` when only an action's trigger can take them), declared jumps
(`jump (trigger only)`), guards, and absorbing stages as final states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..format.actors import Action, Actor
from ..format.distributions import Number, describe
from ..format.events import Event
from ..format.ladder import Edge, Group, Ladder, Stage, load_ladder
from ..format.scenario import Scenario, load_scenario
from ..format.yamlio import load_yaml

FORMATS = ("text", "mermaid", "dot")

# -- moves shared by the graph views ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    """One drawable move between two stages, with its label text (no markup)."""

    source: str
    target: str
    label: str
    kind: str  # "up", "down", "trigger" or "jump"


def _num(value: float) -> str:
    return f"{value:g}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _with_guard(label: str, edge: Edge | None) -> str:
    if edge is None or edge.guard is None:
        return label
    return f"{label} if {edge.guard.text}"


def _neighbour_move(ladder: Ladder, stage: Stage, other: Stage, upward: bool) -> Move:
    if upward and stage.up is not None:
        label, kind = f"tension >= {_num(stage.up)}", "up"
    elif not upward and stage.down is not None:
        label = f"tension <= {_num(stage.down)} for {_plural(stage.dwell, 'step')}"
        kind = "down"
    else:
        label, kind = "trigger", "trigger"
    label = _with_guard(label, ladder.edge(stage.id, other.id))
    return Move(stage.id, other.id, label, kind)


def moves(ladder: Ladder) -> list[Move]:
    """Every move a run can make on a ladder, stage by stage from the lowest.

    Args:
        ladder: the ladder.

    Returns:
        For each non-absorbing stage: its move up, its move down (where those neighbours
        exist) and its declared jumps.
    """
    out: list[Move] = []
    stages = ladder.stages
    for i, stage in enumerate(stages):
        if stage.absorbing:
            continue
        if i + 1 < len(stages):
            out.append(_neighbour_move(ladder, stage, stages[i + 1], upward=True))
        if i > 0:
            out.append(_neighbour_move(ladder, stage, stages[i - 1], upward=False))
        for edge in ladder.edges:
            if edge.source == stage.id and edge.jump:
                out.append(Move(edge.source, edge.target,
                                _with_guard("jump (trigger only)", edge), "jump"))
    return out


def _start(ladder: Ladder, start: str | None) -> str:
    if start is None:
        return ladder.stages[0].id
    if start not in ladder.stage_ids:
        raise InputError(f"unknown start stage '{start}' (stages: {', '.join(ladder.stage_ids)})")
    return start


# -- text ---------------------------------------------------------------------------------------


def _markers(stage: Stage, start: str | None) -> str:
    parts = []
    if stage.up is not None:
        parts.append(f"up >= {_num(stage.up)}")
    if stage.down is not None:
        parts.append(f"down <= {_num(stage.down)} (dwell {stage.dwell})")
    if stage.absorbing:
        parts.append("[absorbing]")
    if start is not None and stage.id == start:
        parts.append("<- start")
    return "  ".join(parts)


def _group_lines(group: Group) -> list[str]:
    lines = [f"--- {group.threshold} ---"] if group.threshold else []
    return lines + [f"  [{group.name}]"]


def _stage_rows(ladder: Ladder, start: str | None) -> list[str]:
    wid = max(len(s.id) for s in ladder.stages)
    wname = max(len(s.name) for s in ladder.stages)
    wlevel = max(len(str(s.level)) for s in ladder.stages)
    tops = {g.last: g for g in ladder.groups}
    rows: list[str] = []
    for stage in reversed(ladder.stages):
        if stage.id in tops:
            rows.extend(_group_lines(tops[stage.id]))
        line = f"  {stage.level:>{wlevel}}  {stage.id:<{wid}}  {stage.name:<{wname}}  "
        rows.append((line + _markers(stage, start)).rstrip())
    return rows


def _edge_line(edge: Edge) -> str:
    parts = ["jump, trigger only"] if edge.jump else ["neighbour move"]
    if edge.guard is not None:
        parts.append(f"guard: {edge.guard.text}")
    return f"  {edge.source} -> {edge.target}  {', '.join(parts)}"


def render_text(ladder: Ladder, start: str | None = None) -> str:
    """A ladder as a plain-text table, top stage first, lowest stage last.

    Args:
        ladder: the ladder.
        start: a stage to mark `<- start` (none marked when None).

    Returns:
        The title line, one line per stage (level, id, name, thresholds, `[absorbing]`,
        `<- start`) with group names and threshold separators between them, then the
        declared jumps and guarded edges. Ends with a newline.

    Raises:
        InputError: if `start` is not a stage of the ladder.
    """
    if start is not None:
        _start(ladder, start)
    lines = [f"{ladder.id}: {ladder.title}", ""]
    lines += _stage_rows(ladder, start)
    if ladder.edges:
        lines += ["", "Jumps and guarded edges:"]
        lines += [_edge_line(e) for e in ladder.edges]
    return "\n".join(lines) + "\n"


# -- scenario text ------------------------------------------------------------------------------


def _clock_line(scenario: Scenario) -> str:
    clock = scenario.clock
    text = f"Clock: step {clock.step}, horizon {_plural(clock.horizon, 'step')}"
    if clock.start_date is not None:
        end = clock.date_of(clock.horizon)
        text += f", start date {clock.start_date.isoformat()} (last step {end.isoformat()})"
    return text


def _weights_text(weights: dict[str, Number]) -> str:
    return ", ".join(f"{k} {describe(v)}" for k, v in weights.items()) or "none"


def _action_line(action: Action, weight: Number | None) -> str:
    parts = [f"effect {describe(action.effect)}"]
    if action.trigger is not None:
        parts.append(f"trigger -> {action.trigger}")
    if action.allowed is not None:
        parts.append(f"allowed at {', '.join(action.allowed)}")
    parts.append(f"weight {describe(weight if weight is not None else 0.0)}")
    return f"      {action.id}: {'; '.join(parts)}"


def _actor_lines(actor: Actor) -> list[str]:
    head = f"  {actor.id}: {actor.name} ({actor.kind}"
    if actor.is_population and actor.count is not None:
        head += f", count {describe(actor.count)}"
    lines = [head + ")", "    actions (effect; trigger; allowed; default weight):"]
    lines += [_action_line(a, actor.policy.weights.get(a.id)) for a in actor.actions]
    for stage, weights in actor.policy.stages.items():
        lines.append(f"    weights at {stage}: {_weights_text(weights)}")
    for mod in actor.policy.modifiers:
        scale = ", ".join(f"{k} x{describe(v)}" for k, v in mod.scale.items()) or "nothing"
        lines.append(f"    when {mod.when.text}: scale {scale}")
    return lines


def _event_changes(event: Event) -> str:
    parts = [f"set {key} = {describe(value)}" for key, value in event.set.items()]
    if event.tension is not None:
        op, value = event.tension
        parts.append(f"tension {op} {describe(value)}")
    if event.stage is not None:
        parts.append(f"stage -> {event.stage}")
    return "; ".join(parts) or "nothing"


def _event_line(event: Event, scenario: Scenario) -> str:
    if event.at is not None:
        when = f"at step {event.at}"
        date = scenario.clock.date_of(event.at)
        if date is not None:
            when += f" ({date.isoformat()})"
    else:
        text = event.when.text if event.when is not None else "?"
        when = f"when {text}" + ("" if event.once else " (every step it holds)")
    return f"  {event.name}: {when}: {_event_changes(event)}"


def render_scenario_text(scenario: Scenario) -> str:
    """A scenario as plain text: title, ladder (start marked), clock, tension, actors, events.

    Args:
        scenario: the scenario.

    Returns:
        The text, ending with a newline.
    """
    lines = [f"{scenario.id}: {scenario.title}"]
    if scenario.extends:
        lines.append("A variant of " + ", which extends ".join(scenario.extends)
                     + " (shown merged over it)")
    lines += ["", "Ladder"]
    lines += ["  " + row if row else "" for row in
              render_text(scenario.ladder, scenario.start).rstrip("\n").split("\n")]
    lines += ["", _clock_line(scenario), f"Runs: {scenario.runs}, seed {scenario.seed}",
              f"Tension: initial {describe(scenario.initial_tension)}, "
              f"decay {describe(scenario.decay)}", "", "Actors"]
    for actor in scenario.actors:
        lines += _actor_lines(actor)
    if scenario.events:
        lines += ["", "Events"]
        lines += [_event_line(e, scenario) for e in scenario.events]
    return "\n".join(lines) + "\n"


# -- Mermaid ------------------------------------------------------------------------------------

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
    lines.append(f"    [*] --> {_start(ladder, start)}")
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
    first = _start(ladder, start)
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


# -- dispatch -----------------------------------------------------------------------------------


def load_any(path: str | Path) -> Ladder | Scenario:
    """Load a ladder or a scenario file, telling them apart by their keys.

    A file with `stages` is a ladder; anything else is read as a scenario.

    Raises:
        LadderError: if the file is missing, malformed or invalid.
    """
    raw = load_yaml(path)
    if isinstance(raw, dict) and "stages" in raw:
        return load_ladder(path)
    return load_scenario(path)


def render(path_or_obj: Ladder | Scenario | str | Path, fmt: str) -> str:
    """Render a ladder or scenario in one of `FORMATS`.

    Args:
        path_or_obj: a loaded `Ladder` or `Scenario`, or the path of either file. A
            scenario's graph views draw its ladder with its start stage; its text view is
            `render_scenario_text`.
        fmt: "text", "mermaid" or "dot".

    Returns:
        The rendered text.

    Raises:
        InputError: for an unknown format or an object that is neither a ladder nor a
            scenario.
        LadderError: if a path is given and the file cannot be loaded.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (allowed: {', '.join(FORMATS)})")
    obj = load_any(path_or_obj) if isinstance(path_or_obj, str | Path) else path_or_obj
    if isinstance(obj, Scenario):
        if fmt == "text":
            return render_scenario_text(obj)
        ladder, start = obj.ladder, obj.start
    elif isinstance(obj, Ladder):
        ladder, start = obj, None
    else:
        raise InputError(f"cannot show a {type(obj).__name__}: expected a ladder or a scenario")
    if fmt == "text":
        return render_text(ladder, start)
    if fmt == "mermaid":
        return render_mermaid(ladder, start)
    return render_dot(ladder, start)
