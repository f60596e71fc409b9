"""`ladder demo --seats` in Debian's chromium through Playwright, offline: Control and two
seats, each in a browser context of its own, play two hidden simultaneous turns by
clicking; no seat's page shows the other's move, Control's shows both."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest

import sim
from sim.analyses.outlook import ODDS
from sim.workshop.seats import Table
from sim.workshop.seats_server import make_server
from sim.workshop.session import Session
from tests.helpers import ROOT, chromium, launch

SCENARIO = ROOT / "scenarios" / "belarus-poland-2024.yaml"
VIEWPORT = {"width": 1280, "height": 720}


@pytest.fixture
def served():
    table = Table(Session(sim.load_scenario(SCENARIO), ["warsaw", "minsk"], outlook_runs=200))
    server = make_server(table, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", table
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]


def test_two_hidden_simultaneous_turns_in_three_browsers(served):
    browser_path = chromium()
    from playwright.sync_api import expect, sync_playwright

    base, table = served
    requests: list[str] = []
    with sync_playwright() as p:
        browser = launch(p, browser_path)
        try:
            pages = {}
            for who, path in (("control", f"/control/{table.control_token}"),
                              ("warsaw", f"/seat/{table.tokens['warsaw']}"),
                              ("minsk", f"/seat/{table.tokens['minsk']}")):
                page = browser.new_context(viewport=VIEWPORT).new_page()  # nothing shared
                page.on("request", lambda r: requests.append(r.url))
                page.set_default_timeout(20_000)
                page.goto(base + path)
                pages[who] = page
            expect.set_options(timeout=20_000)
            control, warsaw, minsk = pages["control"], pages["warsaw"], pages["minsk"]
            for page in pages.values():
                expect(page.get_by_test_id("step")).to_have_text("Step 0 of 90 · 2024-05-27")
            expect(warsaw.get_by_test_id("who")).to_have_text("Polish government (warsaw)")
            expect(minsk.get_by_test_id("who")).to_have_text("Belarusian authorities (minsk)")
            expect(warsaw.get_by_test_id("move-harden")).to_be_visible()
            expect(minsk.get_by_test_id("move-restrain")).to_be_visible()
            assert warsaw.locator("[data-action=restrain]").count() == 0
            assert minsk.locator("[data-action=harden], [data-action=hold]").count() == 0
            expect(control.get_by_test_id("odds")).to_contain_text(
                "Distributions under the scenario's stated assumptions, not predictions")
            expect(control.get_by_test_id("outlook")).to_contain_text("n = 200 runs")
            expect(control.get_by_test_id("bar-border_incident")).to_contain_text("% [")
            expect(control.get_by_test_id("state")).to_contain_text("hybrid_pressure")
            for page in pages.values():
                no_horizontal_scroll(page)

            turns = [("warsaw", "harden", "hold the line", "minsk", "restrain", "ease off"),
                     ("minsk", "push_migrants", "keep pressure", "warsaw", "diplomatic_protest",
                      "protest")]
            for step, (first, move, why, second, reply, reply_why) in enumerate(turns, 1):
                one, other = pages[first], pages[second]
                one.get_by_test_id("why").fill(why)
                one.get_by_test_id(f"move-{move}").click()
                expect(one.get_by_test_id("status")).to_have_text(
                    f"move sent; waiting for the other seats (your move: {move})")
                expect(control.get_by_test_id(f"status-{first}")).to_have_text("move sent")
                expect(control.get_by_test_id(f"hidden-{first}")).to_have_text(f"{move}: {why}")
                expect(control.get_by_test_id(f"status-{second}")).to_have_text("waiting")
                other.reload()  # drawn from a fresh answer, given after the move was sent
                expect(other.get_by_test_id("status")).to_have_text(
                    "choose your move for this turn")
                body = other.locator("body").inner_text()
                assert move not in body and why not in body
                other.get_by_test_id("why").fill(reply_why)
                other.get_by_test_id(f"move-{reply}").click()
                for page in pages.values():
                    expect(page.get_by_test_id("step")).to_contain_text(f"Step {step} of 90")
                expect(one.get_by_test_id("history").locator("tr").first).to_contain_text(
                    f"{move} (chosen)")
                expect(other.get_by_test_id("history").locator("tr").first).to_contain_text(
                    f"{reply} (chosen)")
                expect(control.get_by_test_id("turns").locator("li").first).to_contain_text(
                    f"{first} (chosen) {move}")
                expect(control.get_by_test_id(f"hidden-{first}")).to_have_text("")
            played = {"warsaw": ("harden", "diplomatic_protest"),
                      "minsk": ("restrain", "push_migrants")}
            for actor, other_actor in (("warsaw", "minsk"), ("minsk", "warsaw")):
                history = pages[actor].get_by_test_id("history").inner_text()
                assert all(f"{m} (chosen)" in history for m in played[actor])
                body = pages[actor].locator("body").inner_text()
                assert not any(m in body for m in played[other_actor])
                expect(pages[actor].locator("#shared-state")).to_be_hidden()

            # Control shares the outlook; Control's command box speaks `ladder play`
            expect(warsaw.get_by_test_id("outlook")).to_be_hidden()
            control.get_by_test_id("share-outlook").check()
            expect(warsaw.get_by_test_id("odds")).to_have_text(ODDS)
            expect(minsk.get_by_test_id("outlook")).to_contain_text("n = 200 runs")
            control.get_by_test_id("command").fill("?")
            control.get_by_test_id("command").press("Enter")
            expect(control.get_by_test_id("command-output")).to_contain_text("n [K], next [K]")
            control.get_by_test_id("resolve").click()
            for page in pages.values():
                expect(page.get_by_test_id("step")).to_contain_text("Step 3 of 90")
                no_horizontal_scroll(page)
        finally:
            browser.close()
    assert table.session.t == 3
    outside = [u for u in requests if urlsplit(u).hostname != "127.0.0.1"]
    assert requests and not outside, f"fetched from outside: {outside}"
