"""Comparing variants: the statistics against reference values, the verdicts, the CLI, and
precision-driven runs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats as sps

import sim
from sim.analyses.compare import compare, from_folder, from_result, verdict
from sim.analyses.stats import (
    holm,
    logrank,
    mcnemar_p,
    newcombe_diff,
    newcombe_paired_diff,
    stuart_maxwell,
)
from sim.cli import main
from sim.engine.precision import half_width
from sim.engine.runner import Plan, run_many
from tests.helpers import make_scenario

STAGES = [{"id": "low", "name": "Low", "up": 1},
          {"id": "mid", "name": "Mid", "up": 2, "down": 0},
          {"id": "high", "name": "High", "absorbing": True}]


def walker(push: float) -> dict:
    """An actor that pushes tension up (+2) with weight `push`, else down (-1)."""
    return {"kind": "state",
            "actions": {"push": {"effect": 2}, "calm": {"effect": -1}},
            "policy": {"weights": {"push": push, "calm": 1}}}


def variant(tmp_path, push: float, name: str) -> sim.Scenario:
    return make_scenario(tmp_path, STAGES, {"x": walker(push)}, horizon=8, decay=0, name=name)


# -- statistics against published or independent reference values ---------------------------

def test_newcombe_interval_matches_newcombe_1998():
    # Newcombe (1998), Statistics in Medicine 17:873, method 10 on his examples.
    assert newcombe_diff(48, 80, 56, 70) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert newcombe_diff(3, 10, 9, 10) == pytest.approx((0.1705, 0.8090), abs=5e-5)


def test_paired_interval_covers_the_true_difference_95_percent_of_the_time():
    rng = np.random.default_rng(5)
    n, trials, hits = 300, 2000, 0
    # Correlated pairs: P(both) .3, P(only A) .1, P(only B) .15, P(neither) .45.
    true = 0.15 - 0.10
    for _ in range(trials):
        both, only_a, only_b, neither = rng.multinomial(n, [0.3, 0.1, 0.15, 0.45])
        lo, hi = newcombe_paired_diff(both, only_a, only_b, neither)
        hits += lo <= true <= hi
    assert 0.935 <= hits / trials <= 0.965


def test_paired_interval_is_narrower_than_the_independent_one_for_correlated_pairs():
    lo_p, hi_p = newcombe_paired_diff(400, 30, 60, 510)
    lo_i, hi_i = newcombe_diff(430, 1000, 460, 1000)
    assert lo_p <= 0.03 <= hi_p
    assert hi_p - lo_p < 0.6 * (hi_i - lo_i)


def test_mcnemar_and_stuart_maxwell_agree_on_two_categories():
    a = np.array([0] * 30 + [1] * 10 + [0] * 25 + [1] * 35)
    b = np.array([0] * 30 + [0] * 10 + [1] * 25 + [1] * 35)  # discordant: 10 vs 25
    res = stuart_maxwell(a, b, 2)
    assert res["chi2"] == pytest.approx((25 - 10) ** 2 / 35)
    assert res["dof"] == 1
    assert res["p"] == pytest.approx(sps.chi2.sf((25 - 10) ** 2 / 35, 1))
    assert mcnemar_p(10, 25) == pytest.approx(sps.binomtest(25, 35).pvalue)


def test_logrank_matches_scipy():
    rng = np.random.default_rng(2)
    horizon = 30
    ta = rng.geometric(0.05, 400)
    tb = rng.geometric(0.08, 300)
    ea = np.bincount(ta[ta <= horizon], minlength=horizon + 1)
    eb = np.bincount(tb[tb <= horizon], minlength=horizon + 1)
    ours = logrank(ea, eb, 400, 300)
    data_a = sps.CensoredData(uncensored=ta[ta <= horizon],
                              right=np.full((ta > horizon).sum(), horizon + 0.5))
    data_b = sps.CensoredData(uncensored=tb[tb <= horizon],
                              right=np.full((tb > horizon).sum(), horizon + 0.5))
    ref = sps.logrank(data_a, data_b)
    assert ours["chi2"] == pytest.approx(ref.statistic**2, rel=1e-9)
    assert ours["p"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert ours["hazard_ratio"] > 1  # B's hazard is higher


def test_holm_by_hand():
    # sorted: .01*4 = .04, .03*3 = .09, .04*2 = .08 -> .09 (monotone), .5*1
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])


# -- comparisons -----------------------------------------------------------------------------

def outcomes(scenarios, seeds, runs=20000):
    results = run_many(scenarios, seeds, Plan(runs), keep_runs=True)
    return [from_result(r, r.scenario.id) for r in results]


def test_identical_scenarios_paired_differ_by_exactly_nothing(tmp_path):
    a, b = variant(tmp_path, 1, "a"), variant(tmp_path, 1, "b")
    report = compare(outcomes([a, b], [3, 3]))
    assert report["paired"] == {"b": True}
    for c in report["comparisons"]:
        assert c["p_adjusted"] == 1.0
        if "diff" in c:
            assert c["diff"] == 0 and c["lo"] <= 0 <= c["hi"]
    assert all("no clear difference" in v for v in report["verdicts"])


def test_identical_scenarios_independent_seeds_are_judged_not_different(tmp_path):
    a, b = variant(tmp_path, 1, "a"), variant(tmp_path, 1, "b")
    report = compare(outcomes([a, b], [1, 2]))
    assert report["paired"] == {"b": False}
    reach = [c for c in report["comparisons"] if c["metric"].startswith("reach:")]
    assert reach
    for c in reach:
        assert c["p"] > 0.05, c
        assert c["lo"] < 0 < c["hi"]
        assert c["test"].startswith("two-proportion z-test")
    assert report["final_distribution"]["test"] == "Pearson chi-square test of homogeneity"
    assert report["final_distribution"]["p"] > 0.05


def test_known_shift_is_found_with_the_right_sign(tmp_path):
    a, b = variant(tmp_path, 1, "base"), variant(tmp_path, 2, "pushier")
    report = compare(outcomes([a, b], [9, 9]))
    high = next(c for c in report["comparisons"] if c["metric"] == "reach:high")
    assert high["pb"] > high["pa"] and 0 < high["lo"] < high["diff"] < high["hi"]
    assert high["p_adjusted"] < 1e-6
    assert high["test"].startswith("McNemar")
    line = verdict(high)
    assert line.startswith(f"pushier raises P(reach high) by {100 * high['diff']:.1f} points")
    assert "p < 0.001" in line
    final = report["final_distribution"]
    assert final["test"].startswith("Stuart-Maxwell") and final["p"] < 1e-6
    time = next(c for c in report["comparisons"] if c["metric"] == "time:high")
    assert time["effect"]["hazard_ratio"] > 1 and time["p"] < 1e-6


def test_compare_needs_the_same_ladder(tmp_path):
    a = variant(tmp_path, 1, "a")
    short = [STAGES[0], {"id": "mid", "name": "Mid", "absorbing": True}]
    other = make_scenario(tmp_path, short, {"x": walker(1)}, name="short")
    with pytest.raises(sim.InputError, match="stages .* differ"):
        compare(outcomes([a, other], [1, 1], runs=100))


# -- the command line --------------------------------------------------------------------------

def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_compare_json_contract(tmp_path, capsys):
    variant(tmp_path, 1, "base"), variant(tmp_path, 2, "pushier")
    code, out, err = cli(capsys, "compare", tmp_path / "base.yaml", tmp_path / "pushier.yaml",
                         "--runs", 20000, "--seed", 7, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["scenarios"] == ["base", "pushier"]
    assert report["runs"] == {"base": 20000, "pushier": 20000}
    assert report["seed"] == 7
    keys = {"metric", "a", "b", "pa", "pb", "diff", "lo", "hi", "p", "p_adjusted", "test"}
    reach = [c for c in report["comparisons"] if c["metric"].startswith("reach:")]
    assert reach and all(keys <= set(c) for c in reach)
    assert {"chi2", "dof", "p"} <= set(report["final_distribution"])
    assert report["provenance"]["version"] == sim.__version__


def test_cli_compare_table_and_common_random_numbers(tmp_path, capsys):
    variant(tmp_path, 1, "base"), variant(tmp_path, 2, "pushier")
    code, out, _ = cli(capsys, "compare", tmp_path / "base.yaml", tmp_path / "pushier.yaml",
                       "--runs", 10000)
    assert code == 0
    assert out.startswith(f"A = base ({tmp_path / 'base.yaml'}): 10,000 runs")
    assert "common random numbers" in out
    assert "pushier raises P(reach high) by" in out
    assert "not forecasts" in out


def test_cli_compare_reads_results_folders(tmp_path, capsys):
    variant(tmp_path, 1, "base"), variant(tmp_path, 2, "pushier")
    out_dir = tmp_path / "res"
    assert cli(capsys, "run", tmp_path / "base.yaml", "--runs", 12000, "--seed", 5,
               "--out", out_dir)[0] == 0
    code, out, err = cli(capsys, "compare", out_dir, tmp_path / "pushier.yaml", "--json")
    assert code == 0, err
    from_disk = json.loads(out)
    code, out, _ = cli(capsys, "compare", tmp_path / "base.yaml", tmp_path / "pushier.yaml",
                       "--runs", 12000, "--seed", 5, "--json")
    fresh = json.loads(out)
    assert from_disk["runs"] == {"base": 12000, "pushier": 12000}  # runs and seed from folder
    assert from_disk["paired"] == {"pushier": True}
    assert from_disk["comparisons"] == fresh["comparisons"]


def test_cli_compare_errors(tmp_path, capsys):
    variant(tmp_path, 1, "base")
    code, _, err = cli(capsys, "compare", tmp_path / "base.yaml")
    assert code == 2 and "at least two" in err
    (tmp_path / "empty").mkdir()
    code, _, err = cli(capsys, "compare", tmp_path / "empty", tmp_path / "base.yaml")
    assert code == 2 and "not a results folder (no manifest.json" in err
    code, _, err = cli(capsys, "compare", tmp_path / "base.yaml", tmp_path / "base.yaml",
                       "--max-runs", 5)
    assert code == 2 and "--max-runs caps --precision" in err


def test_from_folder_reads_back_what_run_wrote(tmp_path, capsys, monkeypatch):
    sc = variant(tmp_path, 1, "base")
    cli(capsys, "run", tmp_path / "base.yaml", "--runs", 300, "--seed", 2, "--out",
        tmp_path / "r")
    back = from_folder(tmp_path / "r")
    fresh = from_result(sim.run(sc, runs=300, seed=2), "x")
    for name in ("peak", "final", "first", "absorbed"):
        assert np.array_equal(getattr(back, name), getattr(fresh, name)), name
    assert back.structure == fresh.structure
    monkeypatch.setattr("sim.analyses.compare.has_parquet", lambda: False)  # read runs.csv
    from_csv = from_folder(tmp_path / "r")
    for name in ("peak", "final", "first", "absorbed"):
        assert np.array_equal(getattr(from_csv, name), getattr(fresh, name)), name


def test_runs_parquet_holds_the_same_table_as_runs_csv(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    variant(tmp_path, 1, "base")
    cli(capsys, "run", tmp_path / "base.yaml", "--runs", 300, "--out", tmp_path / "r")
    import pandas as pd

    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "r" / "runs.parquet"),
                                  pd.read_csv(tmp_path / "r" / "runs.csv"), check_dtype=False,
                                  check_categorical=False)  # parquet keeps the stage dtype


# -- precision-driven runs ---------------------------------------------------------------------

def test_precision_stops_at_the_first_chunk_that_meets_the_target(tmp_path):
    sc = variant(tmp_path, 1, "base")
    target = 0.006
    result = sim.run(sc, seed=1, precision=target, keep_runs=False)
    prec = result.summary["precision"]
    n = result.summary["runs"]
    assert prec["reached"] and prec["widest_half_width"] <= target
    assert n % 10_000 == 0 and n > 10_000
    fewer = sim.run(sc, runs=n - 10_000, seed=1, keep_runs=False)
    assert half_width(fewer.totals) > target  # one chunk fewer would not have done
    again = sim.run(sc, seed=1, precision=target, keep_runs=False, jobs=2)
    assert again.summary["runs"] == n
    assert again.summary["reach"] == result.summary["reach"]


def test_precision_cap_is_reported(tmp_path, capsys):
    variant(tmp_path, 1, "base")
    code, out, err = cli(capsys, "run", tmp_path / "base.yaml", "--precision", 0.001,
                         "--max-runs", 20000)
    assert code == 0
    assert "NOT met: stopped at 20,000 runs" in err


def test_precision_on_compare_runs_variants_in_lockstep(tmp_path, capsys):
    variant(tmp_path, 1, "base"), variant(tmp_path, 3, "pushier")
    code, out, err = cli(capsys, "compare", tmp_path / "base.yaml", tmp_path / "pushier.yaml",
                         "--precision", 0.006, "--json")
    assert code == 0, err
    report = json.loads(out)
    n = report["precision"]["runs"]
    assert report["runs"] == {"base": n, "pushier": n}
    assert report["precision"]["reached"] and n % 10_000 == 0
    assert report["precision"]["widest_half_width"] <= 0.006
