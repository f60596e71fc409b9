"""`ladder validate`: check ladder and scenario files, or every YAML file under folders."""

from __future__ import annotations

from pathlib import Path

from ..errors import Problem, ValidationError
from .ladder import read_ladder
from .scenario import read_scenario
from .yamlio import load_yaml


def yaml_files(paths: list[str]) -> tuple[list[Path], list[Problem]]:
    """Expand folders into their YAML files (sorted); report paths that do not exist."""
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files += sorted(f for f in path.rglob("*") if f.suffix in (".yaml", ".yml"))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(p, None, "", "no such file or folder"))
    return files, problems


def is_ladder(raw: object) -> bool:
    """A file with top-level `stages` is a ladder; anything else is read as a scenario."""
    return isinstance(raw, dict) and "stages" in raw and "actors" not in raw


def validate_file(path: Path) -> list[Problem]:
    """Every problem (errors and warnings) in one ladder or scenario file."""
    try:
        raw = load_yaml(path)
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
