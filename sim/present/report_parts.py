"""The scenario side of `ladder report`: its inputs, and what the numbers rest on.

`sim/present/report.py` lays out the page; this module reads each input (`Entry`: the
scenario behind a results folder when it is still there unchanged) and writes the sections
drawn from the scenario files: the assumptions block beside each outcome table, the ladder,
the actors, the events and the sources. With several inputs the first one whose scenario is
known is the reference: its actors, events and sources are shown in full, and each other
input shows only what differs from it, so that every actor has one table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..analyses.variants import Variant, scenario_of_folder
from ..format.actors import Actor
from ..format.distributions import describe
from ..format.scenario import Scenario
from .ladder_svg import ladder_svg
from .markup import esc, table
from .show import actor_lines, event_line
from .views import RunView, view_of

# -- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One input of the report.

    Attributes:
        label: its name in the report (the comparison's label, e.g. `base#2`).
        variant: the loaded or simulated input.
        view: its summary and per-step tables.
        scenario: the scenario that produced it, or None when unavailable.
        missing: why the scenario is not shown (empty when it is).
    """

    label: str
    variant: Variant
    view: RunView
    scenario: Scenario | None
    missing: str = ""


def entries(variants: Sequence[Variant], labels: list[str]) -> list[Entry]:
    """Each input with its view and, where available, its scenario."""
    out = []
    for v, label in zip(variants, labels, strict=True):
        scenario, missing = ((v.scenario, "") if v.scenario is not None
                             else scenario_of_folder(v.outcomes.summary))
        out.append(Entry(label, v, view_of(v), scenario, missing))
    return out


def section(sid: str, title: str, body: str) -> str:
    """One `<section>` of the report, with its heading."""
    return f'<section id="{sid}"><h2>{esc(title)}</h2>{body}</section>'


def _missing(e: Entry) -> str:
    return (f'<p class="missing">Not available: {esc(e.missing)}. The results folder '
            f"{esc(e.variant.source)} holds only the outcomes.</p>")


# -- the assumptions beside the outcomes ----------------------------------------------------------


def assumptions(e: Entry, reference: Entry | None, first: bool = True) -> str:
    """What the numbers of one input rest on, in a few lines (an `<aside>`; the first one has
    the id `assumptions`, for the table of contents)."""
    s = e.view.summary
    items = [f"{s['runs']:,} runs of {s['horizon']} {esc(s['step'])}s, seed {esc(s['seed'])}"]
    overrides = s.get("provenance", {}).get("overrides") or []
    sc = e.scenario
    if sc is None:
        items.append(f'<span class="missing">scenario not shown: {esc(e.missing)}</span>')
    else:
        items.append(f"start at <code>{esc(sc.start)}</code>, tension "
                     f"{esc(describe(sc.initial_tension))}, decay {esc(describe(sc.decay))} "
                     "per step")
        items.append(f'<a href="#actors">{len(sc.actors)} actors</a>, '
                     f'<a href="#events">{len(sc.events)} events</a>, '
                     f'<a href="#sources">{len(sc.sources) + len(sc.ladder.sources)} '
                     "sources</a> (scenario and ladder)")
        if sc.extends:
            items.append(f"a variant of <code>{esc(Path(sc.extends[0]).stem)}</code>; it "
                         "changes " + (", ".join(f"<code>{esc(c)}</code>" for c in sc.changes)
                                       or "nothing declared"))
        elif reference is not None and reference is not e and reference.scenario is not None:
            items.append(f"differences from {esc(reference.label)}: "
                         '<a href="#actors">actors</a>, <a href="#events">events</a>')
    if overrides:
        items.append("--set " + ", ".join(f"<code>{esc(o)}</code>" for o in overrides))
    text = (f"<details><summary>The scenario in words</summary><p>{esc(sc.description)}</p>"
            "</details>" if sc is not None and sc.description else "")
    anchor = ' id="assumptions"' if first else ""
    return (f'<aside class="assume"{anchor}><h4>Assumptions</h4><ul>'
            + "".join(f"<li>{i}</li>" for i in items) + f"</ul>{text}</aside>")


# -- the ladder ---------------------------------------------------------------------------------


def ladder_section(items: list[Entry]) -> str:
    out, seen = [], set()
    for i, e in enumerate(items):
        sc = e.scenario
        if sc is None:
            stages = ", ".join(e.view.stages)
            out.append(f'<p class="missing">{esc(e.label)}: the ladder file is not available '
                       f"({esc(e.missing)}); its stages, lowest first: {esc(stages)}.</p>")
            continue
        if (sc.ladder.sha256, sc.start) in seen:
            continue
        seen.add((sc.ladder.sha256, sc.start))
        lad = sc.ladder
        out.append(f"<h3>{esc(lad.id)}: {esc(lad.title)}</h3><p>{esc(lad.description)}</p>")
        out.append(ladder_svg(lad, sc.start, key=f"ladder{i}"))
        rows = [(s.level, s.id, s.name, s.description) for s in reversed(lad.stages)]
        out.append(table(["level", "stage", "name", "what it means"], rows, numeric=[0]))
    out.append('<p class="note">Read from the bottom: a run starts at the green stage. Tension '
               "rises and falls with the actors' choices; at a stage's <em>up</em> threshold a "
               "run moves one rung up, and after staying at or below its <em>down</em> "
               "threshold for the dwell time it moves one rung down. Red dashed arcs are jumps "
               "that only a deliberate decision (an action's trigger) can take. A run that "
               "enters an absorbing stage (red double border) ends there.</p>")
    return section("ladder", "The escalation ladder", "".join(out))


# -- actors, events, sources: the reference in full, the others where they differ ----------------


def _rules(a: Actor) -> list[str]:
    """`ladder show`'s lines after the actions: per-stage weights, then modifiers."""
    return [line.strip() for line in actor_lines(a)[2 + len(a.actions):]]


def _actor(a: Actor) -> str:
    count = f", {describe(a.count)} members" if a.is_population and a.count else ""
    rows = [(x.id, describe(x.effect), x.trigger or "",
             ", ".join(x.allowed) if x.allowed else "any stage",
             describe(a.policy.weights.get(x.id, 0.0)), x.description) for x in a.actions]
    rules = _rules(a)
    return (f'<h4>{esc(a.name)} <code>{esc(a.id)}</code> ({esc(a.kind)}{esc(count)})</h4>'
            f"<p>{esc(a.description)}</p>"
            + table(["action", "tension effect per step", "triggers a move to", "allowed at",
                     "default weight", "what it is"], rows, numeric=[1, 4],
                    cls=f"actor actor-{a.id}")
            + ("<ul>" + "".join(f"<li>{esc(r)}</li>" for r in rules) + "</ul>" if rules else ""))


def _facts(a: Actor) -> dict[str, str]:
    """An actor as named items, to compare with another input's actor of the same id."""
    out = {"name": a.name, "kind": a.kind + (f", {describe(a.count)} members"
                                             if a.is_population and a.count else ""),
           "description": a.description}
    for x in a.actions:
        out |= {f"{x.id}: tension effect": describe(x.effect), f"{x.id}: trigger": x.trigger or "",
                f"{x.id}: allowed at": ", ".join(x.allowed) if x.allowed else "any stage",
                f"{x.id}: default weight": describe(a.policy.weights.get(x.id, 0.0)),
                f"{x.id}: what it is": x.description}
    for rule in _rules(a):
        key, _, value = rule.partition(":") if rule.startswith("weights at") else (rule, "", "")
        out[key] = value.strip() or "yes"
    return out


def _triggers(sc: Scenario) -> str:
    triggers = [f"{a.id}.{x.id} -> {x.trigger}"
                + (f" (only at {', '.join(x.allowed)})" if x.allowed else "")
                for a in sc.actors for x in a.actions if x.trigger]
    triggers += [f"event {e.name} -> {e.stage}" for e in sc.events if e.stage]
    return ("<p><strong>What triggers what</strong>: "
            + (esc("; ".join(triggers)) if triggers else "no action or event moves the "
               "stage directly; only tension does") + ".</p>")


def _scenario(e: Entry) -> Scenario:
    """The scenario of an input that has one (`_once` passes no other to its views)."""
    assert e.scenario is not None
    return e.scenario


def _actor_diff(ref: Entry, e: Entry) -> str:
    base = {a.id: a for a in _scenario(ref).actors}
    rows, new = [], []
    for a in _scenario(e).actors:
        if a.id not in base:
            new.append(a)
            continue
        fa, fb = _facts(base[a.id]), _facts(a)
        rows += [(a.id, k, fa.get(k, "-"), fb.get(k, "-")) for k in dict.fromkeys([*fa, *fb])
                 if fa.get(k) != fb.get(k)]
    gone = [i for i in base if i not in {a.id for a in _scenario(e).actors}]
    out = [table(["actor", "item", ref.label, e.label], rows, cls="actor-diff")] if rows else []
    out += [_actor(a) for a in new]
    if gone:
        out.append(f"<p>Not in {esc(e.label)}: {esc(', '.join(gone))}.</p>")
    if _triggers(_scenario(e)) != _triggers(_scenario(ref)):
        out.append(_triggers(_scenario(e)))
    return "".join(out) or f"<p>The same actors as {esc(ref.label)}.</p>"


def _events(sc: Scenario, only: set[str] | None = None) -> str:
    rows = [(e.name, event_line(e, sc).strip().removeprefix(f"{e.name}: "), e.description)
            for e in sc.events if only is None or e.name in only]
    return table(["event", "when: what it changes", "description"], rows)


def _event_rows(sc: Scenario) -> dict[str, tuple]:
    return {e.name: (event_line(e, sc), e.description) for e in sc.events}


def _events_full(sc: Scenario) -> str:
    return _events(sc) if sc.events else ("<p>No events: the actors' choices alone move "
                                          "tension.</p>")


def _event_diff(ref: Entry, e: Entry) -> str:
    a, b = _event_rows(_scenario(ref)), _event_rows(_scenario(e))
    changed = {n for n in b if a.get(n) != b[n]}
    gone = [n for n in a if n not in b]
    out = [_events(_scenario(e), changed)] if changed else []
    if gone:
        out.append(f"<p>Not in {esc(e.label)}: {esc('; '.join(gone))}.</p>")
    return "".join(out) or f"<p>The same events as {esc(ref.label)}.</p>"


def _source_lists(sc: Scenario) -> list[tuple[str, list[str]]]:
    lad = sc.ladder
    return [("scenario " + sc.id, list(sc.sources)), ("ladder " + lad.id, list(lad.sources)),
            ("stages", [f"{s.id}: {s.source}" for s in lad.stages if s.source])]


def _sources(parts: list[tuple[str, list[str]]]) -> str:
    return "".join(f"<h4>{esc(title)}</h4><ul>{''.join(f'<li>{esc(x)}</li>' for x in items)}"
                   "</ul>" for title, items in parts if items)


def _source_diff(ref: Entry, e: Entry) -> str:
    known = {x for _, items in _source_lists(_scenario(ref)) for x in items}
    parts = [(t, [x for x in items if x not in known]) for t, items in _source_lists(_scenario(e))]
    return _sources(parts) or f"<p>No sources beyond those of {esc(ref.label)}.</p>"


def _once(items: list[Entry], full: Callable[[Entry], str], diff: Callable[[Entry, Entry], str],
          what: str) -> str:
    """The reference input's `full` view, then each other input's `diff` against it."""
    ref = next((e for e in items if e.scenario is not None), None)
    out = []
    for e in items:
        head = f"<h3>{esc(e.label)}</h3>" if len(items) > 1 else ""
        if e.scenario is None:
            out.append(head + _missing(e))
        elif e is ref:
            out.append(head + full(e))
        else:
            assert ref is not None  # e has a scenario, so the first with one is found
            out.append(f"<h3>{esc(e.label)}: {esc(what)} that differ from {esc(ref.label)}</h3>"
                       + diff(ref, e))
    return "".join(out)


def actors_section(items: list[Entry]) -> str:
    body = _once(items, lambda e: "".join(_actor(a) for a in _scenario(e).actors)
                 + _triggers(_scenario(e)), _actor_diff, "actors")
    return section("actors", "Actors", body)


def events_section(items: list[Entry]) -> str:
    return section("events", "Events",
                   _once(items, lambda e: _events_full(_scenario(e)), _event_diff, "events"))


def sources_section(items: list[Entry]) -> str:
    body = _once(items, lambda e: _sources(_source_lists(_scenario(e)))
                 or "<p>No sources listed.</p>", _source_diff, "sources")
    return section("sources", "Sources", body)
