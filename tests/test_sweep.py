"""`ladder sweep`: designs, rankings (a parameter with no effect ranks last, a strong one
first), PRIM on a known box, bad paths and ranges, worker-count and Dask invariance, JSON,
the results folder and the figures."""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.errors import InputError, ValidationError
from sim.explore.designs import make_design, short_names
from sim.explore.prim import prim
from sim.explore.sweep import default_outcome, parse_outcome, parse_vary, sweep
from tests.helpers import ROOT, make_scenario

STAGES = [{"id": "calm", "name": "Calm", "up": 1},
          {"id": "tense", "name": "Tense", "up": 2, "down": 0},
          {"id": "war", "name": "War", "absorbing": True}]
PUSH = "actors.x.policy.weights.push"  # strong: more pushing, more war
NUDGE = "actors.y.actions.nudge.effect"  # weak: a small push now and then
NEVER = "actors.x.actions.never.effect"  # none: an action never chosen (weight 0)
VARY = [f"{PUSH}=0.2:3", f"{NUDGE}=0:1.5", f"{NEVER}=-5:5"]


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    """A walker on calm / tense / war (absorbing): each step it pushes (+2) or calms (-1);
    decay 0, so one push moves a rung up. A bystander nudges now and then."""
    folder = tmp_path_factory.mktemp("sweep")
    actors = {
        "x": {"kind": "state",
              "actions": {"push": {"effect": 2}, "calm_down": {"effect": -1},
                          "never": {"effect": 0}},
              "policy": {"weights": {"push": 1, "calm_down": 2, "never": 0}}},
        "y": {"kind": "state", "actions": {"wait": {"effect": 0}, "nudge": {"effect": 0.2}},
              "policy": {"weights": {"wait": 4, "nudge": 1}}},
    }
    make_scenario(folder, STAGES, actors, horizon=8, decay=0, name="walk")
    return folder / "walk.yaml"


def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def vary_args(items=VARY):
    return [x for item in items for x in ("--vary", item)]


def without_timing(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "timing"}


# -- parameters, outcomes, designs -----------------------------------------------------------
def test_short_names_are_unique_tails_that_say_more_than_a_field():
    assert short_names(["actors.minsk.policy.weights.push_migrants", "tension.decay",
                        "actors.migrant_groups.count", "actors.minsk.actions.push.effect",
                        "actors.warsaw.actions.push.effect"]) == [
        "push_migrants", "decay", "migrant_groups.count", "minsk.actions.push.effect",
        "warsaw.actions.push.effect"]


def test_parse_vary_marks_whole_number_fields():
    axes = parse_vary(["actors.g.count=10:40", "tension.decay=0.5:0.9"])
    assert [a.integer for a in axes] == [True, False]
    assert axes[0].value(12.6) == 13 and axes[1].value(0.55) == 0.55


@pytest.mark.parametrize("item, message", [
    ("tension.decay", "expected PATH=LOW:HIGH"),
    ("tension.decay=0.5", "expected PATH=LOW:HIGH"),
    ("tension.decay=a:b", "expected PATH=LOW:HIGH"),
    ("tension.decay=0.9:0.5", "LOW (0.9) must be below HIGH (0.5)"),
    ("actors.g.count=1.5:4", "whole-number field"),
])
def test_bad_vary_items_exit_2_naming_the_item(path, capsys, item, message):
    code, _, err = cli(capsys, "sweep", path, "--vary", item)
    assert code == 2 and message in err and item.split("=")[0] in err


def test_default_outcome_is_the_highest_open_stage_above_the_start(path):
    scenario = sim.load_scenario(path)
    assert str(default_outcome(scenario)) == "reach:tense"
    bundled = sim.load_scenario(ROOT / "scenarios" / "belarus-poland-2024-tension.yaml")
    assert str(default_outcome(bundled)) == "reach:mp_crisis"
    assert str(parse_outcome("final:calm", scenario)) == "final:calm"
    with pytest.raises(InputError, match="did you mean 'war'"):
        parse_outcome("reach:wor", scenario)


def test_designs_have_the_documented_sizes():
    axes = parse_vary(["a.b=0:1", "c.d=0:1", "e.f=0:1"])
    assert make_design("grid", axes, 3, 1).n == 27
    assert make_design("lhs", axes, 10, 1).n == 10
    assert make_design("morris", axes, 4, 1).n == 16
    assert make_design("sobol", axes, 8, 1).n == 40
    lhs = make_design("lhs", axes, 10, 1).sample
    assert np.array_equal(lhs, make_design("lhs", axes, 10, 1).sample)
    assert ((lhs >= 0) & (lhs <= 1)).all()
    with pytest.raises(InputError, match="power of 2"):
        make_design("sobol", axes, 12, 1)
    with pytest.raises(InputError, match="at most"):
        make_design("grid", axes, 100, 1)


def test_salib_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "SALib", None)
    with pytest.raises(InputError, match=r"needs SALib: pip install -e '\.\[explore\]'"):
        make_design("morris", parse_vary(["a.b=0:1"]), 4, 1)


# -- bad paths and ranges fail before anything runs -----------------------------------------
def test_bad_path_exits_2_naming_it_with_a_suggestion(path, capsys):
    code, _, err = cli(capsys, "sweep", path, "--vary", "actors.x.polcy.weights.push=1:2")
    assert code == 2
    assert "--vary actors.x.polcy.weights.push" in err and "did you mean 'policy'" in err


def test_unknown_action_in_a_path_is_named(path, capsys):
    code, _, err = cli(capsys, "sweep", path, "--vary", "actors.x.policy.weights.psh=1:2")
    assert code == 2 and "psh" in err and "did you mean 'push'" in err


def test_range_leaving_the_domain_is_reported_at_its_end(path, capsys):
    code, _, err = cli(capsys, "sweep", path, "--vary", "tension.decay=0.5:1.5")
    assert code == 2
    assert "tension.decay" in err and "at its HIGH end, 1.5" in err
    code, _, err = cli(capsys, "sweep", path, "--vary", f"{PUSH}=-1:2")
    assert code == 2 and "at its LOW end, -1" in err


def test_a_combination_that_breaks_the_scenario_names_the_point(path):
    # Each end alone is valid; both weights 0 at once leave x with nothing to do.
    axes = parse_vary([f"{PUSH}=0:1", "actors.x.policy.weights.calm_down=0:1"])
    with pytest.raises(ValidationError) as info:
        sweep(path, axes, design="grid", points=2, runs=10)
    assert "at sweep point push=0, calm_down=0" in str(info.value)


# -- rankings --------------------------------------------------------------------------------
@pytest.mark.parametrize("design, points", [("grid", 3), ("morris", 6), ("sobol", 16)])
def test_strong_parameter_ranks_first_and_one_without_effect_last(path, design, points):
    result = sweep(path, parse_vary(VARY), design=design, points=points, runs=300,
                   outcome="reach:war", seed=3)
    order = [r.parameter for r in result.ranking.rows]
    assert order == ["push", "nudge.effect", "never.effect"], (design, result.ranking)
    # Common random numbers: an action never chosen changes nothing, run for run.
    assert result.ranking.rows[-1].value == 0


def test_regression_ranking_of_a_latin_hypercube(path):
    """SRRC cannot tell a weak effect from none in a few points, but ranks the strong one
    first and gives the one without effect an interval around 0."""
    result = sweep(path, parse_vary(VARY), design="lhs", points=24, runs=300,
                   outcome="reach:war", seed=3)
    rows = {r.parameter: r for r in result.ranking.rows}
    assert result.ranking.rows[0].parameter == "push" and rows["push"].lo > 0.8
    assert rows["never.effect"].lo < 0 < rows["never.effect"].hi
    assert result.ranking.r2 > 0.9


def test_common_random_numbers_make_a_point_a_plain_run(path):
    """With common seeds, point i is exactly `ladder run --set ... --runs R --seed S`."""
    axes = parse_vary(VARY[:2])
    result = sweep(path, axes, design="lhs", points=5, runs=200, outcome="reach:war", seed=11)
    row = result.to_frame().iloc[3]
    scenario = sim.load_scenario(path, {PUSH: float(row["push"]),
                                        NUDGE: float(row["nudge.effect"])})
    summary = sim.run(scenario, runs=200, seed=11, keep_runs=False).summary
    assert summary["reach"]["war"]["p"] == row["p"]
    independent = sweep(path, axes, design="lhs", points=5, runs=200, outcome="reach:war",
                        seed=11, seeds="independent")
    assert len(set(independent.point_seeds)) == 5
    again = sweep(path, axes, design="lhs", points=5, runs=200, outcome="reach:war", seed=11,
                  seeds="independent")
    assert list(again.y) == list(independent.y)


# -- PRIM ------------------------------------------------------------------------------------
def test_prim_finds_a_known_box():
    rng = np.random.default_rng(5)
    x = rng.random((600, 3))
    inside = (x[:, 0] > 0.6) & (x[:, 1] < 0.3)
    high = inside ^ (rng.random(600) < 0.03)  # a little noise
    boxes = prim(x, high, ["a", "b", "c"])
    box = boxes[0]
    assert set(box.limits) >= {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.08) and box.limits["a"][1] is None
    assert box.limits["b"][1] == pytest.approx(0.3, abs=0.08) and box.limits["b"][0] is None
    assert box.density > 0.9 and box.coverage > 0.5
    assert box.condition().startswith("a >= 0.")


def test_prim_finds_two_boxes_and_none_in_a_flat_outcome():
    rng = np.random.default_rng(2)
    x = rng.random((500, 3))
    high = ((x[:, 0] > 0.7) & (x[:, 1] < 0.3)) | ((x[:, 0] < 0.3) & (x[:, 2] > 0.7))
    boxes = prim(x, high, ["a", "b", "c"])
    assert len(boxes) == 2 and all(b.density > 0.9 for b in boxes)
    first, second = sorted(boxes, key=lambda b: b.limits["a"][0] is None)
    assert first.limits["a"][0] == pytest.approx(0.7, abs=0.08)
    assert first.limits["b"][1] == pytest.approx(0.3, abs=0.08)
    assert second.limits["a"][1] == pytest.approx(0.3, abs=0.08)
    assert second.limits["c"][0] == pytest.approx(0.7, abs=0.08)
    assert prim(x, np.ones(500, dtype=bool), ["a", "b", "c"]) == []


# -- workers and Dask ------------------------------------------------------------------------
def test_same_numbers_whatever_jobs(path):
    axes = parse_vary(VARY)
    one = sweep(path, axes, design="morris", points=4, runs=300, outcome="reach:war")
    two = sweep(path, axes, design="morris", points=4, runs=300, outcome="reach:war", jobs=2)
    assert without_timing(one.to_dict()) == without_timing(two.to_dict())


def test_dask_local_cluster_gives_the_local_numbers(path):
    pytest.importorskip("distributed")
    axes = parse_vary(VARY)
    local = sweep(path, axes, design="lhs", points=12, runs=300, outcome="reach:war")
    dask = sweep(path, axes, design="lhs", points=12, runs=300, outcome="reach:war",
                 scheduler="local", jobs=2)
    assert dask.where == "Dask LocalCluster, 2 workers"
    assert without_timing(local.to_dict()) == without_timing(dask.to_dict())


def test_unreachable_scheduler_is_a_clear_error(path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("sim.engine.workers.CONNECT_TIMEOUT", "1s")
    code, _, err = cli(capsys, "sweep", path, *vary_args(VARY[:1]), "--points", "3",
                       "--runs-per-point", "10", "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and "no Dask scheduler answered at tcp://127.0.0.1:9: " in err


# -- output ----------------------------------------------------------------------------------
def test_json_output_structure(path, capsys):
    code, out, _ = cli(capsys, "sweep", path, *vary_args(), "--design", "grid", "--points", 3,
                       "--runs-per-point", 200, "--outcome", "reach:war", "--seed", 4, "--json")
    assert code == 0
    data = json.loads(out)
    assert {"scenario", "ladder", "outcome", "outcome_label", "design", "points_option",
            "points", "runs_per_point", "seed", "seeds", "parameters", "overall",
            "sensitivity", "discovery", "results", "provenance", "timing"} <= set(data)
    assert data["points"] == 27 == len(data["results"])
    assert data["outcome_label"] == "P(reach war)"
    assert [p["name"] for p in data["parameters"]] == ["push", "nudge.effect", "never.effect"]
    point = data["results"][0]
    assert set(point) == {"values", "seed", "runs", "hits", "p", "lo", "hi", "se"}
    assert point["lo"] <= point["p"] <= point["hi"] and point["runs"] == 200
    assert data["sensitivity"]["measure"] == "main_effect_range"
    assert data["sensitivity"]["ranking"][0]["parameter"] == "push"
    disc = data["discovery"]
    assert disc["threshold_rule"] == "mean of the points" and disc["boxes"]
    assert set(disc["boxes"][0]) == {"condition", "limits", "n", "hits", "mass", "coverage",
                                     "density", "mean"}
    assert "push" in disc["boxes"][0]["limits"]


def test_text_output_ranks_and_states_rules(path, capsys):
    code, out, _ = cli(capsys, "sweep", path, *vary_args(), "--design", "morris", "--points",
                       4, "--runs-per-point", 200, "--outcome", "reach:war")
    assert code == 0
    assert "mu* [95% CI]" in out and "1  push" in out
    assert "P(reach war) =" in out and "of the space (" in out and "coverage" in out
    assert "not of the world" in out


def test_out_folder_and_plots(path, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png, svg = tmp_path / "grid.png", tmp_path / "morris.svg"
    code, _, err = cli(capsys, "sweep", path, *vary_args(VARY[:2]), "--design", "grid",
                       "--points", 3, "--runs-per-point", 100, "--outcome", "reach:war",
                       "--plot", png, "--out", tmp_path / "res")
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader((tmp_path / "res" / "points.csv").open()))
    assert len(rows) == 9 and {"point", "push", "nudge.effect", "seed", "runs", "hits", "p", "lo",
                               "hi"} <= set(rows[0])
    assert json.loads((tmp_path / "res" / "sweep.json").read_text())["points"] == 9
    code, _, err = cli(capsys, "sweep", path, *vary_args(), "--design", "morris", "--points",
                       4, "--runs-per-point", 100, "--plot", svg)
    assert code == 0, err
    text = svg.read_text()
    assert "mu*" in text and "not of the world" in text
    assert not list(tmp_path.glob(".*.tmp"))


def test_every_sweep_option_is_documented():
    from tests.test_docs import subparsers

    doc = (ROOT / "docs" / "sweep.md").read_text(encoding="utf-8")
    for action in subparsers()["sweep"]._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in doc, option


def test_tornado_low_and_high_bars_sit_side_by_side(path):
    """Each parameter's low and high bars share its row without overlapping, so the low one
    is not hidden under the high one when both are above the mean."""
    pytest.importorskip("matplotlib")
    from sim.present.sweep_plots import sweep_figure

    result = sweep(path, parse_vary(VARY), design="lhs", points=12, runs=200,
                   outcome="reach:war")
    assert result.ranking.measure == "SRRC"
    ax = sweep_figure(result).axes[0]
    bars = {gid: [p for p in ax.patches if p.get_gid() == gid] for gid in ("low", "high")}
    assert len(bars["low"]) == len(bars["high"]) == 3
    for low, high in zip(bars["low"], bars["high"], strict=True):
        assert low.get_y() >= high.get_y() + high.get_height()  # low above, no overlap
        assert abs(low.get_y() - (high.get_y() + high.get_height())) < 0.01  # one row
