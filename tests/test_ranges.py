"""Numbers in range, and the format's small gaps (docs/format.md, "Numbers in range").

Huge or tiny finite numbers used to give silently wrong answers: weights of 1e308 overflow
the sampler's sum (every run stayed put, `ladder exact` printed 0% and nan), tiny weights
underflow, effects of 1e308 made mean tension NaN, `1e999` in a condition is inf. The loader
now refuses them; values at the edges of the range give finite numbers and the right shares.
The corpus files `tests/corpus/*/range_*.yaml`, `null_optional_values.yaml`,
`*_source_not_string.yaml`, `ladder_id_mismatch.yaml`, `warn_trigger_some_stages.yaml` and
`too_many_modifiers.yaml` hold the messages; this file holds what a corpus cannot say.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml

import sim
from sim.cli import main
from sim.engine.model import EscalationModel
from sim.errors import ValidationError
from sim.format import vocabulary
from sim.format.distributions import Dist
from sim.format.expr import ExprError, Symbols, compile_condition
from sim.format.extends import MAX_CHAIN
from tests.helpers import ROOT, make_scenario

CORPUS = ROOT / "tests" / "corpus"
STAGES = [{"id": "calm", "name": "Calm", "up": 1e6}, {"id": "high", "name": "High"}]


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ValidationError) as info:
        sim.load_scenario(path)
    return [str(p) for p in info.value.problems]


def three(weights: dict, effects: dict | None = None, modifiers: list | None = None) -> dict:
    """An actor with actions a, b, c of the given weights."""
    effects = effects or {}
    policy: dict = {"weights": weights}
    if modifiers:
        policy["modifiers"] = modifiers
    return {"kind": "state", "policy": policy,
            "actions": {k: {"effect": effects.get(k, 0.0)} for k in weights}}


def shares(scenario: sim.Scenario, n: int = 4000, seed: int = 3) -> tuple[np.ndarray, int, float]:
    """(share of each action, number of choices, mean final tension) over n runs."""
    model = EscalationModel(scenario, n=n, rng=seed)
    model.run_to_end()
    counts = model.actors[0].counts.sum(axis=1)
    return counts / counts.sum(), int(counts.sum()), float(np.mean(model.tension))


def assert_shares(observed: np.ndarray, expected: list[float], draws: int) -> None:
    """Each share within 5 standard errors of its probability (exactly 0 when it is ~0)."""
    for got, p in zip(observed, expected, strict=True):
        if p < 1e-12:
            assert got == 0, (observed, expected)
            continue
        se = math.sqrt(p * (1 - p) / draws)
        assert abs(got - p) < 5 * se, (observed, expected, draws)


# -- refused at load ---------------------------------------------------------------------------

def test_weights_of_1e308_are_refused_at_load():
    found = problems_of(CORPUS / "scenarios" / "range_weights_huge.yaml")
    assert len(found) == 3  # one per weight; no "all weights are zero" on top
    assert found[0].endswith(": actors.red.policy.weights.push: weight 1e+308 is out of range: "
                             "expected 0 or a number from 1e-09 to 1e+06")


def test_tiny_weights_are_refused_at_load(tmp_path):
    actor = three({"a": 1e-300, "b": 1e-300, "c": 1e-300})
    with pytest.raises(ValidationError, match=r"weights\.a: weight 1e-300 is out of range"):
        make_scenario(tmp_path, STAGES, {"red": actor})


def test_effects_of_1e308_are_refused_at_load(tmp_path):
    actor = three({"a": 1, "b": 1}, effects={"a": 1e308})
    with pytest.raises(ValidationError, match=r"actions\.a\.effect: 1e\+308 is outside the "
                       r"allowed range \[-1e\+06, 1e\+06\]"):
        make_scenario(tmp_path, STAGES, {"red": actor})


@pytest.mark.parametrize("text", ["tension > 1e999", "tension > -1e999", "step < 1e400",
                                  "tension >= 1000001", "tension < -2e6"])
def test_condition_literals_out_of_range_are_parse_errors(text):
    with pytest.raises(ExprError, match=r"number \S+ is out of range: expected a number from "
                       r"-1e\+06 to 1e\+06"):
        compile_condition(text, Symbols.of(("calm",), {}))


def test_condition_literal_error_names_the_literal_and_its_column():
    with pytest.raises(ExprError) as info:
        compile_condition("step > 2 and tension > 1e999", Symbols.of(("calm",), {}))
    assert info.value.column == 24 and "1e999" in info.value.message


def test_condition_literals_at_the_bound_are_accepted():
    symbols = Symbols.of(("calm",), {})
    for text in ("tension <= 1e6", "tension >= -1000000", "tension > 1e-300"):
        compile_condition(text, symbols)


def test_exact_refuses_the_huge_weights_file_with_exit_2(capsys):
    code = main(["exact", str(CORPUS / "scenarios" / "range_weights_huge.yaml")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "actors.red.policy.weights.push: weight 1e+308 is out of range" in err
    assert "nan" not in out + err


# -- in range: finite numbers, the right shares ------------------------------------------------

def test_weights_at_both_ends_of_the_range_run_with_finite_numbers(tmp_path):
    actor = three({"a": 1e6, "b": 1e-9}, effects={"a": 1e6, "b": -1e6})
    scenario = make_scenario(tmp_path, STAGES, {"red": actor}, horizon=20, decay=0.5)
    observed, draws, tension = shares(scenario, n=2000)
    assert math.isfinite(tension) and draws > 0
    assert_shares(observed, [1 / (1 + 1e-15), 1e-15 / (1 + 1e-15)], draws)  # b: about never


def test_tiny_weights_in_range_keep_their_ratios(tmp_path):
    actor = three({"a": 1e-9, "b": 2e-9, "c": 3e-9})
    observed, draws, _ = shares(make_scenario(tmp_path, STAGES, {"red": actor}))
    assert_shares(observed, [1 / 6, 2 / 6, 3 / 6], draws)


def test_largest_weights_times_every_modifier_keep_their_ratios(tmp_path):
    """MAX_MODIFIERS modifiers that all hold, each scaling every action by MAX_WEIGHT: the
    product (1e6 ** 33 = 1e198) and its sum stay finite, and the shares are the weights'."""
    top = vocabulary.MAX_WEIGHT
    mods = [{"when": f"step >= {i % 2}", "scale": {"a": top, "b": top, "c": top}}
            for i in range(vocabulary.MAX_MODIFIERS)]
    actor = three({"a": top, "b": top / 2, "c": top / 4}, modifiers=mods)
    observed, draws, _ = shares(make_scenario(tmp_path, STAGES, {"red": actor}))
    assert_shares(observed, [4 / 7, 2 / 7, 1 / 7], draws)


def test_smallest_weights_times_every_modifier_keep_their_ratios(tmp_path):
    """The other end: 1e-9 ** 33 = 1e-297 is still a normal double."""
    low = vocabulary.MIN_WEIGHT
    mods = [{"when": "true", "scale": {"a": low, "b": low, "c": low}}
            for _ in range(vocabulary.MAX_MODIFIERS)]
    actor = three({"a": low, "b": 2 * low, "c": 3 * low}, modifiers=mods)
    observed, draws, _ = shares(make_scenario(tmp_path, STAGES, {"red": actor}))
    assert_shares(observed, [1 / 6, 2 / 6, 3 / 6], draws)


def test_population_with_extreme_weights_splits_by_the_weights(tmp_path):
    actor = three({"a": 1e6, "b": 1e-9, "c": 3e5}) | {"kind": "population", "count": 1000}
    observed, draws, _ = shares(make_scenario(tmp_path, STAGES, {"crowd": actor}), n=200)
    total = 1e6 + 1e-9 + 3e5
    assert_shares(observed, [1e6 / total, 1e-9 / total, 3e5 / total], draws)


# -- distributions -----------------------------------------------------------------------------

def test_a_normal_reaches_forty_standard_deviations_and_its_clip():
    assert Dist("normal", (0.8, 0.2)).reach() == pytest.approx((-7.2, 8.8))
    assert Dist("normal", (0.0, 1.0), clip=(-2.0, 50.0)).reach() == (-2.0, 40.0)
    assert Dist("normal", (0.0, 1.0)).bounds() == (-math.inf, math.inf)  # unchanged
    assert Dist("uniform", (1.0, 2.0)).reach() == (1.0, 2.0)


def test_an_unclipped_normal_effect_is_still_accepted(tmp_path):
    actor = three({"a": 1, "b": 1}, effects={"a": {"normal": [0.8, 0.2]}})
    make_scenario(tmp_path, STAGES, {"red": actor})


def test_numpy_normal_draws_stay_well_inside_the_reach():
    """Why 40 standard deviations is safe: numpy's sampler never gets near it."""
    z = np.random.default_rng(0).standard_normal(2_000_000)
    assert np.abs(z).max() < vocabulary.NORMAL_REACH / 4


# -- the schemas carry the same bounds ---------------------------------------------------------

SCHEMAS = ROOT / "sim" / "format" / "schemas"


def schema_ok(name: str, doc: dict) -> bool:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    return not list(jsonschema.Draft202012Validator(schema).iter_errors(doc))


def scenario_doc(weights: dict, effect=0.5, **top) -> dict:
    return {"id": "s", "title": "S", "ladder": "tiny", "start": "calm", "clock": {"horizon": 3},
            "actors": {"red": {"kind": "state", "actions": {"push": {"effect": effect},
                                                            "wait": None},
                               "policy": {"weights": weights}}}, **top}


@pytest.mark.parametrize("weight,ok", [(0, True), (1e-9, True), (1e6, True), (1, True),
                                       (1e308, False), (1e-300, False), (2e6, False),
                                       (-1, False)])
def test_scenario_schema_bounds_weights(weight, ok):
    assert schema_ok("scenario", scenario_doc({"push": weight, "wait": 1})) is ok


@pytest.mark.parametrize("doc,ok", [
    (scenario_doc({"push": 1}, effect=1e6), True),
    (scenario_doc({"push": 1}, effect=1e308), False),
    (scenario_doc({"push": 1}, effect={"uniform": [0, 1e308]}), False),
    (scenario_doc({"push": 1}, tension={"initial": -2e6}), False),
    (scenario_doc({"push": 1}, effect={"beta": [1e308, 1]}), False),
])
def test_scenario_schema_bounds_effects_and_tension(doc, ok):
    assert schema_ok("scenario", doc) is ok


@pytest.mark.parametrize("stage,ok", [({"up": 1e6}, True), ({"up": 1e308}, False),
                                      ({"up": 2, "down": -1e7, "dwell": 2}, False),
                                      ({"up": 2, "down": 1, "dwell": 100_001}, False)])
def test_ladder_schema_bounds_thresholds_and_dwell(stage, ok):
    doc = {"id": "l", "title": "L", "stages": [{"id": "calm", "name": "Calm"},
                                               {"id": "tense", "name": "Tense", **stage}]}
    assert schema_ok("ladder", doc) is ok


# -- the small gaps ----------------------------------------------------------------------------

def test_sources_of_edges_and_events_are_kept(tmp_path):
    stages = [{"id": "calm", "name": "Calm", "up": 2}, {"id": "high", "name": "High"}]
    edges = [{"from": "calm", "to": "high", "source": "Doctrine, art. 3"}]
    events = [{"name": "Talks", "at": 2, "tension": {"add": -1}, "source": "PAP, 6 June 2024"}]
    actor = three({"a": 1, "b": 1})
    scenario = make_scenario(tmp_path, stages, {"red": actor}, edges=edges, events=events)
    assert scenario.ladder.edges[0].citation == "Doctrine, art. 3"
    assert scenario.events[0].source == "PAP, 6 June 2024"


def test_null_start_date_says_to_omit_the_key(tmp_path):
    found = problems_of(CORPUS / "scenarios" / "null_optional_values.yaml")
    assert any(p.endswith(": clock.start_date: expected a date YYYY-MM-DD, got null (omit the "
                          "key for no start date)") for p in found)


def _chain(tmp_path: Path, files: int) -> Path:
    """`files` scenario files, each extending the one before; returns the last."""
    (tmp_path / "ladder.yaml").write_text(yaml.safe_dump(
        {"id": "l", "title": "L", "stages": STAGES}))
    base = {"id": "f0", "title": "Base", "ladder": "./ladder.yaml", "start": "calm",
            "clock": {"horizon": 3}, "actors": {"red": three({"a": 1, "b": 1})}}
    (tmp_path / "f0.yaml").write_text(yaml.safe_dump(base))
    for i in range(1, files):
        variant = {"id": f"f{i}", "title": f"Variant {i}", "description": "One more link.",
                   "sources": ["test"], "extends": f"f{i - 1}.yaml",
                   "clock": {"horizon": 3 + i}}
        (tmp_path / f"f{i}.yaml").write_text(yaml.safe_dump(variant))
    return tmp_path / f"f{files - 1}.yaml"


def test_a_chain_of_32_files_loads_and_33_are_refused(tmp_path):
    assert MAX_CHAIN == 32
    last = sim.load_scenario(_chain(tmp_path, 32))
    assert len(last.extends) == 31 and last.clock.horizon == 3 + 31
    with pytest.raises(ValidationError, match="more than 32 files extend one another"):
        sim.load_scenario(_chain(tmp_path, 33))


def test_ladder_id_reference_must_match_the_files_id(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ladders").mkdir()
    (tmp_path / "ladders" / "x.yaml").write_text(yaml.safe_dump(
        {"id": "y", "title": "L", "stages": STAGES}))
    doc = {"id": "s", "title": "S", "ladder": "x", "start": "calm", "clock": {"horizon": 3},
           "actors": {"red": three({"a": 1, "b": 1})}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    (problem,) = problems_of(tmp_path / "s.yaml")
    assert problem.endswith(": ladder: ladder 'x' is ladders/x.yaml, whose id is 'y'")
    # a path names a file, whatever the id inside it
    doc["ladder"] = "ladders/x.yaml"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    assert sim.load_scenario(tmp_path / "s.yaml").ladder.id == "y"


def test_bundled_files_validate_without_errors_or_warnings(capsys):
    code = main(["validate", str(ROOT / "ladders"), str(ROOT / "scenarios")])
    out, err = capsys.readouterr()
    assert code == 0 and "0 error(s), 0 warning(s)" in out + err


def test_exact_gives_finite_figures_at_the_ends_of_the_range(tmp_path):
    """What is in range reaches `ladder exact` as finite, stochastic transition matrices."""
    from sim.analyses.exact import analyse

    stages = [{"id": "calm", "name": "Calm", "up": 1e6 - 1},
              {"id": "tense", "name": "Tense", "up": 1e6, "down": -1e6},
              {"id": "war", "name": "War", "absorbing": True}]
    mods = [{"when": "true", "scale": {"a": 1e-9, "b": 1e-9, "c": 1e-9}}
            for _ in range(vocabulary.MAX_MODIFIERS)]
    red = three({"a": 1e6, "b": 1e-9, "c": 1e-9}, effects={"a": 1e6, "b": -1e6}, modifiers=mods)
    red["actions"]["c"]["trigger"] = "tense"
    crowd = three({"a": 1e-9, "b": 1e6}, effects={"a": 1e6, "b": -1e6}) | {
        "kind": "population", "count": 5}
    scenario = make_scenario(tmp_path, stages, {"red": red, "crowd": crowd}, horizon=30,
                             decay=0.0)
    result = analyse(scenario)
    assert np.isfinite(result.occupancy.to_numpy()).all()
    assert np.isfinite(result.incidence.to_numpy()).all()
    assert result.occupancy.sum(axis=1).to_numpy() == pytest.approx(1.0)
