"""Build small ladders and scenarios in a temporary folder for tests."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from pathlib import Path

import pytest
import yaml

import sim

ROOT = Path(__file__).resolve().parents[1]


def make_scenario(tmp_path: Path, stages: list[dict], actors: dict, edges=None, events=None,
                  start: str | None = None, horizon: int = 10, initial=0.0, decay=1.0,
                  name: str = "s") -> sim.Scenario:
    """Write a ladder and a scenario to tmp_path and load the scenario."""
    ladder = {"id": f"{name}-ladder", "title": "Test ladder", "stages": stages}
    if edges:
        ladder["edges"] = edges
    (tmp_path / f"{name}-ladder.yaml").write_text(yaml.safe_dump(ladder, sort_keys=False))
    scenario = {"id": name, "title": "Test scenario", "ladder": f"./{name}-ladder.yaml",
                "start": start or stages[0]["id"], "clock": {"horizon": horizon},
                "tension": {"initial": initial, "decay": decay}, "actors": actors}
    if events:
        scenario["events"] = events
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return sim.load_scenario(path)


def one_action(effect=0.0, trigger=None, allowed=None, **extra) -> dict:
    """An actor with a single action `act`."""
    action = {"effect": effect}
    if trigger:
        action["trigger"] = trigger
    if allowed:
        action["allowed"] = allowed
    return {"kind": "state", "actions": {"act": action}, "policy": {"weights": {"act": 1}},
            **extra}


class FakeServer:
    """Stands for the `solara run` child of `ladder demo` (patched in for `subprocess.Popen`):
    it "listens" at once and stops on Ctrl-C; the environment it was given is kept in `env`."""

    env: dict = {}

    def __init__(self, command, env):
        FakeServer.env = env
        self.returncode = None

    def poll(self):
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            self.returncode = 0
            raise KeyboardInterrupt
        return self.returncode

    def terminate(self):
        self.returncode = -15

    kill = terminate


# -- servers and the browser (tests/test_demo.py, test_mesa_viz.py, test_seats_browser.py) --


def need(what: str, ok: bool, install: str = "python -m pip install -e '.[test]'") -> None:
    """Skip without `what`, or fail when CI is set (CI must run the browser test)."""
    if not ok:
        message = f"{what} is not installed ({install})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str:
    """The browser's path; skips (or fails on CI) without it or Playwright."""
    browser_path = shutil.which("chromium")
    need("chromium", browser_path is not None, "apt-get install chromium; .ci/run does this")
    need("playwright", importlib.util.find_spec("playwright") is not None)
    return browser_path


def launch(p, browser_path: str):
    return p.chromium.launch(
        executable_path=browser_path, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run"])
