"""Tests for the command line's rough edges (issue 18, CLI polish): help texts, misspelt and
abbreviated options, unknown commands, option combinations and bounds, Ctrl-C exit codes."""

from __future__ import annotations

import argparse

import pytest

from sim.cli import COMMANDS, build_parser, main
from tests.helpers import ROOT, FakeServer

SCENARIO = str(ROOT / "scenarios" / "belarus-poland-2024.yaml")


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`ladder argv...` in this process: exit code, stdout, stderr (argparse exits too)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _command_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_shows_no_doubled_percent(capsys, command):
    argv = ["--help"] if command is None else [command, "--help"]
    code, out, _ = cli(capsys, *argv)
    assert code == 0
    assert "%%" not in out
    if command in ("run", "compare", "report", "play"):  # the four that said "95%%"
        assert "95% interval" in out


def test_misspelt_option_gets_the_command_usage_and_a_suggestion(capsys):
    code, out, err = cli(capsys, "run", SCENARIO, "--rusn", "5")
    assert code == 2
    assert out == ""
    assert err.startswith("usage: ladder run ")
    assert err.splitlines()[-1] == ("ladder run: error: unrecognized argument --rusn; "
                                    "did you mean --runs?")


def test_misspelt_options_are_each_named(capsys):
    code, _, err = cli(capsys, "sweep", SCENARIO, "--desing=grid", "--zzzzzz")
    assert code == 2
    assert err.splitlines()[-1] == ("ladder sweep: error: unrecognized arguments --desing=grid "
                                    "(did you mean --design?), --zzzzzz")


def test_extra_positional_is_named(capsys):
    code, _, err = cli(capsys, "run", SCENARIO, "extra.yaml")
    assert code == 2
    assert err.splitlines()[-1] == "ladder run: error: unrecognized argument extra.yaml"


def test_misspelt_top_level_option(capsys):
    code, _, err = cli(capsys, "--verison")
    assert code == 2
    assert err.startswith("usage: ladder [-h]")
    assert err.splitlines()[-1] == ("ladder: error: unrecognized argument --verison; "
                                    "did you mean --version?")


def test_unknown_command_gets_a_suggestion(capsys):
    code, _, err = cli(capsys, "rnu", SCENARIO)
    assert code == 2
    last = err.splitlines()[-1]
    assert last.startswith("ladder: error: unknown command 'rnu'; did you mean run? (commands: ")
    assert "validate" in last


def test_misspelt_choice_gets_a_suggestion(capsys):
    code, _, err = cli(capsys, "show", SCENARIO, "--format", "mermiad")
    assert code == 2
    assert ("ladder show: error: argument --format: invalid choice: 'mermiad'; "
            "did you mean 'mermaid'?") in err


@pytest.mark.parametrize("command", COMMANDS)
def test_no_parser_takes_abbreviations(command):
    parsers = {"ladder": build_parser(), **_command_parsers()}
    assert not parsers["ladder"].allow_abbrev
    assert not parsers[command].allow_abbrev


def test_abbreviated_option_is_refused_with_the_full_name(capsys):
    code, _, err = cli(capsys, "run", SCENARIO, "--run", "1")
    assert code == 2
    assert err.splitlines()[-1] == ("ladder run: error: unrecognized argument --run; "
                                    "did you mean --runs?")


def test_trace_with_json_is_refused(capsys):
    code, out, err = cli(capsys, "run", SCENARIO, "--trace", "--json")
    assert (code, out) == (2, "")
    assert err == ("ladder: error: --trace tells the story of one run as text; it has no JSON "
                   "form (drop --json)\n")


@pytest.mark.parametrize("argv, message", [
    (["run", SCENARIO, "--precision", "0.01", "--max-runs", "0"],
     "ladder run: error: argument --max-runs: must be at least 1, got 0"),
    (["run", SCENARIO, "--precision", "0.01", "--max-runs", "-5"],
     "ladder run: error: argument --max-runs: must be at least 1, got -5"),
    (["compare", SCENARIO, SCENARIO, "--precision", "0.01", "--max-runs", "0"],
     "ladder compare: error: argument --max-runs: must be at least 1, got 0"),
    (["run", SCENARIO, "--runs", "0"],
     "ladder run: error: argument --runs: must be at least 1, got 0"),
    (["run", SCENARIO, "--runs", "100000001"],
     "ladder run: error: argument --runs: must be at most 100,000,000, got 100,000,001"),
    (["run", SCENARIO, "--jobs", "0"],
     "ladder run: error: argument --jobs: must be at least 1, got 0"),
    (["run", SCENARIO, "--seed", "-1"],
     "ladder run: error: argument --seed: must be at least 0, got -1"),
    (["run", SCENARIO, "--precision", "0"],
     "ladder run: error: argument --precision: must be a half-width between 0 and 0.5 "
     "(e.g. 0.005 for +/-0.5 points), got 0"),
    (["report", SCENARIO, "--out", "r.html", "--runs", "0"],
     "ladder report: error: argument --runs: must be at least 1, got 0"),
    (["compare", SCENARIO, SCENARIO, "--jobs", "0"],
     "ladder compare: error: argument --jobs: must be at least 1, got 0"),
    (["play", SCENARIO, "--outlook-runs", "0"],
     "ladder play: error: argument --outlook-runs: must be at least 1, got 0"),
])
def test_counts_are_refused_by_their_flag_before_anything_runs(capsys, monkeypatch, argv,
                                                               message):
    import sim.engine.runner

    def never(*args, **kwargs):
        raise AssertionError("simulated")

    monkeypatch.setattr(sim.engine.runner, "run_many", never)
    code, out, err = cli(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == message


class _Interrupting:
    """A keyboard on which the room presses Ctrl-C at the first prompt."""

    def readline(self, *args):
        raise KeyboardInterrupt

    def isatty(self):
        return False


def test_play_and_demo_agree_on_ctrl_c(capsys, monkeypatch, tmp_path):
    from sim.workshop import demo

    monkeypatch.setattr("sys.stdin", _Interrupting())
    transcript = tmp_path / "t.md"
    played, _, err = cli(capsys, "play", SCENARIO, "--as", "warsaw", "--outlook-runs", "50",
                         "--transcript", transcript)
    assert "session ended: interrupted (Ctrl-C)" in transcript.read_text()

    monkeypatch.setattr(demo, "require_solara", lambda: None)
    monkeypatch.setattr(demo, "check_port", lambda host, port: None)
    monkeypatch.setattr(demo.subprocess, "Popen", FakeServer)
    monkeypatch.setattr(demo, "_listening", lambda host, port: True)
    served, _, err = cli(capsys, "demo", SCENARIO, "--as", "warsaw")
    assert "ladder demo: stopped" in err
    assert played == served == 0
