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

import numpy as np

from ..analyses.outlook import Change, ForkResult, Outlook, check_draws, ensemble, paired_rows
from ..engine.dynamics import perceived_value
from ..engine.model import EscalationModel
from ..errors import InputError
from ..format.check import suggest
from ..format.scenario import Scenario
from ..present.render import dynamics_lines
from ..present.why import explain, level_now, step_levels, why_moved
from .control import apply_change
from .entries import (  # noqa: F401 (CommandError and whole_number: also the session's)
    Argued,
    CommandError,
    ControlAct,
    Decision,
    Option,
    Position,
    Turn,
    check_players,
    whole_number,
)

DEFAULT_OUTLOOK_RUNS = 2000
MAX_OUTLOOK_RUNS = 1_000_000
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class Session:
    """One run of a scenario, played turn by turn.

    Args:
        scenario: the loaded scenario.
        players: ids of the actors the room plays (not populations).
        seed: the session seed (default: the scenario's).
        outlook_runs, draws: runs per outlook ensemble, and its draws ("fresh" or "run").
        turn_steps: steps per turn (0: each turn runs to the next stage move or event).
        assess: at each decision point, work out the outlook of every legal move (the hot
            wash's departures and off-ramps); off saves that time.
    """

    def __init__(self, scenario: Scenario, players: list[str] | tuple[str, ...] = (),
                 seed: int | None = None, outlook_runs: int = DEFAULT_OUTLOOK_RUNS,
                 draws: str = "fresh", turn_steps: int = 1, assess: bool = True):
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
        self.log: list[Turn | ForkResult | ControlAct | Decision | str] = []  # the story
        self.pending: dict[str, int] = {}  # this turn's choices so far: actor -> action code
        self.reasons: dict[str, str] = {}  # this turn's reasons so far: actor -> why
        self.turn_steps = turn_steps  # steps per turn of the game; 0: to a decision point
        if turn_steps < 0:
            raise InputError(f"a turn is 1 or more steps (0: to the next decision point), "
                             f"got {turn_steps}")
        self.assess = assess  # work out each decision point's legal moves' outlooks
        self.forced: dict[str, int] = {}  # Control's forced moves this step: actor -> code
        self.vetoed: dict[str, set[int]] = {}  # Control's vetoes this turn: actor -> codes
        self.argued: dict[str, Argued] = {}  # argued moves this step: actor -> the move
        self.orders: dict[str, int] = {}  # standing orders of played actors: actor -> code

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
        vetoed = self.vetoed.get(actor_id, set())
        codes = [i for i in range(agent.n_actions) if agent.allowed[i, stage] and i not in vetoed]
        return [Option(k, i, agent.actor.actions[i], float(shares[i]))
                for k, i in enumerate(codes, start=1)]

    def option(self, actor_id: str, token: str) -> Option:
        """The option a token names: its number or its action id."""
        options = self.options(actor_id)
        for o in options:
            if token == str(o.number) or token == o.action.id:
                return o
        legal = ", ".join(f"{o.number} {o.action.id}" for o in options)
        actor = self.scenario.actor(actor_id)
        if token in actor.action_ids and actor.action_ids.index(token) in self.vetoed.get(
                actor_id, ()):
            raise CommandError(f"{actor_id}.{token} is vetoed by Control this turn "
                               f"(legal here: {legal})")
        if token in self.scenario.actor(actor_id).action_ids:
            raise CommandError(f"{actor_id}.{token} is not allowed at {self.stage} "
                               f"(legal here: {legal})")
        hint = suggest(token, [o.action.id for o in options])
        raise CommandError(f"{actor_id} has no action {token!r}{hint} (legal here: {legal})")

    def waiting_for(self) -> str | None:
        """The played actor whose choice this turn is asked next, or None."""
        done = self.pending.keys() | self.forced.keys() | self.argued.keys()
        return next((a for a in self.players if a not in done), None)

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
        shown = {name: perceived_value(self.model, name, v[0]) for name, v in seen.items()}
        return {name: v if isinstance(v, str) else f"{v:.2f}" for name, v in shown.items()}

    def play(self) -> Turn:
        """Play one step: argued moves are resolved, then the pending choices, Control's
        forced moves and standing orders are forced; every other actor (and each played actor
        without any) follows its policy, drawn again without any actions Control vetoed."""
        self.check_running()
        unruled = next((a for a in self.argued.values() if a.p is None), None)
        if unruled is not None:
            raise CommandError(f"Control has not ruled on {unruled.actor}'s argued move "
                               f"({unruled.text!r}): rule {unruled.actor} p=P [tension=+X] "
                               "[stage=STAGE] ... -- why")
        if self.assess:
            self.log += self._assess()
        model, t = self.model, self.model.t
        before = (self.stage, self.tension)
        how: dict[str, str] = {}
        codes: dict[str, int] = {}  # every action forced this step
        argued = list(self.argued.values())
        for k, arg in enumerate(argued):  # effects now, but a stage move after the step
            arg.roll = float(self._dice(2, t, k).random())
            if arg.success:
                for kind, value in arg.effects:
                    if kind != "stage":
                        apply_change(self, kind, value)
            if arg.stand_in is not None:
                codes[arg.actor] = self.scenario.actor(arg.actor).action_ids.index(arg.stand_in)
            how[arg.actor] = "argued"
        for source, label in ((self.pending, "chosen"), (self.forced, "forced")):
            for actor, code in source.items():
                codes[actor], how[actor] = code, label
        stage = int(model.stage[0])
        for actor in self.players:
            order = self.orders.get(actor)
            if actor not in how and order is not None and model.agent_of(actor).allowed[order,
                                                                                     stage]:
                codes[actor], how[actor] = order, "standing"
        for k, (actor, vetoed) in enumerate(self.vetoed.items()):
            if actor not in how:
                codes[actor], how[actor] = self._redraw(actor, vetoed, k), "vetoed"
        for actor, code in codes.items():
            model.force(actor, code)
        model.step()
        assert model.notes is not None  # a played model traces (trace=True)
        note = model.notes[-1]
        why = explain(self.scenario, model, note)
        for arg in argued:
            for kind, value in arg.effects if arg.success and model.running else ():
                if kind == "stage":
                    why += f"; then {arg.actor}'s argued move: {apply_change(self, kind, value)}"
        refused = [f"{a}: {self.scenario.actor(a).actions[c].id} was not applied (an event "
                   f"moved the stage to {self.stage} first); {a} did {note.actions[a]}"
                   for a, c in codes.items() if int(model.agent_of(a).choice[0]) != c]
        how = {a: how.get(a, "policy") for a in self.players} | {
            a: h for a, h in how.items() if a not in self.players}
        reasons = {a: self.reasons[a] for a in how if self.reasons.get(a)}
        turn = Turn(model.t, note, how, before[1], before[0], self.stage, why, refused,
                    level_after=self.tension,
                    levels=step_levels(note, self.reads, before[1], self.tension),
                    reasons=reasons, argued=argued, coupled={
                        c.key: c.ladder.stage_ids[int(model.track(c.key).stage[0])]
                        for c in self.scenario.coupled})
        self.pending, self.reasons, self.forced, self.argued = {}, {}, {}, {}
        self.line.append(Position(model.snapshot(), turn))
        self.log.append(turn)
        return turn

    def _dice(self, *key: int) -> np.random.Generator:
        """A generator of the session's own, apart from the played run's dice (argued moves'
        rolls, vetoed draws), so using a power changes no other random number."""
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))

    def shares_without(self, actor: str, vetoed: set[int]) -> np.ndarray:
        """The actor's policy shares here, over the actions allowed at the stage, with the
        `vetoed` ones at zero (not normalised: all zero when nothing is left)."""
        agent = self.model.agent_of(actor)
        shares = agent.policy_shares(0) * agent.allowed[:, int(self.model.stage[0])]
        shares[list(vetoed)] = 0.0
        return shares

    def _redraw(self, actor: str, vetoed: set[int], k: int) -> int:
        """The actor's move drawn from its policy's shares here without the vetoed actions."""
        shares = self.shares_without(actor, vetoed)
        if shares.sum() <= 0:
            raise CommandError(f"with Control's veto, {actor}'s policy gives no action left "
                               f"any weight at {self.stage}: pick {actor}'s move, or force one")
        u = self._dice(3, self.model.t, k).random()
        return int(np.searchsorted(np.cumsum(shares / shares.sum()), u, side="right"))

    def _assess(self) -> list[Decision]:
        """The decision points of this step: for each played actor whose team picked (or
        argued), every legal action's paired outlook against all following their policy."""
        teams = [(a, "chosen") for a in self.pending] + [
            (a, "argued") for a in self.argued if a in self.players]
        if not teams:
            return []
        base = self.outlook()
        out = []
        for actor, how in teams:
            options = [(o.action.id, o.share, paired_rows(base, self._ensemble(
                Change("action", actor=actor, action=o.action.id)))) for o in self.options(actor)]
            chosen = (self.scenario.actor(actor).actions[self.pending[actor]].id
                      if how == "chosen" else self.argued[actor].text)
            out.append(Decision(self.t, actor, self.stage, chosen, how,
                                self.reasons.get(actor, ""), base.n, options))
        return out

    def dynamics(self, turn: Turn) -> list[str]:
        """For a scenario with coupled ladders, variables or perception: each coupled ladder's
        stage (and its move this turn, with the rule), the variables, flags and what each actor
        perceived after the turn (nothing for a scenario without them)."""
        lines = []
        for c in self.scenario.coupled:
            now = turn.coupled[c.key]  # after that turn, not the stage now
            moves = "; ".join(f"MOVE {m.old} -> {m.new} by {why_moved(self.scenario, turn.note, m)}"
                              for m in turn.note.on(c.key))
            lines.append(f"  {c.key + ' ladder':<10} " + (moves or f"at {now}"))
        return lines + dynamics_lines(turn.note)

    def play_turn(self) -> list[Turn]:
        """Play one turn of the game: the pending choices on its first step, then the steps
        the turn length adds (`turn_steps`; 0: up to the next decision point, a stage move or
        an event), in which played actors follow their standing order or their policy.
        Control's vetoes hold for the whole turn."""
        self.check_running()
        turns = [self.play()]
        while not self.ended and (len(turns) < self.turn_steps or self.turn_steps == 0 and not (
                turns[-1].note.moved or turns[-1].note.events)):
            turns.append(self.play())
        self.vetoed = {}
        return turns

    def advance(self, turns: int) -> list[Turn]:
        """Play up to `turns` turns (`play_turn`), the played actors following their standing
        order or policy (except any choice already made this turn); stops when the run ends."""
        played: list[Turn] = []
        for _ in range(turns):
            if self.ended:
                break
            played += self.play_turn()
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
    def undo(self) -> Position:
        """Take back the last turn (dice included) or Control's last change of the state."""
        if len(self.line) == 1:
            raise CommandError("nothing to undo: this is the start of the run (step 0)")
        gone = self.line.pop()
        self._goto(self.line)
        what = (f"Control's {gone.act.power} at {self.when(gone.act.step)}" if gone.act else
                self.when(gone.turn.step) if gone.turn else "?")
        self.log.append(f"Undo: {what} taken back; back at {self.when(self.t)}")
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
        self.pending, self.reasons, self.forced, self.argued, self.vetoed = {}, {}, {}, {}, {}
        self.model.restore(line[-1].snapshot)

    def fork(self, change: Change, why: str = "") -> ForkResult:
        """The outlook with `change` applied at this position, beside the un-branched one;
        `why`: the room's reason for asking."""
        self.check_running()
        if change.kind == "action":
            assert change.actor is not None and change.action is not None  # an action's Change
            self.option(change.actor, change.action)  # legal here?
        base = self.outlook()
        branch = self._ensemble(change)
        result = ForkResult(self.t, change, base, branch, paired_rows(base, branch),
                            why=why.strip())
        self.log.append(result)
        return result

    def check_running(self) -> None:
        """Raise CommandError once the run has ended (absorbed, or at the horizon)."""
        if self.ended:
            stage = self.stage
            why = ("absorbing" if self.ladder.stages[self.ladder.index(stage)].absorbing
                   else "the horizon")
            raise CommandError(f"the run has ended at {self.when(self.t)} in {stage} ({why}); "
                               "u to undo, r NAME to return to a branch point, q to quit")
