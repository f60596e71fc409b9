"""`ladder play`: the engine support (force, fork, snapshot), a scripted workshop session and
its transcript, reproducibility, and bad input."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

import sim
from sim.analyses.exact import analyse
from sim.cli import main
from sim.engine.model import EscalationModel
from sim.workshop.commands import HELP, parse_command
from sim.workshop.play import play
from sim.workshop.screen import use_colour
from sim.workshop.session import CommandError, Session
from tests.helpers import ROOT, make_scenario

SCENARIO = ROOT / "scenarios" / "belarus-poland-2024.yaml"
MARKOV = ROOT / "scenarios" / "examples" / "markov-crisis.yaml"
OUTLOOK_RUNS = "300"

# About 20 turns as the room plays warsaw: moves by id and by number (1-3 are hold, harden,
# diplomatic_protest at every stage), turns on policy, an undo, a branch point left and
# returned to, and three forks.
SCRIPT = """\
# rehearsal of a workshop
harden
2                    # harden again, by number
diplomatic_protest
b before_zone        # a branch point at step 3
n 3
hold
u                    # take back step 7
3
f tension +2
f event 2
f hold
r before_zone        # back to step 3
n 10
hold
1
n 5
q
"""


def run_script(tmp_path, name="out", script=SCRIPT, extra=()):
    path = tmp_path / f"{name}.txt"
    path.write_text(script)
    out = tmp_path / f"{name}.md"
    code = main(["play", str(SCENARIO), "--as", "warsaw", "--seed", "3", "--script", str(path),
                 "--transcript", str(out), "--outlook-runs", OUTLOOK_RUNS, *extra])
    return code, out


# -- engine support -----------------------------------------------------------------------------
def two_actions(tmp_path, allowed=None):
    stages = [{"id": "a", "name": "A", "up": 100}, {"id": "b", "name": "B"}]
    q = {"effect": 1.0} | ({"allowed": allowed} if allowed else {})
    actors = {"x": {"kind": "state", "actions": {"p": {"effect": 0.0}, "q": q},
                    "policy": {"weights": {"p": 1, "q": 0}}},
              "y": {"kind": "state", "actions": {"r": {}, "s": {}},
                    "policy": {"weights": {"r": 1, "s": 1}}}}
    return make_scenario(tmp_path, stages, actors, horizon=5)


def test_force_shows_in_the_trace_counts_and_keeps_the_random_stream(tmp_path):
    sc = two_actions(tmp_path)
    forced = EscalationModel(sc, n=3, rng=5, trace=True)
    plain = EscalationModel(sc, n=3, rng=5, trace=True)
    forced.force("x", "q", runs=[0, 2])  # weight 0 at this stage, but allowed: legal
    forced.step()
    plain.step()
    assert forced.actors[0].choice.tolist() == [1, 0, 1]
    assert forced.notes[0].actions["x"] == "q"
    assert forced.actors[0].counts[1].tolist() == [1, 0, 1]
    assert np.allclose(forced.tension, [1, 0, 1])
    # the other actor drew exactly what it draws without forcing
    assert forced.actors[1].choice.tolist() == plain.actors[1].choice.tolist()
    assert forced.rng.bit_generator.state == plain.rng.bit_generator.state
    forced.step()  # a force lasts one step
    assert forced.actors[0].choice.tolist() == [0, 0, 0]


def test_force_is_not_applied_where_the_action_is_not_allowed(tmp_path):
    sc = two_actions(tmp_path, allowed=["b"])
    model = EscalationModel(sc, n=2, rng=1)
    model.force("x", "q")
    model.step()
    assert model.actors[0].choice.tolist() == [0, 0]


def test_force_rejects_populations_and_unknown_actions():
    sc = sim.load_scenario(SCENARIO)
    model = EscalationModel(sc, n=2, rng=1)
    with pytest.raises(sim.InputError, match="population"):
        model.force("migrant_groups", 0)
    with pytest.raises(sim.InputError, match="no action 'hardn'"):
        model.force("warsaw", "hardn")


def test_fork_with_the_runs_draws_copies_every_per_run_array_exactly():
    sc = sim.load_scenario(SCENARIO)
    model = EscalationModel(sc, n=5, rng=11)
    for _ in range(30):
        model.step()
    fork = model.fork(3, n=40, rng=2, draws="run")
    assert fork.n == 40 and fork.t == model.t == 30
    for (mine, axis), (theirs, _) in zip(model._state(), fork._state(), strict=True):
        want = np.broadcast_to(np.take(mine, [3], axis=axis), theirs.shape)
        assert np.array_equal(theirs, want)
    for name in ("stage", "tension", "peak"):
        assert (getattr(fork, name) == getattr(model, name)[3]).all()
    assert (fork.first == model.first[3]).all()
    fork.release()
    model.release()


def test_fork_at_step_0_gives_the_exact_distribution():
    sc = sim.load_scenario(MARKOV)
    exact = analyse(sc).reach
    fork = EscalationModel(sc, n=1, rng=1).fork(0, n=20_000, rng=7)
    fork.run_to_end()
    for s, stage in enumerate(sc.ladder.stage_ids):
        p = float((fork.peak >= s).mean())
        se = max(np.sqrt(exact[stage] * (1 - exact[stage]) / fork.n), 1e-9)
        assert abs(p - exact[stage]) <= 4.5 * se, (stage, p, exact[stage])


def test_fork_mid_run_gives_the_exact_distribution_from_there():
    sc = sim.load_scenario(MARKOV)
    model = EscalationModel(sc, n=1, rng=4)
    while model.t < 5 or model.below[0] or model.peak[0] != model.stage[0]:
        model.step()
        assert model.running, "pick a seed whose run is still going"
    stage_id = sc.ladder.stage_ids[int(model.stage[0])]
    later = sim.load_scenario(MARKOV, {"start": stage_id,
                                       "clock.horizon": sc.clock.horizon - model.t})
    exact = analyse(later).reach
    fork = model.fork(0, n=20_000, rng=8)
    fork.run_to_end()
    for s, stage in enumerate(sc.ladder.stage_ids):
        p = float((fork.peak >= s).mean())
        if s <= model.peak[0]:
            assert p == 1.0  # already reached in the played run
            continue
        se = max(np.sqrt(exact[stage] * (1 - exact[stage]) / fork.n), 1e-9)
        assert abs(p - exact[stage]) <= 4.5 * se, (stage, p, exact[stage])


def test_snapshot_and_restore_replay_the_same_steps():
    sc = sim.load_scenario(SCENARIO)
    model = EscalationModel(sc, n=1, rng=3, trace=True)
    for _ in range(5):
        model.step()
    snap = model.snapshot()
    for _ in range(5):
        model.step()
    first = (model.stage.copy(), model.tension.copy(), [n.actions for n in model.notes])
    model.restore(snap)
    assert model.t == 5 and len(model.notes) == 5
    assert len(model.datacollector.model_vars["active"]) == 5  # a row after each step
    for _ in range(5):
        model.step()
    again = (model.stage, model.tension, [n.actions for n in model.notes])
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert first[2] == again[2]


# -- a scripted session -----------------------------------------------------------------------
def test_scripted_session_writes_the_debrief(tmp_path, capsys):
    code, out = run_script(tmp_path)
    assert code == 0
    text = out.read_text()
    screen = capsys.readouterr().out
    assert "OUTLOOK from step 0 (2024-05-27)" in screen and "<- NOW" in screen
    assert "turns played: 25 (undone: 1, returns to a branch point: 1); forks: 3" in text
    assert "session ended: quit, at step 20 (2024-06-16)" in text
    steps = re.findall(r"^### Step (\d+) ", text, re.M)
    assert len(steps) == 25 and steps[-1] == "20"
    assert "- warsaw (played, chosen): harden" in text
    assert "- warsaw (played, chosen): diplomatic_protest" in text
    assert "- warsaw (played, policy): " in text
    assert "> Undo: step 7 (2024-06-03) taken back" in text
    assert "> Branch point 'before_zone' saved at step 3 (2024-05-30)" in text
    assert "> Returned to branch point 'before_zone' at step 3 (2024-05-30)" in text
    # outlooks: a row per stage with its Wilson interval, and n
    outlooks = re.findall(r"^Outlook from step (\d+) .*n = 300 runs", text, re.M)
    assert len(outlooks) >= 10
    assert re.search(r"^\| border_incident \| \d+\.\d% \| \[\d+\.\d, \d+\.\d\] \|$", text, re.M)
    # forks beside the un-branched outlook, with a paired interval and p-value
    assert "#### Fork at step 7 (2024-06-03): tension +2 now" in text
    assert "#### Fork at step 7 (2024-06-03): event now: Buffer zone announced" in text
    assert "#### Fork at step 7 (2024-06-03): warsaw plays hold this turn" in text
    assert "paired runs (common random numbers)" in text
    assert re.search(r"^\| mp_crisis \| \d+\.\d% \| \d+\.\d% \| [+-]\d+\.\d \[[+-]\d+\.\d, "
                     r"[+-]\d+\.\d\] \| p [=<] [\d.]+ \|$", text, re.M)
    # the line as it stands: steps 1-20, with the played moves
    table = text.split("## The run as it stands", 1)[1]
    assert len(re.findall(r"^\| \d+ \| 2024-", table, re.M)) == 20
    assert "| 4 | 2024-05-31 | warsaw: " in table


def test_same_seed_and_script_give_the_same_transcript(tmp_path):
    small = ("--outlook-runs", "100")  # the same for any size; smaller is quicker
    _, one = run_script(tmp_path, "one", extra=small)
    _, two = run_script(tmp_path, "two", extra=small)
    assert one.read_text() == two.read_text()
    _, other = run_script(tmp_path, "other", extra=(*small, "--seed", "4"))
    assert other.read_text() != one.read_text()


def test_outlooks_follow_the_turn_so_undo_gives_the_same_numbers():
    session = Session(sim.load_scenario(SCENARIO), ["warsaw"], seed=3, outlook_runs=300)
    before = session.outlook()
    session.choose("warsaw", "harden")
    session.play()
    after = session.outlook()
    session.undo()
    assert session.outlook() is before
    session.choose("warsaw", "harden")
    session.play()
    assert np.array_equal(session.outlook().peak, after.peak)


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("actor, message", [
    ("warsw", "--as warsw: unknown actor; did you mean 'warsaw'?"),
    ("migrant_groups", "--as migrant_groups: migrant_groups is a population"),
])
def test_bad_actor_is_exit_2(actor, message, capsys):
    assert main(["play", str(SCENARIO), "--as", actor]) == 2
    assert message in capsys.readouterr().err


def test_bad_script_command_names_its_line_and_plays_nothing(tmp_path, capsys):
    code, out = run_script(tmp_path, script="harden\n\n# fine\njump 3\nb\nn x\n")
    assert code == 2
    err = capsys.readouterr().err
    path = tmp_path / "out.txt"
    assert f"{path}:4: unknown command 'jump'" in err
    assert f"{path}:5: b needs one NAME" in err
    assert f"{path}:6: n takes a number of turns >= 1" in err
    assert not out.exists()


def test_a_move_that_is_not_legal_stops_the_script_at_its_line(tmp_path, capsys):
    code, out = run_script(tmp_path, script="harden\nrequest_article4\nhold\n")
    assert code == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'out.txt'}:2: warsaw.request_article4 is not allowed at " \
           "hybrid_pressure" in err
    text = out.read_text()  # what was played is kept
    assert "stopped by a bad script command" in text and "### Step 1 " in text
    code, _ = run_script(tmp_path, "undo", script="u\n")
    assert code == 2
    assert "undo.txt:1: nothing to undo" in capsys.readouterr().err


def test_keyboard_errors_are_shown_and_the_session_goes_on(tmp_path):
    out = io.StringIO()
    code = play(sim.load_scenario(SCENARIO), ["warsaw"], seed=1, outlook_runs=100,
                stdin=io.StringIO("xyz\nr nowhere\n2\nq\n"), out=out)
    text = out.getvalue()
    assert code == 0
    assert "! unknown command 'xyz'" in text and "! no branch point 'nowhere'" in text
    assert "warsaw (you, chosen)            harden" in text


def test_ctrl_c_writes_the_transcript(tmp_path):
    class Interrupting(io.StringIO):
        def readline(self, *args):
            raise KeyboardInterrupt

    path = tmp_path / "t.md"
    code = play(sim.load_scenario(SCENARIO), ["warsaw"], seed=1, outlook_runs=100,
                transcript=str(path), stdin=Interrupting(), out=io.StringIO())
    assert code == 0  # the room stopped the session: not a failure (as `ladder demo`)
    assert "session ended: interrupted (Ctrl-C)" in path.read_text()


def test_commands_parse_and_help_lists_them():
    assert parse_command("n 5", set()).words == ("5",)
    assert parse_command("harden", {"harden"}).kind == "pick"
    with pytest.raises(CommandError, match="f tension needs one number"):
        parse_command("f tension lots", set())
    for word in ("n [K]", "u, undo", "b NAME", "r NAME", "f ...", "q, quit", "?, help"):
        assert word in HELP


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Tty()) and not use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())


def test_workshop_guide_covers_the_commands():
    guide = (ROOT / "docs" / "workshop.md").read_text(encoding="utf-8")
    for word in ("--as", "--seed", "--outlook-runs", "--outlook-draws", "--script",
                 "--transcript", "`n`", "`u`", "`b NAME`", "`r NAME`", "`f", "`q`", "`?`",
                 "ladder demo"):
        assert word in guide, word
