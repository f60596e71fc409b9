"""`ladder demo --seats`: team seats over HTTP, with the standard library only.

One server process holds one `Table` (sim/workshop/seats.py: the session, the seats, the
hidden moves) behind its lock. Each seat and Control has a page (`/seat/TOKEN`,
`/control/TOKEN`, sim/workshop/seats_pages.py) and the same JSON interface that programs use
(`/api/...`, docs/seats.md): a page is one client of the API among others, so a move sent by
a program is recorded exactly like a move clicked in a browser.
"""

from __future__ import annotations

import json
import signal
import socket
import socketserver
import sys
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from ..errors import InputError
from ..format.scenario import load_scenario
from .debrief import check_transcript, save_transcript
from .demo import addresses_to_reach, check_port, is_loopback, url_of
from .seats import SEATS_NEEDED, Table
from .seats_pages import CONTROL_PAGE, SEAT_PAGE
from .session import DEFAULT_OUTLOOK_RUNS, Session

MAX_BODY = 64 * 1024
NOT_FOUND = {"error": "not found"}
POSTS: dict[str, dict[str, tuple[str, ...]]] = {  # who -> POST action -> its body's fields
    "seat": {"move": ("action", "why"), "argue": ("text",)},
    "control": {"command": ("text",), "resolve": (), "share": ("what", "on")}}
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")


class Refused(Exception):
    """A request answered with an error status and a JSON message."""

    def __init__(self, status: int, message: str, allow: str | None = None):
        super().__init__(message)
        self.status, self.message, self.allow = status, message, allow


def route(path: str) -> tuple[str, str, str | None, bool] | None:
    """(who: "seat" | "control", token, POST action or None, is the API) of a path, or None
    when it is no route (its token not yet checked)."""
    parts = urlsplit(path).path.split("/")[1:]
    if len(parts) == 2 and parts[0] in POSTS:
        return parts[0], parts[1], None, False
    if len(parts) in (3, 4) and parts[0] == "api" and parts[1] in POSTS:
        action = parts[3] if len(parts) == 4 else None
        if action is not None and action not in POSTS[parts[1]]:
            return None
        return parts[1], parts[2], action, True
    return None


class SeatsServer(ThreadingHTTPServer):
    """The HTTP server of one table; `log` gets the table's record (who sent a move, what
    Control did) and any internal error."""

    daemon_threads = True

    def __init__(self, table: Table, address: tuple[str, int], log: TextIO | None,
                 family: int = socket.AF_INET):
        self.address_family = family  # before the socket is made
        self.table, self.log = table, log
        super().__init__(address, SeatsHandler)

    def server_bind(self) -> None:  # HTTPServer's looks up the host's name, which can be slow
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]


class SeatsHandler(BaseHTTPRequestHandler):
    """Routes one request to the table; every answer is JSON or one of the two pages."""

    server: SeatsServer
    server_version = "ladder-seats"
    sys_version = ""
    timeout = 30  # seconds a client may take to send its request

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self.handle_method("GET")

    def do_POST(self) -> None:
        self.handle_method("POST")

    def do_PUT(self) -> None:
        self.handle_method("PUT")

    def do_DELETE(self) -> None:
        self.handle_method("DELETE")

    def do_PATCH(self) -> None:
        self.handle_method("PATCH")

    def do_HEAD(self) -> None:
        self.handle_method("HEAD")

    def do_OPTIONS(self) -> None:
        self.handle_method("OPTIONS")

    def handle_method(self, method: str) -> None:
        try:
            answer = self.answer(method)
            if isinstance(answer, str):
                self.send_bytes(200, answer.encode("utf-8"), "text/html; charset=utf-8",
                                extra={"Content-Security-Policy": CSP, "X-Frame-Options": "DENY"})
            else:
                self.send_json(200, answer)
        except Refused as r:
            self.send_json(r.status, {"error": r.message}, r.allow)
        except InputError as exc:  # CommandError too: a bad move or command
            self.send_json(400, {"error": str(exc)})
        except Exception:  # never a traceback to the client
            if self.server.log is not None:
                traceback.print_exc(file=self.server.log)
            self.send_json(500, {"error": "internal error; see the server's terminal"})

    def answer(self, method: str) -> dict | str:
        """The JSON answer to the request, or a page's HTML.

        Raises:
            Refused: no such route (or token), the wrong method, a bad body.
            InputError: the table refused the move or command.
        """
        found = route(self.path)
        if found is None:
            raise Refused(404, NOT_FOUND["error"])
        who, token, action, api = found
        allowed = "POST" if action is not None else "GET"
        if method != allowed:
            raise Refused(405, f"use {allowed} here", allow=allowed)
        body = self.body(POSTS[who][action]) if action is not None else {}
        table = self.server.table
        seat = table.seat_of(token) if who == "seat" else None
        if seat is None and not (who == "control" and table.is_control(token)):
            raise Refused(404, NOT_FOUND["error"])
        if not api:
            return SEAT_PAGE if who == "seat" else CONTROL_PAGE
        if seat is not None:
            if action == "argue":
                return table.argue(seat, body.get("text", ""))
            return (table.submit(seat, body.get("action", ""), body.get("why", ""))
                    if action == "move" else table.seat_view(seat))
        if action is None:
            return table.control_view()
        if action == "command":
            return {"output": table.control_command(body.get("text", ""))}
        if action == "resolve":
            return table.resolve()
        return table.share(body.get("what", ""), body.get("on", True))

    def body(self, fields: tuple[str, ...]) -> dict:
        """The request's JSON object, at most MAX_BODY bytes, with only `fields`."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise Refused(400, "send the body with a Content-Length (no chunked encoding)")
        length_text = self.headers.get("Content-Length", "0").strip() or "0"
        if not length_text.isascii() or not length_text.isdigit():
            self.close_connection = True
            raise Refused(400, f"Content-Length {length_text[:20]!r} is not a number")
        length = int(length_text)
        if length > MAX_BODY:
            self.close_connection = True
            raise Refused(413, f"the body is over {MAX_BODY // 1024} KB")
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Refused(400, "the body is not JSON; send a JSON object, e.g. "
                               + example(fields)) from None
        if not isinstance(data, dict):
            raise Refused(400, "the body is a JSON object, e.g. " + example(fields))
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise Refused(400, f"unknown field {unknown[0][:40]!r}; expected: "
                               + (", ".join(fields) or "no fields"))
        return data

    def send_json(self, status: int, data: dict, allow: str | None = None) -> None:
        self.send_bytes(status, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                        "application/json; charset=utf-8", allow)

    def send_bytes(self, status: int, body: bytes, kind: str, allow: str | None = None,
                   extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if allow:
            self.send_header("Allow", allow)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """A malformed request (BaseHTTPRequestHandler's own checks), answered in JSON."""
        self.close_connection = True
        self.send_json(code, {"error": message or HTTPStatus(code).phrase})

    def log_message(self, format: str, *args) -> None:
        """Requests are not logged: their paths carry the tokens (the table logs moves)."""


def example(fields: tuple[str, ...]) -> str:
    samples = {"action": "harden", "why": "one line", "text": "?", "what": "outlook",
               "on": True}
    return json.dumps({f: samples[f] for f in fields})


def make_server(table: Table, host: str = "127.0.0.1", port: int = 0,
                log: TextIO | None = None) -> SeatsServer:
    """The server of `table`, bound to host:port (0: a free port), not yet serving."""
    family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)[0][0]
    server = SeatsServer(table, (host, port), log, family)
    if log is not None:
        table.echo = lambda line: print(f"ladder demo --seats: {line}", file=log, flush=True)
    return server


def seat_links(table: Table, host: str, port: int) -> list[tuple[str, str]]:
    """(who, URL) for each seat and Control, at the address other machines reach."""
    shown = host if is_loopback(host) else addresses_to_reach(host)[0]
    base = url_of(shown, port)
    return ([(f"seat {a}", f"{base}seat/{table.tokens[a]}") for a in table.seats]
            + [("control", f"{base}control/{table.control_token}")])


def serve_seats(scenario_path: str | Path, players: list[str] | tuple[str, ...],
                seed: int | None = None, outlook_runs: int = DEFAULT_OUTLOOK_RUNS,
                host: str = "127.0.0.1", port: int = 8765, transcript: str | None = None,
                out: TextIO | None = None, draws: str = "fresh", turn_steps: int = 1) -> int:
    """Check the inputs, print each seat's link and Control's, and serve until Ctrl-C or
    SIGTERM; then write the transcript (`--transcript`).

    Returns:
        0 when stopped by Ctrl-C or SIGTERM.

    Raises:
        InputError: no played actor, a bad option or scenario, the port taken, or (after
            stopping) a transcript that could not be written where asked.
    """
    out = sys.stdout if out is None else out
    if not players:
        raise InputError(SEATS_NEEDED)
    path = check_transcript(transcript) if transcript else None
    scenario = load_scenario(scenario_path)
    table = Table(Session(scenario, list(players), seed, outlook_runs, draws, turn_steps,
                          assess=path is not None))  # decision points: for the transcript
    check_port(host, port)
    server = make_server(table, host, port, sys.stderr)
    if not is_loopback(host):
        print(f"ladder demo --seats: warning: --host {host or '0.0.0.0'} serves the seats "
              f"beyond this machine, over plain http: anyone who can reach port {port} and "
              "has a link can use it. Give each team its own link only", file=sys.stderr)
    print(f"ladder demo --seats: {scenario.id}, one seat per played actor "
          f"({', '.join(table.seats)}); give each team its own link only", file=out)
    for who, link in seat_links(table, host, port):
        print(f"{who}: {link}", file=out)
    print("Ctrl-C stops the server" + (f" and writes {path}" if path else ""), file=out,
          flush=True)
    stopped = {"by": "interrupted (Ctrl-C)"}

    def on_term(signum, frame):
        stopped["by"] = "stopped (SIGTERM)"
        raise KeyboardInterrupt

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_term) if main else None
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        print("ladder demo --seats: stopped", file=sys.stderr)
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        server.server_close()
    if path is not None:
        with table.lock:
            lost = save_transcript(table.session, path, stopped["by"], sys.stderr)
        if lost:
            raise InputError(lost)
        print(f"wrote {path}", file=sys.stderr)
    return 0
