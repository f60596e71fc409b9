"""The markdown debrief of a workshop session (`ladder play --transcript FILE.md`).

It tells the session in the order things happened: each turn (who did what, the stage move
and the rule behind it, the outlook from there), each fork beside its un-branched
outlook, undos and branch points; then the line the run finally took. Nothing in it depends
on the clock or the machine, so the same scenario, seed and script give the same file.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import TextIO

from ..analyses.compare import format_p
from ..analyses.outlook import ODDS, PAIRED, ForkResult, Outlook
from ..engine.results import atomic_write
from ..engine.targets import check_file_target
from ..errors import InputError
from ..present.why import level_now
from .entries import ControlAct, Decision
from .hotwash import hot_wash
from .hotwash_text import hot_wash_doc
from .prose import markdown
from .record import record
from .session import Session, Turn


def check_transcript(path: str | Path, script: str | Path | None = None) -> Path:
    """The transcript file, checked before the session starts: markdown, not the --script
    file, and a file that can be written (`sim.engine.targets.check_file_target`)."""
    path = Path(path)
    if path.suffix.lower() not in (".md", ".markdown", ".txt"):
        raise InputError(f"--transcript {path}: a transcript is markdown; use a name ending "
                         "in .md")
    if script is not None and _same_file(path, Path(script)):
        raise InputError(f"--transcript {path}: it is the --script file, which the debrief "
                         "would overwrite; name another file")
    return check_file_target(path, "--transcript")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)  # also through a hard link
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()


def save_transcript(session: Session, path: Path, ended: str, err: TextIO) -> str | None:
    """Write the debrief at the end of a session, atomically (a temporary file renamed into
    place), and never lose it: when `path` cannot be written, keep it in a new file in the
    system's temporary folder, or failing that print it to `err`.

    Returns:
        None when `path` was written, else the one-line problem, saying where the debrief is.
    """
    text = transcript(session, ended)
    try:
        atomic_write(path, lambda handle: handle.write(text))
        return None
    except OSError as exc:
        reason = exc.strerror or str(exc)
    problem = f"--transcript {path}: cannot write the debrief ({reason})"
    try:
        fd, kept = tempfile.mkstemp(prefix=f"{path.stem}-", suffix=".md")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError:
        err.write(text)
        return f"{problem}; it is printed above, on stderr"
    return f"{problem}; it was saved to {kept} instead"


def played_text(session: Session) -> str:
    if not session.players:
        return "nobody (every actor follows its scenario policy)"
    names = [f"{a} ({session.scenario.actor(a).name})" for a in session.players]
    return ", ".join(names) + "; the other actors follow their scenario policies"


def transcript(session: Session, ended: str) -> str:
    """The debrief as markdown."""
    sc, model = session.scenario, session.model
    turns = [e for e in session.log if isinstance(e, Turn)]
    forks = [e for e in session.log if isinstance(e, ForkResult)]
    acts = [e for e in session.log if isinstance(e, ControlAct)]
    notes = [e for e in session.log if isinstance(e, str)]
    undone = sum(1 for e in notes if e.startswith("Undo:"))
    returns = sum(1 for e in notes if e.startswith("Returned to"))
    lines = [f"# Workshop debrief: {sc.title}", "",
             f"- scenario: `{sc.id}` on ladder `{sc.ladder.id}`, starting at `{sc.start}`; "
             f"{sc.clock.horizon} {sc.clock.step}s"
             + (f" from {sc.clock.start_date.isoformat()}" if sc.clock.start_date else ""),
             f"- played: {played_text(session)}",
             f"- seed {session.seed}; each outlook forks the played run into "
             f"{session.outlook_runs:,} runs stepped to the horizon, in which the played "
             "actors follow their policy",
             f"- turns played: {len(turns)} (undone: {undone}, returns to a branch point: "
             f"{returns}); forks: {len(forks)}; Control's judgements: {len(acts)}; turns of "
             + ("a stage move or event" if session.turn_steps == 0 else
                f"{session.turn_steps} step(s)") + " at the end",
             f"- session ended: {ended}, at {session.when(session.t)} in `{session.stage}`, "
             f"tension {session.level}, highest stage reached "
             f"`{sc.ladder.stage_ids[int(model.peak[0])]}`",
             "", f"*{ODDS} Each outlook is the share of runs forked from the played "
             "position that reach a stage; the played run itself is one story among them.*",
             "", "## The session, in order", ""]
    start = session.line[0]
    start_level = level_now(model, session.start_tension, sc.start)
    lines += [f"Start: {session.when(0)}, stage `{sc.start}`, tension {start_level}.", ""]
    if start.outlook is not None:
        lines += outlook_md(session, start.outlook) + [""]
    for entry in session.log:
        if isinstance(entry, Turn):
            lines += turn_md(session, entry)
        elif isinstance(entry, ForkResult):
            lines += fork_md(session, entry)
        elif isinstance(entry, ControlAct):
            lines += act_md(session, entry)
        elif isinstance(entry, Decision):
            lines += decision_md(session, entry)
        else:
            lines += [f"> {entry}", ""]
    lines += ["## The run as it stands", "",
              f"| step | date | played | stage | {session.reads} | stage move |",
              "| ---: | --- | --- | --- | ---: | --- |"]
    for pos in session.line[1:]:
        t = pos.turn
        if t is None:  # Control changed the state
            assert pos.act is not None  # a position is a turn's or an act's
            lines.append(f"| {pos.act.step} | - | Control: {pos.act.power} | "
                         f"{md(pos.act.what)} | - | Control's judgement: {md(pos.act.why)} |")
            continue
        date = sc.clock.date_of(t.step)
        played = ", ".join(f"{a}: {t.note.actions[a]} ({t.how[a]})" for a in t.how) or "-"
        move = t.why if t.why.startswith("MOVE") else "-"
        lines.append(f"| {t.step} | {date.isoformat() if date else '-'} | {played} | "
                     f"{t.stage_after} | {t.levels[1]} | {move} |")
    data = record(session, ended)
    wash = markdown(hot_wash_doc(hot_wash(data), "Hot wash", short=True)).rstrip("\n")
    lines += ["", wash, "", "The whole hot wash, or several rooms together: "
              "`ladder debrief THIS_FILE.md [OTHER.md ...]`.",
              "", "## Record", "", "The session as data, for `ladder debrief` (docs/debrief.md).",
              "", "```json", record_json(data), "```"]
    return "\n".join(lines) + "\n"


MARKUP = re.compile(r"([\\`*_<>\[\]|#])")


def md(text: str) -> str:
    """What a team or Control typed, as literal markdown: markup characters escaped."""
    return MARKUP.sub(r"\\\1", text)


def record_json(data: dict) -> str:
    """The record as JSON with one log entry a line (short, and easy to diff)."""
    head = {k: v for k, v in data.items() if k not in ("log", "end")}
    lines = [json.dumps(head)[:-1] + ', "log": [']
    lines += [" " + json.dumps(e) + ("," if i < len(data["log"]) - 1 else "")
              for i, e in enumerate(data["log"])]
    return "\n".join(lines + ['], "end": ' + json.dumps(data["end"]) + "}"])


def turn_md(session: Session, turn: Turn) -> list[str]:
    note = turn.note
    lines = [f"### {session.when(turn.step).capitalize()}", ""]
    lines += [f"- event: {name}" for name in note.events]
    for arg in turn.argued:
        lines.append(f"- argued move of {arg.actor}: {md(arg.text)}; Control's ruling: "
                     f"{arg.terms()} (*Control's judgement: {md(arg.why)}*); rolled "
                     f"{arg.roll:.3f}: {'succeeded' if arg.success else 'failed'}")
    for actor, action in note.actions.items():
        who = "played, " if actor in session.players else "Control: "
        how = f" ({who}{turn.how[actor]})" if actor in turn.how else ""
        why = f" (why: {md(turn.reasons[actor])})" if turn.reasons.get(actor) else ""
        lines.append(f"- {actor}{how}: {action}{why}")
    lines += [f"- note: {text}" for text in note.blocked + turn.refused]
    lines.append(f"- {session.reads} {turn.levels[0]} -> {turn.levels[1]}")
    lines += [f"- stage: {turn.why}", ""]
    if turn.outlook is not None:
        lines += outlook_md(session, turn.outlook) + [""]
    return lines


def outlook_md(session: Session, f: Outlook) -> list[str]:
    by = session.when(f.horizon, ", ", "")
    lines = [f"Outlook from {session.when(f.step)}: P(reach each stage by {by}), "
             f"n = {f.n:,} runs, Wilson 95% intervals; {f.draws_note}", "",
             "| stage | P(reach) | 95% CI |", "| --- | ---: | --- |"]
    for row in reversed(f.rows()):
        if row["already"]:
            lines.append(f"| {row['stage']} | reached | - |")
        else:
            lines.append(f"| {row['stage']} | {100 * row['p']:.1f}% | "
                         f"[{100 * row['lo']:.1f}, {100 * row['hi']:.1f}] |")
    return lines


def act_md(session: Session, act: ControlAct) -> list[str]:
    """Control's act: what, and its reason, marked as judgement; for a change of the state,
    P(reach) before and after."""
    lines = [f"> **Control's judgement** ({act.power}) at {session.when(act.step)}: "
             f"{md(act.what)}. *Reason: {md(act.why)}*", ""]
    if act.before is not None and act.after is not None:
        lines += ["| stage | P(reach) before | after |", "| --- | ---: | ---: |"]
        for b, a in zip(reversed(act.before.rows()), reversed(act.after.rows()), strict=True):
            lines.append(f"| {b['stage']} | {_p(b)} | {_p(a)} |")
        lines += ["", f"n = {act.before.n:,} runs each, Wilson 95% intervals; the two are "
                  "separate ensembles.", ""]
    return lines


def _p(row: dict) -> str:
    if row["already"]:
        return "reached"
    return f"{100 * row['p']:.1f}% [{100 * row['lo']:.1f}, {100 * row['hi']:.1f}]"


def decision_md(session: Session, d: Decision) -> list[str]:
    """A decision point: each legal move's paired effect on P(reach the highest stage not
    yet reached), against every actor following its policy."""
    stage = watched(d)
    what = "argued" if d.how == "argued" else "picked"
    why = f" (why: {md(d.why)})" if d.why else ""
    lines = [f"#### Decision point at {session.when(d.step)}: {d.actor} {what} "
             f"{md(d.chosen)}{why}",
             "", f"Each legal move forced this turn against every actor following its policy; "
             f"P(reach {stage}), n = {d.n:,} paired runs, {PAIRED}.", "",
             "| move | policy share | P(reach) | minus policy, points [95% CI] | p |",
             "| --- | ---: | ---: | --- | --- |"]
    for action, share, rows in d.options:
        row = next(r for r in rows if r["stage"] == stage)
        mark = " (chosen)" if action == d.chosen else ""
        lines.append(f"| {action}{mark} | {100 * share:.0f}% | {100 * row['pb']:.1f}% | "
                     f"{100 * row['diff']:+.1f} [{100 * row['lo']:+.1f}, {100 * row['hi']:+.1f}]"
                     f" | {format_p(row['p'])} |")
    return lines + [""]


def watched(d: Decision) -> str:
    """The stage a decision point is judged by: the highest not yet reached that some move
    gives a chance (else the highest not reached)."""
    rows = d.options[0][2]
    open_ = [r for r in rows if not r["already"]]
    if not open_:
        return rows[-1]["stage"]
    for r in reversed(open_):
        if any(next(x for x in opt[2] if x["stage"] == r["stage"])["pb"] > 0
               for opt in d.options):
            return r["stage"]
    return open_[0]["stage"]


def fork_md(session: Session, r: ForkResult) -> list[str]:
    why = f" (why: {md(r.why)})" if r.why else ""
    lines = [f"#### Fork at {session.when(r.step)}: {r.change.describe()}{why}", "",
             f"Beside the un-branched outlook (every actor, played ones too, following its "
             f"policy from here); n = {r.base.n:,} runs each, {r.method}.", "",
             "| stage | as is | branch | branch - as is, points [95% CI] | p |",
             "| --- | ---: | ---: | --- | --- |"]
    for row in reversed(r.rows):
        if row["already"]:
            lines.append(f"| {row['stage']} | reached | reached | - | - |")
            continue
        lines.append(f"| {row['stage']} | {100 * row['pa']:.1f}% | {100 * row['pb']:.1f}% | "
                     f"{100 * row['diff']:+.1f} [{100 * row['lo']:+.1f}, "
                     f"{100 * row['hi']:+.1f}] | {format_p(row['p'])} |")
    return lines + [""]
