"""The bundled library: the ladders and scenarios that come with `ladder`, named by id.

They are the `ladders/` and `scenarios/` folders under `access.BUNDLED`: the repository's own
in a checkout or an editable install, the copy an installed wheel carries in `sim/library/`
(laid out alike, so `ladder:` and `extends:` inside them resolve the same way). A file's id
is its name without `.yaml` (every bundled file's `id` is its name; tests/test_packaging.py
checks it).

`resolve_input` is the one place where an input is looked up by id: `read_scenario`,
`scenario_tree`, `read_ladder`, `ladder validate` and `ladder show` call it, so
`ladder run belarus-poland-2024` works wherever `ladder` is installed. A path that exists is
always itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Problem, ValidationError
from . import access
from .check import suggest

KINDS = ("scenario", "ladder")
FOLDERS = {"scenario": "scenarios", "ladder": "ladders"}


def _index(kind: str) -> dict[str, Path]:
    folder = access.BUNDLED / FOLDERS[kind]
    files = folder.rglob("*.yaml") if kind == "scenario" else folder.glob("*.yaml")
    # shallow files first, so an id in the top folder wins over one in a subfolder
    ordered = sorted(files, key=lambda p: (len(p.relative_to(folder).parts), str(p)))
    found: dict[str, Path] = {}
    for path in ordered:
        if access.is_file(path):
            found.setdefault(path.stem, path)
    return found


def bundled_scenarios() -> dict[str, Path]:
    """The bundled scenarios, id -> file: those in `scenarios/` by name, then those in its
    subfolders."""
    return _index("scenario")


def bundled_ladders() -> dict[str, Path]:
    """The bundled ladders, id -> file, in order of id."""
    return dict(sorted(_index("ladder").items()))


def is_id(ref: str) -> bool:
    """A reference that can only be an id: no folder in it and no .yaml/.yml ending."""
    seps = [s for s in (os.sep, os.altsep, "/") if s]
    return bool(ref) and ref not in (".", "..") and not any(s in ref for s in seps) \
        and not ref.endswith((".yaml", ".yml"))


def _readable_entry(path: str) -> bool:
    """Something other than a folder exists at `path` (a broken link counts: reading it says
    what is wrong)."""
    try:
        return os.path.lexists(path) and not os.path.isdir(path)
    except (OSError, ValueError):
        return False


def resolve_input(ref: str | Path, kind: str | None = None) -> Path:
    """The file an input names: `ref` itself when something other than a folder is there or
    it is not an id (see `is_id`); else the bundled scenario (kind "scenario"), ladder ("ladder")
    or either (None: scenarios first) with that id.

    Raises:
        ValidationError: one problem naming `ref`: an id of no bundled file, with a "did you
            mean" and where to see what is bundled (`ladder list`).
    """
    text = str(ref)
    if not is_id(text) or _readable_entry(text):
        return Path(ref)
    kinds = (kind,) if kind else KINDS
    for k in kinds:
        found = _index(k).get(text)
        if found is not None:
            return found
    others = [k for k in KINDS if k not in kinds and text in _index(k)]
    if others:
        message = f"no such file, and '{text}' is a bundled {others[0]}, not a {kind}"
    else:
        ids = [i for k in kinds for i in _index(k)]
        message = f"no such file, and no bundled {' or '.join(kinds)} has this id" \
            + suggest(text, ids)
    raise ValidationError([Problem(access.shown(text), None, "",
                                   f"{message} (`ladder list` shows the bundled files)")])


def catalog() -> dict[str, object]:
    """What `ladder list` shows: where the library is, and each bundled ladder (id, title,
    stages, path), scenario (id, title, ladder, the baseline it extends, path) and history
    record (id, title, first and last month, path). A history record (`kind:
    history-record`, in `scenarios/`) is listed apart, not as a scenario: it cannot be run.

    Raises:
        ValidationError: a bundled file that is invalid (never, for a released library).
    """
    from .history_record import is_record, load_record
    from .ladder import load_ladder
    from .scenario import load_scenario
    from .yamlio import load_yaml

    ladders = []
    for lid, path in bundled_ladders().items():
        ladder = load_ladder(path)
        ladders.append({"id": lid, "title": ladder.title, "stages": len(ladder.stage_ids),
                        "path": str(path)})
    scenarios, records = [], []
    for sid, path in bundled_scenarios().items():
        if is_record(load_yaml(path)):
            record = load_record(path)
            records.append({"id": sid, "title": record.title, "first": record.months[0].month,
                            "last": record.months[-1].month, "path": str(path)})
            continue
        scenario = load_scenario(path)
        base = Path(scenario.extends[0]).stem if scenario.extends else None
        scenarios.append({"id": sid, "title": scenario.title, "ladder": scenario.ladder.id,
                          "extends": base, "path": str(path)})
    return {"library": str(access.BUNDLED), "ladders": ladders, "scenarios": scenarios,
            "records": records}
