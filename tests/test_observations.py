"""The observation layer (`observe:`, docs/format.md "Observations"): per run and calendar
month, a ladder's highest stage, an action's count times its scale, a variable's mean;
`RunResult.observations`, observations.csv and its reading back, and the checks of the file."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.engine import memory
from sim.engine.results import write_results
from sim.errors import ValidationError

LADDER = {"id": "obs-ladder", "title": "Observed", "stages": [
    {"id": "calm", "name": "Calm", "up": 1.5},
    {"id": "tense", "name": "Tense", "down": 0.5, "up": 3.0},
    {"id": "crisis", "name": "Crisis", "down": 2.0}]}
OBSERVE = {"period": "month", "quantities": {
    "level": {"stage": "main"},
    "pushes": {"count": "crowd.push", "scale": 2.5, "description": "people per member"},
    "hardened": {"count": "gov.harden"},
    "heat": {"mean": "tension"}}}


def scenario_file(tmp_path, observe=OBSERVE, start_date="2024-05-20", horizon=70,
                  name="obs", ladder=LADDER, decay=0.8, effect=0.4):
    """A crowd of 4 (push or stay) and a government (harden or wait) on a three-stage
    ladder, day steps from `start_date`."""
    (tmp_path / "obs-ladder.yaml").write_text(yaml.safe_dump(ladder, sort_keys=False))
    clock: dict = {"step": "day", "horizon": horizon}
    if start_date:
        clock["start_date"] = start_date
    doc: dict = {
        "id": name, "title": "Observed scenario", "ladder": "./obs-ladder.yaml",
        "start": "calm", "clock": clock, "tension": {"initial": 0.0, "decay": decay},
        "actors": {
            "crowd": {"kind": "population", "count": 4,
                      "actions": {"push": {"effect": effect}, "stay": {"effect": 0.0}},
                      "policy": {"weights": {"push": 1, "stay": 2}}},
            "gov": {"kind": "state",
                    "actions": {"harden": {"effect": -0.5}, "wait": {"effect": 0.0}},
                    "policy": {"weights": {"harden": 1, "wait": 3}}}}}
    if observe is not None:
        doc["observe"] = observe
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_records_add_up_to_the_runs_table(tmp_path):
    sc = sim.load_scenario(scenario_file(tmp_path))
    assert [q.kind for q in sc.observe.quantities] == ["stage", "count", "count", "mean"]
    r = sim.run(sc, runs=300, seed=4)
    obs, runs = r.observations, r.runs
    # 2024-05-20 + 70 days is 2024-07-29: both partial months are periods
    assert list(obs.columns) == ["run", "period", "level", "pushes", "hardened", "heat"]
    assert list(obs.period[:3]) == ["2024-05", "2024-06", "2024-07"]
    assert len(obs) == 3 * 300 and list(obs.run) == list(np.repeat(np.arange(300), 3))
    assert str(obs.level.dtype) == "int16" and str(obs.run.dtype) == "int64"
    assert obs.pushes.dtype == obs.heat.dtype == np.float64
    by_run = obs.groupby("run")
    assert np.array_equal(by_run["pushes"].sum().to_numpy(), 2.5 * runs["crowd.push"].to_numpy())
    assert np.array_equal(by_run["hardened"].sum().to_numpy(), runs["gov.harden"].to_numpy())
    assert np.array_equal(by_run["level"].max().to_numpy(), runs.peak.cat.codes.to_numpy())
    assert runs.peak.cat.codes.max() > 0 and obs.level.min() == 0  # it moves, both ways
    # a month of day steps: at most 4 members a step (31 steps in a full month)
    june = obs[obs.period == "2024-06"]
    assert (june.pushes <= 2.5 * 4 * 30).all() and june.pushes.sum() > 0
    assert (june.hardened <= 30).all()


def test_mean_is_over_the_months_steps_and_step_zero_opens_the_first(tmp_path):
    """Tension rises by 4 x 0.4 (all push) a step, no decay: step s has tension 1.6 s, and
    May holds steps 0..11 (20 to 31 May), June 12..41, July 42..70."""
    path = scenario_file(tmp_path, decay=1.0)
    raw = yaml.safe_load(path.read_text())
    raw["actors"]["crowd"]["policy"]["weights"] = {"push": 1}
    raw["actors"]["gov"]["policy"]["weights"] = {"wait": 1}
    path.write_text(yaml.safe_dump(raw))
    r = sim.run(sim.load_scenario(path), runs=3, seed=1)
    obs = r.observations
    steps = {"2024-05": range(0, 12), "2024-06": range(12, 42), "2024-07": range(42, 71)}
    for month, here in steps.items():
        row = obs[(obs.run == 0) & (obs.period == month)].iloc[0]
        assert row.heat == pytest.approx(1.6 * np.mean(list(here)))
        assert row.pushes == 2.5 * 4 * len([s for s in here if s > 0])
    assert list(obs.level[obs.run == 0]) == [2, 2, 2]


def test_months_after_every_run_ended_keep_the_last_state(tmp_path):
    """All runs are absorbed on step 4, so the model stops early: the later months hold the
    absorbing stage, no actions, and the frozen tension."""
    ladder = {**LADDER, "stages": [LADDER["stages"][0],
                                   {"id": "war", "name": "War", "absorbing": True}]}
    path = scenario_file(tmp_path, ladder=ladder, decay=1.0, effect=0.5,
                         observe={"quantities": {"level": {"stage": "main"},
                                                 "pushes": {"count": "crowd.push"},
                                                 "heat": {"mean": "tension"}}})
    raw = yaml.safe_load(path.read_text())
    raw["actors"]["crowd"]["policy"]["weights"] = {"push": 1}
    raw["actors"]["gov"]["policy"]["weights"] = {"wait": 1}
    path.write_text(yaml.safe_dump(raw))
    r = sim.run(sim.load_scenario(path), runs=5, seed=1)
    assert set(r.runs.steps) == {1} and r.runs.absorbed.all()  # up 1.5 < 2 after step 1
    obs = r.observations[lambda f: f.run == 0]
    assert list(obs.level) == [1, 1, 1] and list(obs.pushes) == [4.0, 0.0, 0.0]
    assert list(obs.heat) == pytest.approx([2.0 * 11 / 12, 2.0, 2.0])


def test_same_table_for_any_jobs_and_the_folder_reads_back(tmp_path):
    sc = sim.load_scenario(scenario_file(tmp_path, horizon=40))
    one = sim.run(sc, runs=12_000, seed=3, jobs=1)
    two = sim.run(sc, runs=12_000, seed=3, jobs=2)
    pd.testing.assert_frame_equal(one.observations, two.observations, check_exact=True)
    assert one.observations.run.max() == 11_999
    write_results(one, tmp_path / "out")
    assert (tmp_path / "out" / "observations.csv").is_file()
    back = sim.load_results(tmp_path / "out")
    assert back.observations is not None
    pd.testing.assert_frame_equal(back.observations, one.observations, check_exact=True,
                                  check_dtype=False)
    assert dict(back.observations.dtypes.astype(str)) == {
        "run": "int64", "period": str(one.observations.period.dtype), "level": "int16",
        "pushes": "float64", "hardened": "float64", "heat": "float64"}
    # the memory estimate counts the records: 4 quantities over 2 months
    plain = sim.load_scenario(scenario_file(tmp_path, observe=None, name="plain"))
    assert memory.kept_per_run(sc) - memory.kept_per_run(plain) == 2 * (2 + 8 + 8 + 8)


def test_without_observe_nothing_is_recorded_or_written(tmp_path):
    sc = sim.load_scenario(scenario_file(tmp_path, observe=None))
    assert sc.observe is None
    r = sim.run(sc, runs=50, seed=2)
    assert r.observations is None
    write_results(r, tmp_path / "out")
    assert not (tmp_path / "out" / "observations.csv").exists()
    assert sim.load_results(tmp_path / "out").observations is None
    observed = sim.run(sim.load_scenario(scenario_file(tmp_path, name="obs2")), runs=50, seed=2)
    assert observed.summary["reach"] == r.summary["reach"]  # recording draws nothing
    assert sim.run(sc, runs=50, seed=2, keep_runs=False).observations is None


def problems(tmp_path, observe, start_date="2024-05-20"):
    path = scenario_file(tmp_path, observe=observe, start_date=start_date)
    with pytest.raises(ValidationError) as caught:
        sim.load_scenario(path)
    return path, caught.value.problems


@pytest.mark.parametrize(("quantity", "field", "words"), [
    ({"count": "crowd.shove"}, "observe.quantities.q.count",
     ["crowd has no action 'shove'", "(its actions: push, stay)"]),
    ({"count": "crwd.push"}, "observe.quantities.q.count",
     ["unknown actor 'crwd'; did you mean 'crowd'?", "<actor>.<action>"]),
    ({"count": "crowd"}, "observe.quantities.q.count",
     ["expected <actor>.<action>, got 'crowd'"]),
    ({"stage": "mian"}, "observe.quantities.q.stage",
     ["unknown ladder key 'mian'; did you mean 'main'?", "expected one of: main"]),
    ({"mean": "tenson"}, "observe.quantities.q.mean",
     ["unknown variable 'tenson'; did you mean 'tension'?"]),
    ({"stage": "main", "count": "crowd.push"}, "observe.quantities.q",
     ["expected exactly one of stage, count, mean (got stage, count)"]),
    ({"description": "nothing"}, "observe.quantities.q",
     ["expected exactly one of stage, count, mean (got none)"]),
    ({"stage": "main", "scale": 2}, "observe.quantities.q.scale", ["scale goes with count"]),
    ({"count": "crowd.push", "scale": 0}, "observe.quantities.q.scale",
     ["expected a number > 0"]),
    ({"count": "crowd.push", "per": 2}, "observe.quantities.q.per", ["unknown key"]),
])
def test_a_bad_quantity_is_named_with_its_file_line_and_field(tmp_path, quantity, field, words):
    path, found = problems(tmp_path, {"quantities": {"q": quantity}})
    assert len(found) == 1, found
    p = found[0]
    assert (p.file, p.field, p.warning) == (str(path), field, False)
    assert p.line is not None and p.line > 1
    for word in words:
        assert word in p.message, p.message


def test_a_month_needs_a_start_date_and_periods_are_months(tmp_path):
    path, found = problems(tmp_path, {"period": "month", "quantities": {"q": {"stage": "main"}}},
                           start_date=None)
    assert [(p.file, p.field) for p in found] == [(str(path), "observe.period")]
    assert "needs clock.start_date" in found[0].message
    _, found = problems(tmp_path, {"period": "quarter", "quantities": {"q": {"stage": "main"}}})
    assert [p.field for p in found] == ["observe.period"]
    assert "expected month, got 'quarter'" in found[0].message
    _, found = problems(tmp_path, {"period": "month"})
    assert [(p.field, p.message) for p in found] == [
        ("observe", "missing required key 'quantities'")]


def test_week_steps_belong_to_the_month_of_their_date(tmp_path):
    path = scenario_file(tmp_path, horizon=10, start_date="2024-01-29")
    raw = yaml.safe_load(path.read_text())
    raw["clock"]["step"] = "week"
    path.write_text(yaml.safe_dump(raw))
    sc = sim.load_scenario(path)
    obs = sim.run(sc, runs=2, seed=1).observations
    dates = [dt.date(2024, 1, 29) + dt.timedelta(weeks=s) for s in range(11)]
    assert list(obs.period[obs.run == 0]) == sorted({d.strftime("%Y-%m") for d in dates})
    assert list(obs.period[obs.run == 0]) == ["2024-01", "2024-02", "2024-03", "2024-04"]
