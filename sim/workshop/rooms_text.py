"""The words of `ladder debrief`: one room's whole hot wash, or several rooms' short ones
followed by the aggregation (`sim.workshop.rooms`), as a `sim.workshop.prose.Doc`."""

from __future__ import annotations

from ..analyses.compare import format_p
from .hotwash_text import hot_wash_doc, pct, share_text
from .prose import Doc

HOW_WORDS = {"chosen": "chosen", "policy": "policy (team deferred)", "standing": "standing",
             "forced": "forced", "vetoed": "vetoed", "argued": "argued"}


def debrief_doc(data: dict) -> Doc:
    """The whole debrief of `sim.workshop.rooms.debrief`."""
    rooms = data["rooms"]
    if len(rooms) == 1:
        return hot_wash_doc(rooms[0])
    doc = Doc()
    title = rooms[0]["headline"]["scenario"]["title"]
    doc.h1(f"Debrief of {len(rooms)} rooms: {title}")
    for i, room in enumerate(rooms, 1):
        doc.extend(hot_wash_doc(room, f"Room {i} ({room['file']})", short=True))
    doc.extend(aggregation_doc(data["aggregation"]))
    return doc


def aggregation_doc(agg: dict) -> Doc:
    """The rooms' choices against the policy, and how the played moves came."""
    doc = Doc()
    doc.h1(f"Across the {agg['rooms']} rooms")
    doc.p("For each played actor and each stage a team decided at: how often the rooms chose "
          "each move (the share of the n decisions there, with its Wilson 95% interval) "
          "against the scenario policy's share, which is the mean of the policy's shares at "
          "those decision points (modifiers can change the weights from one point to the "
          "next). Every decision in a record counts, including one later taken back by an "
          "undo.")
    for actor in agg["actors"]:
        for st in actor["stages"]:
            doc.extend(stage_doc(st))
    doc.h2("How the played moves came")
    doc.p("Every turn of each room, per played actor: the team's pick (chosen), the policy "
          "because the team deferred, a standing order, Control's force or veto, an argued "
          "move. Counts of moves; undone turns included.")
    kinds = [k for k in HOW_WORDS if any(a["how"].get(k) for a in agg["actors"])] or ["chosen",
                                                                                     "policy"]
    header = ["actor", "rooms", *[HOW_WORDS[k] for k in kinds]]
    rows = [[a["actor"], str(a["rooms"]), *[str(a["how"].get(k, 0)) for k in kinds]]
            for a in agg["actors"]]
    doc.table(header, rows, set(range(1, len(header))))
    return doc


def stage_doc(st: dict) -> Doc:
    """One actor at one stage: the rooms' choices, the policy's mean share, the test."""
    doc = Doc()
    doc.h2(f"{st['actor']} at {st['stage']}: n = {st['n']} decisions in {st['rooms']} "
           f"room{'s' if st['rooms'] != 1 else ''}")
    rows = [[m["action"], str(m["count"]),
             f"{pct(m['share'])} [{100 * m['lo']:.1f}, {100 * m['hi']:.1f}]",
             share_text(m["policy_share"])] for m in st["moves"]]
    outside = st["outside_repertoire"]
    if outside["count"]:
        rows.append(["(argued, outside)", str(outside["count"]),
                     f"{pct(outside['share'])} [{100 * outside['lo']:.1f}, "
                     f"{100 * outside['hi']:.1f}]", "-"])
    doc.table(["move", "rooms chose", "share [95% CI]", "policy (mean share)"], rows,
              {1, 2, 3})
    notes = []
    if outside["count"]:
        notes.append(f"{outside['count']} of the {st['n']} decisions: an argued move outside "
                     "the repertoire, which the test leaves out.")
    test = st["test"]
    if test["method"]:
        notes.append(f"Chi-square goodness of fit of the rooms' choices against the policy's "
                     f"mean shares: chi2 = {test['statistic']:.2f}, df = {test['df']}, "
                     f"{format_p(test['p'])}, n = {test['n']} decisions.")
    else:
        notes.append(test["reason"][0].upper() + test["reason"][1:] + ".")
    if st["several_in_a_room"]:
        notes.append("A room made several decisions here, so the decisions are not "
                     "independent: the interval and any test treat them as if they were and "
                     "overstate the evidence.")
    doc.p(" ".join(notes))
    return doc
