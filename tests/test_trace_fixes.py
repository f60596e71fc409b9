"""Trace fixes (issue 15, item 6): a level below a threshold never reads as equal to it, a
move is credited to what made it (as in moves.csv), a threshold move a guard stopped is
reported, and `ladder exact` prints an exact 1 as 1 and nothing else as 1."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

import sim
from sim.analyses.exact import exact_pct
from sim.analyses.product import product_table
from sim.cli import main
from sim.present.render import story
from sim.present.why import level_text
from sim.workshop.session import Session
from tests.helpers import ROOT, make_scenario, one_action

STAGES = [{"id": "a", "name": "A", "level": 0, "up": 5},
          {"id": "b", "name": "B", "level": 1, "up": 8, "down": 1},
          {"id": "c", "name": "C", "level": 2, "up": 20, "down": 2},
          {"id": "d", "name": "D", "level": 3, "absorbing": True}]
GUARD = [{"from": "b", "to": "c", "guard": "step >= 3"}]


def traced(scenario: sim.Scenario) -> tuple[str, sim.RunResult]:
    result = sim.run(scenario, runs=1, seed=1, trace=True)
    return story(scenario, result.notes or []), result


# -- 1. a level just below a threshold -------------------------------------------------------

def test_a_level_is_printed_on_its_side_of_each_threshold():
    assert level_text(4.996, [5.0]) == "4.996"  # was 5.00, as if it had reached up 5
    assert level_text(5.004, [5.0]) == "5.004"  # above a down of 5: not at it
    assert level_text(5.0, [5.0]) == "5.00"
    assert level_text(4.996) == "5.00" and level_text(4.2, [5.0, float("inf")]) == "4.20"
    assert level_text(5 - 1e-13, [5.0]) == repr(5 - 1e-13)


def test_tension_just_below_up_does_not_read_as_up(tmp_path):
    sc = make_scenario(tmp_path, STAGES, {"x": one_action()}, initial=4.996, horizon=2)
    text, _ = traced(sc)
    assert "  tension 4.996\n" in text and "5.00" not in text
    session = Session(sc, [], seed=1, outlook_runs=10)
    assert session.level == "4.996"
    turn = session.play()
    assert turn.levels == ("4.996", "4.996")
    assert turn.why.startswith("no move: tension 4.996 < up 5")


# -- 2. a move credited to what made it --------------------------------------------------------

def test_an_event_move_is_credited_to_that_event_alone(tmp_path):
    events = [{"name": "talks", "at": 1, "set": {"tension.decay": 1}},
              {"name": "shove", "at": 1, "stage": "b"}]
    sc = make_scenario(tmp_path, STAGES, {"x": one_action()}, events=events, initial=0.0)
    text, _ = traced(sc)
    assert "  MOVE a -> b by event (shove)\n" in text  # was: event (talks, shove)


def test_an_event_move_and_a_threshold_move_in_one_step_are_both_told(tmp_path):
    events = [{"name": "reset", "at": 3, "stage": "a"}]
    sc = make_scenario(tmp_path, STAGES, {"x": one_action()}, events=events, initial=6.0)
    text, result = traced(sc)
    step3 = text.split("step 3\n")[1].split("step 4")[0]
    assert step3.splitlines()[-2:] == ["  MOVE b -> a by event (reset)",
                                       "  MOVE a -> b by threshold (tension 6.00 >= up 5)"]
    # the trace tells exactly the rows of moves.csv, each with its cause
    told = re.findall(r"MOVE (\w+) -> (\w+) by (\w+) \((\w+)", text)
    rows = result.moves
    assert told == [(r["from"], r["to"], r["cause"].split()[0], r["by"] or "tension")
                    for _, r in rows.iterrows()]


def test_a_trigger_is_credited_to_the_actor_moves_csv_names(tmp_path):
    both = {"x": one_action(trigger="c"), "y": one_action(trigger="c")}
    sc = make_scenario(tmp_path, STAGES, both, edges=[{"from": "a", "to": "c"}], horizon=1)
    text, result = traced(sc)
    assert result.moves["by"].tolist() == ["x.act"]
    assert "  MOVE a -> c by trigger (x.act)\n" in text  # was: trigger (x.act, y.act)


def test_the_coupled_seed_trace_credits_what_moves_csv_does():
    sc = sim.load_scenario(ROOT / "scenarios" / "belarus-poland-2024.yaml")
    result = sim.run(sc, runs=1, seed=4, trace=True)
    text = story(sc, result.notes or [])
    told = re.findall(r"^  MOVE (?:(\w+): )?(\w+) -> (\w+) by ([a-z ]+?)(?: \((.*)\))?$",
                      text, re.M)
    rows = result.moves
    assert len(told) == len(rows) > 0
    for (key, old, new, cause, why), row in zip(told, rows.itertuples(), strict=True):
        assert (key or sc.key, old, new) == (row.ladder, row._4, row.to)
        assert row.cause.startswith(cause)
        if row.by:
            assert why.startswith(row.by)


# -- 3. a threshold move blocked by a guard ----------------------------------------------------

def test_a_guard_that_stops_a_threshold_move_is_reported(tmp_path):
    sc = make_scenario(tmp_path, STAGES, {"x": one_action()}, edges=GUARD, initial=9.0,
                       horizon=4)
    text, _ = traced(sc)
    blocked = "  a threshold move up to c was blocked (its guard 'step >= 3' did not hold)"
    steps = text.split("\nstep ")
    assert [blocked in s for s in steps[1:]] == [False, True, False, False]
    assert "MOVE b -> c by threshold (tension 9.00 >= up 8)" in steps[3]


def test_a_guard_that_stops_a_threshold_move_down_is_reported(tmp_path):
    edges = [{"from": "b", "to": "a", "guard": "step >= 3"}]
    sc = make_scenario(tmp_path, STAGES, {"x": one_action(effect=-1)}, edges=edges,
                       start="b", initial=1.5, horizon=4)
    text, _ = traced(sc)
    blocked = "  a threshold move down to a was blocked (its guard 'step >= 3' did not hold)"
    steps = text.split("\nstep ")
    assert [blocked in s for s in steps[1:]] == [True, True, False, False]
    assert "MOVE b -> a by threshold (tension -1.50 <= down 1 for 1 step(s))" in steps[3]


# -- 4. exact probabilities ---------------------------------------------------------------------

@pytest.mark.parametrize(("p", "text"), [
    (1.0, "100%"), (0.0, "0%"), (0.5, "50.0000%"), (1 - 1e-9, "1 - 1.00e-09"),
    (1 - 2.2e-16, "1 - 2.22e-16"), (1 - 6e-7, "99.9999%"), (1e-9, "1e-07%")])
def test_exact_percentages_read_1_only_for_1(p, text):
    assert exact_pct(p) == text


def test_exact_table_prints_a_certain_reach_as_100_percent(capsys):
    assert main(["exact", str(ROOT / "scenarios" / "examples" / "gamblers-ruin.yaml")]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[2].split() == ["settlement", "100%", "72.3746%", "0", "[0,", "0]"]


def test_the_product_table_does_not_round_a_value_below_1_to_100_percent():
    d = {"ladders": {"main": {"ladder": "l", "stages": ["a", "b"],
                              "reach": {"a": 1.0, "b": 1 - 1e-9},
                              "final": {"a": 1e-9, "b": 1 - 1e-9}}},
         "joint": {"ended": 1 - 1e-9, "by": {"main": 1 - 1e-9}}}
    fake = SimpleNamespace(to_dict=lambda: d, scenario=SimpleNamespace(
        id="s", clock=SimpleNamespace(horizon=3)), states=2)
    text = product_table(fake)  # type: ignore[arg-type]
    assert "100.0000%" not in text and "1 - 1.00e-09" in text
    assert text.splitlines()[3].split() == ["a", "100%", "1e-07%"]
