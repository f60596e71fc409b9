"""Exact analysis of Markov scenarios: the outcome distribution without sampling.

When every policy depends only on the stage (and step), tension does not carry over
between steps, and events are scheduled, the stage process is a finite Markov chain
(`sim.analyses.markov` decides, `sim.analyses.chain` builds one step's transition matrix).
This module runs the chain forward to the horizon (stage occupancy, and P(reach) per stage
through one "killed" copy of the chain per stage), then past it (`sim.analyses.absorption`:
absorption probabilities and expected steps, checked, or said in words where double precision
cannot resolve them). Numbers drawn per run from a discrete distribution make a mixture of
chains, weighted by their probabilities.

    from sim.analyses.exact import analyse
    result = analyse(sim.load_scenario("scenarios/examples/gamblers-ruin.yaml"))
    result.to_dict()["reach"]     # the same keys as `ladder run --json`, exact values
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..engine.outcomes import step_quantile
from ..errors import Problem
from ..format.distributions import Dist, Number
from ..format.scenario import Scenario
from .absorption import Absorption, Eventual, Figure, absorb, state
from .chain import ActorParams, NotAnalysable, Params, StepBuilder, refusal
from .markov import STEP_OPS, Plan, draw_points, plan

__all__ = ["ExactResult", "NotAnalysable", "analyse", "exact_table"]

DISCLAIMER = ("Exact values of the stated model (no sampling error), not forecasts: they hold "
              "only under the scenario's assumptions.")


@dataclass
class ExactResult:
    """What `analyse` returns.

    Attributes:
        scenario: the analysed scenario.
        occupancy: DataFrame, one row per step (0..horizon), one column per stage: P(in it).
        incidence: DataFrame, same shape: P(reached the stage, or a higher one, by the step).
        unbounded: the figures with no horizon, as far as double precision resolves them.
        states: states of the chain (stages, expanded by dwell counts).
        components: chains in the mixture (combinations of discrete per-run draws).
        seconds: wall-clock time of the analysis.
    """

    scenario: Scenario
    occupancy: pd.DataFrame
    incidence: pd.DataFrame
    unbounded: Eventual
    states: int
    components: int
    seconds: float

    @property
    def eventual(self) -> dict[str, float | None]:
        """Absorbing stage -> P(a run with no horizon ends there); None: not resolved."""
        return self.unbounded.stages

    @property
    def certain(self) -> bool:
        """Every run is absorbed eventually (with probability 1)."""
        return self.unbounded.certain

    @property
    def expected_steps(self) -> float | None:
        """Expected step of absorption with no horizon (None: infinite, or not resolved)."""
        return self.unbounded.expected_steps

    @property
    def reach(self) -> dict[str, float]:
        return {str(s): _p(x) for s, x in self.incidence.iloc[-1].items()}

    @property
    def final(self) -> dict[str, float]:
        return {str(s): _p(x) for s, x in self.occupancy.iloc[-1].items()}

    @property
    def absorbed(self) -> float:
        ladder = self.scenario.ladder
        return _p(sum(self.final[s.id] for s in ladder.stages if s.absorbing))

    def time_to(self) -> dict[str, dict | None]:
        """Median and quartiles of the first step at each stage, over runs that reach it."""
        out: dict[str, dict | None] = {}
        for s in self.incidence.columns:
            cum = self.incidence[s].to_numpy()
            if cum[-1] <= 0:
                out[s] = None
                continue
            hist = np.diff(cum, prepend=0.0)
            out[s] = {q: step_quantile(hist, f) for q, f in
                      (("median", 0.5), ("q25", 0.25), ("q75", 0.75))}
        return out

    def provenance(self) -> dict:
        """Where the numbers come from: versions, files and their hashes, --set overrides."""
        sc = self.scenario
        prov: dict[str, Any] = {"version": __version__, "method": "exact", "numpy": np.__version__,
                "scenario_sha256": sc.sha256, "ladder_sha256": sc.ladder.sha256,
                "scenario_file": sc.path, "ladder_file": sc.ladder.path}
        overrides = getattr(sc, "overrides", ())
        if overrides:
            prov["overrides"] = [f"{path}={value}" for path, value in overrides]
        return prov

    def to_dict(self) -> dict:
        """The summary (`ladder exact --json`): `ladder run --json` keys, exact values."""
        sc = self.scenario
        return {
            "scenario": sc.id, "ladder": sc.ladder.id,
            "horizon": sc.clock.horizon, "step": sc.clock.step,
            "stages": list(sc.ladder.stage_ids), "states": self.states,
            "components": self.components, "reach": self.reach, "final": self.final,
            "time_to": self.time_to(), "absorbed": self.absorbed,
            "eventual": _eventual(self.unbounded), "expected_steps": self.expected_steps,
            "provenance": self.provenance(),
            "timing": {"seconds": round(self.seconds, 4)},
        }


def analyse(scenario: Scenario) -> ExactResult:
    """Compute a Markov scenario's outcome distribution exactly, to its horizon and beyond.

    Raises:
        NotAnalysable: (a ValidationError) with one Problem per feature that prevents it.
    """
    started = time.perf_counter()
    p = plan(scenario)
    if p.problems:
        raise refusal(scenario, p.problems)
    builder = StepBuilder(scenario, p.tension_read)
    parts = [(w, _Component(scenario, builder, p, a).run()) for w, a in _mixture(p)]
    horizon = scenario.clock.horizon
    occupancy = sum(w * part.occupancy for w, part in parts)
    incidence = sum(w * part.incidence for w, part in parts)
    steps = pd.RangeIndex(horizon + 1, name="step")
    columns = list(scenario.ladder.stage_ids)
    return ExactResult(scenario, pd.DataFrame(np.clip(occupancy, 0, 1), steps, columns),
                       pd.DataFrame(np.clip(incidence, 0, 1), steps, columns),
                       _unbounded(scenario, parts), builder.layout.n, len(parts),
                       time.perf_counter() - started)


def _unbounded(scenario: Scenario, parts: list[tuple[float, _Part]]) -> Eventual:
    """The mixture's figures with no horizon: each component's, weighted by its probability."""
    ids = [s.id for s in scenario.ladder.stages if s.absorbing]
    zero = Figure.of(0.0)
    eventual, never, expected = dict.fromkeys(ids, zero), zero, zero
    for w, part in parts:
        a = part.absorption
        for s, f in zip(ids, a.into, strict=True):
            eventual[s] += f.times(w)
        never += a.never.times(w)
        if a.steps is not None:
            expected += (Figure.of(part.waited) + a.steps).times(w)
    certain = all(part.absorption.certain for _, part in parts)
    failed = "; ".join(sorted({p.absorption.failed for _, p in parts if p.absorption.failed}))
    return state(eventual, never, expected if certain else None, certain, failed or None)


def problems(scenario: Scenario) -> list[Problem]:
    """Every reason `scenario` cannot be analysed exactly (empty when it can)."""
    return list(plan(scenario).problems)


def _mixture(p: Plan):
    """(probability, {field path: value}) for each combination of discrete per-run draws."""
    for combo in itertools.product(*(d.points for d in p.draws)):
        weight = float(np.prod([prob for _, prob in combo]))
        yield weight, {d.path: value for d, (value, _) in zip(p.draws, combo, strict=True)}


@dataclass
class _Part:
    occupancy: np.ndarray
    incidence: np.ndarray
    absorption: Absorption  # after the last change of the chain
    waited: float  # expected steps spent unabsorbed before it


class _Component:
    """One chain of the mixture: its numbers, events, forward pass and absorption algebra."""

    def __init__(self, scenario: Scenario, builder: StepBuilder, p: Plan, values: dict):
        self.sc, self.b, self.plan, self.values = scenario, builder, p, values
        self.versions = [_initial_params(scenario, self._value)]
        self.version_at: dict[int, int] = {}  # first step of each later version
        self.moves: dict[int, list[int]] = defaultdict(list)
        self._events()
        self._cache: dict[tuple, np.ndarray] = {}
        last_event = max(self.version_at.keys() | self.moves.keys(), default=0)
        self.settled = max([1, last_event + 1]
                           + [int(np.floor(c)) + 2 for _, c in p.step_tests])

    def _value(self, number: Number, path: str) -> float:
        if not isinstance(number, Dist):
            return float(number)
        if path in self.values:
            return self.values[path]
        points = draw_points(number)
        return points[0][0] if points else number.mean()  # continuous: only where irrelevant

    def _events(self) -> None:
        ids = self.sc.ladder.stage_ids
        params = self.versions[0]
        # (every event is scheduled, at a step: `markov.plan` refuses conditional ones)
        for step in sorted({e.at for e in self.sc.events if e.set and e.at is not None}):
            params = params.copy()
            for i, e in enumerate(self.sc.events):
                for key, value in (e.set.items() if e.at == step else ()):
                    _apply_set(self.sc, params, key, self._value(value, f"events[{i}].set.{key}"))
            self.version_at[step] = len(self.versions)
            self.versions.append(params)
        for e in self.sc.events:
            if e.stage is not None:
                assert e.at is not None  # as above: scheduled
                self.moves[e.at].append(ids.index(e.stage))

    def matrix(self, t: int) -> np.ndarray:
        """The transition matrix of step t (cached by the numbers and step tests in force)."""
        t = min(t, self.settled)
        version = max([0] + [v for step, v in self.version_at.items() if step <= t])
        key = (version,) + tuple(bool(STEP_OPS[op](t, c)) for op, c in self.plan.step_tests)
        if key not in self._cache:
            self._cache[key] = self.b.matrix(self.versions[version], t)
        return self._cache[key]

    def run(self) -> _Part:
        sc, lay = self.sc, self.b.layout
        horizon, n_stages = sc.clock.horizon, len(sc.ladder.stages)
        start = sc.ladder.index(sc.start)
        levels = np.arange(start + 1, n_stages)
        # Row 0: the chain; row 1 + k: runs that have not yet been at stage >= levels[k].
        keep = np.vstack([np.ones(lay.n), lay.stage_of[None, :] < levels[:, None]]).astype(float)
        mass = np.zeros((1 + len(levels), lay.n))
        mass[:, lay.offset[start]] = 1.0
        mass *= keep
        occupancy = np.zeros((horizon + 1, n_stages))
        incidence = np.ones((horizon + 1, n_stages))
        reached = np.zeros(len(levels))  # mass moved out of the killed copies so far
        transient = ~self.b.ladder.absorbing[lay.stage_of]
        alive = [1.0]
        moves = {t: [self.b.event_move(s) for s in targets] for t, targets in self.moves.items()}
        for t in range(max(horizon + 1, self.settled)):
            if t > horizon:
                mass, keep, reached = mass[:1], keep[:1], reached[:0]  # the chain only
            if t > 0:
                for P in [*moves.get(t, ()), self.matrix(t)]:
                    mass = mass @ P
                    reached += (mass[1:] * (1.0 - keep[1:])).sum(axis=1)
                    mass *= keep
                alive.append(float(mass[0, transient].sum()))
            if t <= horizon:
                occupancy[t] = np.bincount(lay.stage_of, weights=mass[0], minlength=n_stages)
                incidence[t, levels] = reached
        x = mass[0]  # after step max(horizon, settled - 1): the chain is the same from here on
        absorbing = self.b.ladder.absorbing[lay.stage_of]
        return _Part(occupancy, incidence, absorb(self.matrix(self.settled), absorbing, x),
                     sum(alive[:-1]))


def _initial_params(sc: Scenario, value) -> Params:
    """Every actor's numbers before any event, as in `ActorAgent.__init__`."""
    stage_ids = sc.ladder.stage_ids
    actors = []
    for actor in sc.actors:
        base = f"actors.{actor.id}"
        weights = np.array([[value(actor.policy.weights.get(a.id, 0.0),
                                   f"{base}.policy.weights.{a.id}")] * len(stage_ids)
                            for a in actor.actions])
        for s, ws in actor.policy.stages.items():
            for a, w in ws.items():
                weights[actor.action_ids.index(a), stage_ids.index(s)] = value(
                    w, f"{base}.policy.stages.{s}.{a}")
        weights *= _allowed(sc, actor)
        effects = np.array([value(a.effect, f"{base}.actions.{a.id}.effect")
                            for a in actor.actions])
        scales = [np.array([value(m.scale.get(a.id, 1.0), f"{base}.policy.modifiers[{i}].scale."
                                  f"{a.id}") for a in actor.actions])
                  for i, m in enumerate(actor.policy.modifiers)]
        count = None if actor.count is None else int(value(actor.count, f"{base}.count"))
        actors.append(ActorParams(weights, effects, scales, count))
    return Params(actors, value(sc.decay, "tension.decay"))


def _allowed(sc: Scenario, actor) -> np.ndarray:
    return np.array([[a.allowed is None or s in a.allowed for s in sc.ladder.stage_ids]
                     for a in actor.actions])


def _apply_set(sc: Scenario, params: Params, key: str, value: float) -> None:
    """An event's `set`, exactly as `sim.engine.events.parameter_setter` applies it."""
    parts = key.split(".")
    if parts == ["tension", "decay"]:
        params.decay = value
        return
    k = [a.id for a in sc.actors].index(parts[1])
    actor, par = sc.actors[k], params.actors[k]
    rest = parts[2:]
    if rest[0] == "actions":
        par.effects[actor.action_ids.index(rest[1])] = value
        return
    a = actor.action_ids.index(rest[-1])
    allowed = _allowed(sc, actor)[a]
    if rest[1] == "weights":
        own = np.array([rest[-1] in actor.policy.stages.get(s, {})
                        for s in sc.ladder.stage_ids], dtype=bool)
        par.weights[a, ~own & allowed] = value
    elif rest[1] == "stages":
        s = sc.ladder.index(rest[2])
        if allowed[s]:
            par.weights[a, s] = value
    else:
        par.scales[int(rest[2])][a] = value


# -- text ------------------------------------------------------------------------------------

def _p(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def exact_pct(p: float) -> str:
    """An exact probability as a percentage: exactly 0 and 1 as `0%` and `100%`, else with
    four decimals, or as `3.2e-08%` or `1 - 5.00e-08` where those would read 0% or 100%."""
    text = f"{100 * p:.0f}%" if p in (0, 1) else f"{100 * p:.4f}%"
    if text in ("0.0000%", "100.0000%"):
        return f"{100 * p:.3g}%" if p < 0.5 else f"1 - {1 - p:.2e}"
    return text


def exact_table(result: ExactResult) -> str:
    """The default `ladder exact` output: exact P(reach), P(final), absorption, provenance."""
    d = result.to_dict()
    sc = result.scenario
    mix = f", a mixture of {d['components']} chains" if d["components"] > 1 else ""
    lines = [f"{d['scenario']} on ladder {d['ladder']}: exact analysis, horizon {d['horizon']} "
             f"{d['step']}s, {d['states']} states{mix}"]
    width = max(len(s) for s in d["stages"]) + 2
    lines.append(f"{'stage':<{width}}{'P(reach)':>12}  {'P(final)':>12}  "
                 "time to reach: median [q25, q75]")
    for s in d["stages"]:
        t = d["time_to"][s]
        when = "never reached" if t is None else f"{t['median']} [{t['q25']}, {t['q75']}]"
        lines.append(f"{s:<{width}}{exact_pct(d['reach'][s]):>12}  "
                     f"{exact_pct(d['final'][s]):>12}  {when}")
    lines.append(f"absorbed by step {d['horizon']}: {exact_pct(d['absorbed'])}")
    lines.append(_unbounded_line(d, sc))
    lines.append(DISCLAIMER)
    prov = d["provenance"]
    if prov.get("overrides"):
        lines.append("with --set " + ", ".join(prov["overrides"]))
    lines.append(f"provenance: ladder {prov['version']}, scenario sha256 "
                 f"{prov['scenario_sha256'][:12]}, ladder sha256 {prov['ladder_sha256'][:12]}, "
                 f"numpy {prov['numpy']}; {1000 * result.seconds:.0f} ms")
    return "\n".join(lines)


def _eventual(ev: Eventual) -> dict:
    """The `eventual` block of the JSON summary (docs/exact.md)."""
    return {"certain": ev.certain, "p": ev.p, "stages": ev.stages, "never": ev.never,
            "resolved": ev.resolved, "log10": ev.log10, "note": "; ".join(ev.notes) or None}


def _about(ev: dict, key: str) -> str:
    return f"about 10^{ev['log10'][key]:.1f}" if key in ev["log10"] else "not stated"


def _unbounded_line(d: dict, sc: Scenario) -> str:
    ev = d["eventual"]
    if not ev["stages"]:
        return "with no horizon: the ladder has no absorbing stage, so no run ends"
    split = ", ".join(f"{s} {_about(ev, s) if p is None else exact_pct(p)}"
                      for s, p in ev["stages"].items())
    if ev["certain"]:
        steps = d["expected_steps"]
        steps = (_about(ev, "expected_steps") if steps is None
                 else f"{steps:.4f}" if steps < 1e7 else f"{steps:.4g}")
        line = (f"with no horizon: every run is absorbed ({split}); expected steps to "
                f"absorption {steps}")
    else:
        p, never = ev["p"], ev["never"]
        p = (_about(ev, "p") if p is None else f"1 - {never:.2e}"
             if never is not None and 0 < never < 5e-7 else exact_pct(p))
        never = _about(ev, "never") if never is None else exact_pct(never)
        line = (f"with no horizon: absorbed with probability {p} ({split}); some runs ({never}) "
                "are never absorbed, so the expected steps to absorption are infinite")
    return line + (f"\nnot stated as numbers: {ev['note']}" if ev["note"] else "")
