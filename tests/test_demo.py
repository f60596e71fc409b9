"""`ladder demo`: the dashboard's state and views (no browser), the command's errors, and the
page served by `ladder demo` driven in Debian's chromium through Playwright, offline."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest

import sim
from sim.cli import main
from sim.present.ladder_svg import ladder_svg
from sim.workshop import dashboard, demo
from sim.workshop.dashboard import POLICY, Dashboard, autoplay
from sim.workshop.demo import DemoConfig
from tests.helpers import ROOT, chromium, free_port, launch, need

SCENARIO = ROOT / "scenarios" / "belarus-poland-2024-tension.yaml"
OUTLOOK_RUNS = 500


@pytest.fixture(scope="module")
def scenario():
    return sim.load_scenario(SCENARIO)


def board_of(scenario, batch_runs: int = 300) -> Dashboard:
    return Dashboard(scenario, ["warsaw"], outlook_runs=OUTLOOK_RUNS, batch_runs=batch_runs)


# -- the dashboard, without a browser ----------------------------------------------------------


def test_a_pick_is_played_on_the_next_step_then_the_policy_again(scenario):
    board = board_of(scenario)
    assert board.counter() == "Step 0 of 90" and "Nothing has happened yet" in board.log_html()
    assert [v for v, _ in board.options("warsaw")] == [POLICY, "hold", "harden",
                                                        "diplomatic_protest", "open_checkpoint"]
    board.pick("warsaw", "diplomatic_protest")
    turn = board.step()
    assert turn.note.actions["warsaw"] == "diplomatic_protest" and turn.how == {"warsaw": "chosen"}
    assert board.picks == {"warsaw": POLICY} and board.changes == 1
    turn = board.step()
    assert turn.how == {"warsaw": "policy"}
    log = board.log_html()
    assert log.index('data-step="2"') < log.index('data-step="1"')  # newest first
    assert "warsaw (you, chosen)</b> diplomatic_protest" in log
    assert board.counter() == "Step 2 of 90" and "2024-05-29" in board.status()


def test_a_pick_must_be_legal_and_for_a_played_actor(scenario):
    board = board_of(scenario)
    with pytest.raises(sim.InputError, match="request_article4 is not allowed at "
                                              "hybrid_pressure"):
        board.pick("warsaw", "request_article4")
    with pytest.raises(sim.InputError, match="minsk is not played here"):
        board.pick("minsk", "restrain")


def test_reset_rewinds_the_dice(scenario):
    board = board_of(scenario)
    for _ in range(5):
        board.step()
    first = board.log_html()
    board.reset()
    assert board.counter() == "Step 0 of 90" and board.changes == 6
    for _ in range(5):
        board.step()
    assert board.log_html() == first


def test_the_ladder_highlights_the_current_stage_only(scenario):
    board = board_of(scenario)
    svg = board.ladder_html()
    assert svg.count('class="stage-now"') == 1
    assert "hybrid_pressure · start · NOW · tension 3.50" in svg
    plain = ladder_svg(scenario.ladder, scenario.start)
    assert "stage-now" not in plain
    top = ladder_svg(scenario.ladder, scenario.start, current=("nuclear_use", "NOW"))
    assert top.count('class="stage-now"') == 1
    assert "nuclear_use · absorbing: the run ends here · NOW" in top


def test_outlook_and_batch_charts(scenario):
    board = board_of(scenario)
    outlook = board.outlook_html()
    assert "500 runs forked from here; warsaw follows the scenario policy" in outlook
    assert outlook.count(">reached<") == 2  # peacetime and the start stage
    assert len(re.findall(r"\d+\.\d% <tspan", outlook)) == 4
    batch = board.batch_html()
    shares = [float(p) for p in re.findall(r"(\d+\.\d)% <tspan", batch)]
    assert len(shares) == 6 and abs(sum(shares) - 100) < 0.5  # P(final) sums to 1
    assert "Where 300 runs from the start (step 0, seed 7) end after 90 days" in batch


def test_after_the_end_there_are_no_moves_and_no_outlook(scenario):
    board = board_of(scenario)
    while board.step() is not None:
        pass
    assert board.ended and board.options("warsaw") == []
    assert "the run has ended" in board.status() and "no outlook" in board.outlook_html()


def test_while_playing_the_outlook_is_the_last_one_shown_with_its_step(scenario):
    board, other = board_of(scenario), board_of(scenario)
    assert "Outlook from step" not in board.outlook_html()  # paused: the outlook from here
    board.set_playing(True)
    for _ in range(3):
        board.step()
        other.step()
    playing = board.outlook_html()
    assert "Outlook from step 0, recomputed when paused." in playing
    assert "from step 0 (2024-05-27): 500 runs forked from here" in playing
    board.set_playing(False)  # paused: the same page as a board that never played
    assert board.outlook_html() == other.outlook_html()
    assert "from step 3 (2024-05-30)" in board.outlook_html()


def test_autoplay_steps_until_cancelled_or_the_end(scenario):
    board, cancel, seen = board_of(scenario), threading.Event(), []
    assert autoplay(board, 0, cancel, lambda: None) == 0  # paused: no step
    board.set_playing(True)

    def on_step():
        seen.append(board.counter())
        if len(seen) == 5:
            cancel.set()

    assert autoplay(board, 0, cancel, on_step) == 5
    assert seen == [f"Step {k} of 90" for k in range(1, 6)]
    steps = autoplay(board, 0, threading.Event(), lambda: None)
    assert board.ended and steps == board.session.t - 5


def test_control_runs_a_command_line_on_the_session(scenario):
    board = board_of(scenario)
    assert "commands (one a line" in board.control("?")
    board.pick("warsaw", "harden")
    shown = board.control("n 3")
    assert board.counter() == "Step 3 of 90" and "step 3 of 90" in shown
    assert board.picks == {"warsaw": POLICY} and board.changes == 1  # fresh move controls
    assert all(len(line) <= 80 for line in shown.split("\n"))
    assert board.control("u").startswith("  undone: step 3 (2024-05-30)")
    assert board.counter() == "Step 2 of 90" and board.changes == 2
    assert board.control("jump").startswith("! unknown command 'jump'")
    assert board.control("b calm") == "  branch point 'calm' saved at step 2 (2024-05-29)"
    assert board.changes == 2  # not a new position
    assert board.control("q").startswith("! q ends `ladder play`")


def test_text_from_files_is_escaped():
    rows = [("<b>x</b>", 0.5, 0.4, 0.6, False)]
    assert ("<b>x</b>" not in dashboard.bars_svg(rows, "t")
            and "&lt;b&gt;" in dashboard.bars_svg(rows, "t"))


def test_config_goes_to_the_server_through_the_environment():
    config = DemoConfig("/x/s.yaml", ("warsaw", "nato"), 3, 700)
    assert DemoConfig.from_env(config.to_env()) == config
    assert DemoConfig.from_env(DemoConfig("/x/s.yaml").to_env()) == DemoConfig("/x/s.yaml")
    with pytest.raises(sim.InputError, match="start the dashboard with `ladder demo"):
        DemoConfig.from_env({})


# -- the command's errors (exit 2, nothing started) --------------------------------------------


def test_missing_extra_is_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(demo.importlib.util, "find_spec",
                        lambda name: None if name == "solara" else object())
    assert main(["demo", str(SCENARIO)]) == 2
    assert ("ladder demo needs the demo extra: pip install -e '.[demo]'"
            in capsys.readouterr().err)


@pytest.mark.parametrize("args, message", [
    (["--as", "warsw"], "--as warsw: unknown actor; did you mean 'warsaw'?"),
    (["--as", "migrant_groups"], "--as migrant_groups: migrant_groups is a population"),
    (["--seed", "-1"], "argument --seed: must be at least 0, got -1"),
    (["--port", "70000"], "--port 70000: use a port from 1 to 65535"),
])
def test_bad_input_is_exit_2(args, message, monkeypatch, capsys):
    monkeypatch.setattr(demo, "require_solara", lambda: None)
    try:
        code = main(["demo", str(SCENARIO), *args])
    except SystemExit as exc:  # refused by the parser (--seed -1)
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_taken_port_is_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(demo, "require_solara", lambda: None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["demo", str(SCENARIO), "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


# -- in a real browser -------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path):
    """`ladder demo SCENARIO --as warsaw` on a free port; stopped as by Ctrl-C at the end."""
    with demo_server(tmp_path) as running:
        yield running


@pytest.fixture
def network_server(tmp_path):
    """The same with `--host 0.0.0.0`, so with a token."""
    with demo_server(tmp_path, "--host", "0.0.0.0") as running:
        yield running


@contextlib.contextmanager
def demo_server(tmp_path, *extra: str):
    need("the demo extra (solara)", demo.importlib.util.find_spec("solara") is not None)
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "demo", str(SCENARIO), "--as", "warsaw",
             "--port", str(port), *extra], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while "open http://" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ladder demo did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield port, log, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in its terminal sends
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                pytest.fail(f"ladder demo did not stop on Ctrl-C:\n{log.read_text()}")
            assert proc.returncode == 0, log.read_text()
            assert "ladder demo: stopped" in log.read_text()
            with socket.socket() as s:  # the server is gone with it
                assert s.connect_ex(("127.0.0.1", port)) != 0


def test_dashboard_in_headless_chromium(server, scenario, tmp_path):
    browser_path = chromium()
    from playwright.sync_api import expect, sync_playwright

    port, log, proc = server
    url = f"http://127.0.0.1:{port}/"
    requests: list[str] = []

    # what the page must show, from the same game played here
    expected = board_of(scenario)
    for _ in range(3):
        expected.step()
    after_three = expected.status()
    expected.pick("warsaw", "diplomatic_protest")
    expected.step()

    with sync_playwright() as p:
        browser = launch(p, browser_path)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})  # a projector
            page.on("request", lambda r: requests.append(r.url))
            page.on("websocket", lambda ws: requests.append(ws.url))
            page.set_default_timeout(20_000)
            expect.set_options(timeout=20_000)  # a slow machine: the first render takes a while
            page.goto(url)

            counter, stage = page.locator(".step-counter"), page.locator(".stage-display")
            turns, ladder = page.locator(".log .turn"), page.locator(".ladder")
            # each part of the page is a widget of its own and arrives in a message of its
            # own, so every check waits (expect) rather than reading once
            expect(counter).to_have_text("Step 0 of 90")
            start = stage.inner_text()
            expect(page.locator(".log")).to_contain_text("Nothing has happened yet")
            expect(ladder.locator(".stage-now")).to_have_count(1)
            # readable at 1280x720: no horizontal scroll, the ladder and the outlook in view
            expect(page.locator(".outlook")).to_contain_text("runs forked from here")
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            expect(ladder).to_be_in_viewport()
            expect(page.locator(".outlook")).to_be_in_viewport()
            for k in (1, 2, 3):
                page.click(".step-button")
                expect(counter).to_have_text(f"Step {k} of 90")
            expect(stage).to_have_text(after_three)
            assert after_three != start
            expect(turns).to_have_count(3)

            page.click(".move-warsaw-diplomatic_protest")
            expect(page.locator(".move-warsaw-diplomatic_protest")).to_have_class(
                re.compile("v-btn--active"))
            page.click(".step-button")
            expect(counter).to_have_text("Step 4 of 90")
            expect(stage).to_have_text(expected.status())
            expect(turns).to_have_count(4)
            expect(turns.first).to_have_attribute("data-step", "4")
            expect(turns.first).to_contain_text("warsaw (you, chosen) diplomatic_protest")
            expect(turns.first).to_contain_text(f"stage: {expected.session.last_turn.why}")
            # the pick was for one step: the control is back on the policy
            expect(page.locator(".move-warsaw-policy")).to_have_class(re.compile("v-btn--active"))
            expect(ladder.locator(".stage-now")).to_have_count(1)
            expect(ladder).to_contain_text(f"NOW · tension {expected.session.tension:.2f}")
            expect(page.locator(".outlook")).to_contain_text("runs forked from here")

            # Control's box: a command line run on the session, and Undo
            page.locator(".control-command input").fill("?")
            page.click(".control-run")
            expect(page.locator(".control-output")).to_contain_text("commands (one a line")
            page.click(".control-undo")
            expect(page.locator(".control-output")).to_contain_text("undone: step 4")
            expect(counter).to_have_text("Step 3 of 90")
            expect(turns).to_have_count(3)

            # Play at 10 steps per second, then Pause: the outlook from the step paused at
            page.click(".speed-10")
            page.click(".play-button")
            expect(counter).not_to_have_text("Step 3 of 90")
            page.click(".play-button")
            expect(page.locator(".play-button")).to_have_text(re.compile("play", re.I))
            expect(page.locator(".outlook-stale")).to_have_count(0)
            step = int(re.search(r"Step (\d+)", counter.inner_text()).group(1))
            assert step > 3
            expect(page.locator(".outlook")).to_contain_text(
                re.compile(rf"from step {step} \(|no outlook"))
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
        finally:
            browser.close()

    assert (tmp_path / "demo.png").stat().st_size > 20_000
    outside = [u for u in requests if urlsplit(u).hostname != "127.0.0.1"]
    assert requests and not outside, f"fetched from outside: {outside}"
    assert "Could not load URL" not in log.read_text(), log.read_text()


def test_a_dashboard_served_to_the_network_needs_its_token(network_server):
    browser_path = chromium()
    from playwright.sync_api import expect, sync_playwright

    port, log, proc = network_server
    text = log.read_text()
    assert "ladder demo: warning: --host 0.0.0.0 serves the dashboard beyond this machine" in text
    token = re.search(rf"http://127\.0\.0\.1:{port}/\?token=([\w-]+) on this machine",
                      text).group(1)
    with sync_playwright() as p:
        browser = launch(p, browser_path)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            expect.set_options(timeout=20_000)
            for url in (f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/?token=x{token}"):
                page.goto(url)
                expect(page.locator(".token-refused")).to_contain_text(
                    "opens only from the link that `ladder demo` printed")
                assert page.locator(".step-counter").count() == 0
            page.goto(f"http://127.0.0.1:{port}/?token={token}")
            expect(page.locator(".step-counter")).to_have_text("Step 0 of 90")
            page.click(".step-button")
            expect(page.locator(".step-counter")).to_have_text("Step 1 of 90")
            assert page.locator(".token-refused").count() == 0
        finally:
            browser.close()
