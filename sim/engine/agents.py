"""The actors as Mesa agents: each chooses an action for every run of the ensemble at once.

Per-run arrays are laid out actions-first, (actions, [stages,] runs), so each numpy operation
runs over long contiguous rows of runs: that is what makes an ensemble step fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from ..format.actors import Actor
from ..format.distributions import sample

if TYPE_CHECKING:
    from .model import EscalationModel

NONE = -1  # action code for "no action" (before the first step, or every weight zero)


class ActorAgent(mesa.Agent):
    """One actor (a state, alliance, patron or proxy): one action per run per step.

    Attributes:
        weights: (actions, stages, runs) weight of each action at each stage, zero where
            the action is not allowed.
        effects: (actions, runs) tension effect of each action.
        modifiers: one (condition, scale) pair per modifier, scale (actions, runs).
        choice: this step's action code per run (-1: none); `last`: the previous step's.
        counts: (actions, runs) how often each action was chosen.
        forced: (runs, action code) imposed on the next step (`EscalationModel.force`), or
            None.
    """

    def __init__(self, model: EscalationModel, actor: Actor):
        super().__init__(model)
        self.actor = actor
        rng, n = model.rng, model.n
        stage_ids = model.ladder.stage_ids
        actions = actor.actions
        self.n_actions = len(actions)
        self.allowed = np.array([[a.allowed is None or s in a.allowed for s in stage_ids]
                                 for a in actions])  # (actions, stages)
        self.own = np.array([[a.id in actor.policy.stages.get(s, {}) for s in stage_ids]
                             for a in actions])
        default = np.stack([sample(actor.policy.weights.get(a.id, 0.0), rng, n)
                            for a in actions])
        self.weights = np.repeat(default[:, None, :], len(stage_ids), axis=1)
        for s, values in actor.policy.stages.items():
            for a, value in values.items():
                self.weights[actor.action_ids.index(a), stage_ids.index(s)] = sample(
                    value, rng, n)
        self.weights *= self.allowed[:, :, None]
        self.effects = np.stack([sample(a.effect, rng, n) for a in actions])
        self.modifiers = [
            (m.when, np.stack([sample(m.scale.get(a.id, 1.0), rng, n) for a in actions]))
            for m in actor.policy.modifiers
        ]
        self.triggers = np.array([stage_ids.index(a.trigger) if a.trigger else NONE
                                  for a in actions] + [NONE])  # last slot: code -1
        self.choice = np.full(n, NONE)
        self.last = np.full(n, NONE)
        self.effect = np.zeros(n)
        self.counts = np.zeros((self.n_actions, n), dtype=np.int64)
        self.forced: tuple[np.ndarray, int] | None = None

    def current_weights(self, stage_run: np.ndarray | None = None) -> np.ndarray:
        """Weights (actions, runs) at each run's stage, times every modifier that holds.

        `stage_run` is the column of each run's stage (default: the one the model set at the
        start of this step).
        """
        model = self.model
        stage_run = model.stage_run if stage_run is None else stage_run
        w = np.take(self.weights.reshape(self.n_actions, -1), stage_run, axis=1)
        for when, scale in self.modifiers:
            holds = when.evaluate(model.view)
            if holds.any():
                np.multiply(w, scale, out=w, where=holds)
        return w

    def choose(self) -> None:
        """Draw this step's action in every run (simultaneous: `last` is not touched)."""
        model = self.model
        w = self.current_weights()
        total = w.sum(axis=0)
        u = model.rng.random(model.n) * total
        choice = np.zeros(model.n, dtype=np.int64)
        below = np.zeros(model.n)
        for row in w[:-1]:  # inverse CDF: count the cumulative weights at or below u
            below += row
            choice += u >= below
        acted = (total > 0) & model.active
        if self.forced is not None:
            acted = self._impose(choice, acted)
        choice[~acted] = NONE
        self.choice = choice
        flat = np.maximum(choice, 0) * model.n + model.run_index
        self.effect = np.where(acted, np.take(self.effects, flat), 0.0)
        self.counts.reshape(-1)[flat[acted]] += 1

    def _impose(self, choice: np.ndarray, acted: np.ndarray) -> np.ndarray:
        """Replace the drawn action by the forced one, after the draw (so the random stream
        is the same as without forcing), in the forced runs that are active and where the
        action is allowed at the stage the choice is made in. The force lasts one step."""
        assert self.forced is not None  # `choose` calls this only when a force is set
        runs, code = self.forced
        self.forced = None
        model = self.model
        runs = runs[model.active[runs] & self.allowed[code, model.stage[runs]]]
        choice[runs] = code
        acted = acted.copy()
        acted[runs] = True
        return acted

    def policy_shares(self, run: int) -> np.ndarray:
        """(actions,) probability of each action if the policy chose in `run` from the current
        state (before any event due at the next step); all zero if every weight is zero."""
        model = self.model
        w = self.current_weights(model.stage * model.n + model.run_index)[:, run]
        total = w.sum()
        return w / total if total > 0 else w

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
        assert actor.count is not None  # a population's count is required (format.actors)
        self.size = sample(actor.count, model.rng, model.n, dtype=np.int64)
        self.members = np.zeros((self.n_actions, model.n), dtype=np.int64)

    def choose(self) -> None:
        model = self.model
        w = self.current_weights()
        live = (w.sum(axis=0) > 0) & model.active
        members = _multinomial(model.rng, np.where(live, self.size, 0), w)
        self.members = members
        self.choice = np.where(live, members.argmax(axis=0), NONE)
        self.effect = (members * self.effects).sum(axis=0)
        self.counts += members

    def trigger_targets(self) -> np.ndarray:
        return np.full(self.model.n, NONE)

    def describe_choice(self, run: int) -> str:
        parts = [f"{self.members[i, run]} {a.id}" for i, a in enumerate(self.actor.actions)
                 if self.members[i, run]]
        return ", ".join(parts) or "(nothing)"


def _multinomial(rng: np.random.Generator, n: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Multinomial counts (actions, runs) as a chain of binomials, vectorised over runs.

    Run r splits n[r] members over the actions with probabilities proportional to
    weights[:, r]; runs whose weights are all zero must have n[r] == 0.
    """
    counts = np.zeros(weights.shape, dtype=np.int64)
    left = n.astype(np.int64)
    rest = weights.sum(axis=0)  # weight of actions j, j+1, ... per run
    for j in range(len(weights) - 1):
        p = np.divide(weights[j], rest, out=np.zeros(len(n)), where=rest > 0)
        counts[j] = rng.binomial(left, np.clip(p, 0.0, 1.0))
        left -= counts[j]
        rest = rest - weights[j]
    counts[-1] = left
    return counts
