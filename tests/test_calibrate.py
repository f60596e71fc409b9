"""`ladder calibrate`: rejection ABC against the record, scored out of sample."""

from __future__ import annotations

import io
import json
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analyses import calibrate as cal
from sim.cli import main
from sim.format.history_record import load_record
from tests.helpers import ROOT

REPLAY = str(ROOT / "scenarios" / "history" / "seed-2021-2024.yaml")
RECORD = str(ROOT / "scenarios" / "history" / "record-2021-2024.yaml")
WINDOWS = ["--fit", "2021-08:2022-12", "--test", "2023-01:2024-12"]
FORECASTS = {"prior", "calibrated", "prior, forcing-free", "calibrated, forcing-free",
             "persistence", "climatology", "uniform"}


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "res"
    args = ["calibrate", REPLAY, "--history", RECORD, *WINDOWS, "--runs", "60",
            "--test-runs", "20", "--accept", "0.25", "--seed", "3", "--out", str(out),
            "--markdown"] + (["--plot", str(out.parent / "posterior.svg")] if has_matplotlib()
                             else [])
    capture = pytest.MonkeyPatch()
    buffer = io.StringIO()
    capture.setattr(sys, "stdout", buffer)
    try:
        assert main(args) == 0
    finally:
        capture.undo()
    return out, json.loads((out / "calibration.json").read_text()), buffer.getvalue()


def test_the_markdown_table_is_the_one_docs_validation_md_shows(calibrated):
    _, s, markdown = calibrated
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    for name in FORECASTS:
        assert sum(line.startswith(f"| {name} |") for line in rows) >= 2, name  # 2 ladders
    assert "**Stage of belarus** (belarus_stage):" in markdown
    assert "**crossing_attempts** (coverage of the recorded counts):" in markdown
    assert markdown.count("The calibrated model, over 18 test months") == 2


def test_the_out_of_sample_table_has_every_forecast_and_score(calibrated):
    _, s, _ = calibrated
    assert s["accepted"] == 15 and s["runs"] == 60
    assert s["test"]["months"][0] == "2023-01" and s["test"]["months"][-1] == "2024-06"
    assert s["test"]["after_record"] is True  # the record ends in June 2024
    stages = [b for b in s["scores"] if b["kind"] == "stage"]
    assert [b["ladder"] for b in stages] == ["belarus", "nato"]
    for b in stages:
        assert set(b["scores"]) == FORECASTS
        for row in b["scores"].values():
            for score in ("brier", "log", "rps"):
                assert row[score]["lo"] <= row[score]["mean"] <= row[score]["hi"]
                assert row[score]["months"] == 18
            assert set(row["coverage"]) == {"50", "80", "95"}
        assert set(b["calibrated_minus"]) == FORECASTS - {"calibrated"}
        assert b["verdict"].startswith("The calibrated model, over 18 test months, against "
                                       "persistence:")
    uniform = stages[0]["scores"]["uniform"]["brier"]
    k = len(sim.load_ladder(ROOT / "ladders" / "belarus-2024.yaml").stage_ids)
    assert uniform["mean"] == pytest.approx(1 - 1 / k)  # a flat forecast scores 1 - 1/K


def test_the_posterior_is_the_closest_runs_and_runs_again(calibrated, capsys):
    out, s, _ = calibrated
    if has_matplotlib():  # --plot: each parameter's prior against its posterior
        svg = (out.parent / "posterior.svg").read_text()
        assert "prior (60 runs) against posterior (15 accepted)" in svg
    table = pd.read_csv(out / "posterior.csv")
    assert len(table) == 15 and table["discrepancy"].is_monotonic_increasing
    assert table["discrepancy"].max() == pytest.approx(s["discrepancy"]["accepted_max"])
    assert any(c.startswith("drawn:") for c in table.columns)
    assert main(["run", REPLAY, "--runs", "20", "--posterior", str(out / "posterior.csv"),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["provenance"]["posterior_file"].endswith("posterior.csv")


def test_a_run_that_is_the_record_has_no_discrepancy():
    scenario, record = sim.load_scenario(REPLAY), load_record(RECORD)
    aims = [a for a in cal.targets(scenario, record) if a["kind"] == "stage"]
    months = cal.months_between(record, ("2021-08", "2022-12"))
    rows = []
    for run, off in ((0, 0), (1, 1)):
        for m in months:
            row = {"run": run, "period": m}
            for a in aims:
                obs = cal.observed(record, a, [m])[0]
                row[a["name"]] = int(obs) + off if a["name"] == "belarus_stage" else int(obs)
            rows.append(row)
    fake = SimpleNamespace(observations=pd.DataFrame(rows))
    d = cal.discrepancy(fake, record, aims, months)
    k = len(aims[0]["stages"])
    assert d[0] == 0 and d[1] == pytest.approx((1 / (k - 1)) / 2)  # one rung off on one ladder
    assert cal.accept_runs(np.array([0.3, 0.1, 0.1, 0.2]), 0.5).tolist() == [1, 2]


def test_the_forcing_free_replay_drops_exactly_the_inputs():
    scenario, record = sim.load_scenario(REPLAY), load_record(RECORD)
    free = cal.without_inputs(scenario, record)
    inputs = {i.event for i in record.inputs}
    assert {e.name for e in free.events} == {e.name for e in scenario.events} - inputs
    assert not inputs & {e.name for e in free.events}


@pytest.mark.parametrize("args, message", [
    (["--fit", "2021-08:2023-03", "--test", "2023-01:2024-12"],
     "the test window (2023-01:2024-12) must start after the fit window ends (2023-03)"),
    (["--fit", "2021-8:2022-12", "--test", "2023-01:2024-12"], "--fit: expected FIRST:LAST"),
    (["--fit", "2019-01:2019-12", "--test", "2023-01:2024-12"],
     "--fit 2019-01:2019-12: the record has no month there"),
])
def test_bad_windows_are_refused_clearly(capsys, args, message):
    assert main(["calibrate", REPLAY, "--history", RECORD, *args, "--runs", "10"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_scenario_without_observations_is_refused(capsys):
    seed = str(ROOT / "scenarios" / "belarus-poland-2024.yaml")
    assert main(["calibrate", seed, "--history", RECORD, *WINDOWS, "--runs", "10"]) == 2
    assert "needs an `observe:` block" in capsys.readouterr().err


def has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_ensembles_on_a_dask_cluster_give_the_same_numbers():
    """`ladder calibrate --scheduler` runs its ensembles' chunks on Dask (`sim.run(...,
    scheduler=...)`): the same chunks from the same seeds, so the same runs."""
    pytest.importorskip("distributed")
    scenario = sim.load_scenario(ROOT / "scenarios" / "examples" / "gamblers-ruin.yaml")
    here = sim.run(scenario, runs=20_500, seed=4, keep_runs=True)  # three chunks
    there = sim.run(scenario, runs=20_500, seed=4, keep_runs=True, jobs=2, scheduler="local")
    assert here.runs.equals(there.runs) and here.moves.equals(there.moves)
    for key in ("reach", "final", "time_to", "assumptions"):
        assert here.summary[key] == there.summary[key], key
