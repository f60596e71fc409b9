"""One small hand-built ladder per mechanism, with the behaviour docs/format.md promises."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest

import sim
from sim.engine.model import EscalationModel
from tests.helpers import ROOT, make_scenario, one_action

THREE = [{"id": "a", "name": "A", "up": 2.5}, {"id": "b", "name": "B", "up": 100, "down": 1},
         {"id": "c", "name": "C"}]


def first_step(result, stage):
    col = result.runs[f"first_{stage}"]
    return set(col.dropna().astype(int))


def test_threshold_moves_up_when_tension_reaches_up(tmp_path):
    sc = make_scenario(tmp_path, THREE, {"x": one_action(1.0)}, horizon=5)
    r = sim.run(sc, runs=50, seed=1)
    # tension 1, 2, 3: reaches up 2.5 at step 3; b's up 100 is never reached
    assert first_step(r, "b") == {3}
    assert r.summary["reach"]["c"]["p"] == 0
    assert r.summary["final"]["b"]["p"] == 1


def test_down_only_after_dwell_consecutive_steps(tmp_path):
    stages = [{"id": "a", "name": "A", "up": 5},
              {"id": "b", "name": "B", "down": 1, "dwell": 3}]
    sc = make_scenario(tmp_path, stages, {"x": one_action(0.0)}, start="b", horizon=6)
    r = sim.run(sc, runs=20, seed=1)
    assert set(r.runs["time_b"]) == {3}  # steps 1-3 began in b; moved down at step 3
    assert set(r.runs["time_a"]) == {3}
    sc1 = make_scenario(tmp_path, [stages[0], {**stages[1], "dwell": 1}], {"x": one_action()},
                        start="b", horizon=6, name="s1")
    assert set(sim.run(sc1, runs=20, seed=1).runs["time_b"]) == {1}


def test_hysteresis_keeps_a_stage_between_down_and_up(tmp_path):
    stages = [{"id": "a", "name": "A", "up": 5}, {"id": "b", "name": "B", "down": 2}]
    for start in ("a", "b"):
        sc = make_scenario(tmp_path, stages, {"x": one_action()}, start=start, initial=3.0,
                           name=f"h{start}")
        r = sim.run(sc, runs=20, seed=1)
        assert r.summary["final"][start]["p"] == 1, start


def test_trigger_beats_threshold(tmp_path):
    # Tension is far above b's up, but the actor always triggers the move down to a.
    stages = [{"id": "a", "name": "A", "up": 0.5}, {"id": "b", "name": "B", "up": 1},
              {"id": "c", "name": "C"}]
    sc = make_scenario(tmp_path, stages, {"x": one_action(0.0, trigger="a")},
                       start="b", initial=10.0, horizon=1)
    r = sim.run(sc, runs=20, seed=1)
    assert r.summary["final"]["a"]["p"] == 1


def test_guard_blocks_a_trigger_until_it_holds(tmp_path):
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B", "absorbing": True}]
    edges = [{"from": "a", "to": "b", "guard": "tension >= 3"}]
    sc = make_scenario(tmp_path, stages, {"x": one_action(1.0, trigger="b")}, edges=edges,
                       horizon=6)
    r = sim.run(sc, runs=20, seed=1)
    assert first_step(r, "b") == {3}  # triggered every step, allowed once tension reaches 3


def test_jump_edge_only_by_trigger_and_skips_rungs(tmp_path):
    stages = [{"id": "a", "name": "A", "up": 100}, {"id": "b", "name": "B"},
              {"id": "c", "name": "C", "absorbing": True}]
    edges = [{"from": "a", "to": "c"}]
    sc = make_scenario(tmp_path, stages, {"x": one_action(0.0, trigger="c")}, edges=edges)
    r = sim.run(sc, runs=20, seed=1)
    assert r.summary["final"]["c"]["p"] == 1
    assert first_step(r, "c") == {1}
    assert set(r.runs["time_b"]) == {0}  # never stood on b...
    assert r.summary["reach"]["b"]["p"] == 1  # ...but peak >= b counts as reaching it


def test_thresholds_climb_one_rung_per_step_even_far_above(tmp_path):
    stages = [{"id": "a", "name": "A", "up": 1}, {"id": "b", "name": "B", "up": 2},
              {"id": "c", "name": "C", "up": 3}, {"id": "d", "name": "D"}]
    sc = make_scenario(tmp_path, stages, {"x": one_action(100.0)}, horizon=5)
    r = sim.run(sc, runs=10, seed=1)
    assert [first_step(r, s) for s in "bcd"] == [{1}, {2}, {3}]


def test_absorbing_stage_ends_the_run(tmp_path):
    stages = [{"id": "a", "name": "A", "up": 2.5}, {"id": "b", "name": "B", "absorbing": True}]
    sc = make_scenario(tmp_path, stages, {"x": one_action(1.0)}, horizon=10)
    model = EscalationModel(sc, n=5, rng=1)
    model.run_to_end()
    assert not model.active.any()
    assert model.t == 3  # the model stops once every run has ended
    assert np.allclose(model.tension, 3.0)
    assert (model.actors[0].counts.sum(axis=0) == 3).all()
    r = sim.run(sc, runs=5, seed=1)
    assert r.summary["absorbed"]["p"] == 1
    assert (r.runs["steps"] == 3).all()
    assert r.occupancy["b"].iloc[-1] == 1.0  # absorbed runs stay in b to the horizon


def test_event_at_moves_the_stage_at_its_step(tmp_path):
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    events = [{"name": "coup", "at": 4, "stage": "b"}]
    sc = make_scenario(tmp_path, stages, {"x": one_action()}, events=events)
    r = sim.run(sc, runs=10, seed=1, trace=True)
    assert first_step(r, "b") == {4}
    assert r.notes[3].events == ["coup"] and [m[1:4] for m in r.notes[3].moved] == [
        ("a", "b", "event")]


@pytest.mark.parametrize("once,expected", [(True, 1.0), (False, 8.0)])
def test_event_when_fires_once_or_every_step(tmp_path, once, expected):
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    events = [{"name": "aid", "when": "step >= 3", "once": once, "tension": {"add": 1.0}}]
    sc = make_scenario(tmp_path, stages, {"x": one_action()}, events=events)
    model = EscalationModel(sc, n=4, rng=1)
    model.run_to_end()
    assert np.allclose(model.tension, expected)


def test_event_set_changes_a_weight_from_its_step(tmp_path):
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    actors = {"x": {"kind": "state", "actions": {"p": {"effect": 1.0}, "q": {}},
                    "policy": {"weights": {"p": 0, "q": 1}}}}
    events = [{"name": "switch", "at": 6, "set": {"actors.x.policy.weights.p": 1,
                                                   "actors.x.policy.weights.q": 0}}]
    sc = make_scenario(tmp_path, stages, actors, events=events)
    r = sim.run(sc, runs=100, seed=1)
    assert set(r.runs["x.p"]) == {5}  # steps 6..10 choose p (weights now 1 and 0)


def test_population_effects_add_up(tmp_path):
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    crowd = {"kind": "population", "count": 10, "actions": {"push": {"effect": 0.1}},
             "policy": {"weights": {"push": 1}}}
    sc = make_scenario(tmp_path, stages, {"crowd": crowd}, decay=0.0, horizon=3)
    model = EscalationModel(sc, n=7, rng=1)
    model.step()
    assert np.allclose(model.tension, 1.0)
    crowd["count"] = {"uniform": [5, 15]}
    sc = make_scenario(tmp_path, stages, {"crowd": crowd}, decay=0.0, horizon=3, name="u")
    model = EscalationModel(sc, n=2000, rng=1)
    model.step()
    first = model.tension.copy()
    model.step()
    assert np.allclose(first, model.tension)  # the count is drawn once per run
    assert set(np.round(first * 10).astype(int)) == set(range(5, 16))


def test_population_members_split_like_a_multinomial(tmp_path):
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    crowd = {"kind": "population", "count": 40,
             "actions": {"x": {"effect": 1.0}, "y": {}, "z": {"effect": -1.0}},
             "policy": {"weights": {"x": 2, "y": 1, "z": 1}}}
    sc = make_scenario(tmp_path, stages, {"crowd": crowd}, decay=0.0, horizon=1)
    model = EscalationModel(sc, n=20000, rng=3)
    model.step()
    members = model.actors[0].members
    assert (members.sum(axis=0) == 40).all()
    means = members.mean(axis=1)
    # E = 40 * p; sd of the mean over 20000 runs = sqrt(40 p (1 - p) / 20000)
    for got, p in zip(means, (0.5, 0.25, 0.25), strict=True):
        assert abs(got - 40 * p) < 4 * math.sqrt(40 * p * (1 - p) / 20000)


def test_reciprocity_modifier_scales_choice_frequencies(tmp_path):
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    actors = {
        "lead": {"kind": "state", "actions": {"signal": {}}, "policy": {"weights": {"signal": 1}}},
        "follow": {"kind": "state", "actions": {"x": {}, "y": {}},
                   "policy": {"weights": {"x": 1, "y": 1},
                              "modifiers": [{"when": "lead.last == signal",
                                             "scale": {"x": 3}}]}},
    }
    sc = make_scenario(tmp_path, stages, actors, horizon=2)
    model = EscalationModel(sc, n=40000, rng=5)
    follow = model.actors[1]
    model.step()  # no last action yet: 1:1
    p1 = (follow.choice == 0).mean()
    model.step()  # lead.last == signal: 3:1
    p2 = (follow.choice == 0).mean()
    se = math.sqrt(0.25 / 40000)
    assert abs(p1 - 0.5) < 4 * se
    assert abs(p2 - 0.75) < 4 * math.sqrt(0.75 * 0.25 / 40000)


def test_uncertain_parameter_is_drawn_once_per_run(tmp_path):
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    actor = one_action({"uniform": [1.0, 2.0]})
    sc = make_scenario(tmp_path, stages, {"x": actor}, decay=0.0, horizon=3)
    model = EscalationModel(sc, n=1000, rng=2)
    model.step()
    first = model.tension.copy()
    model.step()
    assert np.array_equal(first, model.tension)
    assert first.min() >= 1.0 and first.max() <= 2.0 and first.std() > 0.2


def test_absorption_probability_matches_the_exact_geometric_answer(tmp_path):
    # Each step the actor decides to escalate with p = 0.1: P(absorbed by T) = 1 - 0.9^T.
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B", "absorbing": True}]
    actors = {"x": {"kind": "state", "actions": {"go": {"trigger": "b"}, "wait": {}},
                    "policy": {"weights": {"go": 1, "wait": 9}}}}
    sc = make_scenario(tmp_path, stages, actors, horizon=10)
    r = sim.run(sc, runs=40000, seed=11, keep_runs=False)
    exact = 1 - 0.9 ** 10
    got = r.summary["absorbed"]
    assert abs(got["p"] - exact) < 4 * math.sqrt(exact * (1 - exact) / 40000)
    assert got["lo"] <= exact <= got["hi"] or abs(got["p"] - exact) < 4 * got["se"]
    # time to absorption is geometric: median = smallest t with 1 - 0.9^t >= share ...
    incidence = r.incidence["b"]
    for t in (1, 5, 10):
        p = 1 - 0.9 ** t
        assert abs(incidence[t] - p) < 4 * math.sqrt(p * (1 - p) / 40000)


def test_same_seed_same_numbers_whatever_the_jobs():
    sc = sim.load_scenario(ROOT / "scenarios" / "belarus-poland-2024-tension.yaml",
                           {"clock.horizon": 20})
    one = sim.run(sc, runs=25000, seed=3, jobs=1, keep_runs=False).summary
    two = sim.run(sc, runs=25000, seed=3, jobs=2, keep_runs=False).summary
    one.pop("timing"), two.pop("timing")
    assert one == two
    other = sim.run(sc, runs=25000, seed=4, keep_runs=False).summary
    assert other["final"] != one["final"]


def test_single_runs_agree_in_distribution_with_an_ensemble():
    sc = sim.load_scenario(ROOT / "scenarios" / "belarus-poland-2024-tension.yaml",
                           {"clock.horizon": 30})
    ensemble = sim.run(sc, runs=20000, seed=1, keep_runs=False).summary["reach"]
    singles = 300
    reached = 0
    for i in range(singles):
        model = EscalationModel(sc, n=1, rng=np.random.SeedSequence([99, i]))
        model.run_to_end()
        reached += int(model.peak[0] >= sc.ladder.index("border_incident"))
    p = ensemble["border_incident"]["p"]
    assert abs(reached / singles - p) < 5 * math.sqrt(p * (1 - p) / singles) + 0.01


def test_mesa_batch_run_can_run_the_model():
    sc = sim.load_scenario(ROOT / "scenarios" / "belarus-poland-2024-tension.yaml")
    rows = mesa.batch_run(EscalationModel, parameters={"scenario": sc, "n": [1, 50]},
                          iterations=2, max_steps=90, number_processes=1,
                          display_progress=False)
    assert len({(r["n"], r["iteration"]) for r in rows}) == 4
    assert all(sum(r["occupancy"]) == r["n"] for r in rows)


def test_datacollector_records_occupancy_every_step(tmp_path):
    sc = make_scenario(tmp_path, THREE, {"x": one_action(1.0)}, horizon=5)
    model = EscalationModel(sc, n=10, rng=1)
    model.run_to_end()
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["step"].tolist() == [1, 2, 3, 4, 5]  # a row after each step
    assert frame["occupancy"].iloc[-1] == [0, 10, 0]
    assert frame["mean_tension"].iloc[-1] == pytest.approx(5.0)


# -- Mesa's own ways in: the root seed, run_model, overrides as keyword arguments, batch_run --

SEED_SCENARIO = ROOT / "scenarios" / "belarus-poland-2024-tension.yaml"


def same_runs(model: EscalationModel, rows) -> None:
    """The model's runs are `rows` of `sim.run(...).runs`, run for run."""
    ids = np.array(model.ladder.stage_ids)
    assert (ids[model.peak] == rows["peak"].to_numpy()).all()
    assert (ids[model.stage] == rows["final"].to_numpy()).all()
    for i, s in enumerate(ids):
        assert (model.time_in[:, i] == rows[f"time_{s}"].to_numpy()).all(), s
    for agent in model.actors:
        for j, a in enumerate(agent.actor.action_ids):
            assert (agent.counts[j] == rows[f"{agent.actor.id}.{a}"].to_numpy()).all()


def test_an_int_rng_is_the_root_seed_of_ladder_run_chunk_by_chunk():
    sc = sim.load_scenario(SEED_SCENARIO, {"clock.horizon": 30})
    runs = sim.run(sc, runs=12_000, seed=7, keep_runs=True).runs
    first = EscalationModel(sc, n=10_000, rng=7)  # chunk 0: runs 0..9,999
    first.run_model()
    same_runs(first, runs.iloc[:10_000])
    second = EscalationModel(sc, n=2_000, rng=7, chunk=1)  # chunk 1: runs 10,000..11,999
    second.run_model()
    same_runs(second, runs.iloc[10_000:])
    # the same as the chunk's own SeedSequence, which the runner passes
    child = EscalationModel(sc, n=2_000, rng=np.random.SeedSequence(7).spawn(2)[1])
    child.run_model()
    assert np.array_equal(child.time_in, second.time_in)
    with pytest.raises(sim.InputError, match="chunk needs an int root seed"):
        EscalationModel(sc, n=2, rng=np.random.SeedSequence(7), chunk=1)


def test_run_model_leaves_a_finished_model():
    sc = sim.load_scenario(SEED_SCENARIO)
    mesa_way, ours = EscalationModel(sc, n=500, rng=3), EscalationModel(sc, n=500, rng=3)
    mesa_way.run_model()
    ours.run_to_end()
    assert np.array_equal(mesa_way.time_in, ours.time_in)
    open_ = mesa_way.active
    assert (mesa_way.time_in[open_].sum(axis=1) == sc.clock.horizon).all()
    before = mesa_way.time_in.copy()
    mesa_way.finish()  # again: nothing more
    assert np.array_equal(mesa_way.time_in, before)


def test_overrides_are_keyword_arguments():
    model = EscalationModel(SEED_SCENARIO, n=3, rng=1, **{"tension.decay": 0.85})
    assert model.scenario.overrides == (("tension.decay", "0.85"),)
    assert (model.decay == 0.85).all()
    loaded = sim.load_scenario(SEED_SCENARIO, {"clock.horizon": 30})
    model = EscalationModel(loaded, n=3, **{"tension.decay": 0.85})  # its own come first
    assert model.scenario.overrides == (("clock.horizon", "30"), ("tension.decay", "0.85"))
    assert model.horizon == 30 and EscalationModel(loaded).scenario is loaded
    with pytest.raises(sim.ValidationError, match="did you mean 'decay'"):
        EscalationModel(SEED_SCENARIO, **{"tension.dacay": 0.85})
    with pytest.raises(sim.InputError, match="expected a loaded Scenario or a file path"):
        EscalationModel(3)


def test_mesa_batch_run_sweeps_an_override_path():
    rows = mesa.batch_run(EscalationModel, parameters={
        "scenario": str(SEED_SCENARIO), "n": 100, "rng": 7, "tension.decay": [0.85, 0.95]},
        iterations=1, max_steps=1000, number_processes=1, data_collection_period=-1,
        display_progress=False)
    assert [r["tension.decay"] for r in rows] == [0.85, 0.95]
    for row in rows:
        decay = {"tension.decay": row["tension.decay"]}
        model = EscalationModel(SEED_SCENARIO, n=100, rng=7, **decay)
        model.run_model()
        assert row["step"] == model.horizon == 90  # the last row is the end of the run
        assert row["occupancy"] == np.bincount(model.stage, minlength=6).tolist()
        for i, s in enumerate(model.ladder.stage_ids):
            assert row[f"reach_{s}"] == np.mean(model.peak >= i)
            assert row[f"time_{s}"] == pytest.approx(model.time_in[:, i].mean())
    assert rows[1]["reach_use_of_force"] > rows[0]["reach_use_of_force"]


def test_the_batch_run_example_of_docs_python_md_prints_its_table():
    import contextlib
    import io
    import os

    text = (ROOT / "docs" / "python.md").read_text()
    section = text[text.index("**`mesa.batch_run`**"):text.index("**SolaraViz.**")]
    code = section.split("```python\n")[1].split("```")[0]
    table = section.split("```text\n")[1].split("```")[0]
    expression = code.index("pd.DataFrame(rows)")  # the last statement: what it shows
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        scope: dict = {}
        with contextlib.redirect_stderr(io.StringIO()):  # batch_run's progress bar
            exec(code[:expression], scope)
            shown = eval(code[expression:], scope).to_string(index=False)
    finally:
        os.chdir(here)
    assert shown.strip() == table.strip()
