"""Text for people: the outcome table of a run and the story of a traced run."""

from __future__ import annotations

import textwrap

from ..engine.assumptions import SHOWN
from ..engine.notes import StepNote
from ..engine.runner import RunResult
from ..format.distributions import Dist
from ..format.scenario import Scenario
from .show_dynamics import uses_tension
from .why import level_text, move_text

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
    if "ladders" in s:
        for key, entry in s["ladders"].items():
            lines.append(f"ladder {key} ({entry['ladder']}):")
            lines += _stage_rows(entry)
            lines.append(f"  entered an absorbing stage: {interval(entry['absorbed']).strip()}")
        joint = s["joint"]
        which = "; ".join(f"{k} {interval(v).strip()}" for k, v in joint["by"].items())
        lines.append(f"run ended (any run-ending stage): {interval(joint['ended']).strip()}"
                     f" ({which}); intervals are Wilson 95%, n = {s['runs']:,} runs")
    else:
        lines += _stage_rows(s)
        lines.append(f"absorbed: {interval(s['absorbed']).strip()}; intervals are Wilson 95%, "
                     f"n = {s['runs']:,} runs")
    if "assumptions" in s:
        lines += assumptions_lines(s["assumptions"])
    lines.append(DISCLAIMER)
    lines.append(f"provenance: ladder {prov['version']}, seed {prov['seed']}, "
                 f"{prov['runs']:,} runs, scenario sha256 {prov['scenario_sha256'][:12]}, "
                 f"ladder sha256 {prov['ladder_sha256'][:12]}, mesa {prov['mesa']}, "
                 f"numpy {prov['numpy']}; {s['timing']['seconds']} s on "
                 f"{s['timing']['jobs']} job(s)")
    if prov.get("overrides"):
        lines.append(f"overrides (--set): {'; '.join(prov['overrides'])}")
    return "\n".join(lines)


NO_DRAWS = ("No number in the file is drawn per run: every figure is conditional on every "
            "number in the file being exactly right.")


def assumption_rows(a: dict, top: int = SHOWN) -> list[dict]:
    """The `top` drawn numbers of a summary's `assumptions` (ranked by the engine), each with
    its distribution as text (`uniform(0.1, 0.3)`) and its fifths' edges as text."""
    rows = []
    for p in a["parameters"][:top]:
        data = p["distribution"]
        kind = next(k for k in data if k not in ("clip", "p"))
        dist = Dist(kind, tuple(data[kind]), integer=p.get("integer", False))
        rows.append({**p, "text": dist_text(dist, data.get("clip")),
                     "low_edge": f"<= {p['low']['at_most']:g}",
                     "high_edge": f">= {p['high']['at_least']:g}"})
    return rows


def dist_text(dist: Dist, clip: list | None = None) -> str:
    """`uniform[0.1, 0.3]`, `choice{4, 8}`, with `clip [lo, hi]` when clipped."""
    args = ", ".join(f"{x:g}" for x in dist.args)
    text = f"{dist.kind} {{{args}}}" if dist.kind == "choice" else f"{dist.kind} [{args}]"
    return text + (f" clip [{clip[0]:g}, {clip[1]:g}]" if clip else "")


def assumptions_lines(a: dict) -> list[str]:
    """The block after the `ladder run` table: the drawn numbers the figures depend on most
    (`summary["assumptions"]`, docs/results.md)."""
    if a["drawn"] == 0:
        return _wrap(NO_DRAWS)
    if a["watch"] is None:
        return _wrap(f"{a['drawn']} number(s) drawn per run, but the run starts at the top "
                    "stage: there is no stage above it to measure them on.")
    rows = assumption_rows(a)
    lines = _wrap(f"Assumptions these figures depend on most: P(reach {a['watch']}) in the "
                 "lowest vs the highest fifth of each drawn number (Wilson 95%, n runs in "
                 "the fifth):")
    for r in rows:
        lines.append(f"  {r['path']}  {r['text']}")
        low = f"{r['low_edge']:>8} {interval(r['low']):<20} n {r['low']['n']:,}"
        lines.append(f"    {low:<37}  {r['high_edge']:>8} {interval(r['high']):<20} "
                     f"n {r['high']['n']:,}")
    rest = len(a["parameters"]) - len(rows)
    shown = f" The {rest} other drawn number(s) moved it less." if rest > 0 else ""
    unsplit = (f" Not split (every draw tied): {', '.join(a['unsplit'])}." if a["unsplit"]
               else "")
    ties = (" A fifth of a discrete draw is inexact (it holds every run tied at its edge)."
            if any(r["integer"] or "choice" in r["distribution"] for r in rows) else "")
    rule = "chosen with --watch" if a["rule"] == "--watch" else a["rule"]
    lines += _wrap(f"  {a['watch']}: {rule}. An association within this ensemble, not the "
                  "effect of one number: the other drawn numbers vary at the same time."
                  f"{ties}{shown}{unsplit} "
                  "Numbers the file fixes are not shown: every figure is conditional on "
                  "them.", indent="  ")
    return lines


def _wrap(text: str, indent: str = "") -> list[str]:
    """Text wrapped to 80 columns (continuation lines indented by `indent`)."""
    return textwrap.wrap(text.strip(), 80, initial_indent=indent, subsequent_indent=indent)


def _stage_rows(s: dict) -> list[str]:
    """The header and one row per stage of a ladder's summary."""
    width = max(len("stage"), *(len(x) for x in s["stages"])) + 2
    lines = [f"{'stage':<{width}}{'P(reach) [95% CI]':<26}{'P(final) [95% CI]':<26}"
             f"{TIME_HEADER}"]
    for stage in s["stages"]:
        lines.append(f"{stage:<{width}}{interval(s['reach'][stage]):<26}"
                     f"{interval(s['final'][stage]):<26}{time_text(s['time_to'][stage])}")
    return lines


TIME_HEADER = "time to reach: median [q25, q75] (95% CI)"


def time_text(t: dict | None) -> str:
    """A stage's `time_to` entry: `32 (31-33) [15 (14-16), 55 (53-57)]`, each quantile with
    its 95% interval, left out where the interval is the quantile's step alone."""
    if t is None:
        return "never reached"

    def one(name: str) -> str:
        lo, hi = t.get(f"{name}_ci", (t[name], t[name]))
        return str(t[name]) if lo == hi == t[name] else f"{t[name]} ({lo}-{hi})"
    return f"{one('median')} [{one('q25')}, {one('q75')}]"



def story(scenario: Scenario, notes: list[StepNote]) -> str:
    """The step-by-step story of one traced run."""
    ladder = scenario.ladder
    stage = scenario.start
    lines = [f"{scenario.id}: one run on ladder {ladder.id}, starting at {stage}"]
    others = {c.key: c.start for c in scenario.coupled}
    if others:
        lines[0] += "; " + "; ".join(f"ladder {c.key} ({c.ladder.id}) at {c.start}"
                                     for c in scenario.coupled)
    shows_tension = uses_tension(scenario)
    for note in notes:
        ended = ""
        date = scenario.clock.date_of(note.step)
        head = f"step {note.step}" + (f" ({date.isoformat()})" if date else "")
        lines.append(head)
        for name in note.events:
            lines.append(f"  event: {name}")
        for actor, action in note.actions.items():
            lines.append(f"  {actor}: {action}")
        for actor, face in note.signals.items():
            lines.append(f"  {actor} showed others: {face}")
        if shows_tension:
            lines.append(f"  tension {level_text(note.tension, note.near.get('tension', ()))}")
        lines += dynamics_lines(note)
        first = [m for m in note.moved if m.rule == "event"]  # events move before the rules
        lines += [f"  {move_text(scenario, note, m)}" for m in first]
        lines += [f"  {text}" for text in note.blocked]
        lines += [f"  {move_text(scenario, note, m)}" for m in note.moved if m.rule != "event"]
        for move in note.moved:
            if move.ladder == scenario.key:
                stage = move.new
                continue
            others[move.ladder] = move.new
            coupled = next(c for c in scenario.coupled if c.key == move.ladder)
            if coupled.ends_run and coupled.ladder.stages[
                    coupled.ladder.index(move.new)].absorbing:
                ended = f"{move.ladder}:{move.new}"
        if ladder.stages[ladder.index(stage)].absorbing:
            ended = ended or stage
        if ended:
            lines.append(f"  run ends: {ended} is absorbing")
            break
    lines.append(f"final stage: {stage}" + "".join(f"; {k}: {v}" for k, v in others.items()))
    return "\n".join(lines)


def dynamics_lines(note: StepNote) -> list[str]:
    """Run 0's variables, flags and what each actor perceived, for a trace."""
    lines = []
    if note.values:
        lines.append("  variables: " + ", ".join(
            f"{k} {level_text(v, note.near.get(k, ()))}" for k, v in note.values.items()))
    if note.flags:
        lines.append("  flags: " + ", ".join(f"{k} {'on' if v else 'off'}"
                                             for k, v in note.flags.items()))
    for actor, seen in note.perceived.items():
        lines.append(f"  {actor} perceived: " + ", ".join(
            f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in seen.items()))
    return lines


def compare_table(report: dict, pairing: str, sources: list[str]) -> str:
    """The default `ladder compare` output: each metric per variant, the difference with
    its interval and adjusted p-value, then the verdicts."""
    from ..analyses.compare import format_p

    names = report["scenarios"]
    letters = {n: chr(ord("A") + i) if i < 26 else f"#{i + 1}" for i, n in enumerate(names)}
    lines = [f"{letters[n]} = {n} ({src}): {report['runs'][n]:,} runs"
             for n, src in zip(names, sources, strict=True)]
    lines += [f"seed {report['seed']}; {pairing}", ""]
    width = max([len(c["metric"]) for c in report["comparisons"]] + [10]) + 2
    for b in names[1:]:
        x = letters[b]
        rows = [c for c in report["comparisons"] if c["b"] == b]
        lines.append(f"{'metric':<{width}}{'A':>8}{x:>8}   {f'{x} - A, points [95% CI]':<26}"
                     "p (Holm)")
        for c in rows:
            if "pa" in c:
                diff = f"{100 * c['diff']:+.1f} [{100 * c['lo']:+.1f}, {100 * c['hi']:+.1f}]"
                lines.append(f"{c['metric']:<{width}}{pct(c['pa']):>7}%{pct(c['pb']):>7}%   "
                             f"{diff:<26}{format_p(c['p_adjusted'])}")
        times = [c for c in rows if c["metric"].startswith("time:")]
        if times:
            lines.append(f"time to reach: median step (95% CI) of the runs that reached it, "
                         f"hazard ratio {x}/A, log-rank")
            for c in times:
                hr = c["effect"]["hazard_ratio"]
                hr_text = "n/a" if hr is None else f"{hr:.2f}"
                lines.append(f"  {c['metric'][5:]:<{width - 2}}"
                             f"{median_text(c['median_a'], c.get('median_ci_a')):>14}"
                             f"{median_text(c['median_b'], c.get('median_ci_b')):>14}   "
                             f"HR {hr_text:<23}{format_p(c['p_adjusted'])}")
        for f in report["final_distributions"]:
            if f["b"] == b:
                lines.append(f"final stage, {x} vs A: chi2 = {f['chi2']:.1f}, dof {f['dof']}, "
                             f"{format_p(f['p_adjusted'])} (Holm), Cramer's V "
                             f"{f['effect']['cramers_v']:.3f}")
        lines.append("")
    lines.append("verdicts:")
    lines += [f"  {v}" for v in report["verdicts"]] or ["  (no metric varies)"]
    lines.append(f"tests: {_tests(report)}; p-values adjusted by {report['adjustment']}.")
    lines.append(DISCLAIMER)
    return "\n".join(lines)


def median_text(median: int | None, ci: list[int] | None) -> str:
    """A compared median step with its 95% interval, `37 (36-38)`; `-` if never reached."""
    if median is None:
        return "-"
    return str(median) if ci is None or ci[0] == ci[1] == median else f"{median} ({ci[0]}-{ci[1]})"


def _tests(report: dict) -> str:
    seen: list[str] = []
    for c in report["comparisons"] + report["final_distributions"]:
        if c["test"] not in seen:
            seen.append(c["test"])
    return "; ".join(seen)
