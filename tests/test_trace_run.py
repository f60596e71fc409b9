"""`ladder run --trace-run K`: the story of run K of an ensemble, which is row K of runs.csv."""

from __future__ import annotations

import re

import pandas as pd

from sim.cli import main
from tests.helpers import ROOT

SEED = str(ROOT / "scenarios" / "belarus-poland-2024.yaml")


def story(capsys, *args) -> str:
    assert main(["run", SEED, "--runs", "12000", "--seed", "7", *args]) == 0
    return capsys.readouterr().out


def test_the_story_of_run_k_ends_where_row_k_of_runs_csv_does(tmp_path, capsys):
    k = 10_007  # in the second chunk of 10,000
    out = story(capsys, "--trace-run", str(k), "--out", str(tmp_path / "res"))
    assert out.startswith(f"run {k:,} of 12,000 (seed 7):\nbelarus-poland-2024: one run")
    final = re.search(r"^final stage: (\w+); nato: (\w+); russia: (\w+)$", out, re.M)
    assert final, out[-300:]
    row = pd.read_csv(tmp_path / "res" / "runs.csv").iloc[k]
    assert row["run"] == k
    assert final.groups() == (row["final"], row["nato.final"], row["russia.final"])
    steps = re.findall(r"^step (\d+) ", out, re.M)
    assert int(steps[-1]) == row["steps"]
    # the same story whatever the number of worker processes
    assert story(capsys, "--trace-run", str(k), "--jobs", "2") == out


def test_run_zero_of_one_run_is_the_plain_trace(capsys):
    assert main(["run", SEED, "--runs", "1", "--seed", "3", "--trace"]) == 0
    plain = capsys.readouterr().out
    assert main(["run", SEED, "--runs", "1", "--seed", "3", "--trace-run", "0"]) == 0
    assert capsys.readouterr().out == "run 0 of 1 (seed 3):\n" + plain


def test_a_run_outside_the_ensemble_or_with_json_is_refused(capsys):
    assert main(["run", SEED, "--runs", "100", "--trace-run", "100"]) == 2
    assert "--trace-run 100: the ensemble has runs 0 to 99" in capsys.readouterr().err
    assert main(["run", SEED, "--runs", "100", "--trace-run", "5", "--json"]) == 2
    assert "drop --trace, --json and --precision" in capsys.readouterr().err
