"""A numba prototype of the v1 seed scenario: one compiled loop per run. NOT AN ENGINE.

It answers one question of the performance work: would a compiled kernel (numba, as an
optional extra, with the numpy engine as the reference) be worth its cost? `bench_engine.py`
times it beside the ensemble engine in paired runs and reports the ratio, the first-call
compile (JIT) time and, from the interpreter it runs in, the installed size of numba and
llvmlite. `sim` does not use it. numba is not a dependency of the project: run this from a
private environment, e.g.

    python3 -m venv --system-site-packages /tmp/venv-numba
    /tmp/venv-numba/bin/pip install numba
    PYTHONPATH=. /tmp/venv-numba/bin/python benchmarks/numba_prototype.py --runs 100000
    python benchmarks/bench_engine.py --numba-python /tmp/venv-numba/bin/python

It implements only what the v1 seed scenario (scenarios/belarus-poland-2024-tension.yaml)
uses (`_v1_spec` refuses other files), with the engine's semantics of a step (as in
mesa_baseline.py's docstring): the scenario's numbers are packed into arrays and each run is
stepped to its end by one compiled function (`_kernel`), drawing from numba's own generator
(seeded per call), so it agrees with `ladder run` in distribution, not run for run. The
population's multinomial split is drawn as a chain of binomials, as the engine does.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
from _v1_spec import Num, Spec, cli

try:
    import numba
except ImportError:  # the benchmark prints "numba not installed; skipped"
    numba = None


def _num(x: Num) -> tuple[float, float, int]:
    return x.low, math.nan if x.high is None else x.high, int(x.integer)


def pack(spec: Spec) -> tuple:
    """The scenario as the kernel's arrays."""
    n_st, n_act = len(spec.stage_ids), len(spec.actors)
    width = max(len(a.action_ids) for a in spec.actors)
    atoms: list[tuple] = []

    def cond(a) -> tuple[int, int]:
        start = len(atoms)
        atoms.extend(a or ())
        return start, len(a or ())

    g = [(src, dst, *cond(atoms_)) for (src, dst), atoms_ in spec.guards.items()]
    w = np.zeros((n_act, n_st, width, 3))  # (low, high or nan, integer)
    eff = np.zeros((n_act, width, 3))
    trig = np.full((n_act, width), -1, dtype=np.int64)
    n_actions = np.array([len(a.action_ids) for a in spec.actors], dtype=np.int64)
    pop = np.array([a.population for a in spec.actors], dtype=np.bool_)
    count = np.array([_num(a.count) if a.count else (0.0, math.nan, 1) for a in spec.actors])
    mods, mod_scale = [], []
    for i, a in enumerate(spec.actors):
        for k in range(n_st):
            for j, x in enumerate(a.weights[k]):
                w[i, k, j] = _num(x)
        for j, x in enumerate(a.effects):
            eff[i, j] = _num(x)
            trig[i, j] = a.triggers[j]
        for atoms_, scale in a.modifiers:
            mods.append((i, *cond(atoms_)))
            row = np.zeros((width, 3))
            row[:, 0] = 1.0
            row[:, 1] = math.nan
            for j, x in enumerate(scale):
                row[j] = _num(x)
            mod_scale.append(row)
    evs, ev_t, sets = [], [], []
    for e, ev in enumerate(spec.events):
        start, length = cond(ev.when)
        op = 0 if ev.tension is None else (1 if ev.tension[0] == "add" else 2)
        evs.append((-1 if ev.at is None else ev.at, start, length, int(ev.once), op))
        ev_t.append(_num(ev.tension[1]) if ev.tension else (0.0, math.nan, 0))
        for a, j, stages, value in ev.sets:
            for k in stages:
                sets.append((e, a, j, k, *_num(value)))
    atom_arr = np.array([(k, i, op) for k, i, op, _ in atoms] or np.zeros((0, 3)),
                        dtype=np.int64).reshape(-1, 3)
    atom_val = np.array([v for *_, v in atoms], dtype=float)
    return (n_st, spec.start, spec.horizon, np.array(_num(spec.initial)),
            np.array(_num(spec.decay)), np.array(spec.up), np.array(spec.down),
            np.array(spec.dwell, dtype=np.int64), np.array(spec.absorbing, dtype=np.bool_),
            np.array(spec.edges, dtype=np.bool_), atom_arr, atom_val,
            np.array(g, dtype=np.int64).reshape(-1, 4), w, eff, trig, n_actions, pop, count,
            np.array(mods, dtype=np.int64).reshape(-1, 3),
            np.array(mod_scale).reshape(-1, width, 3),
            np.array(evs, dtype=np.int64).reshape(-1, 5), np.array(ev_t).reshape(-1, 3),
            np.array([s[:4] for s in sets], dtype=np.int64).reshape(-1, 4),
            np.array([s[4:] for s in sets]).reshape(-1, 3))


def _draw(x):
    if math.isnan(x[1]):
        return x[0]
    if x[2]:
        return float(np.random.randint(int(x[0]), int(x[1]) + 1))
    return np.random.uniform(x[0], x[1])


def _holds(atom_arr, atom_val, start, length, last, stage, tension):
    for i in range(start, start + length):
        kind, index, op = atom_arr[i, 0], atom_arr[i, 1], atom_arr[i, 2]
        v = atom_val[i]
        x = float(last[index]) if kind == 0 else float(stage) if kind == 1 else tension
        ok = (x == v if op == 0 else x != v if op == 1 else x < v if op == 2 else
              x <= v if op == 3 else x > v if op == 4 else x >= v)
        if not ok:
            return False
    return True


def _guard(guards, atom_arr, atom_val, src, dst, last, tension):
    for g in range(guards.shape[0]):
        if guards[g, 0] == src and guards[g, 1] == dst:
            if not _holds(atom_arr, atom_val, guards[g, 2], guards[g, 3], last, src, tension):
                return False
    return True


def _kernel(runs, seed, n_st, start, horizon, initial, decay_d, up, down, dwell, absorbing,
            edges, atom_arr, atom_val, guards, w_d, eff_d, trig, n_actions, pop, count_d,
            mods, mod_scale_d, evs, ev_t_d, sets, set_d):
    np.random.seed(seed)
    n_act, width = trig.shape
    peak_counts = np.zeros(n_st, dtype=np.int64)
    final_counts = np.zeros(n_st, dtype=np.int64)
    steps_total = 0
    members_total = 0
    weights = np.zeros((n_act, n_st, width))
    eff = np.zeros((n_act, width))
    scale = np.ones((mods.shape[0], width))
    size = np.zeros(n_act, dtype=np.int64)
    ev_val = np.zeros(evs.shape[0])
    set_val = np.zeros(sets.shape[0])
    fired = np.zeros(evs.shape[0], dtype=np.bool_)
    last = np.full(n_act, -1, dtype=np.int64)
    choice = np.full(n_act, -1, dtype=np.int64)
    w = np.zeros(width)
    for _ in range(runs):
        tension = _draw(initial)
        decay = _draw(decay_d)
        for a in range(n_act):
            for k in range(n_st):
                for j in range(n_actions[a]):
                    weights[a, k, j] = _draw(w_d[a, k, j])
            for j in range(n_actions[a]):
                eff[a, j] = _draw(eff_d[a, j])
            if pop[a]:
                size[a] = int(_draw(count_d[a]))
        for m in range(mods.shape[0]):
            for j in range(n_actions[mods[m, 0]]):
                scale[m, j] = _draw(mod_scale_d[m, j])
        for e in range(evs.shape[0]):
            ev_val[e] = _draw(ev_t_d[e])
            fired[e] = False
        for k in range(sets.shape[0]):
            set_val[k] = _draw(set_d[k])
        last[:] = -1
        stage, peak, below, t = start, start, 0, 0
        while t < horizon:
            t += 1
            for e in range(evs.shape[0]):  # events
                if evs[e, 0] >= 0:
                    due = evs[e, 0] == t
                else:
                    due = (not (evs[e, 3] and fired[e])) and _holds(
                        atom_arr, atom_val, evs[e, 1], evs[e, 2], last, stage, tension)
                if not due:
                    continue
                fired[e] = True
                for k in range(sets.shape[0]):
                    if sets[k, 0] == e:
                        weights[sets[k, 1], sets[k, 3], sets[k, 2]] = set_val[k]
                if evs[e, 4] == 1:
                    tension += ev_val[e]
                elif evs[e, 4] == 2:
                    tension = ev_val[e]
            effect = 0.0
            for a in range(n_act):  # simultaneous choices
                k_a = n_actions[a]
                for j in range(k_a):
                    w[j] = weights[a, stage, j]
                for m in range(mods.shape[0]):
                    if mods[m, 0] == a and _holds(atom_arr, atom_val, mods[m, 1], mods[m, 2],
                                                  last, stage, tension):
                        for j in range(k_a):
                            w[j] *= scale[m, j]
                total = 0.0
                for j in range(k_a):
                    total += w[j]
                if total <= 0.0:
                    choice[a] = -1
                    continue
                if pop[a]:  # members: a chain of binomials (a multinomial)
                    left, rest, best, best_n = size[a], total, 0, -1
                    members_total += size[a]
                    for j in range(k_a):
                        if j == k_a - 1:
                            c = left
                        else:
                            p = min(max(w[j] / rest, 0.0), 1.0) if rest > 0 else 0.0
                            c = np.random.binomial(left, p) if left > 0 else 0
                        left -= c
                        rest -= w[j]
                        effect += c * eff[a, j]
                        if c > best_n:
                            best, best_n = j, c
                    choice[a] = best
                else:
                    u = np.random.random() * total
                    below_w, c = 0.0, 0
                    for j in range(k_a - 1):
                        below_w += w[j]
                        if u >= below_w:
                            c += 1
                    choice[a] = c
                    effect += eff[a, c]
            for a in range(n_act):
                last[a] = choice[a]
            tension = decay * tension + effect
            target = -1  # the ladder: triggers, then thresholds
            for a in range(n_act):
                if choice[a] >= 0 and not pop[a]:
                    to = trig[a, choice[a]]
                    if to > target and edges[stage, to] and _guard(
                            guards, atom_arr, atom_val, stage, to, last, tension):
                        target = to
            new = stage
            if target >= 0:
                new, below = target, 0
            else:
                up_to = min(stage + 1, n_st - 1)
                if tension >= up[stage] and _guard(guards, atom_arr, atom_val, stage, up_to,
                                                   last, tension):
                    new, below = up_to, 0
                else:
                    below = below + 1 if tension <= down[stage] else 0
                    if below >= dwell[stage] and _guard(guards, atom_arr, atom_val, stage,
                                                        max(stage - 1, 0), last, tension):
                        new = stage - 1
            if new != stage:
                stage, below = new, 0
                peak = max(peak, stage)
            if absorbing[stage]:
                break
        steps_total += t
        peak_counts[peak] += 1
        final_counts[stage] += 1
    return peak_counts, final_counts, steps_total, members_total


if numba is not None:
    _draw = numba.njit(cache=False)(_draw)
    _holds = numba.njit(cache=False)(_holds)
    _guard = numba.njit(cache=False)(_guard)
    _kernel = numba.njit(cache=False)(_kernel)


def simulate(spec: Spec, runs: int, seed: int, packed: tuple | None = None) -> dict:
    packed = pack(spec) if packed is None else packed
    peak, final, steps, members = _kernel(runs, seed, *packed)
    return {"runs": runs, "steps": int(steps), "actor_decisions": int(steps) * spec.actor_count,
            "member_decisions": int(members), "peak": peak.tolist(), "final": final.tolist()}


def install_size_mb() -> float | None:
    """Installed size of numba and llvmlite (their package directories), in MB."""
    if numba is None:
        return None
    from pathlib import Path

    import llvmlite

    total = 0
    for mod in (numba, llvmlite):
        root = Path(mod.__file__).parent
        total += sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return total / 1e6


def main(argv: list[str] | None = None) -> int:
    if numba is None:
        print("numba not installed; skipped", file=sys.stderr)
        return 2
    return cli(name="numba_prototype", doc=__doc__, default_runs=100_000, simulate=compiled,
               argv=argv)


def compiled(spec: Spec, runs: int, seed: int) -> dict:
    """`simulate` after a first one-run call that compiles it (its time: `compile_seconds`),
    with numba's version and install size."""
    packed = pack(spec)
    started = time.perf_counter()
    simulate(spec, 1, seed, packed)
    compile_s = time.perf_counter() - started
    started = time.perf_counter()
    out = simulate(spec, runs, seed, packed)
    out["seconds"] = time.perf_counter() - started
    out.update(compile_seconds=compile_s, numba=numba.__version__,
               install_mb=install_size_mb())
    return out


if __name__ == "__main__":
    sys.exit(main())
