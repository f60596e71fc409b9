"""The text of `ladder play`'s screen: the position, the ladder, the outlook, the moves, a
fork, each as a string (sim/workshop/play.py prints them)."""

from __future__ import annotations

import os
from typing import TextIO

from ..analyses.compare import format_p
from ..analyses.outlook import ODDS, ForkResult, Outlook
from ..format.thresholds import shown
from .debrief import played_text
from .session import Session, Turn


class Paint:
    """ANSI styles when colour is on (a terminal, NO_COLOR unset), else plain text."""

    def __init__(self, on: bool):
        self.on = on

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def now(self, text: str) -> str:
        return self._wrap("1;7", text)

    def move(self, text: str) -> str:
        return self._wrap("1;33", text)


def use_colour(out: TextIO) -> bool:
    return out.isatty() and not os.environ.get("NO_COLOR")


class Screen:
    """The text of each part of the screen."""

    def __init__(self, session: Session, paint: Paint, width: int):
        self.s, self.p, self.width = session, paint, width

    def rule(self, title: str) -> str:
        return self.p.bold(f"== {title} " + "=" * max(0, self.width - len(title) - 4))

    def position(self) -> str:
        s = self.s
        date = s.scenario.clock.date_of(s.t)
        return "\n".join([self.rule(f"{s.scenario.id} | step {s.t} of {s.model.horizon}"
                                    + (f" | {date.isoformat()}" if date else "")
                                    + f" | stage {s.stage} | {s.reads} {s.level}"),
                          self.happened(), "", self.ladder(), "", self.outlook(), "",
                          self.moves()])

    def outlook(self) -> str:
        s = self.s
        if not s.ended:
            return self.outlook_lines(s.outlook())
        peak = s.ladder.stage_ids[int(s.model.peak[0])]
        return (self.p.bold("THE RUN HAS ENDED") + f" at {s.when(s.t)} in {s.stage}; highest "
                f"stage reached: {peak}. Nothing more can happen in it: no outlook.")

    def happened(self) -> str:
        s, turn = self.s, self.s.last_turn
        if turn is None:
            return (f"START at {s.when(0)}: stage {s.scenario.start}, {s.reads} "
                    f"{s.level}\nplayed: {played_text(s)}")
        lines = [self.p.bold(f"WHAT HAPPENED at {s.when(turn.step)}")]
        lines += [f"  event      {name}" for name in turn.note.events]
        lines += [f"  argued     {a.actor}: {a.text[:40]} (p = {a.p:.2f}, rolled {a.roll:.2f}: "
                  f"{'succeeded' if a.success else 'failed'})" for a in turn.argued]
        for actor, action in turn.note.actions.items():
            who = (f"{actor} (you, {turn.how[actor]})" if actor in s.players else
                   f"{actor} (Control: {turn.how[actor]})" if actor in turn.how else actor)
            lines.append(f"  {who:<32}{action}")
        lines += [f"  note       {text}" for text in turn.note.blocked + turn.refused]
        lines.append(f"  {self.s.reads:<10} {turn.levels[0]} -> {turn.levels[1]}")
        why = turn.why if not turn.why.startswith("MOVE") else self.p.move(turn.why)
        lines.append(f"  stage      {why}")
        return "\n".join(lines + s.dynamics(turn))

    def ladder(self) -> str:
        s = self.s
        here = s.ladder.index(s.stage)
        lines = [self.p.bold(f"LADDER {s.ladder.id} (most severe at the top)")]
        for i in reversed(range(len(s.ladder.stages))):
            st = s.ladder.stages[i]
            rules = ("absorbing" if st.absorbing else ", ".join(
                ([f"up {shown(st, 'up')}"] if st.up is not None else [])
                + ([f"down {shown(st, 'down')} for {st.dwell}"] if st.down is not None else [])))
            name = st.name if len(st.name) <= 40 else st.name[:39] + "~"
            text = f"{st.id:<18}{name:<42}{rules}"
            if i == here:
                lines.append(self.p.now(f" >> {text}   <- NOW, {s.reads} {s.level}"))
            else:
                lines.append(f"    {text}")
        return "\n".join(lines)

    def outlook_lines(self, f: Outlook) -> str:
        s = self.s
        players = ", ".join(s.players)
        follow = (f"; {players} follow{'s' if len(s.players) == 1 else ''} "
                  "the scenario policy in them" if players else "")
        lines = [self.p.bold(f"OUTLOOK from {s.when(f.step)}: P(reach each stage by "
                             f"{s.when(f.horizon, ', ', '')})"),
                 f"  {f.n:,} runs forked from here{follow} ({1000 * f.seconds:.0f} ms)",
                 f"  {f.draws_note}"]
        bar_width = max(10, self.width - 48)
        for key, part in [(s.scenario.key if f.ladders else "", f), *f.ladders.items()]:
            lines += [f"  ladder {key}:"] if key else []
            for row in reversed(part.rows()):
                ci = f"[{100 * row['lo']:.1f}, {100 * row['hi']:.1f}]"
                bar = "#" * round(bar_width * row["p"])
                lines.append(f"  {row['stage']:<18}{'reached':>8}" if row["already"] else
                             f"  {row['stage']:<18}{100 * row['p']:>7.1f}%  {ci:<15}|{bar}")
        lines.append(f"  n = {f.n:,} runs, Wilson 95% intervals. {ODDS}")
        return "\n".join(lines)

    def moves(self) -> str:
        s = self.s
        if s.ended:
            return "  u undo; r NAME return to a branch point; q quit; ? help"
        actor = s.waiting_for()
        if actor is None:
            return self.p.bold("NEXT: ") + "n [K] plays K turns; ? help"
        who = s.scenario.actor(actor)
        lines = [self.p.bold(f"YOUR MOVE: {actor} ({who.name}) at {s.stage}, "
                             f"{s.when(s.t + 1)}")]
        for o in s.options(actor):
            desc = o.action.description
            room = max(10, self.width - 46)
            desc = desc if len(desc) <= room else desc[: room - 1] + "~"
            share = "<1%" if 0 < o.share < 0.005 else f"{100 * o.share:.0f}%"
            lines.append(f"  {o.number:>2}  {o.action.id:<24}policy {share:>4}  {desc}")
        lines.append("  number or action id: your move; n: policy this turn; n K: K turns; "
                     "u undo; b/r NAME; f fork; q quit; ? help")
        return "\n".join(lines)

    def brief(self, turn: Turn) -> str:
        moves = ", ".join(f"{a} {turn.note.actions[a]} ({turn.how[a]})" for a in turn.how)
        events = "".join(f"; event: {name}" for name in turn.note.events)
        why = turn.why if not turn.why.startswith("MOVE") else self.p.move(turn.why)
        return (f"  {self.s.when(turn.step)}: {moves + '; ' if moves else ''}{self.s.reads} "
                f"{turn.levels[1]}{events}; {why}")

    def fork(self, r: ForkResult) -> str:
        lines = [self.rule(f"FORK at {self.s.when(r.step)}: {r.change.describe()}"),
                 "  as is: every actor, played ones too, follows its policy from here; "
                 f"branch: the same with the change; {r.base.n:,} runs each",
                 f"  {'stage':<18}{'as is':>8}{'branch':>9}   {'branch - as is, points':<26}p"]
        for row in reversed(r.rows):
            if row["already"]:
                lines.append(f"  {row['stage']:<18}{'reached':>8}{'reached':>9}")
                continue
            diff = (f"{100 * row['diff']:+.1f} [{100 * row['lo']:+.1f}, "
                    f"{100 * row['hi']:+.1f}]")
            lines.append(f"  {row['stage']:<18}{100 * row['pa']:>7.1f}%{100 * row['pb']:>8.1f}%"
                         f"   {diff:<26}{format_p(row['p'])}")
        lines.append(f"  {r.method}; 95% intervals. {ODDS}")
        return "\n".join(lines)

    def fork_help(self) -> str:
        s = self.s
        lines = ["fork: f ACTION | f ACTOR=ACTION | f event N|NAME | f tension +X"]
        lines += [f"  event {i}: {e.name}" for i, e in enumerate(s.scenario.events, start=1)]
        for a in s.scenario.actors:
            if not a.is_population and not s.ended:
                legal = ", ".join(o.action.id for o in s.options(a.id))
                lines.append(f"  {a.id}= {legal}")
        return "\n".join(lines)
