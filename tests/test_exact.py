"""Exact analysis of Markov scenarios, and the Monte Carlo engine proven against it.

Three kinds of test:

1. The exact code against closed forms: the gambler's ruin (absorption probability and
   expected duration, Feller 1968 ch. XIV) and a hand-built transition matrix.
2. The Monte Carlo engine against the exact code: for each Markov scenario, every P(reach)
   and P(final) of 200,000 runs lies within 4 standard errors sqrt(p(1-p)/n) of the exact p
   (and equals it exactly when p is 0 or 1); for the time-varying example, every step's
   occupancy and incidence too (within 5 standard errors: there are hundreds of them).
   These keep `sim.analyses.chain` (the second formulation of one step) and
   `sim.engine.model` from drifting.
3. Detection: every feature that makes a scenario non-Markov is reported with its field path,
   all at once; and the `ladder exact` command.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest

import sim
from sim.analyses.chain import NotAnalysable
from sim.analyses.exact import analyse, exact_table, problems
from sim.analyses.markov import plan
from sim.cli import main
from sim.format.expr import Symbols, compile_condition
from sim.format.ladder import Edge
from tests.helpers import ROOT, make_scenario, one_action

EXAMPLES = ROOT / "scenarios" / "examples"
RUNS = 200_000


def example(name: str, **overrides) -> sim.Scenario:
    return sim.load_scenario(EXAMPLES / f"{name}.yaml", overrides or None)


def agreement(scenario: sim.Scenario, seed: int, runs: int = RUNS, curves: bool = False
              ) -> float:
    """Run the engine and check it against the exact values; return the largest |z|."""
    exact = analyse(scenario)
    mc = sim.run(scenario, runs=runs, seed=seed, keep_runs=False)
    pairs = [(f"{key} {stage}", p, mc.summary[key][stage]["p"], 4.0)
             for key, values in (("reach", exact.reach), ("final", exact.final))
             for stage, p in values.items()]
    pairs.append(("absorbed", exact.absorbed, mc.summary["absorbed"]["p"], 4.0))
    if curves:
        for name, frame in (("occupancy", exact.occupancy), ("incidence", exact.incidence)):
            mc_frame = getattr(mc, name)
            pairs += [(f"{name} {stage} step {t}", frame.at[t, stage], mc_frame.at[t, stage], 5.0)
                      for t in frame.index for stage in frame.columns]
    worst = 0.0
    for what, p, estimate, limit in pairs:
        count = round(estimate * runs)
        if p < 1e-12 or p > 1 - 1e-12:
            assert count == round(p) * runs, f"{scenario.id}: {what}: exact {p}, {count} runs"
            continue
        z = (count / runs - p) / math.sqrt(p * (1 - p) / runs)
        assert abs(z) < limit, f"{scenario.id}: {what}: exact {p:.6f}, MC {estimate:.6f}, z {z:.2f}"
        worst = max(worst, abs(z))
    return worst


# -- 1. closed forms ------------------------------------------------------------------------

def ruin(p: float, q: float, i: int, n: int) -> tuple[float, float]:
    """Gambler's ruin with steps up (p), down (q), stay (1 - p - q), from i, ends 0 and n:
    P(ending at 0) and the expected number of steps (Feller 1968, XIV.2-3)."""
    if p == q:
        return (n - i) / n, i * (n - i) / (p + q)
    rho = q / p
    ends_at_0 = (rho ** i - rho ** n) / (1 - rho ** n)
    return ends_at_0, (i - n * (1 - rho ** i) / (1 - rho ** n)) / (q - p)


def walk_matrix(p: float, q: float, n: int = 5) -> np.ndarray:
    """The lazy walk on 0..n with absorbing ends, built by hand."""
    P = np.zeros((n + 1, n + 1))
    P[0, 0] = P[n, n] = 1.0
    for i in range(1, n):
        P[i, i + 1], P[i, i - 1], P[i, i] = p, q, 1 - p - q
    return P


@pytest.mark.parametrize("up, down, quiet", [(4, 5, 1), (5, 4, 1), (1, 1, 0), (2, 7, 1),
                                             (3, 3, 4)])
def test_gamblers_ruin_closed_form(up, down, quiet):
    weights = {"actors.events_on_the_ground.policy.weights.escalate": up,
               "actors.events_on_the_ground.policy.weights.de_escalate": down,
               "actors.events_on_the_ground.policy.weights.quiet": quiet}
    result = analyse(example("gamblers-ruin", **weights))
    total = up + down + quiet
    settle, steps = ruin(up / total, down / total, i=2, n=5)
    assert result.certain
    assert result.eventual["settlement"] == pytest.approx(settle, rel=1e-12, abs=1e-14)
    assert result.eventual["war"] == pytest.approx(1 - settle, rel=1e-12, abs=1e-14)
    assert result.expected_steps == pytest.approx(steps, rel=1e-12)


def test_gamblers_ruin_by_hand_built_matrix():
    """Occupancy at every step, P(reach) and the fundamental matrix, from a 6x6 matrix."""
    result = analyse(example("gamblers-ruin"))
    P = walk_matrix(0.4, 0.5)
    x = np.eye(6)[2]
    for t in range(31):
        np.testing.assert_allclose(result.occupancy.iloc[t], x, rtol=0, atol=1e-14)
        x = x @ P
    for level in (3, 4, 5):  # P(reach) by step 30: stages >= level made absorbing
        killed = P.copy()
        killed[level:] = np.eye(6)[level:]
        reach = np.linalg.matrix_power(killed, 30)[2, level:].sum()
        assert result.reach[result.occupancy.columns[level]] == pytest.approx(reach, abs=1e-14)
    N = np.linalg.inv(np.eye(4) - P[1:5, 1:5])  # the fundamental matrix
    assert result.expected_steps == pytest.approx(N[1].sum(), rel=1e-13)
    assert result.eventual["settlement"] == pytest.approx((N @ P[1:5, 0])[1], rel=1e-13)


def test_expected_steps_with_a_finite_horizon_need_not_be_reached():
    result = analyse(example("gamblers-ruin", **{"clock.horizon": 3}))
    assert result.absorbed < 0.6
    assert result.expected_steps == pytest.approx(ruin(0.4, 0.5, 2, 5)[1], rel=1e-12)


def test_absorption_not_certain_when_a_closed_class_can_trap_runs(tmp_path):
    stages = [{"id": "trap", "name": "Trap"}, {"id": "mid", "name": "Mid"},
              {"id": "end", "name": "End", "absorbing": True}]
    actors = {"x": {"kind": "state", "actions": {"fall": {"trigger": "trap"},
                                                 "rise": {"trigger": "end"}, "wait": {}},
                    "policy": {"weights": {"fall": 1, "rise": 1, "wait": 2}}}}
    result = analyse(make_scenario(tmp_path, stages, actors, start="mid", horizon=5))
    assert not result.certain and result.expected_steps is None
    assert result.eventual == {"end": pytest.approx(0.5, rel=1e-12)}
    assert "never absorbed" in exact_table(result)
    no_end = make_scenario(tmp_path, stages[:2], {"x": one_action()}, start="mid", name="n")
    assert analyse(no_end).eventual == {} and not analyse(no_end).certain


# -- 2. the Monte Carlo engine against the exact values ---------------------------------------

def test_engine_agrees_on_the_gamblers_ruin():
    assert agreement(example("gamblers-ruin"), seed=11) < 4


def test_engine_agrees_on_a_crisis_with_population_triggers_dwell_and_a_jump():
    assert agreement(example("markov-crisis"), seed=12) < 4


def test_engine_agrees_step_by_step_with_events_step_conditions_and_discrete_draws():
    assert agreement(example("scheduled-talks"), seed=13, curves=True) < 5


TIES = [  # up thresholds only (no hysteresis), a guarded jump, triggers that tie
    {"id": "low", "name": "Low", "up": 1},
    {"id": "mid", "name": "Mid", "up": 2},
    {"id": "high", "name": "High", "up": 3},
    {"id": "top", "name": "Top"},
    {"id": "end", "name": "End", "absorbing": True},
]


def test_engine_agrees_on_trigger_ties_guards_and_actors_that_fall_silent(tmp_path):
    edges = [{"from": "low", "to": "mid", "guard": "step >= 3"},
             {"from": "mid", "to": "end", "guard": "tension >= 1.5"}]
    actors = {
        "a": {"kind": "state", "actions": {"up": {"effect": 1, "trigger": "high"},
                                           "jump": {"effect": 0.5, "trigger": "end"},
                                           "calm": {"effect": -0.5}},
              "policy": {"weights": {"up": 1, "jump": 1, "calm": 3}}},
        "b": {"kind": "state", "actions": {"down": {"trigger": "low", "effect": 1},
                                           "push": {"effect": 1.5}},
              "policy": {"weights": {"down": 1, "push": 1},
                         "modifiers": [{"when": "stage == mid and step >= 4",
                                        "scale": {"down": 0, "push": 0}}]}},
    }
    events = [{"name": "a goes quiet at high", "at": 5,
               "set": {"actors.a.policy.stages.high.up": 0, "actors.a.policy.stages.high.jump":
                       0, "actors.a.policy.stages.high.calm": 0}}]
    sc = make_scenario(tmp_path, TIES, actors, edges=edges, events=events, horizon=8, decay=0)
    assert agreement(sc, seed=14) < 4


def test_engine_agrees_on_float_ties_dwell_with_a_blocked_down_and_event_moves(tmp_path):
    """Effects such as 0.1 + 0.2 land on a threshold of 0.3 only up to rounding: the exact
    analysis adds them as the engine does (float64, actor order), so they agree exactly."""
    stages = [{"id": "a", "name": "A", "up": 0.3},
              {"id": "b", "name": "B", "up": 0.6, "down": 0.2, "dwell": 2},
              {"id": "c", "name": "C", "up": 0.9, "down": 0.3, "dwell": 3},
              {"id": "d", "name": "D", "absorbing": True}]
    edges = [{"from": "c", "to": "b", "guard": "step != 6 and step != 7"}]
    actors = {"x": {"kind": "state", "actions": {"p": {"effect": 0.1}, "q": {"effect": 0.7}},
                    "policy": {"weights": {"p": 3, "q": 1}}},
              "y": {"kind": "state", "actions": {"p": {"effect": 0.2}, "q": {"effect": -0.4}},
                    "policy": {"weights": {"p": 1, "q": 1}}},
              "crowd": {"kind": "population", "count": {"choice": [2, 3]},
                        "actions": {"r": {"effect": 0.1}, "s": {"effect": -0.3},
                                    "t": {"effect": 0}},
                        "policy": {"weights": {"r": 1, "s": 1, "t": 2},
                                   "stages": {"c": {"r": 2}}}}}
    events = [{"name": "reset", "at": 4, "stage": "b"}, {"name": "end", "at": 11, "stage": "d"}]
    sc = make_scenario(tmp_path, stages, actors, edges=edges, events=events, horizon=12,
                       decay=0)
    assert analyse(sc).final["d"] == pytest.approx(1, abs=1e-12)  # the last event ends all
    assert agreement(sc, seed=15, curves=True) < 5  # so compare every step


def test_float_sums_compare_with_thresholds_as_in_the_engine(tmp_path):
    # 0.1 + 0.2 = 0.30000000000000004 >= 0.3, but 0.7 + (-0.4) = 0.29999999999999993 < 0.3
    stages = [{"id": "a", "name": "A", "up": 0.3}, {"id": "b", "name": "B"}]
    for name, (e1, e2), moved in (("above", (0.1, 0.2), 1.0), ("below", (0.7, -0.4), 0.0)):
        actors = {"x": one_action(e1), "y": one_action(e2)}
        sc = make_scenario(tmp_path, stages, actors, horizon=1, decay=0, name=name)
        assert analyse(sc).final["b"] == moved
        assert sim.run(sc, runs=10, seed=1).summary["final"]["b"]["p"] == moved


# -- 3. detection --------------------------------------------------------------------------

THREE = [{"id": "a", "name": "A", "up": 1}, {"id": "b", "name": "B", "up": 2, "down": 0},
         {"id": "c", "name": "C", "absorbing": True}]


def reasons(scenario: sim.Scenario) -> list[str]:
    return [f"{p.field}: {p.message}" for p in problems(scenario)]


def test_markov_scenarios_have_no_reasons():
    for name in ("gamblers-ruin", "markov-crisis", "scheduled-talks"):
        assert problems(example(name)) == []


def test_decay_carries_tension(tmp_path):
    sc = make_scenario(tmp_path, THREE, {"x": one_action(1.0)}, decay=0.9)
    (reason,) = reasons(sc)
    assert reason.startswith("tension.decay: 0.9 carries tension from one step to the next; "
                             "exact analysis needs decay 0")


def test_uncertain_decay_is_one_reason(tmp_path):
    sc = make_scenario(tmp_path, THREE, {"x": one_action(1.0)}, decay={"beta": [9, 1]})
    (reason,) = reasons(sc)
    assert reason.startswith("tension.decay: uncertain number (beta) carries tension")


def test_a_chain_that_changes_too_late_is_refused(tmp_path):
    actors = {"x": {**one_action(1.0), "policy": {"weights": {"act": 1}, "modifiers": [
        {"when": "step >= 1000000", "scale": {"act": 2}}]}}}
    sc = make_scenario(tmp_path, THREE, actors, decay=0)
    (reason,) = reasons(sc)
    assert reason.startswith(": the chain changes at step 1e+06")


def test_decay_does_not_matter_when_nothing_reads_tension(tmp_path):
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B", "absorbing": True}]
    actors = {"x": {"kind": "state", "actions": {"go": {"trigger": "b",
                                                        "effect": {"uniform": [0, 1]}},
                                                 "stay": {"effect": 1}},
                    "policy": {"weights": {"go": 1, "stay": 3}}}}
    sc = make_scenario(tmp_path, stages, actors, decay=0.9, horizon=4)
    assert problems(sc) == []
    assert analyse(sc).final["b"] == pytest.approx(1 - 0.75 ** 4, rel=1e-14)


def test_modifiers_on_last_actions_or_tension_are_history(tmp_path):
    actors = {"x": {**one_action(1.0), "policy": {"weights": {"act": 1}, "modifiers": [
                  {"when": "y.last == act", "scale": {"act": 2}},
                  {"when": "tension > 1 and stage == b", "scale": {"act": 2}},
                  {"when": "stage == b and step >= 3", "scale": {"act": 2}}]}},
              "y": one_action()}
    sc = make_scenario(tmp_path, THREE, actors, decay=0)
    assert reasons(sc) == [
        "actors.x.policy.modifiers[0].when: depends on history (y.last, the action chosen in "
        "the previous step); exact analysis allows modifiers on stage and step only",
        "actors.x.policy.modifiers[1].when: depends on tension, which carries the previous "
        "step's effects (history); exact analysis allows modifiers on stage and step only"]


def test_conditional_events_continuous_draws_and_decay_events_all_reported(tmp_path):
    actors = {"x": one_action({"uniform": [0.5, 1.5]})}
    events = [{"name": "e0", "at": 2, "set": {"tension.decay": 0.5}},
              {"name": "e1", "when": "stage == b", "tension": {"add": 1}}]
    sc = make_scenario(tmp_path, THREE, actors, events=events, decay=0)
    assert [r.split(":")[0] for r in reasons(sc)] == [
        "actors.x.actions.act.effect", "events[0].set.tension.decay", "events[1].when"]
    text = "\n".join(reasons(sc))
    assert "uncertain number (uniform) drawn from a continuous range" in text
    assert "events[1].when: conditional event" in text
    with pytest.raises(NotAnalysable) as err:
        analyse(sc)
    assert len(err.value.problems) == 4  # three reasons and a closing line
    assert err.value.problems[-1].message.startswith("not exactly analysable (3 reasons above")


def test_discrete_draws_make_a_mixture_and_too_many_are_refused(tmp_path):
    actors = {"crowd": {"kind": "population", "count": {"uniform": [1, 4]},
                        "actions": {"r": {"effect": 1}, "s": {"effect": -1}},
                        "policy": {"weights": {"r": 1, "s": {"choice": [1, 2, 3]}}}}}
    sc = make_scenario(tmp_path, THREE, actors, decay=0)
    assert [d.path for d in plan(sc).draws] == ["actors.crowd.count",
                                                "actors.crowd.policy.weights.s"]
    assert analyse(sc).components == 12
    big = {"crowd": {**actors["crowd"], "count": {"uniform": [1, 200]}}}
    sc = make_scenario(tmp_path, THREE, big, decay=0, name="big")
    (reason,) = reasons(sc)
    assert "make 600 combinations, more than the 500" in reason


def test_ladder_problems_name_the_ladder_file(tmp_path):
    edges = [{"from": "b", "to": "c", "guard": "step > tension"}]
    sc = make_scenario(tmp_path, THREE, {"x": one_action(1.0)}, edges=edges, decay=0)
    found = problems(sc)
    assert {p.file for p in found} == {sc.ladder.path}
    assert [p.field for p in found] == ["edges[0].guard"]
    assert found[0].message.startswith("compares step with tension")


def test_a_guard_on_last_actions_is_refused(tmp_path):
    # Ladder files cannot name actors; a ladder built in Python can.
    sc = make_scenario(tmp_path, THREE, {"x": one_action(1.0)}, decay=0)
    guard = compile_condition("x.last == act", Symbols.of(sc.ladder.stage_ids, {"x": ["act"]}))
    edge = Edge("a", "b", False, guard)
    sc = dataclasses.replace(sc, ladder=dataclasses.replace(sc.ladder, edges=(edge,)))
    assert reasons(sc) == ["edges[0].guard: reads x.last, which a guard sees as this step's "
                           "choice; exact analysis does not support it"]


def test_the_bundled_scenario_is_not_analysable_and_says_why():
    found = problems(sim.load_scenario(ROOT / "scenarios" / "belarus-poland-2024-tension.yaml"))
    lines = [str(p) for p in found]
    assert re.match(r".*belarus-poland-2024-tension\.yaml:\d+: tension\.decay: 0\.9 "
                    r"carries tension",
                    lines[0])
    fields = {p.field for p in found}
    assert {"tension.decay", "actors.minsk.policy.modifiers[0].when", "events[4].when",
            "actors.minsk.actions.push_migrants.effect"} <= fields
    assert "actors.migrant_groups.count" not in fields  # integer uniform: a discrete mixture
    assert all(p.line for p in found)


# -- the command -----------------------------------------------------------------------------

def test_cli_exact_text(capsys):
    code = main(["exact", str(EXAMPLES / "gamblers-ruin.yaml")])
    out = capsys.readouterr().out
    assert code == 0
    assert "gamblers-ruin on ladder examples-walk: exact analysis, horizon 30 days" in out
    assert re.search(r"^war\s+27\.2954%\s+27\.2954%", out, re.M)
    assert "expected steps to absorption 6.2922" in out
    assert "Exact values of the stated model" in out and "not forecasts" in out


def test_cli_exact_json_has_the_keys_of_run(capsys):
    path = str(EXAMPLES / "markov-crisis.yaml")
    assert main(["exact", path, "--json", "--horizon", "30",
                 "--set", "actors.capital.policy.weights.provoke=1"]) == 0
    exact = json.loads(capsys.readouterr().out)
    assert main(["run", path, "--json", "--runs", "200", "--horizon", "30"]) == 0
    run = json.loads(capsys.readouterr().out)
    for key in ("scenario", "ladder", "horizon", "step", "stages", "reach", "final", "time_to",
                "absorbed"):
        assert key in exact
    assert set(exact["reach"]) == set(run["reach"]) and set(exact["final"]) == set(run["final"])
    assert isinstance(exact["reach"]["incident"], float) and exact["horizon"] == 30
    assert exact["expected_steps"] > 0 and exact["eventual"]["certain"] is True
    assert exact["provenance"]["overrides"] == ["actors.capital.policy.weights.provoke=1",
                                                "clock.horizon=30"]
    assert len(exact["provenance"]["scenario_sha256"]) == 64


def test_cli_exact_exits_2_with_every_reason(capsys):
    code = main(["exact", str(ROOT / "scenarios" / "belarus-poland-2024-tension.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) >= 5
    assert all(re.match(r".*belarus-poland-2024-tension\.yaml(:\d+)?: ", line) for line in lines)
    assert "events[4].when: conditional event" in err
    assert lines[-1].endswith("`ladder run` simulates any scenario")


def test_docs_show_the_current_output(capsys):
    """docs/exact.md quotes `ladder exact` on the gambler's ruin: it must stay true."""
    doc = (ROOT / "docs" / "exact.md").read_text(encoding="utf-8")
    block = re.search(r"\$ ladder exact scenarios/examples/gamblers-ruin\.yaml\n(.*?)```", doc,
                      re.S).group(1)
    main(["exact", str(EXAMPLES / "gamblers-ruin.yaml")])
    out = capsys.readouterr().out
    assert block.splitlines()[:-1] == out.splitlines()[:-1]  # all but the timing line


def test_reasons_for_a_variant_point_into_the_file_that_gives_the_field(tmp_path):
    text = (ROOT / "scenarios" / "examples" / "markov-crisis.yaml").read_text()
    base = tmp_path / "base.yaml"
    base.write_text(text.replace("  decay: 0\n", "  decay: 0.5\n"))
    (tmp_path / "ladders").symlink_to(ROOT / "ladders")
    variant = tmp_path / "variant.yaml"
    variant.write_text("id: variant\ntitle: Variant\ndescription: a longer run\n"
                       "sources: [test]\nextends: base.yaml\n\nclock:\n  horizon: 90\n")
    decay = next(p for p in problems(sim.load_scenario(variant)) if p.field == "tension.decay")
    lines = base.read_text().splitlines()
    assert decay.file == str(base)
    assert lines[decay.line - 1].strip() == "decay: 0.5"


def test_a_step_test_inside_a_comparison_changes_the_chain(tmp_path):
    """`(step >= 5) == true` tests step: the chain must change at step 5 (it used to be
    missed, and exact kept the step-1 matrix to the horizon)."""
    actor = {"kind": "state", "actions": {"go": {"trigger": "war"}, "wait": None},
             "policy": {"weights": {"go": 0.01, "wait": 1},
                        "modifiers": [{"when": "(step >= 5) == true", "scale": {"go": 50}}]}}
    s = make_scenario(tmp_path, [{"id": "calm", "name": "Calm"},
                                 {"id": "war", "name": "War", "absorbing": True}],
                      {"red": actor}, horizon=10, decay=0.0)
    quiet = (1 / 1.01) ** 4 * (1 - 0.5 / 1.5) ** 6  # steps 1-4 at 0.01/1.01, then 0.5/1.5
    assert analyse(s).reach["war"] == pytest.approx(1 - quiet, abs=1e-12)
