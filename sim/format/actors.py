"""Actors of a scenario: their actions, and the policies that weigh those actions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import vocabulary
from .action_parts import read_parts
from .check import ID_RE, MISSING, Checker, join, listing, suggest
from .distributions import Dist, Number, parse_number, parse_weight
from .dynamics import Names, Perceived, read_perceives
from .expr import Condition, Symbols
from .ladder import Ladder, compile_guard
from .vocabulary import ACTOR_KINDS, MAX_COUNT, MAX_MODIFIERS
from .yamlio import line_of

ACTOR_KEYS = vocabulary.keys("actor")
ACTION_KEYS = vocabulary.keys("action")
POLICY_KEYS = vocabulary.keys("policy")
MODIFIER_KEYS = vocabulary.keys("modifier")


@dataclass(frozen=True, slots=True)
class Action:
    """Something an actor can do: a tension effect, maybe a trigger, limited to some stages."""

    id: str
    effect: Number = 0.0
    trigger: str | None = None
    allowed: tuple[str, ...] | None = None
    description: str = ""
    effects: tuple[tuple[str, Number], ...] = ()  # on variables other than tension
    sets: tuple[str, ...] = ()  # flags
    clears: tuple[str, ...] = ()
    signal: tuple[str, float] | None = None  # (action others see, probability)
    requires: tuple[str, str] | None = None  # (actor, action): a joint decision
    within: int = 0  # steps back the required action counts
    trigger_on: tuple[str, str] | None = None  # (ladder key, stage) on a coupled ladder


@dataclass(frozen=True, slots=True)
class Modifier:
    """Multiplies action weights by `scale` while `when` holds."""

    when: Condition
    scale: dict[str, Number]


@dataclass(frozen=True, slots=True)
class Policy:
    """Weights over actions: defaults, per-stage values, and modifiers."""

    weights: dict[str, Number]
    stages: dict[str, dict[str, Number]] = field(default_factory=dict)
    modifiers: tuple[Modifier, ...] = ()

    def weight(self, stage: str, action: str) -> Number:
        """The unmodified weight of `action` at `stage`."""
        return self.stages.get(stage, {}).get(action, self.weights.get(action, 0.0))


@dataclass(frozen=True, slots=True)
class Actor:
    """A Mesa agent of the model: a state, alliance, patron, proxy or population."""

    id: str
    name: str
    kind: str
    actions: tuple[Action, ...]
    policy: Policy
    count: Number | None = None
    description: str = ""
    perceives: tuple[Perceived, ...] = ()

    @property
    def action_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actions)

    @property
    def is_population(self) -> bool:
        return self.kind == "population"


def read_actors(ck: Checker, top: dict, ladder: Ladder, names: Names | None = None
                ) -> list[Actor]:
    raw = ck.id_mapping(top.get("actors", MISSING), "actors", line_of(top, "actors"), "actor")
    actors: list[Actor] = []
    if raw is not None and not raw:
        ck.error(line_of(top, "actors"), "actors", "a scenario needs at least one actor")
    for aid, value in (raw or {}).items():
        path = f"actors.{aid}"
        m = ck.mapping(value, path, line_of(raw, aid), ACTOR_KEYS,
                       vocabulary.required("actor"))
        if m is None:
            continue
        kind = ck.get(m, "kind", path, "str", required=True)
        if kind is not None and kind not in ACTOR_KINDS:
            ck.error(line_of(m, "kind"), join(path, "kind"),
                     f"unknown kind {kind!r}{suggest(kind, ACTOR_KINDS)} "
                     f"(expected one of {listing(ACTOR_KINDS)})")
            kind = None
        count = None
        if kind == "population":
            if "count" not in m:
                ck.error(line_of(m), path, "a population needs a count (how many members act)")
            else:
                count = parse_number(ck, m["count"], join(path, "count"), line_of(m, "count"),
                                     1, MAX_COUNT, integer=True)
        elif "count" in m and kind is not None:
            ck.error(line_of(m, "count"), join(path, "count"),
                     f"count is only for kind population, not {kind}")
        names = names or Names(ladders={"main": ladder})
        actions = _actions(ck, m, path, ladder, kind == "population", names)
        if not isinstance(m.get("actions"), dict) or not m["actions"]:
            actions = _actions_named_by_weights(m)
        policy = _policy(ck, m, path, ladder, actions)
        # An actor with errors is kept (with placeholders; the scenario is not built), so
        # that its modifiers, and conditions and events naming it, are still checked.
        perceives = read_perceives(ck, m, path, names) if "perceives" in m else ()
        actors.append(Actor(aid, ck.get(m, "name", path, "str", default=aid), kind or "",
                            tuple(actions), policy or Policy({}), count,
                            ck.get(m, "description", path, "str", default=""), perceives))
    return actors


def _actions_named_by_weights(m: dict) -> list[Action]:
    """Stand-ins for an actor whose `actions` could not be read (already reported): the ids
    its weights name, so that one mistake is one error, not one per weight and condition."""
    policy = m.get("policy")
    weights = policy.get("weights") if isinstance(policy, dict) else None
    if not isinstance(weights, dict):
        return []
    return [Action(k) for k in weights if isinstance(k, str) and ID_RE.match(k)]


def _stage_list(ck: Checker, value: object, field: str, line: int | None,
                stages: tuple[str, ...]) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value:
        ck.error(line, field, "expected a non-empty list of stage ids")
        return None
    ok = True
    for i, s in enumerate(value):
        if s not in stages:
            ok = False
            ck.error(line_of(value, i), f"{field}[{i}]", f"unknown stage {s!r}"
                     f"{suggest(str(s), stages)} (stages: {listing(stages)})")
    return tuple(value) if ok else None


def _actions(ck: Checker, m: dict, path: str, ladder: Ladder, population: bool,
             names: Names) -> list[Action]:
    path = join(path, "actions")
    raw = ck.id_mapping(m.get("actions", MISSING), path, line_of(m, "actions"), "action")
    stages = ladder.stage_ids
    actions: list[Action] = []
    if raw is not None and not raw:
        ck.error(line_of(m, "actions"), path, "an actor needs at least one action")
    for name, value in (raw or {}).items():
        apath = join(path, name)
        am = ck.mapping(value if value is not None else {}, apath, line_of(raw, name), ACTION_KEYS)
        if am is None:
            continue
        parts = read_parts(ck, am, apath, names, list(raw or {}), population)
        effect, trigger = parts.effect, parts.trigger
        if population and parts.trigger_on is not None:
            ck.error(line_of(am, "trigger"), join(apath, "trigger"),
                     "population actions cannot trigger edges (a decision needs one actor)")
        if trigger is not None:
            if population:
                ck.error(line_of(am, "trigger"), join(apath, "trigger"),
                         "population actions cannot trigger edges (a decision needs one actor)")
            elif trigger not in stages:
                ck.error(line_of(am, "trigger"), join(apath, "trigger"), f"unknown stage "
                         f"'{trigger}'{suggest(trigger, stages)} (stages: {listing(stages)})")
                trigger = None
        allowed = None
        if "allowed" in am:
            allowed = _stage_list(ck, am["allowed"], join(apath, "allowed"),
                                  line_of(am, "allowed"), stages)
        if trigger is not None and not population:
            _trigger_warnings(ck, am, apath, ladder, trigger, allowed)
        if effect is None:
            effect = 0.0  # reported; the action stays known so its weights are still checked
        actions.append(Action(name, effect, trigger, allowed,
                              ck.get(am, "description", apath, "str", default=""),
                              parts.effects, parts.sets, parts.clears, parts.signal,
                              parts.requires, parts.within, parts.trigger_on))
    return actions


def _trigger_warnings(ck: Checker, am: dict, apath: str, ladder: Ladder, trigger: str,
                      allowed: tuple[str, ...] | None) -> None:
    """A trigger that can never fire; or, with `allowed` given, stages listed there from
    which no edge leads to the trigger's stage (the action is chosen there, and never fires)."""
    sources = allowed or ladder.stage_ids
    dead = [s for s in sources if trigger not in ladder.targets(s)]
    if len(dead) == len(sources):
        ck.warn(line_of(am, "trigger"), join(apath, "trigger"),
                f"can never fire: no edge leads to '{trigger}' from a stage where "
                "the action is allowed")
    elif allowed is not None and dead:
        ck.warn(line_of(am, "allowed"), join(apath, "allowed"),
                f"cannot fire at {listing(dead)}: no edge leads to '{trigger}' from there")


def _weights(ck: Checker, value: object, field: str, line: int | None,
             action_ids: tuple[str, ...], what: str = "weight") -> dict[str, Number]:
    raw = ck.id_mapping(value, field, line, "action")
    out: dict[str, Number] = {}
    for key, v in (raw or {}).items():
        if key not in action_ids:
            ck.error(line_of(raw, key), join(field, key), f"unknown action '{key}'"
                     f"{suggest(key, action_ids)} (actions: {listing(action_ids)})")
            continue
        num = parse_weight(ck, v, join(field, key), line_of(raw, key), what)
        if num is not None:
            out[key] = num
    return out


def _policy(ck: Checker, m: dict, path: str, ladder: Ladder, actions: list[Action]
            ) -> Policy | None:
    path = join(path, "policy")
    pm = ck.mapping(m.get("policy", MISSING), path, line_of(m, "policy"), POLICY_KEYS,
                    vocabulary.required("policy"))
    if pm is None:
        return None
    ids = tuple(a.id for a in actions)
    before = len(ck.problems)
    weights = _weights(ck, pm.get("weights", MISSING), join(path, "weights"),
                       line_of(pm, "weights"), ids)
    per_stage: dict[str, dict[str, Number]] = {}
    stages_raw = pm.get("stages", {})
    sm = ck.id_mapping(stages_raw, join(path, "stages"), line_of(pm, "stages"), "stage")
    for stage, value in (sm or {}).items():
        field = join(join(path, "stages"), stage)
        if stage not in ladder.stage_ids:
            ck.error(line_of(sm, stage), field, f"unknown stage '{stage}'"
                     f"{suggest(stage, ladder.stage_ids)} (ladder {ladder.id} has: "
                     f"{listing(ladder.stage_ids)})")
            continue
        per_stage[stage] = _weights(ck, value, field, line_of(sm, stage), ids)
    policy = Policy(weights, per_stage)
    if isinstance(pm.get("weights"), dict) and len(ck.problems) == before:
        _check_positive(ck, pm, path, ladder, actions, policy)  # else weights were reported
    return policy


def _check_positive(ck, pm, path, ladder, actions, policy) -> None:
    for stage in ladder.stages:
        if stage.absorbing:
            continue
        upper = 0.0
        for a in actions:
            if a.allowed is not None and stage.id not in a.allowed:
                continue
            w = policy.weight(stage.id, a.id)
            upper = max(upper, w.bounds()[1] if isinstance(w, Dist) else w)
        if upper <= 0:
            ck.error(line_of(pm, "weights"), join(path, "weights"),
                     f"all weights are zero at stage '{stage.id}'; give some action allowed "
                     "there a positive weight")


def with_modifiers(ck: Checker, top: dict, actor: Actor, symbols: Symbols) -> Actor:
    pm = top["actors"][actor.id].get("policy")
    if not isinstance(pm, dict):
        return actor  # no policy to read modifiers from (reported by _policy)
    path = f"actors.{actor.id}.policy.modifiers"
    seq = ck.sequence(pm.get("modifiers", []), path, line_of(pm, "modifiers"), "modifiers")
    if seq is not None and len(seq) > MAX_MODIFIERS:
        ck.error(line_of(pm, "modifiers"), path, f"{len(seq)} modifiers; an actor has at most "
                 f"{MAX_MODIFIERS} (so that a weight times every scale stays in range)")
    mods: list[Modifier] = []
    for i, item in enumerate(seq or []):
        mpath = f"{path}[{i}]"
        mm = ck.mapping(item, mpath, line_of(seq, i), MODIFIER_KEYS,
                        vocabulary.required("modifier"))
        if mm is None:
            continue
        no_remove(ck, mm, mpath, "modifier")
        when = compile_guard(ck, mm, "when", mpath, symbols, required=True)
        scale = _weights(ck, mm.get("scale", MISSING), join(mpath, "scale"), line_of(mm, "scale"),
                         actor.action_ids, "scale")
        if when is not None:
            mods.append(Modifier(when, scale))
    return replace(actor, policy=replace(actor.policy, modifiers=tuple(mods)))


def no_remove(ck: Checker, m: dict, path: str, what: str) -> None:
    """`remove: true` is consumed when a variant is merged; any left is outside a variant."""
    if "remove" in m:
        ck.error(line_of(m, "remove"), join(path, "remove"), f"remove drops a baseline's {what} "
                 "in a variant; this file has no 'extends'")
