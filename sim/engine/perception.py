"""What conditions see: the true state (`StateView`, for events, hazards and ladder guards)
or what one actor perceives (`ActorView`, for its modifiers and learning), and the memory
functions `count`, `since`, `ever` over actors' actions (`Recall`).

An actor that `perceives` a quantity sees it `lag` steps old, plus its `bias`, plus `noise`
times a standard normal drawn each step (`Perception.observe`, part 2 of a step); a stage is
seen in rungs, rounded and kept on its ladder. Of another actor that signals it sees the face
shown, not the deed (docs/format.md, "Perception", "Signals").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..format.expr_syntax import Memory
from .assumptions import draw

if TYPE_CHECKING:
    from .model import EscalationModel

DEEDS, SHOWN = "deeds", "shown"


class StateView:
    """The true state: stage, tension, step, every actor's last action (its deed), variables,
    flags, coupled ladders' stages and the memory of deeds."""

    face = DEEDS

    def __init__(self, model: EscalationModel):
        self._model = model
        self.last: dict[str, np.ndarray] = {}

    @property
    def stage(self) -> np.ndarray:
        return self._model.stage

    @property
    def tension(self) -> np.ndarray:
        return self._model.tension

    @property
    def step(self) -> int:
        return self._model.t

    @property
    def n(self) -> int:
        return self._model.n

    def value(self, name: str) -> np.ndarray:
        return self._model.value(name)

    def flag(self, name: str) -> np.ndarray:
        return self._model.vars.flags[name]

    def stage_of(self, key: str) -> np.ndarray:
        return self._model.track(key).stage

    def memory(self, node: Memory) -> np.ndarray:
        return self._model.recall.evaluate(node, DEEDS)


class ActorView(StateView):
    """What one actor sees: its perceived quantities (set each step by `Perception`), the
    faces other actors show, and its memory of those faces."""

    def __init__(self, model: EscalationModel, actor_id: str):
        super().__init__(model)
        self.actor_id = actor_id
        self.seen: dict[str, np.ndarray] = {}

    @property
    def stage(self) -> np.ndarray:
        return self.seen.get("stage", self._model.stage)

    @property
    def tension(self) -> np.ndarray:
        return self.seen.get("tension", self._model.tension)

    def value(self, name: str) -> np.ndarray:
        return self.seen[name] if name in self.seen else self._model.value(name)

    def stage_of(self, key: str) -> np.ndarray:
        name = f"{key}.stage"
        return self.seen[name] if name in self.seen else self._model.track(key).stage

    def memory(self, node: Memory) -> np.ndarray:
        return self._model.recall.evaluate(node, self.face_of(node.actor))

    def face_of(self, actor_id: str) -> str:
        """The face of `actor_id` this actor sees: the signal, if that actor signals."""
        return SHOWN if actor_id != self.actor_id and actor_id in self._model.signallers \
            else DEEDS


class Perception:
    """The perceived quantities of every actor that `perceives`: lag buffers of the truth and
    the bias and noise drawn per run."""

    def __init__(self, model: EscalationModel, views: dict[str, ActorView]):
        self.model, self.views = model, views
        self.items = []  # (view, name, bias, noise or None, lag)
        lags: dict[str, int] = {}
        for actor in model.scenario.actors:
            for p in actor.perceives:
                bias = draw(model, p.bias)
                noise = None if p.noise == 0.0 else draw(model, p.noise)
                self.items.append((views[actor.id], p.name, bias, noise, p.lag))
                lags[p.name] = max(lags.get(p.name, 0), p.lag)
        self.past = {name: np.repeat(self.truth(name)[None, :].astype(float), lag + 1, axis=0)
                     for name, lag in lags.items()}
        self.rungs = {name: self._rungs(name) for name in lags}  # a stage's rungs, or None

    def _rungs(self, name: str) -> int | None:
        """How many stages the ladder of a perceived stage has (None: not a stage)."""
        model = self.model
        if name == "stage" or name.endswith(".stage") and name[:-6] in model.track_keys:
            return len(model.track(model.scenario.key if name == "stage" else name[:-6]).up)
        return None

    def truth(self, name: str) -> np.ndarray:
        model = self.model
        if name == "stage":
            return model.stage
        if name.endswith(".stage") and name[:-6] in model.track_keys:
            return model.track(name[:-6]).stage
        return model.value(name)

    @property
    def arrays(self) -> list[tuple[np.ndarray, int]]:
        """The lag buffers (state), with their run axis."""
        return [(past, 1) for past in self.past.values()]

    @property
    def parameters(self) -> list[tuple[np.ndarray, int]]:
        """The bias and noise drawn per run (never written while stepping)."""
        return ([(bias, 0) for _, _, bias, _, _ in self.items]
                + [(noise, 0) for _, _, _, noise, _ in self.items if noise is not None])

    def observe(self) -> None:
        """Part 2 of a step: record the truth, then each actor's view of it (noise drawn
        in actor and file order, one standard normal per run per noisy quantity)."""
        model = self.model
        t = model.t
        for name, past in self.past.items():
            past[t % len(past)] = self.truth(name)
        for view, name, bias, noise, lag in self.items:
            past = self.past[name]
            value = past[(t - lag) % len(past)] + bias
            if noise is not None:
                value = value + noise * model.rng.standard_normal(model.n)
            top = self.rungs[name]
            if top is not None:
                value = np.clip(np.rint(value), 0, top - 1).astype(np.int64)
            view.seen[name] = value


class Recall:
    """What the memory functions need: per actor and face, the last step each action was
    taken and a ring of the last W steps' actions (W: the longest `count` window on it)."""

    def __init__(self, model: EscalationModel, needs: dict[tuple[str, str], int]):
        self.model = model
        n = model.n
        self.last_at = {}
        self.ring = {}
        self.index = {a.actor.id: i for i, a in enumerate(model.actors)}  # actor -> agent
        for (actor_id, face), window in needs.items():
            agent = model.actors[self.index[actor_id]]
            self.last_at[(actor_id, face)] = np.full((agent.n_actions, n), -1, dtype=np.int32)
            if window:
                self.ring[(actor_id, face)] = np.full((window, n), -1, dtype=np.int16)
        self.recorded = 0

    @property
    def arrays(self) -> list[tuple[np.ndarray, int]]:
        return [(a, -1) for a in self.last_at.values()] + [(a, -1) for a in self.ring.values()]

    def update(self) -> None:
        """After the choices: this step's actions (deeds, and the faces shown)."""
        model = self.model
        t = model.t
        for (actor_id, face), last_at in self.last_at.items():
            agent = model.actors[self.index[actor_id]]
            codes = agent.choice if face == DEEDS else agent.shown
            acted = codes >= 0
            last_at[codes[acted], np.flatnonzero(acted)] = t
            ring = self.ring.get((actor_id, face))
            if ring is not None:
                ring[t % len(ring)] = codes
        self.recorded = t

    def evaluate(self, node: Memory, face: str) -> np.ndarray:
        last_at = self.last_at[(node.actor, face)][node.action]
        if node.fn == "ever":
            return last_at >= 0
        if node.fn == "since":
            return np.where(last_at >= 0, self.model.t - last_at, np.inf)
        ring = self.ring[(node.actor, face)]
        rows = [(self.recorded - j) % len(ring) for j in range(min(node.window, self.recorded))]
        if not rows:
            return np.zeros(self.model.n)
        return (ring[rows] == node.action).sum(axis=0).astype(float)

    def took(self, actor_id: str, code: int, within: int) -> np.ndarray:
        """Runs where `actor_id` took action `code` this step or up to `within` steps before."""
        return self.last_at[(actor_id, DEEDS)][code] >= self.model.t - within
