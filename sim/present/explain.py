"""The text of `ladder explain` (its JSON is the dict of `sim.analyses.explain.explain`)."""

from __future__ import annotations

import textwrap

from .render import pct
from .requirements import chain_lines

DRIVERS_SHOWN = 10


def _ci(entry: dict) -> str:
    return f"{pct(entry['p'])}% [{pct(entry['lo'])}, {pct(entry['hi'])}]"


def _points(x: float) -> str:
    return f"{100 * x:+.1f}"


def explain_text(e: dict) -> str:
    """Every part of an explanation as text, in the order of the JSON."""
    o = e["outcome"]
    lines = [f"Why runs escalate: {e['runs']:,} runs, seed {e['seed']} ({e['source']})",
             f"Outcome: {o['ladder']}:{o['stage']}, reached in {_ci(o['p'])} of runs "
             f"(n = {e['runs']:,})"]
    if e.get("default_outcome"):
        lines += _wrap(f"(by default {e['default_outcome']}; choose with --outcome "
                       "LADDER:STAGE)", "  ")
    lines += _wrap(e["assumptions"])
    for part, render in (("pathways", _pathways), ("drivers", _drivers),
                         ("offramps", _offramps), ("must_be_true", _must),
                         ("narratives", _narratives)):
        if part in e:
            lines.append("")
            value = e[part]
            if isinstance(value, dict) and "skipped" in value:
                lines.append(f"{TITLES[part]}: not computed ({value['skipped']})")
            else:
                lines += render(value, e)
    return "\n".join(lines)


TITLES = {"pathways": "Pathways", "drivers": "Drivers", "offramps": "Off-ramps",
          "must_be_true": "What must be true", "narratives": "Narratives"}


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, 92, initial_indent=indent, subsequent_indent=indent + "  ")


def _pathway_rows(block: dict) -> list[str]:
    rows = []
    for p in block["pathways"]:
        rows += _wrap(f"{_ci(p['share']):<22} {p['runs']:>7,} runs  {p['path']}", "  ")
    if block["other"]["runs"]:
        rows.append(f"  {'':<22} {block['other']['runs']:>7,} runs  (other pathways)")
    return rows


def _pathways(p: dict, e: dict) -> list[str]:
    stage = e["outcome"]["stage"]
    to = p["to_outcome"]
    lines = _wrap(f"Pathways to {stage} on {p['ladder']} (the moves to each new peak, with "
                  f"their causes), among the {to['runs']:,} runs that reach it "
                  f"({to['distinct']} distinct):")
    lines += _pathway_rows(to) if to["runs"] else ["  (no run reaches it)"]
    a = p["all"]
    lines.append(f"Pathways of all {a['runs']:,} runs, to their highest stage "
                 f"({a['distinct']} distinct):")
    return lines + _pathway_rows(a)


def _drivers(d: dict, e: dict) -> list[str]:
    lines = _wrap(f"Drivers of {e['outcome']['stage']}: runs that reach it "
                  f"({d['reached']:,}) against runs that do not ({d['not_reached']:,}), by "
                  "|d|:")
    if "note" in d:
        return lines + [f"  {d['note']}"]
    lines.append(f"  {'':<58}{'reach':>9}{'not':>9}  {'d [95% CI]':<20}")
    for r in d["rows"][:DRIVERS_SHOWN]:
        unit = "/step" if r["kind"] == "action" else ""
        unit += " (only in runs that reach)" if r["mean_not"] == 0 else ""
        lines.append(f"  {(r['name'] + unit)[:57]:<58}{r['mean_reached']:>9.3g}"
                     f"{r['mean_not']:>9.3g}  {r['d']:+.2f} [{r['d_lo']:+.2f}, {r['d_hi']:+.2f}]")
    if len(d["rows"]) > DRIVERS_SHOWN:
        lines.append(f"  ... {len(d['rows']) - DRIVERS_SHOWN} more in --json")
    return lines + _wrap(f"Method: {d['method']}.", "  ")


def _offramps(f: dict, e: dict) -> list[str]:
    stage = e["outcome"]["stage"]
    lines = _wrap(f"Off-ramps: each actor's legal move at each stage, by its change in "
                  f"P({stage}) when taken there ({f['fork_runs']:,} paired runs per move per "
                  "position):")
    for st in f["stages"]:
        where = ", ".join(f"run {p['run']} at step {p['step']}" for p in st["positions"])
        lines.append(f"  at {st['stage']}" + (f" (from {where})" if where else f": {st['note']}"))
        for r in sorted(st["moves"], key=lambda r: (r["diff"], r["actor"], r["action"])):
            lines.append(f"    {r['actor'] + '.' + r['action']:<40} {pct(r['p_base']):>6}% -> "
                         f"{pct(r['p_move']):>6}%  {_points(r['diff'])} points "
                         f"[{_points(r['lo'])}, {_points(r['hi'])}]")
        for actor, b in st["best"].items():
            change = f"{_points(b['diff'])} points [{_points(b['lo'])}, {_points(b['hi'])}]"
            lines.append(f"    best de-escalatory move for {actor}: " + (
                f"{b['action']}, {change}" if b["clear"] else
                f"none beyond noise (lowest: {b['action']}, {change})"))
    return lines + _wrap(f"Method: {f['method']}.", "  ")


def _must(entries: list[dict], e: dict) -> list[str]:
    lines = ["What must be true: the chains of rules that can reach each run-ending stage "
             "(from the files):"]
    for entry in entries:
        for x in chain_lines(entry):
            indent = "  " + " " * (len(x) - len(x.lstrip()))
            lines += _wrap(x.strip(), indent) or [""]
    return lines


def _narratives(items: list[dict], e: dict) -> list[str]:
    lines = _wrap("Narratives: a representative run of each outcome class (the runs whose "
                  f"highest stage on {e['outcome']['ladder']} is the class), nearest the "
                  "class's typical path:")
    for n in items:
        lines.append(f"  {n['class']}: {n['runs']:,} runs ({pct(n['of_all'])}%); run "
                     f"{n['run']}, on the pathway {pct(n['share']['p'])}% of the class took")
        for sentence in n["story"]:
            lines += _wrap(sentence, "    ")
    return lines
