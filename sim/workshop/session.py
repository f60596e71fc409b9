"""A workshop session: one run of a scenario played turn by turn, with a live outlook.

A team plays one or more actors; the others follow their scenario policy. The session steps
the same `EscalationModel` as `ladder run`, with a single run: a played actor's choice is
forced onto the engine's draw (`EscalationModel.force`), every position is a snapshot of the
model (undo, branch points), and the outlook forks the current run into an ensemble
(`EscalationModel.fork`) that is stepped to the horizon (sim/analyses/outlook.py). The terminal
front end is sim/workshop/play.py; the markdown debrief is sim/workshop/debrief.py.

Randomness: the played run draws from `SeedSequence(seed, spawn_key=(0,))`; the outlook
from step t from `SeedSequence(seed, spawn_key=(1, t))`. A fork from step t uses that same
seed, so run i of the branch and run i of the un-branched outlook share their random
numbers (common random numbers) and are compared as pairs. Undo and return rewind the
played run's dice too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..analyses.outlook import Change, ForkResult, Outlook, check_draws, ensemble, paired_rows
from ..engine.model import EscalationModel
from ..engine.notes import StepNote
from ..errors import InputError
from ..format.actors import Action
from ..format.check import suggest
from ..format.scenario import Scenario
from ..present.render import dynamics_lines
from ..present.why import explain, level_now, step_levels, why_moved

DEFAULT_OUTLOOK_RUNS = 2000
MAX_OUTLOOK_RUNS = 1_000_000
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class CommandError(InputError):
    """A command that cannot be carried out in the session's current position."""


def whole_number(text: str) -> int | None:
    """`text` as a number when it is 1 to 9 ASCII digits, else None (`str.isdigit` also takes
    '²' and other digits that `int` refuses, and `int` refuses more than 4,300 digits)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


@dataclass
class Turn:
    """One step of the played run: who did what, how the stage moved and why.

    Attributes:
        step: the step played.
        note: the engine's StepNote (events, every actor's action, tension, move).
        how: played actor -> "chosen" or "policy" (followed its scenario policy).
        tension_before, stage_before, stage_after: the state around the step (tension_before
            and level_after: what the main ladder reads, tension or the scenario's `reads`).
        why: the stage move and the rule behind it, or why the stage did not move.
        refused: played choices the engine did not apply (an event moved the stage first).
        outlook: the outlook from the position after this step, once computed.
        levels: tension_before and level_after as text, as the trace prints them (`level_text`).
    """

    step: int
    note: StepNote
    how: dict[str, str]
    tension_before: float
    stage_before: str
    stage_after: str
    why: str
    refused: list[str] = field(default_factory=list)
    outlook: Outlook | None = None
    level_after: float = 0.0
    levels: tuple[str, str] = ("", "")


@dataclass
class Position:
    """The played run after some steps: its model snapshot, the turn that led there, and the
    outlook from there (computed when first asked for)."""

    snapshot: dict
    turn: Turn | None
    outlook: Outlook | None = None


@dataclass(frozen=True)
class Option:
    """A legal action of a played actor at the current stage (allowed there), numbered."""

    number: int
    code: int
    action: Action
    share: float  # what the policy would give it now


class Session:
    """One run of a scenario, played turn by turn.

    Args:
        scenario: the loaded scenario.
        players: ids of the actors the room plays (not populations).
        seed: the session seed (default: the scenario's).
        outlook_runs, draws: runs per outlook ensemble, and its draws ("fresh" or "run").
    """

    def __init__(self, scenario: Scenario, players: list[str] | tuple[str, ...] = (),
                 seed: int | None = None, outlook_runs: int = DEFAULT_OUTLOOK_RUNS,
                 draws: str = "fresh"):
        self.scenario = scenario
        self.players = check_players(scenario, players)
        self.seed = scenario.seed if seed is None else seed
        if self.seed < 0:
            raise InputError(f"seed must be >= 0, got {self.seed}")
        if not 1 <= outlook_runs <= MAX_OUTLOOK_RUNS:
            raise InputError(f"outlook runs must be from 1 to {MAX_OUTLOOK_RUNS:,}, "
                             f"got {outlook_runs}")
        self.outlook_runs, self.draws = outlook_runs, check_draws(draws)
        self.ladder = scenario.ladder
        self.model = EscalationModel(scenario, n=1, trace=True,
                                     rng=np.random.SeedSequence(self.seed, spawn_key=(0,)))
        self.start_tension = self.tension
        self.line: list[Position] = [Position(self.model.snapshot(), None)]
        self.points: dict[str, list[Position]] = {}
        self.log: list[Turn | ForkResult | str] = []  # what the transcript tells
        self.pending: dict[str, int] = {}  # this turn's choices so far: actor -> action code
        self.reasons: dict[str, str] = {}  # this turn's reasons so far: actor -> why
        self.turn_steps = 1  # steps per turn of the game

    # -- the position ----------------------------------------------------------------------
    @property
    def t(self) -> int:
        return self.model.t

    @property
    def stage(self) -> str:
        return self.ladder.stage_ids[int(self.model.stage[0])]

    @property
    def tension(self) -> float:
        """What the main ladder reads, in the played run: tension, or the scenario's `reads`."""
        return float(self.model.level()[0])

    @property
    def level(self) -> str:
        """What the main ladder reads now, as text against its stage's thresholds (`level_now`)."""
        return level_now(self.model)

    @property
    def reads(self) -> str:
        """The name of what the main ladder reads (`tension` or a variable)."""
        return self.scenario.reads

    @property
    def ended(self) -> bool:
        return not self.model.running

    @property
    def last_turn(self) -> Turn | None:
        return self.line[-1].turn

    def when(self, step: int, sep: str = " (", end: str = ")") -> str:
        """'step 3 (2024-05-30)', or 'step 3' without a start date."""
        date = self.scenario.clock.date_of(step)
        return f"step {step}" + (f"{sep}{date.isoformat()}{end}" if date else "")

    def options(self, actor_id: str) -> list[Option]:
        """The played actor's legal actions here (allowed at the current stage), numbered
        from 1, with the share its policy would give each now."""
        agent = self.model.agent_of(actor_id)
        stage = int(self.model.stage[0])
        shares = agent.policy_shares(0)
        codes = [i for i in range(agent.n_actions) if agent.allowed[i, stage]]
        return [Option(k, i, agent.actor.actions[i], float(shares[i]))
                for k, i in enumerate(codes, start=1)]

    def option(self, actor_id: str, token: str) -> Option:
        """The option a token names: its number or its action id."""
        options = self.options(actor_id)
        for o in options:
            if token == str(o.number) or token == o.action.id:
                return o
        legal = ", ".join(f"{o.number} {o.action.id}" for o in options)
        if token in self.scenario.actor(actor_id).action_ids:
            raise CommandError(f"{actor_id}.{token} is not allowed at {self.stage} "
                               f"(legal here: {legal})")
        hint = suggest(token, [o.action.id for o in options])
        raise CommandError(f"{actor_id} has no action {token!r}{hint} (legal here: {legal})")

    def waiting_for(self) -> str | None:
        """The played actor whose choice this turn is asked next, or None."""
        return next((a for a in self.players if a not in self.pending), None)

    # -- playing ---------------------------------------------------------------------------
    def choose(self, actor_id: str, token: str, why: str = "") -> bool:
        """Record a played actor's choice for this turn, with the team's one-line reason;
        True once every played actor chose."""
        self.check_running()
        self.pending[actor_id] = self.option(actor_id, token).code
        self.reasons[actor_id] = why.strip()
        return self.waiting_for() is None

    def perceived(self, actor_id: str) -> dict[str, str]:
        """What a played actor perceives now, as text: each quantity it `perceives` (its
        lagged, biased, noisy reading; a stage by its id), or the truth of the main stage and
        level when it perceives nothing."""
        view = self.model.view_of(actor_id)
        seen = getattr(view, "seen", {})
        if not seen:
            return {"stage": self.stage, self.reads: self.level}
        out = {}
        for name, values in seen.items():
            value = values[0]
            if name == "stage":
                out[name] = self.ladder.stage_ids[int(value)]
            elif name.endswith(".stage") and name[:-6] in self.model.track_keys:
                out[name] = self.model.track(name[:-6]).ladder.stage_ids[int(value)]
            else:
                out[name] = f"{float(value):.2f}"
        return out

    def play(self) -> Turn:
        """Play one turn: the pending choices are forced, every other actor (and each played
        actor without a choice) follows its policy."""
        self.check_running()
        model = self.model
        before = (self.stage, self.tension)
        for actor_id, code in self.pending.items():
            model.force(actor_id, code)
        model.step()
        assert model.notes is not None  # a played model traces (trace=True)
        note = model.notes[-1]
        refused = [f"{a}: {self.scenario.actor(a).actions[c].id} was not applied (an event "
                   f"moved the stage to {self.stage} first); {a} did {note.actions[a]}"
                   for a, c in self.pending.items() if int(model.agent_of(a).choice[0]) != c]
        how = {a: "chosen" if a in self.pending else "policy" for a in self.players}
        turn = Turn(model.t, note, how, before[1], before[0], self.stage,
                    explain(self.scenario, model, note), refused, level_after=self.tension,
                    levels=step_levels(note, self.reads, before[1], self.tension))
        self.pending = {}
        self.line.append(Position(model.snapshot(), turn))
        self.log.append(turn)
        return turn

    def dynamics(self, turn: Turn) -> list[str]:
        """For a scenario with coupled ladders, variables or perception: each coupled ladder's
        stage (and its move this turn, with the rule), the variables, flags and what each actor
        perceived after the turn (nothing for a scenario without them)."""
        lines = []
        for c in self.scenario.coupled:
            now = c.ladder.stage_ids[int(self.model.track(c.key).stage[0])]
            moves = "; ".join(f"MOVE {m.old} -> {m.new} by {why_moved(self.scenario, turn.note, m)}"
                              for m in turn.note.on(c.key))
            lines.append(f"  {c.key + ' ladder':<10} " + (moves or f"at {now}"))
        return lines + dynamics_lines(turn.note)

    def play_turn(self) -> list[Turn]:
        """Play one turn of the game: the pending choices on its first step, then the steps
        the turn length adds (`turn_steps`), in which played actors follow their policy."""
        self.check_running()
        return [self.play()] + self.advance(self.turn_steps - 1)

    def advance(self, turns: int) -> list[Turn]:
        """Play up to `turns` turns, the played actors following their policy (except any
        choice already made this turn); stops early when the run ends."""
        played = []
        for _ in range(turns):
            if self.ended:
                break
            played.append(self.play())
        return played

    def outlook(self) -> Outlook:
        """The outlook from the current position (computed once per position)."""
        here = self.line[-1]
        if here.outlook is None:
            here.outlook = self._ensemble(None)
            if here.turn is not None:
                here.turn.outlook = here.outlook
        return here.outlook

    def _ensemble(self, change: Change | None) -> Outlook:
        seed = np.random.SeedSequence(self.seed, spawn_key=(1, self.model.t))
        return ensemble(self.model, self.outlook_runs, seed, change, draws=self.draws)

    # -- undo, branch points, forks --------------------------------------------------------
    def undo(self) -> Turn:
        """Take back the last turn (dice included)."""
        if len(self.line) == 1:
            raise CommandError("nothing to undo: this is the start of the run (step 0)")
        gone = self.line.pop().turn
        assert gone is not None  # only the start, line[0], has no turn, and it stays
        self._goto(self.line)
        self.log.append(f"Undo: {self.when(gone.step)} taken back; back at {self.when(self.t)}")
        return gone

    def save(self, name: str) -> None:
        """Remember this position as branch point `name`."""
        if not NAME_RE.match(name):
            raise CommandError(f"branch point name {name!r}: use 1-40 letters, digits, _ . -")
        again = " (replacing the earlier one)" if name in self.points else ""
        self.points[name] = list(self.line)
        self.log.append(f"Branch point '{name}' saved at {self.when(self.t)}{again}")

    def back(self, name: str) -> None:
        """Return to branch point `name`."""
        if name not in self.points:
            known = ", ".join(self.points) or "none saved yet"
            raise CommandError(f"no branch point {name!r}{suggest(name, self.points)} "
                               f"(branch points: {known})")
        self._goto(list(self.points[name]))
        self.log.append(f"Returned to branch point '{name}' at {self.when(self.t)}")

    def _goto(self, line: list[Position]) -> None:
        self.line = line
        self.pending = {}
        self.model.restore(line[-1].snapshot)

    def fork(self, change: Change) -> ForkResult:
        """The outlook with `change` applied at this position, beside the un-branched one."""
        self.check_running()
        if change.kind == "action":
            assert change.actor is not None and change.action is not None  # an action's Change
            self.option(change.actor, change.action)  # legal here?
        base = self.outlook()
        branch = self._ensemble(change)
        result = ForkResult(self.t, change, base, branch, paired_rows(base, branch))
        self.log.append(result)
        return result

    def parse_change(self, words: list[str]) -> Change:
        """A fork's change from its words: `[ACTOR=]ACTION`, `event N|NAME`, `tension +X`."""
        self.check_running()
        if not words:
            raise CommandError("fork what? f [ACTOR=]ACTION | f event N|NAME | f tension +X")
        if words[0] == "tension":
            if len(words) != 2:
                raise CommandError("f tension needs one number, e.g. f tension +2")
            try:
                delta = float(words[1])
            except ValueError:
                raise CommandError(f"f tension: {words[1]!r} is not a number") from None
            if not np.isfinite(delta):
                raise CommandError(f"f tension: {words[1]!r} is not a finite number")
            return Change("tension", delta=delta)
        if words[0] == "event":
            return Change("event", event=self.event_name(" ".join(words[1:])))
        if len(words) != 1:
            raise CommandError(f"fork: cannot read {' '.join(words)!r}; "
                               "f [ACTOR=]ACTION | f event N|NAME | f tension +X")
        actor, sep, action = words[0].rpartition("=")
        if not sep:
            if not self.players:
                raise CommandError("f ACTION needs a played actor (--as); "
                                   "name one: f ACTOR=ACTION")
            actor = self.players[0]
        check_players(self.scenario, [actor], what="f", error=CommandError)
        option = self.option(actor, action)
        return Change("action", actor=actor, action=option.action.id)

    def event_name(self, text: str) -> str:
        """A scenario event by its number (from 1) or its name (case-insensitive)."""
        names = [e.name for e in self.scenario.events]
        if not names:
            raise CommandError("this scenario has no events")
        number = whole_number(text)
        if number is not None and 1 <= number <= len(names):
            return names[number - 1]
        for name in names:
            if name.lower() == text.lower():
                return name
        listed = "; ".join(f"{i} {n}" for i, n in enumerate(names, start=1))
        raise CommandError(f"no event {text!r} (events: {listed})")

    def check_running(self) -> None:
        """Raise CommandError once the run has ended (absorbed, or at the horizon)."""
        if self.ended:
            stage = self.stage
            why = ("absorbing" if self.ladder.stages[self.ladder.index(stage)].absorbing
                   else "the horizon")
            raise CommandError(f"the run has ended at {self.when(self.t)} in {stage} ({why}); "
                               "u to undo, r NAME to return to a branch point, q to quit")


def check_players(scenario: Scenario, players, what: str = "--as",
                  error: type[InputError] = InputError) -> list[str]:
    """The played actors, checked: known, not populations, each once."""
    ids = [a.id for a in scenario.actors]
    out: list[str] = []
    for p in players:
        if p not in ids:
            raise error(f"{what} {p}: unknown actor{suggest(p, ids)} (actors of "
                             f"{scenario.id}: {', '.join(ids)})")
        actor = scenario.actor(p)
        if actor.is_population:
            playable = [a.id for a in scenario.actors if not a.is_population]
            raise error(f"{what} {p}: {p} is a population (members choose one by one), "
                             f"so a team cannot play it; play one of: {', '.join(playable)}")
        if p in out:
            raise error(f"{what} {p}: given twice")
        out.append(p)
    return out
