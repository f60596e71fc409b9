"""`ladder show`: ladders and scenarios for people, as text (here) or as a Mermaid or
Graphviz diagram (`diagrams`).

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

from pathlib import Path

from ..errors import InputError
from ..format.actors import Action, Actor
from ..format.distributions import Number, describe
from ..format.events import Event
from ..format.ladder import Edge, Group, Ladder, Stage, load_ladder
from ..format.scenario import Scenario, load_scenario
from ..format.thresholds import shown
from ..format.yamlio import load_yaml
from .diagrams import render_dot, render_mermaid
from .moves import plural, start_stage
from .show_dynamics import (
    action_parts,
    effect_text,
    event_parts,
    perceives_lines,
    scenario_lines,
    uses_tension,
)

FORMATS = ("text", "mermaid", "dot")

# -- text ---------------------------------------------------------------------------------------


def _markers(stage: Stage, start: str | None) -> str:
    parts = []
    if stage.up is not None:
        parts.append(f"up >= {shown(stage, 'up')}")
    if stage.down is not None:
        parts.append(f"down <= {shown(stage, 'down')} (dwell {stage.dwell})")
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
        start_stage(ladder, start)
    lines = [f"{ladder.id}: {ladder.title}", ""]
    lines += _stage_rows(ladder, start)
    if ladder.edges:
        lines += ["", "Jumps and guarded edges:"]
        lines += [_edge_line(e) for e in ladder.edges]
    return "\n".join(lines) + "\n"


# -- scenario text ------------------------------------------------------------------------------


def _clock_line(scenario: Scenario) -> str:
    clock = scenario.clock
    text = f"Clock: step {clock.step}, horizon {plural(clock.horizon, 'step')}"
    if clock.start_date is not None:
        end = clock.date_of(clock.horizon)
        assert end is not None  # the clock has a start date
        text += f", start date {clock.start_date.isoformat()} (last step {end.isoformat()})"
    return text


def _weights_text(weights: dict[str, Number]) -> str:
    return ", ".join(f"{k} {describe(v)}" for k, v in weights.items()) or "none"


def _action_line(action: Action, weight: Number | None) -> str:
    parts = [effect_text(action)]
    if action.trigger is not None:
        parts.append(f"trigger -> {action.trigger}")
    parts += action_parts(action)
    if action.allowed is not None:
        parts.append(f"allowed at {', '.join(action.allowed)}")
    parts.append(f"weight {describe(weight if weight is not None else 0.0)}")
    return f"      {action.id}: {'; '.join(parts)}"


def actor_lines(actor: Actor) -> list[str]:
    head = f"  {actor.id}: {actor.name} ({actor.kind}"
    if actor.is_population and actor.count is not None:
        head += f", count {describe(actor.count)}"
    lines = [head + ")", "    actions (effect; trigger; allowed; default weight):"]
    lines += [_action_line(a, actor.policy.weights.get(a.id)) for a in actor.actions]
    lines += perceives_lines(actor)
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
    parts += event_parts(event)
    return "; ".join(parts) or "nothing"


def event_line(event: Event, scenario: Scenario) -> str:
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
    lines += ["", _clock_line(scenario), f"Runs: {scenario.runs}, seed {scenario.seed}"]
    if uses_tension(scenario):
        lines.append(f"Tension: initial {describe(scenario.initial_tension)}, "
                     f"decay {describe(scenario.decay)}")
    lines += scenario_lines(scenario, render_text)
    lines += ["", "Actors"]
    for actor in scenario.actors:
        lines += actor_lines(actor)
    if scenario.events:
        lines += ["", "Events"]
        lines += [event_line(e, scenario) for e in scenario.events]
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


def render(path_or_obj: Ladder | Scenario | str | Path, fmt: str, actors: bool = False) -> str:
    """Render a ladder or scenario in one of `FORMATS`.

    Args:
        path_or_obj: a loaded `Ladder` or `Scenario`, or the path of either file. A
            scenario's graph views draw its ladder with its start stage; its text view is
            `render_scenario_text`.
        fmt: "text", "mermaid" or "dot".
        actors: also draw a scenario's actors and the moves their actions trigger (Mermaid
            and DOT; the text view of a scenario lists them anyway).

    Returns:
        The rendered text.

    Raises:
        InputError: for an unknown format, an object that is neither a ladder nor a
            scenario, or `actors` with a ladder (a ladder has no actors).
        LadderError: if a path is given and the file cannot be loaded.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (allowed: {', '.join(FORMATS)})")
    obj = load_any(path_or_obj) if isinstance(path_or_obj, str | Path) else path_or_obj
    if isinstance(obj, Scenario):
        if fmt == "text":
            return render_scenario_text(obj)
        ladder, start, drawn = obj.ladder, obj.start, obj.actors if actors else ()
    elif isinstance(obj, Ladder):
        if actors:
            raise InputError("--actors draws a scenario's actors; a ladder has none (give a "
                             "scenario file)")
        ladder, start, drawn = obj, None, ()
    else:
        raise InputError(f"cannot show a {type(obj).__name__}: expected a ladder or a scenario")
    if fmt == "text":
        return render_text(ladder, start)
    if fmt == "mermaid":
        return render_mermaid(ladder, start, drawn)
    return render_dot(ladder, start, drawn)


# -- the bundled library (`ladder list`) --------------------------------------------------------


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  " + "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]])
            .rstrip() for r in rows]


def render_catalog(catalog: dict) -> str:
    """The text of `ladder list`: each bundled ladder (id, stages, title), scenario (id,
    ladder, the baseline it extends, title) and history record (id, months, title), from
    `sim.format.library.catalog()`."""
    ladders, scenarios = catalog["ladders"], catalog["scenarios"]
    lines = [f"bundled library: {catalog['library']}", "", f"ladders ({len(ladders)})"]
    lines += _columns([["id", "stages", "title"]]
                      + [[x["id"], str(x["stages"]), x["title"]] for x in ladders])
    lines += ["", f"scenarios ({len(scenarios)})"]
    lines += _columns([["id", "ladder", "extends", "title"]]
                      + [[x["id"], x["ladder"], x["extends"] or "-", x["title"]]
                         for x in scenarios])
    records = catalog.get("records", [])
    if records:
        lines += ["", f"history records ({len(records)}; data, not scenarios: ladder validate "
                  "checks them)"]
        lines += _columns([["id", "months", "title"]]
                          + [[x["id"], f"{x['first']}..{x['last']}", x["title"]]
                             for x in records])
    lines += ["", "An id works in place of a file: ladder run belarus-poland-2024, "
              "ladder show belarus-2024."]
    return "\n".join(lines) + "\n"
