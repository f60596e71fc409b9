"""Scenarios: actors with actions and policies on a ladder, a clock, tension and events.

This module reads a scenario file into a frozen `Scenario`: it resolves a variant's
`extends`, applies `--set` overrides, finds the ladder, and has each part read by its own
module (`clock`, `actors`, `events`); reachability warnings come last.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import Problem, ValidationError
from . import vocabulary
from .access import OutsideProject, check_reference, is_file, read_input
from .access import shown as clipped
from .action_parts import check_requires
from .actors import Actor, read_actors, with_modifiers
from .check import Checker, listing, suggest
from .clock import Clock, read_clock
from .distributions import Number, parse_number
from .dynamics import (
    Coupled,
    FlagDef,
    Hazard,
    Variable,
    read_flags,
    read_hazards,
    read_names,
    read_variables,
)
from .events import Event, read_events
from .expr import Symbols
from .extends import (
    MAX_CHAIN,
    VARIANT_OWN,
    changed_paths,
    copy_tree,
    find_scenario,
    merge_variant,
)
from .history_record import KIND as RECORD_KIND
from .ladder import Ladder, read_ladder
from .library import resolve_input
from .observations import Observe, read_observe
from .overrides import apply_override, yaml_text
from .posterior import Posterior
from .reach import reach_warnings
from .vocabulary import MAX_RUNS
from .yamlio import MAX_BYTES, YamlMap, file_of, line_of, load_yaml

SCENARIO_KEYS = vocabulary.keys("scenario")
TENSION_KEYS = vocabulary.keys("tension")


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
    posterior: Posterior | None = None  # parameter sets from `ladder calibrate` (--posterior)
    overrides: tuple[tuple[str, str], ...] = ()  # (dotted path, value as YAML text), as given
    extends: tuple[str, ...] = ()  # a variant's baselines, nearest first (paths as resolved)
    changes: tuple[str, ...] = ()  # a variant's declared `changes`, as written
    key: str = "main"  # the main ladder's key
    reads: str = "tension"  # the variable the main ladder's thresholds read
    coupled: tuple[Coupled, ...] = ()  # further ladders
    variables: tuple[Variable, ...] = ()
    flags: tuple[FlagDef, ...] = ()
    hazards: tuple[Hazard, ...] = ()
    observe: Observe | None = None  # the observation layer (`observe:`), if any

    @property
    def ladder_keys(self) -> tuple[str, ...]:
        """Every ladder's key, the main one first."""
        return (self.key, *(c.key for c in self.coupled))

    def actor(self, actor_id: str) -> Actor:
        return next(a for a in self.actors if a.id == actor_id)

    def __repr__(self) -> str:
        n = len(self.overrides)
        changed = f", {n} override{'s' * (n != 1)}" if n else ""
        return (f"<Scenario {self.id}: ladder {self.ladder.id}, start {self.start}, "
                f"{len(self.actors)} actors, {len(self.events)} events, horizon "
                f"{self.clock.horizon} {self.clock.step}s, seed {self.seed}{changed}>")

    def _repr_html_(self) -> str:
        """Jupyter: the title, and a table of the actors and their actions (escaped)."""
        from html import escape

        rows = "".join(f"<tr><td>{escape(a.id)}</td><td>{escape(a.kind)}</td>"
                       f"<td>{escape(', '.join(a.action_ids))}</td></tr>" for a in self.actors)
        return (f"<table><caption>{escape(repr(self)[1:-1])}<br>{escape(self.title)}"
                "</caption><thead><tr><th>actor</th><th>kind</th><th>actions</th></tr>"
                f"</thead><tbody>{rows}</tbody></table>")

    def symbols(self) -> Symbols:
        """The names this scenario's conditions may use."""
        ladders = {self.key: self.ladder.stage_ids,
                   **{c.key: c.ladder.stage_ids for c in self.coupled}}
        return Symbols.of(self.ladder.stage_ids, {a.id: a.action_ids for a in self.actors},
                          variables=tuple(v.name for v in self.variables),
                          flags=tuple(f.name for f in self.flags), ladders=ladders)


# -- loading ------------------------------------------------------------------------------------

def read_scenario(path: str | Path, overrides: dict[str, object] | None = None,
                  source: str = "override") -> tuple[Scenario, list[Problem]]:
    """Load and validate a scenario file (and its ladder); return it with its warnings.

    A variant (a file with `extends`) is merged over its baseline first (see `sim.format.extends`
    and docs/format.md, "Variants"); the baseline must be valid on its own.

    Args:
        path: the scenario file, or the id of a bundled scenario (`sim.format.library`).
        overrides: dotted paths into the file and the values to put there before validation
            (what `ladder run --set` does), e.g. `{"clock.horizon": 30}`. The scenario
            records them in `overrides`, in the order given, each value as compact
            YAML (JSON) text. For a variant they apply to the merged tree. Paths are those
            of `sim.parameters` (docs/python.md, "Overrides").
        source: how problems name an override path: `override PATH` by default, `--set PATH`
            when the command line passes `source="--set"`.

    Raises:
        ValidationError: listing every problem found.
    """
    loaded = _read(resolve_input(path, "scenario"), overrides, (), source)
    return loaded.scenario, loaded.warnings


@dataclass
class _Loaded:
    scenario: Scenario
    warnings: list[Problem]
    tree: YamlMap  # the raw tree as validated (a variant's: merged), before overrides
    blobs: list[bytes]  # the file's bytes, then each baseline's, nearest first


def _read(path: Path, overrides: dict[str, object] | None, stack: tuple[Path, ...],
          source: str = "override") -> _Loaded:
    file = str(path)
    raw = load_yaml(path)
    if isinstance(raw, dict) and raw.get("kind") == RECORD_KIND:
        raise ValidationError([Problem(file, line_of(raw, "kind"), "kind", "a history record "
                                       "(data, not a scenario): `ladder validate` checks it")])
    blobs = [read_input(path, MAX_BYTES)]
    ck = Checker(file)
    chain: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    if isinstance(raw, YamlMap) and "extends" in raw:  # load_yaml's mappings are YamlMaps
        raw, chain, changes, base_blobs = _extend(ck, raw, path, stack)
        blobs += base_blobs
    elif isinstance(raw, dict) and "changes" in raw:
        ck.error(line_of(raw, "changes"), "changes",
                 "'changes' lists what a variant changes in its baseline; this file has no "
                 "'extends'")
    tree = copy_tree(raw) if overrides else raw
    if overrides:
        for key, value in overrides.items():
            apply_override(raw, key, value, file, source)
    top = ck.mapping(raw, "", 1, SCENARIO_KEYS, vocabulary.required("scenario"))
    if top is None:
        ck.raise_if_errors()
    assert top is not None  # ck.mapping reported why it is None, so that raised
    ladder, ladder_warnings = _ladder(ck, top, path)
    scenario = _build(ck, top, ladder) if ladder is not None else None
    ck.raise_if_errors()
    assert scenario is not None
    reach_warnings(ck, top, scenario)
    scenario = replace(scenario, path=file, sha256=hashlib.sha256(b"".join(blobs)).hexdigest(),
                       overrides=tuple((k, yaml_text(v)) for k, v in (overrides or {}).items()),
                       extends=chain, changes=changes)
    assert isinstance(tree, YamlMap)  # raw is a valid mapping: load_yaml's, or the merged one
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
    try:
        found = find_scenario(ref, path)
    except OutsideProject as exc:
        ck.error(line, "extends", str(exc))
        raise ValidationError(ck.problems) from None
    if found is None:
        ref = clipped(ref)
        ck.error(line, "extends", f"no scenario '{ref}': expected a path to a scenario file "
                 f"(relative to this file), or an id with {ref}.yaml in this folder or "
                 f"scenarios/{ref}.yaml in a parent folder")
        raise ValidationError(ck.problems)
    trail = (*stack, path)
    if found.resolve() in {p.resolve() for p in trail}:
        cycle = " -> ".join(str(p) for p in (*trail, found))
        ck.error(line, "extends", f"'{ref}' closes a cycle of extends: {cycle}")
        raise ValidationError(ck.problems)
    if len(trail) + 1 > MAX_CHAIN:  # the trail and the baseline `found`
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
    return _read(resolve_input(path, "scenario"), None, ()).tree


def load_scenario(path: str | Path, overrides: dict[str, object] | None = None,
                  source: str = "override") -> Scenario:
    """Load and validate a scenario file, with `overrides` (dotted path -> value) put into it
    first; see `read_scenario`."""
    return read_scenario(path, overrides, source)[0]


def find_ladder(ref: str, scenario_path: Path) -> Path | None:
    """A ladder id is looked up as `ladders/<id>.yaml` in the scenario's folder or any parent;
    a path is relative to the scenario's folder. None when there is no such file.

    Raises:
        OutsideProject: the ladder lies outside the scenario's project, the bundled library
            and the folders allowed (`sim.format.access`); checked before looking for a path.
    """
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        candidate = (scenario_path.parent / ref)
        check_reference("ladder", ref, candidate, scenario_path)
        return candidate if is_file(candidate) else None
    for folder in scenario_path.resolve().parents:
        candidate = folder / "ladders" / f"{ref}.yaml"
        if is_file(candidate):
            check_reference("ladder", ref, candidate, scenario_path)
            return candidate
    return None


def _ladder(ck: Checker, top: dict, path: Path, prefix: str = ""
            ) -> tuple[Ladder | None, list[Problem]]:
    ref = ck.get(top, "ladder", prefix, "str", required=True)
    field = f"{prefix}.ladder" if prefix else "ladder"
    if ref is None:
        return None, []
    # In a variant, `ladder` may come from the baseline: a path is relative to that file.
    try:
        found = find_ladder(ref, Path(file_of(top, "ladder") or path))
    except OutsideProject as exc:
        ck.error(line_of(top, "ladder"), field, str(exc))
        return None, []
    if found is None:
        ck.error(line_of(top, "ladder"), field,
                 f"no ladder '{clipped(ref)}': expected ladders/{clipped(ref)}.yaml in the "
                 "scenario's folder or a parent folder, or a path to a ladder file")
        return None, []
    try:
        ladder, warnings = read_ladder(found)
    except ValidationError as exc:
        ck.error(line_of(top, "ladder"), field, f"ladder {found} is invalid (see below)")
        ck.problems.extend(exc.problems)
        return None, []
    if not ref.endswith((".yaml", ".yml")) and "/" not in ref and ladder.id != ref:
        # an id names the ladder by its id; a path names a file, whatever its id
        where = found.relative_to(Path.cwd()) if found.is_relative_to(Path.cwd()) else found
        ck.error(line_of(top, "ladder"), field,
                 f"ladder '{ref}' is {where}, whose id is '{ladder.id}'")
    return ladder, warnings


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
    clock = read_clock(ck, top)
    runs = ck.get(top, "runs", "", "int", default=10_000)
    seed = ck.get(top, "seed", "", "int", default=0)
    if runs is not None and not 1 <= runs <= MAX_RUNS:
        ck.error(line_of(top, "runs"), "runs",
                 f"expected an integer from 1 to {MAX_RUNS:,}, got {runs}")
    if seed is not None and seed < 0:
        ck.error(line_of(top, "seed"), "seed", f"expected an integer >= 0, got {seed}")
    tension = ck.mapping(top.get("tension", {}), "tension", line_of(top, "tension"), TENSION_KEYS)
    initial: Number | None = 0.0
    decay: Number | None = 1.0
    if tension is not None:
        if "initial" in tension:
            initial = parse_number(ck, tension["initial"], "tension.initial",
                                   line_of(tension, "initial"))
        if "decay" in tension:
            decay = parse_number(ck, tension["decay"], "tension.decay",
                                 line_of(tension, "decay"), 0.0, 1.0)
    actor_ids = list(top["actors"]) if isinstance(top.get("actors"), dict) else []
    names, coupled = read_names(ck, top, ladder, actor_ids, _coupled_loader(top))
    actors = read_actors(ck, top, ladder, names)
    check_requires(ck, top, actors)
    symbols = names.symbols({a.id: a.action_ids for a in actors})
    actors = [with_modifiers(ck, top, a, symbols) for a in actors]
    events = read_events(ck, top, ladder, actors, clock, symbols, names)
    variables = read_variables(ck, names, symbols)
    flags = read_flags(ck, top, names)
    hazards = read_hazards(ck, top, names, symbols)
    observe = read_observe(ck, top, clock, names, actors)
    if sid is None or title is None or start is None or clock is None or start not in stages:
        return None
    return Scenario(sid, title, ladder, start, clock, tuple(actors), tuple(events),
                    initial if initial is not None else 0.0,
                    decay if decay is not None else 1.0, runs or 10_000, seed or 0,
                    ck.get(top, "description", "", "str", default=""),
                    tuple(ck.get(top, "sources", "", "strings", default=[])),
                    key=names.main_key, reads=names.reads, coupled=tuple(coupled),
                    variables=tuple(variables), flags=tuple(flags), hazards=tuple(hazards),
                    observe=observe)


def _coupled_loader(top: YamlMap):
    """Load a coupled ladder's file as the main one is loaded (relative to the file that
    names it)."""
    def load(ck: Checker, m: dict, where: str) -> Ladder | None:
        own = Path(file_of(m, "ladder") or file_of(top, "ladder") or ck.file)
        ladder, warnings = _ladder(ck, m, own, where)
        ck.problems.extend(warnings)
        return ladder
    return load
