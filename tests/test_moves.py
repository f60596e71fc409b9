"""Every stage move of every run, with its step and cause: moves.csv and `RunResult.moves`."""

from __future__ import annotations

import pandas as pd

import sim
from sim.cli import main
from tests.helpers import ROOT

SEED = ROOT / "scenarios" / "belarus-poland-2024.yaml"


def test_the_moves_end_where_each_run_ends_and_name_their_causes(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(SEED), "--runs", "3000", "--seed", "7", "--out", str(out)]) == 0
    capsys.readouterr()
    moves, runs = pd.read_csv(out / "moves.csv"), pd.read_csv(out / "runs.csv")
    assert list(moves.columns) == ["run", "step", "ladder", "from", "to", "cause", "by"]
    assert moves["step"].between(1, 90).all()
    for key, column in (("belarus", "final"), ("nato", "nato.final"),
                        ("russia", "russia.final")):
        last = moves[moves["ladder"] == key].groupby("run")["to"].last()
        assert (runs.set_index("run").loc[last.index, column] == last).all(), key
        still = runs[~runs["run"].isin(last.index)]  # never moved: still at the start
        assert still[column].nunique() <= 1
    scenario = sim.load_scenario(SEED)
    triggers = {f"{a.id}.{x.id}": x.trigger_on or (scenario.key, x.trigger)
                for a in scenario.actors for x in a.actions if x.trigger or x.trigger_on}
    fired = moves[moves["cause"] == "trigger"]
    assert len(fired) > 100
    assert all(triggers[by] == (key, to) for by, key, to in
               zip(fired["by"], fired["ladder"], fired["to"], strict=True))
    zone = moves[moves["by"] == "Buffer zone in force"]
    assert (zone["cause"] == "event").all() and (zone["step"] == 17).all()
    assert set(moves.loc[moves["cause"] == "accident", "by"]) <= {
        h.description for h in scenario.hazards}
    assert moves.loc[moves["cause"].str.startswith("threshold"), "by"].isna().all()


def test_nuclear_use_is_moved_to_only_by_the_joint_decision():
    keys = {"variables.minsk.danger.initial": 10, "variables.russia.threat.initial": 14,
            "actors.minsk.policy.stages.mp_crisis.request_release": 50,
            "actors.russia.policy.stages.mp_crisis.authorise_release": 50}
    moves = sim.run(sim.load_scenario(SEED, keys), runs=500, seed=7).moves
    nuclear = moves[(moves["ladder"] == "belarus") & (moves["to"] == "nuclear_use")]
    assert len(nuclear) > 50
    assert (nuclear["cause"] == "joint decision").all()
    assert (nuclear["by"] == "minsk.request_release").all()


def test_the_same_moves_with_one_or_two_jobs():
    scenario = sim.load_scenario(SEED)
    one = sim.run(scenario, runs=12_000, seed=3, jobs=1).moves
    two = sim.run(scenario, runs=12_000, seed=3, jobs=2).moves
    pd.testing.assert_frame_equal(one, two)
    assert one["run"].max() >= 10_000  # the second chunk's runs are numbered on


def test_no_moves_are_kept_without_the_runs():
    result = sim.run(sim.load_scenario(SEED), runs=200, seed=1, keep_runs=False)
    assert result.moves is None
