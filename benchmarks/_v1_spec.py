"""The v1 seed scenario read into plain numbers, for the benchmark's baselines only.

`mesa_baseline.py`, `numpy_reference.py` and `numba_prototype.py` are baselines that step the
v1 seed scenario (scenarios/belarus-poland-2024-tension.yaml) with their own code; none of
them is an engine or is used by `sim`. They take the scenario's numbers (weights, effects,
thresholds, events) from `sim.load_scenario`, read here into plain Python lists, so that the
three step exactly the scenario the engine steps, without hard-coded copies of its numbers.

Only what the v1 seed uses is supported: one ladder read on `tension`; actors with weights,
stage weights, modifiers, triggers and `allowed`; one population; numbers or `uniform`
distributions drawn per run; events at a step or on a condition (`once`), adding to tension
or setting policy weights; conditions that are an `and` of comparisons of `<actor>.last`,
`stage` or `tension` with a constant. Anything else (coupled ladders, variables, flags,
perception, signals, memory, hazards, drawn thresholds, joint decisions, ...) is refused with
`Unsupported`, naming what the file uses.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

V1_SEED = "scenarios/belarus-poland-2024-tension.yaml"
ROOT = Path(__file__).resolve().parent.parent

OPS = ("==", "!=", "<", "<=", ">", ">=")
KIND_LAST, KIND_STAGE, KIND_TENSION = 0, 1, 2  # what an atom of a condition reads


class Unsupported(Exception):
    """The scenario uses something the benchmark baselines do not implement."""


@dataclass(frozen=True)
class Num:
    """A number, or a uniform distribution drawn once per run (`integer`: on whole numbers,
    both ends included)."""

    low: float
    high: float | None = None  # None: a constant `low`
    integer: bool = False

    @property
    def constant(self) -> bool:
        return self.high is None

    def scalar(self, random) -> float:
        """One draw from a `random.Random`."""
        if self.high is None:
            return self.low
        if self.integer:
            return random.randint(int(self.low), int(self.high))
        return random.uniform(self.low, self.high)

    def array(self, rng, n: int):
        """n draws from a numpy Generator."""
        import numpy as np

        if self.high is None:
            return np.full(n, self.low, dtype=np.int64 if self.integer else float)
        if self.integer:
            return rng.integers(int(self.low), int(self.high), size=n, endpoint=True)
        return rng.uniform(self.low, self.high, size=n)


# A condition: a tuple of atoms, all of which must hold (an `and`). An atom is
# (kind, index, op, value): kind KIND_LAST reads actor `index`'s previous action code (-1:
# none), KIND_STAGE the stage index, KIND_TENSION the tension; op indexes OPS.
Atom = tuple[int, int, int, float]


@dataclass
class ActorSpec:
    id: str
    population: bool
    count: Num | None
    action_ids: list[str]
    effects: list[Num]
    triggers: list[int]  # stage index each action triggers, or -1
    weights: list[list[Num]]  # [stage][action], zero where the action is not allowed
    modifiers: list[tuple[tuple[Atom, ...], list[Num]]]  # (condition, scale per action)


@dataclass
class EventSpec:
    name: str
    at: int | None
    when: tuple[Atom, ...] | None
    once: bool
    tension: tuple[str, Num] | None  # ("add" | "set", value)
    sets: list[tuple[int, int, tuple[int, ...], Num]]  # (actor, action, stages, value)


@dataclass
class Spec:
    path: str
    stage_ids: list[str]
    start: int
    horizon: int
    initial: Num
    decay: Num
    up: list[float]  # inf where none
    down: list[float]  # -inf where none
    dwell: list[int]
    absorbing: list[bool]
    edges: list[list[bool]]  # [from][to]: a move is possible (neighbours and jumps)
    guards: dict[tuple[int, int], tuple[Atom, ...]]
    actors: list[ActorSpec]
    events: list[EventSpec]
    actor_count: int = field(init=False)  # actors that are not populations

    def __post_init__(self) -> None:
        self.actor_count = sum(not a.population for a in self.actors)


def _num(value, where: str, integer: bool = False) -> Num:
    from sim.format.distributions import Dist

    if isinstance(value, Dist):
        if value.kind != "uniform" or value.clip is not None:
            raise Unsupported(f"{where}: only numbers and uniform distributions without clip "
                              f"are supported (got {value.kind})")
        return Num(float(value.args[0]), float(value.args[1]), bool(value.integer or integer))
    return Num(float(value), None, integer)


def _atoms(cond, actor_ids: list[str], where: str) -> tuple[Atom, ...]:
    from sim.format.expr_syntax import BoolOp, Compare, Const, Last, Var

    def walk(node) -> list[Atom]:
        if isinstance(node, BoolOp) and node.op == "and":
            return [a for operand in node.operands for a in walk(operand)]
        if isinstance(node, Compare) and isinstance(node.right, Const) and node.op in OPS:
            left = node.left
            if isinstance(left, Last) and left.actor in actor_ids:
                return [(KIND_LAST, actor_ids.index(left.actor), OPS.index(node.op),
                         float(node.right.value))]
            if isinstance(left, Var) and left.name in ("stage", "tension"):
                kind = KIND_STAGE if left.name == "stage" else KIND_TENSION
                return [(kind, 0, OPS.index(node.op), float(node.right.value))]
        raise Unsupported(f"{where}: condition {cond.text!r} is not an 'and' of comparisons "
                          "of <actor>.last, stage or tension with a constant")

    return tuple(walk(cond.tree))


def holds(atoms: tuple[Atom, ...], last: list[int], stage: int, tension: float) -> bool:
    """Scalar evaluation of a condition (for the per-run baseline)."""
    for kind, index, op, value in atoms:
        x = last[index] if kind == KIND_LAST else stage if kind == KIND_STAGE else tension
        if not (x == value if op == 0 else x != value if op == 1 else x < value if op == 2
                else x <= value if op == 3 else x > value if op == 4 else x >= value):
            return False
    return True


def load(path: str) -> Spec:
    """Read a scenario file into a `Spec`.

    Raises:
        Unsupported: the file uses something the baselines do not implement.
    """
    import sim

    if not Path(path).exists() and (ROOT / path).exists():
        path = str(ROOT / path)
    s = sim.load_scenario(path)
    for name in ("coupled", "variables", "flags", "hazards"):
        if getattr(s, name):
            raise Unsupported(f"{path}: uses `{name}`; the benchmark baselines cover only the "
                              f"v1 seed scenario ({V1_SEED})")
    if s.observe is not None or s.posterior is not None or s.reads != "tension":
        raise Unsupported(f"{path}: uses observe, a posterior or `reads`; the benchmark "
                          f"baselines cover only the v1 seed scenario ({V1_SEED})")
    ladder = s.ladder
    ids = list(ladder.stage_ids)
    n_st = len(ids)
    for st in ladder.stages:
        if st.up_drawn is not None or st.down_drawn is not None:
            raise Unsupported(f"{path}: ladder stage {st.id} has drawn thresholds")
    edges = [[False] * n_st for _ in range(n_st)]
    for i, st in enumerate(ladder.stages):
        for target in ladder.targets(st.id):
            edges[i][ids.index(target)] = True
    actor_ids = [a.id for a in s.actors]
    guards = {(ids.index(e.source), ids.index(e.target)): _atoms(e.guard, [], f"edge {e.source}"
                                                                   f" -> {e.target}")
              for e in ladder.edges if e.guard is not None}
    actors = []
    owns = {}
    for a in s.actors:
        if a.perceives:
            raise Unsupported(f"{path}: actor {a.id} perceives; not supported")
        for act in a.actions:
            if (act.effects or act.sets or act.clears or act.signal or act.requires
                    or act.trigger_on):
                raise Unsupported(f"{path}: action {a.id}.{act.id} uses effects on variables, "
                                  "flags, signals, joint decisions or coupled triggers")
        where = f"actors.{a.id}"
        allowed = [[act.allowed is None or sid in act.allowed for sid in ids]
                   for act in a.actions]
        default = [_num(a.policy.weights.get(act.id, 0.0), f"{where}.policy.weights")
                   for act in a.actions]
        weights = [[default[j] if allowed[j][k] else Num(0.0) for j in range(len(a.actions))]
                   for k in range(n_st)]
        for sid, values in a.policy.stages.items():
            k = ids.index(sid)
            for aid, value in values.items():
                j = a.action_ids.index(aid)
                weights[k][j] = (_num(value, f"{where}.policy.stages.{sid}") if allowed[j][k]
                                 else Num(0.0))
        owns[a.id] = (allowed, [[act.id in a.policy.stages.get(sid, {}) for sid in ids]
                                for act in a.actions])
        modifiers = [(_atoms(m.when, actor_ids, f"{where}.policy.modifiers"),
                      [_num(m.scale.get(act.id, 1.0), f"{where}.policy.modifiers")
                       for act in a.actions]) for m in a.policy.modifiers]
        actors.append(ActorSpec(
            a.id, a.is_population,
            _num(a.count, f"{where}.count", integer=True) if a.is_population else None,
            list(a.action_ids),
            [_num(act.effect, f"{where}.actions.{act.id}") for act in a.actions],
            [ids.index(act.trigger) if act.trigger else -1 for act in a.actions],
            weights, modifiers))
    events = []
    for e in s.events:
        if e.stage or e.flags or e.variables or e.stage_on:
            raise Unsupported(f"{path}: event {e.name!r} moves a stage or sets variables/flags")
        sets = []
        for p, value in e.set.items():
            parts = p.split(".")
            if len(parts) < 5 or parts[0] != "actors" or parts[2] != "policy" or \
                    parts[3] not in ("weights", "stages"):
                raise Unsupported(f"{path}: event {e.name!r} sets {p}; only policy weights "
                                  "are supported")
            i = actor_ids.index(parts[1])
            j = s.actors[i].action_ids.index(parts[-1])
            allowed, own = owns[parts[1]]
            if parts[3] == "weights":  # the default: every allowed stage without its own weight
                stages = tuple(k for k in range(n_st) if allowed[j][k] and not own[j][k])
            else:
                k = ids.index(parts[4])
                stages = (k,) if allowed[j][k] else ()
            sets.append((i, j, stages, _num(value, f"event {e.name!r}")))
        when = None if e.when is None else _atoms(e.when, actor_ids, f"event {e.name!r}")
        tension = None if e.tension is None else (e.tension[0], _num(e.tension[1], e.name))
        events.append(EventSpec(e.name, e.at, when, bool(e.once), tension, sets))
    return Spec(path, ids, ids.index(s.start), s.clock.horizon, _num(s.initial_tension, "tension"),
                _num(s.decay, "decay"),
                [math.inf if st.up is None else float(st.up) for st in ladder.stages],
                [-math.inf if st.down is None else float(st.down) for st in ladder.stages],
                [int(st.dwell) for st in ladder.stages],
                [bool(st.absorbing) for st in ladder.stages],
                edges, guards, actors, events)


def cli(name: str, doc: str, default_runs: int, simulate: Callable[[Spec, int, int], dict],
         argv: list[str] | None = None) -> int:
    """The command line the baselines share: `[SCENARIO] [--runs N] [--seed S]`; prints
    `simulate(spec, runs, seed)` as JSON with the stage ids (exit 2 for a file the baselines
    do not implement, saying why under `name`)."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", default=V1_SEED)
    ap.add_argument("--runs", type=int, default=default_runs)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        spec = load(args.scenario)
    except Unsupported as e:
        print(f"{name}: {e}", file=sys.stderr)
        return 2
    out = simulate(spec, args.runs, args.seed)
    out["stages"] = spec.stage_ids
    print(json.dumps(out))
    return 0


def timed(simulate: Callable[[Spec, int, int], dict]) -> Callable[[Spec, int, int], dict]:
    """`simulate` with its wall time added to its result as `seconds`."""
    def run(spec: Spec, runs: int, seed: int) -> dict:
        started = time.perf_counter()
        out = simulate(spec, runs, seed)
        out["seconds"] = time.perf_counter() - started
        return out
    return run
