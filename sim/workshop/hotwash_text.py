"""The words of a hot wash (`sim.workshop.hotwash`): one room's, whole or short, as a
`sim.workshop.prose.Doc` for the terminal or markdown. Every probability is shown with its
95% interval and n."""

from __future__ import annotations

from ..analyses.compare import format_p
from .prose import Doc

PAIRED = ("paired runs from the same position (common random numbers): Newcombe's 95% "
          "interval, exact McNemar p")
SHORT = 3  # items per section in a room's short hot wash


def pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def prob(x: dict) -> str:
    """A P(reach) with its interval: '25.1% [23.2, 27.0]', or 'reached'."""
    if x.get("reached"):
        return "reached"
    return f"{pct(x['p'])} [{100 * x['lo']:.1f}, {100 * x['hi']:.1f}]"


def points(diff: float, lo: float, hi: float) -> str:
    return f"{100 * diff:+.1f} points [{100 * lo:+.1f}, {100 * hi:+.1f}]"


def share_text(share: float | None) -> str:
    """A policy share: '38%', '<1%', '0%' (exact: the scenario's weights, not an estimate)."""
    if share is None:
        return "none: outside the repertoire"
    if 0 < share < 0.005:
        return "<1%"
    return f"{100 * share:.0f}%"


def _many(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def headline_doc(h: dict, title: str, short: bool = False) -> Doc:
    sc, end = h["scenario"], h["end"]
    turn = ("a turn runs to the next decision point" if h["turn_steps"] == "decision"
            else f"a turn is {h['turn_steps']} step" + ("s" if h["turn_steps"] != 1 else ""))
    played = (", ".join(h["players"]) + "; the other actors follow their scenario policies"
              if h["players"] else "nobody (every actor follows its scenario policy)")
    doc = Doc()
    (doc.h2 if short else doc.h1)(f"{title}: {sc['title']}")
    doc.p(f"Scenario {sc['id']} on ladder {sc['ladder']}, seed {h['seed']}. Played: {played}. "
          f"{_many(h['turns'], 'turn')} ({turn}), {_many(h['decisions'], 'decision point')}, "
          f"{_many(h['control_acts'], 'act')} of Control, {_many(h['forks'], 'fork')}. "
          f"Ended ({end['ended']}) at "
          f"step {end['step']} in {end['stage']}; highest stage reached {end['peak']}.")
    watched = (f" Swings and Control's acts are read at {h['watched']} (--stage to choose)."
               if h["watched"] else "")
    doc.p(f"{h['assumptions']}. Each outlook: {h['outlook_runs']:,} runs forked from the "
          f"played position.{watched}")
    return doc


def departure(d: dict) -> str:
    why = f" Why: \"{d['why']}\"." if d["why"] else " No reason recorded."
    head = (f"Step {d['step']}, {d['actor']} at {d['stage']}: {d['chosen']} ({d['how']}; "
            f"policy share {share_text(d['share'])}).{why}")
    e = d["effect"]
    if e is None:
        if d["share"] is None:
            return head + " Not among the legal moves: the record has no paired comparison."
        return head + " No stage left to watch: none not yet reached had a chance."
    return (head + f" P(reach {d['watched']}): {prob(e['base'])} under the policy, "
            f"{prob(e['with'])} with this move: {points(e['diff'], e['lo'], e['hi'])}, "
            f"{format_p(e['p'])}, n = {d['n']:,} {_runs(e)}.")


def _runs(e: dict) -> str:
    return "paired runs" + ("" if e["clear"] else ", within Monte Carlo error")


def offramp(m: dict) -> str:
    o, c = m["option"], m["chosen_effect"]
    text = (f"Step {m['step']}, {m['actor']} at {m['stage']}: {o['action']} (policy share "
            f"{share_text(o['share'])}) would have moved P(reach {m['watched']}) from "
            f"{prob(o['base'])} to {prob(o['with'])}: {points(o['diff'], o['lo'], o['hi'])}, "
            f"{format_p(o['p'])}, n = {m['n']:,} paired runs")
    text += (". Its interval excludes 0." if o["clear"] else
             ": within Monte Carlo error, not a clear off-ramp.")
    chosen = (f" The team chose {m['chosen']}: {points(c['diff'], c['lo'], c['hi'])}."
              if c else f" The team chose {m['chosen']}.")
    return text + chosen


def swing(s: dict) -> str:
    where = {"start": "the start", "turn": "the turn", "control": "Control's act"}
    b, a = s["before"], s["after"]
    n = (f"n = {b['n']:,} runs each" if b["n"] == a["n"]
         else f"n = {b['n']:,} and {a['n']:,} runs")
    between = "; ".join(s["causes"]) or "the dice of the steps in between only"
    return (f"From step {s['from_step']} ({where.get(s['from'], s['from'])}) to step "
            f"{s['to_step']} ({where.get(s['to'], s['to'])}): P(reach {s['stage']}) "
            f"{prob(b)} -> {prob(a)}, {100 * s['change']:+.1f} points ({n}). "
            f"In between: {between}.")


def judgement(j: dict) -> str:
    text = (f"Step {j['step']}, {j['power']}: {j['what']}. Control's judgement: "
            + (f"\"{j['why']}\"." if j["why"] else "no reason given."))
    if j["before"] and j["after"]:
        text += (f" P(reach {j['stage']}) {prob(j['before'])} before, {prob(j['after'])} "
                 f"after (n = {j['after']['n']:,} runs).")
    elif j["after"]:
        text += f" P(reach {j['stage']}) after: {prob(j['after'])} (n = {j['after']['n']:,})."
    return text


def hot_wash_doc(w: dict, title: str = "Hot wash", short: bool = False) -> Doc:
    """One room's hot wash; `short`: the first few items of each section, as for one room
    among several."""
    doc = headline_doc(w["headline"], title, short)
    cut = SHORT if short else None
    head = doc.h3 if short else doc.h2
    head("Departures from policy")
    if not short:
        doc.p("Each decision point: the team's move, the share the scenario's policy gave it "
              "there (how unlikely the policy found it), the team's why, and what the move "
              "changed in P(reach the watched stage: the highest not yet reached that any "
              "move could reach, or --stage) against every actor following its policy from "
              f"the same position; {PAIRED}. Largest change first.")
    _section(doc, [departure(d) for d in w["departures"]], cut,
             "No decision points: no team picked a move (the policy played every one).")
    head("Missed off-ramps")
    if not short:
        doc.p("At each decision point, the legal move that would have lowered P(reach the "
              "watched stage) most, when the team chose another; against the same policy "
              "base, most lowering first.")
    _section(doc, [offramp(m) for m in w["missed_offramps"]], cut,
             "None: at every decision point the team's move lowered P(reach the watched "
             "stage) most, or no legal move lowered it.")
    head("Largest outlook swings")
    if not short:
        doc.p("The change in P(reach the watched stage) between consecutive outlooks (the "
              "start, after each turn, after Control's acts), largest first, with what "
              "happened in between. Unlike decision points and forks this is not a paired "
              "comparison: a swing includes the dice of the steps in between as well as the "
              "moves.")
    _section(doc, [swing(s) for s in w["swings"]], cut, "No two outlooks to compare.")
    head("Control's judgements")
    if not short:
        doc.p("Every act of Control, with its reason: Control's judgement, not the model's "
              "(the scenario file holds none of it).")
    _section(doc, [judgement(j) for j in w["judgements"]], cut, "Control did not act.",
             numbered=False)
    return doc


def _section(doc: Doc, items: list[str], cut: int | None, none: str,
             numbered: bool = True) -> None:
    if not items:
        doc.p(none)
        return
    doc.items(items[:cut], numbered=numbered)
    if cut is not None and len(items) > cut:
        doc.p(f"... and {len(items) - cut} more in this room's own hot wash.")
