"""The vocabulary of the two file formats, as data: one definition for the loader and the schemas.

Each mapping a ladder or scenario file may hold is a `Node`: its keys in order, each with
its JSON Schema fragment (type, bounds, enum, description, examples), and the keys a complete
file must give. The loader takes its closed key sets and its required keys from here
(`keys`, `required`), and `sim.format.schema` writes the JSON Schemas for editors from the
same nodes, so that a key the loader accepts cannot be unknown to the schemas. The values
the format allows (actor kinds, steps, bounds) are constants here, for both to use.

This module holds what both formats share; the nodes are in `ladder_vocabulary` and
`scenario_vocabulary`. It imports nothing of the package (every loader module imports it,
and so does the CLI to build its parser, which must stay fast).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

ID = r"^[a-z_][a-z0-9_]*$"  # stage, actor, action and group ids
FILE_ID = r"^[a-z0-9_][a-z0-9_-]*$"  # ladder and scenario ids
ID_RE = re.compile(ID)
FILE_ID_RE = re.compile(FILE_ID)
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # YYYY-MM-DD
ACTOR_KINDS = ("state", "proxy", "alliance", "patron", "population")
STEP_DAYS = {"day": 1, "week": 7}  # the values of clock.step, with their length in days
DIST_KINDS = ("uniform", "normal", "beta", "choice")  # a distribution gives exactly one
MAX_RUNS = 100_000_000
MAX_HORIZON = 100_000
MAX_COUNT = 1_000_000  # members of a population
MAX_CONDITION = 1000  # characters: the condition parser's limit (expr_syntax uses this)
# The range of numbers (docs/format.md, "Numbers in range"): small enough that the sampler's
# sums and products stay exact to rounding. Effects, tension, thresholds, condition literals
# and distribution parameters lie within +-MAX_MAGNITUDE; a weight or a modifier's scale is 0
# or lies in [MIN_WEIGHT, MAX_WEIGHT]; an actor has at most MAX_MODIFIERS modifiers, so the
# product of a weight and every scale that holds stays within about [1e-297, 1e198].
MAX_MAGNITUDE = 1e6
MIN_WEIGHT = 1e-9
MAX_WEIGHT = 1e6
MAX_MODIFIERS = 32
NORMAL_REACH = 40  # standard deviations: how far a normal is counted to reach
VARIANT_OWN = ("id", "title", "description", "sources")  # a variant gives its own
PARAM_FORMS = ("tension.decay", "actors.<actor>.actions.<action>.effect",
               "actors.<actor>.policy.weights.<action>",
               "actors.<actor>.policy.stages.<stage>.<action>",
               "actors.<actor>.policy.modifiers.<i>.scale.<action>")  # what events may set


@dataclass(frozen=True)
class Node:
    """A mapping of a file with a closed set of keys (a JSON Schema object).

    Attributes:
        description: what the mapping is.
        properties: each key, in order, with its JSON Schema fragment (which describes it).
        required: the keys a complete file must give, in the order the loader reports them.
        partial: a variant may give only some of the keys, so the schema requires `required`
            only in a file without `extends` (the scenario schema's `else`).
        rules: further JSON Schema keywords on the mapping (`oneOf`, `if`, ...).
        type: the JSON type; `["object", "null"]` for a mapping that may be left empty.
    """

    description: str
    properties: dict[str, dict]
    required: tuple[str, ...] = ()
    partial: bool = False
    rules: dict = field(default_factory=dict)
    type: str | list[str] = "object"


def ref(name: str, description: str | None = None, **more: object) -> dict:
    """A fragment pointing at the definition `name`, with its own description if given."""
    out: dict = {"$ref": f"#/$defs/{name}"}
    if description is not None:
        out["description"] = description
    return out | more


def text(description: str, *examples: str, non_empty: bool = False) -> dict:
    """A string key (`non_empty`: at least one character)."""
    out: dict = {"type": "string"}
    if non_empty:
        out["minLength"] = 1
    out["description"] = description
    if examples:
        out["examples"] = list(examples)
    return out


# Definitions both formats use.
SHARED: dict[str, dict] = {
    "fileId": {"type": "string", "pattern": FILE_ID,
               "description": "File id: lower-case letters, digits, `_` and `-`.",
               "examples": ["belarus-2024"]},
    "stageId": {"type": "string", "pattern": ID,
                "description": "A stage id (lower-case snake case).",
                "examples": ["hybrid_pressure"]},
    "condition": {
        "type": "string", "minLength": 1, "maxLength": MAX_CONDITION,
        "description": "A condition: names `stage`, `tension`, `step`, `<actor>.last`; "
                       "comparisons == != < <= > >=; `and`, `or`, `not`, parentheses; `true`, "
                       f"`false`. At most {MAX_CONDITION} characters.",
        "examples": ["tension >= 8", "stage >= border_incident and tension > 4.5"]},
    "sources": {"type": "array", "items": {"type": "string"},
                "description": "Optional list of strings (citations).",
                "examples": [["Belarus in Focus, Security issues, 27 May - 2 June 2024"]]},
}


@functools.cache
def definitions() -> dict[str, Node | dict]:
    """Every definition of both formats, in the order the schemas list them: the shared
    ones, then the ladder's, then the scenario's. Nodes are mappings with closed keys; the
    rest are plain JSON Schema fragments."""
    from .ladder_vocabulary import LADDER_DEFS  # these import this module: load them late
    from .scenario_vocabulary import SCENARIO_DEFS

    return {**SHARED, **LADDER_DEFS, **SCENARIO_DEFS}


def nodes() -> dict[str, Node]:
    """Every node (mapping with closed keys) of both formats, by name."""
    return {name: d for name, d in definitions().items() if isinstance(d, Node)}


def node(name: str) -> Node:
    """The node called `name`, e.g. "actor"."""
    return nodes()[name]


def keys(name: str) -> frozenset[str]:
    """The keys a node allows: the loader's closed key set for that mapping."""
    return frozenset(node(name).properties)


def required(name: str) -> tuple[str, ...]:
    """The keys a node must have in a complete file, in the order they are reported."""
    return node(name).required
