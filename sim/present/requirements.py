"""What must be true, as text: one entry of `sim.analyses.requirements.must_be_true` (the
chains of rules that can bring a run to a run-ending stage) as readable lines."""

from __future__ import annotations


def chain_lines(entry: dict) -> list[str]:
    """An entry as lines: a heading, then each chain numbered, one step a line (a move shown
    in full in an earlier chain is "as in" that chain: its ways do not depend on the path)."""
    where = f"{entry['stage']} ({entry['ladder']})"
    if not entry["reachable"]:
        return [f"{where} cannot be reached: no rule of this scenario leads there from "
                f"{entry['start']}."]
    chains, more = entry["chains"], entry["more"]
    n = len(chains) + more
    count = f"{'at least ' if not entry.get('more_exact', True) else ''}{n} way{'s' * (n != 1)}"
    lines = [f"{where} can be reached {count} from {entry['start']}:"]
    first: dict[tuple[str, str], int] = {}  # a move -> the chain that shows it in full
    for i, chain in enumerate(chains, 1):
        mark = f"  {i}. "
        for j, step in enumerate(chain):
            move = (step["from"], step["to"])
            text = (f"{move[0]} → {move[1]}: as in {first[move]}" if move in first
                    else _step(step, entry["reads"]))
            first.setdefault(move, i)
            lines.append((mark if j == 0 else " " * len(mark)) + text)
    if more:
        lines.append(f"  ... and {'at least ' if not entry.get('more_exact', True) else ''}"
                     f"{more} longer chain{'s' * (more != 1)} not shown.")
    return lines


def _step(step: dict, reads: str) -> str:
    needs = []
    if step["edge"] == "jump":
        needs.append("a declared jump: no threshold takes it")
    elif step["edge"] == "none":
        needs.append("no edge: only an event moves a run there")
    if step["guard"]:
        seen = f", {_math('tension')} being {reads}" if reads != "tension" else ""
        events = " (events skip it)" if any(w["kind"] == "event" for w in step["ways"]) else ""
        needs.append(f"guard {_math(step['guard'])}{seen}{events}")
    head = f"{step['from']} → {step['to']}" + (f" ({'; '.join(needs)})" if needs else "")
    return f"{head}: " + " or ".join(_way(w) for w in step["ways"])


def _way(way: dict) -> str:
    kind = way["kind"]
    if kind.startswith("threshold"):
        return f"{kind} ({_math(way['rule'])})"
    if kind == "event":
        return f"event '{way['event']}'" + (f" ({_math(way['when'])})" if way["when"] else "")
    if kind == "accident":
        when = f", while {_math(way['when'])}" if way["when"] else ""
        return f"accident '{way['hazard'].rstrip('.')}' (p {way['p']} a step{when})"
    own = f" ({_math(way['when'])})" if way["when"] else ""
    text = f"{kind} {way['actor']}.{way['action']}{own}"
    if kind != "joint decision":
        return text
    within = way["within"]
    window = ("in the same step" if not within else
              f"in the same step or up to {within} step{'s' * (within != 1)} before")
    partner = f" ({_math(way['partner_when'])})" if way["partner_when"] else ""
    return f"{text} with {way['requires']} {window}{partner}"


def _math(text: str) -> str:
    """Comparisons with the signs people read: ≥, ≤, ≠."""
    return text.replace(">=", "≥").replace("<=", "≤").replace("!=", "≠")
