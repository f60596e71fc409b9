"""Where a field of a scenario or ladder file is: its file and line, for the exact analysis's
refusals (a variant's field points into the file that gives it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Problem, ValidationError
from ..format.scenario import Scenario, scenario_tree
from ..format.yamlio import line_of, load_yaml


class _Locator:
    """Turns a field path into a Problem with the file and (when found) the line.

    Scenario fields are looked up in the merged tree (`scenario_tree`), whose lines know
    the file they were written in, so a variant's field points into the variant or into
    the baseline that gave it.
    """

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self._raw: dict[str, object] = {}

    def problem(self, path: str, message: str, ladder: bool = False) -> Problem:
        file = self.scenario.ladder.path if ladder else self.scenario.path
        line = self._line(file, path, ladder)
        return Problem(getattr(line, "file", None) or file, line, path, message)

    def _line(self, file: str, path: str, ladder: bool) -> int | None:
        if file not in self._raw:
            try:
                tree = load_yaml(Path(file)) if ladder else scenario_tree(file)
                self._raw[file] = tree if file else None
            except (OSError, ValidationError):  # the file changed or vanished: no line
                self._raw[file] = None
        return find_line(self._raw[file], path)


def find_line(raw: object, path: str) -> int | None:
    """Line of a field path such as `actors.x.policy.modifiers[0].when` in a loaded file."""
    tokens = path.replace("[", ".").replace("]", "").split(".")
    node: Any = raw  # a mapping or a list on the way down (`_key` checks which)
    line, i = None, 0
    while i < len(tokens) and node is not None:
        key, step = _key(node, tokens, i)
        if key is None:
            break
        line = line_of(node, key) or line
        node, i = node[key], i + step
    return line


def _key(node: object, tokens: list[str], i: int) -> tuple[object, int]:
    if isinstance(node, list):
        if tokens[i].isdigit() and int(tokens[i]) < len(node):
            return int(tokens[i]), 1
        for k, item in enumerate(node):  # a stage named by its id
            if isinstance(item, dict) and item.get("id") == tokens[i]:
                return k, 1
        return None, 0
    if isinstance(node, dict):
        for j in range(len(tokens), i, -1):  # longest dotted key first (event `set` paths)
            key = ".".join(tokens[i:j])
            if key in node:
                return key, j - i
    return None, 0
