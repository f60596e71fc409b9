"""Thresholds drawn per run: a ladder's `up` or `down` given as a distribution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim
from sim.cli import main
from sim.errors import ValidationError

LADDER = """id: three
title: Three rungs
stages:
  - {{id: low, name: Low, up: {up}}}
  - {{id: mid, name: Mid, up: 9, down: {down}, dwell: 1}}
  - {{id: top, name: Top, absorbing: true}}
"""
# Tension stays at 5 (decay 1, no effect): a run moves up at step 1 exactly when its drawn
# `up` is at most 5.
SCENARIO = """id: steady
title: Steady tension
ladder: three.yaml
start: low
clock: {horizon: 3}
tension: {initial: 5, decay: 1}
actors:
  a:
    kind: state
    actions: {wait: {}, bump: {effect: {uniform: [0, 0.001]}}}
    policy: {weights: {wait: 1, bump: 1}}
"""


def write(tmp_path: Path, up: str = "{uniform: [4, 6]}", down: str = "1") -> Path:
    (tmp_path / "three.yaml").write_text(LADDER.format(up=up, down=down), encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_a_drawn_up_moves_the_runs_whose_draw_the_level_reaches(tmp_path):
    scenario = sim.load_scenario(write(tmp_path))
    assert scenario.ladder.stages[0].up_drawn is not None
    assert scenario.ladder.stages[0].up == 5  # the midpoint of its range
    result = sim.run(scenario, runs=4000, seed=3)
    p = result.summary["reach"]["mid"]["p"]
    assert 0.47 < p < 0.53  # P(uniform(4, 6) <= 5) = 0.5
    # the assumptions block names the threshold and finds it decisive
    top = result.summary["assumptions"]["parameters"][0]
    assert top["path"] == "ladders.main.stages.low.up"
    assert top["low"]["p"] == 1 and top["high"]["p"] == 0


def test_fixed_thresholds_draw_nothing_more(tmp_path):
    fixed = sim.run(sim.load_scenario(write(tmp_path, up="5.5")), runs=500, seed=3)
    assert fixed.summary["reach"]["mid"]["p"] == 0
    assert [p["path"] for p in fixed.summary["assumptions"]["parameters"]] == [
        "actors.a.actions.bump.effect"]


def test_the_same_numbers_with_one_or_two_jobs(tmp_path, capsys):
    path = write(tmp_path)
    outs = []
    for jobs in ("1", "2"):
        assert main(["run", str(path), "--runs", "30000", "--seed", "5", "--jobs", jobs,
                     "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        outs.append((out["reach"], out["assumptions"]))
    assert outs[0] == outs[1]


@pytest.mark.parametrize("up, down, message", [
    ("{normal: [5, 1]}", "1", "add clip: [lo, hi] to keep draws inside"),
    ("{uniform: [4, 10]}", "1", "thresholds out of order: up 9 must be above 'low' up "
                                "uniform(4, 10)"),
    ("{uniform: [4, 6]}", "{uniform: [3, 5]}", "down uniform(3, 5) must be below 'low' up "
                                               "uniform(4, 6)"),
])
def test_ranges_that_could_break_the_order_are_refused(tmp_path, up, down, message):
    with pytest.raises(ValidationError) as info:
        sim.load_scenario(write(tmp_path, up, down))
    assert message in str(info.value)


def test_show_prints_the_range_and_exact_refuses_it(tmp_path, capsys):
    path = write(tmp_path)
    assert main(["show", str(tmp_path / "three.yaml")]) == 0
    assert "up >= uniform(4, 6)" in capsys.readouterr().out
    assert main(["exact", str(path)]) == 2
    err = capsys.readouterr().err
    assert "three.yaml:4: stages.low.up: a threshold drawn per run" in err


def test_a_played_run_and_its_conditional_outlook_use_the_run_s_own_draw(tmp_path):
    from sim.workshop.session import Session

    for seed in range(6):
        session = Session(sim.load_scenario(write(tmp_path)), seed=seed, outlook_runs=200,
                          draws="run")
        # the outlook's runs fork from the played run, with its drawn threshold: all of them
        # move up at step 1, or none does, and the played run does the same
        share = float((session.outlook().peak >= 1).mean())
        assert share in (0.0, 1.0)
        turn = session.play()
        assert turn.why.startswith("MOVE") == (share == 1.0), turn.why


def test_the_default_outlook_draws_each_run_s_threshold_afresh(tmp_path):
    from sim.workshop.session import Session

    for seed in range(6):
        session = Session(sim.load_scenario(write(tmp_path)), seed=seed, outlook_runs=2000)
        # each outlook run draws its own `up`: about half of them move up (P = 0.5; 4.5
        # standard errors of 2,000 runs either side), whatever the played run drew
        share = float((session.outlook().peak >= 1).mean())
        assert 0.45 < share < 0.55, (seed, share)
