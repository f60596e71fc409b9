"""The parameters of a scenario: every numeric path `--set` and `--vary` (and `sim.ema`'s
uncertainties, and overrides from Python) accept, with its current value (`sim.parameters`,
`ladder params`).

Nothing here lists the paths a second time. The file's own values are found by walking its
tree (a variant's: merged) alongside the vocabulary (`sim.format.vocabulary`): each key
whose schema is a number, an integer, a weight or a distribution is a parameter. The paths
that may be added are the ones `sim.format.overrides.may_add` allows (a weight, a scale, a
per-stage weight or an effect the file does not give), for the actors, actions and stages the
scenario has; and whether an event's `set` may change a path is
`sim.format.overrides.param_problem`. This module imports no pandas: `rows` gives dicts, and
`sim.parameters` (`sim.engine.frames.parameters`) makes them a DataFrame.
"""

from __future__ import annotations

import json
from pathlib import Path

from .overrides import apply_override, may_add, param_problem, yaml_text
from .scenario import Scenario, load_scenario, scenario_tree
from .vocabulary import DIST_KINDS, definitions, node

COLUMNS = ("path", "value", "kind", "form", "range", "in_file", "event")
REFS = {"numberOrDistribution": "number", "integerOrDistribution": "integer",
        "weight": "weight"}
BOUNDS = ("uniform", "clip")  # the distributions whose lists are a range's two ends


def rows(scenario: Scenario | str | Path, overrides: dict[str, object] | None = None,
         source: str = "override") -> list[dict]:
    """One dict per parameter (keys `COLUMNS`), the file's own values first (in file order),
    then those that may be added.

    Args:
        scenario: a loaded scenario (its file is read again, with the overrides it was
            loaded with), or a scenario file or bundled id.
        overrides: more overrides (dotted path -> value) to apply first.
        source: how problems name an override (`override PATH`; `--set PATH` from the CLI).

    Raises:
        ValidationError: the scenario, with the overrides, is not valid.
    """
    if isinstance(scenario, Scenario):
        given = {k: json.loads(v) for k, v in scenario.overrides} | dict(overrides or {})
        path = scenario.path
    else:
        given, path = dict(overrides or {}), str(scenario)
    loaded = load_scenario(path, given or None, source)
    tree = scenario_tree(path)
    for key, value in given.items():
        apply_override(tree, key, value, loaded.path, source)
    out: list[dict] = []
    _walk(node("scenario"), tree, [], out)
    out += _addable(tree, loaded)
    for row in out:
        row["event"] = param_problem(row["path"], loaded.ladder, list(loaded.actors)) is None
    return out


def _resolve(schema: object) -> tuple[str | None, object]:
    """A fragment's definition name (for a `$ref`) and the definition."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if ref is None:
        return None, schema
    name = ref.rsplit("/", 1)[-1]
    return name, definitions()[name]


def _walk(schema: object, value: object, parts: list[str], out: list[dict]) -> None:
    name, schema = _resolve(schema)
    kind = _numeric(name, schema)
    if kind is not None and parts and parts[-1] == "effect" and isinstance(value, dict) \
            and not any(k in value for k in DIST_KINDS):  # an effect on several variables
        for variable, item in value.items():
            _walk({"$ref": "#/$defs/numberOrDistribution"}, item,
                  [*parts, str(variable)], out)
        return
    if kind is not None:
        _leaf(kind, schema, value, parts, out)
        return
    props = getattr(schema, "properties", None)
    if props is not None and isinstance(value, dict):
        for key, item in value.items():
            if key in props:
                _walk(props[key], item, [*parts, str(key)], out)
    elif isinstance(schema, dict) and isinstance(value, dict) and "additionalProperties" in schema:
        for key, item in value.items():
            if not (parts and parts[-1] == "set"):  # an event's `set` keys are paths
                _walk(schema["additionalProperties"], item, [*parts, str(key)], out)
    elif isinstance(schema, dict) and isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _walk(schema["items"], item, [*parts, str(i)], out)


def _numeric(name: str | None, schema: object) -> str | None:
    """The kind of a numeric field's schema (number, integer, weight), else None."""
    if name in REFS:
        return REFS[name]
    if not isinstance(schema, dict):
        return None
    if schema.get("type") in ("integer", "number"):
        return schema["type"]
    options = [_resolve(s) for s in schema.get("anyOf", [])]
    for n, _ in options:
        if n in REFS:  # e.g. an action's effect: a number, a distribution or a map of them
            return REFS[n]
    types = [o.get("type") for _, o in options if isinstance(o, dict)]
    numeric = [t for t in types if t in ("integer", "number")]
    if numeric:  # e.g. tension.decay (a number or a distribution), an event's `at`
        return numeric[0]
    if any(n == "distribution" for n, _ in options):
        return "number"
    return None


def _leaf(kind: str, schema: object, value: object, parts: list[str], out: list[dict]) -> None:
    if kind == "weight" and len(parts) >= 2 and parts[-2] == "scale":
        kind = "scale"
    elif kind == "number" and len(parts) >= 3 and parts[-1] == "effect" \
            and parts[-3] == "actions":
        kind = "effect"
    dotted = ".".join(parts)
    is_dist = isinstance(value, dict) and any(k in value for k in DIST_KINDS)
    if not is_dist and not _is_number(value):
        return  # e.g. an event's `at` given as a date
    form = "distribution" if is_dist else ("integer" if kind == "integer" else "number")
    out.append({"path": dotted, "value": yaml_text(value), "kind": kind, "form": form,
                "range": _range(schema), "in_file": True})
    if is_dist and isinstance(value, dict):  # (is_dist implies a mapping)
        for dist, items in value.items():
            for i, item in enumerate(items if isinstance(items, list) else []):
                if _is_number(item):
                    out.append({"path": f"{dotted}.{dist}.{i}", "value": yaml_text(item),
                                "kind": "bounds" if dist in BOUNDS else "parameter",
                                "form": "number",
                                "range": "", "in_file": True})


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _range(schema: object) -> str:
    """The values a field takes, from its schema, e.g. `[0, 1]` or `0 or [1e-09, 1e+06]`
    (a distribution's draws must stay in the same range)."""
    _, schema = _resolve(schema)
    if not isinstance(schema, dict):
        return ""
    if "const" in schema:
        return f"{schema['const']:g}"
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"[{low:g}, {high:g}]"
    if low is not None or high is not None:
        return f">= {low:g}" if high is None else f"<= {high:g}"
    spans = [_range(o) for o in schema.get("anyOf", []) if _resolve(o)[0] != "distribution"]
    return " or ".join(s for s in spans if s)


def _addable(tree: dict, scenario: Scenario) -> list[dict]:
    """The paths `may_add` allows that the file does not give, with the value each has now:
    an effect 0, a default weight 0, a per-stage weight the default weight, a scale 1."""
    out = []
    weight = _range(definitions()["weight"])
    for actor in scenario.actors:
        raw = tree["actors"][actor.id]
        actions, policy = raw.get("actions") or {}, raw["policy"]
        weights, stages = policy.get("weights") or {}, policy.get("stages") or {}
        base = f"actors.{actor.id}"
        candidates = []
        for a in actor.action_ids:
            if not isinstance(actions.get(a), dict) or "effect" not in actions[a]:
                candidates.append((f"{base}.actions.{a}.effect", 0, "effect",
                                   _range(node("action").properties["effect"])))
            if a not in weights:
                candidates.append((f"{base}.policy.weights.{a}", 0, "weight", weight))
        for s in scenario.ladder.stage_ids:
            for a in actor.action_ids:
                if a not in (stages.get(s) or {}):
                    candidates.append((f"{base}.policy.stages.{s}.{a}", weights.get(a, 0),
                                       "weight", weight))
        for i, modifier in enumerate(policy.get("modifiers") or []):
            for a in actor.action_ids:
                if a not in (modifier.get("scale") or {}):
                    candidates.append((f"{base}.policy.modifiers.{i}.scale.{a}", 1, "scale",
                                       weight))
        for path, value, kind, span in candidates:
            if may_add(path.split(".")):
                form = "distribution" if isinstance(value, dict) else "number"
                out.append({"path": path, "value": yaml_text(value), "kind": kind,
                            "form": form, "range": span, "in_file": False})
    return out

