"""The state behind one `ladder demo` browser tab, and each part of its page as HTML or SVG.

`Dashboard` holds a `Session` (sim/workshop/session.py) with the played actors' picks for the
next step and the batch from the start; the Solara page (sim/workshop/demo_app.py) only lays
out what it returns. It lives apart from the widgets and from the server (sim/workshop/demo.py)
so that it can be tested without a browser or Solara. The charts are inline SVG: the bars are
drawn here, the ladder by sim/present/ladder_svg.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..analyses.outlook import ODDS, Outlook
from ..engine.runner import RunResult
from ..engine.runner import run as run_batch
from ..errors import InputError
from ..format.scenario import Scenario, load_scenario
from ..present.ladder_svg import ladder_svg
from ..present.markup import esc
from .commands import run_command
from .session import DEFAULT_OUTLOOK_RUNS, Session, Turn

if TYPE_CHECKING:
    from .demo import DemoConfig

POLICY = "policy"  # a played actor's control: follow the scenario policy this step
BATCH_RUNS = 2000
LOG_TURNS = 40  # the newest turns shown in the log
SPEEDS = (1, 2, 5, 10)  # Play's speeds, steps per second (`autoplay` takes 0: as fast as it goes)
CONTROL_WIDTH = 80  # the columns of a Control command's text


class Dashboard:
    """The state behind one browser tab: the session, the played actors' picks for the next
    step, the batch from the start, and each part of the page as HTML.

    Every method takes the lock: the Play timer steps from its own thread. While `playing`,
    the outlook is not recomputed at each step (it takes far longer than a step): the page
    shows the last one, labelled with its step, and the current one once paused.

    Args:
        scenario: the loaded scenario.
        players: the actors the room plays.
        seed: the session seed (default: the scenario's).
        outlook_runs: runs in each outlook.
        batch_runs: runs in the batch from the start.
        draws: the outlook's draws, "fresh" or "run" (`Session`).
        turn_steps: steps a Step plays (0: to the next decision point), as `--turn`.
    """

    def __init__(self, scenario: Scenario, players: tuple[str, ...] | list[str] = (),
                 seed: int | None = None, outlook_runs: int = DEFAULT_OUTLOOK_RUNS,
                 batch_runs: int = BATCH_RUNS, draws: str = "fresh", turn_steps: int = 1):
        self.scenario = scenario
        self.lock = threading.RLock()
        self.session = Session(scenario, list(players), seed, outlook_runs, draws, turn_steps,
                               assess=False)  # no transcript here: no decision points
        self.batch_runs = batch_runs
        self.picks = {p: POLICY for p in self.session.players}
        self.changes = 0  # steps and resets so far: a new position, so fresh move controls
        self.playing = False  # Play or Pause (`set_playing`)
        self._batch: RunResult | None = None
        self._batch_html: str | None = None
        self._shown: Outlook | None = None  # the outlook last shown

    @classmethod
    def from_config(cls, config: DemoConfig) -> Dashboard:
        return cls(load_scenario(config.scenario), config.players, config.seed,
                   config.outlook_runs, draws=config.draws, turn_steps=config.turn_steps)

    # -- actions ---------------------------------------------------------------------------
    def step(self) -> Turn | None:
        """Play one turn (one step, or `--turn`'s steps) with the picks made; the picks go
        back to the policy. The turn's last step, or None once the run has ended."""
        with self.lock:
            s = self.session
            if s.ended:
                return None
            for actor, action in self.picks.items():
                if action != POLICY:
                    s.choose(actor, action)
            turn = s.play_turn()[-1]
            self.picks = dict.fromkeys(self.picks, POLICY)
            self.changes += 1
            return turn

    def reset(self) -> None:
        """Back to step 0 (dice included), the picks back to the policy."""
        with self.lock:
            s = self.session
            self.session = Session(self.scenario, s.players, s.seed, s.outlook_runs, s.draws,
                                   s.turn_steps, assess=False)
            self.picks = dict.fromkeys(self.picks, POLICY)
            self.changes += 1
            self._shown = None

    def set_playing(self, on: bool) -> None:
        """Play (True) or Pause (False); a step under way finishes first."""
        with self.lock:
            self.playing = on

    def control(self, text: str) -> str:
        """Carry out one line of the command language (sim/workshop/commands.py) as Control:
        the text it returns, or the reason it cannot be carried out ("! ...")."""
        with self.lock:
            s = self.session
            before = s.line[-1]
            try:
                shown = run_command(s, text, CONTROL_WIDTH)
            except InputError as exc:  # a CommandError, or a Control command's own refusal
                return f"! {exc}"
            if s.line[-1] is not before:  # a new position
                self.picks = dict.fromkeys(self.picks, POLICY)
                self.changes += 1
            return shown

    def pick(self, actor: str, action: str) -> None:
        """What a played actor does on the next step: a legal action id, or POLICY."""
        with self.lock:
            if actor not in self.picks:
                raise InputError(f"{actor} is not played here (played: "
                                 f"{', '.join(self.picks) or 'none'})")
            if action != POLICY:
                self.session.option(actor, action)  # legal here?
            self.picks[actor] = action

    def options(self, actor: str) -> list[tuple[str, str]]:
        """A played actor's choices now as (value, label): the policy, then each legal move
        with the share the policy would give it."""
        with self.lock:
            if self.session.ended:
                return []
            out = [(POLICY, "follow the policy")]
            for o in self.session.options(actor):
                share = "<1%" if 0 < o.share < 0.005 else f"{100 * o.share:.0f}%"
                out.append((o.action.id, f"{o.action.id} ({share})"))
            return out

    # -- what the page shows ---------------------------------------------------------------
    @property
    def ended(self) -> bool:
        return self.session.ended

    def counter(self) -> str:
        """'Step 3 of 90'."""
        s = self.session
        return f"Step {s.t} of {s.model.horizon}"

    def status(self) -> str:
        """The position in words: date, stage, tension, and whether the run has ended."""
        with self.lock:
            s = self.session
            date = s.scenario.clock.date_of(s.t)
            parts = ([date.isoformat()] if date else []) + [f"stage {s.stage}",
                                                            f"{s.reads} {s.level}"]
            if s.ended:
                peak = s.ladder.stage_ids[int(s.model.peak[0])]
                parts.append(f"the run has ended (highest stage reached: {peak})")
            return " · ".join(parts)

    def players_text(self) -> str:
        s = self.session
        if not s.players:
            return "Nobody is played: every actor follows its scenario policy."
        names = ", ".join(f"{a} ({s.scenario.actor(a).name})" for a in s.players)
        return f"The room plays {names}; the other actors follow their scenario policy."

    def ladder_html(self) -> str:
        """The ladder drawn as in `ladder report`, the current stage highlighted."""
        with self.lock:
            s = self.session
            return ladder_svg(s.ladder, s.scenario.start, key="demo",
                              current=(s.stage, f"NOW · {esc(s.reads)} {s.level}"))

    def log_html(self) -> str:
        """The turns of the run so far, newest first: events, each actor's action, tension,
        and how the stage moved and by which rule, or why it did not."""
        with self.lock:
            s = self.session
            # (every position after the start has its turn)
            turns = [p.turn for p in s.line[1:] if p.turn is not None][::-1][:LOG_TURNS]
            if not turns:
                return (f'<p class="log-empty">{esc(s.when(0))}: the run starts at '
                        f"{esc(s.scenario.start)}, {esc(s.reads)} {s.level}. Nothing has "
                        "happened yet.</p>")
            return "".join(turn_html(s, t) for t in turns)

    def outlook_html(self) -> str:
        """P(reach each stage by the horizon) from here, with Wilson 95% intervals."""
        with self.lock:
            s = self.session
            if s.ended:
                return ('<p class="outlook-ended">The run has ended: nothing more can happen '
                        "in it, so there is no outlook.</p>")
            f = self._shown if self.playing and self._shown is not None else s.outlook()
            self._shown = f
            stale = (f'<p class="outlook-stale">Outlook from step {f.step}, recomputed when '
                     "paused.</p>" if f.step != s.t else "")
            follow = (f"; {', '.join(s.players)} follow{'s' if len(s.players) == 1 else ''} "
                      "the scenario policy in them" if s.players else "")
            rows = [(r["stage"], r["p"], r["lo"], r["hi"], r["already"]) for r in f.rows()]
            coupled = "".join(  # with coupled ladders: the same for each of them
                f"<p>Ladder {esc(key)}:</p>" + bars_svg(
                    [(r["stage"], r["p"], r["lo"], r["hi"], r["already"]) for r in part.rows()],
                    f"outlook-{key}") for key, part in f.ladders.items())
            return (stale + f"<p>P(reach each stage by {esc(s.when(f.horizon, ', ', ''))}), from "
                    f"{esc(s.when(f.step))}: {f.n:,} runs forked from here{esc(follow)}; "
                    f"{esc(f.draws_note)}.</p>"
                    + bars_svg(rows, "outlook") + coupled)

    def batch(self) -> RunResult:
        """The batch of runs from the start (computed once)."""
        with self.lock:
            if self._batch is None:
                self._batch = run_batch(self.scenario, runs=self.batch_runs,
                                        seed=self.session.seed, keep_runs=False)
            return self._batch

    def batch_html(self) -> str:
        """Where the batch's runs end (P(final)) with Wilson 95% intervals."""
        if self._batch_html is None:
            self._batch_html = self._draw_batch()
        return self._batch_html

    def _draw_batch(self) -> str:
        summary = self.batch().summary
        rows = [(stage, summary["final"][stage]["p"], summary["final"][stage]["lo"],
                 summary["final"][stage]["hi"], False) for stage in summary["stages"]]
        return (f"<p>Where {summary['runs']:,} runs from the start (step 0, seed "
                f"{summary['seed']}) end after {summary['horizon']} {esc(summary['step'])}s: "
                "P(final), the share of runs that end in each stage. Every actor follows its "
                "policy.</p>" + bars_svg(rows, "batch"))

    def odds_note(self) -> str:
        return f"Wilson 95% intervals. {ODDS}"


def autoplay(board: Dashboard, speed: float, cancel: threading.Event,
             on_step: Callable[[], None]) -> int:
    """Play's timer: step `board` at `speed` steps per second (0: as fast as it goes), calling
    `on_step` after each step (the page draws itself again), until `cancel` is set, the board
    stops `playing` (Pause) or the run ends; the steps played. Steps are due at fixed times,
    so the time a step and its drawing take is not added to the wait; a timer that falls
    behind does not catch up in a burst. No step starts once Pause has returned."""
    period = 1 / speed if speed > 0 else 0.0
    due, steps = time.monotonic(), 0
    while True:
        due += period
        if cancel.wait(max(0.0, due - time.monotonic())):
            return steps
        with board.lock:  # Pause takes the lock too (`set_playing`)
            if cancel.is_set() or not board.playing or board.step() is None:
                return steps
        steps += 1
        on_step()
        due = max(due, time.monotonic() - period)


def turn_html(s: Session, turn: Turn) -> str:
    """One turn of the log as HTML (text from files escaped)."""
    moved = turn.why.startswith("MOVE")
    head = f"{s.when(turn.step)}: {turn.stage_before}" + (
        f" → {turn.stage_after}" if moved else "")
    actions = []
    for actor, action in turn.note.actions.items():
        who = f"{actor} (you, {turn.how[actor]})" if actor in turn.how else actor
        actions.append(f"<b>{esc(who)}</b> {esc(action)}" if actor in turn.how
                       else f"{esc(who)} {esc(action)}")
    lines = [f"<li>event: {esc(e)}</li>" for e in turn.note.events]
    lines.append(f"<li>{'; '.join(actions)}</li>")
    lines += [f"<li>note: {esc(text)}</li>" for text in turn.note.blocked + turn.refused]
    lines.append(f"<li>{esc(s.reads)} {turn.levels[0]} → {turn.levels[1]}</li>")
    why = f'<span class="move">{esc(turn.why)}</span>' if moved else esc(turn.why)
    lines.append(f"<li>stage: {why}</li>")
    lines += [f"<li>{esc(text.strip())}</li>" for text in s.dynamics(turn)]
    return (f'<div class="turn{" moved" if moved else ""}" data-step="{turn.step}">'
            f"<div class=\"turn-head\">{esc(head)}</div><ul>{''.join(lines)}</ul></div>")


def bars_svg(rows: list[tuple[str, float, float, float, bool]], key: str) -> str:
    """A horizontal bar chart of shares with interval whiskers, the highest stage at the top.

    Args:
        rows: (stage, p, lo, hi, already reached) per stage, lowest first.
        key: a class name for the chart.
    """
    label_w, bar_w, text_w, row_h, top = 150, 330, 150, 30, 22
    width, height = label_w + bar_w + text_w, top + row_h * len(rows) + 6
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="{key}-chart" viewBox="0 0 {width} '
           f'{height}" width="{width}" height="{height}" font-family="sans-serif" '
           'font-size="14" role="img">']
    for pct in (0, 25, 50, 75, 100):
        x = label_w + bar_w * pct / 100
        out.append(f'<line x1="{x:.0f}" y1="{top - 4}" x2="{x:.0f}" y2="{height - 4}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{x:.0f}" y="{top - 8}" font-size="11" fill="#777" '
                   f'text-anchor="middle">{pct}%</text>')
    for k, (stage, p, lo, hi, already) in enumerate(reversed(rows)):
        y = top + k * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end">{esc(stage)}</text>')
        if already:
            out.append(f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="{row_h - 10}" '
                       'fill="#e4e4e4"/>')
            out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 19}" fill="#555">reached'
                       "</text>")
            continue
        out.append(f'<rect x="{label_w}" y="{y + 5}" width="{bar_w * p:.1f}" '
                   f'height="{row_h - 10}" fill="#4a78b5"/>')
        x1, x2, ym = label_w + bar_w * lo, label_w + bar_w * hi, y + row_h / 2
        out.append(f'<path d="M{x1:.1f},{ym - 6} v12 M{x1:.1f},{ym} H{x2:.1f} M{x2:.1f},'
                   f'{ym - 6} v12" stroke="#222" stroke-width="1.5" fill="none"/>')
        out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 19}">{100 * p:.1f}% '
                   f'<tspan fill="#666" font-size="12">[{100 * lo:.1f}, {100 * hi:.1f}]'
                   "</tspan></text>")
    out.append("</svg>")
    return "".join(out)
