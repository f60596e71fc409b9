"""`ladder demo`: the workshop in a browser, for the projector.

The dashboard is a Solara page (sim/workshop/demo_app.py) over the same game as `ladder play`: a
`Session` (sim/workshop/session.py) stepping one run of `EscalationModel`, with the played actors'
choices forced onto the engine's draw and a live outlook forked from the current position.
Mesa's SolaraViz is not used: it expects a model stepped by itself, while the session owns
the model, the played actors' choices and the outlooks.

Everything but the widgets can be tested without a browser or Solara: `Dashboard`
(sim/workshop/dashboard.py: the state behind one browser tab, and each part of the page as
HTML or SVG) and, in this module, `serve` (checks the inputs, then runs
`solara run sim.workshop.demo_app:Page` as a child process, passing the scenario through
environment variables as a `DemoConfig`, and stops it on Ctrl-C).
Nothing on the page is loaded from the network: the front end comes from the pinned
`solara-assets` package (the `demo` extra), and the charts are inline SVG.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qs

from ..errors import InputError
from ..format.scenario import load_scenario
from .session import DEFAULT_OUTLOOK_RUNS, Session

EXTRA_MISSING = "ladder demo needs the demo extra: pip install -e '.[demo]'"
APP = "sim.workshop.demo_app:Page"
ENV = {"scenario": "LADDER_DEMO_SCENARIO", "players": "LADDER_DEMO_PLAYERS",
       "seed": "LADDER_DEMO_SEED", "outlook_runs": "LADDER_DEMO_OUTLOOK_RUNS",
       "token": "LADDER_DEMO_TOKEN", "draws": "LADDER_DEMO_OUTLOOK_DRAWS",
       "turn_steps": "LADDER_DEMO_TURN"}
START_TIMEOUT = 90.0  # seconds to wait for the server to listen


def require_solara() -> None:
    """Fail early when the demo extra is not installed.

    Raises:
        InputError: "ladder demo needs the demo extra: pip install -e '.[demo]'".
    """
    if any(importlib.util.find_spec(name) is None
           for name in ("solara", "solara_assets", "ipyvuetify")):
        raise InputError(EXTRA_MISSING)


@dataclass(frozen=True)
class DemoConfig:
    """What the server process needs to set up each browser tab's session.

    Attributes:
        scenario: the scenario file (absolute path).
        players: the actors the room plays.
        seed: the session seed, or None for the scenario's.
        outlook_runs: runs in each outlook.
        token: the token a page's URL must carry (`?token=...`), or None (a loopback host).
        draws: the outlook's draws, "fresh" or "run" (`Session`).
        turn_steps: steps per turn (0: to the next decision point), as `--turn`.
    """

    scenario: str
    players: tuple[str, ...] = ()
    seed: int | None = None
    outlook_runs: int = DEFAULT_OUTLOOK_RUNS
    token: str | None = None
    draws: str = "fresh"
    turn_steps: int = 1

    def to_env(self) -> dict[str, str]:
        return {ENV["scenario"]: self.scenario, ENV["players"]: ",".join(self.players),
                ENV["seed"]: "" if self.seed is None else str(self.seed),
                ENV["outlook_runs"]: str(self.outlook_runs), ENV["token"]: self.token or "",
                ENV["draws"]: self.draws, ENV["turn_steps"]: str(self.turn_steps)}

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DemoConfig:
        """The configuration `serve` passed to the server process.

        Raises:
            InputError: when the scenario variable is not set (the page was not started by
                `ladder demo`).
        """
        env = os.environ if environ is None else environ
        path = env.get(ENV["scenario"])
        if not path:
            raise InputError(f"{ENV['scenario']} is not set: start the dashboard with "
                             "`ladder demo SCENARIO`")
        players = tuple(p for p in env.get(ENV["players"], "").split(",") if p)
        seed = env.get(ENV["seed"]) or None
        runs = env.get(ENV["outlook_runs"]) or DEFAULT_OUTLOOK_RUNS
        return cls(path, players, None if seed is None else int(seed), int(runs),
                   env.get(ENV["token"]) or None, env.get(ENV["draws"]) or "fresh",
                   int(env.get(ENV["turn_steps"]) or 1))


# -- who may play -------------------------------------------------------------------------------


def token_allows(search: str | None, token: str | None) -> bool:
    """Whether a page may be served, from its URL's query string (`token=...`, as
    `solara.use_router().search` gives it): always when there is no token (a loopback host),
    else only when the query carries the token."""
    if not token:
        return True
    given = parse_qs((search or "").lstrip("?")).get("token", [])
    return any(secrets.compare_digest(g.encode(), token.encode()) for g in given)


def new_token() -> str:
    """A random token for the URL of a dashboard served beyond this machine."""
    return secrets.token_urlsafe(16)


def is_loopback(host: str) -> bool:
    """Whether `host` serves this machine only (127.0.0.1, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    return bool(infos) and all(
        ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def addresses_to_reach(host: str) -> list[str]:
    """Where other machines reach a server bound to `host`: the host itself, or, for every
    interface (0.0.0.0, ::), this machine's own non-loopback addresses as far as they can be
    found without a network library (else its host name)."""
    if host not in ("", "0.0.0.0", "::"):
        return [host]
    found: list[str] = []
    family = socket.AF_INET if host != "::" else 0
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, family, socket.SOCK_STREAM)
        found += [str(info[4][0]).split("%")[0] for info in infos]
    except (OSError, UnicodeError):
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:  # no packet is sent: this only asks which address a route out would use
            probe.connect(("192.0.2.1", 9))
            found.append(probe.getsockname()[0])
        except OSError:
            pass
    found = [a for a in dict.fromkeys(found) if not ipaddress.ip_address(a).is_loopback]
    return found or [socket.gethostname()]


def startup_message(scenario_id: str, played: str, host: str, port: int,
                    token: str | None) -> tuple[str | None, str]:
    """The warning for a host beyond this machine (or None) and the line saying where to
    open the dashboard."""
    if token is None:
        return None, (f"ladder demo: {scenario_id}, the room plays {played}; open "
                      f"{url_of(host, port)} (Ctrl-C stops the server)")
    urls = [url_of(a, port, token) for a in addresses_to_reach(host)]
    if host in ("", "0.0.0.0", "::"):
        urls.append(f"{url_of('127.0.0.1', port, token)} on this machine")
    warning = (f"ladder demo: warning: --host {host or '0.0.0.0'} serves the dashboard "
               f"beyond this machine: anyone who can reach port {port} and has the link "
               "with its token can play, over plain http. Share the link with the room only")
    return warning, (f"ladder demo: {scenario_id}, the room plays {played}; open "
                     f"{' or '.join(urls)} (Ctrl-C stops the server)")


# -- the server ---------------------------------------------------------------------------------


def check_port(host: str, port: int) -> None:
    """Raise InputError unless `host:port` can be listened on now."""
    if not 1 <= port <= 65535:
        raise InputError(f"--port {port}: use a port from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"--host {host}: unknown host ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}); pick another "
                             "port with --port") from None


def url_of(host: str, port: int, token: str | None = None) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def _listening(host: str, port: int) -> bool:
    target = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


def server_command(host: str, port: int) -> list[str]:
    """The `solara run` command line of the dashboard (no browser opened, no look-up of
    Solara's latest version on PyPI)."""
    return [sys.executable, "-m", "solara", "run", APP, "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version"]


def serve(scenario_path: str | Path, players: list[str] | tuple[str, ...] = (),
          seed: int | None = None, outlook_runs: int = DEFAULT_OUTLOOK_RUNS,
          host: str = "127.0.0.1", port: int = 8765, out: TextIO | None = None,
          draws: str = "fresh", turn_steps: int = 1) -> int:
    """Check the inputs, start the dashboard server and wait for it; Ctrl-C (or SIGTERM)
    stops it.

    Returns:
        0 when stopped by Ctrl-C or SIGTERM, 1 when the server failed.

    Raises:
        InputError: the demo extra is missing, the scenario or an option is invalid, or the
            port is taken.
    """
    out = sys.stdout if out is None else out
    require_solara()
    scenario = load_scenario(scenario_path)
    session = Session(scenario, list(players), seed, outlook_runs, draws, turn_steps)  # checks
    check_port(host, port)
    token = None if is_loopback(host) else new_token()
    config = DemoConfig(str(Path(scenario_path).resolve()), tuple(session.players), seed,
                        outlook_runs, token, draws, turn_steps)
    played = ", ".join(session.players) or "nobody (every actor follows its policy)"
    warning, where = startup_message(scenario.id, played, host, port, token)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    # no telemetry calls from the server (it is meant to run with no network), and no
    # warning on each page load that a cookie over plain http cannot be samesite=none
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    env = {**os.environ, **config.to_env(), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), quiet]))}
    proc = subprocess.Popen(server_command(host, port), env=env)
    def on_term(signum, frame):  # pass SIGTERM on to the server, then stop as on Ctrl-C
        proc.terminate()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(host, port):
            if proc.poll() is not None:
                print(f"ladder demo: the server stopped (exit code {proc.returncode}) before "
                      "it was ready", file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(f"ladder demo: the server did not listen on {host}:{port} within "
                      f"{START_TIMEOUT:.0f} s", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(where, file=out, flush=True)
        code = proc.wait()
        print(f"ladder demo: the server stopped (exit code {code})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ladder demo: stopped", file=sys.stderr)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server. Ctrl-C in a terminal reaches it too (one process group), so first
    give it time to stop by itself; then SIGTERM, then SIGKILL."""
    for send, wait in ((None, 5), (proc.terminate, 3), (proc.kill, 5)):
        if proc.poll() is not None:
            return
        if send is not None:
            send()
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
