"""What must be true (issue 15): the chains of rules that can bring a run to each run-ending
stage, read from the files with no simulation (sim/analyses/requirements.py), and their text
(sim/present/requirements.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import sim
from sim.analyses import requirements
from sim.analyses.requirements import _negate, must_be_true
from sim.present.requirements import chain_lines


def entry(entries: list[dict], ladder: str, stage: str) -> dict:
    return next(e for e in entries if e["ladder"] == ladder and e["stage"] == stage)


def write(tmp_path: Path, stages: list[dict], edges: list[dict] | None = None,
          **scenario) -> sim.Scenario:
    """A scenario on a ladder of `stages` (and the ladder `other` for coupled tests)."""
    ladder = {"id": "small", "title": "Small", "stages": stages, **({"edges": edges}
                                                                     if edges else {})}
    other = {"id": "other", "title": "Other", "stages": [
        {"id": "quiet", "name": "Quiet", "up": 2}, {"id": "alert", "name": "Alert"},
        {"id": "end", "name": "End", "absorbing": True}],
        "edges": [{"from": "quiet", "to": "end", "guard": "tension >= 1"}]}
    for doc in (ladder, other):
        (tmp_path / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    doc = {"id": "tiny", "title": "Tiny", "ladder": "./small.yaml", "start": stages[0]["id"],
           "clock": {"horizon": 10}, **scenario}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return sim.load_scenario(path)


def wait(**more) -> dict:
    return {"red": {"kind": "state", "actions": {"wait": {}}, "policy": {"weights": {"wait": 1}}},
            **more}


@pytest.fixture(scope="module")
def seed() -> list[dict]:
    return must_be_true(sim.load_scenario("belarus-poland-2024"))


def test_the_seed_reaches_nuclear_use_only_by_minsk_and_moscow_together(seed):
    nuclear = entry(seed, "belarus", "nuclear_use")
    assert nuclear["reachable"] and nuclear["start"] == "hybrid_pressure"
    assert nuclear["reads"] == "minsk.danger" and nuclear["more"] == 0
    assert len(nuclear["chains"]) == 3
    assert [len(c) for c in nuclear["chains"]] == sorted(len(c) for c in nuclear["chains"])
    for chain in nuclear["chains"]:
        assert chain[0]["from"] == "hybrid_pressure" and chain[-1]["to"] == "nuclear_use"
        assert all(a["to"] == b["from"] for a, b in zip(chain, chain[1:], strict=False))
        (last,) = chain[-1]["ways"]
        assert last["kind"] == "joint decision"
        assert (last["actor"], last["action"]) == ("minsk", "request_release")
        assert last["requires"] == "russia.authorise_release" and last["within"] == 1
        assert "russia.stage >= critical_threat" in last["partner_when"]
    first, second = nuclear["chains"][0], nuclear["chains"][1]
    assert [s["from"] for s in first] == ["hybrid_pressure", "border_incident", "mp_crisis"]
    assert first[-1]["edge"] == "jump" and first[-1]["guard"] == "tension >= 9"
    assert first[-1]["ways"][0]["guard"] == "tension >= 9"
    assert second[-1]["from"] == "use_of_force" and second[-1]["guard"] == "tension >= 9"
    assert nuclear["chains"][2][-1] == {**nuclear["chains"][2][-1], "from": "widening_war",
                                        "edge": "neighbour", "guard": None}
    kinds = [w["kind"] for w in first[0]["ways"]]
    assert kinds == ["threshold up", "trigger", "accident"]
    up, trigger, accident = first[0]["ways"]
    assert up["rule"].startswith("minsk.danger >= 4.5–5.5") and "uniform(4.5, 5.5)" in up["rule"]
    assert trigger["action"] == "stage_incident" and "hybrid_pressure" in trigger["when"]
    assert accident["p"] == "uniform(0.001, 0.005)" and "counteract" in accident["when"]
    json.dumps(seed)  # JSON-ready


def test_the_seed_coupled_ladders(seed):
    russia = entry(seed, "russia", "nuclear_use")
    assert russia == {**russia, "reachable": False, "chains": [], "more": 0}
    assert not [e for e in seed if e["ladder"] == "nato"]  # nato does not end a run


def test_the_text_says_how_and_what_cannot_be_reached(seed):
    text = "\n".join(chain_lines(entry(seed, "belarus", "nuclear_use")))
    assert text.startswith("nuclear_use (belarus) can be reached 3 ways from hybrid_pressure:")
    assert "\n  1. hybrid_pressure → border_incident: threshold up (minsk.danger ≥ 4.5–5.5" in text
    assert "trigger minsk.stage_incident" in text
    assert ("mp_crisis → nuclear_use (a declared jump: no threshold takes it; guard tension ≥ 9, "
            "tension being minsk.danger): joint decision minsk.request_release") in text
    assert ("with russia.authorise_release in the same step or up to 1 step before" in text)
    assert "only if russia.stage ≥ critical_threat" in text
    assert "\n  2. hybrid_pressure → border_incident: as in 1" in text
    assert chain_lines(entry(seed, "russia", "nuclear_use")) == [
        "nuclear_use (russia) cannot be reached: no rule of this scenario leads there from "
        "military_danger."]


def test_an_example_walk_has_one_chain_to_each_end():
    entries = must_be_true(sim.load_scenario("scenarios/examples/gamblers-ruin.yaml"))
    assert [(e["stage"], e["reachable"], len(e["chains"])) for e in entries] == [
        ("settlement", True, 1), ("war", True, 1)]
    war = entry(entries, "main", "war")["chains"][0]
    assert [(s["from"], s["to"]) for s in war] == [("standoff", "clashes"),
                                                  ("clashes", "fighting"), ("fighting", "war")]
    assert {w["kind"] for s in war for w in s["ways"]} == {"threshold up"}
    assert chain_lines(entry(entries, "main", "war"))[1] == (
        "  1. standoff → clashes: threshold up (tension ≥ 2)")


def test_an_unreachable_end_and_a_hazard(tmp_path):
    scenario = write(tmp_path, [
        {"id": "low", "name": "Low", "up": 3},
        {"id": "mid", "name": "Mid", "down": 1, "dwell": 4},
        {"id": "top", "name": "Top", "absorbing": True},
        {"id": "lost", "name": "Lost", "absorbing": True}],
        [{"from": "mid", "to": "lost"}],
        hazards=[{"at": "mid", "to": "top", "p": 0.05, "when": "step >= 3",
                  "description": "A clash no one ordered."}], actors=wait())
    entries = must_be_true(scenario)
    lost = entry(entries, "main", "lost")  # a jump no trigger takes: no rule reaches it
    assert lost == {**lost, "reachable": False, "chains": [], "more": 0}
    assert chain_lines(lost)[0].startswith("lost (main) cannot be reached")
    (chain,) = entry(entries, "main", "top")["chains"]
    assert [(s["from"], s["to"]) for s in chain] == [("low", "mid"), ("mid", "top")]
    assert chain[1]["ways"] == [{"kind": "accident", "hazard": "A clash no one ordered.",
                                 "p": "0.05", "when": "step >= 3", "guard": None}]
    lines = chain_lines(entry(entries, "main", "top"))
    assert lines[2].endswith("mid → top: accident 'A clash no one ordered' (p 0.05 a step, "
                             "while step ≥ 3)")


def test_max_chains_shows_the_shortest_and_counts_the_rest(tmp_path):
    ids = ["a", "b", "c", "d"]
    stages = [{"id": s, "name": s, "up": i + 1} for i, s in enumerate(ids)]
    stages.append({"id": "end", "name": "End", "absorbing": True})
    edges = [{"from": s, "to": "end"} for s in ids[:3]]  # jumps: a trigger takes them
    actors = {"red": {"kind": "state", "actions": {"wait": {}, "go": {"trigger": "end"}},
                      "policy": {"weights": {"wait": 1, "go": 0.1}}}}
    scenario = write(tmp_path, stages, edges, actors=actors)
    (end,) = must_be_true(scenario, max_chains=2)
    assert [len(c) for c in end["chains"]] == [1, 2] and end["more"] == 2 and end["more_exact"]
    assert end["chains"][0][0]["ways"] == [{"kind": "trigger", "actor": "red", "action": "go",
                                            "when": None, "guard": None}]
    lines = chain_lines(end)
    assert lines[0] == "end (main) can be reached 4 ways from a:"
    assert lines[1] == "  1. a → end (a declared jump: no threshold takes it): trigger red.go"
    assert lines[-1] == "  ... and 2 longer chains not shown."
    (every,) = must_be_true(scenario, max_chains=10)
    assert len(every["chains"]) == 4 and every["more"] == 0


def test_a_search_that_runs_out_of_budget_says_at_least(tmp_path, monkeypatch):
    ids = ["a", "b", "c", "d"]
    stages = [{"id": s, "name": s, "up": i + 1} for i, s in enumerate(ids)]
    stages.append({"id": "end", "name": "End", "absorbing": True})
    actors = {"red": {"kind": "state", "actions": {"wait": {}, "go": {"trigger": "end"}},
                      "policy": {"weights": {"wait": 1, "go": 0.1}}}}
    scenario = write(tmp_path, stages, [{"from": s, "to": "end"} for s in ids[:3]],
                     actors=actors)
    monkeypatch.setattr(requirements, "COUNT_BUDGET", 2)
    (end,) = must_be_true(scenario, max_chains=1)
    assert end["chains"][0][0]["from"] == "a" and len(end["chains"][0]) == 1
    assert not end["more_exact"]
    assert chain_lines(end)[0].startswith("end (main) can be reached at least ")


def test_events_weights_modifiers_and_joint_decisions(tmp_path):
    stages = [{"id": "low", "name": "Low"}, {"id": "mid", "name": "Mid"},
              {"id": "high", "name": "High"}, {"id": "top", "name": "Top", "absorbing": True}]
    actors = {
        "red": {"kind": "state", "actions": {"wait": {}, "ask": {
            "trigger": "top", "allowed": ["high"], "requires": "blue.yes", "within": 0}},
            "policy": {"weights": {"wait": 1, "ask": 1}}},
        "blue": {"kind": "state", "actions": {"wait": {}, "yes": {}},
                 "policy": {"weights": {"wait": 1, "yes": 0}, "modifiers": [
                     {"when": "step < 4", "scale": {"yes": 0}}]}}}
    events = [{"name": "Jolt", "at": 2, "stage": "high"},
              {"name": "Never", "at": 50, "stage": "top"},
              {"name": "Consent", "at": 3, "set": {"actors.blue.policy.weights.yes": 1}}]
    (top,) = must_be_true(write(tmp_path, stages, events=events, actors=actors))
    (chain,) = top["chains"]  # the event after the horizon makes no move
    jolt, joint = chain
    assert (jolt["from"], jolt["to"], jolt["edge"]) == ("low", "high", "none")
    assert jolt["ways"] == [{"kind": "event", "event": "Jolt", "when": "at step 2",
                             "guard": None}]
    (way,) = joint["ways"]
    assert way["kind"] == "joint decision" and way["when"] == "only at high"
    assert way["requires"] == "blue.yes" and way["within"] == 0
    assert way["partner_when"] == "once event 'Consent' gives it a weight; only if step >= 4"
    text = "\n".join(chain_lines(top))
    assert "low → high (no edge: only an event moves a run there): event 'Jolt' (at step 2)" in text
    assert "with blue.yes in the same step (once event 'Consent'" in text
    events.pop()  # without Consent, blue never says yes: the joint decision cannot fire
    (top,) = must_be_true(write(tmp_path, stages, events=events, actors=actors))
    assert not top["reachable"]


def test_a_trigger_on_a_coupled_ladder_reads_the_main_ladders_stage(tmp_path):
    stages = [{"id": "low", "name": "Low", "up": 3}, {"id": "mid", "name": "Mid"},
              {"id": "top", "name": "Top", "absorbing": True}]
    actors = {"red": {"kind": "state", "actions": {
        "wait": {}, "strike": {"trigger": "ally:end", "allowed": ["mid"]}},
        "policy": {"weights": {"wait": 1, "strike": 1}}}}
    scenario = write(tmp_path, stages, variables={"alarm": {}}, actors=actors,
                     ladders={"ally": {"ladder": "./other.yaml", "start": "quiet",
                                       "reads": "alarm"}})
    entries = must_be_true(scenario)
    assert [(e["ladder"], e["stage"], e["reachable"]) for e in entries] == [
        ("main", "top", False), ("ally", "end", True)]
    ally = entry(entries, "ally", "end")  # straight to end, or by alert (its up threshold)
    assert [[s["from"] for s in c] for c in ally["chains"]] == [["quiet"], ["quiet", "alert"]]
    (step,) = ally["chains"][0]
    assert (step["from"], step["edge"], step["guard"]) == ("quiet", "jump", "tension >= 1")
    assert step["ways"][0]["when"] == "only while main is at mid"
    assert ally["reads"] == "alarm"
    assert "guard tension ≥ 1, tension being alarm" in chain_lines(ally)[1]


@pytest.mark.parametrize("text, negated", [
    ("russia.stage < critical_threat", "russia.stage >= critical_threat"),
    ("tension >= 2.5", "tension < 2.5"), ("warsaw.open", "not warsaw.open"),
    ("not warsaw.open", "warsaw.open"), ("a > 1 and b < 2", "not (a > 1 and b < 2)")])
def test_a_blocking_condition_is_stated_the_other_way_round(text, negated):
    assert _negate(text) == negated
