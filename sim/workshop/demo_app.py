"""The Solara page of `ladder demo` (served by `solara run sim.workshop.demo_app:Page`).

Only widgets live here: the state and every chart are `sim.workshop.dashboard.Dashboard`'s, one per
browser tab. `ladder demo` passes the scenario, the played actors and the seed through
environment variables (`sim.workshop.demo.DemoConfig`).
"""

from __future__ import annotations

import os
import threading

import solara

from ..errors import LadderError
from ..present.markup import esc
from .dashboard import POLICY, SPEEDS, Dashboard, autoplay
from .demo import ENV, DemoConfig, token_allows

CSS = """
.ladder-demo {font-size: 17px; padding-bottom: 3em}
.ladder-demo h2 {font-size: 1.25em; margin: .2em 0 .4em}
.ladder-demo .step-counter {font-size: 1.9em; font-weight: 700}
.ladder-demo .stage-display {font-size: 1.3em}
.ladder-demo .played, .ladder-demo .odds {color: #555; font-size: .9em}
.ladder-demo svg {max-width: 100%; height: auto}
.ladder-demo .ladder svg {width: 100%}
.ladder-demo .log {max-height: 34em; overflow-y: auto}
.ladder-demo .turn {border-left: 4px solid #9ab; padding: .1em .6em; margin: .4em 0}
.ladder-demo .turn.moved {border-left-color: #d35400; background: #fff6e8}
.ladder-demo .turn-head {font-weight: 700}
.ladder-demo .turn ul {margin: 0; padding-left: 1.2em}
.ladder-demo .move {color: #b34700; font-weight: 700}
.ladder-demo .outlook-stale {color: #8a5a00; font-style: italic}
.ladder-demo .control-output {font-size: 14px; max-height: 24em; overflow: auto;
                              background: #f6f6f6; padding: .5em; white-space: pre}
"""


def _dashboard() -> Dashboard | str:
    try:
        return Dashboard.from_config(DemoConfig.from_env())
    except LadderError as exc:
        return str(exc)


@solara.component
def Moves(board: Dashboard, actor: str, pick: str, position: int, on_change):
    """The played actor's choice for the next step: the policy or a legal move.

    `pick` and `position` (`board.changes`) are passed so that the component is drawn
    again when they change: `board` itself is the same object throughout.
    """
    options = board.options(actor)
    name = board.scenario.actor(actor).name
    solara.HTML("div", f"<b>{esc(actor)}</b> ({esc(name)}) on the next step:")
    if not options:
        solara.Text("no moves: the run has ended")
        return

    def choose(value):
        board.pick(actor, value or POLICY)
        on_change()

    # a fresh control at each new position: its pick goes back to the policy after a step
    with solara.ToggleButtonsSingle(value=pick, on_value=choose, classes=[f"moves-{actor}"],
                                    style="flex-wrap: wrap").key(f"moves-{actor}-{position}"):
        for value, label in options:
            solara.Button(label, value=value, classes=[f"move-{actor}-{value}"],
                          style="text-transform: none")


REFUSED = ("This dashboard is served beyond the machine it runs on, so it opens only from the "
           "link that `ladder demo` printed, with its token (…/?token=…). Ask the facilitator "
           "for the link.")


@solara.component
def Page():
    """The dashboard, or a refusal when the server wants a token the URL lacks."""
    router = solara.use_router()
    if not token_allows(router.search, os.environ.get(ENV["token"])):
        solara.Title("ladder demo")
        solara.Error(REFUSED, classes=["token-refused"])
        return
    Game()


def speed_label(speed: int) -> str:
    return f"{speed}/s"


@solara.component
def Control(board: Dashboard, on_change):
    """Control's box: a line of the command language (`?` lists it), run on the session, and
    the text it returns; Undo takes back the last turn."""
    text, set_text = solara.use_state("")
    shown, set_shown = solara.use_state("")

    def run(line: str):
        if line.strip():
            set_shown(board.control(line))
            on_change()

    with solara.Row(style="align-items: center; flex-wrap: wrap"):
        with solara.Column(style="min-width: 24em"):
            solara.InputText("Control command", value=text, on_value=set_text,
                             continuous_update=True, classes=["control-command"])
        solara.Button("Run", on_click=lambda: run(text), classes=["control-run"])
        solara.Button("Undo", on_click=lambda: run("u"), classes=["control-undo"])
    if shown:
        solara.HTML("pre", esc(shown), classes=["control-output"])


@solara.component
def Game():
    board = solara.use_memo(_dashboard, [])
    _version, set_version = solara.use_state(0)  # bumped to re-render after a change
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(2)

    def changed():
        set_version(lambda v: v + 1)

    def step():
        board.step()
        changed()

    def play(on: bool):
        board.set_playing(on)  # while playing, the outlook is the last one shown
        set_playing(on)

    def reset():
        play(False)
        board.reset()
        changed()

    def timer(cancel: threading.Event):
        if playing:
            autoplay(board, speed, cancel, changed)
            if not cancel.is_set():  # the run ended
                play(False)

    solara.use_thread(timer, dependencies=[playing, speed], intrusive_cancel=False)
    solara.Title("ladder demo")
    solara.Style(CSS)
    if isinstance(board, str):
        solara.Error(f"ladder demo: {board}")
        return

    s = board.session
    with solara.Column(classes=["ladder-demo"], style="padding: 0 1em"):
        with solara.Row(justify="space-between", style="align-items: baseline; flex-wrap: wrap"):
            solara.HTML("div", esc(s.scenario.id), classes=["scenario-id"],
                        style="font-size: 1.3em; font-weight: 600")
            solara.HTML("div", esc(board.counter()), classes=["step-counter"])
            solara.HTML("div", esc(board.status()), classes=["stage-display"])
        solara.HTML("div", esc(board.players_text()), classes=["played"])
        with solara.Row(style="align-items: center; flex-wrap: wrap"):
            solara.Button("Step", on_click=step, disabled=board.ended or playing,
                          color="primary", classes=["step-button"])
            solara.Button("Pause" if playing else "Play", disabled=board.ended,
                          on_click=lambda: play(not playing), classes=["play-button"])
            solara.Button("Reset", on_click=reset, classes=["reset-button"])
            solara.HTML("span", "Play speed (steps per second):")
            with solara.ToggleButtonsSingle(value=speed, on_value=set_speed,
                                            classes=["play-speed"]):
                for choice in SPEEDS:
                    solara.Button(speed_label(choice), value=choice,
                                  classes=[f"speed-{choice}"], style="text-transform: none")
        for actor in s.players:
            Moves(board, actor, board.picks[actor], board.changes, changed)
        Control(board, changed)
        with solara.Columns([1, 1]):
            with solara.Column(classes=["left-column"]):
                solara.HTML("h2", "The ladder")
                solara.HTML("div", board.ladder_html(), classes=["ladder"])
                solara.HTML("h2", "What happened, and why the stage moved")
                solara.HTML("div", board.log_html(), classes=["log"])
            with solara.Column(classes=["right-column"]):
                solara.HTML("h2", "Outlook from here")
                solara.HTML("div", board.outlook_html(), classes=["outlook"])
                solara.HTML("h2", "Outcomes of a quick batch from the start")
                solara.HTML("div", board.batch_html(), classes=["batch"])
                solara.HTML("div", esc(board.odds_note()), classes=["odds"])
