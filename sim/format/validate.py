"""`ladder validate`: check ladder, scenario and history-record files, or every YAML file under
folders."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import Problem, ValidationError
from .access import kind_of, shown
from .history_record import is_record, load_record
from .ladder import read_ladder
from .library import is_id, resolve_input
from .scenario import read_scenario
from .yamlio import load_yaml


def yaml_files(paths: list[str]) -> tuple[list[Path], list[Problem]]:
    """Expand folders into their YAML files (sorted); report paths that do not exist. A path
    that does not exist and is an id (`library.is_id`) names the bundled file with that id.

    In a folder, a .yaml name that is not a regular file (a FIFO, a device, a socket, a
    broken link) is an error and is never opened (opening a FIFO would wait for a writer); a
    path named on its own is kept (reading it reports what it is)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        path = Path(p)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            if not is_id(p):
                problems.append(Problem(shown(p), None, "", "no such file or folder"))
                continue
            try:  # the id of a bundled file
                files.append(resolve_input(p))
            except ValidationError as exc:
                problems += exc.problems
            continue
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            problems.append(Problem(shown(p), None, "", f"cannot read file: {reason}"))
            continue
        if not stat.S_ISDIR(mode):
            files.append(path)
            continue
        for f in sorted(f for f in path.rglob("*") if f.suffix in (".yaml", ".yml")):
            try:
                kind = kind_of(os.stat(f).st_mode)
            except OSError as exc:
                problems.append(Problem(shown(f), None, "", f"cannot read file: {exc.strerror}"))
                continue
            if kind is None:
                files.append(f)
            elif kind != "a folder":
                problems.append(Problem(shown(f), None, "", f"cannot read {kind}: only regular "
                                        "files are read"))
    return files, problems


def is_ladder(raw: object) -> bool:
    """A file with top-level `stages` is a ladder; anything else is read as a scenario."""
    return isinstance(raw, dict) and "stages" in raw and "actors" not in raw


def validate_file(path: Path) -> list[Problem]:
    """Every problem (errors and warnings) in one ladder, scenario or history-record file
    (`kind: history-record`, read by `history_record.load_record`)."""
    try:
        raw = load_yaml(path)
        if is_record(raw):
            load_record(path)
            return []
        reader = read_ladder if is_ladder(raw) else read_scenario
        return reader(path)[1]
    except ValidationError as exc:
        return exc.problems + exc.warnings


def validate_paths(paths: list[str]) -> tuple[list[Problem], int]:
    """Validate files and folders; return all problems and the number of files checked."""
    files, problems = yaml_files(paths)
    seen: set[str] = set()
    for f in files:
        for problem in validate_file(f):
            # A ladder's warnings come again with each scenario that uses it: say them once.
            if str(problem) not in seen:
                seen.add(str(problem))
                problems.append(problem)
    return problems, len(files)
