"""`ladder play`'s screen on a projector: every line fits the width (long ids and
descriptions cut with "~", sentences wrapped), and on an interactive terminal each position
is redrawn in place, no taller than the terminal."""

from __future__ import annotations

import io
import re

import pytest

import sim
from sim.cli import main
from sim.workshop import squeeze, textfit
from sim.workshop.play import CLEAR, play
from sim.workshop.screen import Paint, Screen
from sim.workshop.session import Session
from tests.helpers import ROOT, make_scenario

SEED = ROOT / "scenarios" / "belarus-poland-2024.yaml"
LONG_STAGE = "an_unusually_long_stage_identifier"  # 34 characters
LONG_ACTOR = "a_remarkably_long_actor_identifier"
LONG_ACTION = "a_long_action_identifier_for_the_move"
DESCRIPTION = "A description of the move that is far longer than any projector line could " \
              "show in one go, so it must be cut."


def long_ids(tmp_path):
    stages = [{"id": "calm", "name": "Calm", "up": 3},
              {"id": LONG_STAGE, "name": "A stage whose name is long enough to need cutting",
               "up": 6},
              {"id": "top_of_the_ladder_here", "name": "Top"}]
    actors = {LONG_ACTOR: {"kind": "state", "actions": {
        LONG_ACTION: {"effect": 1.0, "description": DESCRIPTION},
        "wait": {"effect": 0.0}}, "policy": {"weights": {LONG_ACTION: 1, "wait": 1}}}}
    return make_scenario(tmp_path, stages, actors, horizon=12, name="long")


def scripted(tmp_path, scenario_path, players, script, width):
    path = tmp_path / "script.txt"
    path.write_text(script)
    out = io.StringIO()
    code = play(sim.load_scenario(scenario_path), players, seed=2, outlook_runs=200,
                script=str(path), out=out, width=width)
    assert code == 0
    return out.getvalue()


def too_wide(text: str, width: int) -> list[str]:
    return [line for line in text.split("\n") if textfit.visible(line) > width]


def test_long_ids_are_cut_cleanly_at_80_columns(tmp_path):
    long_ids(tmp_path)
    text = scripted(tmp_path, tmp_path / "long.yaml", [LONG_ACTOR],
                    "1\nn 3\nf\nf wait\n?\n", 80)
    assert too_wide(text, 80) == [] and not re.search(r" $", text, re.M)
    # the ladder's id column is 20 wide at 80 columns: an id cut to 18 characters, "~", space
    assert re.search(rf"^ {{4}}{LONG_STAGE[:18]}~ A stage whose", text, re.M)
    assert re.search(r"^ {4}top_of_the_ladder_~ Top$", text, re.M)
    # WHAT HAPPENED: the played actor's name column is cut too, then its action follows
    assert re.search(rf"^  {LONG_ACTOR[:30]}~ {LONG_ACTION}$", text, re.M)
    # the moves: the action id cut in its column, the description cut with "~"
    assert re.search(rf"^ +1  {LONG_ACTION[:22]}~ policy  50%  A description of", text, re.M)
    assert re.search(r"policy  50%  A description of the move that is fa~$", text, re.M)
    assert "so it must be cut." not in text
    # no id runs into the text after it
    assert LONG_STAGE + "A" not in text and f"{LONG_STAGE[:19]}A" not in text


def test_the_seed_scenario_fits_80_columns(tmp_path):
    text = scripted(tmp_path, SEED, ["warsaw"], "n 3\n1\n?\nf\nf hold\nf event 2\nu\nn 40\n", 80)
    assert too_wide(text, 80) == []
    assert "<- NOW" in text and "step 3 of 90" in text
    # the interval and n are kept on every outlook, the odds sentence wrapped, not cut
    assert text.count("n = 200 runs, Wilson 95% intervals.") >= 4
    assert "assumptions, not predictions of what will happen." in text
    # coupled-ladder ids longer than the old 18-character column keep their own column
    assert re.search(r"^  conventional_aggression +\d+\.\d%  \[", text, re.M)
    # a wrapped hint line continues under its text, not at the left edge
    assert re.search(r"^    NAME; f fork; q quit; \? help$", text, re.M)


def test_scripts_stay_100_columns_wide(tmp_path, capsys):
    path = tmp_path / "s.txt"
    path.write_text("n 2\n")
    assert main(["play", str(SEED), "--as", "warsaw", "--script", str(path),
                 "--outlook-runs", "100"]) == 0
    out = capsys.readouterr().out
    assert too_wide(out, 100) == [] and re.search(r"^== .{94} =+$|^== .* =+$", out, re.M)
    assert max(len(line) for line in out.split("\n")) == 100  # the rule spans the width
    assert main(["play", str(SEED), "--width", "20"]) == 2
    assert "--width 20: use 40 to 400 columns" in capsys.readouterr().err


@pytest.mark.parametrize("height", [12, 16, 20, 22, 26, 30, 45, 200])
def test_a_position_fits_any_height_and_keeps_the_moves(height):
    session = Session(sim.load_scenario(SEED), ["warsaw"], seed=3, outlook_runs=100)
    session.advance(4)
    screen = Screen(session, Paint(False), 80)
    full = screen.position()
    text = screen.position(height)
    lines = text.split("\n")
    assert len(lines) <= height and too_wide(text, 80) == []
    assert lines[0].startswith("== step 4 of 90")
    assert lines[-1].endswith("? help") and "YOUR MOVE: warsaw" in text
    assert " >> hybrid_pressure" in text or "lines not shown" in text
    if re.search(r"\d%  \[", text):  # a probability shown has its interval and n
        assert "n = 100 runs, Wilson 95% intervals." in text
    if height >= len(full.split("\n")):
        assert text == full
    else:
        assert text != full


def test_what_goes_first_when_the_terminal_is_short():
    session = Session(sim.load_scenario(SEED), ["warsaw"], seed=3, outlook_runs=100)
    session.advance(4)
    screen = Screen(session, Paint(False), 80)
    text = screen.position(34)
    # the variables and the coupled ladders' outlooks go before the ladder and the outlook
    assert "variables:" not in text and "ladder nato:" not in text
    assert "ladders nato, russia: not shown" in text
    assert "warsaw (you, policy)" in text and "  stage      " in text
    assert "n = 100 runs, Wilson 95% intervals." in text
    tiny = screen.position(22)
    assert "not shown" in tiny and " >> hybrid_pressure" in tiny
    assert re.search(r"LADDER belarus-2024 \(most severe at the top; [45] above "
                     r"not shown\)", tiny)


class Tty(io.StringIO):
    def isatty(self):
        return True


def screens(text: str) -> list[str]:
    """Each redrawn screen: from a clear sequence to the prompt under it."""
    return [part.split("warsaw> ")[0] for part in text.split(CLEAR)[1:]]


def test_a_terminal_redraws_each_position_in_place_within_its_rows(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "30")
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "1")
    out = Tty()
    code = play(sim.load_scenario(SEED), ["warsaw"], seed=1, outlook_runs=100,
                stdin=io.StringIO("n 6\nhold\nxyz\nu\nq\n"), out=out)
    assert code == 0
    text = out.getvalue()
    drawn = screens(text)
    assert len(drawn) == 4  # the start, after n 6, after hold, after the undo
    for screen in drawn:
        lines = screen.rstrip("\n").split("\n")
        assert len(lines) <= 29  # and the prompt's line below: 30 rows
        assert too_wide(screen, 80) == [] and "YOUR MOVE: warsaw" in screen
    # n 6: the newest turns above the position, in at most 4 lines
    assert re.match(r"  \([1-4] earlier turns not shown\)\n  step ", drawn[1])
    assert "  step 5 (2024-06-01): warsaw " in drawn[1]
    assert "! unknown command 'xyz'" in text  # a message scrolls under the prompt
    assert drawn[3].startswith("  undone: step 7")


@pytest.mark.parametrize("tty, term, redraw", [(False, "xterm", True), (True, "dumb", True),
                                                (True, "xterm", False)])
def test_pipes_dumb_terminals_and_no_redraw_scroll(monkeypatch, tty, term, redraw):
    monkeypatch.setenv("TERM", term)
    out = Tty() if tty else io.StringIO()
    play(sim.load_scenario(SEED), ["warsaw"], seed=1, outlook_runs=100,
         stdin=io.StringIO("n 2\nq\n"), out=out, redraw=redraw)
    text = out.getvalue()
    assert CLEAR not in text and text.count("YOUR MOVE: warsaw") == 2


@pytest.mark.parametrize("here, rows, shown", [(1, 3, [0, 1, 2]), (1, 1, [1]), (6, 3, [4, 5, 6]),
                                               (3, 2, [2, 3]), (0, None, list(range(7)))])
def test_the_ladder_window_keeps_the_current_stage(here, rows, shown):
    kept, above, below = squeeze.window(7, here, rows)
    assert list(kept) == shown and above + below + len(shown) == 7


def test_wrap_continues_under_the_second_column():
    line = "  n [K], next [K]     play K turns (default 1); played actors without a move"
    assert textfit.wrap(line, 50) == ["  n [K], next [K]     play K turns (default 1);",
                                      "                      played actors without a move"]
    assert textfit.cell("abcdefgh", 5) == "abc~ " and textfit.cell("ab", 5) == "ab   "
    coloured = "\033[1m" + "x" * 30 + "\033[0m"
    assert textfit.visible(textfit.clip(coloured, 10)) == 10
    assert textfit.clip(coloured, 10).endswith("~\033[0m")
