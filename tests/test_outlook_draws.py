"""The outlook's draws: a fork keeps the played run's state and, by default, draws the
scenario's uncertain numbers afresh (sim/engine/forking.py), so the outlook at step 0 agrees
with `ladder run`; with draws="run" it keeps the run's own draws and is conditional on them."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace

import numpy as np
import pytest

import sim
from sim.analyses.outlook import DRAWS_NOTES
from sim.engine import forking
from sim.engine.model import EscalationModel
from sim.workshop.debrief import outlook_md
from sim.workshop.demo import DemoConfig
from sim.workshop.play import play
from sim.workshop.screen import Paint, Screen
from sim.workshop.session import Session
from tests.helpers import ROOT

SEED_SCENARIO = ROOT / "scenarios" / "belarus-poland-2024.yaml"
COUPLED = ROOT / "scenarios" / "examples" / "coupled-ladders.yaml"
OUTLOOK_RUNS, BATCH_RUNS = 2000, 4000
Z_LIMIT = 4.0  # |z| beyond this for some stage is not Monte Carlo error (Bonferroni-safe)
# Per-run arrays that are not the position: constants of the layout, this step's scratch
# (recomputed before it is read: the stage column, causes, effects on variables, the face
# shown, what a perceiving actor sees), the gathered-weights cache, and the record of draws.
NOT_POSITION = {"run_index", "stage_run", "unguarded", "cause", "row_starts", "gathered_at",
                "var_effect", "shown", "seen", "drawn"}


@pytest.fixture(scope="module")
def seed_scenario():
    return sim.load_scenario(SEED_SCENARIO)


@pytest.fixture(scope="module")
def batch(seed_scenario):
    return sim.run(seed_scenario, runs=BATCH_RUNS, seed=7).summary


def z_values(outlook, summary) -> dict[str, float]:
    """Per stage of every ladder: the two-proportion z of the outlook's P(reach) against the
    batch's (pooled standard error; 0 where both are certain and equal)."""
    out = {}
    parts = [("", outlook, summary["reach"])]
    parts += [(f"{key}:", part, summary["ladders"][key]["reach"])
              for key, part in outlook.ladders.items()]
    for prefix, part, reach in parts:
        for row in part.rows():
            p1, p2 = row["p"], reach[row["stage"]]["p"]
            pool = (p1 * part.n + p2 * BATCH_RUNS) / (part.n + BATCH_RUNS)
            se = np.sqrt(pool * (1 - pool) * (1 / part.n + 1 / BATCH_RUNS))
            out[prefix + row["stage"]] = 0.0 if se == 0 else (p1 - p2) / se
    return out


# -- (a) the step-0 outlook against `ladder run` ----------------------------------------------
@pytest.mark.parametrize("seed", [1, 3])
def test_fresh_outlook_at_step_0_agrees_with_ladder_run(seed_scenario, batch, seed):
    outlook = Session(seed_scenario, seed=seed, outlook_runs=OUTLOOK_RUNS).outlook()
    assert outlook.draws == "fresh" and outlook.n == OUTLOOK_RUNS
    z = z_values(outlook, batch)
    assert len(z) == sum(len(t.stage_ids) for t in (outlook, *outlook.ladders.values())) == 24
    assert max(abs(v) for v in z.values()) < Z_LIMIT, z


def test_outlook_with_the_runs_own_draws_is_conditional_on_them(seed_scenario, batch):
    outlook = Session(seed_scenario, seed=7, outlook_runs=OUTLOOK_RUNS, draws="run").outlook()
    assert outlook.draws == "run"
    z = z_values(outlook, batch)
    assert abs(z["border_incident"]) > Z_LIMIT, z  # measured: z = -7.9 for this seed


# -- (b) which arrays are parameters ----------------------------------------------------------
def per_run_arrays(model: EscalationModel) -> dict[int, str]:
    """Every numpy array with a run axis reachable from the model's parts, by id -> name."""
    parts = [("model", model), ("vars", model.vars), ("recall", model.recall),
             ("perception", model.perception)]
    parts += [(f"track {t.key}", t) for t in model.tracks]
    parts += [(f"agent {a.actor.id}", a) for a in model.actors]
    parts += [(f"event {i}", e) for i, e in enumerate(model.events)]
    parts += [(f"view {k}", v) for k, v in model.views.items()]
    found: dict[int, str] = {}

    def visit(name: str, x, depth: int) -> None:
        if isinstance(x, np.ndarray) and model.n in x.shape:
            found.setdefault(id(x), name)
        elif depth < 3 and isinstance(x, dict):
            for k, v in x.items():
                visit(f"{name}[{k}]", v, depth + 1)
        elif depth < 3 and isinstance(x, list | tuple):
            for i, v in enumerate(x):
                visit(f"{name}[{i}]", v, depth + 1)

    for part, obj in parts:
        for attr, value in vars(obj or object()).items():
            if attr not in ("model", "_model") and attr not in NOT_POSITION:
                visit(f"{part}.{attr}", value, 0)
    return found


def without_sets(scenario):
    """The scenario with no event's `set` (the one thing that writes a parameter)."""
    return replace(scenario, events=tuple(replace(e, set={}) for e in scenario.events))


@pytest.mark.parametrize("path", [SEED_SCENARIO, COUPLED])
def test_parameters_are_never_written_while_stepping(path):
    model = EscalationModel(without_sets(sim.load_scenario(path)), n=17, rng=5)
    before_params = [a.copy() for a, _ in forking.parameter_arrays(model)]
    before_state = [a.copy() for a, _ in forking.state_arrays(model)]
    for _ in range(25):
        model.step()
    params, state = forking.parameter_arrays(model), forking.state_arrays(model)
    assert len(params) == len(before_params) and len(state) == len(before_state)
    for (now, _), then in zip(params, before_params, strict=True):
        assert np.array_equal(now, then)
    changed = sum(not np.array_equal(now, then)
                  for (now, _), then in zip(state, before_state, strict=True))
    assert changed >= len(state) // 2  # the state does move
    # state and parameters are disjoint and together every per-run array of the position
    ids = [id(a) for a, _ in state] + [id(a) for a, _ in params]
    assert len(ids) == len(set(ids))
    missing = {name for i, name in per_run_arrays(model).items() if i not in set(ids)}
    assert not missing, missing


def test_a_fresh_fork_at_step_0_is_a_fresh_ensemble(seed_scenario):
    played = EscalationModel(seed_scenario, n=1, rng=3)
    fork = played.fork(0, n=500, rng=11)
    fresh = EscalationModel(seed_scenario, n=500, rng=11)
    for (a, _), (b, _) in zip(forking.parameter_arrays(fork), forking.parameter_arrays(fresh),
                              strict=True):
        assert np.array_equal(a, b)
    assert not np.array_equal(fork.main.drawn[0], np.broadcast_to(
        played.main.drawn[0], fork.main.drawn[0].shape))  # not the played run's thresholds
    fork.run_to_end()
    fresh.run_to_end()
    for mine, theirs in zip(fork.tracks, fresh.tracks, strict=True):
        assert np.array_equal(mine.peak, theirs.peak)
        assert np.array_equal(mine.first, theirs.first)


def test_a_fresh_fork_applies_the_fired_events_set_again(seed_scenario):
    played = EscalationModel(seed_scenario, n=1, rng=3)
    for _ in range(12):  # past the buffer zone's announcement (step 8: harden 3 -> 5)
        played.step()
    fork, fresh = played.fork(0, n=300, rng=4), EscalationModel(seed_scenario, n=300, rng=4)
    warsaw_fork, warsaw_fresh = fork.agent_of("warsaw"), fresh.agent_of("warsaw")
    harden = warsaw_fork.actor.action_ids.index("harden")
    cols = ~warsaw_fork.own[harden] & warsaw_fork.allowed[harden]
    assert cols.any() and (warsaw_fork.weights[harden][cols] == 5).all()
    assert not (warsaw_fresh.weights[harden][cols] == 5).any()
    others = np.ones(warsaw_fork.weights.shape, dtype=bool)
    others[harden] = False
    assert np.array_equal(warsaw_fork.weights[others], warsaw_fresh.weights[others])


def test_sets_are_applied_again_in_the_order_the_run_fired_them(seed_scenario):
    zone = next(e for e in seed_scenario.events if e.set)
    undo = replace(zone, name="Buffer zone lifted", at=None,
                   set={"actors.warsaw.policy.weights.harden": 1.0})
    scenario = replace(seed_scenario, events=(*seed_scenario.events, undo))
    for order, want in ((("Buffer zone lifted", zone.name), 5.0),
                        ((zone.name, "Buffer zone lifted"), 1.0)):
        played = EscalationModel(scenario, n=1, rng=3)
        for name in order:
            played.apply_event(name)
        warsaw = played.fork(0, n=50, rng=1).agent_of("warsaw")
        harden = warsaw.actor.action_ids.index("harden")
        cols = ~warsaw.own[harden] & warsaw.allowed[harden]
        assert (warsaw.weights[harden][cols] == want).all(), order


# -- (c) draws="run" is the fork it always was -------------------------------------------------
def fingerprint(path, steps: int, run: int, rng: int) -> str:
    model = EscalationModel(sim.load_scenario(path), n=5, rng=11)
    for _ in range(steps):
        model.step()
    fork = model.fork(run, n=300, rng=rng, draws="run")
    fork.run_to_end()
    h = hashlib.sha256()
    for t in fork.tracks:
        for a in (t.peak, t.first, t.time_in, t.stage, t.occupancy):
            h.update(np.ascontiguousarray(a).tobytes())
    h.update(fork.tension.tobytes())
    h.update(fork.tension_sum.tobytes())
    for v in fork.vars.values.values():
        h.update(v.tobytes())
    for a in fork.actors:
        h.update(a.counts.tobytes())
    return h.hexdigest()[:16]


def test_a_fork_with_the_runs_draws_steps_bit_identically_to_before():
    # digests of the fork before draws= existed (every per-run array copied from the run)
    assert fingerprint(SEED_SCENARIO, 12, 3, 2) == "e69687312e83dbe0"
    assert fingerprint(COUPLED, 7, 1, 5) == "0ff020ef580f0b8c"


def test_a_fork_with_the_runs_draws_records_them_as_its_draws(seed_scenario):
    model = EscalationModel(seed_scenario, n=4, rng=2)
    fork = model.fork(2, n=30, rng=1, draws="run")
    for path, (_, fifth, values) in model.drawn.items():
        assert (fork.drawn[path][2] == values[2]).all() and (fork.drawn[path][1] == fifth[2]).all()


def test_draws_must_be_fresh_or_run(seed_scenario):
    assert set(DRAWS_NOTES) == set(forking.DRAWS)  # a line on screen for each mode
    model = EscalationModel(seed_scenario, n=1, rng=1)
    with pytest.raises(sim.InputError, match="draws must be 'fresh' or 'run', got 'own'"):
        model.fork(0, n=10, rng=1, draws="own")
    with pytest.raises(sim.InputError, match="outlook draws must be 'fresh' or 'run'"):
        Session(seed_scenario, draws="both")


# -- the label on every screen ---------------------------------------------------------------
def test_the_screen_and_transcript_say_which_draws(seed_scenario):
    for draws, words in (("fresh", "drawn afresh per run"), ("run", "CONDITIONAL on the played "
                                                                    "run's own draws")):
        session = Session(seed_scenario, seed=2, outlook_runs=50, draws=draws)
        outlook = session.outlook()
        lines = Screen(session, Paint(False), 100).outlook_lines(outlook).splitlines()
        assert words in lines[2], lines[:3]  # right under the header and the runs line
        assert words in outlook_md(session, outlook)[0]


def test_play_passes_outlook_draws_through(tmp_path, seed_scenario):
    script = tmp_path / "s.txt"
    script.write_text("n\nq\n", encoding="utf-8")
    out = io.StringIO()
    code = play(seed_scenario, seed=2, outlook_runs=40, script=str(script), out=out,
                draws="run")
    assert code == 0 and "CONDITIONAL on the played run's own draws" in out.getvalue()


def test_the_cli_option_reaches_the_session(tmp_path, capsys):
    from sim.cli import main

    script = tmp_path / "s.txt"
    script.write_text("q\n", encoding="utf-8")
    assert main(["play", str(SEED_SCENARIO), "--seed", "2", "--outlook-runs", "40",
                 "--outlook-draws", "run", "--script", str(script)]) == 0
    assert "CONDITIONAL on the played run's own draws" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["play", str(SEED_SCENARIO), "--outlook-draws", "own"])
    assert refused.value.code == 2
    assert "invalid choice: 'own' (choose from fresh, run)" in capsys.readouterr().err


def test_the_demo_config_carries_the_draws():
    config = DemoConfig("/x/s.yaml", ("warsaw",), 3, 700, None, "run")
    assert DemoConfig.from_env(config.to_env()) == config
    assert DemoConfig.from_env(DemoConfig("/x/s.yaml").to_env()).draws == "fresh"


def test_the_dashboard_says_which_draws(seed_scenario):
    from sim.workshop.dashboard import Dashboard

    for draws, words in (("fresh", "drawn afresh per run"), ("run", "CONDITIONAL")):
        board = Dashboard(seed_scenario, ("warsaw",), seed=2, outlook_runs=50, draws=draws)
        assert words in board.outlook_html()
        board.reset()
        assert board.session.draws == draws
