"""Variants: a scenario file with `extends: BASELINE` reuses its baseline instead of copying it.

The variant's raw YAML is merged over the baseline's raw YAML before validation (rules in
docs/format.md, "Variants"): mappings merge key by key; a distribution, a scalar and a plain
list replace; `events` merge by `name` and each actor's `policy.modifiers` by `when`
(same key: replaced; `remove: true`: removed; new: appended). The merged tree keeps each
value's file and line (`yamlio.Line`), so a problem names the file it comes from.

This module only resolves and merges trees; `scenario.read_scenario` validates them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import overload

from .access import check_reference, is_file
from .check import Checker, listing, suggest
from .distributions import DIST_KINDS
from .vocabulary import VARIANT_OWN  # keys a variant gives itself: not its baseline's
from .yamlio import YamlList, YamlMap, line_of

# Top-level keys that are never inherited from a baseline, and are not changes.
NOT_INHERITED = frozenset({"extends", "changes"})
NOT_CHANGES = frozenset(VARIANT_OWN) | NOT_INHERITED
MAX_CHAIN = 32  # files in a chain of extends, the variant and its baselines


def find_scenario(ref: str, variant: Path) -> Path | None:
    """The baseline named by `extends: ref` in the file `variant`.

    A reference ending in .yaml/.yml or containing `/` is a path relative to the variant's
    folder. Anything else is a scenario id: `<id>.yaml` in the variant's folder, else
    `scenarios/<id>.yaml` in the nearest parent folder that has it. None when there is none.

    Raises:
        OutsideProject: the baseline lies outside the variant's project, the bundled library
            and the folders allowed (`sim.format.access`); checked before looking for a path.
    """
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        candidate = Path(os.path.normpath(variant.parent / ref))
        check_reference("baseline", ref, candidate, variant)
        return candidate if is_file(candidate) else None
    candidates = [variant.parent / f"{ref}.yaml"]
    candidates += [folder / "scenarios" / f"{ref}.yaml"
                   for folder in variant.resolve().parent.parents]
    for candidate in candidates:
        if is_file(candidate):
            check_reference("baseline", ref, candidate, variant)
            return candidate
    return None


def is_distribution(value: object) -> bool:
    """A mapping that is one uncertain number (it replaces, never merges)."""
    return isinstance(value, dict) and any(k in value for k in DIST_KINDS)


def keyed_field(path: tuple) -> str | None:
    """The identity key of the list at `path` when its items merge by key, else None."""
    if path == ("events",):
        return "name"
    if len(path) == 4 and path[0] == "actors" and path[2:] == ("policy", "modifiers"):
        return "when"
    return None


def identity(item: object, key: str) -> str | None:
    """An item's identity in a keyed list: its name, or its condition with spaces collapsed."""
    if not isinstance(item, dict) or not isinstance(item.get(key), str):
        return None
    value = item[key]
    return value.strip() if key == "name" else " ".join(value.split())


def dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


@overload
def copy_tree(node: dict) -> YamlMap: ...
@overload
def copy_tree(node: list) -> YamlList: ...
@overload
def copy_tree(node: object) -> object: ...


def copy_tree(node: object) -> object:
    """A deep copy that keeps every line (and so every file)."""
    if isinstance(node, dict):
        out = YamlMap((k, copy_tree(v)) for k, v in node.items())
        out.line = getattr(node, "line", None)
        out.lines = dict(getattr(node, "lines", {}))
        return out
    if isinstance(node, list):
        seq = YamlList(copy_tree(v) for v in node)
        seq.line = getattr(node, "line", None)
        seq.lines = list(getattr(node, "lines", [None] * len(node)))
        return seq
    return node


def merge_variant(base: YamlMap, variant: YamlMap, ck: Checker) -> YamlMap:
    """The variant's tree merged over its (already merged and valid) baseline's tree.

    Problems of the merge itself (a removal of an unknown event, an event given twice) are
    reported to `ck`, at the variant's lines.
    """
    trimmed = YamlMap((k, v) for k, v in base.items() if k not in NOT_INHERITED)
    trimmed.line = getattr(base, "line", None)
    trimmed.lines = {k: v for k, v in getattr(base, "lines", {}).items()
                     if k not in NOT_INHERITED}
    out = _merge(trimmed, variant, (), ck)
    assert isinstance(out, YamlMap)  # both are mappings: _merge copies them into a YamlMap
    if isinstance(base.get("sources"), list) and isinstance(variant.get("sources"), list):
        out["sources"] = _sources(base["sources"], variant["sources"])
        out.lines["sources"] = line_of(variant, "sources")
    return out


def _sources(base: list, own: list) -> YamlList:
    """The baseline's sources, then the variant's that are not already there."""
    seq = YamlList()
    seq.line, seq.lines = getattr(own, "line", None), []
    for src in (base, own):
        for i, item in enumerate(src):
            if item not in seq:
                seq.append(item)
                seq.lines.append(line_of(src, i))
    return seq


def _merge(base: object, over: object, path: tuple, ck: Checker) -> object:
    key = keyed_field(path)
    if key is not None and isinstance(over, list):
        return _merge_keyed(base if isinstance(base, list) else YamlList(), over, path, key, ck)
    if not (isinstance(base, dict) and isinstance(over, dict)) or is_distribution(base) \
            or is_distribution(over):
        return copy_tree(over)
    out = copy_tree(base)
    for k, v in over.items():
        sub = path + (k,)
        both_merge = k in base and (
            isinstance(base[k], dict) and isinstance(v, dict)
            and not is_distribution(base[k]) and not is_distribution(v)
            or keyed_field(sub) is not None and isinstance(v, list))
        out[k] = _merge(base.get(k), v, sub, ck)
        if not both_merge:  # the value is the variant's: so is the key's line
            out.lines[k] = line_of(over, k)
    return out


def _merge_keyed(base: list, over: list, path: tuple, key: str, ck: Checker) -> YamlList:
    what = "event" if key == "name" else "modifier"
    field = dotted(path)
    items: list[list] = [[copy_tree(x), line_of(base, i), False] for i, x in enumerate(base)]
    index: dict[str, int] = {}
    twice: set[str] = set()
    for i, item in enumerate(base):
        ident = identity(item, key)
        if ident is not None:
            if ident in index:
                twice.add(ident)
            index.setdefault(ident, i)
    given: dict[str, int | None] = {}
    for j, item in enumerate(over):
        line, where = line_of(over, j), f"{field}[{j}]"
        ident = identity(item, key)
        if ident is None:  # no name (or not a mapping): validation reports it
            items.append([copy_tree(item), line, False])
            continue
        label = f"'{ident}'" if key == "name" else f"with when '{ident}'"
        if ident in given:
            ck.error(line_of(item, key), f"{where}.{key}", f"{what} {label} is given twice in "
                     f"this variant (also at line {given[ident]})")
            continue
        given[ident] = line_of(item, key)
        if ident in twice:
            ck.error(line_of(item, key), f"{where}.{key}", f"the baseline has several "
                     f"{what}s {label}; a variant cannot tell them apart")
            continue
        if "remove" in item:
            _removal(item, key, ident, label, what, where, index, items, ck)
            continue
        if ident in index:
            items[index[ident]][:2] = [copy_tree(item), line]
        else:
            near = suggest(ident, index)
            if near:
                ck.warn(line_of(item, key), f"{where}.{key}", f"new {what} {label}: no "
                        f"{what} of the baseline has this {key}{near} (to replace one, give "
                        f"its {key} exactly)")
            items.append([copy_tree(item), line, False])
    seq = YamlList()
    seq.line = getattr(base, "line", None) or getattr(over, "line", None)
    seq.lines = []
    for value, line, removed in items:
        if not removed:
            seq.append(value)
            seq.lines.append(line)
    return seq


def _removal(item: dict, key: str, ident: str, label: str, what: str, where: str,
             index: dict[str, int], items: list[list], ck: Checker) -> None:
    """`{name: X, remove: true}`: mark the baseline's item X removed, or report why not."""
    if item["remove"] is not True:
        ck.error(line_of(item, "remove"), f"{where}.remove",
                 f"expected true (remove: true drops the baseline's {what}), "
                 f"got {item['remove']!r}")
        return
    extra = [k for k in item if k not in (key, "remove")]
    if extra:
        ck.error(line_of(item, extra[0]), f"{where}.{extra[0]}", f"a removal gives only "
                 f"'{key}' and 'remove: true', not {listing(extra)}")
        return
    if ident not in index:
        known = listing(f"'{k}'" for k in index) or "none"
        ck.error(line_of(item, key), f"{where}.{key}", f"no {what} {label} in the baseline to "
                 f"remove{suggest(ident, index)} (its {what}s: {known})")
        return
    items[index[ident]][2] = True


def changed_paths(base: object, merged: object) -> set[str]:
    """Where a merged variant differs from its baseline, as the paths `changes:` lists.

    A changed number, string or plain list is its dotted path
    (`actors.warsaw.policy.weights.open_checkpoint`); a distribution counts as one number; a
    key present on one side only is its path (a new actor is `actors.<id>`, not every key
    under it); an event or modifier added, removed or changed is `events[<name>]` or
    `actors.<id>.policy.modifiers[<when>]`. The variant's own keys (id, title, description,
    sources, extends, changes) are not changes.
    """
    out: set[str] = set()
    if isinstance(base, dict) and isinstance(merged, dict):
        for k in (base.keys() | merged.keys()) - NOT_CHANGES:
            if k not in base or k not in merged:
                out.add(str(k))
            else:
                _diff(base[k], merged[k], (k,), out)
    return out


def _diff(a: object, b: object, path: tuple, out: set[str]) -> None:
    key = keyed_field(path)
    if key is not None and isinstance(a, list) and isinstance(b, list) and all(
            identity(x, key) is not None for x in (*a, *b)):
        ia = {identity(x, key): x for x in a}
        ib = {identity(x, key): x for x in b}
        for ident in ia.keys() | ib.keys():
            if ident not in ia or ident not in ib or not _same(ia[ident], ib[ident]):
                out.add(f"{dotted(path)}[{ident}]")
        return
    if isinstance(a, dict) and isinstance(b, dict) and not is_distribution(a) \
            and not is_distribution(b):
        for k in a.keys() | b.keys():
            if k not in a or k not in b:
                out.add(dotted(path + (k,)))
            else:
                _diff(a[k], b[k], path + (k,), out)
        return
    if not _same(a, b):
        out.add(dotted(path))


def _same(a: object, b: object) -> bool:
    """Equal as file values: 1 and 1.0 are the same number, but true is not 1."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return isinstance(a, bool) == isinstance(b, bool) and a == b
