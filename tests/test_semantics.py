"""The order of one step, as docs/format.md ("Semantics of one step") states it, pinned.

Three rules the docs once stated otherwise than the engine did (issue 13, item 9); the engine's
behaviour is the rule, because the bundled files rely on it (tests/test_golden.py):

(a) choices see this step's events: an event's tension change is seen by the same step's
    choices (modifiers), not only by the next step's;
(b) events apply in file order, and a `when` event sees the changes of the events before it
    in the same step;
(c) ladder guards name stages, `tension` and `step` only: a ladder file is a doctrine shared
    by scenarios with different actors, so `<actor>.last` in a guard is refused at load.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import sim
from sim.engine.model import EscalationModel
from tests.helpers import make_scenario

STAGES = [{"id": "calm", "name": "Calm"}, {"id": "tense", "name": "Tense"},
          {"id": "war", "name": "War", "absorbing": True}]


def reacting_actor() -> dict:
    """An actor that plays `react` exactly when tension >= 5, else `wait` (no effects)."""
    return {"kind": "state",
            "actions": {"wait": {"effect": 0}, "react": {"effect": 0}},
            "policy": {"weights": {"wait": 1, "react": 1},
                       "modifiers": [{"when": "tension >= 5", "scale": {"wait": 0}},
                                     {"when": "tension < 5", "scale": {"react": 0}}]}}


def test_a_choices_see_this_steps_event(tmp_path):
    scenario = make_scenario(tmp_path, STAGES, {"red": reacting_actor()},
                             events=[{"name": "shock", "at": 3, "tension": {"set": 10}}])
    model = EscalationModel(scenario, n=50, rng=1)
    red = model.agent_of("red")
    chosen = []
    for _ in range(4):
        model.step()
        chosen.append(set(red.choice.tolist()))
    react = scenario.actor("red").action_ids.index("react")
    wait = scenario.actor("red").action_ids.index("wait")
    # steps 1-2: tension 0, so wait; step 3: the event set tension to 10 before the choice
    assert chosen == [{wait}, {wait}, {react}, {react}]


def test_b_a_when_event_sees_earlier_events_of_the_same_step(tmp_path):
    events = [{"name": "first", "at": 2, "tension": {"set": 10}},
              {"name": "second", "when": "tension >= 9", "tension": {"add": 100}}]
    scenario = make_scenario(tmp_path, STAGES, {"red": reacting_actor()}, events=events)
    model = EscalationModel(scenario, n=5, rng=1)
    model.step()
    assert np.all(model.tension == 0)
    model.step()  # `first` sets 10, then `second` (later in the file) sees 10 and adds 100
    assert np.all(model.tension == 110)


def test_b_file_order_matters(tmp_path):
    """The same two events in the other order: `second` sees the previous step's tension (0)
    at step 2 and fires only at step 3."""
    events = [{"name": "second", "when": "tension >= 9", "tension": {"add": 100}},
              {"name": "first", "at": 2, "tension": {"set": 10}}]
    scenario = make_scenario(tmp_path, STAGES, {"red": reacting_actor()}, events=events)
    model = EscalationModel(scenario, n=5, rng=1)
    model.step()
    model.step()
    assert np.all(model.tension == 10)
    model.step()
    assert np.all(model.tension == 110)


def test_b_choices_see_both_events(tmp_path):
    """Part 2 (choices) comes after every event of the step."""
    events = [{"name": "first", "at": 2, "tension": {"set": 3}},
              {"name": "second", "when": "tension >= 3", "tension": {"add": 3}}]
    scenario = make_scenario(tmp_path, STAGES, {"red": reacting_actor()}, events=events)
    model = EscalationModel(scenario, n=5, rng=1)
    model.step()
    model.step()
    react = scenario.actor("red").action_ids.index("react")
    assert np.all(model.agent_of("red").choice == react)


def test_c_a_ladder_guard_cannot_name_an_actor(tmp_path):
    ladder = {"id": "g", "title": "Guarded", "stages": [
        {"id": "calm", "name": "Calm", "up": 1},
        {"id": "tense", "name": "Tense"}],
        "edges": [{"from": "calm", "to": "tense", "guard": "red.last == push"}]}
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(ladder, sort_keys=False))
    with pytest.raises(sim.ValidationError) as info:
        sim.load_ladder(path)
    (problem,) = info.value.problems
    assert problem.field == "edges[0].guard"
    assert "red.last" in problem.message


def test_c_a_guard_sees_this_steps_tension(tmp_path):
    """Guards are checked in part 6, after this step's effects moved tension."""
    stages = [{"id": "calm", "name": "Calm", "up": 1},
              {"id": "tense", "name": "Tense", "down": -1},
              {"id": "war", "name": "War", "absorbing": True}]
    edges = [{"from": "calm", "to": "tense", "guard": "tension >= 2"}]
    actor = {"kind": "state", "actions": {"push": {"effect": 2}},
             "policy": {"weights": {"push": 1}}}
    scenario = make_scenario(tmp_path, stages, {"red": actor}, edges=edges)
    model = EscalationModel(scenario, n=3, rng=1)
    model.step()  # tension 0 -> 2 by this step's effect; the guard sees 2 and lets it move
    assert np.all(model.stage == 1)
