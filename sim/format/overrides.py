"""Overrides (`--set PATH=VALUE`) put into a scenario's raw tree before validation, and the
parameter paths that events may set and sweeps may vary."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import Problem, ValidationError
from .check import listing, suggest
from .vocabulary import PARAM_FORMS
from .yamlio import YamlList, YamlMap, line_of

if TYPE_CHECKING:
    from .actors import Actor
    from .ladder import Ladder

def apply_override(raw: object, dotted: str, value: object, file: str,
                   source: str = "override") -> None:
    """Put `value` at a dotted path of the raw file tree.

    A weight, a scale, a per-stage weight or an action's effect may be new keys (`may_add`);
    any other key must already be in the file. On the way to a per-stage weight, a policy's
    missing `stages` and a stage missing from it are made; an action written with no value
    (`wait:`) takes an `effect`. Problems name the path as `source PATH` (`--set PATH` from
    the command line, `override PATH` from Python).
    """
    parts = _dotted_keys(raw, dotted.split("."))
    node: Any = raw  # a mapping or a list on the way down (each branch checks which)
    walked: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(walked) or "the top level"
        key: str | int = part
        if isinstance(node, list):
            if not _is_index(part) or int(part) >= len(node):
                raise _set_error(file, dotted, f"no item {part!r} in {where} "
                                 f"(it has {len(node)} items, from 0)", source)
            key = int(part)
        elif isinstance(node, dict):
            if not last and node.get(part) is None and _may_make(parts, i, part in node):
                node[part] = _empty_map(line_of(node, part) if part in node else line_of(node))
            if part not in node and not (last and may_add(parts)):
                raise _set_error(file, dotted, f"no key {part!r} in {where}"
                                 f"{suggest(part, node)} (keys: {listing(node)})", source)
        else:
            raise _set_error(file, dotted, f"{where} is a single value, not a mapping", source)
        if last:
            node[key] = _at_line(value, line_of(node, key))
        else:
            node = node[key]
        walked.append(str(key))


def _dotted_keys(raw: object, tokens: list[str]) -> list[str]:
    """The path's keys, where a key may itself hold a dot (a variable or flag named
    `<actor>.<name>`, an effect on one): the longest key the file has is taken first."""
    out: list[str] = []
    node: Any = raw
    i = 0
    while i < len(tokens):
        step = 1
        if isinstance(node, dict) and tokens[i] not in node:
            for j in range(len(tokens), i + 1, -1):
                if ".".join(tokens[i:j]) in node:
                    step = j - i
                    break
        key = ".".join(tokens[i:i + step])
        out.append(key)
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and _is_index(key) and int(key) < len(node):
            node = node[int(key)]
        else:
            node = None
        i += step
    return out


def may_add(parts: list[str]) -> bool:
    """Whether the last key of a path may be new to the file: a weight (`...weights.<action>`),
    a scale (`...scale.<action>`), a per-stage weight (`...stages.<stage>.<action>`) or an
    action's effect (`...actions.<action>.effect`)."""
    *walked, part = parts
    return bool(walked) and (walked[-1] in ("weights", "scale")
                             or len(walked) >= 2 and walked[-2] == "stages"
                             or part == "effect" and len(walked) >= 2
                             and walked[-2] == "actions")


def _may_make(parts: list[str], i: int, present: bool) -> bool:
    """Whether the mapping at `parts[:i + 1]` may be made, as it is missing (or written with
    no value, when `present`): the `stages` of an actor's policy and a stage's entry in it,
    for a per-stage weight (`actors.<actor>.policy.stages.<stage>.<action>`), and the value of
    an action written with none (`wait:`), for its effect (`actors.<actor>.actions.<action>
    .effect`; the action itself must be in the file)."""
    if len(parts) == 6 and parts[0] == "actors" and parts[2:4] == ["policy", "stages"]:
        return i in (3, 4)
    return (present and len(parts) == 5 and parts[0] == "actors" and parts[2] == "actions"
            and parts[4] == "effect" and i == 3)


def _empty_map(line: int | None) -> YamlMap:
    made = YamlMap()
    made.line, made.lines = line, {}
    return made


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


def yaml_text(value: object) -> str:
    """An override value as compact flow YAML (which is also JSON), e.g. `{"uniform":[1,2]}`."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _is_index(text: str) -> bool:
    """Whether a path part is a list index: 1 to 9 ASCII digits (`str.isdigit` also takes '²',
    which `int` refuses, and `int` refuses more than 4,300 digits)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def _set_error(file: str, dotted: str, message: str, source: str) -> ValidationError:
    return ValidationError([Problem(file, None, f"{source} {dotted}", message)])


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
            _is_index(rest[2]) and int(rest[2]) < len(actor.policy.modifiers)):
        return f"{actor.id} has no modifier {rest[2]} (it has {len(actor.policy.modifiers)})"
    return None
