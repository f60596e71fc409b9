"""Scenarios: actors with actions and policies on a ladder, a clock, tension and events."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ValidationError
from .check import ID_RE, MISSING, Checker, join, listing, suggest
from .distributions import Dist, Number, parse_number
from .expr import Condition, Symbols
from .extends import (
    MAX_CHAIN,
    VARIANT_OWN,
    changed_paths,
    copy_tree,
    find_scenario,
    merge_variant,
)
from .ladder import Ladder, compile_guard, reachable, read_ladder
from .yamlio import YamlList, YamlMap, file_of, line_of, load_yaml

SCENARIO_KEYS = frozenset({"id", "title", "description", "sources", "ladder", "start", "clock",
                           "runs", "seed", "tension", "actors", "events", "extends", "changes"})
CLOCK_KEYS = frozenset({"step", "horizon", "start_date"})
TENSION_KEYS = frozenset({"initial", "decay"})
ACTOR_KEYS = frozenset({"name", "kind", "description", "count", "actions", "policy"})
ACTION_KEYS = frozenset({"effect", "trigger", "allowed", "description"})
POLICY_KEYS = frozenset({"weights", "stages", "modifiers"})
MODIFIER_KEYS = frozenset({"when", "scale", "remove"})
EVENT_KEYS = frozenset({"name", "at", "when", "once", "set", "tension", "stage", "description",
                        "source", "remove"})
EVENT_TENSION_KEYS = frozenset({"add", "set"})
ACTOR_KINDS = ("state", "proxy", "alliance", "patron", "population")
STEP_DAYS = {"day": 1, "week": 7}
MAX_HORIZON = 100_000
MAX_RUNS = 100_000_000
MAX_COUNT = 1_000_000
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True, slots=True)
class Action:
    """Something an actor can do: a tension effect, maybe a trigger, limited to some stages."""

    id: str
    effect: Number = 0.0
    trigger: str | None = None
    allowed: tuple[str, ...] | None = None
    description: str = ""


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

    @property
    def action_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actions)

    @property
    def is_population(self) -> bool:
        return self.kind == "population"


@dataclass(frozen=True, slots=True)
class Event:
    """A scheduled (`at`) or conditional (`when`) change to parameters, tension or stage."""

    name: str
    at: int | None = None
    when: Condition | None = None
    once: bool = True
    set: dict[str, Number] = field(default_factory=dict)
    tension: tuple[str, Number] | None = None
    stage: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Clock:
    step: str
    horizon: int
    start_date: dt.date | None = None

    def date_of(self, step: int) -> dt.date | None:
        """Calendar date of a step, when the clock has a start date."""
        if self.start_date is None:
            return None
        return self.start_date + dt.timedelta(days=step * STEP_DAYS[self.step])


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario, with its ladder."""

    id: str
    title: str
    ladder: Ladder
    start: str
    clock: Clock
    actors: tuple[Actor, ...]
    events: tuple[Event, ...] = ()
    initial_tension: Number = 0.0
    decay: Number = 1.0
    runs: int = 10_000
    seed: int = 0
    description: str = ""
    sources: tuple[str, ...] = ()
    path: str = ""
    sha256: str = ""
    overrides: tuple[tuple[str, str], ...] = ()  # (dotted path, value as YAML text), as given
    extends: tuple[str, ...] = ()  # a variant's baselines, nearest first (paths as resolved)
    changes: tuple[str, ...] = ()  # a variant's declared `changes`, as written

    def actor(self, actor_id: str) -> Actor:
        return next(a for a in self.actors if a.id == actor_id)

    def symbols(self) -> Symbols:
        return Symbols.of(self.ladder.stage_ids, {a.id: a.action_ids for a in self.actors})


# -- loading ------------------------------------------------------------------------------------

def read_scenario(path: str | Path, overrides: dict[str, object] | None = None
                  ) -> tuple[Scenario, list[Problem]]:
    """Load and validate a scenario file (and its ladder); return it with its warnings.

    A variant (a file with `extends`) is merged over its baseline first (see `sim.format.extends`
    and docs/format.md, "Variants"); the baseline must be valid on its own.

    Args:
        path: the scenario file.
        overrides: dotted paths into the file and the values to put there before validation
            (what `ladder run --set` does), e.g. `{"clock.horizon": 30}`. The scenario
            records them in `overrides`, in the order given, each value as compact
            YAML (JSON) text. For a variant they apply to the merged tree.

    Raises:
        ValidationError: listing every problem found.
    """
    loaded = _read(Path(path), overrides, ())
    return loaded.scenario, loaded.warnings


@dataclass
class _Loaded:
    scenario: Scenario
    warnings: list[Problem]
    tree: YamlMap  # the raw tree as validated (a variant's: merged), before overrides
    blobs: list[bytes]  # the file's bytes, then each baseline's, nearest first


def _read(path: Path, overrides: dict[str, object] | None, stack: tuple[Path, ...]
          ) -> _Loaded:
    file = str(path)
    raw = load_yaml(path)
    blobs = [path.read_bytes()]
    ck = Checker(file)
    chain: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    if isinstance(raw, dict) and "extends" in raw:
        raw, chain, changes, base_blobs = _extend(ck, raw, path, stack)
        blobs += base_blobs
    elif isinstance(raw, dict) and "changes" in raw:
        ck.error(line_of(raw, "changes"), "changes",
                 "'changes' lists what a variant changes in its baseline; this file has no "
                 "'extends'")
    tree = copy_tree(raw) if overrides else raw
    if overrides:
        for key, value in overrides.items():
            apply_override(raw, key, value, file)
    top = ck.mapping(raw, "", 1, SCENARIO_KEYS,
                     ("id", "title", "ladder", "start", "clock", "actors"))
    if top is None:
        ck.raise_if_errors()
    ladder, ladder_warnings = _ladder(ck, top, path)
    scenario = _build(ck, top, ladder) if ladder is not None else None
    ck.raise_if_errors()
    assert scenario is not None
    _reach_warnings(ck, top, scenario)
    from dataclasses import replace

    scenario = replace(scenario, path=file, sha256=hashlib.sha256(b"".join(blobs)).hexdigest(),
                       overrides=tuple((k, _yaml_text(v)) for k, v in (overrides or {}).items()),
                       extends=chain, changes=changes)
    return _Loaded(scenario, ladder_warnings + ck.warnings, tree, blobs)


def _extend(ck: Checker, raw: YamlMap, path: Path, stack: tuple[Path, ...]
            ) -> tuple[YamlMap, tuple[str, ...], tuple[str, ...], list[bytes]]:
    """Resolve `extends`: load and validate the baseline, merge the variant over it.

    Returns the merged tree, the chain of baseline paths (nearest first), the declared
    changes and the baselines' bytes. Problems of the variant go to `ck`; a baseline that
    cannot be found or is invalid, or a cycle, raises at once (there is nothing to merge).
    """
    line = line_of(raw, "extends")
    for key in VARIANT_OWN:
        if key not in raw:
            ck.error(line_of(raw), "", f"missing required key '{key}': a variant gives its own "
                     f"{key} (see docs/format.md, Variants)")
    if isinstance(raw.get("sources"), list) and not raw["sources"]:
        ck.error(line_of(raw, "sources"), "sources",
                 "a variant lists the sources of its own changes (at least one)")
    ref = ck.get(raw, "extends", "", "str", required=True)
    if ref is None:
        raise ValidationError(ck.problems)
    found = find_scenario(ref, path)
    if found is None:
        ck.error(line, "extends", f"no scenario '{ref}': expected a path to a scenario file "
                 f"(relative to this file), or an id with {ref}.yaml in this folder or "
                 f"scenarios/{ref}.yaml in a parent folder")
        raise ValidationError(ck.problems)
    trail = (*stack, path)
    if found.resolve() in {p.resolve() for p in trail}:
        cycle = " -> ".join(str(p) for p in (*trail, found))
        ck.error(line, "extends", f"'{ref}' closes a cycle of extends: {cycle}")
        raise ValidationError(ck.problems)
    if len(trail) > MAX_CHAIN:
        ck.error(line, "extends", f"more than {MAX_CHAIN} files extend one another")
        raise ValidationError(ck.problems)
    try:
        base = _read(found, None, trail)
    except ValidationError as exc:
        ck.error(line, "extends", f"baseline {found} is invalid (see below)")
        raise ValidationError(ck.problems + exc.problems) from None
    if raw.get("id") == base.scenario.id:
        ck.error(line_of(raw, "id"), "id", f"a variant needs its own id, not its baseline's "
                 f"'{base.scenario.id}'")
    merged = merge_variant(base.tree, raw, ck)
    changes: tuple[str, ...] = ()
    if "changes" in raw:
        declared = ck.get(raw, "changes", "", "strings")
        if declared is not None:
            changes = tuple(declared)
            _check_changes(ck, raw, set(declared), changed_paths(base.tree, merged))
    chain = (str(found), *base.scenario.extends)
    return merged, chain, changes, base.blobs


def _check_changes(ck: Checker, raw: YamlMap, declared: set[str], actual: set[str]) -> None:
    """`changes:` must list exactly what the variant changes in its baseline."""
    undeclared, unchanged = sorted(actual - declared), sorted(declared - actual)
    parts = []
    if undeclared:
        parts.append(f"it also changes {listing(undeclared)}")
    if unchanged:
        parts.append(f"it does not change {listing(unchanged)}")
    if parts:
        ck.error(line_of(raw, "changes"), "changes",
                 f"does not match what this variant changes: {'; '.join(parts)}")


def scenario_tree(path: str | Path) -> YamlMap:
    """The raw tree of a valid scenario file as the loader checked it: for a variant, merged
    over its baselines. Each line in it is a `yamlio.Line`, which knows its file, so a field
    of a variant can be traced to the file it is written in.

    Raises:
        ValidationError: when the file (or a baseline) is invalid.
    """
    return _read(Path(path), None, ()).tree


def load_scenario(path: str | Path, overrides: dict[str, object] | None = None) -> Scenario:
    """Load and validate a scenario file; see `read_scenario`."""
    return read_scenario(path, overrides)[0]


def apply_override(raw: object, dotted: str, value: object, file: str) -> None:
    """Put `value` at a dotted path of the raw file tree (the parent must exist).

    A weight, a scale, a per-stage weight or an action's effect may be new keys; any other
    key must already be in the file.
    """
    parts = dotted.split(".")
    node, walked = raw, []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(walked) or "the top level"
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise _set_error(file, dotted, f"no item {part!r} in {where} "
                                 f"(it has {len(node)} items, from 0)")
            part = int(part)
        elif isinstance(node, dict):
            new_ok = last and (walked[-1:] in (["weights"], ["scale"])
                               or len(walked) >= 2 and walked[-2] == "stages"
                               or part == "effect" and len(walked) >= 2
                               and walked[-2] == "actions")
            if part not in node and not new_ok:
                raise _set_error(file, dotted, f"no key {part!r} in {where}"
                                 f"{suggest(part, node)} (keys: {listing(node)})")
        else:
            raise _set_error(file, dotted, f"{where} is a single value, not a mapping")
        if last:
            node[part] = _at_line(value, line_of(node, part))
        else:
            node = node[part]
        walked.append(str(part))


def _at_line(value: object, line: int | None) -> object:
    """Give a value parsed from `--set` text the file line of the key it replaces (else of its
    parent), so problems inside it point into the file, not at line 1 of the option."""
    if isinstance(value, YamlMap):
        value.line, value.lines = line, dict.fromkeys(value.lines, line)
        for item in value.values():
            _at_line(item, line)
    elif isinstance(value, YamlList):
        value.line, value.lines = line, [line] * len(value)
        for item in value:
            _at_line(item, line)
    return value


def _yaml_text(value: object) -> str:
    """An override value as compact flow YAML (which is also JSON), e.g. `{"uniform":[1,2]}`."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _set_error(file: str, dotted: str, message: str) -> ValidationError:
    return ValidationError([Problem(file, None, f"--set {dotted}", message)])


def find_ladder(ref: str, scenario_path: Path) -> Path | None:
    """A ladder id is looked up as `ladders/<id>.yaml` in the scenario's folder or any parent."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        candidate = (scenario_path.parent / ref)
        return candidate if candidate.is_file() else None
    for folder in scenario_path.resolve().parents:
        candidate = folder / "ladders" / f"{ref}.yaml"
        if candidate.is_file():
            return candidate
    return None


def _ladder(ck: Checker, top: dict, path: Path) -> tuple[Ladder | None, list[Problem]]:
    ref = ck.get(top, "ladder", "", "str", required=True)
    if ref is None:
        return None, []
    # In a variant, `ladder` may come from the baseline: a path is relative to that file.
    found = find_ladder(ref, Path(file_of(top, "ladder") or path))
    if found is None:
        ck.error(line_of(top, "ladder"), "ladder",
                 f"no ladder '{ref}': expected ladders/{ref}.yaml in the scenario's folder or a "
                 "parent folder, or a path to a ladder file")
        return None, []
    try:
        return read_ladder(found)
    except ValidationError as exc:
        ck.error(line_of(top, "ladder"), "ladder", f"ladder {found} is invalid (see below)")
        ck.problems.extend(exc.problems)
        return None, []


def _build(ck: Checker, top: YamlMap, ladder: Ladder) -> Scenario | None:
    stages = ladder.stage_ids
    sid = ck.get(top, "id", "", "file_id", required=True)
    title = ck.get(top, "title", "", "str", required=True)
    start = ck.get(top, "start", "", "id", required=True)
    if start is not None:
        if start not in stages:
            ck.error(line_of(top, "start"), "start", f"unknown stage '{start}'"
                     f"{suggest(start, stages)} (ladder {ladder.id} has: {listing(stages)})")
        elif ladder.stages[ladder.index(start)].absorbing:
            ck.error(line_of(top, "start"), "start",
                     f"'{start}' is absorbing; a run cannot start where it would end")
    clock = _clock(ck, top)
    runs = ck.get(top, "runs", "", "int", default=10_000)
    seed = ck.get(top, "seed", "", "int", default=0)
    if runs is not None and not 1 <= runs <= MAX_RUNS:
        ck.error(line_of(top, "runs"), "runs",
                 f"expected an integer from 1 to {MAX_RUNS:,}, got {runs}")
    if seed is not None and seed < 0:
        ck.error(line_of(top, "seed"), "seed", f"expected an integer >= 0, got {seed}")
    tension = ck.mapping(top.get("tension", {}), "tension", line_of(top, "tension"), TENSION_KEYS)
    initial, decay = 0.0, 1.0
    if tension is not None:
        if "initial" in tension:
            initial = parse_number(ck, tension["initial"], "tension.initial",
                                   line_of(tension, "initial"))
        if "decay" in tension:
            decay = parse_number(ck, tension["decay"], "tension.decay",
                                 line_of(tension, "decay"), 0.0, 1.0)
    actors = _actors(ck, top, ladder)
    symbols = Symbols.of(stages, {a.id: a.action_ids for a in actors})
    actors = [_with_modifiers(ck, top, a, symbols) for a in actors]
    events = _events(ck, top, ladder, actors, clock, symbols)
    if None in (sid, title, start, clock) or start not in stages:
        return None
    return Scenario(sid, title, ladder, start, clock, tuple(actors), tuple(events),
                    initial if initial is not None else 0.0,
                    decay if decay is not None else 1.0, runs or 10_000, seed or 0,
                    ck.get(top, "description", "", "str", default=""),
                    tuple(ck.get(top, "sources", "", "strings", default=[])))


def _clock(ck: Checker, top: dict) -> Clock | None:
    m = ck.mapping(top.get("clock", MISSING), "clock", line_of(top, "clock"), CLOCK_KEYS,
                   ("horizon",))
    if m is None:
        return None
    step = ck.get(m, "step", "clock", "str", default="day")
    if step not in STEP_DAYS:
        ck.error(line_of(m, "step"), "clock.step", f"expected day or week, got {step!r}")
        step = None
    horizon = ck.get(m, "horizon", "clock", "int", required=True)
    if horizon is not None and not 1 <= horizon <= MAX_HORIZON:
        ck.error(line_of(m, "horizon"), "clock.horizon",
                 f"expected an integer from 1 to {MAX_HORIZON}, got {horizon}")
        horizon = None
    start_date = None
    if m.get("start_date") is not None:
        start_date = _date(ck, m["start_date"], line_of(m, "start_date"), "clock.start_date")
    if step is None or horizon is None or (m.get("start_date") is not None and start_date is None):
        return None  # reported; events are not checked against a clock we could not read
    return Clock(step, horizon, start_date)


def _date(ck: Checker, value: object, line: int | None, field: str) -> dt.date | None:
    """A calendar date written YYYY-MM-DD (`fromisoformat` alone would also take 20240527)."""
    try:
        if isinstance(value, str) and DATE_RE.match(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    ck.error(line, field, f"expected a date YYYY-MM-DD, got {value!r}")
    return None


def _actors(ck: Checker, top: dict, ladder: Ladder) -> list[Actor]:
    raw = ck.id_mapping(top.get("actors", MISSING), "actors", line_of(top, "actors"), "actor")
    actors: list[Actor] = []
    if raw is not None and not raw:
        ck.error(line_of(top, "actors"), "actors", "a scenario needs at least one actor")
    for aid, value in (raw or {}).items():
        path = f"actors.{aid}"
        m = ck.mapping(value, path, line_of(raw, aid), ACTOR_KEYS, ("kind", "actions", "policy"))
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
        actions = _actions(ck, m, path, ladder, kind == "population")
        if not isinstance(m.get("actions"), dict) or not m["actions"]:
            actions = _actions_named_by_weights(m)
        policy = _policy(ck, m, path, ladder, actions)
        # An actor with errors is kept (with placeholders; the scenario is not built), so
        # that its modifiers, and conditions and events naming it, are still checked.
        actors.append(Actor(aid, ck.get(m, "name", path, "str", default=aid), kind or "",
                            tuple(actions), policy or Policy({}), count,
                            ck.get(m, "description", path, "str", default="")))
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


def _actions(ck: Checker, m: dict, path: str, ladder: Ladder, population: bool) -> list[Action]:
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
        effect = 0.0
        if "effect" in am:
            effect = parse_number(ck, am["effect"], join(apath, "effect"), line_of(am, "effect"))
        trigger = ck.get(am, "trigger", apath, "id")
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
            sources = allowed or stages
            if not any(trigger in ladder.targets(s) for s in sources):
                ck.warn(line_of(am, "trigger"), join(apath, "trigger"),
                        f"can never fire: no edge leads to '{trigger}' from a stage where "
                        "the action is allowed")
        if effect is None:
            effect = 0.0  # reported; the action stays known so its weights are still checked
        actions.append(Action(name, effect, trigger, allowed,
                              ck.get(am, "description", apath, "str", default="")))
    return actions


def _weights(ck: Checker, value: object, field: str, line: int | None,
             action_ids: tuple[str, ...], what: str = "weight") -> dict[str, Number]:
    raw = ck.id_mapping(value, field, line, "action")
    out: dict[str, Number] = {}
    for key, v in (raw or {}).items():
        if key not in action_ids:
            ck.error(line_of(raw, key), join(field, key), f"unknown action '{key}'"
                     f"{suggest(key, action_ids)} (actions: {listing(action_ids)})")
            continue
        num = parse_number(ck, v, join(field, key), line_of(raw, key), lo=0.0)
        if num is not None:
            out[key] = num
    return out


def _policy(ck: Checker, m: dict, path: str, ladder: Ladder, actions: list[Action]
            ) -> Policy | None:
    path = join(path, "policy")
    pm = ck.mapping(m.get("policy", MISSING), path, line_of(m, "policy"), POLICY_KEYS,
                    ("weights",))
    if pm is None:
        return None
    ids = tuple(a.id for a in actions)
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
    if isinstance(pm.get("weights"), dict):  # else the weights themselves were reported
        _check_positive(ck, pm, path, ladder, actions, policy)
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


def _with_modifiers(ck: Checker, top: dict, actor: Actor, symbols: Symbols) -> Actor:
    from dataclasses import replace

    pm = top["actors"][actor.id].get("policy")
    if not isinstance(pm, dict):
        return actor  # no policy to read modifiers from (reported by _policy)
    path = f"actors.{actor.id}.policy.modifiers"
    seq = ck.sequence(pm.get("modifiers", []), path, line_of(pm, "modifiers"), "modifiers")
    mods: list[Modifier] = []
    for i, item in enumerate(seq or []):
        mpath = f"{path}[{i}]"
        mm = ck.mapping(item, mpath, seq.lines[i], MODIFIER_KEYS, ("when", "scale"))
        if mm is None:
            continue
        _no_remove(ck, mm, mpath, "modifier")
        when = compile_guard(ck, mm, "when", mpath, symbols, required=True)
        scale = _weights(ck, mm.get("scale", MISSING), join(mpath, "scale"), line_of(mm, "scale"),
                         actor.action_ids)
        if when is not None:
            mods.append(Modifier(when, scale))
    return replace(actor, policy=replace(actor.policy, modifiers=tuple(mods)))


def _events(ck: Checker, top: dict, ladder: Ladder, actors: list[Actor], clock: Clock | None,
            symbols: Symbols) -> list[Event]:
    seq = ck.sequence(top.get("events", []), "events", line_of(top, "events"), "events")
    events: list[Event] = []
    for i, item in enumerate(seq or []):
        path = f"events[{i}]"
        m = ck.mapping(item, path, seq.lines[i], EVENT_KEYS, ("name",))
        if m is None:
            continue
        _no_remove(ck, m, path, "event")
        name = ck.get(m, "name", path, "str", required=True)
        if ("at" in m) == ("when" in m):
            ck.error(line_of(m), path, "an event needs exactly one of 'at' (a step or date) "
                     "and 'when' (a condition)")
        if not any(k in m for k in ("set", "tension", "stage")):
            ck.error(line_of(m), path, "an event must change something: give 'set', "
                     "'tension' or 'stage'")
        at = _event_step(ck, m, path, clock) if "at" in m else None
        when = compile_guard(ck, m, "when", path, symbols, required=True)
        once = ck.get(m, "once", path, "bool", default=True)
        sets = _event_sets(ck, m, path, ladder, actors)
        tension = None
        if "tension" in m:
            tm = ck.mapping(m["tension"], join(path, "tension"), line_of(m, "tension"),
                            EVENT_TENSION_KEYS)
            if tm is not None and len(tm) != 1:
                ck.error(line_of(m, "tension"), join(path, "tension"),
                         "expected exactly one of add or set, e.g. {add: 1.5}")
            elif tm:
                op = next(iter(tm))
                num = parse_number(ck, tm[op], join(join(path, "tension"), op), line_of(tm, op))
                tension = (op, num) if num is not None else None
        stage = ck.get(m, "stage", path, "id")
        if stage is not None and stage not in ladder.stage_ids:
            ck.error(line_of(m, "stage"), join(path, "stage"), f"unknown stage '{stage}'"
                     f"{suggest(stage, ladder.stage_ids)} (stages: {listing(ladder.stage_ids)})")
            stage = None
        if name is not None:
            events.append(Event(name, at, when, bool(once), sets, tension, stage,
                                ck.get(m, "description", path, "str", default="")))
    return events


def _no_remove(ck: Checker, m: dict, path: str, what: str) -> None:
    """`remove: true` is consumed when a variant is merged; any left is outside a variant."""
    if "remove" in m:
        ck.error(line_of(m, "remove"), join(path, "remove"), f"remove drops a baseline's {what} "
                 "in a variant; this file has no 'extends'")


def _event_step(ck: Checker, m: dict, path: str, clock: Clock | None) -> int | None:
    value, line, field = m["at"], line_of(m, "at"), join(path, "at")
    if clock is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        step = value
    elif isinstance(value, str):
        if clock.start_date is None:
            ck.error(line, field, f"a date needs clock.start_date; got {value!r}")
            return None
        date = _date(ck, value, line, field)
        if date is None:
            return None
        days = (date - clock.start_date).days
        step = math.ceil(days / STEP_DAYS[clock.step])
    else:
        ck.error(line, field, f"expected a step number or a date, got {value!r}")
        return None
    if step < 1:
        ck.error(line, field, f"{value} is step {step}, outside the run (steps 1 to "
                 f"{clock.horizon})")
        return None
    if step > clock.horizon:
        # not an error: `--horizon` may shorten a run; the engine never reaches this step
        ck.warn(line, field, f"{value} is step {step}, after the last step ({clock.horizon}); "
                "the event never happens")
    return step


def _event_sets(ck: Checker, m: dict, path: str, ladder: Ladder, actors: list[Actor]
                ) -> dict[str, Number]:
    sets: dict[str, Number] = {}
    raw = m.get("set", {})
    field = join(path, "set")
    if not isinstance(raw, dict):
        ck.error(line_of(m, "set"), field, "expected a mapping of parameter paths to numbers")
        return sets
    for key, value in raw.items():
        line = line_of(raw, key)
        problem = param_problem(str(key), ladder, actors)
        if problem:
            ck.error(line, join(field, key), problem)
            continue
        lo, hi = (0.0, 1.0) if key == "tension.decay" else (
            (-math.inf, math.inf) if key.endswith(".effect") else (0.0, math.inf))
        num = parse_number(ck, value, join(field, key), line, lo, hi)
        if num is not None:
            sets[key] = num
    return sets


PARAM_FORMS = ("tension.decay", "actors.<actor>.actions.<action>.effect",
               "actors.<actor>.policy.weights.<action>",
               "actors.<actor>.policy.stages.<stage>.<action>",
               "actors.<actor>.policy.modifiers.<i>.scale.<action>")


def param_problem(key: str, ladder: Ladder, actors: list[Actor]) -> str | None:
    """Why `key` is not a parameter an event can set, or None when it is."""
    parts = key.split(".")
    expected = f"expected one of: {listing(PARAM_FORMS)}"
    if parts == ["tension", "decay"]:
        return None
    if len(parts) < 4 or parts[0] != "actors":
        return f"not a settable parameter; {expected}"
    ids = [a.id for a in actors]
    if parts[1] not in ids:
        return f"unknown actor '{parts[1]}'{suggest(parts[1], ids)} (actors: {listing(ids)})"
    actor = actors[ids.index(parts[1])]
    rest, acts = parts[2:], actor.action_ids
    action = rest[-1]
    shape_ok = (
        (len(rest) == 3 and rest[0] == "actions" and rest[2] == "effect")
        or (len(rest) == 3 and rest[:2] == ["policy", "weights"])
        or (len(rest) == 4 and rest[:2] == ["policy", "stages"])
        or (len(rest) == 5 and rest[:2] == ["policy", "modifiers"] and rest[3] == "scale")
    )
    if not shape_ok:
        return f"not a settable parameter; {expected}"
    if rest[0] == "actions":
        action = rest[1]
    if action not in acts:
        return f"unknown action '{action}' of {actor.id}{suggest(action, acts)} " \
               f"(actions: {listing(acts)})"
    if rest[:2] == ["policy", "stages"] and rest[2] not in ladder.stage_ids:
        return f"unknown stage '{rest[2]}'{suggest(rest[2], ladder.stage_ids)}"
    if rest[:2] == ["policy", "modifiers"] and not (
            rest[2].isdigit() and int(rest[2]) < len(actor.policy.modifiers)):
        return f"{actor.id} has no modifier {rest[2]} (it has {len(actor.policy.modifiers)})"
    return None


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
        moves[s.id] = out
    return moves


def _reach_warnings(ck: Checker, top: dict, scenario: Scenario) -> None:
    seen = reachable(scenario.ladder, scenario.start, scenario_moves(scenario))
    missing = [s for s in scenario.ladder.stage_ids if s not in seen]
    if missing:
        ck.warn(line_of(top, "start"), "start",
                f"no rule in this scenario can reach {listing(missing)} from '{scenario.start}'")
