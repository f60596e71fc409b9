"""`ladder run --posterior FILE`: parameter sets in place of the file's draws."""

from __future__ import annotations

import pandas as pd

from sim.cli import main
from tests.helpers import ROOT

SEED = str(ROOT / "scenarios" / "belarus-poland-2024.yaml")
DECAY = "variables.minsk.danger.decay"
UP = "ladders.belarus.stages.mp_crisis.up"


def test_each_run_takes_one_parameter_set(tmp_path, capsys):
    post = tmp_path / "post.csv"
    post.write_text(f"run,drawn:{DECAY},{UP},weight\n0,0.93,11.5,1\n1,0.94,12.5,3\n")
    out = tmp_path / "res"
    assert main(["run", SEED, "--runs", "400", "--seed", "2", "--posterior", str(post),
                 "--out", str(out)]) == 0
    runs = pd.read_csv(out / "runs.csv")
    pairs = set(zip(runs[f"drawn:{DECAY}"], runs[f"drawn:{UP}"], strict=True))
    assert pairs == {(0.93, 11.5), (0.94, 12.5)}  # the sets are kept whole
    share = (runs[f"drawn:{DECAY}"] == 0.94).mean()
    assert 0.68 < share < 0.82  # weight 3 of 4
    other = runs["drawn:variables.warsaw.alarm.decay"]
    assert other.between(0.85, 0.93).all() and other.nunique() > 300  # still drawn
    summary = (out / "summary.json").read_text()
    assert '"posterior_sha256"' in summary
    assert main(["run", SEED, "--runs", "400", "--seed", "2", "--posterior", str(post),
                 "--out", str(tmp_path / "again")]) == 0
    assert pd.read_csv(tmp_path / "again" / "runs.csv").equals(runs)


def test_a_bad_posterior_is_refused_clearly(tmp_path, capsys):
    post = tmp_path / "post.csv"
    post.write_text("variables.minsk.danger.decai\n0.93\n")
    assert main(["run", SEED, "--runs", "10", "--posterior", str(post)]) == 2
    err = capsys.readouterr().err
    assert "column 'variables.minsk.danger.decai' is not a distribution of the scenario" in err
    assert "did you mean 'variables.minsk.danger.decay'" in err and "Traceback" not in err
    post.write_text(f"{DECAY}\nabc\n")
    assert main(["run", SEED, "--runs", "10", "--posterior", str(post)]) == 2
    assert "post.csv:2: expected a number in every column" in capsys.readouterr().err
