"""Control's powers on the main line of a played run (inject, adjudicate, force, veto, argued
moves, standing orders), turns of several steps or to the next decision point, reasons, decision
points, and the transcript that records each as Control's judgement."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.workshop import control
from sim.workshop.commands import parse_command, run_command
from sim.workshop.entries import ControlAct, Decision
from sim.workshop.session import CommandError, Session
from tests.helpers import ROOT

SCENARIO = ROOT / "scenarios" / "belarus-poland-2024.yaml"
RUNS = 100


@pytest.fixture(scope="module")
def scenario():
    return sim.load_scenario(SCENARIO)


def session_of(scenario, players=("warsaw",), seed=3, **kw) -> Session:
    return Session(scenario, list(players), seed, RUNS, **kw)


def actions(session: Session, actor: str) -> list[str]:
    return [t.note.actions[actor] for t in session.log if hasattr(t, "note")]


# -- inject and adjudicate: the state now, undone like a turn ------------------------------------


def test_inject_a_variable_changes_the_state_logs_the_reason_and_undo_takes_it_back(scenario):
    s = session_of(scenario)
    before = float(s.model.value("minsk.danger")[0])
    act = control.change_now(s, "inject", ["minsk.danger", "+2.5"], "a viral video")
    assert float(s.model.value("minsk.danger")[0]) == pytest.approx(before + 2.5)
    assert isinstance(act, ControlAct) and act.power == "inject" and act.why == "a viral video"
    assert act.what == "minsk.danger +2.5" and s.log[-1] is act
    assert act.before is not None and act.after is not None and act.after.n == RUNS
    # more danger now: the outlook of border_incident cannot be lower by much
    up = [r["p"] for r in act.after.rows()][2] - [r["p"] for r in act.before.rows()][2]
    assert up > 0.1
    s.undo()
    assert float(s.model.value("minsk.danger")[0]) == pytest.approx(before)
    assert s.log[-1].startswith("Undo: Control's inject at step 0")


@pytest.mark.parametrize("words, message", [
    (["minsk.dangr", "+1"], "did you mean 'minsk.danger'"),
    (["minsk.danger", "2"], "give +X or -X to add, =X to set"),
    (["warsaw.checkpoint_open", "maybe"], "a flag is on or off"),
    (["event", "99"], "no event '99' (events: 1 Polish soldier stabbed"),
    (["stage", "border_incidnt"], "did you mean 'border_incident'"),
    (["stage", "moon:up"], "no ladder 'moon'"),
    (["param", "actors.warsaw.policy.weights.nope", "1"], "inject param"),
    (["tension"], "inject needs what and how much"),
])
def test_bad_injects_are_refused_and_change_nothing(scenario, words, message):
    s = session_of(scenario)
    snap = s.model.snapshot()["arrays"]
    with pytest.raises(CommandError, match=re.escape(message)):
        control.change_now(s, "inject", words, "why")
    now = s.model.snapshot()["arrays"]
    assert all(np.array_equal(a, b) for a, b in zip(snap, now, strict=True))
    assert len(s.line) == 1 and not s.log


def test_inject_flag_event_and_parameter(scenario):
    s = session_of(scenario)
    control.change_now(s, "inject", ["warsaw.checkpoint_open", "on"], "opened for talks")
    assert bool(s.model.vars.flags["warsaw.checkpoint_open"][0])
    control.change_now(s, "inject", ["event", "2"], "the zone comes early")
    assert s.log[-1].what == "event 'Buffer zone announced' applied now"
    warsaw = s.model.agent_of("warsaw")
    control.change_now(s, "inject", ["param", "actors.warsaw.policy.weights.harden", "0"],
                       "the cabinet rules out hardening")
    assert s.log[-1].what == "actors.warsaw.policy.weights.harden = 0"
    assert next(o.share for o in s.options("warsaw") if o.action.id == "harden") == 0.0
    assert warsaw.policy_shares(0).sum() == pytest.approx(1.0)


def test_adjudicate_moves_the_stage_and_an_absorbing_stage_ends_the_run(scenario):
    s = session_of(scenario)
    control.change_now(s, "adjudicate", ["border_incident"], "the stabbing counts as one")
    assert s.stage == "border_incident" and int(s.model.peak[0]) == 2
    assert s.log[-1].what == "belarus ladder hybrid_pressure -> border_incident"
    control.change_now(s, "adjudicate", ["nato:" + scenario.coupled[0].ladder.stage_ids[1]],
                       "an Article 4 request")
    assert int(s.model.track("nato").stage[0]) == 1
    control.change_now(s, "adjudicate", ["nuclear_use"], "for the exercise")
    assert s.ended and s.log[-1].after is None
    with pytest.raises(CommandError, match="the run has ended"):
        run_command(s, "n")


# -- force, veto, standing orders ----------------------------------------------------------------


def test_force_any_actor_and_the_team_need_not_pick(scenario):
    s = session_of(scenario)
    control.force(s, "minsk", "restrain", "Moscow's call")
    control.force(s, "warsaw", "open_checkpoint", "the room rules it")
    assert s.waiting_for() is None
    turn = s.play()
    assert turn.note.actions["minsk"] == "restrain" and turn.how["minsk"] == "forced"
    assert turn.note.actions["warsaw"] == "open_checkpoint" and turn.how["warsaw"] == "forced"
    assert s.play().how == {"warsaw": "policy"}  # for one step only


def test_veto_redraws_the_policy_without_the_action_for_the_whole_turn(scenario):
    vetoed_seen = 0
    for seed in range(12):
        s = session_of(scenario, seed=seed, turn_steps=4, assess=False)
        control.veto(s, "minsk", "push_migrants", "consultations under way")
        turns = s.play_turn()
        assert len(turns) == 4 and all(t.how["minsk"] == "vetoed" for t in turns)
        assert "push_migrants" not in [t.note.actions["minsk"] for t in turns]
        plain = session_of(scenario, seed=seed, assess=False)
        vetoed_seen += [t.note.actions["minsk"] for t in plain.advance(4)].count("push_migrants")
        assert s.play().how.get("minsk") is None  # the veto ends with the turn
    assert vetoed_seen > 5  # without the veto minsk pushes migrants often


def test_veto_of_a_teams_pick_asks_it_to_pick_again(scenario):
    s = session_of(scenario)
    s.choose("warsaw", "harden")
    control.veto(s, "warsaw", "harden", "not in the mandate")
    assert s.waiting_for() == "warsaw"
    assert "harden" not in [o.action.id for o in s.options("warsaw")]
    with pytest.raises(CommandError, match="warsaw.harden is vetoed by Control this turn"):
        s.choose("warsaw", "harden")


def test_standing_order_fills_the_steps_of_a_long_turn(scenario):
    s = session_of(scenario, turn_steps=3)
    control.order(s, "warsaw", "diplomatic_protest", "talks first")
    s.choose("warsaw", "harden", why="a show of resolve")
    turns = s.play_turn()
    assert [t.how["warsaw"] for t in turns] == ["chosen", "standing", "standing"]
    assert [t.note.actions["warsaw"] for t in turns] == ["harden", "diplomatic_protest",
                                                         "diplomatic_protest"]
    assert turns[0].reasons == {"warsaw": "a show of resolve"}
    control.order(s, "warsaw", "off", "summit over")
    assert [t.how["warsaw"] for t in s.play_turn()] == ["policy"] * 3


def test_turns_to_the_next_decision_point_stop_at_a_stage_move_or_event(scenario):
    s = session_of(scenario, turn_steps=0, assess=False)
    for _ in range(4):
        turns = s.play_turn()
        last = turns[-1].note
        assert last.moved or last.events or s.ended
        assert all(not (t.note.moved or t.note.events) for t in turns[:-1])


# -- argued moves --------------------------------------------------------------------------------


def test_an_argued_move_waits_for_controls_ruling_then_rolls_and_applies(scenario):
    s = session_of(scenario, seed=5)
    control.argue(s, "warsaw", "close the rail crossing at Kuznica")
    assert s.waiting_for() is None
    with pytest.raises(CommandError, match="Control has not ruled on warsaw's argued move"):
        s.play()
    danger = float(s.model.value("warsaw.alarm")[0])
    control.rule(s, ["p=1", "warsaw.alarm=+3", "as=harden"], "done in 2021")
    assert float(s.model.value("warsaw.alarm")[0]) == danger  # checked, not applied yet
    turn = s.play()
    (arg,) = turn.argued
    assert arg.success and turn.how["warsaw"] == "argued"
    assert turn.note.actions["warsaw"] == "harden"
    assert any(isinstance(e, Decision) and e.how == "argued" for e in s.log)


def test_a_failed_argued_move_changes_nothing_but_the_stand_in(scenario):
    s, plain = session_of(scenario, seed=5), session_of(scenario, seed=5)
    control.argue(s, "warsaw", "a move")
    control.rule(s, ["p=0", "stage=mp_crisis", "as=hold"], "no chance")
    plain.choose("warsaw", "hold")
    a, b = s.play(), plain.play()
    assert a.argued[0].success is False and a.stage_after == b.stage_after
    assert a.note.actions == b.note.actions and a.level_after == b.level_after


@pytest.mark.parametrize("words, message", [
    (["tension=+1"], "rule needs the probability of success, p=P"),
    (["p=1.5"], "a probability is from 0 to 1"),
    (["p=0.5", "stage=nowhere"], "no stage 'nowhere'"),
    (["p=0.5", "as=fly"], "warsaw has no action 'fly'"),
    (["p=0.5", "oops"], "terms are KEY=VALUE"),
    (["minsk", "p=0.5"], "minsk has argued no move this turn"),
])
def test_bad_rulings_are_refused(scenario, words, message):
    s = session_of(scenario)
    control.argue(s, "warsaw", "a move")
    with pytest.raises(CommandError, match=re.escape(message)):
        control.rule(s, words, "why")


# -- the command language -------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("inject tension +2", "inject needs Control's reason after --"),
    ("veto minsk provoke", "veto needs Control's reason"),
    ("force minsk -- why", "force ACTOR ACTION -- why"),
    ("n 2 -- later", "n takes no reason"),
    ("turn 0", "turn takes a number of steps >= 1 or 'decision'"),
    ("argue warsaw", "argue [ACTOR] -- the move"),
])
def test_commands_need_their_reason_and_their_words(text, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        parse_command(text, {"hold"})


def test_a_reason_follows_the_double_dash():
    c = parse_command("warsaw=hold -- wait for -- the summit", {"hold"})
    assert (c.kind, c.words, c.why) == ("pick", ("hold", "warsaw"), "wait for -- the summit")


SCRIPT = """\
harden -- a show of resolve at the fence
inject minsk.danger +2 -- a viral video raises the temperature
veto minsk stage_incident -- NATO consultations; Minsk holds back
argue -- close the rail crossing at Kuznica to freight
rule warsaw p=0.7 warsaw.alarm=+1 as=harden -- plausible: done in 2021
n
turn 3
adjudicate border_incident -- the room judges the shooting a border incident
diplomatic_protest -- talks first
f 1 -- would holding lower the risk?
force minsk restrain -- Moscow's call, per the briefing
n
q
"""


def test_a_scripted_game_records_every_power_with_its_reason(tmp_path):
    script, out = tmp_path / "game.txt", tmp_path / "game.md"
    script.write_text(SCRIPT)
    assert main(["play", str(SCENARIO), "--as", "warsaw", "--seed", "3", "--outlook-runs",
                 "100", "--script", str(script), "--transcript", str(out)]) == 0
    md = out.read_text()
    for power, reason in [("inject", "a viral video raises the temperature"),
                          ("veto", "NATO consultations; Minsk holds back"),
                          ("rule", "plausible: done in 2021"),
                          ("adjudicate", "the room judges the shooting a border incident"),
                          ("force", "Moscow's call, per the briefing")]:
        assert f"**Control's judgement** ({power})" in md and f"*Reason: {reason}*" in md
    assert "warsaw (played, chosen): harden (why: a show of resolve at the fence)" in md
    assert "argued move of warsaw: close the rail crossing at Kuznica to freight" in md
    assert "Fork at step 5 (2024-06-01): warsaw plays hold this turn (why: would holding" in md
    assert "#### Decision point at step 0 (2024-05-27): warsaw picked harden" in md
    record = json.loads(md.split("```json\n", 1)[1].split("\n```", 1)[0])
    assert record["format"] == "ladder-transcript/1" and record["players"] == ["warsaw"]
    kinds = [e["kind"] for e in record["log"]]
    assert kinds[0] == "start" and {"turn", "decision", "control", "fork", "note"} <= set(kinds)
    powers = [e["power"] for e in record["log"] if e["kind"] == "control"]
    assert powers == ["inject", "veto", "rule", "adjudicate", "force"]
    decision = next(e for e in record["log"] if e["kind"] == "decision")
    assert decision["chosen"] == "harden" and decision["why"] == "a show of resolve at the fence"
    assert [o["action"] for o in decision["options"]][:3] == ["hold", "harden",
                                                            "diplomatic_protest"]
    assert record["turn_steps"] == 3 and record["end"]["stage"] in record["stage_ids"]


def test_assessing_decisions_changes_no_number_of_the_played_run(scenario):
    one, two = session_of(scenario, seed=7), session_of(scenario, seed=7, assess=False)
    for s in (one, two):
        s.choose("warsaw", "harden")
        s.play()
        s.advance(5)
    assert [t.note.actions for t in one.log if hasattr(t, "note")] == [
        t.note.actions for t in two.log if hasattr(t, "note")]
    assert sum(isinstance(e, Decision) for e in one.log) == 1
    assert not any(isinstance(e, Decision) for e in two.log)


def test_debrief_of_two_scripted_games_prints_the_hot_wash_and_the_aggregation(
        tmp_path, capsys):
    script = tmp_path / "game.txt"
    script.write_text(SCRIPT)
    paths = []
    for seed in ("3", "4"):
        out = tmp_path / f"room{seed}.md"
        assert main(["play", str(SCENARIO), "--as", "warsaw", "--seed", seed, "--outlook-runs",
                     "100", "--script", str(script), "--transcript", str(out)]) == 0
        assert "## Hot wash: " in out.read_text()  # the end of a game has it too
        paths.append(str(out))
    capsys.readouterr()
    assert main(["debrief", *paths]) == 0
    text = capsys.readouterr().out
    flat = " ".join(text.split())  # the text wraps at 80 columns
    for part in ("Departures from policy", "Missed off-ramps", "Largest outlook swings",
                 "Control's judgements", "a viral video raises the temperature"):
        assert part in flat
    # two rooms, the same picks each: harden and an argued move at hybrid_pressure, then
    # diplomatic_protest at border_incident (which Control adjudicated)
    assert text.startswith("Debrief of 2 rooms: ")
    assert "warsaw at hybrid_pressure: n = 4 decisions in 2 rooms" in text
    assert re.search(r"harden +2 +50\.0% \[15\.0, 85\.0\] +37%", text)
    assert re.search(r"\(argued, outside\) +2 +50\.0%", text)
    assert re.search(r"diplomatic_protest +2 +100\.0% \[34\.2, 100\.0\] +22%", text)


def test_the_demo_steps_a_turn_of_turn_steps(scenario):
    from sim.workshop.dashboard import Dashboard
    from sim.workshop.demo import DemoConfig

    board = Dashboard(scenario, ["warsaw"], outlook_runs=RUNS, batch_runs=100, turn_steps=7)
    board.pick("warsaw", "harden")
    turn = board.step()
    assert turn.step == 7 and board.session.t == 7
    assert [t.how["warsaw"] for t in board.session.log if hasattr(t, "note")] == [
        "chosen"] + ["policy"] * 6
    config = DemoConfig("/x/s.yaml", ("warsaw",), 3, 700, None, "fresh", 0)
    assert DemoConfig.from_env(config.to_env()) == config
    with pytest.raises(CommandError, match="q ends `ladder play`; here the session ends "
                                           "when its server stops"):
        run_command(board.session, "q")


def test_a_past_turn_shows_the_coupled_ladders_as_they_were_after_it(scenario):
    s = session_of(scenario, assess=False)
    first = s.play()
    before = s.dynamics(first)
    control.change_now(s, "adjudicate", ["nato:" + scenario.coupled[0].ladder.stage_ids[-2]],
                       "for the test")
    assert s.dynamics(first) == before


def test_an_injected_parameter_holds_in_the_outlooks_fresh_draws_and_undo_removes_it(scenario):
    s = session_of(scenario, assess=False)
    harden = scenario.actor("warsaw").action_ids.index("harden")

    def harden_share_in_forks() -> float:
        ens = s.model.fork(0, n=50, rng=1)
        try:
            agent = ens.agent_of("warsaw")
            return float(sum(agent.policy_shares(i)[harden] for i in range(ens.n)))
        finally:
            ens.release()

    assert harden_share_in_forks() > 0
    control.change_now(s, "inject", ["param", "actors.warsaw.policy.weights.harden", "0"],
                       "the cabinet rules out hardening")
    assert harden_share_in_forks() == 0.0
    s.play()  # it holds after a step, and in the played run
    assert harden_share_in_forks() == 0.0
    assert next(o.share for o in s.options("warsaw") if o.action.id == "harden") == 0.0
    s.undo()
    s.undo()
    assert harden_share_in_forks() > 0 and not s.model.parameter_sets


def test_what_a_room_types_stays_literal_in_the_markdown(scenario):
    from sim.workshop.debrief import transcript

    s = session_of(scenario, assess=False)
    control.change_now(s, "inject", ["minsk.danger", "+1"], "a *viral* video | <b>leak</b>")
    s.choose("warsaw", "hold", why="wait_and_see")
    s.play()
    md = transcript(s, "q")
    assert r"*Reason: a \*viral\* video \| \<b\>leak\</b\>*" in md
    assert r"(why: wait\_and\_see)" in md
    assert r"Control's judgement: a \*viral\* video \| \<b\>leak\</b\> |" in md


def test_an_argued_stage_trigger_moves_the_stage_after_the_step_even_to_an_absorbing_one(
        scenario):
    s = session_of(scenario, seed=5, assess=False)
    control.argue(s, "warsaw", "a strike across the border")
    control.rule(s, ["p=1", "stage=nuclear_use"], "for the exercise: the worst case")
    turn = s.play()
    assert turn.stage_after == "nuclear_use" and s.ended  # absorbing: the run has ended
    assert turn.why.endswith("; then warsaw's argued move: belarus ladder hybrid_pressure -> "
                             "nuclear_use")


def test_undo_before_the_turn_takes_back_the_picks_and_controls_forced_moves(scenario):
    s = session_of(scenario, assess=False)
    out = run_command(s, "force minsk restrain -- Moscow's call")
    assert "CONTROL'S JUDGEMENT at step 0 (2024-05-27): minsk plays restrain next step" in out
    assert "taken back" in run_command(s, "u") and not s.forced and s.t == 0
    turn = s.play()
    assert "minsk" not in turn.how  # the policy again
