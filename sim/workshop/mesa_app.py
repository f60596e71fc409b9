"""Mesa's own SolaraViz over `EscalationModel`: the example app of docs/python.md ("Mesa").

    solara run sim.workshop.mesa_app:Page

serves it (the `demo` extra; no network needed). It is Mesa's standard page (Reset, play,
Step, the step counter, sliders for the model's parameters) over an ensemble of `n` runs of
one scenario, with two components: the state now (the stage of run 0, the share of runs in
each stage, mean tension) and a chart of the model's `reach_<stage>` reporters, the share of
runs that have reached each stage by each step. The chart is Mesa's matplotlib plot
component (drawn on the server as an image), not the altair one, whose Vega front end would
come from a CDN.

The scenario is `LADDER_MESA_SCENARIO` (a file or a bundled id; default
belarus-poland-2024-tension, whose one tension number makes a good slider); the sliders are
`n`, the seed (`rng`: the root seed of `ladder run --seed`, so with n the size of the first
chunk the page steps chunk 0 of that run) and, when the scenario's ladder reads tension with
a fixed decay, the override `tension.decay`, passed to the model as a keyword argument as
`--set` would be.
Reset builds a new model from the sliders. `ladder demo` (sim/workshop/demo_app.py) is the
workshop's own dashboard; this page shows that the model is an ordinary Mesa model.
"""

from __future__ import annotations

import html
import os
import warnings

import solara

from ..engine.model import EscalationModel
from ..format.scenario import load_scenario

with warnings.catch_warnings():
    # Mesa 3.3's ComponentsView trips Solara's rules-of-hooks check (a warning, not an error)
    warnings.filterwarnings("ignore", message=".*ComponentsView", category=UserWarning)
    from mesa.visualization import SolaraViz, make_plot_component

SCENARIO = os.environ.get("LADDER_MESA_SCENARIO", "belarus-poland-2024-tension")
RUNS = 200  # the default ensemble: small enough to step at once
SEED = 7


def model_params(scenario: str = SCENARIO) -> dict:
    """SolaraViz's `model_params`: the scenario fixed, n, seed and tension.decay as sliders."""
    params = {
        "scenario": scenario,
        "n": {"type": "SliderInt", "value": RUNS, "min": 1, "max": 2000, "step": 1,
              "label": "runs (n)"},
        "rng": {"type": "SliderInt", "value": SEED, "min": 0, "max": 1000, "step": 1,
                "label": "seed"},
    }
    loaded = load_scenario(scenario)
    decay = loaded.decay
    # a distribution has no single value to slide, and a ladder that reads a variable
    # makes tension's decay irrelevant
    if loaded.reads == "tension" and isinstance(decay, int | float):
        params["tension.decay"] = {"type": "SliderFloat", "value": float(decay), "min": 0.5,
                                   "max": 0.99, "step": 0.01, "label": "tension.decay"}
    return params


def StateView(model: EscalationModel):
    """The state after the last step: run 0's stage, the share of runs in each stage."""
    ids = model.ladder.stage_ids
    share = model.occupancy[model.t] / model.n
    rows = "".join(f"<tr><td>{html.escape(s)}</td><td>{100 * p:.1f}%</td></tr>"
                   for s, p in zip(ids, share, strict=True))
    return solara.HTML(tag="div", unsafe_innerHTML=(
        f'<div class="mesa-state"><p class="mesa-step">step {model.t} of {model.horizon}</p>'
        f'<p class="mesa-stage">run 0: {html.escape(ids[int(model.stage[0])])}, tension '
        f"{float(model.tension[0]):.2f}; mean tension "
        f"{model.tension_sum[model.t] / model.n:.2f}; {int(model.active.sum())} of "
        f"{model.n} runs not absorbed</p>"
        f"<table><tr><th>stage</th><th>runs there</th></tr>{rows}</table></div>"))


def components(scenario: str = SCENARIO) -> list:
    """SolaraViz's components: the state, and P(reach) of each stage above the start."""
    sc = load_scenario(scenario)
    reach = [f"reach_{s}" for s in sc.ladder.stage_ids[sc.ladder.index(sc.start) + 1:]]
    return [StateView, make_plot_component(reach, post_process=from_step_one,
                                           backend="matplotlib")]


def from_step_one(ax) -> None:
    """Mesa's plot puts row i at x = i; the model's row i is step i + 1 (it collects after
    each step)."""
    for line in ax.lines:
        line.set_xdata(line.get_xdata() + 1)
    ax.relim()
    ax.autoscale_view()


@solara.component
def Page():
    """One model per browser session, built from the sliders' starting values."""
    params = solara.use_memo(model_params, [])
    parts = solara.use_memo(components, [])
    model = solara.use_memo(
        lambda: EscalationModel(SCENARIO, n=RUNS, rng=SEED, **{
            k: v["value"] for k, v in params.items() if k == "tension.decay"}), [])
    SolaraViz(model, components=parts, model_params=params,
              name=f"EscalationModel: {model.scenario.id}")
