"""State variables and flags of an ensemble: values per run, their decay and bounds, the
effects actions have on them, learning, and flags set by actions (docs/format.md, "State
variables", "Flags", "Learning").

`tension` stays the model's own array (`EscalationModel.tension`); every other variable is
here. Nothing is drawn and nothing is done for a scenario that declares none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .assumptions import draw

if TYPE_CHECKING:
    from .model import EscalationModel


class Variables:
    """The scenario's variables and flags over the runs of one model.

    Attributes:
        values: name -> (runs,) value; decay: name -> (runs,) factor.
        flags: name -> (runs,) bool.
    """

    def __init__(self, model: EscalationModel):
        self.model = model
        scenario, n = model.scenario, model.n
        self.defs = {v.name: v for v in scenario.variables}
        self.values = {v.name: draw(model, v.initial) for v in scenario.variables}
        self.decay = {v.name: draw(model, v.decay) for v in scenario.variables
                      if v.learn is None}
        for v in scenario.variables:
            self.clip(v.name)
        self.flags = {f.name: np.full(n, f.initial) for f in scenario.flags}
        self.learning = [v for v in scenario.variables if v.learn is not None]

    def clip(self, name: str) -> None:
        """Keep a variable within its bounds."""
        v = self.defs[name]
        if v.low is not None or v.high is not None:
            np.clip(self.values[name], v.low, v.high, out=self.values[name])

    @property
    def arrays(self) -> list[tuple[np.ndarray, int]]:
        """Per-run arrays with their run axis (for snapshots and forks)."""
        return ([(a, 0) for a in self.values.values()] + [(a, 0) for a in self.decay.values()]
                + [(a, 0) for a in self.flags.values()])

    def update(self) -> None:
        """Part 5 of a step: value = decay * value + effects, within bounds, in active runs;
        then learning, from the state that leaves."""
        model = self.model
        active = model.active
        for name in self.decay:
            # Only the actors with an effect on it: adding a 0.0 to the sum, which never
            # holds a -0.0 (it starts at 0), changes no number.
            effects = sum(agent.var_effect[name] for agent in model.actors
                          if name in agent.var_effect)
            self.values[name] = np.where(active, self.decay[name] * self.values[name] + effects,
                                         self.values[name])
            self.clip(name)
        if not self.learning:
            return
        targets = []
        for v in self.learning:
            assert v.learn is not None
            view = model.view_of(v.owner)
            held = sum(c.evaluate(view).astype(float) for c in v.learn.toward)
            targets.append(held / len(v.learn.toward))
        for v, x in zip(self.learning, targets, strict=True):
            assert v.learn is not None
            old = self.values[v.name]
            self.values[v.name] = np.where(active, old + v.learn.rate * (x - old), old)
            self.clip(v.name)

    def apply_actions(self) -> None:
        """Flags set and cleared by this step's actions, actor by actor in file order."""
        for agent in self.model.actors:
            for code, sets, clears in agent.flag_actions:
                chose = agent.choice == code
                if not chose.any():
                    continue
                for name in sets:
                    self.flags[name][chose] = True
                for name in clears:
                    self.flags[name][chose] = False
