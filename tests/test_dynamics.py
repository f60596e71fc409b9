"""The dynamics of issue 13, one construct at a time, on small files whose answer is known:
state variables, coupled ladders, flags, memory functions, perception, signals, learning,
joint decisions and hazards; and that a file using none of them runs as before."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim.cli import main
from sim.engine.model import EscalationModel
from tests.helpers import ROOT

LADDER = {"id": "three", "title": "Three rungs", "stages": [
    {"id": "low", "name": "Low", "up": 3},
    {"id": "mid", "name": "Mid", "up": 100, "down": 1, "dwell": 1},
    {"id": "top", "name": "Top", "absorbing": True}]}
OTHER = {"id": "other", "title": "Another doctrine", "stages": [
    {"id": "quiet", "name": "Quiet", "up": 2},
    {"id": "alert", "name": "Alert"},
    {"id": "end", "name": "End", "absorbing": True}],
    "edges": [{"from": "quiet", "to": "end", "guard": "tension >= 1"}]}


def write(tmp_path: Path, **scenario) -> Path:
    """A scenario on LADDER (and OTHER as ladders/other.yaml) with `scenario` merged in."""
    (tmp_path / "ladders").mkdir(exist_ok=True)
    (tmp_path / "ladders" / "three.yaml").write_text(yaml.safe_dump(LADDER, sort_keys=False))
    (tmp_path / "ladders" / "other.yaml").write_text(yaml.safe_dump(OTHER, sort_keys=False))
    doc = {"id": "dyn", "title": "Dynamics", "ladder": "three", "start": "low",
           "clock": {"horizon": 12}, **scenario}
    path = tmp_path / "dyn.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def actor(actions: dict, weights: dict, **more) -> dict:
    return {"kind": "state", "actions": actions, "policy": {"weights": weights}, **more}


def traced(path: Path, seed: int = 1) -> list:
    model = EscalationModel(sim.load_scenario(path), n=1, rng=seed, trace=True)
    model.run_to_end()
    return model.notes or []


def run_json(path: Path, *args: str, capsys) -> dict:
    assert main(["run", str(path), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


# -- state variables -------------------------------------------------------------------------
def test_a_variable_accumulates_its_effects_with_decay_and_bounds(tmp_path):
    path = write(tmp_path, variables={"red.threat": {"initial": 1, "decay": 0.5, "max": 1.9}},
                 actors={"red": actor({"push": {"effect": {"red.threat": 1}}}, {"push": 1})})
    notes = traced(path)
    values = [n.values["red.threat"] for n in notes[:4]]
    # 0.5 * 1 + 1 = 1.5; 0.5 * 1.5 + 1 = 1.75; then 1.875, clipped at 1.9 only when above it
    assert values == pytest.approx([1.5, 1.75, 1.875, 1.9])


def test_a_ladder_reads_its_variable_not_tension(tmp_path):
    path = write(tmp_path, reads="red.threat", variables={"red.threat": {}},
                 actors={"red": actor({"push": {"effect": {"red.threat": 1, "tension": -5}}},
                                      {"push": 1})})
    notes = traced(path)
    moved = [n for n in notes if n.moved]
    assert moved[0].step == 3 and moved[0].moved[0][1:4] == ("low", "mid", "threshold up")
    assert notes[0].tension == -5


def test_a_learning_variable_moves_toward_what_its_holder_sees(tmp_path):
    path = write(tmp_path, variables={"red.seen": {"initial": 0, "learn": {
                     "rate": 0.5, "toward": ["blue.last == harden", "false"]}}},
                 actors={"red": actor({"wait": {}}, {"wait": 1}),
                         "blue": actor({"harden": {}}, {"harden": 1})})
    values = [n.values["red.seen"] for n in traced(path)[:3]]
    # x = 1/2 every step: 0.25, 0.375, 0.4375
    assert values == pytest.approx([0.25, 0.375, 0.4375])


# -- flags and memory ------------------------------------------------------------------------
def test_a_flag_is_a_standing_state_until_cleared(tmp_path):
    path = write(tmp_path, flags={"blue.open": {}},
                 actors={"blue": actor({"open": {"sets": ["blue.open"]}, "close":
                                        {"clears": ["blue.open"]}, "wait": {}},
                                       {"open": 1, "close": 0, "wait": 0}),
                         "red": actor({"calm": {}, "push": {"effect": 1}}, {"calm": 0, "push": 1},
                                      )},
                 events=[{"name": "closed", "at": 5, "flags": {"blue.open": False}}])
    tree = yaml.safe_load(path.read_text())
    tree["actors"]["red"]["policy"]["modifiers"] = [{"when": "blue.open",
                                                    "scale": {"push": 0}}]
    tree["actors"]["red"]["policy"]["weights"]["calm"] = 1
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    notes = traced(path)
    assert [n.flags["blue.open"] for n in notes[:3]] == [True, True, True]
    assert notes[1].actions["red"] == "calm"  # the flag set in step 1 holds at step 2


@pytest.mark.parametrize("condition, first_step", [
    ("count(red.push, 3) >= 3", 4),  # steps 1-3 seen at the start of step 4
    ("count(red.push, 3) >= 1", 2),
    ("since(red.push) <= 1", 2),
    ("ever(red.push)", 2),
    ("since(red.wait) <= 100", None),  # never taken: since is infinite
])
def test_memory_functions_count_the_steps_before(tmp_path, condition, first_step):
    path = write(tmp_path, actors={"red": actor({"push": {}, "wait": {}},
                                                {"push": 1, "wait": 0})},
                 events=[{"name": "remembered", "when": condition, "tension": {"add": 0}}])
    fired = [n.step for n in traced(path) if "remembered" in n.events]
    assert (fired[0] if fired else None) == first_step


# -- perception and signals ------------------------------------------------------------------
def test_perception_with_lag_and_bias_sees_old_values(tmp_path):
    path = write(tmp_path, tension={"initial": 0, "decay": 1},
                 actors={"red": actor({"push": {"effect": 1}}, {"push": 1},
                                      perceives={"tension": {"lag": 2, "bias": 0.5}})})
    notes = traced(path)
    seen = [n.perceived["red"]["tension"] for n in notes[:5]]
    # lag 0 would see tension after step t - 1; lag 2 sees it two steps older, after step
    # t - 3 (the initial 0 before that), plus the bias
    assert seen == pytest.approx([0.5, 0.5, 0.5, 1.5, 2.5])


def test_perception_of_a_stage_is_in_rungs(tmp_path):
    path = write(tmp_path, actors={"red": actor({"push": {"effect": 2}}, {"push": 1},
                                                perceives={"stage": {"bias": 5}})})
    assert traced(path)[0].perceived["red"]["stage"] == "top"  # clipped onto the ladder


def test_noise_free_perception_changes_no_number(tmp_path, capsys):
    base = {"tension": {"decay": 0.8},
            "actors": {"red": actor({"push": {"effect": 1}, "wait": {}},
                                    {"push": 1, "wait": 1})}}
    a = run_json(write(tmp_path, **base), "--runs", "500", "--seed", "3", capsys=capsys)
    base["actors"]["red"]["perceives"] = {"tension": {"lag": 0}}
    b = run_json(write(tmp_path, **base), "--runs", "500", "--seed", "3", capsys=capsys)
    assert a["reach"] == b["reach"] and a["final"] == b["final"]


def test_others_see_the_signal_and_the_trace_keeps_both(tmp_path):
    path = write(tmp_path, actors={
        "red": actor({"push": {"effect": 0.1, "signal": {"shows": "calm", "p": 1}},
                      "calm": {}}, {"push": 1, "calm": 0}),
        "blue": actor({"harden": {}, "relax": {}}, {"harden": 1, "relax": 0})})
    tree = yaml.safe_load(path.read_text())
    tree["actors"]["blue"]["policy"]["modifiers"] = [
        {"when": "red.last == calm", "scale": {"harden": 0}},
        {"when": "red.last == calm", "scale": {"relax": 1e6}}]
    tree["actors"]["blue"]["policy"]["weights"]["relax"] = 1e-6
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    notes = traced(path)
    assert notes[0].actions["red"] == "push" and notes[0].signals["red"] == "calm"
    assert notes[1].actions["blue"] == "relax"  # blue saw restraint, not the push


# -- joint decisions, hazards, coupled ladders ------------------------------------------------
def joint(tmp_path: Path, authorise: float) -> Path:
    return write(tmp_path, start="mid", tension={"initial": 2}, actors={
        "red": actor({"ask": {"trigger": "top", "requires": "patron.yes", "within": 1}},
                     {"ask": 1}),
        "patron": actor({"yes": {}, "no": {}}, {"yes": authorise, "no": 1})})


def test_a_dual_key_fires_only_with_the_other_key(tmp_path, capsys):
    closed = run_json(joint(tmp_path, 0), "--runs", "300", "--seed", "1", capsys=capsys)
    assert closed["reach"]["top"]["p"] == 0
    notes = traced(joint(tmp_path, 1))
    move = next(n for n in notes if n.moved)
    assert move.moved[0].rule == "joint decision"
    assert move.actions["patron"] == "yes" or notes[notes.index(move) - 1].actions[
        "patron"] == "yes"


@pytest.mark.parametrize("p, when, reached", [(1, None, 1.0), (0, None, 0.0),
                                              (1, "step >= 5", 1.0)])
def test_a_hazard_moves_the_ladder_with_cause_accident(tmp_path, capsys, p, when, reached):
    hazard = {"at": "low", "to": "mid", "p": p}
    if when:
        hazard["when"] = when
    path = write(tmp_path, hazards=[hazard], actors={"red": actor({"wait": {}}, {"wait": 1})})
    out = run_json(path, "--runs", "200", "--seed", "1", capsys=capsys)
    assert out["reach"]["mid"]["p"] == reached
    if reached:
        move = next(n for n in traced(path) if n.moved)
        assert move.moved[0].rule == "accident" and move.step == (5 if when else 1)


def coupled(tmp_path: Path, ends_run: bool) -> Path:
    return write(tmp_path, ladders={"ally": {"ladder": "other", "start": "quiet",
                                             "reads": "alarm", "ends_run": ends_run}},
                 variables={"alarm": {}},
                 actors={"red": actor({"push": {"effect": {"alarm": 1, "tension": 0.5}},
                                       "call": {"trigger": "ally:end"}},
                                      {"push": 1, "call": 0}),
                         "blue": actor({"watch": {}}, {"watch": 1})})


def test_coupled_ladders_move_on_their_own_variables(tmp_path, capsys):
    out = run_json(coupled(tmp_path, True), "--runs", "300", "--seed", "2", capsys=capsys)
    assert list(out["ladders"]) == ["main", "ally"]
    ally = out["ladders"]["ally"]
    # alarm reaches 2 at step 2: quiet -> alert by threshold; the guarded jump to `end` is
    # for triggers only, and nobody calls
    assert ally["reach"]["alert"]["p"] == 1 and ally["time_to"]["alert"]["median"] == 2
    assert out["reach"]["mid"]["p"] == 1  # tension 0.5 a step reaches 3 at step 6
    assert out["joint"]["ended"]["p"] == 0


def test_a_trigger_on_a_coupled_ladder_can_end_the_run(tmp_path, capsys):
    for ends_run in (True, False):
        path = coupled(tmp_path, ends_run)
        tree = yaml.safe_load(path.read_text())
        tree["actors"]["red"]["policy"]["weights"] = {"push": 0, "call": 1}
        tree["variables"]["alarm"]["initial"] = 1  # the guard `tension >= 1` reads alarm
        path.write_text(yaml.safe_dump(tree, sort_keys=False))
        out = run_json(path, "--runs", "100", "--seed", "2", capsys=capsys)
        assert out["ladders"]["ally"]["reach"]["end"]["p"] == 1
        assert out["joint"]["ended"]["p"] == (1 if ends_run else 0)
        assert out["joint"]["by"].get("ally:end", {"p": 0})["p"] == (1 if ends_run else 0)


def test_records_of_every_ladder_add_up_to_the_steps_run(tmp_path):
    path = coupled(tmp_path, True)
    model = EscalationModel(sim.load_scenario(path), n=50, rng=4)
    model.run_to_end()
    for track in model.tracks:
        assert (track.time_in.sum(axis=1) == model.main.time_in.sum(axis=1)).all()


def test_the_example_is_the_same_whatever_the_workers(capsys):
    path = ROOT / "scenarios" / "examples" / "coupled-ladders.yaml"
    one = run_json(path, "--runs", "20000", "--seed", "5", "--jobs", "1", capsys=capsys)
    two = run_json(path, "--runs", "20000", "--seed", "5", "--jobs", "2", capsys=capsys)
    one.pop("timing"), two.pop("timing")
    assert one == two


def test_a_dynamic_run_can_be_snapshotted_and_forked():
    scenario = sim.load_scenario(ROOT / "scenarios" / "examples" / "coupled-ladders.yaml")
    model = EscalationModel(scenario, n=1, rng=3)
    for _ in range(10):
        model.step()
    snap = model.snapshot()
    for _ in range(5):
        model.step()
    after = model.vars.values["minsk.threat"].copy()
    model.restore(snap)
    for _ in range(5):
        model.step()
    assert np.array_equal(model.vars.values["minsk.threat"], after)
    fork = model.fork(0, n=200, rng=1)
    assert np.all(fork.vars.values["minsk.threat"] == after[0])
    assert np.all(fork.track("nato").stage == model.track("nato").stage[0])
    fork.run_to_end()


def test_exact_refuses_each_dynamic_construct_with_its_line(capsys):
    path = ROOT / "scenarios" / "examples" / "coupled-ladders.yaml"
    assert main(["exact", str(path)]) == 2
    err = capsys.readouterr().err
    for fragment in (":20: reads: the ladder reads variable minsk.threat",
                     "ladders.nato.reads: coupled ladder 'nato' reads variable warsaw.alarm",
                     "events[0]: an event in a scenario with coupled ladders",
                     "variables.minsk.resolve_seen: variable minsk.resolve_seen is read",
                     "flags.warsaw.checkpoint_open: flag warsaw.checkpoint_open is read",
                     "actors.minsk.perceives.warsaw.alarm: minsk perceives",
                     "actors.minsk.actions.request_release.requires: joint decision",
                     "actors.warsaw.policy.modifiers[0].when: count/since/ever",
                     "hazards[0]: hazard", "events[0]: an event that changes variables"):
        assert fragment in err, fragment


def test_set_reaches_dotted_names_and_params_lists_them(capsys):
    path = ROOT / "scenarios" / "examples" / "coupled-ladders.yaml"
    out = run_json(path, "--runs", "300", "--seed", "1", "--set",
                   "actors.minsk.actions.push_migrants.effect.warsaw.alarm=0.9",
                   "--set", "variables.minsk.threat.decay=0.5", capsys=capsys)
    assert out["ladders"]["nato"]["reach"]["border_closure"]["p"] == 1
    assert out["provenance"]["overrides"][1] == "variables.minsk.threat.decay=0.5"
    paths = set(sim.parameters(path).path)
    assert {"variables.minsk.threat.decay", "hazards.0.p",
            "actors.minsk.perceives.warsaw.alarm.noise",
            "actors.minsk.actions.push_migrants.effect.warsaw.alarm"} <= paths


def test_the_demo_dashboard_plays_a_dynamic_scenario():
    from sim.workshop.dashboard import Dashboard

    scenario = sim.load_scenario(ROOT / "scenarios" / "examples" / "coupled-ladders.yaml")
    board = Dashboard(scenario, ["warsaw"], outlook_runs=200, batch_runs=100)
    board.pick("warsaw", "open_checkpoint")
    board.step()
    log = board.log_html()
    assert "flags: warsaw.checkpoint_open on" in log
    assert "nato ladder at reinforcement" in log and "variables: minsk.threat" in log
    outlook = board.outlook_html()
    assert "<p>Ladder nato:</p>" in outlook and "<p>Ladder russia:</p>" in outlook


def test_a_run_ended_by_an_event_closes_every_ladders_books(tmp_path):
    path = coupled(tmp_path, True)
    tree = yaml.safe_load(path.read_text())
    tree["events"] = [{"name": "war", "at": 4, "stage": "top"}]
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    model = EscalationModel(sim.load_scenario(path), n=20, rng=1)
    model.run_to_end()
    assert (model.main.time_in.sum(axis=1) == 4).all()
    assert (model.track("ally").time_in.sum(axis=1) == 4).all()


def test_the_results_keep_both_the_deeds_and_the_faces_shown(tmp_path):
    path = ROOT / "scenarios" / "examples" / "coupled-ladders.yaml"
    result = sim.run(sim.load_scenario(path), runs=400, seed=2, keep_runs=True)
    runs = result.runs
    deeds = runs[[f"minsk.{a}" for a in ("push_migrants", "restrain", "stage_incident",
                                         "request_release")]].sum(axis=1)
    shown = runs[[c for c in runs.columns if c.startswith("minsk.shown.")]].sum(axis=1)
    assert (deeds == shown).all()  # one face per step taken
    # a push is shown as restraint with probability 0.4: restraint shown more than done
    assert runs["minsk.shown.restrain"].sum() > runs["minsk.restrain"].sum()
    assert runs["minsk.shown.push_migrants"].sum() < runs["minsk.push_migrants"].sum()
    assert "warsaw.shown.harden" not in runs  # warsaw has no signal


def test_the_level_series_is_what_the_main_ladder_reads(tmp_path):
    path = write(tmp_path, reads="red.threat", variables={"red.threat": {}},
                 actors={"red": actor({"push": {"effect": {"red.threat": 1, "tension": -5}}},
                                      {"push": 1})})
    result = sim.run(sim.load_scenario(path), runs=50, seed=1)
    assert result.summary["reads"] == "red.threat"
    assert result.mean_tension.iloc[2] == pytest.approx(2.0)  # red.threat after step 2
    plain = sim.run(sim.load_scenario(ROOT / "scenarios" / "examples" / "gamblers-ruin.yaml"),
                    runs=50, seed=1)
    assert "reads" not in plain.summary


def test_the_play_outlook_covers_every_ladder():
    from sim.workshop.session import Session

    scenario = sim.load_scenario(ROOT / "scenarios" / "examples" / "coupled-ladders.yaml")
    session = Session(scenario, ["warsaw"], seed=2, outlook_runs=200)
    session.advance(3)
    outlook = session.outlook()
    assert set(outlook.ladders) == {"nato", "russia"}
    nato = {row["stage"]: row for row in outlook.ladders["nato"].rows()}
    assert nato["reinforcement"]["already"] and 0 <= nato["article_4"]["p"] <= 1


def product_file(tmp_path: Path, ends_run: bool) -> Path:
    """Two coupled ladders whose joint stage process is Markov (decay 0, fixed numbers,
    conditions on stages only), with a modifier reading the coupled ladder's stage."""
    blue = actor({"escalate": {"trigger": "top"}, "hold": {}}, {"escalate": 0.05, "hold": 1})
    blue["policy"]["modifiers"] = [{"when": "ally.stage >= alert", "scale": {"escalate": 4}}]
    return write(tmp_path, tension={"initial": 0, "decay": 0},
                 ladders={"ally": {"ladder": "other", "start": "quiet", "ends_run": ends_run}},
                 actors={"red": actor({"push": {"effect": 3}, "wait": {"effect": 0.5},
                                       "call": {"trigger": "ally:end", "effect": 1}},
                                      {"push": 1, "wait": 2, "call": 0.1}),
                         "blue": blue})


@pytest.mark.parametrize("ends_run", [True, False])
def test_exact_product_chain_agrees_with_the_engine(tmp_path, capsys, ends_run):
    path = product_file(tmp_path, ends_run)
    assert main(["exact", str(path), "--json"]) == 0
    exact = json.loads(capsys.readouterr().out)
    assert exact["method"] == "exact product chain" and list(exact["ladders"]) == ["main", "ally"]
    mc = run_json(path, "--runs", "40000", "--seed", "11", capsys=capsys)
    n = mc["runs"]
    for key in ("main", "ally"):
        for stage in exact["ladders"][key]["stages"]:
            for what in ("reach", "final"):
                p = exact["ladders"][key][what][stage]
                got = mc["ladders"][key][what][stage]["p"]
                assert abs(got - p) <= 4.5 * (p * (1 - p) / n) ** 0.5 + 1e-9, (key, stage, what)
    assert abs(mc["joint"]["ended"]["p"] - exact["joint"]["ended"]) < 0.01
    assert exact["ladders"]["ally"]["reach"]["end"] > 0.1  # the coupled trigger fires
    assert 0.05 < exact["ladders"]["main"]["reach"]["top"] < 0.95  # blue's trigger, modified
    assert main(["exact", str(path)]) == 0
    assert "ladder ally (other):" in capsys.readouterr().out


def test_show_prints_the_dynamics(capsys):
    assert main(["show", str(ROOT / "scenarios" / "examples" / "coupled-ladders.yaml")]) == 0
    out = capsys.readouterr().out
    for fragment in ("The ladder above has key belarus and reads minsk.threat.",
                     "Ladder nato (reads warsaw.alarm; entering an absorbing stage does not "
                     "end the run)",
                     "minsk.resolve_seen: initial 0.5, learns at rate 0.1 toward",
                     "warsaw.checkpoint_open: initially off",
                     "push_migrants: effect warsaw.alarm 0.5, minsk.threat 0.1; shown as "
                     "restrain with p 0.4",
                     "only with moscow.authorise (or up to 1 step before)",
                     "trigger -> nato:article_4", "perceives warsaw.alarm: bias -0.5",
                     "at border_incident -> mp_crisis with p 0.01 a step while",
                     "minsk.threat add -0.5; set warsaw.checkpoint_open"):
        assert fragment in out, fragment
