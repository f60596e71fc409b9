"""The "Why runs escalate" section of `ladder report`: `ladder explain` of the first input,
with the pathways' flow diagram (`sim.present.sankey`)."""

from __future__ import annotations

from .explain import DRIVERS_SHOWN
from .markup import esc, table
from .render import pct
from .requirements import chain_lines
from .sankey import sankey_svg


def _ci(e: dict) -> str:
    return f"{pct(e['p'])}% [{pct(e['lo'])}, {pct(e['hi'])}]"


def _pts(x: float) -> str:
    return f"{100 * x:+.1f}"


def explain_html(e: dict, stages: tuple[str, ...]) -> str:
    """The section's body for an explanation (`sim.analyses.explain.explain`) of a ladder with
    `stages`."""
    o = e["outcome"]
    out = [f"<p>Outcome: reaching <code>{esc(o['stage'])}</code> on <code>{esc(o['ladder'])}"
           f"</code>, in {_ci(o['p'])} of {e['runs']:,} runs. {esc(e['assumptions'])} "
           "The same as <code>ladder explain</code> (docs/explain.md).</p>"]
    if "pathways" in e:
        p = e["pathways"]
        out.append("<h3>Pathways</h3>")
        out.append(sankey_svg(p["flows"], stages, p["start"], e["runs"],
                              f"How the {e['runs']:,} runs rose on {p['ladder']}"))
        out.append('<p class="note">Each band goes from the stage a run had reached to its '
                   "next new peak, as wide as the runs that took it, coloured by cause.</p>")
        for title, block in ((f"To {o['stage']}", p["to_outcome"]), ("All runs", p["all"])):
            rows = [(_ci(x["share"]), f"{x['runs']:,}", x["path"]) for x in block["pathways"]]
            out.append(f"<h4>{esc(title)} ({block['runs']:,} runs, {block['distinct']} "
                       "distinct pathways)</h4>" + table(("share [95% CI]", "runs", "pathway"),
                                                        rows, numeric=(0, 1)))
    if "drivers" in e and "rows" in e["drivers"]:
        d = e["drivers"]
        drows = [(r["name"], r["kind"], f"{r['mean_reached']:.3g}", f"{r['mean_not']:.3g}",
                 f"{r['d']:+.2f} [{r['d_lo']:+.2f}, {r['d_hi']:+.2f}]")
                for r in d["rows"][:DRIVERS_SHOWN]]
        out.append(f"<h3>Drivers</h3><p>Runs that reach it ({d['reached']:,}) against runs "
                   f"that do not ({d['not_reached']:,}). {esc(d['method'])}.</p>"
                   + table(("name", "kind", "reach", "not", "Cohen's d [95% CI]"), drows,
                           numeric=(2, 3, 4)))
    if "offramps" in e and "stages" in e["offramps"]:
        f = e["offramps"]
        out.append(f"<h3>Off-ramps</h3><p>{esc(f['method'])}; {f['fork_runs']:,} paired runs "
                   "per move per position.</p>")
        for st in f["stages"]:
            frows = [(f"{r['actor']}.{r['action']}", f"{pct(r['p_base'])}%",
                     f"{pct(r['p_move'])}%", f"{_pts(r['diff'])} [{_pts(r['lo'])}, "
                     f"{_pts(r['hi'])}]") for r in sorted(st["moves"], key=lambda r: r["diff"])]
            out.append(f"<h4>At {esc(st['stage'])}</h4>" + (
                table(("move", "P base", "P with the move", "points [95% CI]"), frows,
                      numeric=(1, 2, 3)) if frows else f"<p>{esc(st['note'])}</p>"))
    if isinstance(e.get("must_be_true"), list):
        text = "\n".join(x for entry in e["must_be_true"] for x in chain_lines(entry))
        out.append(f"<h3>What must be true</h3><pre>{esc(text)}</pre>")
    if isinstance(e.get("narratives"), list):
        out.append("<h3>Narratives</h3>")
        for n in e["narratives"]:
            out.append(f"<h4>{esc(n['class'])}: {n['runs']:,} runs ({pct(n['of_all'])}%), "
                       f"run {n['run']}</h4><p>" + " ".join(esc(s) for s in n["story"])
                       + "</p>")
    for part in ("drivers", "offramps", "must_be_true", "narratives"):
        value = e.get(part)
        if isinstance(value, dict) and "skipped" in value:
            out.append(f'<p class="missing">{esc(part)}: not computed ({esc(value["skipped"])})'
                       "</p>")
    return "".join(out)
