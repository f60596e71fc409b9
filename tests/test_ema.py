"""`sim.ema`: a scenario as an EMA Workbench model. A small experiment runs under EMA's
SequentialEvaluator and each experiment's outcome is exactly `sim.run`'s with the same
overrides and seed; bad paths, ranges and outcomes fail when the model is built, naming them;
without ema_workbench the adapter says which extra to install; the five-line wrapper of
docs/python.md runs as written."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import sim
from sim.errors import InputError, ValidationError
from tests.helpers import ROOT

SCENARIO = str(ROOT / "scenarios" / "belarus-poland-2024-tension.yaml")
DECAY, COUNT = "tension.decay", "actors.migrant_groups.count"
OUTCOMES = ["reach:use_of_force", "final:peacetime", "absorbed"]


@pytest.fixture
def ema():
    return pytest.importorskip("ema_workbench")


def test_a_small_experiment_is_sim_run_at_each_point(ema):
    m = sim.ema.model(SCENARIO, uncertainties={DECAY: (0.85, 0.95), COUNT: (20, 60)},
                      outcomes=OUTCOMES, runs=200)
    assert m.name == "belaruspoland2024tension"
    kinds = {u.name: type(u).__name__ for u in m.uncertainties}
    assert kinds == {"tension_decay": "RealParameter",
                     "actors_migrant_groups_count": "IntegerParameter"}
    with ema.SequentialEvaluator(m) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=4)
    assert sorted(outcomes) == ["absorbed", "final_peacetime", "reach_use_of_force"]
    for values in outcomes.values():
        assert values.shape == (4,) and ((0 <= values) & (values <= 1)).all()
    counts = experiments["actors_migrant_groups_count"]
    assert all(float(c).is_integer() and 20 <= c <= 60 for c in counts)
    # the busiest experiment, so the comparison is not of zeros
    i = int(np.argmax(outcomes["reach_use_of_force"]))
    row = experiments.iloc[i]
    scenario = sim.load_scenario(SCENARIO, {DECAY: float(row["tension_decay"]),
                                            COUNT: int(row["actors_migrant_groups_count"])})
    summary = sim.run(scenario, runs=200, seed=scenario.seed).summary
    assert outcomes["reach_use_of_force"][i] == summary["reach"]["use_of_force"]["p"]
    assert outcomes["final_peacetime"][i] == summary["final"]["peacetime"]["p"]
    assert outcomes["absorbed"][i] == summary["absorbed"]["p"]


def test_a_loaded_scenario_keeps_its_overrides_and_every_experiment_one_seed(ema):
    loaded = sim.load_scenario(SCENARIO, {"clock.horizon": 30})
    m = sim.ema.model(loaded, {DECAY: (0.85, 0.95)}, outcomes="reach:mp_crisis", runs=100,
                      seed=3, name="short")
    got = m.function(tension_decay=0.9)
    want = sim.run(sim.load_scenario(SCENARIO, {"clock.horizon": 30, DECAY: 0.9}), runs=100,
                   seed=3).summary["reach"]["mp_crisis"]["p"]
    assert got == {"reach_mp_crisis": want}
    assert m.function(tension_decay=0.9) == got  # common random numbers
    with pytest.raises(InputError, match="also an override of the loaded scenario"):
        sim.ema.model(loaded, {"clock.horizon": (10, 20)})
    with pytest.raises(InputError, match=r"unknown uncertainty decay \(this model has: "
                                         r"tension_decay\)"):
        m.function(decay=0.9)


@pytest.mark.parametrize("uncertainties, outcomes, error, message", [
    ({"tension.dacay": (0.8, 0.9)}, None, ValidationError,
     r"uncertainty tension\.dacay: no key 'dacay' in tension; did you mean 'decay'\?"),
    ({DECAY: (0.5, 1.5)}, None, ValidationError,
     r"outside the allowed range \[0, 1\] \(with uncertainty tension\.decay=0\.5:1\.5 at its "
     "HIGH end"),
    ({DECAY: (0.9, 0.8)}, None, InputError, r"uncertainty tension\.decay: LOW \(0\.9\) must "
     r"be below HIGH \(0\.8\)"),
    ({COUNT: (20.5, 60)}, None, InputError, "a whole-number field"),
    ({DECAY: 0.9}, None, InputError, r"expected \(low, high\), two numbers, got 0\.9"),
    ({}, None, InputError, "needs uncertainties"),
    ({DECAY: (0.8, 0.9)}, ["reach:use_of_forse"], InputError,
     "outcome reach:use_of_forse: unknown stage 'use_of_forse'; did you mean 'use_of_force'"),
    ({DECAY: (0.8, 0.9)}, ["peak:use_of_force"], InputError,
     "outcome 'peak:use_of_force': expected reach:<stage>, final:<stage> or absorbed"),
    ({DECAY: (0.8, 0.9)}, ["absorbed", "absorbed"], InputError, "outcome absorbed: given twice"),
], ids=["path", "range", "low-high", "fraction", "not-a-pair", "none", "stage", "form",
        "twice"])
def test_bad_paths_ranges_and_outcomes_fail_when_the_model_is_built(ema, uncertainties,
                                                                     outcomes, error, message):
    with pytest.raises(error, match=message) as caught:
        sim.ema.model(SCENARIO, uncertainties, outcomes)
    assert "--" not in str(caught.value)  # named as in Python, not as a command-line flag


def test_bad_options_and_clashing_names(ema):
    for kwargs, message in [({"runs": 0}, "runs must be a whole number from 1"),
                            ({"seed": -1}, "seed must be a whole number >= 0"),
                            ({"name": "belarus-poland"}, "letters and digits only")]:
        with pytest.raises(InputError, match=message):
            sim.ema.model(SCENARIO, {DECAY: (0.8, 0.9)}, **kwargs)
    assert sim.ema.identifier("actors.minsk.policy.weights.push_migrants") == \
        "actors_minsk_policy_weights_push_migrants"
    assert sim.ema.identifier("0.x") == "_0_x"


def test_without_ema_workbench_the_extra_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # import raises ImportError
    with pytest.raises(InputError, match=r"needs the ema extra: python -m pip install -e "
                                         r"'\.\[ema\]'"):
        sim.ema.model(SCENARIO, {DECAY: (0.8, 0.9)})


def test_sim_ema_loads_no_ema_workbench_until_a_model_is_built():
    probe = ("import sys, sim, sim.explore.ema\nassert sim.ema is sim.explore.ema\n"
             "print('ema_workbench' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr


def test_the_five_line_wrapper_in_docs_python_md_runs(ema, monkeypatch):
    page = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    section = page.split("## EMA Workbench", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) == 5, code
    monkeypatch.chdir(ROOT)
    names: dict = {}
    exec(compile(code, "docs/python.md", "exec"), names)
    values = names["outcomes"]["reach_use_of_force"]
    assert values.shape == (20,) and ((0 <= values) & (values <= 1)).all()
    assert list(names["experiments"]["tension_decay"].between(0.85, 0.95)) == [True] * 20
