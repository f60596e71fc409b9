"""The transition matrix of a Markov scenario: one step of the model, as probabilities.

This is the second formulation of the semantics of one step (docs/format.md, "Semantics of
one step"; `sim.engine.model.EscalationModel.step` and `_move`), for scenarios that
`sim.analyses.markov` accepts. Where the engine draws, this module sums over every outcome:

1. actions: each actor's probabilities at each stage (weights times the modifiers that hold
   at that stage and step, zero where not allowed; "no action, effect 0" when every weight is
   zero); a population's member counts are multinomial;
2. tension: with decay 0, tension after the step is the sum of this step's effects, added
   in actor order with the same float64 operations as the engine, so every comparison with
   a threshold or guard comes out as it does there;
3. stage: chosen triggers with an edge from the stage and a holding guard fire, the highest
   target wins; else `up` (if the edge's guard holds); else `down` after `dwell` steps at or
   below it (if the guard holds); the dwell count restarts at every stage change.

The state is (stage, dwell count capped at dwell - 1). `tests/test_exact.py` runs the Monte
Carlo engine against these matrices so the two formulations cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import Problem, ValidationError
from ..format.actors import Actor
from ..format.expr import Condition
from ..format.scenario import Scenario

MAX_ATOMS = 200_000  # distinct (triggers chosen, tension) outcomes of one step
MAX_MEMBERS_OUTCOMES = 200_000  # member-count splits of one population
MAX_TRIGGER_TARGETS = 16


class NotAnalysable(ValidationError):
    """The scenario is not a Markov chain in its stage (or too large); one Problem per reason."""


@dataclass
class ActorParams:
    """One actor's numbers at one time of one mixture component (events may change them)."""

    weights: np.ndarray  # (actions, stages), zero where not allowed
    effects: np.ndarray  # (actions,)
    scales: list[np.ndarray]  # per modifier: (actions,)
    count: int | None


@dataclass
class Params:
    """Every number the chain depends on at one time."""

    actors: list[ActorParams]
    decay: float = 0.0

    def copy(self) -> Params:
        return Params([ActorParams(a.weights.copy(), a.effects.copy(), [s.copy() for s in
                                   a.scales], a.count) for a in self.actors], self.decay)


class _View:
    """The state a condition sees (`sim.format.expr.Condition.evaluate`), for exact evaluation."""

    def __init__(self, stage: np.ndarray, tension: np.ndarray, step: int):
        self.stage, self.tension, self.step, self.n = stage, tension, step, len(stage)
        self.last: dict[str, np.ndarray] = {}


@dataclass
class Layout:
    """States (stage, dwell count): stage s owns states offset[s] .. offset[s] + size[s] - 1."""

    offset: np.ndarray
    size: np.ndarray
    stage_of: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario) -> Layout:
        size = np.array([s.dwell if (s.down is not None and not s.absorbing) else 1
                         for s in scenario.ladder.stages])
        offset = np.concatenate([[0], np.cumsum(size)[:-1]])
        return cls(offset, size, np.repeat(np.arange(len(size)), size))

    @property
    def n(self) -> int:
        return int(self.size.sum())


@dataclass
class LadderArrays:
    """The ladder as arrays, as in `EscalationModel.__init__`."""

    up: np.ndarray
    down: np.ndarray
    dwell: np.ndarray
    absorbing: np.ndarray
    edges: np.ndarray  # (stages, stages) bool: neighbours and declared jumps
    guards: dict[tuple[int, int], Condition]
    rows: np.ndarray  # non-absorbing stages

    @classmethod
    def of(cls, scenario: Scenario) -> LadderArrays:
        ladder = scenario.ladder
        stages = ladder.stages
        edges = np.zeros((len(stages), len(stages)), dtype=bool)
        for i, s in enumerate(stages):
            for target in ladder.targets(s.id):
                edges[i, ladder.index(target)] = True
        guards = {(ladder.index(e.source), ladder.index(e.target)): e.guard
                  for e in ladder.edges if e.guard is not None}
        absorbing = np.array([s.absorbing for s in stages])
        return cls(np.array([np.inf if s.up is None else s.up for s in stages]),
                   np.array([-np.inf if s.down is None else s.down for s in stages]),
                   np.array([s.dwell for s in stages]), absorbing, edges, guards,
                   np.flatnonzero(~absorbing))


@dataclass
class StepBuilder:
    """Builds the transition matrix of one step for given numbers and step number."""

    scenario: Scenario
    tension_read: bool
    ladder: LadderArrays = field(init=False)
    layout: Layout = field(init=False)
    targets: list[int] = field(init=False)  # trigger targets; bit j stands for targets[j]
    _splits: dict = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        sc = self.scenario
        self.ladder, self.layout = LadderArrays.of(sc), Layout.of(sc)
        self.targets = sorted({sc.ladder.index(a.trigger) for actor in sc.actors
                               if not actor.is_population for a in actor.actions if a.trigger})
        if len(self.targets) > MAX_TRIGGER_TARGETS:
            raise _too_big(sc, "actors", f"actions trigger {len(self.targets)} different "
                           f"stages; exact analysis handles at most {MAX_TRIGGER_TARGETS}")

    def matrix(self, params: Params, t: int) -> np.ndarray:
        """P[i, j]: probability that a run in state i at the start of step t is in j after it."""
        m, v, probs = self._atoms(params, t)
        return self._assemble(self._classes(m, v, probs, t))

    # -- 1. actions --------------------------------------------------------------------------
    def _weights(self, actor: Actor, par: ActorParams, t: int) -> np.ndarray:
        """(rows, actions) weights at each non-absorbing stage, times the modifiers that hold."""
        rows = self.ladder.rows
        w = par.weights[:, rows].copy()
        view = _View(rows, np.zeros(len(rows)), t)
        for mod, scale in zip(actor.policy.modifiers, par.scales, strict=True):
            holds = mod.when.evaluate(view)
            np.multiply(w, scale[:, None], out=w, where=holds[None, :])
        return w.T

    def _outcomes(self, actor: Actor, par: ActorParams, t: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One actor's step outcomes: (effect values, trigger bits, probabilities per row)."""
        w = self._weights(actor, par, t)
        total = w.sum(axis=1, keepdims=True)
        dead = total[:, 0] <= 0
        p = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
        effects = par.effects if self.tension_read else np.zeros_like(par.effects)
        if actor.is_population:
            assert par.count is not None  # a population has a count
            values, p = self._members(par.count, effects, p)
            bits = np.zeros(len(values), dtype=np.int64)
        else:
            values = effects
            bits = np.array([self._bit(a.trigger) for a in actor.actions], dtype=np.int64)
        # "No action" where every weight is zero: effect 0, no trigger (ActorAgent.choose).
        return (np.append(values, 0.0), np.append(bits, 0),
                np.column_stack([p, dead.astype(float)]))

    def _bit(self, trigger: str | None) -> int:
        if trigger is None:
            return 0
        return 1 << self.targets.index(self.scenario.ladder.index(trigger))

    def _members(self, count: int, effects: np.ndarray, p: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Distinct summed effects of `count` members and their multinomial probabilities."""
        live = np.flatnonzero(p.any(axis=0))
        splits, values = self._split_values(count, tuple(live), effects)
        with np.errstate(divide="ignore"):
            logp = np.where(p[:, live] > 0, np.log(p[:, live]), -1e300)
        logfact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, count + 1)))])
        lp = logfact[count] - logfact[splits].sum(axis=0)[:, None] + splits.T @ logp.T
        probs = np.exp(lp).T  # (rows, splits)
        sums = probs.sum(axis=1, keepdims=True)
        alive = (sums > 0) & (p.sum(axis=1, keepdims=True) > 0)
        probs = np.divide(probs, sums, out=np.zeros_like(probs), where=alive)
        uv, inverse = np.unique(values, return_inverse=True)
        merged = np.zeros((len(p), len(uv)))
        np.add.at(merged.T, inverse, probs.T)
        return uv, merged

    def _split_values(self, count: int, live: tuple[int, ...], effects: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        key = (count, live, effects.tobytes())
        if key not in self._splits:
            splits = compositions(count, len(live))
            if splits.shape[1] > MAX_MEMBERS_OUTCOMES:
                raise _too_big(self.scenario, "actors", f"a population of {count} over "
                               f"{len(live)} actions has {splits.shape[1]:,} member splits; "
                               f"exact analysis handles at most {MAX_MEMBERS_OUTCOMES:,}")
            members = np.zeros((len(effects), splits.shape[1]), dtype=np.int64)
            members[list(live)] = splits
            # The engine's own expression (PopulationAgent.choose), so the sums are identical.
            values = (members * effects[:, None]).sum(axis=0)
            self._splits[key] = (splits, values)
        return self._splits[key]

    # -- 2. tension: the distribution of (triggers chosen, summed effects) --------------------
    def _atoms(self, params: Params, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_rows = len(self.ladder.rows)
        m, v, probs = np.zeros(1, dtype=np.int64), np.zeros(1), np.ones((n_rows, 1))
        for actor, par in zip(self.scenario.actors, params.actors, strict=True):
            if not (self.tension_read or any(a.trigger for a in actor.actions)):
                continue  # its choices change nothing that matters
            values, bits, p = self._outcomes(actor, par, t)
            m = (m[:, None] | bits[None, :]).ravel()
            v = (v[:, None] + values[None, :]).ravel()  # actor order, as sum() in the model
            probs = (probs[:, :, None] * p[:, None, :]).reshape(n_rows, -1)
            m, v, probs = self._merge(m, v, probs)
        return m, v, probs

    def _merge(self, m: np.ndarray, v: np.ndarray, probs: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = probs.any(axis=0)
        m, v, probs = m[keep], v[keep], probs[:, keep]
        uv, vi = np.unique(v, return_inverse=True)
        keys, ki = np.unique(m * len(uv) + vi, return_inverse=True)
        if len(keys) > MAX_ATOMS:
            raise _too_big(self.scenario, "actors", f"the actors' effects add up to "
                           f"{len(keys):,} distinct outcomes per step; exact analysis handles "
                           f"at most {MAX_ATOMS:,} (use fewer distinct effect values)")
        rows = len(probs)
        index = (np.arange(rows)[:, None] * len(keys) + ki[None, :]).ravel()
        merged = np.bincount(index, weights=probs.ravel(), minlength=rows * len(keys))
        return keys // len(uv), uv[keys % len(uv)], merged.reshape(rows, len(keys))

    # -- 3. stage ----------------------------------------------------------------------------
    def _guard(self, source: int, target: int, v: np.ndarray, t: int) -> np.ndarray | bool:
        guard = self.ladder.guards.get((source, target))
        if guard is None:
            return True
        return guard.evaluate(_View(np.full(len(v), source), v, t))

    def _classes(self, m: np.ndarray, v: np.ndarray, probs: np.ndarray, t: int) -> dict:
        """Per non-absorbing stage: probability of each trigger target, up, mid, low."""
        lad = self.ladder
        n_stages = len(lad.up)
        decided = np.zeros(probs.shape, dtype=bool)
        triggers = {}
        for j in sorted(range(len(self.targets)), key=lambda j: -self.targets[j]):
            target = self.targets[j]
            fired = lad.edges[lad.rows, target][:, None] & ((m & (1 << j)) != 0)[None, :]
            for r, s in enumerate(lad.rows):
                if fired[r].any():
                    fired[r] &= self._guard(s, target, v, t)
            triggers[target] = (probs * (fired & ~decided)).sum(axis=1)
            decided |= fired
        up = ~decided & (v[None, :] >= lad.up[lad.rows][:, None])
        low = ~decided & (v[None, :] <= lad.down[lad.rows][:, None])
        low_ok = low.copy()
        for r, s in enumerate(lad.rows):
            if up[r].any() and s + 1 < n_stages:
                up[r] &= self._guard(s, s + 1, v, t)
            if low[r].any():
                low_ok[r] &= self._guard(s, max(s - 1, 0), v, t)
        mid = ~decided & ~up & ~low
        total = probs.sum(axis=1)
        return {"triggers": triggers, "up": (probs * up).sum(axis=1), "mid": (probs * mid).sum(1),
                "low_ok": (probs * low_ok).sum(axis=1),
                "low_blocked": (probs * (low & ~low_ok)).sum(axis=1), "total": total}

    def _assemble(self, c: dict) -> np.ndarray:
        lad, lay = self.ladder, self.layout
        P = np.zeros((lay.n, lay.n))
        for s in np.flatnonzero(lad.absorbing):
            P[lay.offset[s], lay.offset[s]] = 1.0
        for r, s in enumerate(lad.rows):
            first, size = lay.offset[s], lay.size[s]
            src = first + np.arange(size)
            scale = 1.0 / c["total"][r]  # 1 up to rounding: keep rows stochastic
            for target, p in c["triggers"].items():
                P[src, lay.offset[target]] += p[r] * scale
            if c["up"][r] > 0:
                P[src, lay.offset[s + 1]] += c["up"][r] * scale
            P[src, first] += c["mid"][r] * scale
            at_dwell = np.arange(1, size + 1) >= lad.dwell[s]
            if c["low_ok"][r] > 0:
                P[src[at_dwell], lay.offset[s - 1]] += c["low_ok"][r] * scale
                P[src[~at_dwell], src[~at_dwell] + 1] += c["low_ok"][r] * scale
            if c["low_blocked"][r] > 0:
                P[src, np.minimum(src + 1, first + size - 1)] += c["low_blocked"][r] * scale
        return P

    def event_move(self, target: int) -> np.ndarray:
        """The (states x states) 0/1 matrix of an event's `stage:` move (active runs only)."""
        lay, lad = self.layout, self.ladder
        dest = np.arange(lay.n)
        moving = ~lad.absorbing[lay.stage_of] & (lay.stage_of != target)
        dest[moving] = lay.offset[target]
        E = np.zeros((lay.n, lay.n))
        E[np.arange(lay.n), dest] = 1.0
        return E


def compositions(n: int, k: int) -> np.ndarray:
    """All ways to split n members over k actions: a (k, C(n + k - 1, k - 1)) int array."""
    if k == 0:
        return np.zeros((0, 1), dtype=np.int64)
    if k == 1:
        return np.array([[n]], dtype=np.int64)
    parts = []
    for first in range(n + 1):
        rest = compositions(n - first, k - 1)
        parts.append(np.vstack([np.full((1, rest.shape[1]), first), rest]))
    return np.hstack(parts)


def refusal(scenario: Scenario, reasons) -> NotAnalysable:
    """The error listing every reason a scenario is not analysable, and a closing line."""
    n = len(reasons)
    return NotAnalysable([*reasons, Problem(scenario.path, None, "", (
        f"not exactly analysable ({n} reason{'s' * (n > 1)} above; see docs/exact.md); "
        "`ladder run` simulates any scenario"))])


def _too_big(scenario: Scenario, path: str, message: str) -> NotAnalysable:
    return NotAnalysable([Problem(scenario.path, None, path, message)])
