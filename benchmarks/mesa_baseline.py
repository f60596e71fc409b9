"""An idiomatic per-run Mesa 3 model of the v1 seed scenario: a BASELINE, NOT AN ENGINE.

This file exists only so that `bench_engine.py` can compare the ensemble engine with the
way a Mesa user would write the same model: one `mesa.Model` per run, one `mesa.Agent` per
actor holding scalar state, `random.choices` for a policy's choice, the population (migrant
groups) as a count split over its actions by one multinomial draw per step, and a
`mesa.DataCollector` recording the stage and tension after every step. `sim` does not use
it, and nothing should: it implements only what the v1 seed scenario
(scenarios/belarus-poland-2024-tension.yaml) uses and refuses other files (`_v1_spec`).

The numbers (weights, effects, thresholds, events) come from the loaded scenario
(`_v1_spec.load`); the stepping is this file's own scalar Python, following the engine's
semantics of one step (docs/format.md): events; every actor chooses at once from its
stage's weights times the modifiers that hold (conditions read the previous step's actions,
the stage and the tension after the events); tension = decay * tension + sum of effects;
then the ladder moves: the highest trigger whose edge exists and whose guard holds, else a
threshold up (guarded), else down after `dwell` steps in a row at or below `down`; an
absorbing stage ends the run. It agrees with `ladder run` in distribution, not run for run
(different random streams); bench_engine.py checks that.

    python benchmarks/mesa_baseline.py --runs 2000 --seed 1
"""

from __future__ import annotations

import sys

import mesa
from _v1_spec import ActorSpec, EventSpec, Spec, cli, holds, timed


class Actor(mesa.Agent):
    """One actor of one run: scalar state, one action a step."""

    def __init__(self, model: RunModel, spec: ActorSpec):
        super().__init__(model)
        self.spec = spec
        self.n_actions = len(spec.action_ids)
        self.codes = range(self.n_actions)
        r = model.random
        self.effects = [e.scalar(r) for e in spec.effects]
        self.weights = [[w.scalar(r) for w in row] for row in spec.weights]  # [stage][action]
        self.modifiers = [(atoms, [x.scalar(r) for x in scale]) for atoms, scale in spec.modifiers]
        self.choice = -1
        self.last = -1
        self.effect = 0.0

    def current_weights(self) -> list[float]:
        m = self.model
        w = self.weights[m.stage]
        for atoms, scale in self.modifiers:
            if holds(atoms, m.last, m.stage, m.tension):
                w = [a * b for a, b in zip(w, scale, strict=True)]
        return w

    def choose(self) -> None:
        w = self.current_weights()
        if sum(w) > 0:
            self.choice = self.model.random.choices(self.codes, weights=w)[0]
            self.effect = self.effects[self.choice]
        else:
            self.choice, self.effect = -1, 0.0


class Population(Actor):
    """The migrant groups of one run: a count, split over the actions by one multinomial draw
    a step; its `last` is the action most members chose (ties: the one declared first)."""

    def __init__(self, model: RunModel, spec: ActorSpec):
        super().__init__(model, spec)
        assert spec.count is not None
        self.size = int(spec.count.scalar(model.random))

    def choose(self) -> None:
        w = self.current_weights()
        total = sum(w)
        if total > 0:
            members = self.model.rng.multinomial(self.size, [x / total for x in w]).tolist()
            self.choice = members.index(max(members))
            self.effect = sum(k * e for k, e in zip(members, self.effects, strict=True))
        else:
            self.choice, self.effect = -1, 0.0


class RunModel(mesa.Model):
    """One run of the scenario."""

    def __init__(self, spec: Spec, seed: int):
        super().__init__(rng=seed)
        self.spec = spec
        r = self.random
        self.t = 0
        self.stage = spec.start
        self.tension = spec.initial.scalar(r)
        self.decay = spec.decay.scalar(r)
        self.below = 0
        self.peak = spec.start
        self.first = [0 if s <= spec.start else -1 for s in range(len(spec.stage_ids))]
        self.actors = [(Population if a.population else Actor)(self, a) for a in spec.actors]
        self.last = [-1] * len(self.actors)  # what conditions read as <actor>.last
        self.fired = [False] * len(spec.events)
        self.event_values = [(None if e.tension is None else e.tension[1].scalar(r),
                              [v.scalar(r) for *_, v in e.sets]) for e in spec.events]
        self.datacollector = mesa.DataCollector(
            model_reporters={"stage": "stage", "tension": "tension"})

    def _event(self, i: int, e: EventSpec) -> None:
        if e.at is not None:
            if e.at != self.t:
                return
        elif (e.once and self.fired[i]) or not holds(e.when, self.last, self.stage, self.tension):
            return
        self.fired[i] = True
        add, values = self.event_values[i]
        for (a, j, stages, _), value in zip(e.sets, values, strict=True):
            for k in stages:
                self.actors[a].weights[k][j] = value
        if add is not None:
            self.tension = add + (self.tension if e.tension[0] == "add" else 0.0)

    def step(self) -> None:
        spec = self.spec
        self.t += 1
        for i, e in enumerate(spec.events):
            self._event(i, e)
        self.agents.do("choose")
        self.last = [a.choice for a in self.actors]
        self.tension = self.decay * self.tension + sum(a.effect for a in self.actors)
        self._move()
        self.datacollector.collect(self)
        if self.t >= spec.horizon or spec.absorbing[self.stage]:
            self.running = False

    def _guard(self, source: int, target: int) -> bool:
        atoms = self.spec.guards.get((source, target))
        return atoms is None or holds(atoms, self.last, source, self.tension)

    def _move(self) -> None:
        spec, stage = self.spec, self.stage
        target = -1
        for a in self.actors:
            to = a.spec.triggers[a.choice] if a.choice >= 0 else -1
            if to > target and spec.edges[stage][to] and self._guard(stage, to):
                target = to
        if target >= 0:
            self.below = 0
            self._set(target)
            return
        up_to = min(stage + 1, len(spec.up) - 1)
        if self.tension >= spec.up[stage] and self._guard(stage, up_to):
            self.below = 0
            self._set(up_to)
            return
        self.below = self.below + 1 if self.tension <= spec.down[stage] else 0
        if self.below >= spec.dwell[stage] and self._guard(stage, max(stage - 1, 0)):
            self._set(stage - 1)

    def _set(self, new: int) -> None:
        if new == self.stage:
            return
        self.stage, self.below = new, 0
        if new > self.peak:
            for s in range(self.peak + 1, new + 1):
                self.first[s] = self.t
            self.peak = new


def simulate(spec: Spec, runs: int, seed: int) -> dict:
    """`runs` runs, each a fresh RunModel (seeds seed * 10**7 + i): peak and final stage
    counts, replica-steps and decisions."""
    n_st = len(spec.stage_ids)
    peak, final = [0] * n_st, [0] * n_st
    steps = members = 0
    for i in range(runs):
        model = RunModel(spec, seed * 10**7 + i)
        while model.running:
            model.step()
        peak[model.peak] += 1
        final[model.stage] += 1
        steps += model.t
        members += sum(a.size for a in model.actors if a.spec.population) * model.t
        getattr(mesa.Agent, "_ids", {}).pop(model, None)  # Mesa 3.3 keeps every model (#3179)
    return {"runs": runs, "steps": steps, "actor_decisions": steps * spec.actor_count,
            "member_decisions": members, "peak": peak, "final": final}


def main(argv: list[str] | None = None) -> int:
    return cli(name="mesa_baseline", doc=__doc__, default_runs=2000, simulate=timed(simulate),
               argv=argv)


if __name__ == "__main__":
    sys.exit(main())
