"""Intervals everywhere (issue 15, item 5): the time-to quantiles' order-statistic intervals,
and what `--precision` targets (`--precision-on reach|final|diff`) and says it left wider."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats as sps

import sim
from sim.cli import main
from sim.engine.intervals import quantile_ranks
from sim.engine.outcomes import LadderRecord, step_interval, summarise
from sim.engine.precision import half_width
from sim.present.render import time_text
from tests.helpers import ROOT, make_scenario
from tests.test_compare import STAGES, walker

# -- time-to quantiles ---------------------------------------------------------------------

# 10 runs reached the stage at steps 1, 2, 2, 3, 3, 3, 4, 4, 5, 6 (horizon 9).
HIST = np.array([0, 1, 2, 3, 2, 1, 1, 0, 0, 0])


def test_ranks_by_hand_for_ten_runs():
    # Binomial(10, 1/2): P(B <= 1) = 11/1024 <= 0.025 < P(B <= 2) = 56/1024, so j = 2;
    # P(B <= 7) = 968/1024 < 0.975 <= P(B <= 8) = 1013/1024, so k = 9.
    assert quantile_ranks(10, 0.5) == (2, 9)
    # Binomial(10, 1/4): P(B <= 0) = 0.0563 > 0.025, so no lower rank; P(B <= 4) = 0.9219 <
    # 0.975 <= P(B <= 5) = 0.9803, so k = 6.
    assert quantile_ranks(10, 0.25) == (0, 6)
    # Binomial(10, 3/4): P(B <= 4) = 0.0197 <= 0.025 < P(B <= 5) = 0.0781, so j = 5;
    # P(B <= 9) = 0.9437 < 0.975, so no upper rank (k = 11).
    assert quantile_ranks(10, 0.75) == (5, 11)


def test_steps_of_the_intervals_on_a_known_histogram():
    # sorted steps: x1 = 1, x2 = x3 = 2, x4..x6 = 3, x7 = x8 = 4, x9 = 5, x10 = 6
    assert step_interval(HIST, 0.5) == [2, 5]  # [x2, x9]
    assert step_interval(HIST, 0.25) == [0, 3]  # open below: step 0; x6
    assert step_interval(HIST, 0.75) == [3, 9]  # x5; open above: the horizon
    record = LadderRecord(peak=np.array([0, 10]), final=np.array([0, 10]), absorbed=0,
                          first=np.stack([np.r_[10, np.zeros(9, dtype=int)], HIST]),
                          occupancy=np.zeros((10, 2)))
    t = summarise(record, ("a", "b"), 10)["time_to"]
    assert t["b"] == {"reached": 10, "median": 3, "q25": 2, "q75": 4,
                      "median_ci": [2, 5], "q25_ci": [0, 3], "q75_ci": [3, 9]}
    # all ten at step 0: x9 = 0 bounds the median, but ten runs cannot bound q75 above
    assert t["a"]["median_ci"] == t["a"]["q25_ci"] == [0, 0] and t["a"]["q75_ci"] == [0, 9]


@pytest.mark.parametrize("m", [1, 2, 7, 40, 333, 5000, 123_457])
@pytest.mark.parametrize("q", [0.25, 0.5, 0.75])
def test_ranks_are_the_tightest_equal_tailed_pair(m, q):
    j, k = quantile_ranks(m, q)
    cdf = sps.binom(m, q).cdf
    assert 0 <= j < k <= m + 1
    assert cdf(j - 1) <= 0.025 < cdf(j)  # j - 1 is the largest such value
    assert cdf(k - 1) >= 0.975 > cdf(k - 2)  # k - 1 is the smallest such value


def test_intervals_cover_a_discrete_median_at_least_95_percent():
    rng = np.random.default_rng(5)
    p, m, reps = 0.15, 60, 1500  # first passage ~ geometric on steps 1, 2, ...
    true = int(np.ceil(np.log(0.5) / np.log(1 - p)))  # smallest t with P(T <= t) >= 1/2
    covered = 0
    for _ in range(reps):
        hist = np.bincount(np.minimum(rng.geometric(p, m), 60), minlength=61)
        lo, hi = step_interval(hist, 0.5)
        covered += lo <= true <= hi
    assert covered / reps >= 0.94  # nominal 95%, conservative for discrete steps


def test_run_summary_and_table_carry_the_intervals(capsys):
    path = ROOT / "scenarios" / "examples" / "coupled-ladders.yaml"
    assert main(["run", str(path), "--runs", "800", "--seed", "3", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    entries = [t for ladder in s["ladders"].values() for t in ladder["time_to"].values()]
    assert any(t is not None and t["median_ci"][0] < t["median_ci"][1] for t in entries)
    for t in entries:
        if t is not None:
            for q in ("median", "q25", "q75"):
                assert t[f"{q}_ci"][0] <= t[q] <= t[f"{q}_ci"][1]
    assert main(["run", str(path), "--runs", "800", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "time to reach: median [q25, q75] (95% CI)" in out
    assert time_text({"median": 32, "q25": 15, "q75": 55, "median_ci": [31, 33],
                      "q25_ci": [15, 15], "q75_ci": [53, 57]}) == "32 (31-33) [15, 55 (53-57)]"
    assert time_text(None) == "never reached"


# -- what --precision targets --------------------------------------------------------------

# P(final) flips between low and mid with the last step (about 1/2 each) while almost every
# run reaches mid: P(final) is the wide one.
FLIP = [{"id": "low", "name": "Low", "up": 1},
        {"id": "mid", "name": "Mid", "up": 5, "down": 0},
        {"id": "high", "name": "High", "absorbing": True}]


@pytest.fixture
def flip(tmp_path):
    return make_scenario(tmp_path, FLIP, {"x": walker(1)}, horizon=8, decay=0, name="flip")


def test_precision_on_final_targets_p_final(flip):
    target = 0.006
    final = sim.run(flip, seed=1, precision=target, precision_on="final", keep_runs=False)
    reach = sim.run(flip, seed=1, precision=target, keep_runs=False)
    prec, n = final.summary["precision"], final.summary["runs"]
    assert prec["on"] == "final" and prec["reached"]
    assert prec["widest_half_width"] == round(half_width(final.totals, "final"), 10) <= target
    fewer = sim.run(flip, runs=n - 10_000, seed=1, keep_runs=False)
    assert half_width(fewer.totals, "final") > target  # one chunk fewer would not have done
    assert reach.summary["runs"] < n  # P(reach) alone stops earlier ...
    assert reach.summary["precision"]["widest"]["final"] > target  # ... leaving P(final) wide
    assert reach.summary["precision"]["on"] == "reach"


def test_reach_mode_says_p_final_is_still_wider(flip, capsys):
    assert main(["run", flip.path, "--precision", "0.006"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("precision: target +/-0.6 points on P(reach) met after 10,000 runs")
    assert err[1].startswith("precision: not targeted and still wider than +/-0.6 points: "
                             "P(final) (widest half-width 0.98 points)")
    assert err[1].endswith("--precision-on final targets them")


def test_default_precision_is_on_reach_as_before(flip):
    default = sim.run(flip, seed=2, precision=0.004, keep_runs=False).summary
    explicit = sim.run(flip, seed=2, precision=0.004, precision_on="reach",
                       keep_runs=False).summary
    for key in ("runs", "reach", "final", "time_to", "precision"):
        assert default[key] == explicit[key]
    assert default["precision"]["widest_half_width"] == default["precision"]["widest"]["reach"]


def independent(tmp_path, push: float, name: str) -> sim.Scenario:
    """A walker with one more (never chosen) action: its runs cannot be paired with a plain
    walker's. P(reach high) is near 1/2 for push near 1/2."""
    actor = walker(push)
    actor["actions"]["wait"] = {"effect": 0}
    actor["policy"]["weights"]["wait"] = 0.001
    return make_scenario(tmp_path, STAGES, {"x": actor}, horizon=8, decay=0, name=name)


def test_compare_precision_on_diff_meets_the_target_on_the_differences(tmp_path, capsys):
    make_scenario(tmp_path, STAGES, {"x": walker(0.5)}, horizon=8, decay=0, name="a")
    independent(tmp_path, 0.6, "b")
    files = [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    target = 0.006
    assert main(["compare", *files, "--precision", str(target), "--precision-on", "diff",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    prec, n = report["precision"], report["precision"]["runs"]
    assert prec["on"] == "diff" and prec["reached"] and report["paired"] == {"b": False}
    widths = [(c["hi"] - c["lo"]) / 2 for c in report["comparisons"]
              if c["metric"].startswith("reach:")]
    assert widths and max(widths) <= target
    assert prec["widest_half_width"] == prec["widest"]["diff"] == pytest.approx(max(widths))
    assert main(["compare", *files, "--runs", str(n - 10_000), "--json"]) == 0
    fewer = json.loads(capsys.readouterr().out)
    assert max((c["hi"] - c["lo"]) / 2 for c in fewer["comparisons"]
               if c["metric"].startswith("reach:")) > target
    # targeting each variant's P(reach) stops earlier, and says the differences are wider
    assert main(["compare", *files, "--precision", str(target), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["precision"]["runs"] < n
    assert main(["compare", *files, "--precision", str(target)]) == 0
    err = capsys.readouterr().err
    assert "precision: target +/-0.6 points on P(reach) met after" in err
    assert "P(reach) difference (widest half-width" in err


def test_paired_differences_stop_on_the_paired_interval(tmp_path, capsys):
    for push, name in ((0.5, "a"), (0.6, "b")):
        make_scenario(tmp_path, STAGES, {"x": walker(push)}, horizon=8, decay=0, name=name)
    assert main(["compare", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--precision",
                 "0.003", "--precision-on", "diff", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["paired"] == {"b": True} and report["precision"]["reached"]
    assert report["precision"]["widest"]["diff"] <= 0.003
    assert main(["compare", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--precision",
                 "0.003", "--precision-on", "diff", "--json", "--jobs", "2"]) == 0
    again = json.loads(capsys.readouterr().out)  # the same stop and figures for any --jobs
    assert again["runs"] == report["runs"] and again["comparisons"] == report["comparisons"]


@pytest.mark.parametrize("argv, message", [
    (["run", "{s}", "--precision", "0.01", "--precision-on", "diff"],
     "ladder: error: --precision-on diff targets the differences between variants: use it "
     "with `ladder compare` (`ladder run` takes reach or final)"),
    (["run", "{s}", "--precision-on", "final"],
     "ladder: error: --precision-on final says what --precision targets; give --precision "
     "HALF_WIDTH too"),
    (["compare", "{s}", "{s}", "--precision-on", "diff"],
     "ladder: error: --precision-on diff says what --precision targets; give --precision "
     "HALF_WIDTH too"),
])
def test_meaningless_targets_are_refused(flip, capsys, argv, message):
    assert main([a.format(s=flip.path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.strip() == message and "Traceback" not in err


def test_library_refuses_diff_on_one_scenario(flip):
    with pytest.raises(sim.InputError, match="--precision-on diff targets the differences"):
        sim.run(flip, precision=0.01, precision_on="diff")
