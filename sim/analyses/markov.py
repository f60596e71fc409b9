"""Is a scenario a Markov chain in its stage? Decide, and say precisely why not.

`sim.analyses.exact` computes a scenario's outcome distribution exactly when the stage process is a
finite Markov chain: in the stage, plus the count of consecutive steps at or below a
stage's `down` (dwell), plus the step number where scheduled events or conditions on `step`
make the chain change over time. This module checks the scenario for every feature that
breaks that, and returns one `Problem` per feature, naming the file and field, so a user
can see all of them at once. It also lists the per-run random draws that are discrete
(`choice`, integer `uniform`): the exact analysis handles those as a mixture of chains.

What makes a scenario not analysable (see docs/exact.md for the fixes):

- tension carried between steps (`decay` other than 0) while something reads tension;
- modifiers whose condition reads `<actor>.last` or `tension` (the previous step);
- conditional events (`when:`);
- numbers drawn per run from a continuous distribution;
- conditions comparing `step` with `tension`;
- the dynamics: coupled ladders, a ladder reading a variable, variables and flags that a
  condition reads, memory functions, perception with bias, noise or lag, joint decisions,
  hazards, and events that change variables, flags or a coupled ladder.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import Problem
from ..format.distributions import Dist, Number, describe
from ..format.expr import Condition
from ..format.expr_eval import walk
from ..format.expr_syntax import Compare, Const, Node, Var
from ..format.scenario import Scenario
from .locate import _Locator

MAX_COMPONENTS = 500  # combinations of discrete per-run draws (mixture components)
MAX_STEPS = 100_000  # the last step at which the chain may change (events, step conditions)
STEP_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
MODIFIER_OK = "exact analysis allows modifiers on stage and step only"


@dataclass(frozen=True, slots=True)
class Draw:
    """A number drawn once per run from a discrete distribution: a mixture variable."""

    path: str
    points: tuple[tuple[float, float], ...]  # (value, probability)


@dataclass(frozen=True, slots=True)
class Plan:
    """What the exact analysis needs to know before building the chain.

    Attributes:
        problems: every reason the scenario is not analysable (empty when it is).
        tension_read: whether anything reads tension (thresholds, guards). If not, effects,
            counts and decay do not matter.
        draws: the discrete per-run draws (the chain is a mixture over their combinations).
        step_tests: every comparison of `step` with a number, as (operator, number): the
            chain at step t depends on t only through these.
    """

    problems: tuple[Problem, ...]
    tension_read: bool
    draws: tuple[Draw, ...]
    step_tests: tuple[tuple[str, float], ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def plan(scenario: Scenario) -> Plan:
    """Check whether `scenario` is exactly analysable; collect what the analysis needs."""
    where = _Locator(scenario)
    problems: list[Problem] = []
    tension_read = _tension_readers(scenario)
    problems += _decay_problems(scenario, tension_read, where)
    problems += _lowest_down(scenario, where)
    problems += _drawn_thresholds(scenario, where)
    problems += _condition_problems(scenario, where)
    problems += _dynamics_problems(scenario, where)
    draws = []
    for path, value, role in numbers(scenario):
        if not isinstance(value, Dist) or not _matters(role, bool(tension_read)):
            continue  # (decay is checked above: it must be 0 wherever it matters)
        points = draw_points(value)
        if points is None:
            problems.append(where.problem(path, f"uncertain number ({value.kind}) drawn from "
                                          "a continuous range; exact analysis needs fixed "
                                          "numbers (or a discrete choice)"))
        elif len(points) > 1:
            draws.append(Draw(path, points))
    if scenario.coupled:
        problems += [where.problem(d.path, "an uncertain number in a scenario with coupled "
                                   "ladders: the product chain needs fixed numbers")
                     for d in draws]
    step_tests = _step_tests(scenario)
    changes = [e.at for e in scenario.events if e.at is not None] + [c for _, c in step_tests]
    if changes and max(changes) > MAX_STEPS:
        problems.append(Problem(scenario.path, None, "", f"the chain changes at step "
                                f"{max(changes):g} (a scheduled event or a condition on step); "
                                f"exact analysis follows at most {MAX_STEPS:,} steps"))
    combos = math.prod(len(d.points) for d in draws)
    if combos > MAX_COMPONENTS:
        names = ", ".join(d.path for d in draws)
        problems.append(Problem(scenario.path, None, "", f"the discrete uncertain numbers "
                                f"({names}) make {combos:,} combinations, more than the "
                                f"{MAX_COMPONENTS} exact analysis handles; fix some of them"))
    problems.sort(key=lambda p: (p.file != scenario.path, p.line or 0))
    return Plan(tuple(problems), bool(tension_read), tuple(draws), tuple(step_tests))


def numbers(scenario: Scenario) -> Iterator[tuple[str, Number, str]]:
    """Every number of a scenario as (field path, value, role), in file order."""
    yield "tension.decay", scenario.decay, "decay"
    for actor in scenario.actors:
        base = f"actors.{actor.id}"
        if actor.count is not None:
            yield f"{base}.count", actor.count, "count"
        for action in actor.actions:
            yield f"{base}.actions.{action.id}.effect", action.effect, "effect"
        for a, w in actor.policy.weights.items():
            yield f"{base}.policy.weights.{a}", w, "weight"
        for s, ws in actor.policy.stages.items():
            for a, w in ws.items():
                yield f"{base}.policy.stages.{s}.{a}", w, "weight"
        for i, m in enumerate(actor.policy.modifiers):
            for a, w in m.scale.items():
                yield f"{base}.policy.modifiers[{i}].scale.{a}", w, "scale"
    for i, e in enumerate(scenario.events):
        for key, value in e.set.items():
            role = "decay" if key == "tension.decay" else (
                "effect" if key.endswith(".effect") else "weight")
            yield f"events[{i}].set.{key}", value, role


def draw_points(value: Number) -> tuple[tuple[float, float], ...] | None:
    """The values a per-run draw can take, with probabilities; None if continuous."""
    if not isinstance(value, Dist):
        return ((float(value), 1.0),)
    a = value.args
    if value.kind == "choice":
        raw = list(zip(a, value.p or [1 / len(a)] * len(a), strict=True))
    elif value.kind == "uniform" and value.integer:
        values = range(int(a[0]), int(a[1]) + 1)
        raw = [(float(v), 1 / len(values)) for v in values]
    elif (value.kind == "uniform" and a[0] == a[1]) or (value.kind == "normal" and a[1] == 0):
        raw = [(a[0], 1.0)]  # uniform [a, a] or normal with sd 0: always a
    else:
        return None
    merged: dict[float, float] = {}
    for v, p in raw:
        if value.clip is not None:
            v = min(max(v, value.clip[0]), value.clip[1])
        if value.integer:
            v = float(round(v))
        if p > 0:
            merged[v] = merged.get(v, 0.0) + p
    return tuple(merged.items())


def _matters(role: str, tension_read: bool) -> bool:
    return role in ("weight", "scale") or (tension_read and role != "decay")


def _tension_readers(scenario: Scenario) -> list[str]:
    ladder = scenario.ladder
    readers = [f"stages.{s.id}.{k}" for s in ladder.stages if not s.absorbing
               for k in ("up", "down") if getattr(s, k) is not None]
    readers += [f"guard {e.source} -> {e.target}" for e in ladder.edges
                if e.guard is not None and "tension" in e.guard.depends_on]
    return readers


def _decay_problems(scenario: Scenario, readers: list[str], where: _Locator) -> list[Problem]:
    if not readers:
        return []
    why = ("carries tension from one step to the next; exact analysis needs decay 0 (tension "
           "is read by " + (", ".join(readers[:3]) + (", ..." if len(readers) > 3 else "")) + ")")
    out = []
    points = draw_points(scenario.decay)
    if points is None:
        assert isinstance(scenario.decay, Dist)  # draw_points gives None only for a Dist
        out.append(where.problem("tension.decay", f"uncertain number ({scenario.decay.kind}) "
                                 + why))
    elif any(v != 0 for v, _ in points):
        default = " (the default)" if scenario.decay == 1 else ""
        out.append(where.problem("tension.decay", f"{describe(scenario.decay)}{default} {why}"))
    for i, e in enumerate(scenario.events):
        value = e.set.get("tension.decay")
        if value is not None and ((drawn := draw_points(value)) is None
                                  or any(v != 0 for v, _ in drawn)):
            out.append(where.problem(f"events[{i}].set.tension.decay",
                                     f"{describe(value)} {why}"))
    return out


def _lowest_down(scenario: Scenario, where: _Locator) -> list[Problem]:
    low = scenario.ladder.stages[0]
    if low.down is None:
        return []
    return [where.problem(f"stages.{low.id}.down", "the lowest stage has no rung below it to "
                          "move down to (the engine would move the run off the ladder); "
                          "remove its down threshold", ladder=True)]


def _drawn_thresholds(scenario: Scenario, where: _Locator) -> list[Problem]:
    why = "a threshold drawn per run; exact analysis needs fixed numbers"
    out = [where.problem(f"stages.{s.id}.{key}", why, ladder=True)
           for s in scenario.ladder.stages for key in ("up", "down")
           if getattr(s, f"{key}_drawn") is not None]
    return out + [where.problem(f"ladders.{c.key}.ladder", f"ladder {c.ladder.id} has {why}")
                  for c in scenario.coupled
                  if any(s.up_drawn or s.down_drawn for s in c.ladder.stages)]


def _condition_problems(scenario: Scenario, where: _Locator) -> list[Problem]:
    out = []
    for actor in scenario.actors:
        for i, m in enumerate(actor.policy.modifiers):
            path = f"actors.{actor.id}.policy.modifiers[{i}].when"
            deps = m.when.depends_on
            for dep in sorted(d for d in deps if d.startswith("last:")):
                out.append(where.problem(path, f"depends on history ({dep[5:]}.last, the "
                                         f"action chosen in the previous step); {MODIFIER_OK}"))
            if "tension" in deps:
                out.append(where.problem(path, "depends on tension, which carries the previous "
                                         f"step's effects (history); {MODIFIER_OK}"))
            out += _step_vs_tension(m.when, path, where)
    for i, e in enumerate(scenario.ladder.edges):
        if e.guard is None:
            continue
        path = f"edges[{i}].guard"
        for dep in sorted(d for d in e.guard.depends_on if d.startswith("last:")):
            out.append(where.problem(path, f"reads {dep[5:]}.last, which a guard sees as this "
                                     "step's choice; exact analysis does not support it",
                                     ladder=True))
        out += _step_vs_tension(e.guard, path, where, ladder=True)
    for i, event in enumerate(scenario.events):
        if event.when is not None:
            out.append(where.problem(f"events[{i}].when", "conditional event: whether it fires "
                                     "depends on the run's history; exact analysis supports "
                                     "scheduled events (at: STEP) only"))
    return out


def _dynamics_problems(scenario: Scenario, where: _Locator) -> list[Problem]:
    """The constructs of docs/format.md from "State variables" on that the chain does not
    cover: one Problem per use, at its field."""
    out = []
    not_yet = "; exact analysis reads tension only"
    for c in scenario.coupled:  # a product chain (sim.analyses.product) when they read tension
        if c.reads != "tension":
            out.append(where.problem(f"ladders.{c.key}.reads", f"coupled ladder '{c.key}' "
                                     f"reads variable {c.reads}{not_yet}"))
    for i, _ in enumerate(scenario.events if scenario.coupled else ()):
        out.append(where.problem(f"events[{i}]", "an event in a scenario with coupled "
                                 "ladders: the product chain takes no events yet"))
    if scenario.reads != "tension":
        out.append(where.problem("reads", f"the ladder reads variable {scenario.reads}{not_yet}"))
    read = {d for cond in _all_conditions(scenario) for d in cond.depends_on}
    for v in scenario.variables:
        if f"value:{v.name}" in read:
            what = "learns from what its holder observes" if v.learn else "carries its effects"
            out.append(where.problem(f"variables.{v.name}", f"variable {v.name} is read by a "
                                     f"condition and {what} (history){not_yet}"))
    for f in scenario.flags:
        if f"flag:{f.name}" in read:
            out.append(where.problem(f"flags.{f.name}", f"flag {f.name} is read by a condition: "
                                     "a standing state set in earlier steps (history)"))
    for actor in scenario.actors:
        for i, m in enumerate(actor.policy.modifiers):
            if any(True for _ in m.when.memories()):
                out.append(where.problem(f"actors.{actor.id}.policy.modifiers[{i}].when",
                                         "count/since/ever read earlier steps (history); "
                                         f"{MODIFIER_OK}"))
        for p in actor.perceives:
            if p.lag or p.noise != 0.0 or p.bias != 0.0:
                out.append(where.problem(f"actors.{actor.id}.perceives.{p.name}",
                                         f"{actor.id} perceives {p.name} with bias, noise or "
                                         "lag; exact analysis needs actors to see the truth"))
        for a in actor.actions:
            if a.requires is not None:
                out.append(where.problem(f"actors.{actor.id}.actions.{a.id}.requires",
                                         "joint decision: exact analysis does not model "
                                         "dual-key triggers yet"))
    for i, _ in enumerate(scenario.hazards):
        out.append(where.problem(f"hazards[{i}]", "hazard: exact analysis does not model chance "
                                 "transitions yet"))
    for i, event in enumerate(scenario.events):
        if event.variables or event.flags or event.stage_on:
            out.append(where.problem(f"events[{i}]", "an event that changes variables, flags or "
                                     "a coupled ladder: exact analysis does not model it"))
    return out


def _all_conditions(scenario: Scenario) -> Iterator[Condition]:
    """Every condition of the scenario, its ladder and its dynamics."""
    yield from conditions(scenario)
    for e in scenario.events:
        if e.when is not None:
            yield e.when
    for v in scenario.variables:
        if v.learn is not None:
            yield from v.learn.toward
    for h in scenario.hazards:
        if h.when is not None:
            yield h.when


def _step_vs_tension(cond: Condition, path: str, where: _Locator,
                     ladder: bool = False) -> list[Problem]:
    for node in _compares(cond.tree):
        names = {n.name for n in (node.left, node.right) if isinstance(n, Var)}
        if names == {"step", "tension"}:
            return [where.problem(path, "compares step with tension; exact analysis needs step "
                                  "compared with numbers", ladder=ladder)]
    return []


def _compares(node: Node) -> Iterator[Compare]:
    """Every comparison in a tree, those inside another comparison too (`(step >= 5) ==
    true` tests step)."""
    return (n for n in walk(node) if isinstance(n, Compare))


def conditions(scenario: Scenario) -> Iterator[Condition]:
    """Every modifier condition and guard of a scenario."""
    for actor in scenario.actors:
        for m in actor.policy.modifiers:
            yield m.when
    for e in scenario.ladder.edges:
        if e.guard is not None:
            yield e.guard


def _step_tests(scenario: Scenario) -> list[tuple[str, float]]:
    tests = set()
    for cond in conditions(scenario):
        for node in _compares(cond.tree):
            sides = (node.left, node.right)
            if Var("step") in sides and any(isinstance(s, Const) for s in sides):
                flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
                op = node.op if node.left == Var("step") else flip.get(node.op, node.op)
                const = node.right if node.left == Var("step") else node.left
                assert isinstance(const, Const)  # one side is step, so the other is the Const
                tests.add((op, float(const.value)))
    return sorted(tests)
