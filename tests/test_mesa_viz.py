"""Mesa's SolaraViz over EscalationModel (sim/workshop/mesa_app.py, docs/python.md "Mesa"):
served by `solara run`, rendered and stepped in Debian's chromium through Playwright,
offline; and the model parameters it passes."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

from sim.engine.model import EscalationModel
from tests.helpers import ROOT, chromium, free_port, launch, need

APP = "sim.workshop.mesa_app:Page"


def expected_state(steps: int) -> str:
    """The state line the page shows after `steps` steps, from the same model stepped here."""
    from sim.workshop import mesa_app

    decay = mesa_app.model_params()["tension.decay"]["value"]
    model = EscalationModel(mesa_app.SCENARIO, n=mesa_app.RUNS, rng=mesa_app.SEED,
                            **{"tension.decay": decay})
    for _ in range(steps):
        model.step()
    html = mesa_app.StateView(model).kwargs["unsafe_innerHTML"]
    return html.split('<p class="mesa-stage">')[1].split("</p>")[0]


def test_the_app_passes_what_the_model_takes():
    need("the demo extra (solara, altair)", importlib.util.find_spec("altair") is not None)
    from sim.workshop import mesa_app

    params = mesa_app.model_params()
    model = EscalationModel(**{k: v["value"] if isinstance(v, dict) else v
                               for k, v in params.items()})
    assert model.scenario.overrides == (("tension.decay", "0.9"),) and model.n == mesa_app.RUNS
    view, (plot, page) = mesa_app.components()
    assert view is mesa_app.StateView and callable(plot) and page == 0
    assert "run 0: hybrid_pressure" in expected_state(0)


@contextlib.contextmanager
def app_server(tmp_path):
    need("the demo extra (solara, altair)", importlib.util.find_spec("solara") is not None
         and importlib.util.find_spec("altair") is not None)
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "solara", "run", APP, "--host", "127.0.0.1", "--port",
             str(port), "--production", "--no-open", "--no-check-version"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"solara run did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield port, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_solara_viz_renders_and_steps_in_headless_chromium(tmp_path):
    browser_path = chromium()
    from playwright.sync_api import expect, sync_playwright

    after = [expected_state(k) for k in (0, 1, 3)]
    requests: list[str] = []
    with app_server(tmp_path) as (port, log), sync_playwright() as p:
        browser = launch(p, browser_path)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.on("websocket", lambda ws: requests.append(ws.url))
            page.set_default_timeout(30_000)
            expect.set_options(timeout=30_000)  # the first render takes a while
            page.goto(f"http://127.0.0.1:{port}/")

            counter = page.get_by_text("Step: ", exact=False)  # Mesa's own step counter
            state, step = page.locator(".mesa-stage"), page.locator(".mesa-step")
            expect(counter).to_have_text("Step: 0")
            expect(step).to_have_text("step 0 of 90")
            expect(state).to_have_text(after[0])
            expect(page.get_by_text("runs (n)")).to_be_visible()  # the sliders

            button = page.get_by_role("button", name="Step", exact=True)
            button.click()
            expect(counter).to_have_text("Step: 1")
            expect(step).to_have_text("step 1 of 90")
            expect(state).to_have_text(after[1])
            button.click()
            expect(counter).to_have_text("Step: 2")
            button.click()
            expect(counter).to_have_text("Step: 3")
            expect(state).to_have_text(after[2])
            assert after[2] != after[0] or after[1] != after[0]
            # the matplotlib chart of the reach_<stage> reporters, drawn on the server
            expect(page.locator("img").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "mesa.png"), full_page=True)
        finally:
            browser.close()
        text = log.read_text()

    assert (tmp_path / "mesa.png").stat().st_size > 20_000
    # blob: URLs are the chart's images, made in the page
    outside = [u for u in requests if urlsplit(u.removeprefix("blob:")).hostname != "127.0.0.1"]
    assert requests and not outside, f"fetched from outside: {outside}"
    assert "Traceback" not in text, text
