"""What a workshop session's log holds: turns, Control's acts, argued moves, decision
points, positions, and the errors and checks the session and its commands share."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..analyses.outlook import Outlook
from ..engine.notes import StepNote
from ..errors import InputError
from ..format.actors import Action
from ..format.check import suggest
from ..format.scenario import Scenario


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
        how: played actor (and any actor Control forced or vetoed) -> how its move came:
            "chosen" (the team's pick), "policy" (its scenario policy), "standing" (a standing
            order), "forced" (Control), "vetoed" (the policy drawn again without the actions
            Control vetoed), "argued" (an argued move stood in).
        reasons: actor -> the team's one-line why (empty when none was given).
        argued: the argued moves resolved before this step.
        coupled: each coupled ladder's stage after the step.
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
    reasons: dict[str, str] = field(default_factory=dict)
    argued: list[Argued] = field(default_factory=list)
    coupled: dict[str, str] = field(default_factory=dict)  # coupled ladder -> stage after


@dataclass
class Position:
    """The played run after some steps: its model snapshot, the turn (or Control's act) that
    led there, and the outlook from there (computed when first asked for)."""

    snapshot: dict
    turn: Turn | None
    outlook: Outlook | None = None
    act: ControlAct | None = None


@dataclass
class ControlAct:
    """One of Control's powers used, with Control's reason: its judgement, not the model's.

    Attributes:
        step: the position it was used at (it acts before step + 1).
        power: inject, force, veto, adjudicate, rule (an argued move's terms) or order.
        what: what was done, as text.
        why: Control's reason.
        before, after: for a change of the state now (inject, adjudicate), the outlook from
            the position before and after it.
    """

    step: int
    power: str
    what: str
    why: str
    before: Outlook | None = None
    after: Outlook | None = None


@dataclass
class Argued:
    """A move a team argues for outside its actor's repertoire, and Control's ruling on it.

    Attributes:
        actor: the actor whose move it is.
        text: the team's statement of the action.
        step: the position it was argued at.
        p: the probability of success Control set (None until Control rules).
        effects: what success does, as inject terms: ("tension", "+1"), ("VAR", "=2"),
            ("FLAG", "on"), ("stage", "[KEY:]STAGE"), ("event", "NAME").
        stand_in: the repertoire action the engine plays for the actor this step (None: its
            policy draws as usual).
        why: Control's reason for its ruling.
        roll: the uniform number drawn against p; success: roll < p.
    """

    actor: str
    text: str
    step: int
    p: float | None = None
    effects: tuple[tuple[str, str], ...] = ()
    stand_in: str | None = None
    why: str = ""
    roll: float | None = None

    @property
    def success(self) -> bool | None:
        return None if self.roll is None or self.p is None else self.roll < self.p

    def terms(self) -> str:
        """Control's ruling as text: 'p = 0.60; tension +1; stage border_incident'."""
        if self.p is None:
            return "not ruled yet"
        parts = [f"p = {self.p:.2f}"] + [f"{k} {v}" for k, v in self.effects]
        parts += [f"played as {self.stand_in}"] if self.stand_in else []
        return "; ".join(parts)


@dataclass(frozen=True)
class Decision:
    """A decision point: a team's move at a position, beside every legal move it had.

    Attributes:
        step: the position (the move is played at step + 1).
        actor, stage: the team's actor and the stage it decided at.
        chosen: the action the team picked (or its argued statement), `how` "chosen"/"argued".
        why: the team's reason.
        n: runs per outlook.
        options: per legal action: (action id, the policy's share of it there, paired rows
            of the outlook with that action forced this turn against every actor following its
            policy: `sim.analyses.outlook.paired_rows`).
    """

    step: int
    actor: str
    stage: str
    chosen: str
    how: str
    why: str
    n: int
    options: list[tuple[str, float, list[dict]]]


@dataclass(frozen=True)
class Option:
    """A legal action of a played actor at the current stage (allowed there), numbered."""

    number: int
    code: int
    action: Action
    share: float  # what the policy would give it now



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
