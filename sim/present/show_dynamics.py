"""What `ladder show` prints of a scenario's dynamics (docs/format.md, "State variables" to
"Hazards"): coupled ladders, variables, flags and hazards, and each action's, actor's and
event's part in them. Prints nothing for a scenario that uses none."""

from __future__ import annotations

from collections.abc import Callable

from ..format.actors import Action, Actor
from ..format.distributions import describe
from ..format.events import Event
from ..format.ladder import Ladder
from ..format.scenario import Scenario


def effect_text(action: Action) -> str:
    """`effect 0.5`, or the map of its effects: `effect tension 0.1, minsk.threat 0.3`."""
    if not action.effects:
        return f"effect {describe(action.effect)}"
    parts = ([f"tension {describe(action.effect)}"] if action.effect != 0.0 else [])
    parts += [f"{name} {describe(value)}" for name, value in action.effects]
    return "effect " + ", ".join(parts)


def action_parts(action: Action) -> list[str]:
    """An action's coupled trigger, flags, signal and joint requirement, for its line."""
    parts = []
    if action.trigger_on is not None:
        parts.append(f"trigger -> {action.trigger_on[0]}:{action.trigger_on[1]}")
    if action.requires is not None:
        back = (f" (or up to {action.within} step{'s' * (action.within != 1)} before)"
                if action.within else "")
        parts.append(f"only with {action.requires[0]}.{action.requires[1]}{back}")
    if action.sets:
        parts.append(f"sets {', '.join(action.sets)}")
    if action.clears:
        parts.append(f"clears {', '.join(action.clears)}")
    if action.signal is not None:
        parts.append(f"shown as {action.signal[0]} with p {action.signal[1]:g}")
    return parts


def perceives_lines(actor: Actor) -> list[str]:
    """How an actor sees what it perceives."""
    return [f"    perceives {p.name}: bias {describe(p.bias)}, noise {describe(p.noise)}, "
            f"lag {p.lag}" for p in actor.perceives]


def event_parts(event: Event) -> list[str]:
    """An event's changes to variables, flags and coupled ladders."""
    parts = [f"{name} {op} {describe(value)}" for name, op, value in event.variables]
    parts += [f"{'set' if on else 'clear'} {name}" for name, on in event.flags]
    if event.stage_on is not None:
        parts.append(f"stage -> {event.stage_on[0]}:{event.stage_on[1]}")
    return parts


def scenario_lines(scenario: Scenario, ladder_text: Callable[[Ladder, str], str]) -> list[str]:
    """The coupled ladders (drawn by `ladder_text`), variables, flags and hazards."""
    lines: list[str] = []
    if scenario.key != "main" or scenario.reads != "tension" or scenario.coupled:
        lines += ["", f"The ladder above has key {scenario.key} and reads {scenario.reads}."]
    for c in scenario.coupled:
        ends = "ends the run" if c.ends_run else "does not end the run"
        lines += ["", f"Ladder {c.key} (reads {c.reads}; entering an absorbing stage {ends})"]
        lines += ["  " + row if row else "" for row in
                  ladder_text(c.ladder, c.start).rstrip("\n").split("\n")]
    if scenario.variables:
        lines += ["", "Variables"]
        for v in scenario.variables:
            how = (f"learns at rate {v.learn.rate:g} toward "
                   + "; ".join(c.text for c in v.learn.toward)) if v.learn else \
                f"decay {describe(v.decay)}"
            bounds = "".join([f", min {v.low:g}" if v.low is not None else "",
                              f", max {v.high:g}" if v.high is not None else ""])
            lines.append(f"  {v.name}: initial {describe(v.initial)}, {how}{bounds}")
    if scenario.flags:
        lines += ["", "Flags"]
        lines += [f"  {f.name}: initially {'on' if f.initial else 'off'}"
                  for f in scenario.flags]
    if scenario.hazards:
        lines += ["", "Hazards (chance moves, cause accident)"]
        for h in scenario.hazards:
            when = f" while {h.when.text}" if h.when is not None else ""
            lines.append(f"  ladder {h.ladder}: at {', '.join(h.at)} -> {h.to} with p "
                         f"{describe(h.p)} a step{when}")
    return lines


def uses_tension(scenario: Scenario) -> bool:
    """Whether a scenario uses the built-in tension: a ladder reads it, it starts above 0, or
    an action or event changes it (a file on state variables alone does not)."""
    return (scenario.reads == "tension" or any(c.reads == "tension" for c in scenario.coupled)
            or scenario.initial_tension != 0
            or any(a.effect != 0 for actor in scenario.actors for a in actor.actions)
            or any(e.tension is not None for e in scenario.events))
