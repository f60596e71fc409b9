"""Write the JSON Schemas for editors (sim/format/schemas/*.schema.json) from the vocabulary.

The shipped schemas are generated, never edited by hand: the loader and the schemas read the
same nodes (`sim.format.vocabulary`), so a key the loader accepts is in the schema too.

    python -m sim.format.schema           # write the shipped files
    python -m sim.format.schema --check   # exit 1 if they differ from what would be written
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

from .vocabulary import Node, definitions

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
FILES = {  # file name -> (root node, title)
    "ladder.schema.json": ("ladder", "ladder: escalation ladder"),
    "scenario.schema.json": ("scenario", "ladder: scenario"),
}


def node_schema(node: Node) -> dict:
    """The JSON Schema of one node: a closed object with its properties and rules."""
    out: dict = {"type": node.type, "description": node.description,
                 "additionalProperties": False}
    if node.required and not node.partial:
        out["required"] = list(node.required)
    out["properties"] = node.properties
    return copy.deepcopy(out | node.rules)


def _refs(value: object) -> list[str]:
    """The definitions a fragment points at (`#/$defs/<name>`), in order."""
    if isinstance(value, dict):
        found = [value["$ref"].removeprefix("#/$defs/")] if "$ref" in value else []
        return found + [name for v in value.values() for name in _refs(v)]
    if isinstance(value, list):
        return [name for v in value for name in _refs(v)]
    return []


def _schema(definition: Node | dict) -> dict:
    return node_schema(definition) if isinstance(definition, Node) else copy.deepcopy(definition)


def build_schema(root: str, title: str) -> dict:
    """The schema of a file whose top level is the node `root`, with every definition it uses."""
    defs = definitions()
    node = defs[root]
    assert isinstance(node, Node)  # `root` names a file's top level: a Node
    top = node_schema(node)
    used, todo = set(), _refs(top)
    while todo:
        name = todo.pop()
        if name not in used:
            used.add(name)
            todo += _refs(_schema(defs[name]))
    description = top.pop("description")
    return {"$schema": DRAFT, "title": title, "description": description, **top,
            "$defs": {name: _schema(d) for name, d in defs.items() if name in used}}


def build_schemas() -> dict[str, dict]:
    """Every shipped schema, by file name."""
    return {file: build_schema(root, title) for file, (root, title) in FILES.items()}


def dumps(schema: dict) -> str:
    """A schema as the shipped files write it (stable, so that they can be compared)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema into `folder`; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for file, schema in build_schemas().items():
        path = folder / file
        path.write_text(dumps(schema), encoding="utf-8")
        paths.append(path)
    return paths


def stale_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """The schema files in `folder` that are missing or differ from what would be written."""
    return [folder / file for file, schema in build_schemas().items()
            if not (folder / file).is_file()
            or (folder / file).read_text(encoding="utf-8") != dumps(schema)]


def main(argv: list[str] | None = None) -> int:
    """Write the schemas, or with --check report the ones that are out of date."""
    parser = argparse.ArgumentParser(prog="python -m sim.format.schema", description=__doc__
                                     .split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a shipped schema is out of date")
    parser.add_argument("--folder", type=Path, default=SCHEMA_DIR,
                        help="where the schemas are (default: the shipped ones)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_schemas(args.folder)
        for path in stale:
            print(f"{path} is out of date: run python -m sim.format.schema", file=sys.stderr)
        return 1 if stale else 0
    for path in write_schemas(args.folder):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
