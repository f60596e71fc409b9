"""The text of `ladder play`'s screen: the position, the ladder, the outlook, the moves, a
fork, each as a string (sim/workshop/play.py prints them).

Every line fits the screen's width: id columns are as wide as the longest id (capped, longer
ids cut with "~"), descriptions are cut with "~" and sentences wrapped. `position(height)`
also fits a height, leaving parts out in the order of `squeezes` (sim/workshop/squeeze.py).
"""

from __future__ import annotations

import os
from typing import TextIO

from ..analyses.compare import format_p
from ..analyses.outlook import ODDS, ForkResult, Outlook
from ..format.thresholds import shown
from .debrief import played_text
from .session import Session, Turn
from .squeeze import FULL, Squeeze, middle_cut, squeezes, window
from .textfit import cell, column_width, cut, fit_width, wrap

NOW = "  <- NOW"


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
    """The text of each part of the screen, `width` columns wide."""

    def __init__(self, session: Session, paint: Paint, width: int):
        self.s, self.p, self.width = session, paint, width

    def rule(self, title: str) -> str:
        title = cut(title, self.width - 4)
        return self.p.bold(f"== {title} " + "=" * max(0, self.width - len(title) - 4))

    def wrapped(self, text: str, indent: int | None = None) -> list[str]:
        return wrap(text, self.width, indent)

    def header(self) -> str:
        s = self.s
        date = s.scenario.clock.date_of(s.t)
        parts = [f"step {s.t} of {s.model.horizon}"] + ([date.isoformat()] if date else []) + [
            f"stage {s.stage}", f"{s.reads} {s.level}"]
        title = " | ".join([s.scenario.id, *parts])
        return self.rule(title if len(title) <= self.width - 6 else " | ".join(parts))

    def position(self, height: int | None = None) -> str:
        """The whole position; with `height`, shortened (`squeezes`) to at most that many
        lines."""
        if height is None:
            return self.draw(FULL)
        text, squeeze = "", FULL
        for squeeze in squeezes(self.s, height):
            text = self.draw(squeeze)
            if text.count("\n") < height:
                return text
        return "\n".join(middle_cut(text.split("\n"), height,
                                    self.moves(squeeze).count("\n") + 1))

    def draw(self, sq: Squeeze) -> str:
        gap = [""] if sq.gaps else []
        return "\n".join([self.header(), self.happened(sq), *gap, self.ladder(sq), *gap,
                          self.outlook(sq), *gap, self.moves(sq)])

    def outlook(self, sq: Squeeze = FULL) -> str:
        s = self.s
        if not s.ended:
            return self.outlook_lines(s.outlook(), sq)
        peak = s.ladder.stage_ids[int(s.model.peak[0])]
        return "\n".join(self.wrapped(
            self.p.bold("THE RUN HAS ENDED") + f" at {s.when(s.t)} in {s.stage}; highest "
            f"stage reached: {peak}. Nothing more can happen in it: no outlook.", 2))

    def happened(self, sq: Squeeze = FULL) -> str:
        s, turn = self.s, self.s.last_turn
        if turn is None:
            return "\n".join(self.wrapped(f"START at {s.when(0)}: stage {s.scenario.start}, "
                                          f"{s.reads} {s.level}", 2)
                             + self.wrapped(f"played: {played_text(s)}", 2))
        actors = {a: t for a, t in turn.note.actions.items() if sq.everyone or a in turn.how}
        hidden = len(turn.note.actions) - len(actors)
        events = len(turn.note.events) if not sq.everyone else 0
        gone = ([f"{events} event{'s' * (events > 1)}"] if events else []) + (
            [f"{hidden} other actor{'s' * (hidden > 1)}"] if hidden else [])
        left = f" ({' and '.join(gone)} not shown)" if gone else ""
        lines = [self.p.bold(cut(f"WHAT HAPPENED at {s.when(turn.step)}{left}", self.width))]
        names = {a: f"{a} (you, {turn.how[a]})" if a in s.players else
                 f"{a} (Control: {turn.how[a]})" if a in turn.how else a for a in actors}
        longest = max((len(t) for t in actors.values()), default=0)
        who_w = 32 if 2 + 32 + longest <= self.width else column_width(
            names.values(), 12, min(32, self.width // 3))
        if sq.everyone:
            lines += [cut(f"  event      {name}", self.width) for name in turn.note.events]
        for a in turn.argued:
            lines += self.wrapped(f"  argued     {a.actor}: {a.text} (p = {a.p:.2f}, rolled "
                                  f"{a.roll:.2f}: {'succeeded' if a.success else 'failed'})", 13)
        for actor, action in actors.items():
            lines += self.wrapped(f"  {cell(names[actor], who_w)}{action}", 2 + who_w)
        if sq.everyone:
            for text in turn.note.blocked + turn.refused:
                lines += self.wrapped(f"  note       {text}", 13)
            lines.append(f"  {s.reads:<10} {turn.levels[0]} -> {turn.levels[1]}")
        lines += self.stage_line(turn)
        if sq.dynamics:
            for line in s.dynamics(turn):
                lines += self.wrapped(line, 4)
        return "\n".join(lines)

    def stage_line(self, turn: Turn) -> list[str]:
        lines = self.wrapped(f"  stage      {turn.why}", 13)
        return [self.p.move(line) for line in lines] if turn.why.startswith("MOVE") else lines

    def ladder(self, sq: Squeeze = FULL) -> str:
        s, width = self.s, self.width
        here = s.ladder.index(s.stage)
        rules = [("absorbing" if st.absorbing else ", ".join(
            ([f"up {shown(st, 'up')}"] if st.up is not None else [])
            + ([f"down {shown(st, 'down')} for {st.dwell}"] if st.down is not None else [])))
            for st in s.ladder.stages]
        id_w = column_width(s.ladder.stage_ids, 18, max(12, min(26, width // 4)))
        rule_w = max(len(r) for r in rules)
        room = width - 4 - id_w - rule_w
        name_w = max(10, min(42, room - len(NOW) if room - len(NOW) >= 12 else room))
        rule_room = width - 4 - id_w - name_w
        shown_rows, above, below = window(len(s.ladder.stages), here, sq.ladder_rows)
        gone = ([f"{above} above"] if above else []) + ([f"{below} below"] if below else [])
        more = f"; {' and '.join(gone)} not shown" if gone else ""
        lines = [self.p.bold(cut(f"LADDER {s.ladder.id} (most severe at the top{more})",
                                 width))]
        for i in reversed(shown_rows):
            st = s.ladder.stages[i]
            text = f"{cell(st.id, id_w)}{cell(st.name, name_w)}{cut(rules[i], rule_room)}"
            text = text.rstrip()
            if i != here:
                lines.append(f"    {text}")
                continue
            text = f" >> {text}"
            for tail in (f"{NOW}, {s.reads} {s.level}", NOW, ""):
                if len(text) + len(tail) <= width:
                    break
            lines.append(self.p.now(text + tail))
        return "\n".join(lines)

    def stage_width(self, f: Outlook) -> int:
        ids = [*f.stage_ids, *(i for part in f.ladders.values() for i in part.stage_ids)]
        return column_width(ids, 18, max(12, min(24, self.width // 3)), gap=1)

    def outlook_lines(self, f: Outlook, sq: Squeeze = FULL) -> str:
        s = self.s
        if sq.outlook_rows == 0:
            return self.p.bold(cut(f"OUTLOOK from {s.when(f.step)}: not shown (a taller "
                                   "terminal shows it)", self.width))
        players = ", ".join(s.players)
        follow = (f"; {players} follow{'s' if len(s.players) == 1 else ''} "
                  "the scenario policy in them" if players else "")
        lines = [self.p.bold(cut(f"OUTLOOK from {s.when(f.step)}: P(reach each stage by "
                                 f"{s.when(f.horizon, ', ', '')})", self.width))]
        lines += self.wrapped(f"  {f.n:,} runs forked from here{follow} "
                              f"({1000 * f.seconds:.0f} ms)", 4) if sq.forked else []
        lines += self.wrapped(f"  {f.draws_note}", 4)
        sw = self.stage_width(f)
        bar_width = max(10, self.width - (2 + sw + 8 + 2 + 15 + 1))
        parts = [(s.scenario.key if f.ladders else "", f)]
        parts += list(f.ladders.items()) if sq.coupled else []
        for key, part in parts:
            lines += [f"  ladder {key}:"] if key and len(parts) > 1 else []
            rows = list(reversed(part.rows()))
            if not sq.reached_rows:
                reached = [r["stage"] for r in rows if r["already"]]
                rows = [r for r in rows if not r["already"]]
                hidden = len(rows) - len(rows[: sq.outlook_rows])
                rows = rows[: sq.outlook_rows]
                said = ([f"reached: {', '.join(reached)}"] if reached else []) + (
                    [f"{hidden} less severe not shown"] if hidden else [])
                lines += self.wrapped("  " + "; ".join(said), 4) if said else []
            for row in rows:
                ci = f"[{100 * row['lo']:.1f}, {100 * row['hi']:.1f}]"
                bar = "#" * round(bar_width * row["p"])
                lines.append(f"  {cell(row['stage'], sw)}{'reached':>8}" if row["already"] else
                             f"  {cell(row['stage'], sw)}{100 * row['p']:>7.1f}%  {ci:<15}|{bar}")
        if f.ladders and not sq.coupled:
            lines += self.wrapped(f"  ladders {', '.join(f.ladders)}: not shown (a taller "
                                  "terminal shows them)", 4)
        lines += self.wrapped(f"  n = {f.n:,} runs, Wilson 95% intervals. {ODDS}", 4)
        return "\n".join(lines)

    def moves(self, sq: Squeeze = FULL) -> str:
        s = self.s
        if s.ended:
            return "\n".join(self.wrapped(
                "  u undo; r NAME return to a branch point; q quit; ? help", 4))
        actor = s.waiting_for()
        if actor is None:
            return self.p.bold("NEXT: ") + "n [K] plays K turns; ? help"
        who = s.scenario.actor(actor)
        lines = [self.p.bold(cut(f"YOUR MOVE: {actor} ({who.name}) at {s.stage}, "
                                 f"{s.when(s.t + 1)}", self.width))]
        options = s.options(actor)
        id_w = column_width([o.action.id for o in options], 12, 24) if self.width < 100 else 24
        room = max(10, self.width - (6 + id_w + 13))
        for o in options:
            share = "<1%" if 0 < o.share < 0.005 else f"{100 * o.share:.0f}%"
            lines.append(f"  {o.number:>2}  {cell(o.action.id, id_w)}policy {share:>4}  "
                         f"{cut(o.action.description, room)}".rstrip())
        hint = ("  number or action id: your move; n: policy this turn; n K: K turns; "
                "u undo; b/r NAME; f fork; q quit; ? help" if sq.hint
                else "  number or id: your move; n: policy; u undo; ? help")
        lines += self.wrapped(hint, 4)
        return "\n".join(lines)

    def brief(self, turn: Turn) -> str:
        moves = ", ".join(f"{a} {turn.note.actions[a]} ({turn.how[a]})" for a in turn.how)
        events = "".join(f"; event: {name}" for name in turn.note.events)
        text = "\n".join(self.wrapped(
            f"  {self.s.when(turn.step)}: {moves + '; ' if moves else ''}{self.s.reads} "
            f"{turn.levels[1]}{events}; {turn.why}", 4))
        return self.p.move(text) if turn.why.startswith("MOVE") else text

    def fork(self, r: ForkResult) -> str:
        sw = self.stage_width(r.base)
        lines = [self.rule(f"FORK at {self.s.when(r.step)}: {r.change.describe()}")]
        lines += self.wrapped("  as is: every actor, played ones too, follows its policy from "
                              f"here; branch: the same with the change; {r.base.n:,} runs each",
                              4)
        lines.append(f"  {cell('stage', sw)}{'as is':>8}{'branch':>9}   "
                     f"{'branch - as is, points':<26}p")
        for row in reversed(r.rows):
            if row["already"]:
                lines.append(f"  {cell(row['stage'], sw)}{'reached':>8}{'reached':>9}")
                continue
            diff = (f"{100 * row['diff']:+.1f} [{100 * row['lo']:+.1f}, "
                    f"{100 * row['hi']:+.1f}]")
            lines.append(f"  {cell(row['stage'], sw)}{100 * row['pa']:>7.1f}%"
                         f"{100 * row['pb']:>8.1f}%   {diff:<26}{format_p(row['p'])}")
        lines += self.wrapped(f"  {r.method}; 95% intervals. {ODDS}", 4)
        return fit_width("\n".join(lines), self.width)

    def fork_help(self) -> str:
        s = self.s
        lines = self.wrapped("fork: f ACTION | f ACTOR=ACTION | f event N|NAME | f tension +X",
                             6)
        for i, e in enumerate(s.scenario.events, start=1):
            lines += self.wrapped(f"  event {i}: {e.name}", 6)
        for a in s.scenario.actors:
            if not a.is_population and not s.ended:
                legal = ", ".join(o.action.id for o in s.options(a.id))
                lines += self.wrapped(f"  {a.id}= {legal}", 6)
        return "\n".join(lines)
