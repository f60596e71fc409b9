"""Every output keeps its contract per ladder for a scenario with coupled ladders
(scenarios/examples/coupled-ladders.yaml): the results folder's per-run columns and per-step
files (and `sim.load_results`), `ladder sweep --outcome reach:<key>:<stage>`, `ladder
compare`'s coupled metrics, the figure and the report. One-ladder outputs are pinned
elsewhere (tests/test_golden.py and the tests of each output)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.errors import InputError
from sim.explore.ema import probability
from sim.explore.sweep import Outcome, parse_outcome
from tests.helpers import ROOT

SCENARIO = ROOT / "scenarios" / "examples" / "coupled-ladders.yaml"
RUNS, SEED = 300, 5
COUPLED = ("nato", "russia")
HARDEN = "actors.warsaw.policy.weights.harden"


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def summary() -> dict:
    """`ladder run --json` of the scenario (the same numbers as the folder's)."""
    result = sim.run(sim.load_scenario(SCENARIO), runs=RUNS, seed=SEED, keep_runs=False)
    return result.summary


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("coupled") / "results"
    assert main(["run", str(SCENARIO), "--runs", str(RUNS), "--seed", str(SEED), "--out",
                 str(out)]) == 0
    return out


def test_json_summary_has_every_ladder(capsys, summary):
    code, out, _ = cli(capsys, "run", SCENARIO, "--runs", RUNS, "--seed", SEED, "--json")
    assert code == 0
    printed = json.loads(out)
    assert list(printed["ladders"]) == ["belarus", *COUPLED]
    assert printed["ladders"] == summary["ladders"]


def test_runs_csv_has_each_coupled_ladders_columns_matching_the_summary(folder, summary):
    runs = pd.read_csv(folder / "runs.csv")
    assert len(runs) == RUNS
    for key in COUPLED:
        entry = summary["ladders"][key]
        stages = entry["stages"]
        for column in (f"{key}.peak", f"{key}.final",
                       *(f"{key}.first_{s}" for s in stages),
                       *(f"{key}.time_{s}" for s in stages)):
            assert column in runs.columns, column
        index = {s: i for i, s in enumerate(stages)}
        peak = runs[f"{key}.peak"].map(index).to_numpy()
        final = runs[f"{key}.final"].map(index).to_numpy()
        for i, s in enumerate(stages):
            assert (peak >= i).mean() == pytest.approx(entry["reach"][s]["p"], abs=1e-9), s
            assert (final == i).mean() == pytest.approx(entry["final"][s]["p"], abs=1e-9), s
            first = runs[f"{key}.first_{s}"]
            assert first.notna().sum() == (peak >= i).sum()  # reached: has a first step
            reached = entry["time_to"][s]
            assert (reached is None) == (first.notna().sum() == 0)
            if reached is not None:
                assert reached["reached"] == first.notna().sum()
        times = runs[[f"{key}.time_{s}" for s in stages]].sum(axis=1)
        assert (times == runs["steps"]).all()  # every step begins in one stage of each ladder
    # the main ladder's columns are as for one ladder, and some run got past border_closure
    assert "peak" in runs.columns and "first_border_incident" in runs.columns
    assert 0 < summary["ladders"]["nato"]["reach"]["border_closure"]["p"] < 1


def test_per_step_files_of_each_coupled_ladder_are_written_and_listed(folder, summary):
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in COUPLED:
        stages = summary["ladders"][key]["stages"]
        for name in (f"occupancy-{key}.csv", f"incidence-{key}.csv"):
            assert name in manifest["files"], name
            frame = pd.read_csv(folder / name, index_col="step")
            assert list(frame.columns) == stages
            assert len(frame) == summary["horizon"] + 1
        occupancy = pd.read_csv(folder / f"occupancy-{key}.csv", index_col="step")
        assert np.allclose(occupancy.sum(axis=1), 1)
        last = pd.read_csv(folder / f"incidence-{key}.csv", index_col="step").iloc[-1]
        for s in stages:
            assert last[s] == pytest.approx(summary["ladders"][key]["reach"][s]["p"], abs=1e-9)


@pytest.mark.parametrize("table", ["auto", "csv"])
def test_load_results_round_trips_the_coupled_tables(folder, table):
    result = sim.run(sim.load_scenario(SCENARIO), runs=RUNS, seed=SEED)
    loaded = sim.load_results(folder, table=table)
    pd.testing.assert_frame_equal(loaded.runs, result.runs)
    assert loaded.runs["nato.peak"].dtype == pd.CategoricalDtype(
        list(result.scenario.coupled[0].ladder.stage_ids), ordered=True)
    assert str(loaded.runs["nato.first_border_closure"].dtype) == "Int64"
    assert set(loaded.coupled_occupancy) == set(loaded.coupled_incidence) == set(COUPLED)
    for key in COUPLED:
        pd.testing.assert_frame_equal(loaded.coupled_occupancy[key],
                                      result.coupled_occupancy[key])
        pd.testing.assert_frame_equal(loaded.coupled_incidence[key],
                                      result.coupled_incidence[key])


def test_a_one_ladder_folder_has_no_coupled_outputs_and_may_replace_a_coupled_one(
        tmp_path, folder, capsys):
    import shutil

    out = tmp_path / "results"
    shutil.copytree(folder, out)
    code, _, err = cli(capsys, "run", "belarus-poland-2024-tension", "--runs", 50, "--out", out)
    assert code == 0, err
    assert not list(out.glob("occupancy-*.csv")) and not list(out.glob("incidence-*.csv"))
    loaded = sim.load_results(out)
    assert loaded.coupled_occupancy == {} and not any("." in c and c.split(".")[1] == "peak"
                                                      for c in loaded.runs.columns)


def test_a_damaged_coupled_file_is_refused(tmp_path, folder):
    import shutil

    out = tmp_path / "results"
    shutil.copytree(folder, out)
    (out / "incidence-russia.csv").write_text("step,x\n0,1\n")
    with pytest.raises(InputError, match="incidence-russia.csv"):
        sim.load_results(out)


# -- ladder sweep ----------------------------------------------------------------------------
def test_sweep_outcome_on_a_coupled_ladder(capsys):
    code, out, err = cli(capsys, "sweep", SCENARIO, "--vary", f"{HARDEN}=0.5:4", "--design",
                         "grid", "--points", 2, "--runs-per-point", 200, "--seed", 3,
                         "--outcome", "reach:nato:border_closure", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["outcome"] == "reach:nato:border_closure"
    assert data["outcome_label"] == "P(reach nato:border_closure)"
    # each point is reproduced by `ladder run --set` with the point's values
    for point in data["results"]:
        value = point["values"][next(iter(point["values"]))]
        code, run_out, _ = cli(capsys, "run", SCENARIO, "--set", f"{HARDEN}={value}",
                               "--runs", 200, "--seed", 3, "--json")
        reach = json.loads(run_out)["ladders"]["nato"]["reach"]["border_closure"]["p"]
        assert point["p"] == pytest.approx(reach, abs=1e-9)
    assert data["results"][0]["p"] != data["results"][1]["p"]


@pytest.mark.parametrize("outcome, message", [
    ("reach:natto:article_4", "unknown ladder 'natto'; did you mean 'nato'? (the scenario's "
                              "ladders are belarus, nato, russia)"),
    ("final:nato:article_six", "unknown stage 'article_six'; did you mean 'article_5'? "
                               "(ladder poland-nato-response has: routine_border"),
    ("reach:russia:mp_crisis", "unknown stage 'mp_crisis'"),
    ("peak:nato:article_4", "expected reach:<stage>, final:<stage>, reach:<ladder>:<stage>"),
])
def test_a_bad_coupled_outcome_exits_2_naming_the_problem(capsys, outcome, message):
    code, out, err = cli(capsys, "sweep", SCENARIO, "--vary", f"{HARDEN}=0.5:4",
                         "--outcome", outcome)
    assert code == 2 and out == ""
    assert f"--outcome {outcome}" in err or f"--outcome {outcome!r}" in err
    assert message in err


def test_a_ladder_key_on_a_one_ladder_scenario_says_there_is_one(capsys):
    code, _, err = cli(capsys, "sweep", "belarus-poland-2024-tension",
                       "--vary", "tension.decay=0.8:0.9",
                       "--outcome", "reach:nato:article_4")
    assert code == 2
    assert "unknown ladder 'nato'" in err and "one ladder (key main)" in err


def test_parse_outcome_and_ema_probability_read_the_coupled_ladder(summary):
    scenario = sim.load_scenario(SCENARIO)
    outcome = parse_outcome("final:russia:deterrence", scenario)
    assert outcome == Outcome("final", "deterrence", "russia")
    assert str(outcome) == "final:russia:deterrence"
    assert probability(outcome, summary) == summary["ladders"]["russia"]["final"]["deterrence"]["p"]
    # the main ladder by its key is the plain outcome
    assert parse_outcome("reach:belarus:border_incident", scenario) == Outcome(
        "reach", "border_incident")


# -- ladder compare --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    path = tmp_path_factory.mktemp("variant") / "harder.yaml"
    path.write_text(f"""id: coupled-harder
title: Warsaw hardens twice as often
description: Variant of coupled-ladders with Warsaw's harden weight doubled.
sources: ["test"]
extends: {SCENARIO}
actors:
  warsaw:
    policy:
      weights:
        harden: 4
""")
    return path


def test_compare_has_the_coupled_ladders_metrics(capsys, folder, summary, variant):
    code, out, err = cli(capsys, "compare", folder, variant, "--json")
    assert code == 0, err
    report = json.loads(out)
    rows = {c["metric"]: c for c in report["comparisons"] if "diff" in c}
    assert "reach:nato:border_closure" in rows and "final:nato:border_closure" in rows
    assert "reach:russia:military_danger" in rows
    nato = summary["ladders"]["nato"]
    assert rows["reach:nato:border_closure"]["pa"] == pytest.approx(
        nato["reach"]["border_closure"]["p"], abs=1e-9)
    assert rows["final:nato:reinforcement"]["pa"] == pytest.approx(
        nato["final"]["reinforcement"]["p"], abs=1e-9)
    assert report["paired"]["coupled-harder"] is True  # coupled columns are no action names
    assert any("P(reach nato:border_closure)" in v for v in report["verdicts"])
    metrics = [c["metric"] for c in report["comparisons"]]
    assert metrics.index("reach:nato:border_closure") > metrics.index("absorbed")
    code, text, _ = cli(capsys, "compare", folder, variant)
    assert code == 0 and "reach:nato:border_closure" in text


def test_compare_of_a_folder_with_its_own_scenario_finds_no_coupled_difference(capsys, folder):
    code, out, _ = cli(capsys, "compare", folder, SCENARIO, "--json")
    assert code == 0
    rows = [c for c in json.loads(out)["comparisons"] if c["metric"].count(":") == 2]
    assert rows and all(c["diff"] == 0 for c in rows)


# -- figures and report ----------------------------------------------------------------------
def test_run_plot_has_one_reach_panel_per_ladder(tmp_path, capsys, folder):
    pytest.importorskip("matplotlib")
    from sim.present.plots import RunView, run_figure

    target = tmp_path / "run.svg"
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", RUNS, "--seed", SEED, "--plot", target)
    assert code == 0, err
    svg = target.read_text(encoding="utf-8")
    for text in ("ladder belarus (belarus-2024)", "ladder nato (poland-nato-response)",
                 "ladder russia (russia-2024-nuclear)", "article_4", "wmd_use"):
        assert text in svg, text
    fig = run_figure(RunView.from_folder(folder))
    titles = [ax.get_title() for ax in fig.get_axes()]
    assert len(titles) == 6
    assert sum("P(reach)" in t for t in titles) == 3


def test_report_has_a_table_per_ladder(tmp_path, capsys, folder, summary):
    pytest.importorskip("matplotlib")
    target = tmp_path / "report.html"
    code, _, err = cli(capsys, "report", folder, "--out", target)
    assert code == 0, err
    page = target.read_text(encoding="utf-8")
    assert "Ladder nato (poland-nato-response)" in page
    assert "Ladder russia (russia-2024-nuclear)" in page
    p = 100 * summary["ladders"]["nato"]["reach"]["border_closure"]["p"]
    assert f"{p:.1f}%" in page
    assert "Run ended (any run-ending stage)" in page
