"""The actors as Mesa agents: each chooses an action for every run of the ensemble at once.

Per-run arrays are laid out actions-first, (actions, [stages,] runs), so each numpy operation
runs over long contiguous rows of runs: that is what makes an ensemble step fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from ..format.actors import Actor
from .assumptions import draw

if TYPE_CHECKING:
    from .model import EscalationModel

NONE = -1  # action code for "no action" (before the first step, or every weight zero)
FEW_RUNS = 1024  # below this many runs numpy's cost per call dominates: fewer, larger calls


class ActorAgent(mesa.Agent):
    """One actor (a state, alliance, patron or proxy): one action per run per step.

    Attributes:
        weights: (actions, stages, runs) weight of each action at each stage, zero where
            the action is not allowed.
        effects: (actions, runs) tension effect of each action.
        modifiers: one (condition, scale) pair per modifier, scale (actions, runs).
        scaled: per modifier, the actions whose scale can differ from 1 (those the file
            scales and those an event sets; the others' scale is 1 in every run).
        choice: this step's action code per run (-1: none); `last`: the previous step's.
        counts: (actions, runs) how often each action was chosen.
        forced: (runs, action code) imposed on the next step (`EscalationModel.force`), or
            None.
        gathered: (actions, runs) `weights` at the stage column `gathered_at` of each run, kept
            between steps (`_stage_weights`), or None; `forget_weights` drops it.
    """

    def __init__(self, model: EscalationModel, actor: Actor):
        super().__init__(model)
        self.actor = actor
        n = model.n
        stage_ids = model.ladder.stage_ids
        actions = actor.actions
        self.n_actions = len(actions)
        self.allowed = np.array([[a.allowed is None or s in a.allowed for s in stage_ids]
                                 for a in actions])  # (actions, stages)
        self.own = np.array([[a.id in actor.policy.stages.get(s, {}) for s in stage_ids]
                             for a in actions])
        default = np.stack([draw(model, actor.policy.weights.get(a.id, 0.0))
                            for a in actions])
        self.weights = np.repeat(default[:, None, :], len(stage_ids), axis=1)
        for s, values in actor.policy.stages.items():
            for a, value in values.items():
                self.weights[actor.action_ids.index(a), stage_ids.index(s)] = draw(
                    model, value)
        self.weights *= self.allowed[:, :, None]
        self.effects = np.stack([draw(model, a.effect) for a in actions])
        self.modifiers = [
            (m.when, np.stack([draw(model, m.scale.get(a.id, 1.0)) for a in actions]))
            for m in actor.policy.modifiers
        ]
        self.scaled = [sorted(actor.action_ids.index(a) for a in m.scale)
                       for m in actor.policy.modifiers]
        self.triggers = np.array([stage_ids.index(a.trigger) if a.trigger else NONE
                                  for a in actions] + [NONE])  # last slot: code -1
        self.choice = np.full(n, NONE)
        self.last = np.full(n, NONE)
        self.effect = np.zeros(n)
        self.counts = np.zeros((self.n_actions, n), dtype=np.int64)
        self.forced: tuple[np.ndarray, int] | None = None
        self.gathered: np.ndarray | None = None
        self.gathered_at = np.full(n, NONE)
        self.view = model.view  # what its conditions see (an ActorView when it perceives)
        # The dynamics (`prepare_dynamics`): none unless the scenario uses them.
        self.var_effects: dict[str, np.ndarray] = {}  # variable -> (actions, runs)
        self.var_effect: dict[str, np.ndarray] = {}  # variable -> this step's (runs,)
        self.flag_actions = [(i, a.sets, a.clears) for i, a in enumerate(actions)
                             if a.sets or a.clears]
        self.signals: tuple[np.ndarray, np.ndarray] | None = None  # (shown code, p) per action
        self.shown = self.choice  # the face others see: the choice unless it signals
        self.triggers_on: dict[str, np.ndarray] = {}  # ladder key -> stage per action code
        self.joint: list[tuple[int, str, int, int]] = []  # (code, actor, action, within)

    def prepare_dynamics(self, keys: dict[str, tuple[str, ...]]) -> None:
        """Draw effects on variables and set up signals, coupled triggers and joint decisions
        (after every draw of the older constructs, so a file without them draws as before).
        `keys`: each coupled ladder's key with its stage ids."""
        model, actions = self.model, self.actor.actions
        n = model.n
        names = list(dict.fromkeys(v for a in actions for v, _ in a.effects))
        for name in names:
            self.var_effects[name] = np.stack([draw(model, dict(a.effects).get(name, 0.0))
                                               for a in actions])
        if any(a.signal for a in actions):
            ids = self.actor.action_ids
            shows = np.array([ids.index(a.signal[0]) if a.signal else i
                              for i, a in enumerate(actions)] + [NONE])
            p = np.array([a.signal[1] if a.signal else 0.0 for a in actions] + [0.0])
            self.signals = (shows, p)
            self.shown_last = np.full(n, NONE)  # the face others saw in the previous step
            self.shown_counts = np.zeros((self.n_actions, n), dtype=np.int64)
        for key, stage_ids in keys.items():
            codes = [stage_ids.index(a.trigger_on[1]) if a.trigger_on and a.trigger_on[0] == key
                     else NONE for a in actions]
            if any(c != NONE for c in codes):
                self.triggers_on[key] = np.array(codes + [NONE])
        by_actor = {a.actor.id: a.actor.action_ids for a in model.actors}
        self.joint = [(i, a.requires[0], by_actor[a.requires[0]].index(a.requires[1]), a.within)
                      for i, a in enumerate(actions) if a.requires]

    def current_weights(self, stage_run: np.ndarray | None = None) -> np.ndarray:
        """Weights (actions, runs) at each run's stage, times every modifier that holds.

        `stage_run` is the column of each run's stage (default: the one the model set at the
        start of this step).
        """
        model = self.model
        if stage_run is None:
            w = self._stage_weights(model.stage_run)
        else:
            w = np.take(self.weights.reshape(self.n_actions, -1), stage_run, axis=1)
        for (when, scale), rows in zip(self.modifiers, self.scaled, strict=True):
            _scale_where(w, scale, when.evaluate(self.view), rows)
        return w

    def _stage_weights(self, stage_run: np.ndarray) -> np.ndarray:
        """A fresh (actions, runs) array of `weights` at each run's column `stage_run`: the
        same gather as `current_weights`'s, from last step's where a run's column is
        unchanged (with many runs; with few, one gather costs less than the bookkeeping)."""
        flat = self.weights.reshape(self.n_actions, -1)
        if stage_run.size < FEW_RUNS:
            return np.take(flat, stage_run, axis=1)
        if self.gathered is None:
            self.gathered = np.take(flat, stage_run, axis=1)
            np.copyto(self.gathered_at, stage_run)
        else:
            moved = np.flatnonzero(stage_run != self.gathered_at)
            if moved.size:
                at = stage_run[moved]
                self.gathered[:, moved] = np.take(flat, at, axis=1)
                self.gathered_at[moved] = at
        return self.gathered.copy()

    def forget_weights(self) -> None:
        """Drop the gathered weights (after `weights` changed: an event, a restore)."""
        self.gathered = None

    def may_scale(self, modifier: int, action: int) -> None:
        """Note that an event can set modifier `modifier`'s scale of action `action`."""
        if action not in self.scaled[modifier]:
            self.scaled[modifier] = sorted([*self.scaled[modifier], action])

    def choose(self) -> None:
        """Draw this step's action in every run (simultaneous: `last` is not touched)."""
        model = self.model
        w = self.current_weights()
        total = w.sum(axis=0)
        choice = _inverse_cdf(w, model.rng.random(model.n) * total)
        acted = (total > 0) & model.active
        if self.forced is not None:
            acted = self._impose(choice, acted)
        choice[~acted] = NONE
        self.choice = choice
        flat = np.maximum(choice, 0) * model.n + model.run_index
        self.effect = np.where(acted, np.take(self.effects, flat), 0.0)
        np.add.at(self.counts.reshape(-1), flat[acted], 1)
        for name, effects in self.var_effects.items():
            self.var_effect[name] = np.where(acted, np.take(effects, flat), 0.0)
        self.shown = choice
        if self.signals is not None:
            shows, p = self.signals
            signalled = model.rng.random(model.n) < p[choice]
            self.shown = np.where(signalled, shows[choice], choice)
            shown_flat = np.maximum(self.shown, 0) * model.n + model.run_index
            self.shown_counts.reshape(-1)[shown_flat[acted]] += 1

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

    def can_trigger(self, key: str) -> bool:
        """Whether some action of this actor triggers a move on ladder `key`."""
        if key == self.model.scenario.key:
            return bool((self.triggers >= 0).any())
        return key in self.triggers_on

    def trigger_targets(self, key: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Stage index each run's chosen action triggers on ladder `key` (None or the main
        key: the main ladder), or -1; and, when some trigger is a joint decision, which runs'
        triggers are (None otherwise). A joint trigger whose other key was not turned (its
        action not taken in time) does not fire."""
        model = self.model
        if key is None or key == model.scenario.key:
            wanted = self.triggers[self.choice]
        elif key in self.triggers_on:
            wanted = self.triggers_on[key][self.choice]
        else:
            return np.full(model.n, NONE), None
        if not self.joint:
            return wanted, None
        joint = np.zeros(model.n, dtype=bool)
        for code, other, other_code, within in self.joint:
            mine = self.choice == code
            if mine.any():
                joint |= mine
                wanted = np.where(mine & ~model.recall.took(other, other_code, within),
                                  NONE, wanted)
        return wanted, joint

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
        self.size = draw(model, actor.count, dtype=np.int64)
        self.members = np.zeros((self.n_actions, model.n), dtype=np.int64)

    def choose(self) -> None:
        model = self.model
        w = self.current_weights()
        live = (w.sum(axis=0) > 0) & model.active
        members = _multinomial(model.rng, np.where(live, self.size, 0), w)
        self.members = members
        self.choice = np.where(live, _first_max(members), NONE)
        self.effect = (members * self.effects).sum(axis=0)
        self.counts += members
        for name, effects in self.var_effects.items():
            self.var_effect[name] = (members * effects).sum(axis=0)
        self.shown = self.choice

    def can_trigger(self, key: str) -> bool:
        return False

    def trigger_targets(self, key: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        return np.full(self.model.n, NONE), None

    def describe_choice(self, run: int) -> str:
        parts = [f"{self.members[i, run]} {a.id}" for i, a in enumerate(self.actor.actions)
                 if self.members[i, run]]
        return ", ".join(parts) or "(nothing)"


def _scale_where(w: np.ndarray, scale: np.ndarray, holds: np.ndarray, rows: list[int]
                 ) -> None:
    """w *= scale (both (actions, runs)) in the runs where `holds`, in place, for the
    actions `rows` (every other action's scale is 1).

    The same numbers as `np.multiply(w, scale, out=w, where=holds)`, cheaper: a masked
    multiply is slow when the mask is mixed, so rare runs are indexed, and otherwise the
    other runs are multiplied by exactly 1.0.
    """
    k = np.count_nonzero(holds)
    if k == 0:
        return
    if holds.size < FEW_RUNS:
        np.multiply(w, scale, out=w, where=holds)
    elif k == holds.size:
        for a in rows:
            w[a] *= scale[a]
    elif 16 * k < holds.size:
        runs = np.flatnonzero(holds)
        for a in rows:
            w[a, runs] *= scale[a, runs]
    else:
        for a in rows:
            w[a] *= np.where(holds, scale[a], 1.0)


def _inverse_cdf(w: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per run, the action drawn by `u` (uniform times the total weight): the number of
    cumulative weights of the actions before the last at or below u (the same sums either
    way: each adds the next action's weight to the one before)."""
    if u.size < FEW_RUNS or len(w) > 127:
        return (u >= np.add.accumulate(w[:-1], axis=0)).sum(axis=0)
    if len(w) < 2:
        return np.zeros(u.size, dtype=np.int64)
    choice = np.zeros(u.size, dtype=np.int8)  # counted in bytes: cheaper, and < 128 actions
    below = w[0].copy()
    at = np.greater_equal(u, below)
    choice += at.view(np.int8)
    for row in w[1:-1]:
        below += row
        np.greater_equal(u, below, out=at)
        choice += at.view(np.int8)
    return choice.astype(np.int64)


def _first_max(counts: np.ndarray) -> np.ndarray:
    """Per run, the first action with the most members: `counts.argmax(axis=0)`, cheaper
    (an argmax over the short axis of an (actions, runs) array is slow)."""
    if counts.shape[1] < FEW_RUNS:
        return counts.argmax(axis=0)
    best, first = counts[0].copy(), np.zeros(counts.shape[1], dtype=np.int64)
    for j in range(1, len(counts)):
        more = counts[j] > best
        np.copyto(first, j, where=more)
        np.maximum(best, counts[j], out=best)
    return first


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
