"""Which stages a scenario's rules can reach from its start (for the loader's warnings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .check import Checker, listing
from .ladder import reachable
from .yamlio import line_of

if TYPE_CHECKING:
    from .scenario import Scenario


def scenario_moves(scenario: Scenario) -> dict[str, set[str]]:
    """Every stage-to-stage move some rule of the scenario can make (for reachability)."""
    ladder, moves = scenario.ladder, {}
    ids = ladder.stage_ids
    event_targets = {e.stage for e in scenario.events if e.stage}
    for i, s in enumerate(ladder.stages):
        out: set[str] = set() if s.absorbing else set(event_targets)
        if not s.absorbing:
            if s.up is not None and i + 1 < len(ids):
                out.add(ids[i + 1])
            if s.down is not None and i > 0:
                out.add(ids[i - 1])
            targets = ladder.targets(s.id)
            for actor in scenario.actors:
                for a in actor.actions:
                    if a.trigger in targets and (a.allowed is None or s.id in a.allowed):
                        out.add(a.trigger)
        for hazard in scenario.hazards:
            if hazard.ladder == scenario.key and s.id in hazard.at:
                out.add(hazard.to)
        moves[s.id] = out
    return moves


def reach_warnings(ck: Checker, top: dict, scenario: Scenario) -> None:
    seen = reachable(scenario.ladder, scenario.start, scenario_moves(scenario))
    missing = [s for s in scenario.ladder.stage_ids if s not in seen]
    if missing:
        ck.warn(line_of(top, "start"), "start",
                f"no rule in this scenario can reach {listing(missing)} from '{scenario.start}'")
