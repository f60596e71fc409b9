"""The assumptions block of `ladder run`: which drawn numbers the figures depend on most
(`sim.engine.assumptions`), in the summary, the text, the JSON and the report."""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.engine import runner
from sim.engine.assumptions import fifth_codes, fifths
from sim.format.distributions import Dist
from tests.helpers import make_scenario

# a reaches b when tension (the sum of ten pushes) reaches 5: when push's effect is >= 0.5
STAGES = [{"id": "a", "name": "A", "up": 5}, {"id": "b", "name": "B", "up": 1000},
          {"id": "c", "name": "C"}]


def actors(push=None, idle=None, weight=None) -> dict:
    return {"x": {"kind": "state",
                  "actions": {"push": {"effect": push or {"uniform": [0, 1]}},
                              "idle": {"effect": idle or {"uniform": [-5, 5]}}},
                  "policy": {"weights": {"push": weight or {"uniform": [1, 2]}, "idle": 0}}}}


@pytest.fixture
def scenario(tmp_path):
    return make_scenario(tmp_path, STAGES, actors(), horizon=10)


def test_the_number_that_matters_ranks_first_and_moves_the_right_way(scenario):
    a = sim.run(scenario, runs=2000, seed=3).summary["assumptions"]
    assert a["watch"] == "b"  # c is never reached: b is the highest reached in >= 1%
    assert a["drawn"] == 3
    first, *rest = a["parameters"]
    assert first["path"] == "actors.x.actions.push.effect"
    # effect <= 0.2: tension at most 2, never b; effect >= 0.8: tension 8, always b
    assert first["low"]["p"] == 0 and first["high"]["p"] == 1
    assert first["low"]["at_most"] == pytest.approx(0.2)
    assert first["high"]["at_least"] == pytest.approx(0.8)
    assert first["difference"] == 1
    for row in rest:  # the effect of an action of weight 0; the weight of the only action
        assert abs(row["difference"]) < 0.15, row
        assert {"actors.x.actions.idle.effect", "actors.x.policy.weights.push"} >= {row["path"]}
    for row in a["parameters"]:
        for side in ("low", "high"):  # a fifth of the runs each, with a Wilson interval
            b = row[side]
            assert 0.15 * 2000 < b["n"] < 0.25 * 2000
            assert b["lo"] <= b["p"] <= b["hi"]


def test_same_figures_for_any_jobs_and_chunk_merging(scenario, monkeypatch):
    monkeypatch.setattr(runner, "CHUNK", 500)  # four chunks of 500
    one = sim.run(scenario, runs=2000, seed=5, jobs=1, keep_runs=False)
    two = sim.run(scenario, runs=2000, seed=5, jobs=2, keep_runs=False)
    assert one.summary["assumptions"] == two.summary["assumptions"]
    bins = one.totals.assumptions["actors.x.actions.push.effect"]
    # merged by addition: the chunks' runs in the two fifths add up to the merged counts
    chunks = [runner.run_chunk(scenario, k, 500, s)
              for k, s in enumerate(np.random.SeedSequence(5).spawn(4))]
    low = sum(c.assumptions["actors.x.actions.push.effect"].low for c in chunks)
    assert (low == bins.low).all()
    assert one.summary["reach"] == two.summary["reach"]


def test_watch_picks_the_stage(scenario):
    a = sim.run(scenario, runs=300, seed=1, watch="c").summary["assumptions"]
    assert a["watch"] == "c" and a["rule"] == "--watch"
    assert all(r["difference"] == 0 for r in a["parameters"])  # c is never reached
    with pytest.raises(sim.InputError, match="did you mean 'b'"):
        sim.run(scenario, runs=10, watch="bb")


def test_text_and_json(scenario, capsys):
    assert main(["run", scenario.path, "--runs", "1000"]) == 0
    out = capsys.readouterr().out
    head = "Assumptions these figures depend on most: P(reach b)"
    assert head in out
    block = out[out.index(head):out.index("Distributions under")]
    assert block.index("actors.x.actions.push.effect") < block.index("actors.x.policy")
    assert "uniform [0, 1]" in block and "n " in block
    assert "An association within this ensemble" in block
    assert all(len(line) <= 80 for line in block.splitlines())
    assert main(["run", scenario.path, "--runs", "1000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["assumptions"]["parameters"][0]["path"] == "actors.x.actions.push.effect"
    assert list(data)[-2:] == ["assumptions", "timing"]
    assert main(["run", scenario.path, "--runs", "10", "--watch", "z"]) == 2


def test_no_drawn_number_gives_one_line(tmp_path, capsys):
    sc = make_scenario(tmp_path, STAGES, actors(push=0.6, idle=1, weight=1), horizon=10)
    assert sim.run(sc, runs=50, seed=1).summary["assumptions"]["parameters"] == []
    assert main(["run", sc.path, "--runs", "50"]) == 0
    out = capsys.readouterr().out
    assert "No number in the file is drawn per run: every figure is conditional on every" in out
    assert "Assumptions these figures depend on most" not in out


def test_report_shows_the_block(scenario, tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", scenario.path, "--runs", "500", "--out", str(out)]) == 0
    html = out.read_text()
    assert "What these figures depend on most" in html
    assert html.index("actors.x.actions.push.effect") > html.index("P(reach) [95% CI]")


def test_fifths():
    assert fifths(Dist("uniform", (0.0, 10.0))) == pytest.approx((2.0, 8.0))
    normal = NormalDist(1, 2)
    assert fifths(Dist("normal", (1.0, 2.0))) == pytest.approx(
        (normal.inv_cdf(0.2), normal.inv_cdf(0.8)))
    low, high = fifths(Dist("beta", (2.0, 5.0)))
    draws = np.random.default_rng(1).beta(2, 5, 200_000)
    assert np.mean(draws <= low) == pytest.approx(0.2, abs=0.005)
    assert np.mean(draws >= high) == pytest.approx(0.2, abs=0.005)
    # discrete: ties make a fifth hold more than a fifth of the runs
    assert fifths(Dist("choice", (4.0, 8.0), p=(0.7, 0.3), integer=True)) == (4.0, 8.0)
    assert fifths(Dist("choice", (1.0, 2.0, 3.0), p=(0.9, 0.05, 0.05))) == (1.0, 2.0)
    assert fifths(Dist("uniform", (1.0, 10.0), integer=True)) == (2.0, 9.0)
    assert fifths(Dist("choice", (3.0,))) is None
    assert fifths(Dist("uniform", (0.5, 0.5))) is None
    assert fifths(Dist("normal", (0.0, 1.0), clip=(0.0, 5.0))) == pytest.approx(
        (0.0, NormalDist().inv_cdf(0.8)))  # half the draws at the clip: all in the lowest
    codes = fifth_codes(Dist("uniform", (0.0, 1.0)), np.array([0.1, 0.5, 0.9, 0.2]))
    assert list(codes) == [-1, 0, 1, -1]
    assert not math.isnan(fifths(Dist("normal", (0.0, 1.0)))[0])
