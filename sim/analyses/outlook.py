"""Outlooks from one position of a played run, and branches compared with them.

An outlook forks the played run (`EscalationModel.fork`) into an ensemble that every actor
steps by its policy to the horizon; by default each run draws the scenario's uncertain
numbers afresh, so the outlook is not conditional on the played run's own draws. A branch
applies one change first (a move this turn, a scenario event now, a tension change now). A
branch and its un-branched outlook draw from the same seed, so run i of each shares its
random numbers (its draws too) and they are compared as pairs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..engine.intervals import wilson
from ..engine.model import EscalationModel
from ..errors import InputError
from .stats import mcnemar_p, newcombe_paired_diff

ODDS = ("Distributions under the scenario's stated assumptions, not predictions of what "
        "will happen.")
PAIRED = ("paired runs (common random numbers): Newcombe's paired interval, exact McNemar "
          "test")

DRAWS_NOTES = {  # what an outlook's runs assume of the scenario's uncertain numbers
    "fresh": "uncertain numbers drawn afresh per run; the played run's own draws not assumed",
    "run": "CONDITIONAL on the played run's own draws of the uncertain numbers",
}


@dataclass(frozen=True)
class Outlook:
    """What can follow from one position: `n` runs forked from the played run, to the horizon.

    Attributes:
        step: the step of the position the outlook starts from.
        horizon: the last step.
        n: runs in the ensemble.
        peak: (n,) highest stage index each run reached by the horizon, counting what the
            played run had already reached.
        reached: highest stage index the played run had reached at `step`.
        stage_ids: stage ids, lowest first.
        seconds: wall time (shown on screen, never in the transcript).
        ladders: with coupled ladders, the same for each of them, by key.
        draws: "fresh" (each run drew the scenario's uncertain numbers afresh) or "run" (each
            kept the played run's own draws: conditional on them); `EscalationModel.fork`.
    """

    step: int
    horizon: int
    n: int
    peak: np.ndarray
    reached: int
    stage_ids: tuple[str, ...]
    seconds: float = 0.0
    ladders: dict[str, Outlook] = field(default_factory=dict)
    draws: str = "fresh"

    @property
    def draws_note(self) -> str:
        """One line saying what the runs assume of the uncertain numbers (`draws`)."""
        return DRAWS_NOTES[self.draws]

    def rows(self) -> list[dict]:
        """Per stage: count and share of runs that reach it by the horizon, Wilson 95%."""
        out = []
        for s, stage in enumerate(self.stage_ids):
            count = int((self.peak >= s).sum())
            lo, hi = wilson(count, self.n)
            out.append({"stage": stage, "count": count, "p": count / self.n, "lo": lo,
                        "hi": hi, "already": s <= self.reached})
        return out


@dataclass(frozen=True)
class Change:
    """A branch: one actor's move this turn, a scenario event now, or a tension change now."""

    kind: str  # "action" | "event" | "tension"
    actor: str | None = None
    action: str | None = None
    event: str | None = None
    delta: float = 0.0

    def describe(self) -> str:
        if self.kind == "action":
            return f"{self.actor} plays {self.action} this turn"
        if self.kind == "event":
            return f"event now: {self.event}"
        return f"tension {self.delta:+g} now"


@dataclass(frozen=True)
class ForkResult:
    """A branch's outlook beside the un-branched one, per stage: P(reach) in each, the
    difference branch - base with its 95% interval and p-value (`method`)."""

    step: int
    change: Change
    base: Outlook
    branch: Outlook
    rows: list[dict]
    method: str = PAIRED
    why: str = ""  # the room's reason for asking


def check_draws(draws: str) -> str:
    """`draws` when it is "fresh" or "run" (`ensemble`).

    Raises:
        InputError: "outlook draws must be 'fresh' or 'run', got ...".
    """
    if draws not in DRAWS_NOTES:
        raise InputError(f"outlook draws must be 'fresh' or 'run', got {draws!r}")
    return draws


def ensemble(model: EscalationModel, n: int, seed: np.random.SeedSequence,
             change: Change | None = None, run: int = 0, draws: str = "fresh") -> Outlook:
    """Fork run `run` of `model` into `n` runs, apply `change` (if any), step them to the
    horizon. draws="fresh": each run draws the scenario's uncertain numbers afresh; "run":
    each keeps run `run`'s own draws (`EscalationModel.fork`)."""
    started = time.perf_counter()
    ens = model.fork(run, n=n, rng=seed, draws=draws)
    try:
        if change is not None:
            _apply(ens, change)
        reached = {t.key: int(t.peak.max()) for t in ens.tracks}
        ens.run_to_end()
        ladders = {t.key: Outlook(model.t, model.horizon, ens.n, t.peak.copy(), reached[t.key],
                                   t.ladder.stage_ids, draws=draws) for t in ens.tracks[1:]}
        return Outlook(model.t, model.horizon, ens.n, ens.peak.copy(),
                        reached[ens.main.key], model.ladder.stage_ids,
                        time.perf_counter() - started, ladders, draws)
    finally:
        ens.release()


def _apply(model: EscalationModel, change: Change) -> None:
    """Apply a branch's change to every run of a forked ensemble, before its next step."""
    if change.kind == "action":
        assert change.actor is not None and change.action is not None  # an action's Change
        model.force(change.actor, change.action)
    elif change.kind == "event":
        assert change.event is not None  # an event's Change
        model.apply_event(change.event)
    else:
        model.tension = np.where(model.active, model.tension + change.delta, model.tension)


def paired_rows(base: Outlook, branch: Outlook) -> list[dict]:
    """Per stage: P(reach) in each, branch - base with Newcombe's paired 95% interval and
    the exact McNemar p-value (the two ensembles share their random numbers run by run)."""
    rows = []
    for s, stage in enumerate(base.stage_ids):
        a, b = base.peak >= s, branch.peak >= s
        both, only_a = int((a & b).sum()), int((a & ~b).sum())
        only_b, neither = int((~a & b).sum()), int((~a & ~b).sum())
        lo, hi = newcombe_paired_diff(both, only_a, only_b, neither)
        rows.append({"stage": stage, "pa": float(a.mean()), "pb": float(b.mean()),
                     "diff": float(b.mean() - a.mean()), "lo": lo, "hi": hi,
                     "p": mcnemar_p(only_a, only_b),
                     "already": s <= min(base.reached, branch.reached)})
    return rows
