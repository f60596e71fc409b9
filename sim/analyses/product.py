"""The exact distribution of a scenario with coupled ladders: one Markov chain over the joint
state of every ladder (a product chain), stepped forward to the horizon.

It covers the coupled scenarios whose joint stage process is Markov (`sim.analyses.markov`
says which): every ladder reads tension, decay is 0 where tension is read, numbers are fixed,
there are no events, and conditions read stages (`stage`, `<key>.stage`) and `step` only. The
joint state is each ladder's (stage, steps at or below `down`), as in `sim.analyses.chain`;
one step sums over every outcome of the actors' choices (`StepBuilder`'s outcomes, with
weights read at the main ladder's stage and modifiers at the joint state), then moves each
ladder as `sim.engine.tracks.Track.plan` does: its own triggers (highest target wins), else
its thresholds on tension, with guards. A run ends when a ladder that ends runs is absorbed.
`tests/test_exact.py` checks it against the Monte Carlo engine.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from ..format.ladder import Ladder
from ..format.scenario import Scenario
from .chain import MAX_ATOMS, NotAnalysable, StepBuilder, _too_big, refusal
from .exact import exact_pct
from .markov import plan

MAX_PRODUCT_STATES = 5_000  # joint states of every ladder together


@dataclass
class _Ladder:
    """One ladder of the product: its arrays and its (stage, dwell) states."""

    key: str
    ladder: Ladder
    start: int
    ends_run: bool
    up: np.ndarray
    down: np.ndarray
    dwell: np.ndarray
    absorbing: np.ndarray
    edges: np.ndarray
    states: list[tuple[int, int]]  # (stage, steps at or below down so far)
    sizes: list[int]  # states per stage (its dwell counts)

    @classmethod
    def of(cls, key: str, ladder: Ladder, start: str, ends_run: bool) -> _Ladder:
        stages = ladder.stages
        edges = np.zeros((len(stages), len(stages)), dtype=bool)
        for i, s in enumerate(stages):
            for target in ladder.targets(s.id):
                edges[i, ladder.index(target)] = True
        sizes = [s.dwell if s.down is not None and not s.absorbing else 1 for s in stages]
        states = [(i, d) for i, size in enumerate(sizes) for d in range(size)]
        return cls(key, ladder, ladder.index(start), ends_run,
                   np.array([np.inf if s.up is None else s.up for s in stages]),
                   np.array([-np.inf if s.down is None else s.down for s in stages]),
                   np.array([s.dwell for s in stages]),
                   np.array([s.absorbing for s in stages]), edges, states, sizes)

    def guard(self, source: int, target: int, tension: float, t: int) -> bool:
        edge = self.ladder.edge(self.ladder.stage_ids[source], self.ladder.stage_ids[target])
        if edge is None or edge.guard is None:
            return True
        return bool(edge.guard.evaluate(_View({"": source}, "", tension, t))[0])

    def move(self, state: tuple[int, int], fired: list[int], tension: float, t: int
             ) -> tuple[int, int]:
        """The next (stage, dwell) from `state` given the triggers fired on this ladder."""
        s, d = state
        for target in sorted(fired, reverse=True):
            if self.edges[s, target] and self.guard(s, target, tension, t):
                return (target, 0)
        if tension >= self.up[s] and s + 1 < len(self.up) and self.guard(s, s + 1, tension, t):
            return (s + 1, 0)
        if tension <= self.down[s]:
            if d + 1 >= self.dwell[s] and self.guard(s, max(s - 1, 0), tension, t):
                return (s - 1, 0)
            return (s, min(d + 1, self.sizes[s] - 1))
        return (s, 0)


class _View:
    """A condition's view of a joint state: `stage` is the ladder `main`'s, `<key>.stage`
    each ladder's, `tension` one value, `step` the step."""

    def __init__(self, stages: dict[str, int], main: str, tension: float, step: int):
        self._stages, self._main = stages, main
        self.stage = np.array([stages[main]])
        self.tension, self.step, self.n = np.array([tension]), step, 1
        self.last: dict[str, np.ndarray] = {}

    def stage_of(self, key: str) -> np.ndarray:
        return np.array([self._stages[key]])


@dataclass
class ProductResult:
    """P(reach) and P(final) of every ladder by the horizon, and the joint outcome."""

    scenario: Scenario
    ladders: dict[str, dict]
    joint: dict
    states: int
    seconds: float

    def to_dict(self) -> dict:
        sc, main = self.scenario, self.ladders[self.scenario.key]
        return {"scenario": sc.id, "ladder": sc.ladder.id, "horizon": sc.clock.horizon,
                "step": sc.clock.step, "stages": list(sc.ladder.stage_ids),
                "states": self.states, "method": "exact product chain",
                "reach": main["reach"], "final": main["final"], "ladders": self.ladders,
                "joint": self.joint, "timing": {"seconds": round(self.seconds, 4)}}


def analyse_product(scenario: Scenario) -> ProductResult:
    """The exact outcome distribution of a coupled scenario to its horizon.

    Raises:
        NotAnalysable: with one Problem per reason when it is not a product Markov chain.
    """
    started = time.perf_counter()
    p = plan(scenario)
    if p.problems:
        raise refusal(scenario, p.problems)
    ladders = [_Ladder.of(scenario.key, scenario.ladder, scenario.start, True)] + [
        _Ladder.of(c.key, c.ladder, c.start, c.ends_run) for c in scenario.coupled]
    joint = list(itertools.product(*(ld.states for ld in ladders)))
    if len(joint) > MAX_PRODUCT_STATES:
        raise _too_big(scenario, "ladders", f"the ladders have {len(joint):,} joint states; "
                       f"exact analysis handles at most {MAX_PRODUCT_STATES:,}")
    index = {state: i for i, state in enumerate(joint)}
    ended = np.array([any(ld.ends_run and ld.absorbing[st[0]]
                          for ld, st in zip(ladders, state, strict=True)) for state in joint])
    builder = StepBuilder(scenario, True)
    horizon = scenario.clock.horizon
    mass = np.zeros(len(joint))
    mass[index[tuple((ld.start, 0) for ld in ladders)]] = 1.0
    reach = [np.zeros(len(ld.up)) for ld in ladders]  # mass that has reached stage >= s
    peak_mass = {}  # (ladder, level) -> mass that has not yet reached the level
    for k, ld in enumerate(ladders):
        for level in range(ld.start + 1, len(ld.up)):
            peak_mass[k, level] = mass.copy()
        reach[k][: ld.start + 1] = 1.0
    below = {(k, level): np.array([state[k][0] < level for state in joint])
             for k, level in peak_mass}  # joint states not yet at the level
    cache: dict[int, np.ndarray] = {}
    for t in range(1, horizon + 1):
        key = min(t, _settled(p))
        if key not in cache:
            cache[key] = _matrix(scenario, builder, ladders, joint, index, ended, t)
        P = cache[key]
        mass = mass @ P
        for (k, level), m in peak_mass.items():
            m = m @ P
            reach[k][level] += m[~below[k, level]].sum()
            peak_mass[k, level] = m * below[k, level]
    out: dict[str, dict] = {}
    for k, ld in enumerate(ladders):
        final = np.zeros(len(ld.up))
        np.add.at(final, [state[k][0] for state in joint], mass)
        ids = ld.ladder.stage_ids
        out[ld.key] = {"ladder": ld.ladder.id, "stages": list(ids),
                       "reach": {s: float(np.clip(reach[k][i], 0, 1)) for i, s in enumerate(ids)},
                       "final": {s: float(np.clip(final[i], 0, 1)) for i, s in enumerate(ids)}}
    by = {}
    for ld in ladders:
        if ld.ends_run:
            for i, s in enumerate(ld.ladder.stage_ids):
                if ld.absorbing[i]:
                    by[f"{ld.key}:{s}"] = out[ld.key]["final"][s]
    return ProductResult(scenario, out, {"ended": float(mass[ended].sum()), "by": by},
                         len(joint), time.perf_counter() - started)


def _settled(p) -> int:
    """The step after which the chain no longer changes (conditions on `step`)."""
    return max([1] + [int(np.floor(c)) + 2 for _, c in p.step_tests])


def _matrix(scenario: Scenario, builder: StepBuilder, ladders: list[_Ladder], joint: list,
            index: dict, ended: np.ndarray, t: int) -> np.ndarray:
    """P[i, j] of one step over the joint states."""
    n = len(joint)
    P = np.zeros((n, n))
    keys = [ld.key for ld in ladders]
    targets = [(k, ld.ladder.index(stage)) for k, ld in enumerate(ladders)
               for stage in _triggered(scenario, ld.key)]
    atoms: dict[tuple[int, ...], tuple] = {}  # the choices depend on the stages, not dwell
    for i, state in enumerate(joint):
        if ended[i]:
            P[i, i] = 1.0
            continue
        at = tuple(st[0] for st in state)
        if at not in atoms:
            atoms[at] = _atoms(scenario, builder, dict(zip(keys, at, strict=True)), targets, t)
        values, bits, probs = atoms[at]
        for v, m, prob in zip(values, bits, probs, strict=True):
            if prob <= 0:
                continue
            nxt = []
            for k, (ld, st) in enumerate(zip(ladders, state, strict=True)):
                if ld.absorbing[st[0]]:  # a ladder that does not end runs stays absorbed
                    nxt.append(st)
                    continue
                fired = [target for j, (kk, target) in enumerate(targets)
                         if kk == k and m & (1 << j)]
                nxt.append(ld.move(st, fired, float(v), t))
            P[i, index[tuple(nxt)]] += prob
    return P


def _triggered(scenario: Scenario, key: str) -> list[str]:
    """The stages of ladder `key` some action triggers."""
    out = set()
    for actor in scenario.actors:
        for a in actor.actions:
            if key == scenario.key and a.trigger:
                out.add(a.trigger)
            elif a.trigger_on and a.trigger_on[0] == key:
                out.add(a.trigger_on[1])
    return sorted(out)


def _atoms(scenario: Scenario, builder: StepBuilder, stages: dict[str, int],
           targets: list[tuple[int, int]], t: int):
    """Every outcome of one step at a joint state: summed tension, trigger bits, probability,
    adding effects in actor order as the engine does."""
    keys = list(stages)
    values, bits, probs = np.zeros(1), np.zeros(1, dtype=np.int64), np.ones(1)
    view = _View(stages, scenario.key, 0.0, t)
    main = stages[scenario.key]
    for actor, par in zip(scenario.actors, builder_params(builder), strict=True):
        w = par.weights[:, main].copy()
        for mod, scale in zip(actor.policy.modifiers, par.scales, strict=True):
            if mod.when.evaluate(view)[0]:
                w *= scale
        total = w.sum()
        if total <= 0:  # every weight zero: no action, effect 0, no trigger
            v_a, b_a, p_a = np.zeros(1), np.zeros(1, dtype=np.int64), np.ones(1)
        elif actor.is_population:
            assert par.count is not None  # a population has a count
            v_a, split = builder._members(par.count, par.effects, (w / total)[None, :])
            p_a, b_a = split[0], np.zeros(len(v_a), dtype=np.int64)
        else:
            v_a, p_a = par.effects.copy(), w / total
            b_a = np.array([_bit(a, scenario, keys, targets) for a in actor.actions],
                           dtype=np.int64)
        values = (values[:, None] + v_a[None, :]).ravel()  # actor order, as sum() in the model
        bits = (bits[:, None] | b_a[None, :]).ravel()
        probs = (probs[:, None] * p_a[None, :]).ravel()
        values, bits, probs = _merge(values, bits, probs)
        if len(values) > MAX_ATOMS:
            raise _too_big(scenario, "actors", f"the actors' choices make {len(values):,} "
                           f"distinct outcomes per step; exact analysis handles at most "
                           f"{MAX_ATOMS:,}")
    return values, bits, probs


def _merge(values: np.ndarray, bits: np.ndarray, probs: np.ndarray):
    """Outcomes with the same summed tension and trigger bits added together."""
    keep = probs > 0
    values, bits, probs = values[keep], bits[keep], probs[keep]
    pairs, inverse = np.unique(np.stack([values, bits.astype(float)]), axis=1,
                               return_inverse=True)
    merged = np.bincount(inverse.ravel(), weights=probs, minlength=pairs.shape[1])
    return pairs[0], pairs[1].astype(np.int64), merged


def _bit(action, scenario: Scenario, keys: list[str], targets: list[tuple[int, int]]) -> int:
    if action.trigger:
        k, stage = 0, scenario.ladder.index(action.trigger)
    elif action.trigger_on:
        key, name = action.trigger_on
        k = keys.index(key)
        ladder = next(c.ladder for c in scenario.coupled if c.key == key)
        stage = ladder.index(name)
    else:
        return 0
    return 1 << targets.index((k, stage))


def builder_params(builder: StepBuilder):
    """The actors' numbers (fixed: the plan refuses draws for product chains)."""
    from .exact import _initial_params

    def value(number, path):
        return float(number)
    return _initial_params(builder.scenario, value).actors


def product_table(result: ProductResult) -> str:
    """The `ladder exact` output for coupled ladders: exact P(reach) and P(final) per ladder."""
    d, sc = result.to_dict(), result.scenario
    lines = [f"{sc.id}: exact product chain over {result.states:,} joint states of "
             f"{len(d['ladders'])} ladders, to step {sc.clock.horizon}"]
    for key, entry in d["ladders"].items():
        width = max(len(s) for s in entry["stages"]) + 2
        lines.append(f"ladder {key} ({entry['ladder']}):")
        lines.append(f"{'stage':<{width}}{'P(reach)':>12}  {'P(final)':>12}")
        for s in entry["stages"]:
            lines.append(f"{s:<{width}}{exact_pct(entry['reach'][s]):>12}  "
                         f"{exact_pct(entry['final'][s]):>12}")
    which = "; ".join(f"{k} {exact_pct(v)}" for k, v in d["joint"]["by"].items())
    lines.append(f"run ended (any run-ending stage): {exact_pct(d['joint']['ended'])}"
                 + (f" ({which})" if which else ""))
    lines.append("Exact values of the stated model (no sampling error), not forecasts: they "
                 "hold only under the scenario's assumptions.")
    return "\n".join(lines)


__all__ = ["NotAnalysable", "ProductResult", "analyse_product", "product_table"]
