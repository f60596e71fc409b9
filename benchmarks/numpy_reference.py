"""A bare-numpy version of the v1 seed scenario: a REFERENCE for the benchmark, NOT AN ENGINE.

`bench_engine.py` times it beside the ensemble engine to say how far the engine is from what
plain numpy does for the same scenario. It is written straightforwardly, vectorised over runs
(every state a numpy array with one entry per run; no Mesa, no code of `sim.engine`), and
implements only what the v1 seed scenario (scenarios/belarus-poland-2024-tension.yaml) uses
(`_v1_spec` refuses other files). `sim` does not use it. The numbers come from the loaded
scenario (`_v1_spec.load`); the semantics of a step are the engine's (docs/format.md), as
in mesa_baseline.py's docstring. It agrees with `ladder run` in distribution, not run for run.

    python benchmarks/numpy_reference.py --runs 100000 --seed 1
"""

from __future__ import annotations

import sys

import numpy as np
from _v1_spec import (
    KIND_LAST,
    KIND_STAGE,
    OPS,
    Spec,
    cli,
    timed,
)

_OPS = (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)
assert len(_OPS) == len(OPS)


def _holds(atoms, last, stage, tension) -> np.ndarray:
    out = np.ones(len(stage), dtype=bool)
    for kind, index, op, value in atoms:
        x = last[index] if kind == KIND_LAST else stage if kind == KIND_STAGE else tension
        out &= _OPS[op](x, value)
    return out


def simulate(spec: Spec, runs: int, seed: int) -> dict:
    """`runs` runs at once: peak and final stage counts, replica-steps and decisions."""
    rng = np.random.default_rng(seed)
    n, n_st = runs, len(spec.stage_ids)
    rows = np.arange(n)
    tension = spec.initial.array(rng, n).astype(float)
    decay = spec.decay.array(rng, n).astype(float)
    stage = np.full(n, spec.start)
    peak = stage.copy()
    below = np.zeros(n, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    steps = np.zeros(n, dtype=np.int64)
    up, down = np.array(spec.up), np.array(spec.down)
    dwell, absorbing = np.array(spec.dwell), np.array(spec.absorbing)
    edges = np.array(spec.edges)
    actors = []
    for a in spec.actors:
        # weights (runs, stages, actions), effects and scales (runs, actions)
        w = np.stack([np.stack([x.array(rng, n) for x in row], axis=1) for row in a.weights],
                     axis=1).astype(float)
        eff = np.stack([x.array(rng, n) for x in a.effects], axis=1).astype(float)
        mods = [(atoms, np.stack([x.array(rng, n) for x in scale], axis=1).astype(float))
                for atoms, scale in a.modifiers]
        size = a.count.array(rng, n) if a.population else None
        actors.append((a, w, eff, mods, size, np.array(a.triggers + [-1])))
    fired = [np.zeros(n, dtype=bool) for _ in spec.events]
    event_values = [(None if e.tension is None else e.tension[1].array(rng, n),
                     [v.array(rng, n) for *_, v in e.sets]) for e in spec.events]
    last = [np.full(n, -1) for _ in actors]
    members_total = 0
    for t in range(1, spec.horizon + 1):
        for i, e in enumerate(spec.events):
            if e.at is not None:
                due = active.copy() if e.at == t else np.zeros(n, dtype=bool)
            else:
                due = active & _holds(e.when, last, stage, tension)
                if e.once:
                    due &= ~fired[i]
            if not due.any():
                continue
            fired[i] |= due
            add, values = event_values[i]
            for (a, j, stages, _), v in zip(e.sets, values, strict=True):
                for k in stages:
                    actors[a][1][due, k, j] = v[due]
            if add is not None:
                tension = np.where(due, add + (tension if e.tension[0] == "add" else 0.0),
                                   tension)
        choices, effect = [], np.zeros(n)
        for _a, w_all, eff, mods, size, _ in actors:
            w = w_all[rows, stage]  # (runs, actions)
            for atoms, scale in mods:
                h = _holds(atoms, last, stage, tension)
                w = np.where(h[:, None], w * scale, w)
            total = w.sum(axis=1)
            live = active & (total > 0)
            if size is None:
                u = rng.random(n) * total
                choice = (u[:, None] >= np.cumsum(w, axis=1)[:, :-1]).sum(axis=1)
                effect += np.where(live, eff[rows, choice], 0.0)
            else:
                p = w / np.where(total > 0, total, 1.0)[:, None]
                p[~live] = 1.0 / p.shape[1]
                members = rng.multinomial(np.where(live, size, 0), p)
                choice = members.argmax(axis=1)
                effect += (members * eff).sum(axis=1)
                members_total += int(size[active].sum())
            choices.append(np.where(live, choice, -1))
        last = choices
        steps += active
        tension = np.where(active, decay * tension + effect, tension)
        # the ladder: the highest allowed trigger, else a threshold up, else down
        target = np.full(n, -1)
        for (*_, triggers), choice in zip(actors, choices, strict=True):
            to = triggers[choice]
            ok = (to >= 0) & edges[stage, to] & active
            for (src, dst), atoms in spec.guards.items():
                on = (stage == src) & (to == dst)
                ok &= ~on | _holds(atoms, last, stage, tension)
            target = np.where(ok & (to > target), to, target)
        triggered = target >= 0
        free = active & ~triggered
        up_to = np.minimum(stage + 1, n_st - 1)
        down_to = np.maximum(stage - 1, 0)
        up_ok, down_ok = np.ones(n, dtype=bool), np.ones(n, dtype=bool)
        for (src, dst), atoms in spec.guards.items():  # guarded moves (none but jumps in v1)
            ok = _holds(atoms, last, stage, tension)
            up_ok &= ~((stage == src) & (up_to == dst)) | ok
            down_ok &= ~((stage == src) & (down_to == dst)) | ok
        go_up = free & (tension >= up[stage]) & up_ok
        below = np.where(free & (tension <= down[stage]), below + 1, 0)
        go_down = free & ~go_up & (below >= dwell[stage]) & down_ok
        new = np.where(triggered, target, np.where(go_up, up_to, np.where(go_down, stage - 1,
                                                                          stage)))
        moved = new != stage
        below[moved] = 0
        stage = new
        peak = np.maximum(peak, stage)
        active &= ~absorbing[stage]
        if not active.any():
            break
    return {"runs": runs, "steps": int(steps.sum()), "actor_decisions":
            int(steps.sum()) * spec.actor_count, "member_decisions": members_total,
            "peak": np.bincount(peak, minlength=n_st).tolist(),
            "final": np.bincount(stage, minlength=n_st).tolist()}


def main(argv: list[str] | None = None) -> int:
    return cli(name="numpy_reference", doc=__doc__, default_runs=100_000, simulate=timed(simulate),
               argv=argv)


if __name__ == "__main__":
    sys.exit(main())
