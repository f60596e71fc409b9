"""The actors as Mesa agents: each chooses an action for every run of the ensemble at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .distributions import sample
from .scenario import Actor

if TYPE_CHECKING:
    from .model import EscalationModel

NONE = -1  # action code for "no action" (before the first step, or every weight zero)


class ActorAgent(mesa.Agent):
    """One actor (a state, alliance, patron or proxy): one action per run per step.

    Per-run parameters are arrays with a leading run axis: `weights` (runs, stages, actions),
    `effects` (runs, actions), one `(condition, scale)` pair per modifier with scale
    (runs, actions). `choice` holds this step's action codes, `last` the previous step's.
    """

    def __init__(self, model: EscalationModel, actor: Actor):
        super().__init__(model)
        self.actor = actor
        rng, n = model.rng, model.n
        stage_ids = model.ladder.stage_ids
        actions = actor.actions
        self.n_actions = len(actions)
        self.allowed = np.array([[a.allowed is None or s in a.allowed for a in actions]
                                 for s in stage_ids])
        self.own = np.array([[a.id in actor.policy.stages.get(s, {}) for a in actions]
                             for s in stage_ids])
        default = np.stack([sample(actor.policy.weights.get(a.id, 0.0), rng, n)
                            for a in actions], axis=1)
        self.weights = np.repeat(default[:, None, :], len(stage_ids), axis=1)
        for s, values in actor.policy.stages.items():
            for a, value in values.items():
                self.weights[:, stage_ids.index(s), actor.action_ids.index(a)] = sample(
                    value, rng, n)
        self.weights *= self.allowed
        self.effects = np.stack([sample(a.effect, rng, n) for a in actions], axis=1)
        self.modifiers = [
            (m.when, np.stack([sample(m.scale.get(a.id, 1.0), rng, n) for a in actions], axis=1))
            for m in actor.policy.modifiers
        ]
        self.triggers = np.array([stage_ids.index(a.trigger) if a.trigger else NONE
                                  for a in actions] + [NONE])  # last slot: code -1
        self.choice = np.full(n, NONE)
        self.last = np.full(n, NONE)
        self.effect = np.zeros(n)
        self.counts = np.zeros((n, self.n_actions), dtype=np.int64)

    def current_weights(self) -> np.ndarray:
        """Weights (runs, actions) at each run's stage, times every modifier that holds."""
        model = self.model
        w = self.weights[model.run_index, model.stage]
        for when, scale in self.modifiers:
            holds = when.evaluate(model.view)
            if holds.any():
                w = w * np.where(holds[:, None], scale, 1.0)
        return w

    def choose(self) -> None:
        """Draw this step's action in every run (simultaneous: `last` is not touched)."""
        w = self.current_weights()
        cum = np.cumsum(w, axis=1)
        total = cum[:, -1]
        u = self.model.rng.random(self.model.n) * total
        choice = (u[:, None] >= cum).sum(axis=1)
        choice[(total <= 0) | ~self.model.active] = NONE
        self.choice = choice
        acted = choice >= 0
        self.effect = np.where(acted, self.effects[self.model.run_index, np.maximum(choice, 0)],
                               0.0)
        rows = np.flatnonzero(acted)
        self.counts[rows, choice[rows]] += 1

    def trigger_targets(self) -> np.ndarray:
        """Stage index each run's chosen action triggers, or -1."""
        return self.triggers[self.choice]

    def describe_choice(self, run: int) -> str:
        """This step's action in one run, for a trace."""
        code = self.choice[run]
        return "(nothing)" if code < 0 else self.actor.actions[code].id


class PopulationAgent(ActorAgent):
    """A population: `count` members per run each draw an action; effects add up.

    Its `last` is the action most members chose (ties: the one declared first).
    """

    def __init__(self, model: EscalationModel, actor: Actor):
        super().__init__(model, actor)
        self.size = sample(actor.count, model.rng, model.n, dtype=np.int64)
        self.members = np.zeros((model.n, self.n_actions), dtype=np.int64)

    def choose(self) -> None:
        w = self.current_weights()
        total = w.sum(axis=1)
        live = (total > 0) & self.model.active
        p = np.divide(w, total[:, None], out=np.full_like(w, 1.0 / self.n_actions),
                      where=total[:, None] > 0)
        members = self.model.rng.multinomial(np.where(live, self.size, 0), p)
        self.members = members
        self.choice = np.where(live, members.argmax(axis=1), NONE)
        self.effect = (members * self.effects).sum(axis=1)
        self.counts += members

    def trigger_targets(self) -> np.ndarray:
        return np.full(self.model.n, NONE)

    def describe_choice(self, run: int) -> str:
        parts = [f"{self.members[run, i]} {a.id}" for i, a in enumerate(self.actor.actions)
                 if self.members[run, i]]
        return ", ".join(parts) or "(nothing)"
