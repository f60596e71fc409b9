"""Scores of monthly stage forecasts (`sim.analyses.scores`, `sim.analyses.outsample`)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analyses import outsample
from sim.analyses import scores as sc


def test_brier_log_and_rps_on_known_forecasts():
    y = np.array([0, 2])
    right = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    flat = np.full((2, 3), 1 / 3)
    assert sc.brier(right, y).tolist() == [0.0, 0.0]
    assert sc.brier(flat, y) == pytest.approx([2 / 3, 2 / 3])  # 1 - 1/K
    assert sc.log_score(flat, y) == pytest.approx([np.log(3)] * 2)
    assert sc.rps(right, y).tolist() == [0.0, 0.0]
    # a forecast one rung off costs less RPS than one two rungs off
    near, far = np.array([[0, 1.0, 0]]), np.array([[0, 0, 1.0]])
    assert sc.rps(near, np.array([0]))[0] == pytest.approx(0.5)
    assert sc.rps(far, np.array([0]))[0] == pytest.approx(1.0)


def test_mixing_keeps_a_missed_point_forecast_finite():
    point = np.array([[0, 0, 1.0]])
    mixed = sc.mix(point)
    assert mixed.sum() == pytest.approx(1.0)
    assert sc.log_score(mixed, np.array([0]))[0] == pytest.approx(-np.log(0.01 / 3))


def test_bands_cover_the_stages_between_their_quantiles():
    p = np.array([[0.1, 0.2, 0.4, 0.3]])
    assert [int(x[0]) for x in sc.stage_bands(p, 0.5)] == [1, 3]
    assert [int(x[0]) for x in sc.stage_bands(p, 0.95)] == [0, 3]
    cover = sc.stage_coverage(p, np.array([0]))
    assert cover["50"][0] == 0.0 and cover["95"][0] == 1.0


def test_month_resampled_interval_brackets_the_mean_and_is_reproducible():
    v = np.array([0.1, 0.5, 0.2, 0.9, 0.4])
    a, b = sc.mean_interval(v, seed=3), sc.mean_interval(v, seed=3)
    assert a == b and a["lo"] <= a["mean"] <= a["hi"] and a["months"] == 5
    same = sc.paired_difference([0.3, 0.3], [0.3, 0.3])
    assert same["mean"] == 0 and same["lo"] == 0 and same["hi"] == 0


def test_baselines_from_the_fit_window():
    fit = np.array([1, 1, np.nan, 2])
    b = outsample.baselines(fit, months=2, k=3)
    assert b["persistence"].tolist() == [[0, 0, 1.0]] * 2  # the last observed stage
    assert b["climatology"][0] == pytest.approx([0, 2 / 3, 1 / 3])
    assert b["uniform"][0] == pytest.approx([1 / 3] * 3)


def test_a_model_forecast_is_the_share_of_runs_per_stage():
    sim = np.array([[0, 1], [1, 1], [1, 2], [1, 2]])  # 4 runs x 2 months
    p = outsample.model_forecast(sim, 3)
    assert p.tolist() == [[0.25, 0.75, 0], [0, 0.5, 0.5]]


def test_the_verdict_says_where_the_model_loses():
    y = np.array([0.0, 0.0, 0.0, 0.0])
    rows = outsample.score_rows({"calibrated": np.tile([0.2, 0.8], (4, 1)),
                                 "persistence": np.tile([1.0, 0.0], (4, 1))}, y, seed=1)
    diffs = outsample.differences(rows, "calibrated", seed=1)
    text = outsample.verdict(rows, diffs, "calibrated")
    assert "against persistence: loses to it on brier, loses to it on log" in text
