"""`ladder demo --seats`: the table behind the seats (hidden moves, resolution, shares,
Control's commands), its HTTP server (tokens, errors, limits), a bot playing a seat over
the JSON interface, and the command itself started and stopped like a facilitator would."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

import sim
from sim.analyses.outlook import ODDS
from sim.cli import main
from sim.workshop.debrief import transcript
from sim.workshop.seats import SEATS_NEEDED, Table
from sim.workshop.seats_server import make_server
from sim.workshop.session import CommandError, Session
from tests.helpers import ROOT, free_port

SCENARIO = ROOT / "scenarios" / "belarus-poland-2024.yaml"
RUNS = 200


@pytest.fixture(scope="module")
def scenario():
    return sim.load_scenario(SCENARIO)


@pytest.fixture
def table(scenario):
    return Table(Session(scenario, ["warsaw", "minsk"], outlook_runs=RUNS))


def text_of(view: dict) -> str:
    return json.dumps(view)


# -- the table ----------------------------------------------------------------------------------


def test_a_move_stays_hidden_from_the_other_seat_and_control_sees_it(table):
    assert table.submit("warsaw", "harden", "show resolve at the fence") == {
        "accepted": True, "action": "harden", "resolved": False, "step": 0}
    minsk = table.seat_view("minsk")
    assert not minsk["submitted"] and minsk["pending"] is None
    assert "harden" not in text_of(minsk) and "show resolve" not in text_of(minsk)
    warsaw = table.seat_view("warsaw")
    assert warsaw["submitted"] and warsaw["pending"] == {
        "number": 2, "action": "harden", "why": "show resolve at the fence"}
    seats = {s["actor"]: s for s in table.control_view()["seats"]}
    assert seats["warsaw"]["move"]["action"] == "harden" and seats["minsk"]["move"] is None
    assert [s["submitted"] for s in seats.values()] == [True, False]

    assert table.submit("minsk", "restrain")["resolved"] is True
    assert table.session.t == 1
    minsk = table.seat_view("minsk")
    assert "harden" not in text_of(minsk) and "show resolve" not in text_of(minsk)
    assert [(h["step"], h["move"], h["how"]) for h in minsk["history"]] == [
        (1, "restrain", "chosen")]
    assert minsk["history"][0]["perceived"] == table.session.perceived("minsk")
    warsaw = table.seat_view("warsaw")
    assert not warsaw["submitted"] and warsaw["step"] == 1
    assert warsaw["history"][0]["why"] == "show resolve at the fence"
    debrief = transcript(table.session, "test")
    assert "- warsaw (played, chosen): harden" in debrief
    assert "- minsk (played, chosen): restrain" in debrief


def test_a_seat_sees_no_truth_no_outlook_and_no_policy_share_unless_shared(table):
    view = table.seat_view("warsaw")
    assert "state" not in view and "outlook" not in view
    assert all(set(m) == {"number", "action", "description"} for m in view["moves"])
    assert view["name"] == "Polish government" and view["date"] == "2024-05-27"
    assert table.share("outlook", True) == {"shares": {"outlook": True, "state": False}}
    view = table.seat_view("warsaw")
    assert "state" not in view
    outlook = view["outlook"]
    assert outlook["n"] == RUNS and outlook["note"] == ODDS
    for row in outlook["rows"]:
        assert row["lo"] <= row["p"] <= row["hi"] and row["p"] == row["count"] / RUNS
    assert abs(sum(m["share"] for m in view["moves"]) - 1) < 1e-9
    table.share("state", True)
    assert table.seat_view("minsk")["state"] == {
        "stage": "hybrid_pressure", "level": table.session.level, "reads": "minsk.danger"}
    table.share("outlook", False)
    assert "outlook" not in table.seat_view("minsk")
    assert "Control stops sharing the outlook" in table.control_view()["record"]


def test_control_resolves_the_turn_and_a_seat_without_a_move_follows_its_policy(table):
    table.submit("warsaw", "hold", "wait")
    assert table.resolve() == {"resolved": True, "step": 1}
    turn = table.control_view()["turns"][0]
    assert turn["how"] == {"warsaw": "chosen", "minsk": "policy"}
    assert turn["actions"]["warsaw"] == "hold" and turn["why"] == {"warsaw": "wait"}
    assert table.seat_view("minsk")["history"][0]["how"] == "policy"
    assert ("step 0 (2024-05-27) resolved by Control: minsk followed the scenario policy"
            in table.record)


def test_a_bad_move_names_the_legal_ones_and_not_the_true_stage(table):
    with pytest.raises(CommandError) as caught:
        table.submit("warsaw", "request_article4")
    message = str(caught.value)
    assert message == ("'request_article4' is not a legal move for warsaw now (legal now: "
                       "1 hold, 2 harden, 3 diplomatic_protest, 4 open_checkpoint, "
                       "5 close_checkpoint)")
    assert "hybrid_pressure" not in message
    with pytest.raises(CommandError, match="a move needs its action"):
        table.submit("warsaw", " ")
    with pytest.raises(CommandError, match="why is text"):
        table.submit("warsaw", "hold", 3)
    assert table.moves == {}


def test_a_reason_is_one_line_and_sending_again_replaces_the_move(table):
    table.submit("warsaw", "1", "first\nthought")
    table.submit("warsaw", "harden", "x" * 1000)
    pending = table.seat_view("warsaw")["pending"]
    assert pending["action"] == "harden" and pending["why"] == "x" * 300
    table.submit("warsaw", "hold", "a\n b\tc")
    assert table.moves["warsaw"].why == "a b c"


def test_control_commands_are_play_s_and_moves_are_the_seats(table):
    assert "n [K], next [K]" in table.control_command("?")
    with pytest.raises(CommandError, match="moves come from the seats"):
        table.control_command("2")
    with pytest.raises(CommandError, match="Ctrl-C in its terminal"):
        table.control_command("q")
    with pytest.raises(CommandError, match="unknown command 'jump'"):
        table.control_command("jump")
    with pytest.raises(CommandError, match="share what\\? 'ladder': one of outlook, state"):
        table.share("ladder", True)
    with pytest.raises(CommandError, match="on is true or false"):
        table.share("state", "yes")


def test_a_command_that_moves_the_position_drops_the_moves_sent(table):
    table.submit("minsk", "restrain", "ease")
    out = table.control_command("n")
    assert table.session.t == 1 and "step 1 of 90" in out
    assert table.moves == {} and table.control_view()["seats"][1]["move"] is None
    assert any("were dropped" in line and "minsk" in line for line in table.record)
    assert table.seat_view("minsk")["notice"].startswith("Control moved the game on")
    assert table.seat_view("minsk")["history"][0]["how"] == "policy"
    table.control_command("u")
    assert table.session.t == 0 and table.seat_view("minsk")["history"] == []


def test_a_veto_sets_a_sent_move_aside_and_the_seat_chooses_again(table):
    table.submit("warsaw", "harden", "x")
    table.control_command("veto warsaw harden -- too provocative now")
    view = table.seat_view("warsaw")
    assert not view["submitted"] and "harden" not in [m["action"] for m in view["moves"]]
    assert view["notice"] == ("your move harden is no longer allowed (Control's decision): "
                              "choose again")
    assert "warsaw's move harden is no longer legal: warsaw chooses again" in table.record
    table.submit("warsaw", "hold")
    assert table.seat_view("warsaw")["notice"] is None


def test_control_s_acts_stay_off_the_seats_views(table):
    table.submit("minsk", "restrain", "calm")
    table.control_command("inject event 1 -- the stabbing happens now")
    act = table.control_view()["turns"][0]
    assert (act["control"], act["why"]) == ("inject", "the stabbing happens now")
    minsk = table.seat_view("minsk")
    assert minsk["submitted"] and minsk["history"] == []  # the same step: the move stands
    assert "stabb" not in text_of(minsk) and "inject" not in text_of(minsk)
    table.submit("warsaw", "hold")
    assert table.control_view()["turns"][0]["how"] == {"warsaw": "chosen", "minsk": "chosen"}


def test_after_the_end_there_are_no_moves(table):
    table.control_command("n 95")
    assert table.session.ended
    view = table.seat_view("warsaw")
    assert view["ended"] and view["moves"] == []
    assert table.control_view()["outlook"] is None
    with pytest.raises(CommandError, match="the run has ended: there are no more moves"):
        table.submit("warsaw", "hold")
    with pytest.raises(CommandError, match="the run has ended at step"):
        table.resolve()


def test_tokens_open_one_seat_each(table, scenario):
    tokens = list(table.tokens.values()) + [table.control_token]
    assert len(set(tokens)) == 3 and all(len(t) >= 22 for t in tokens)
    assert [table.seat_of(table.tokens[a]) for a in ("warsaw", "minsk")] == ["warsaw", "minsk"]
    assert table.seat_of(table.control_token) is None and table.seat_of("") is None
    assert table.is_control(table.control_token) and not table.is_control(table.tokens["minsk"])
    with pytest.raises(sim.InputError, match=re.escape(SEATS_NEEDED)):
        Table(Session(scenario, [], outlook_runs=RUNS))


# -- the HTTP server ----------------------------------------------------------------------------


@pytest.fixture
def served(table):
    """The table's server on a free port, in a thread; (base URL, table, its log)."""
    log = io.StringIO()
    server = make_server(table, "127.0.0.1", 0, log)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", table, log
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def ask(url: str, body=None, method: str | None = None) -> tuple[int, dict | str, dict]:
    """(status, JSON or text, headers) of one request; `body` a dict, or bytes sent as is."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method or (
        "POST" if data is not None else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            status, raw, headers = r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        status, raw, headers = e.code, e.read(), dict(e.headers)
    text = raw.decode()
    is_json = headers.get("Content-Type", "").startswith("application/json")
    return status, json.loads(text) if is_json else text, headers


def test_a_token_opens_its_own_seat_only(served):
    base, table, _ = served
    w, m, c = table.tokens["warsaw"], table.tokens["minsk"], table.control_token
    status, view, headers = ask(f"{base}/api/seat/{w}")
    assert status == 200 and view["actor"] == "warsaw"
    assert headers["Cache-Control"] == "no-store"
    for path in (f"/api/control/{w}", f"/api/seat/{c}", f"/api/seat/{w}x", "/api/seat/",
                 f"/control/{m}", f"/seat/{c}", "/", f"/api/control/{w}/resolve",
                 "/favicon.ico", f"/api/seat/{w}/nothing"):
        method = "POST" if path.endswith("resolve") else "GET"
        status, body, headers = ask(base + path, method=method)
        assert (status, body) == (404, {"error": "not found"}), path
        assert headers["Cache-Control"] == "no-store"
    status, page, headers = ask(f"{base}/seat/{w}")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "move sent; waiting for the other seats" in page
    assert "http://" not in page and "https://" not in page and " src=" not in page
    status, page, _ = ask(f"{base}/control/{c}")
    assert status == 200 and 'data-testid="resolve"' in page


def test_wrong_methods_bad_bodies_and_errors(served):
    base, table, log = served
    w, c = table.tokens["warsaw"], table.control_token
    status, body, headers = ask(f"{base}/api/seat/{w}/move")
    assert (status, body, headers["Allow"]) == (405, {"error": "use POST here"}, "POST")
    status, body, headers = ask(f"{base}/api/seat/{w}", {"action": "hold"})
    assert (status, headers["Allow"]) == (405, "GET")
    assert ask(f"{base}/api/seat/{w}", method="DELETE")[0] == 405
    move = f"{base}/api/seat/{w}/move"
    status, body, _ = ask(move, b"{not json")
    assert status == 400 and body["error"].startswith("the body is not JSON; send a JSON "
                                                      "object, e.g. {\"action\": \"harden\"")
    assert ask(move, b"[1, 2]")[1] == {"error": 'the body is a JSON object, e.g. '
                                                 '{"action": "harden", "why": "one line"}'}
    assert ask(move, {"actoin": "hold"})[1] == {
        "error": "unknown field 'actoin'; expected: action, why"}
    status, body, _ = ask(move, {"action": "request_article4"})
    assert status == 400 and "legal now: 1 hold" in body["error"]
    status, body, _ = ask(f"{base}/api/control/{c}/command", {"text": "jump"})
    assert status == 400 and "unknown command 'jump'" in body["error"]
    status, body, _ = ask(f"{base}/api/control/{c}/share", {"what": "outlook", "on": True})
    assert (status, body) == (200, {"shares": {"outlook": True, "state": False}})
    assert table.moves == {}

    def broken(actor):
        raise RuntimeError("a secret detail")

    table.seat_view = broken
    status, body, _ = ask(f"{base}/api/seat/{w}")
    assert (status, body) == (500, {"error": "internal error; see the server's terminal"})
    assert "RuntimeError: a secret detail" in log.getvalue()


def test_a_body_over_64_kb_is_refused_unread(served):
    base, table, _ = served
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"POST /api/seat/{table.tokens['warsaw']}/move HTTP/1.1\r\n"
                  f"Host: x\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {64 * 1024 + 1}\r\n\r\n".encode())
        reply = s.makefile("rb").read().decode()
    assert reply.startswith("HTTP/1.0 413 ")
    assert reply.endswith('{"error": "the body is over 64 KB"}')
    status, body, _ = ask(f"{base}/api/seat/{table.tokens['warsaw']}/move",
                          {"action": "hold", "why": "x" * (60 * 1024)})
    assert status == 200 and table.moves["warsaw"].why == "x" * 300


def play_seat(base: str, token: str, turns: int, pick, done: list) -> None:
    """A bot: plays one seat over the JSON interface for `turns` turns, as a program
    running elsewhere would (it only knows its link)."""
    api = f"{base}/api/seat/{token}"
    deadline = time.monotonic() + 120
    while len(done) < turns and time.monotonic() < deadline:
        status, view, _ = ask(api)
        assert status == 200
        if not view["submitted"] and view["step"] == len(done):
            action = pick(view)
            status, answer, _ = ask(f"{api}/move", {"action": action,
                                                     "why": f"bot, turn {len(done) + 1}"})
            assert status == 200, answer
            done.append((view["step"], action))
        time.sleep(0.02)


def test_a_bot_plays_a_seat_for_three_turns_against_a_human_seat(served):
    base, table, log = served
    done: list = []

    def pick(view):
        legal = [m["action"] for m in view["moves"]]
        return "restrain" if "restrain" in legal else legal[0]

    bot = threading.Thread(target=play_seat, args=(base, table.tokens["minsk"], 3, pick, done))
    bot.start()
    human = f"{base}/api/seat/{table.tokens['warsaw']}"
    control = f"{base}/api/control/{table.control_token}"
    try:
        for turn, action in enumerate(["hold", "harden", "diplomatic_protest"]):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # the human moves once the bot has
                status, view, _ = ask(control)
                if view["step"] == turn and view["seats"][1]["submitted"]:
                    break
                time.sleep(0.02)
            assert ask(human)[1]["pending"] is None  # nothing of the bot's move shows
            status, answer, _ = ask(f"{human}/move", {"action": action, "why": "human"})
            assert status == 200 and answer["resolved"] and answer["step"] == turn + 1
    finally:
        bot.join()
    assert done == [(0, "restrain"), (1, "restrain"), (2, "restrain")]
    history = ask(f"{base}/api/seat/{table.tokens['minsk']}")[1]["history"]
    assert [(h["move"], h["how"], h["why"]) for h in history] == [
        ("restrain", "chosen", f"bot, turn {k}") for k in (1, 2, 3)]
    debrief = transcript(table.session, "test")
    assert debrief.count("- minsk (played, chosen): restrain") == 3
    assert "- warsaw (played, chosen): diplomatic_protest" in debrief
    logged = log.getvalue()
    for when in ("step 0 (2024-05-27)", "step 1 (2024-05-28)", "step 2 (2024-05-29)"):
        assert f"ladder demo --seats: {when}: minsk sent its move" in logged
        assert f"ladder demo --seats: {when} resolved: every seat sent a move" in logged


# -- the command --------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--seats"], SEATS_NEEDED),
    (["--seats", "--as", "migrant_groups"], "--as migrant_groups: migrant_groups is a population"),
    (["--as", "warsaw", "--transcript", "t.md"], "--transcript is for --seats"),
    (["--seats", "--as", "warsaw", "--transcript", "t.json"], "a transcript is markdown"),
    (["--seats", "--as", "warsaw", "--port", "0"], "--port 0: use a port from 1 to 65535"),
])
def test_bad_input_is_exit_2(args, message, capsys):
    assert main(["demo", str(SCENARIO), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_ladder_demo_seats_serves_and_stops_on_sigterm(tmp_path):
    port, debrief = free_port(), tmp_path / "debrief.md"
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with open(out, "w") as o, open(err, "w") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "demo", str(SCENARIO), "--seats", "--as",
             "warsaw", "--as", "minsk", "--outlook-runs", str(RUNS), "--port", str(port),
             "--transcript", str(debrief)], stdout=o, stderr=e, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while "Ctrl-C stops the server" not in out.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, err.read_text()
            time.sleep(0.1)
        lines = out.read_text().splitlines()
        links = dict(line.split(": ", 1) for line in lines[1:4])
        assert list(links) == ["seat warsaw", "seat minsk", "control"]
        assert all(re.fullmatch(rf"http://127\.0\.0\.1:{port}/(seat|control)/[\w-]{{22}}", u)
                   for u in links.values())
        assert lines[4] == f"Ctrl-C stops the server and writes {debrief}"
        api = links["seat warsaw"].replace("/seat/", "/api/seat/")
        assert ask(f"{api}/move", {"action": "harden", "why": "from a program"})[0] == 200
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, err.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "ladder demo --seats: step 0 (2024-05-27): warsaw sent its move" in err.read_text()
    text = debrief.read_text()
    assert "- session ended: stopped (SIGTERM), at step 0" in text
    assert "Traceback" not in err.read_text()


def test_a_seat_argues_a_move_hidden_and_the_turn_waits_for_controls_ruling(table):
    reply = table.argue("warsaw", "close the rail crossing at Kuznica to freight")
    assert reply == {"accepted": True, "argued": "close the rail crossing at Kuznica to freight",
                     "resolved": False, "step": 0}
    assert table.submit("minsk", "restrain")["resolved"] is False  # waits for the ruling
    minsk = table.seat_view("minsk")
    assert "Kuznica" not in text_of(minsk)
    warsaw = table.seat_view("warsaw")
    assert warsaw["submitted"] and warsaw["pending"]["argued"].startswith("close the rail")
    assert warsaw["pending"]["ruling"] == "not ruled yet"
    seats = {s["actor"]: s for s in table.control_view()["seats"]}
    assert seats["warsaw"]["move"]["argued"].startswith("close the rail")
    out = table.control_command("rule warsaw p=1 warsaw.alarm=+1 as=harden -- done in 2021")
    assert "every seat is in: the turn is resolved; now at step 1" in out
    turn = table.session.last_turn
    assert turn.argued[0].success and turn.how == {"warsaw": "argued", "minsk": "chosen"}
    assert "argued move of warsaw: close the rail crossing" in transcript(table.session, "q")


def test_a_seat_argues_over_http(served):
    base, table, _ = served
    w = table.tokens["warsaw"]
    status, body, _ = ask(f"{base}/api/seat/{w}/argue", {"text": "open talks in Minsk"})
    assert status == 200 and body["argued"] == "open talks in Minsk"
    status, body, _ = ask(f"{base}/api/seat/{w}/argue", {"text": "  "})
    assert status == 400 and "argue needs the move" in body["error"]
