"""Text for people: the outcome table of a run and the story of a traced run."""

from __future__ import annotations

from .model import StepNote
from .runner import RunResult
from .scenario import Scenario

DISCLAIMER = ("Distributions under the scenario's stated assumptions (see its file), "
              "not forecasts.")


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def interval(entry: dict) -> str:
    return f"{pct(entry['p']):>5}% [{pct(entry['lo'])}, {pct(entry['hi'])}]"


def summary_table(result: RunResult) -> str:
    """The default `ladder run` output: P(reach) and P(final) per stage, with provenance."""
    s = result.summary
    prov = s["provenance"]
    lines = [f"{s['scenario']} on ladder {s['ladder']}: {s['runs']:,} runs of {s['horizon']} "
             f"{s['step']}s, seed {s['seed']}"]
    if result.partial:
        lines.append("INTERRUPTED: partial summary of the chunks that finished.")
    width = max(len(x) for x in s["stages"]) + 2
    lines.append(f"{'stage':<{width}}{'P(reach) [95% CI]':<26}{'P(final) [95% CI]':<26}"
                 "time to reach: median [q25, q75]")
    for stage in s["stages"]:
        t = s["time_to"][stage]
        when = "never reached" if t is None else f"{t['median']} [{t['q25']}, {t['q75']}]"
        lines.append(f"{stage:<{width}}{interval(s['reach'][stage]):<26}"
                     f"{interval(s['final'][stage]):<26}{when}")
    lines.append(f"absorbed: {interval(s['absorbed']).strip()}; intervals are Wilson 95%, "
                 f"n = {s['runs']:,} runs")
    lines.append(DISCLAIMER)
    lines.append(f"provenance: ladder {prov['version']}, seed {prov['seed']}, "
                 f"{prov['runs']:,} runs, scenario sha256 {prov['scenario_sha256'][:12]}, "
                 f"ladder sha256 {prov['ladder_sha256'][:12]}, mesa {prov['mesa']}, "
                 f"numpy {prov['numpy']}; {s['timing']['seconds']} s on "
                 f"{s['timing']['jobs']} job(s)")
    return "\n".join(lines)


def story(scenario: Scenario, notes: list[StepNote]) -> str:
    """The step-by-step story of one traced run."""
    ladder = scenario.ladder
    stage = scenario.start
    lines = [f"{scenario.id}: one run on ladder {ladder.id}, starting at {stage}"]
    for note in notes:
        date = scenario.clock.date_of(note.step)
        head = f"step {note.step}" + (f" ({date.isoformat()})" if date else "")
        lines.append(head)
        for name in note.events:
            lines.append(f"  event: {name}")
        for actor, action in note.actions.items():
            lines.append(f"  {actor}: {action}")
        lines.append(f"  tension {note.tension:.2f}")
        for text in note.blocked:
            lines.append(f"  {text}")
        if note.move is not None:
            old, new, rule = note.move
            lines.append(f"  MOVE {old} -> {new} by {_why(scenario, note, old, new, rule)}")
            stage = new
        if ladder.stages[ladder.index(stage)].absorbing:
            lines.append(f"  run ends: {stage} is absorbing")
            break
    lines.append(f"final stage: {stage}")
    return "\n".join(lines)


def _why(scenario: Scenario, note: StepNote, old: str, new: str, rule: str) -> str:
    st = scenario.ladder.stages[scenario.ladder.index(old)]
    if rule == "threshold up":
        return f"threshold (tension {note.tension:.2f} >= up {st.up:g})"
    if rule == "threshold down":
        return (f"threshold (tension {note.tension:.2f} <= down {st.down:g} "
                f"for {st.dwell} step(s))")
    if rule == "trigger":
        who = [f"{a.id}.{note.actions[a.id]}" for a in scenario.actors
               for act in a.actions if act.trigger == new and note.actions.get(a.id) == act.id]
        edge = scenario.ladder.edge(old, new)
        guard = f", guard '{edge.guard.text}' held" if edge and edge.guard else ""
        return f"trigger ({', '.join(who) or 'an action'}{guard})"
    if rule == "event":
        return f"event ({', '.join(note.events)})"
    return rule
