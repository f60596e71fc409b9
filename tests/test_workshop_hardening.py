"""Hardening of the workshop and its neighbours (issue 12, part D): digits that `int` refuses,
a debrief that cannot be written at the end of a session, something that is not a Dask
scheduler at --scheduler, a start date near the end of the calendar, a byte order mark in a
script, the script given as the transcript, and the token of a dashboard served beyond this
machine. Each is exit code 2 with one line naming the problem (or exit 0 where it now works),
and never a traceback."""

from __future__ import annotations

import io
import os
import re
import socket
import socketserver
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import yaml

import sim
from sim.cli import main
from sim.engine import workers
from sim.workshop import debrief, demo
from sim.workshop.commands import parse_command
from sim.workshop.demo import DemoConfig, is_loopback, startup_message, token_allows
from sim.workshop.play import play
from sim.workshop.session import CommandError, whole_number
from tests.helpers import ROOT, FakeServer

SCENARIO = ROOT / "scenarios" / "belarus-poland-2024-tension.yaml"
MARKOV = ROOT / "scenarios" / "examples" / "markov-crisis.yaml"


def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def play_script(capsys, tmp_path, script: str | bytes, *extra, name="s.txt"):
    path = tmp_path / name
    if isinstance(script, bytes):
        path.write_bytes(script)
    else:
        path.write_text(script, encoding="utf-8")
    return cli(capsys, "play", SCENARIO, "--as", "warsaw", "--seed", "3", "--outlook-runs",
               "200", "--script", path, *extra)


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("ladder: error:")]


# -- digits that str.isdigit accepts and int refuses -----------------------------------------


@pytest.mark.parametrize("line, message", [
    ("n ²", "n takes a number of turns >= 1, got '²'"),
    ("n ①", "n takes a number of turns >= 1, got '①'"),
    ("n " + "9" * 5000, "n takes a number of turns >= 1"),  # int() refuses over 4,300 digits
    ("²", "unknown command '²'"),
    ("f event ²", "no event '²' (events: 1 "),
])
def test_odd_digits_in_a_script_are_exit_2(line, message, tmp_path, capsys):
    code, _, err = play_script(capsys, tmp_path, f"{line}\nq\n")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"ladder: error: {tmp_path / 's.txt'}:1: {message}")


def test_odd_digits_at_the_keyboard_are_shown_and_the_session_goes_on():
    out = io.StringIO()
    code = play(sim.load_scenario(SCENARIO), ["warsaw"], seed=1, outlook_runs=100,
                stdin=io.StringIO("n ²\nf event ³\n2\nq\n"), out=out)
    text = out.getvalue()
    assert code == 0
    assert "! n takes a number of turns >= 1, got '²'" in text
    assert "! no event '³'" in text
    assert "warsaw (you, chosen)            harden" in text


def test_whole_numbers_are_ascii_digits():
    assert whole_number("12") == 12 and whole_number("007") == 7
    for text in ("²", "١٢", "1.5", "-1", "", " 3", "9" * 10):
        assert whole_number(text) is None
    assert parse_command("n 3", set()).words == ("3",)
    with pytest.raises(CommandError, match="unknown command '²'"):
        parse_command("²", set())


@pytest.mark.parametrize("path, message", [
    ("events.².at", "--set events.².at: no item '²' in events (it has 5 items, from 0)"),
    ("events.١.at", "--set events.١.at: no item '١' in events"),
    ("events." + "1" * 5000 + ".at", "no item '111"),
    ("actors.warsaw.policy.modifiers.².scale", "no item '²' in actors.warsaw.policy.modifiers"),
])
def test_odd_digits_in_set_are_exit_2(path, message, capsys):
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", "10", "--set", f"{path}=3")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


# -- the debrief at the end of a session -------------------------------------------------------


class Then(io.StringIO):
    """Keyboard input that calls `act` once, as the session reads its first command."""

    def __init__(self, text: str, act):
        super().__init__(text)
        self.act = act

    def readline(self, *args):
        if self.act is not None:
            self.act, act = None, self.act
            act()
        return super().readline(*args)


def test_a_debrief_that_cannot_be_written_is_saved_elsewhere(tmp_path):
    target = tmp_path / "debrief.md"
    # fine when the session starts; then a folder takes the name, so the rename at the end fails
    with pytest.raises(sim.InputError) as caught:
        play(sim.load_scenario(SCENARIO), ["warsaw"], seed=1, outlook_runs=100,
             transcript=str(target), stdin=Then("2\nq\n", target.mkdir), out=io.StringIO())
    message = str(caught.value)
    match = re.fullmatch(rf"--transcript {re.escape(str(target))}: cannot write the debrief "
                         r"\(Is a directory\); it was saved to (\S+) instead", message)
    assert match, message
    kept = match.group(1)
    try:
        text = open(kept, encoding="utf-8").read()
        assert text.startswith("# Workshop debrief") and "- warsaw (played, chosen): harden" in text
        assert "session ended: quit" in text
    finally:
        os.unlink(kept)
    assert list(target.iterdir()) == [] and list(tmp_path.glob(".debrief.md.*")) == []


def test_a_read_only_target_keeps_the_debrief_and_the_script_error(tmp_path, capsys,
                                                                    monkeypatch):
    def refuse(path, write):
        raise PermissionError(13, "Permission denied")

    def no_temp(**kwargs):
        raise OSError(28, "No space left on device")

    # the folder turns read-only during the session, and the temporary folder is full
    monkeypatch.setattr(debrief, "atomic_write", refuse)
    monkeypatch.setattr(debrief, "tempfile", SimpleNamespace(mkstemp=no_temp))
    target = tmp_path / "t.md"
    code, _, err = play_script(capsys, tmp_path, "harden\nrequest_article4\n", "--transcript",
                               target)
    assert code == 2 and not target.exists()
    assert "# Workshop debrief" in err and "- warsaw (played, chosen): harden" in err
    assert "stopped by a bad script command" in err
    assert err.rstrip().endswith(f"--transcript {target}: cannot write the debrief "
                                 "(Permission denied); it is printed above, on stderr")
    assert f"{tmp_path / 's.txt'}:2: warsaw.request_article4 is not allowed" in err


# -- the script and the transcript -------------------------------------------------------------


def test_a_byte_order_mark_at_the_start_of_a_script_is_accepted(tmp_path, capsys):
    target = tmp_path / "t.md"
    code, _, err = play_script(capsys, tmp_path, "\ufeffharden\nq\n".encode(), "--transcript",
                               target)
    assert code == 0, err
    assert "- warsaw (played, chosen): harden" in target.read_text()


@pytest.mark.parametrize("spelling", ["same", "dotted", "link"])
def test_the_script_as_transcript_is_refused_before_playing(spelling, tmp_path, capsys):
    script = tmp_path / "plan.md"
    script.write_text("harden\nq\n")
    target = {"same": script, "dotted": tmp_path / "sub" / ".." / "plan.md",
              "link": tmp_path / "link.md"}[spelling]
    (tmp_path / "sub").mkdir()
    if spelling == "link":
        os.link(script, target)
    code, out, err = cli(capsys, "play", SCENARIO, "--as", "warsaw", "--outlook-runs", "100",
                         "--script", script, "--transcript", target)
    assert code == 2 and out == ""
    assert err.strip() == (f"ladder: error: --transcript {target}: it is the --script file, "
                           "which the debrief would overwrite; name another file")
    assert script.read_text() == "harden\nq\n"


# -- a start date near the end of the calendar ---------------------------------------------------


def late_scenario(tmp_path, start_date: str, horizon: int = 60, step: str = "day"):
    ladder = {"id": "l", "title": "L", "stages": [{"id": "a", "name": "A", "up": 100},
                                                     {"id": "b", "name": "B"}]}
    (tmp_path / "l.yaml").write_text(yaml.safe_dump(ladder))
    scenario = {"id": "late", "title": "Late", "ladder": "./l.yaml", "start": "a",
                "clock": {"step": step, "horizon": horizon, "start_date": start_date},
                "tension": {"initial": 0, "decay": 1},
                "actors": {"x": {"kind": "state", "actions": {"act": {"effect": 0}},
                                 "policy": {"weights": {"act": 1}}}}}
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


@pytest.mark.parametrize("command", ["show", "play", "run"])
def test_a_run_past_9999_12_31_is_refused_at_load(command, tmp_path, capsys):
    path = late_scenario(tmp_path, "9999-12-01")
    code, _, err = cli(capsys, command, path)
    assert code == 2
    assert err.strip().endswith(
        "clock.start_date: 9999-12-01 plus the horizon of 60 days runs past 9999-12-31, the "
        "last date there is; start on 9999-11-01 or earlier, or shorten clock.horizon")
    assert len(err.strip().splitlines()) == 1


def test_weeks_and_horizon_overrides_are_counted_too(tmp_path, capsys):
    path = late_scenario(tmp_path, "9999-01-01", horizon=60, step="week")
    code, _, err = cli(capsys, "show", path)
    assert code == 2 and "plus the horizon of 60 weeks runs past 9999-12-31" in err
    path = late_scenario(tmp_path, "9999-11-01")
    code, _, err = cli(capsys, "run", path, "--runs", "5", "--horizon", "61")
    assert code == 2 and "plus the horizon of 61 days runs past" in err


def test_a_run_that_ends_on_9999_12_31_plays_to_the_end(tmp_path, capsys):
    path = late_scenario(tmp_path, "9999-11-01")
    script = tmp_path / "s.txt"
    script.write_text("n 60\nq\n")
    code, out, err = cli(capsys, "play", path, "--script", script, "--outlook-runs", "50")
    assert code == 0, err
    assert "step 60 of 60 | 9999-12-31" in out


# -- something that is not a Dask scheduler at --scheduler -------------------------------------


class Web(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # its log would go to this process's stderr
        pass


class Closing(socketserver.BaseRequestHandler):
    def handle(self):  # accept, then close at once
        self.request.close()


class Silent(socketserver.BaseRequestHandler):
    def handle(self):  # accept, read what comes, never answer
        self.request.settimeout(5)
        try:
            while self.request.recv(65536):
                pass
        except OSError:
            pass


@pytest.fixture
def service(request):
    """A TCP service on a free port that is not a Dask scheduler: tcp://127.0.0.1:PORT."""
    kind = request.param
    if kind == "http":
        server = ThreadingHTTPServer(("127.0.0.1", 0), Web)
    else:
        server = socketserver.ThreadingTCPServer(
            ("127.0.0.1", 0), {"closing": Closing, "silent": Silent}[kind])
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("service, why", [
    ("closing", "it closed the connection without answering"),
    ("silent", "it accepted the connection but did not answer within 1 s"),
    ("http", "it accepted the connection but did not answer within 1 s"),
], indirect=["service"])
def test_a_service_that_is_not_dask_is_exit_2(service, why, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(workers, "CONNECT_TIMEOUT", "1s")
    code, _, err = cli(capsys, "sweep", MARKOV, "--vary", "tension.decay=0.8:0.95",
                       "--points", "4", "--runs-per-point", "10", "--scheduler", service)
    assert code == 2
    assert err.strip().startswith(f"ladder: error: no Dask scheduler answered at {service}: "
                                  f"{why}")
    assert len(err.strip().splitlines()) == 1


def test_a_dask_worker_is_not_the_scheduler():
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        workers.check_scheduler(cluster.scheduler_address)  # the real one answers
        worker = next(iter(cluster.workers.values())).address
        with pytest.raises(sim.InputError, match=f"no Dask scheduler answered at {worker}: it "
                                                 "is a Dask Worker, not the scheduler"):
            workers.check_scheduler(worker)


# -- the dashboard beyond this machine: warning, addresses, token -------------------------------


def test_the_token_check():
    assert token_allows(None, None) and token_allows("anything=1", None)  # loopback: no token
    assert token_allows("token=abc", "abc") and token_allows("?x=1&token=abc", "abc")
    for search in (None, "", "token=", "token=ab", "token=abcd", "x=abc", "TOKEN=abc"):
        assert not token_allows(search, "abc"), search
    token = demo.new_token()
    assert len(token) >= 20 and token != demo.new_token()
    assert token_allows(f"token={token}", token)


def test_which_hosts_are_loopback():
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.5", "10.0.0.1"):
        assert not is_loopback(host), host


def test_the_startup_message_warns_and_gives_a_tokened_url():
    warning, where = startup_message("s", "warsaw", "127.0.0.1", 8765, None)
    assert warning is None
    assert where == ("ladder demo: s, the room plays warsaw; open http://127.0.0.1:8765/ "
                     "(Ctrl-C stops the server)")
    warning, where = startup_message("s", "warsaw", "192.168.1.5", 8800, "T0K")
    assert warning.startswith("ladder demo: warning: --host 192.168.1.5 serves the dashboard "
                              "beyond this machine: anyone who can reach port 8800")
    assert "open http://192.168.1.5:8800/?token=T0K (Ctrl-C" in where
    warning, where = startup_message("s", "warsaw", "0.0.0.0", 8765, "T0K")
    assert "--host 0.0.0.0" in warning
    assert "http://127.0.0.1:8765/?token=T0K on this machine" in where
    assert "http://0.0.0.0" not in where
    urls = re.findall(r"http://\S+", where)
    assert len(urls) >= 2 and all(u.endswith("/?token=T0K") for u in urls)


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_ladder_demo_on_a_network_host_warns_and_sets_a_token(host, capsys, monkeypatch):
    monkeypatch.setattr(demo, "require_solara", lambda: None)
    monkeypatch.setattr(demo.subprocess, "Popen", FakeServer)
    monkeypatch.setattr(demo, "_listening", lambda host, port: True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = cli(capsys, "demo", SCENARIO, "--as", "warsaw", "--host", host,
                         "--port", port)
    assert code == 0
    token = FakeServer.env[demo.ENV["token"]]
    config = DemoConfig.from_env(FakeServer.env)
    if host == "127.0.0.1":
        assert token == "" and config.token is None and "warning" not in err
        assert f"open http://127.0.0.1:{port}/ (Ctrl-C" in out
        return
    assert len(token) >= 20 and config.token == token
    assert err.startswith(f"ladder demo: warning: --host 0.0.0.0 serves the dashboard beyond "
                          f"this machine: anyone who can reach port {port}")
    assert f"http://127.0.0.1:{port}/?token={token} on this machine" in out
    assert "?token=" not in err  # the link goes to stdout only


def test_the_token_goes_to_the_server_through_the_environment():
    config = DemoConfig("/x/s.yaml", ("warsaw",), 3, 700, "abc")
    assert DemoConfig.from_env(config.to_env()) == config
    assert DemoConfig.from_env(DemoConfig("/x/s.yaml").to_env()).token is None
