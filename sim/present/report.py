"""`ladder report`: one self-contained HTML file for readers who will not run the tool.

The report puts side by side what the numbers rest on (the ladder, drawn as inline SVG; the
actors, events and sources of the scenario) and what came out (outcome tables with intervals,
figures embedded as base64 PNG, the comparison when there are several inputs, provenance).
It loads nothing from the network: no scripts, fonts or style sheets from elsewhere. Every
text taken from an input file is escaped.
"""

from __future__ import annotations

import base64
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..analyses.compare import compare, describe_pairing, format_p
from ..analyses.variants import Variant
from ..engine.targets import check_file_target
from ..errors import InputError, LadderError
from ..format.distributions import describe
from ..format.scenario import Scenario, load_scenario
from ..format.yamlio import parse_yaml
from .ladder_svg import ladder_svg
from .markup import esc, table
from .plots import FOOTNOTE as DISCLAIMER
from .plots import RunView, band_note, compare_figure, figure_bytes, run_figure, view_of
from .render import _step, _tests, interval
from .show import actor_lines, event_line

SECTIONS = ("ladder", "actors", "events", "sources", "outcomes", "plots", "comparison",
            "provenance")
CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;
max-width:1120px;margin:2em auto;padding:0 1em}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;
margin-top:2em}table{border-collapse:collapse;margin:.8em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}.disclaimer{background:#fff4d6;border:2px solid #e0a800;padding:.7em 1em;
font-weight:600;font-size:1.05em}.note{color:#555;font-size:.92em}img,svg{max-width:100%;
height:auto}code{background:#f4f4f4;padding:0 .2em}.missing{color:#a00}
"""


def check_out(path: str | Path) -> Path:
    """The report file, checked before anything is simulated.

    Raises:
        InputError: unless it ends in .html or .htm and can be written
            (`sim.engine.targets.check_file_target`: its folder exists and takes new files;
            it is not a folder or a special file).
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--out {path}: a report is an HTML file; use a name ending in .html")
    return check_file_target(path, "--out")


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


def scenario_of_folder(summary: dict) -> tuple[Scenario | None, str]:
    """The scenario a results folder was made from, if its file is still there unchanged.

    The file named in the provenance is loaded when its SHA-256 and its ladder's match the
    recorded ones; the recorded `--set` overrides are applied again.

    Returns:
        The scenario (or None) and, when None, the reason in words.
    """
    prov = summary.get("provenance", {})
    path = prov.get("scenario_file")
    if not path or not Path(path).is_file():
        return None, f"the scenario file ({path or 'not recorded'}) is not available"
    try:
        overrides = {}
        for item in prov.get("overrides", []):
            key, _, text = item.partition("=")
            overrides[key] = parse_yaml(text, f"--set {key}")
        scenario = load_scenario(path, overrides)
    except LadderError as exc:
        return None, f"the scenario file {path} no longer loads ({str(exc).splitlines()[0]})"
    if (scenario.sha256, scenario.ladder.sha256) != (prov.get("scenario_sha256"),
                                                     prov.get("ladder_sha256")):
        return None, (f"the scenario file {path} or its ladder has changed since the run "
                      "(SHA-256 differs)")
    return scenario, ""


def entries(variants: Sequence[Variant], labels: Sequence[str]) -> list[Entry]:
    """Each input with its view and, where available, its scenario."""
    out = []
    for v, label in zip(variants, labels, strict=True):
        scenario, missing = ((v.scenario, "") if v.scenario is not None
                             else scenario_of_folder(v.outcomes.summary))
        out.append(Entry(label, v, view_of(v), scenario, missing))
    return out


# -- sections -----------------------------------------------------------------------------------


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{esc(title)}</h2>{body}</section>'


def _per_input(items: list[Entry], body) -> str:
    """One block per input: `body(entry)` when its scenario is known, else a note."""
    out = []
    for e in items:
        head = f"<h3>{esc(e.label)}</h3>" if len(items) > 1 else ""
        if e.scenario is None:
            out.append(f'{head}<p class="missing">Not available: {esc(e.missing)}. The results '
                       f"folder {esc(e.variant.source)} holds only the outcomes.</p>")
        else:
            out.append(head + body(e.scenario))
    return "".join(out)


def _ladder_section(items: list[Entry]) -> str:
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
    return _section("ladder", "The escalation ladder", "".join(out))


def _actors(sc: Scenario) -> str:
    out = []
    for a in sc.actors:
        count = f", {describe(a.count)} members" if a.is_population and a.count else ""
        out.append(f"<h4>{esc(a.name)} <code>{esc(a.id)}</code> ({esc(a.kind)}{esc(count)})"
                   f"</h4><p>{esc(a.description)}</p>")
        rows = [(x.id, describe(x.effect), x.trigger or "",
                 ", ".join(x.allowed) if x.allowed else "any stage",
                 describe(a.policy.weights.get(x.id, 0.0)), x.description) for x in a.actions]
        out.append(table(["action", "tension effect per step", "triggers a move to",
                          "allowed at", "default weight", "what it is"], rows, numeric=[1, 4]))
        # `ladder show`'s lines after the actions: per-stage weights, then modifiers.
        rules = [line.strip() for line in actor_lines(a)[2 + len(a.actions):]]
        if rules:
            out.append("<ul>" + "".join(f"<li>{esc(r)}</li>" for r in rules) + "</ul>")
    triggers = [f"{a.id}.{x.id} -> {x.trigger}"
                + (f" (only at {', '.join(x.allowed)})" if x.allowed else "")
                for a in sc.actors for x in a.actions if x.trigger]
    triggers += [f"event {e.name} -> {e.stage}" for e in sc.events if e.stage]
    out.append("<p><strong>What triggers what</strong>: "
               + (esc("; ".join(triggers)) if triggers else "no action or event moves the "
                  "stage directly; only tension does") + ".</p>")
    return "".join(out)


def _events(sc: Scenario) -> str:
    if not sc.events:
        return "<p>No events: the actors' choices alone move tension.</p>"
    rows = [(e.name, event_line(e, sc).strip().removeprefix(f"{e.name}: "), e.description)
            for e in sc.events]
    return table(["event", "when: what it changes", "description"], rows)


def _sources(sc: Scenario) -> str:
    lad = sc.ladder
    parts = [("scenario " + sc.id, list(sc.sources)), ("ladder " + lad.id, list(lad.sources)),
             ("stages", [f"{s.id}: {s.source}" for s in lad.stages if s.source])]
    return "".join(f"<h4>{esc(title)}</h4><ul>{''.join(f'<li>{esc(x)}</li>' for x in items)}"
                   "</ul>" for title, items in parts if items) or "<p>No sources listed.</p>"


def _outcomes(e: Entry) -> str:
    s = e.view.summary
    rows = []
    for stage in s["stages"]:
        t = s["time_to"][stage]
        rows.append((stage, interval(s["reach"][stage]).strip(),
                     interval(s["final"][stage]).strip(), 0 if t is None else t["reached"],
                     "never reached" if t is None else
                     f"{t['median']} [{t['q25']}, {t['q75']}]"))
    head = f"<h3>{esc(e.label)}</h3>" if e.label else ""
    partial = ('<p class="missing">Interrupted: these figures cover only the runs that '
               "finished.</p>" if s.get("partial") else "")
    return (f"{head}{partial}<p>{s['runs']:,} runs of {s['horizon']} {esc(s['step'])}s, seed "
            f"{esc(s['seed'])}, from <code>{esc(e.variant.source)}</code>.</p>"
            + table(["stage", "P(reach) [95% CI]", "P(final) [95% CI]", "runs reaching it",
                     f"time to reach ({esc(s['step'])}s): median [q25, q75]"], rows,
                    numeric=[1, 2, 3, 4])
            + f"<p>Absorbed (run ended in an absorbing stage): "
              f"{esc(interval(s['absorbed']).strip())}. n = {s['runs']:,} runs; intervals are "
              "Wilson 95%. P(reach) is the share of runs whose highest stage is at or above "
              "the stage; P(final) the share that end in it.</p>")


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}">'


def _plots(items: list[Entry], report: dict | None) -> str:
    out = []
    if report is not None:
        views = [e.view for e in items]
        out.append("<h3>Comparison</h3>" + _img(figure_bytes(compare_figure(views, report),
                                                            "png"),
                                               "comparison of " + ", ".join(report["scenarios"])))
    for e in items:
        out.append(f"<h3>{esc(e.label)}</h3>"
                   + _img(figure_bytes(run_figure(e.view), "png"), f"outcomes of {e.label}")
                   + f'<p class="note">Tension: the shaded {esc(band_note(e.view))} shows '
                     "quantiles across runs; the mean line covers all runs.</p>")
    return _section("plots", "Figures", "".join(out))


def _comparison(report: dict, sources: Sequence[str]) -> str:
    names = report["scenarios"]
    out = [table(["", "scenario", "from", "runs"],
                 [(chr(65 + i) if i < 26 else f"#{i + 1}", n, src, f"{report['runs'][n]:,}")
                  for i, (n, src) in enumerate(zip(names, sources, strict=True))], numeric=[3])]
    out.append(f"<p>{esc(describe_pairing(report))}.</p>")
    for b in names[1:]:
        rows = [c for c in report["comparisons"] if c["b"] == b]
        out.append(f"<h3>{esc(b)} against {esc(names[0])}</h3>")
        out.append(table(
            ["metric", f"{names[0]}", f"{b}", "difference, points [95% CI]", "p (Holm)"],
            [(c["metric"], f"{100 * c['pa']:.1f}%", f"{100 * c['pb']:.1f}%",
              f"{100 * c['diff']:+.1f} [{100 * c['lo']:+.1f}, {100 * c['hi']:+.1f}]",
              format_p(c["p_adjusted"])) for c in rows if "diff" in c], numeric=[1, 2, 3]))
        times = [c for c in rows if c["metric"].startswith("time:")]
        if times:
            out.append(table(
                ["time to reach", f"median {names[0]}", f"median {b}", "hazard ratio",
                 "p (Holm, log-rank)"],
                [(c["metric"][5:], _step(c["median_a"]), _step(c["median_b"]),
                  "n/a" if c["effect"]["hazard_ratio"] is None
                  else f"{c['effect']['hazard_ratio']:.2f}", format_p(c["p_adjusted"]))
                 for c in times], numeric=[1, 2, 3]))
        for f in report["final_distributions"]:
            if f["b"] == b:
                out.append(f"<p>Final stage: chi2 = {f['chi2']:.1f}, dof {f['dof']}, "
                           f"{esc(format_p(f['p_adjusted']))} (Holm), Cramer's V "
                           f"{f['effect']['cramers_v']:.3f}.</p>")
    verdicts = report["verdicts"] or ["(no metric varies)"]
    out.append("<h3>In words</h3><ul>" + "".join(f"<li>{esc(v)}</li>" for v in verdicts)
               + "</ul>")
    out.append(f'<p class="note">Tests: {esc(_tests(report))}; p-values adjusted by '
               f"{esc(report['adjustment'])}.</p>")
    return _section("comparison", "Comparison", "".join(out))


def _provenance(items: list[Entry]) -> str:
    out = []
    for e in items:
        prov = dict(e.view.summary.get("provenance", {}))
        if "overrides" in prov:
            prov["overrides"] = "; ".join(prov["overrides"])
        timing = e.view.summary.get("timing", {})
        rows = [(k, v) for k, v in prov.items()] + [(f"timing.{k}", v) for k, v in timing.items()]
        out.append(f"<h3>{esc(e.label)}</h3>" + table(["field", "value"], rows))
    import matplotlib

    out.append(f'<p class="note">Report made by ladder {esc(__version__)} with Python '
               f"{esc(platform.python_version())} and matplotlib {esc(matplotlib.__version__)}."
               " The same inputs, seed and runs give the same numbers.</p>")
    return _section("provenance", "Provenance", "".join(out))


def _intro(items: list[Entry]) -> str:
    """What the report is, in plain words, with an example read from the first input."""
    s = items[0].view.summary
    middle = [x for x in s["stages"] if 0 < s["reach"][x]["p"] < 1] or s["stages"][-1:]
    stage = middle[0]
    example = interval(s["reach"][stage]).strip()
    runs = " and ".join(f"{e.view.summary['runs']:,}" for e in items)
    return (
        "<p>This report describes a computer simulation of how a crisis can move up or down "
        "an <em>escalation ladder</em>: an ordered list of stages, from calm to the use of "
        "force, read from a doctrine. The scenario says who the actors are, what each can do, "
        "how likely each choice is, and what happens when. The simulation plays the scenario "
        f"out many times ({runs} runs) with different random draws and counts how often each "
        f"stage was reached. For example, <strong>{esc(stage)} {esc(example)}</strong> "
        f"means that {esc(example.split('%')[0])}% of the simulated runs reached "
        f"{esc(stage)} or a higher stage, and that, given the finite number of runs, the "
        "share under these assumptions lies in the bracketed range with 95% confidence.</p>")


# -- the document -------------------------------------------------------------------------------


def report_html(variants: Sequence[Variant]) -> str:
    """The whole report for one input, or a comparison of several, as an HTML string.

    Args:
        variants: the inputs (`sim.analyses.variants.load_variants`); the first is the baseline.

    Raises:
        InputError: when several inputs cannot be compared (different ladders).
    """
    report = compare([v.outcomes for v in variants]) if len(variants) > 1 else None
    labels = report["scenarios"] if report else [variants[0].outcomes.id]
    items = entries(variants, labels)
    first = items[0]
    title = (first.scenario.title if first.scenario else first.label) if len(items) == 1 \
        else "Comparison: " + " vs ".join(labels)
    descriptions = "".join(f"<p><strong>{esc(e.label)}</strong>: {esc(e.scenario.description)}"
                           "</p>" for e in items if e.scenario and e.scenario.description)
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="disclaimer" id="disclaimer">{esc(DISCLAIMER)} The numbers '
            "follow from the assumptions written in the scenario file (shown below); they are "
            "not predictions of what will happen.</p>",
            _intro(items), descriptions,
            _ladder_section(items),
            _section("actors", "Actors", _per_input(items, _actors)),
            _section("events", "Events", _per_input(items, _events)),
            _section("sources", "Sources", _per_input(items, _sources)),
            _section("outcomes", "Outcomes", "".join(_outcomes(e) for e in items)),
            _plots(items, report)]
    if report is not None:
        body.append(_comparison(report, [v.source for v in variants]))
    body.append(_provenance(items))
    body.append(f'<p class="disclaimer">{esc(DISCLAIMER)}</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")
