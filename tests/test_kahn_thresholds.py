"""scenarios/examples/kahn-thresholds.yaml: on Kahn's ladder, the three firebreaks ("No Nuclear
Use", "Central Sanctuary", "City Targeting") are crossed only by a decision.

Each firebreak rung is entered only from the rung just below it, by a trigger (never by a
threshold), in the per-run results of `ladder run --out` and step by step in the model; with
every deciding weight set to 0 by `--set` no run goes above rung 20. Drift alone still climbs
the rungs below the first firebreak.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json

import numpy as np
import pytest

from sim.cli import main
from sim.engine.model import EscalationModel
from sim.engine.notes import RULE_TRIGGER
from tests.helpers import ROOT

FILE = ROOT / "scenarios" / "examples" / "kahn-thresholds.yaml"
RUNS, SEED = 3000, 11
SIDES = ("side_a", "side_b")
# firebreak rung entered -> (rung just below it, the deciding action)
FIREBREAKS = {
    "local_nuclear_exemplary": ("world_wide_embargo", "cross_no_nuclear_use"),
    "demonstration_attack": ("evacuation_70", "cross_central_sanctuary"),
    "slow_countercity_war": ("unmodified_counterforce", "cross_city_targeting"),
}


def weights(value: float) -> list[str]:
    """`--set` arguments giving every deciding action the weight `value` at its rung."""
    sets = []
    for below, action in FIREBREAKS.values():
        for side in SIDES:
            sets += ["--set", f"actors.{side}.policy.stages.{below}.{action}={value}"]
    return sets


def overrides(value: float) -> dict[str, float]:
    """The same overrides, as EscalationModel takes them."""
    return {f"actors.{side}.policy.stages.{below}.{action}": value
            for below, action in FIREBREAKS.values() for side in SIDES}


def run_json(*args: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["run", str(FILE), "--runs", str(RUNS), "--seed", str(SEED), "--json",
                     *args]) == 0
    return json.loads(out.getvalue())


def run_rows(tmp_path, *args: str) -> list[dict]:
    """The per-run table (runs.csv) of `ladder run --out`."""
    out = tmp_path / "results"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", str(FILE), "--runs", str(RUNS), "--seed", str(SEED), "--out",
                     str(out), *args]) == 0
    with (out / "runs.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_file_validates_without_warnings(capsys):
    assert main(["validate", str(FILE)]) == 0
    captured = capsys.readouterr()
    assert "checked 1 file(s): 0 error(s), 0 warning(s)" in captured.out + captured.err


def test_the_ladder_has_no_up_below_the_three_firebreaks():
    model = EscalationModel(FILE, n=1, rng=0)
    stages = {s.id: s for s in model.ladder.stages}
    for below, _ in FIREBREAKS.values():
        assert stages[below].up is None, below


@pytest.mark.parametrize("decide", [None, 2.0], ids=["as-in-file", "frequent-decisions"])
def test_firebreaks_are_entered_from_below_by_a_trigger_only(decide):
    """Step by step: every move up into a firebreak rung comes from the rung just below, by
    a trigger (a run may come back down into it by threshold: that is not a crossing). With
    the file's weights few runs get past the first firebreak, so a second case raises the
    deciding weights to see all three crossed (the rule is the same)."""
    kwargs = overrides(decide) if decide is not None else {}
    model = EscalationModel(FILE, n=RUNS, rng=SEED, **kwargs)
    index = model.ladder.index
    entries = {stage: 0 for stage in FIREBREAKS}
    while model.running:
        before = model.stage.copy()
        model.step()
        for stage, (below, _) in FIREBREAKS.items():
            target = index(stage)
            entered = (model.stage == target) & (before < target)  # up into the rung
            entries[stage] += int(entered.sum())
            assert set(model.main.rule[entered].tolist()) <= {RULE_TRIGGER}, stage
            assert (before[entered] == index(below)).all(), stage
    assert entries["local_nuclear_exemplary"] > 20, entries
    if decide is not None:
        assert min(entries.values()) > 5, entries


def test_every_run_that_crossed_a_firebreak_took_its_decision(tmp_path):
    """From runs.csv: a run that reached a firebreak rung was at the rung below first, and
    one of the sides chose the deciding action at least once."""
    rows = run_rows(tmp_path, *weights(2.0))
    crossed = {stage: 0 for stage in FIREBREAKS}
    for row in rows:
        for stage, (below, action) in FIREBREAKS.items():
            if row[f"first_{stage}"] == "":
                continue
            crossed[stage] += 1
            assert row[f"first_{below}"] != "", (row["run"], stage)
            assert int(row[f"first_{below}"]) < int(row[f"first_{stage}"]), (row["run"], stage)
            assert sum(int(row[f"{side}.{action}"]) for side in SIDES) >= 1, (row["run"], stage)
    assert min(crossed.values()) > 5, crossed


def test_without_decisions_no_run_goes_above_the_first_firebreak(tmp_path):
    d = run_json(*weights(0))
    stages = d["stages"]
    above = stages[stages.index("local_nuclear_exemplary"):]
    assert all(d["reach"][s]["p"] == 0 for s in above), {s: d["reach"][s]["p"] for s in above}
    assert d["absorbed"]["p"] == 0
    # drift alone still climbs the rungs below it, up to the firebreak
    assert d["reach"]["breaking_off_relations"]["p"] > 0.9
    assert d["reach"]["world_wide_embargo"]["p"] > 0.3
    rows = run_rows(tmp_path, *weights(0))
    assert all(row[f"first_{s}"] == "" for row in rows for s in above)
    assert all(int(row[f"{side}.{action}"]) == 0 for row in rows for side in SIDES
               for _, action in FIREBREAKS.values())


def test_with_the_files_weights_a_small_share_crosses_by_decision():
    d = run_json()
    reach = {s: d["reach"][s]["p"] for s in d["stages"]}
    assert reach["world_wide_embargo"] > 0.3
    assert 0.01 < reach["local_nuclear_exemplary"] < 0.15
    assert reach["local_nuclear_exemplary"] < reach["world_wide_embargo"] / 4
    assert np.all(np.diff([reach[s] for s in d["stages"]]) <= 0)  # reach falls rung by rung
