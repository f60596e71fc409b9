"""`ladder report`: one self-contained HTML file for readers who will not run the tool.

After a short header and a table of contents come the outcomes (tables with intervals, each
with its assumptions beside it), the figures (embedded as base64 PNG) and the comparison when
there are several inputs; then what the numbers rest on (the ladder, drawn as inline SVG; the
actors, events and sources, each shown once: see `sim.present.report_parts`) and provenance.
It loads nothing from the network: no scripts, fonts or style sheets from elsewhere. Every
text taken from an input file is escaped.
"""

from __future__ import annotations

import base64
import platform
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..analyses.compare import compare, describe_pairing, format_p
from ..analyses.variants import Variant
from ..engine.targets import check_file_target
from ..errors import InputError
from .markup import esc, table
from .plots import FOOTNOTE as DISCLAIMER
from .plots import band_note, compare_figure, figure_bytes, run_figure
from .render import NO_DRAWS, _tests, assumption_rows, interval, median_text, time_text
from .report_explain import explain_html
from .report_parts import (
    Entry,
    actors_section,
    assumptions,
    entries,
    events_section,
    ladder_section,
    scenario_of_folder,
    section,
    sources_section,
)

__all__ = ["SECTIONS", "Entry", "check_out", "entries", "report_html", "scenario_of_folder"]

# The sections in page order, with their titles in the table of contents.
SECTIONS = ("outcomes", "plots", "comparison", "explain", "ladder", "actors", "events",
            "sources", "provenance")
TITLES = {"outcomes": "Outcomes", "assumptions": "Assumptions", "plots": "Figures",
          "comparison": "Comparison", "explain": "Why runs escalate",
          "ladder": "The escalation ladder", "actors": "Actors", "events": "Events",
          "sources": "Sources", "provenance": "Provenance"}
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
nav{margin:.8em 0;line-height:1.9}nav a{white-space:nowrap}
.pair{display:flex;flex-wrap:wrap;gap:0 1.5em;align-items:flex-start}.pair .tables{flex:1 1 600px}
.assume{flex:0 0 320px;background:#f6f8fa;border:1px solid #d0d7de;padding:.2em .9em;
font-size:.9em;margin:.8em 0}.assume h4{margin:.5em 0 .2em}.assume ul{padding-left:1.1em;
margin:.3em 0}
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


# -- outcomes, figures, comparison, provenance ---------------------------------------------


def _stage_table(s: dict, ladder: dict) -> str:
    """P(reach), P(final) and time to each stage of one ladder (`ladder`: the summary, or
    one entry of its `ladders`)."""
    rows = []
    for stage in ladder["stages"]:
        t = ladder["time_to"][stage]
        rows.append((stage, interval(ladder["reach"][stage]).strip(),
                     interval(ladder["final"][stage]).strip(), 0 if t is None else t["reached"],
                     time_text(t)))
    return table(["stage", "P(reach) [95% CI]", "P(final) [95% CI]", "runs reaching it",
                  f"time to reach ({esc(s['step'])}s): median [q25, q75] (95% CI)"], rows,
                 numeric=[1, 2, 3, 4])


def _coupled_tables(s: dict) -> str:
    """With coupled ladders: one table per ladder after the main one, and the joint
    outcome; "" for one ladder."""
    ladders = list(s.get("ladders", {}).items())
    if len(ladders) < 2:
        return ""
    out = [f"<p>The table above is ladder <code>{esc(ladders[0][0])}</code>, the main one. "
           "The scenario couples further ladders:</p>"]
    for key, entry in ladders[1:]:
        out.append(f"<h4>Ladder {esc(key)} ({esc(entry['ladder'])})</h4>"
                   + _stage_table(s, entry)
                   + f"<p>Absorbed on this ladder: {esc(interval(entry['absorbed']).strip())}."
                     "</p>")
    joint = s.get("joint")
    if joint:
        by = "; ".join(f"{esc(k)} {esc(interval(v).strip())}" for k, v in joint["by"].items())
        out.append(f"<p>Run ended (any run-ending stage): "
                   f"{esc(interval(joint['ended']).strip())}" + (f" ({by})" if by else "")
                   + ".</p>")
    return "".join(out)


def _outcomes(e: Entry, reference: Entry | None, first: bool) -> str:
    """One input's outcome tables, with its assumptions beside them."""
    s = e.view.summary
    head = f"<h3>{esc(e.label)}</h3>" if e.label else ""
    partial = ('<p class="missing">Interrupted: these figures cover only the runs that '
               "finished.</p>" if s.get("partial") else "")
    tables = (f"{partial}<p>From <code>{esc(e.variant.source)}</code>.</p>"
              + _stage_table(s, s)
              + f"<p>Absorbed (run ended in an absorbing stage): "
                f"{esc(interval(s['absorbed']).strip())}. n = {s['runs']:,} runs; intervals "
                "are Wilson 95%. P(reach) is the share of runs whose highest stage is at or "
                "above the stage; P(final) the share that end in it.</p>"
              + _coupled_tables(s) + _depends(s))
    return (f'{head}<div class="pair"><div class="tables">{tables}</div>'
            f"{assumptions(e, reference, first)}</div>")


def _depends(s: dict) -> str:
    """The drawn numbers the figures depend on most (`summary["assumptions"]`, as after the
    `ladder run` table); "" for a results folder written before it existed."""
    a = s.get("assumptions")
    if a is None:
        return ""
    head = "<h4>What these figures depend on most</h4>"
    if a["drawn"] == 0:
        return f"{head}<p>{esc(NO_DRAWS)}</p>"
    if a["watch"] is None:
        return f"{head}<p>The run starts at the top stage: nothing to measure on.</p>"
    rows = [(r["path"], r["text"], r["low_edge"], interval(r["low"]).strip(),
             f"{r['low']['n']:,}", r["high_edge"], interval(r["high"]).strip(),
             f"{r['high']['n']:,}") for r in assumption_rows(a)]
    rule = "chosen with --watch" if a["rule"] == "--watch" else a["rule"]
    return (f"{head}<p>P(reach <code>{esc(a['watch'])}</code>) ({esc(rule)}) among the runs "
            "in the lowest and the highest fifth of each drawn number's draws, for the "
            f"{len(rows)} of {a['drawn']} drawn numbers where it differs most.</p>"
            + table(["drawn number", "distribution", "lowest fifth", "P(reach) [95% CI]", "n",
                     "highest fifth", "P(reach) [95% CI]", "n"], rows,
                    numeric=[2, 3, 4, 5, 6, 7])
            + '<p class="note">An association within this ensemble, not the effect of one '
              "number: the other drawn numbers vary at the same time, and a fifth of a "
              "discrete draw holds every run tied at its edge. Numbers the file fixes are not "
              "shown; every figure is conditional on them. Names are the paths of "
              "<code>ladder params</code> and <code>--set</code>.</p>")


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
    return section("plots", "Figures", "".join(out))


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
                ["time to reach", f"median {names[0]} (95% CI)", f"median {b} (95% CI)",
                 "hazard ratio", "p (Holm, log-rank)"],
                [(c["metric"][5:], median_text(c["median_a"], c.get("median_ci_a")),
                  median_text(c["median_b"], c.get("median_ci_b")),
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
    return section("comparison", "Comparison", "".join(out))


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
    return section("provenance", "Provenance", "".join(out))


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


def _explain(explained: dict | str, label: str) -> str:
    if isinstance(explained, str):
        return section("explain", TITLES["explain"],
                       f'<p class="missing">Not available for {esc(label)}: {esc(explained)}</p>')
    stages = tuple(explained.get("pathways", {}).get("stages", ()))
    return section("explain", TITLES["explain"] + f": {label}", explain_html(explained, stages))


# -- the document -------------------------------------------------------------------------------


def report_html(variants: Sequence[Variant], explained: dict | str | None = None) -> str:
    """The whole report for one input, or a comparison of several, as an HTML string.

    Args:
        variants: the inputs (`sim.analyses.variants.load_variants`); the first is the baseline.
        explained: `ladder explain` of the first input (`sim.analyses.explain.explain`), or
            why it could not be made; None leaves the section out.

    Raises:
        InputError: when several inputs cannot be compared (different ladders).
    """
    report = compare([v.outcomes for v in variants]) if len(variants) > 1 else None
    labels = report["scenarios"] if report else [variants[0].outcomes.id]
    items = entries(variants, labels)
    first = items[0]
    title = (first.scenario.title if first.scenario else first.label) if len(items) == 1 \
        else "Comparison: " + " vs ".join(labels)
    reference = next((e for e in items if e.scenario is not None), None)
    shown = [sid for sid in ("outcomes", "assumptions", *SECTIONS[1:])
             if (sid != "comparison" or report is not None)
             and (sid != "explain" or explained is not None)]
    toc = ('<nav id="contents" aria-label="Contents"><strong>Contents:</strong> '
           + " · ".join(f'<a href="#{sid}">{esc(TITLES[sid])}</a>' for sid in shown)
           + "</nav>")
    outcomes = ("".join(_outcomes(e, reference, i == 0) for i, e in enumerate(items))
                + _intro(items))
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="disclaimer" id="disclaimer">{esc(DISCLAIMER)} The numbers '
            "follow from the assumptions written in the scenario file (beside each table, and "
            "in full below); they are not predictions of what will happen.</p>",
            toc, section("outcomes", "Outcomes", outcomes), _plots(items, report)]
    if report is not None:
        body.append(_comparison(report, [v.source for v in variants]))
    if explained is not None:
        body.append(_explain(explained, labels[0]))
    body += [ladder_section(items), actors_section(items), events_section(items),
             sources_section(items)]
    body.append(_provenance(items))
    body.append(f'<p class="disclaimer">{esc(DISCLAIMER)}</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")
