"""Variants (`extends:`): the bundled variants differ from their baselines exactly where they say,
a change to a baseline reaches its variants, provenance covers the whole chain, and the
loader, the CLI and the JSON Schema treat a variant as the merged scenario.

The check that a variant changes only what it declares is done twice, independently: the
loader compares the raw merged YAML with the baseline's (`sim.format.extends.changed_paths`), and
`scenario_diff` below compares the loaded Scenario objects field by field.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

import sim
from sim.analyses.variants import _structure
from sim.cli import main
from sim.errors import ValidationError
from sim.format.scenario import Scenario, load_scenario, read_scenario
from sim.format.yamlio import parse_yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "belarus-poland-2024.yaml"
REPLAY = SCENARIOS / "history" / "belarus-eu-border-2021-2024.yaml"


def _is_variant(path: Path) -> bool:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(raw, dict) and "extends" in raw


VARIANT_FILES = sorted(p for p in SCENARIOS.rglob("*.yaml") if _is_variant(p))
EXPECTED_VARIANTS = {"checkpoint-opened", "early-article4", "minsk-reciprocates",
                     "russia-restrains", "russia-pushes", "analogue-2021",
                     "belarus-eu-border-2021-2024", "seed-2021-2024", "casus-belli",
                     "iron-curtain", "kremlin-instrument", "sanctions-bargainer"}


# -- an independent diff of loaded scenarios -------------------------------------------------


def _modifiers(policy) -> dict:
    return {" ".join(m.when.text.split()): m.scale for m in policy.modifiers}


def _events(scenario: Scenario) -> dict:
    """Events by name, with `at` as a date where the clock has one (a baseline's dated event
    keeps its date, not its step, when a variant moves the clock)."""
    clock = scenario.clock
    return {e.name: dataclasses.replace(e, at=clock.date_of(e.at) or e.at) if e.at else e
            for e in scenario.events}


def _dict_diff(a: dict, b: dict, path: str, out: set[str]) -> None:
    for key in a.keys() | b.keys():
        if a.get(key, None) != b.get(key, None) or (key in a) != (key in b):
            out.add(f"{path}.{key}")


def _same(*names: str) -> list[tuple[str, str]]:
    """Attributes whose `changes:` key is their own name."""
    return [(name, name) for name in names]


def _keyed_diff(xs: dict, ys: dict, path: str, fields: list[tuple[str, str]],
                out: set[str]) -> list:
    """Items by key: one on a side only is `path.<key>`; one on both sides differs at
    `path.<key>.<field>` for each (attribute, field) of `fields` that differs. Returns the
    keys on both sides."""
    both = []
    for key in xs.keys() | ys.keys():
        if key not in xs or key not in ys:
            out.add(f"{path}.{key}")
            continue
        both.append(key)
        for attr, name in fields:
            if getattr(xs[key], attr) != getattr(ys[key], attr):
                out.add(f"{path}.{key}.{name}")
    return both


def scenario_diff(a: Scenario, b: Scenario) -> set[str]:
    """Field paths where two loaded scenarios differ, in the notation of `changes:`."""
    out: set[str] = set()
    for name in ("start", "runs", "seed", "observe"):
        if getattr(a, name) != getattr(b, name):
            out.add(name)
    if a.ladder.id != b.ladder.id:
        out.add("ladder")
    for name in ("step", "horizon", "start_date"):
        if getattr(a.clock, name) != getattr(b.clock, name):
            out.add(f"clock.{name}")
    if a.initial_tension != b.initial_tension:
        out.add("tension.initial")
    if a.decay != b.decay:
        out.add("tension.decay")
    actors_a, actors_b = {x.id: x for x in a.actors}, {x.id: x for x in b.actors}
    for aid in _keyed_diff(actors_a, actors_b, "actors", _same("name", "kind", "description",
                                                               "count"), out):
        x, y, path = actors_a[aid], actors_b[aid], f"actors.{aid}"
        _keyed_diff({c.id: c for c in x.actions}, {c.id: c for c in y.actions},
                    f"{path}.actions", _same("effect", "trigger", "allowed", "description"), out)
        _dict_diff(x.policy.weights, y.policy.weights, f"{path}.policy.weights", out)
        for stage in x.policy.stages.keys() | y.policy.stages.keys():
            if stage not in x.policy.stages or stage not in y.policy.stages:
                out.add(f"{path}.policy.stages.{stage}")
            else:
                _dict_diff(x.policy.stages[stage], y.policy.stages[stage],
                           f"{path}.policy.stages.{stage}", out)
        mx, my = _modifiers(x.policy), _modifiers(y.policy)
        for when in mx.keys() | my.keys():
            if mx.get(when) != my.get(when):
                out.add(f"{path}.policy.modifiers[{when}]")
    _keyed_diff({v.name: v for v in a.variables}, {v.name: v for v in b.variables}, "variables",
                [("initial", "initial"), ("decay", "decay"), ("low", "min"), ("high", "max"),
                 ("learn", "learn"), ("description", "description")], out)
    fa, fb = {f.name: f for f in a.flags}, {f.name: f for f in b.flags}
    for name in fa.keys() | fb.keys():
        if fa.get(name) != fb.get(name):
            same = name in fa and name in fb and fa[name].description == fb[name].description
            out.add(f"flags.{name}.initial" if same else f"flags.{name}")
    ca, cb = {c.key: c for c in a.coupled}, {c.key: c for c in b.coupled}
    for key in _keyed_diff(ca, cb, "ladders", _same("start", "reads", "ends_run",
                                                    "description"), out):
        if ca[key].ladder.id != cb[key].ladder.id:
            out.add(f"ladders.{key}.ladder")
    ea, eb = _events(a), _events(b)
    for name in ea.keys() | eb.keys():
        if ea.get(name) != eb.get(name):
            out.add(f"events[{name}]")
    return out


# -- the bundled variants -----------------------------------------------------------------------


def test_the_bundled_variants_are_all_there():
    assert {load_scenario(p).id for p in VARIANT_FILES} == EXPECTED_VARIANTS


@pytest.mark.parametrize("path", VARIANT_FILES, ids=lambda p: p.stem)
def test_variant_differs_from_its_baseline_only_where_it_says(path):
    variant = load_scenario(path)
    baseline = load_scenario(variant.extends[0])
    # A variant that is its baseline by design (a reading the baseline already encodes)
    # says so in its header; every other one declares what it changes.
    assert variant.changes or "This file changes nothing" in path.read_text(encoding="utf-8"), \
        f"{path.name} declares no changes"
    assert scenario_diff(baseline, variant) == set(variant.changes)


@pytest.mark.parametrize("path", VARIANT_FILES, ids=lambda p: p.stem)
def test_variant_says_what_and_why_with_sources(path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    variant = load_scenario(path)
    baseline = load_scenario(variant.extends[0])
    assert raw["description"].strip() and raw["sources"]
    assert variant.description != baseline.description and variant.id != baseline.id
    assert set(baseline.sources) <= set(variant.sources)
    assert "judgement" in path.read_text(encoding="utf-8")
    assert "not forecasts" in path.read_text(encoding="utf-8")


def test_every_variant_can_be_paired_with_its_baseline():
    """Same stages and actions in the same order: `ladder compare` uses common random numbers."""
    for path in VARIANT_FILES:
        variant = load_scenario(path)
        base = load_scenario(variant.extends[-1])
        assert _structure(variant) == _structure(base), path.name


def test_minsk_reciprocates_is_a_chain():
    variant = load_scenario(SCENARIOS / "minsk-reciprocates.yaml")
    assert [Path(p).name for p in variant.extends] == ["checkpoint-opened.yaml",
                                                       "belarus-poland-2024.yaml"]
    # both changes of the chain are in the merged scenario
    warsaw, minsk = variant.actor("warsaw"), variant.actor("minsk")
    assert _modifiers(warsaw.policy)["nato.stage >= buffer_zone"]["open_checkpoint"] == 1
    assert "Warsaw opens the Bobrowniki-Berestovitsa checkpoint (counterfactual)" in _events(
        variant)
    assert _modifiers(minsk.policy)["warsaw.checkpoint_open"]["restrain"] == 3


def test_the_analogue_and_the_replay_share_their_2021_events():
    """The same five events of 2021 on the same dates (the analogue puts their effects on
    the three-ladder seed's variables, the replay on the teaching file's tension)."""
    analogue, replay = _events(load_scenario(SCENARIOS / "analogue-2021.yaml")), \
        _events(load_scenario(REPLAY))
    shared = [n for n in analogue if n not in _events(load_scenario(BASELINE))]
    assert len(shared) == 5
    for name in shared:  # (one is `when: step == N` in the analogue, so it cannot go down)
        assert analogue[name].source == replay[name].source, name
        assert analogue[name].at in (None, replay[name].at), name


@pytest.mark.parametrize("variant, stage, direction", [
    ("minsk-reciprocates", "border_incident", -1),
    ("russia-restrains", "border_incident", -1),
    ("russia-pushes", "mp_crisis", +1),
    ("intent/iron-curtain", "border_incident", -1),
    ("intent/sanctions-bargainer", "mp_crisis", -1),
])
def test_variant_moves_the_outcome_the_way_its_file_says(variant, stage, direction):
    """A small paired run: the direction each variant's change is meant to have (not its size;
    docs/scenarios.md and the report give the 20,000-run figures)."""
    base = sim.run(load_scenario(BASELINE), runs=3000, seed=11, keep_runs=False)
    var = sim.run(load_scenario(SCENARIOS / f"{variant}.yaml"), runs=3000, seed=11,
                  keep_runs=False)
    diff = var.summary["reach"][stage]["p"] - base.summary["reach"][stage]["p"]
    assert diff * direction > 0.01


# -- a change to the baseline reaches the variant -----------------------------------------------


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    """The baseline, two variants and the ladders folder, copied to tmp_path."""
    shutil.copytree(ROOT / "ladders", tmp_path / "ladders")
    (tmp_path / "scenarios").mkdir()
    for name in ("belarus-poland-2024.yaml", "checkpoint-opened.yaml", "minsk-reciprocates.yaml"):
        shutil.copy(SCENARIOS / name, tmp_path / "scenarios" / name)
    return tmp_path / "scenarios"


def test_a_change_to_the_baseline_reaches_the_variants(copies: Path):
    before = [load_scenario(copies / n) for n in ("checkpoint-opened.yaml",
                                                  "minsk-reciprocates.yaml")]
    base = copies / "belarus-poland-2024.yaml"
    text = base.read_text(encoding="utf-8")
    assert text.count("    decay: 0.95\n") == 1  # russia.threat's
    base.write_text(text.replace("    decay: 0.95\n", "    decay: 0.9\n"), encoding="utf-8")
    after = [load_scenario(copies / n) for n in ("checkpoint-opened.yaml",
                                                 "minsk-reciprocates.yaml")]
    for old, new in zip(before, after, strict=True):
        decay = [{v.name: v.decay for v in s.variables}["russia.threat"] for s in (old, new)]
        assert decay == [0.95, 0.9]
        assert old.sha256 != new.sha256  # provenance shows the baseline changed
        assert scenario_diff(old, new) == {"variables.russia.threat.decay"}


def test_sha256_covers_the_variant_and_each_baseline_in_order(copies: Path):
    names = ["minsk-reciprocates.yaml", "checkpoint-opened.yaml", "belarus-poland-2024.yaml"]
    scenario = load_scenario(copies / names[0])
    data = b"".join((copies / n).read_bytes() for n in names)
    assert scenario.sha256 == hashlib.sha256(data).hexdigest()
    assert scenario.extends == tuple(str(copies / n) for n in names[1:])
    plain = load_scenario(copies / names[2])
    assert plain.sha256 == hashlib.sha256((copies / names[2]).read_bytes()).hexdigest()
    assert plain.extends == () and plain.changes == ()


def test_a_baseline_by_id_is_found_in_a_parent_scenarios_folder(copies: Path):
    sub = copies / "more"
    sub.mkdir()
    text = (copies / "checkpoint-opened.yaml").read_text(encoding="utf-8")
    (sub / "v.yaml").write_text(text, encoding="utf-8")  # extends: belarus-poland-2024 (an id)
    assert load_scenario(sub / "v.yaml").extends == (str(copies / "belarus-poland-2024.yaml"),)


def test_a_ladder_path_in_the_baseline_is_relative_to_the_baseline(tmp_path: Path):
    (tmp_path / "base").mkdir()
    shutil.copy(ROOT / "tests" / "corpus" / "ladders_ok" / "tiny.yaml", tmp_path / "base")
    (tmp_path / "base" / "b.yaml").write_text(
        "id: b\ntitle: B\nladder: tiny.yaml\nstart: calm\nclock: {horizon: 5}\n"
        "actors:\n  red:\n    kind: state\n    actions: {push: {effect: 1}}\n"
        "    policy: {weights: {push: 1}}\n", encoding="utf-8")
    (tmp_path / "v.yaml").write_text(
        "id: v\ntitle: V\ndescription: Longer.\nsources: [s]\nextends: base/b.yaml\n"
        "clock: {horizon: 8}\n", encoding="utf-8")
    variant = load_scenario(tmp_path / "v.yaml")
    assert variant.ladder.id == "tiny" and variant.clock.horizon == 8


def test_an_override_on_a_variant_applies_to_the_merged_tree_and_names_the_right_file():
    path = SCENARIOS / "checkpoint-opened.yaml"
    scenario = load_scenario(path, {"actors.warsaw.policy.weights.harden": 4})
    assert scenario.actor("warsaw").policy.weights["harden"] == 4
    assert scenario.actor("warsaw").policy.modifiers[2].scale["open_checkpoint"] == 1
    with pytest.raises(ValidationError) as info:
        read_scenario(path, {"actors.warsaw.policy.weights.harden": parse_yaml("-1")})
    (problem,) = info.value.problems
    assert Path(problem.file) == BASELINE and problem.field == "actors.warsaw.policy.weights.harden"
    with pytest.raises(ValidationError) as info:
        read_scenario(path, {"actors.warsaw.policy.modifiers.2.scale.open_checkpoint":
                                   parse_yaml("-1")})
    (problem,) = info.value.problems
    assert Path(problem.file) == path


# -- CLI ----------------------------------------------------------------------------------------


def test_show_prints_the_merged_variant(capsys):
    assert main(["show", str(SCENARIOS / "checkpoint-opened.yaml")]) == 0
    out = capsys.readouterr().out
    assert "checkpoint-opened" in out and "polish_border_forces" in out  # from the baseline
    assert "Buffer zone in force" in out  # a baseline event
    assert "Checkpoint not opened" not in out  # removed by the variant


def test_validate_reports_both_files_of_a_broken_chain_without_a_traceback(capsys):
    corpus = ROOT / "tests" / "corpus" / "scenarios"
    assert main(["validate", str(corpus / "extends_error_in_baseline.yaml")]) == 2
    out = capsys.readouterr().out
    assert "extends_error_in_baseline.yaml:6: extends: baseline" in out
    assert "broken_base.yaml:16: actors.red.policy.weights.psuh" in out
    assert "Traceback" not in out


def test_run_json_provenance_of_a_variant(capsys):
    assert main(["run", str(SCENARIOS / "russia-pushes.yaml"), "--runs", "200", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scenario"] == "russia-pushes"
    assert summary["provenance"]["scenario_sha256"] == load_scenario(
        SCENARIOS / "russia-pushes.yaml").sha256


# -- JSON Schema --------------------------------------------------------------------------------

SCHEMA = jsonschema.Draft202012Validator(json.loads(
    (ROOT / "sim" / "format" / "schemas" / "scenario.schema.json").read_text(encoding="utf-8")))
VARIANT = {"id": "v", "title": "V", "description": "What and why.", "sources": ["s"],
           "extends": "belarus-poland-2024"}


@pytest.mark.parametrize("doc", [
    VARIANT,
    {**VARIANT, "changes": ["actors.migrant_groups.count"],
     "actors": {"migrant_groups": {"count": {"uniform": [30, 50]}}}},
    {**VARIANT, "events": [{"name": "Buffer zone in force", "remove": True}]},
    {**VARIANT, "actors": {"minsk": {"policy": {"modifiers": [
        {"when": "tension >= 7", "remove": True}]}}}},
], ids=["minimal", "population count only", "event removal", "modifier removal"])
def test_schema_accepts_partial_variants(doc):
    assert list(SCHEMA.iter_errors(doc)) == []


@pytest.mark.parametrize("doc", [
    {k: v for k, v in VARIANT.items() if k != "description"},
    {**VARIANT, "sources": []},
    {**VARIANT, "actors": {"minsk": {"polcy": {}}}},
    {**VARIANT, "events": [{"name": "x", "remove": False}]},
    {"id": "s", "title": "S", "ladder": "l", "start": "calm", "clock": {"horizon": 3},
     "actors": {"a": {"kind": "state", "actions": {"w": None}, "policy": {"weights": {"w": 1}}}},
     "changes": ["tension.decay"]},
], ids=["no description", "no sources", "misspelt key", "remove false", "changes without extends"])
def test_schema_rejects_bad_variants(doc):
    assert list(SCHEMA.iter_errors(doc)) != []


def test_extends_rules_have_corpus_files():
    """docs/format.md's rules for variants each have a corpus file with its expected problems
    (tests/test_validation.py checks them: file, line, field and message)."""
    corpus = {p.stem for p in (ROOT / "tests" / "corpus" / "scenarios").glob("*.yaml")}
    assert {
        "extends_unknown_baseline", "extends_cycle", "extends_self", "extends_error_in_baseline",
        "extends_error_in_variant", "extends_ladder_change", "extends_horizon_warning",
        "extends_remove_unknown_event", "extends_remove_unknown_modifier", "extends_remove_bad",
        "extends_event_twice", "extends_missing_own_keys", "extends_changes_mismatch",
        "extends_new_event_near_name", "changes_without_extends", "remove_without_extends",
        "ok_extends", "ok_extends_chain",
    } <= corpus


def test_show_and_provenance_name_the_baselines(capsys):
    from sim.cli import main

    assert main(["show", str(ROOT / "scenarios" / "minsk-reciprocates.yaml")]) == 0
    out = capsys.readouterr().out
    assert "A variant of " in out and "checkpoint-opened.yaml, which extends " in out
    assert main(["run", str(ROOT / "scenarios" / "minsk-reciprocates.yaml"), "--runs", "50",
                 "--json"]) == 0
    prov = json.loads(capsys.readouterr().out)["provenance"]
    assert [p.rsplit("/", 1)[-1] for p in prov["scenario_extends"]] == [
        "checkpoint-opened.yaml", "belarus-poland-2024.yaml"]
