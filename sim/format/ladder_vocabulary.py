"""The vocabulary of ladder files: the ladder, its stages, edges and groups (see `vocabulary`).

`sim.format.ladder` takes its key sets and required keys from these nodes, and
`sim.format.schema` writes ladder.schema.json from them.
"""

from __future__ import annotations

from .vocabulary import ID, MAX_HORIZON, MAX_MAGNITUDE, Node, ref, text

THRESHOLD = {"type": "number", "minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE}

FREE_TEXT = "Optional free text."

LADDER = Node(
    "A ladder (ladders/<id>.yaml) encodes a doctrine: ordered stages and the rules for moving "
    "between them. See docs/format.md. The Python loader (`ladder validate`) also checks "
    "cross-references and ordering.",
    {
        "id": ref("fileId", "Required: file id (lower-case letters, digits, `_`, `-`)."),
        "title": text("Required: title of the ladder.",
                      "Belarus military doctrine (2024), as read by the seed analysis",
                      non_empty=True),
        "description": text(FREE_TEXT),
        "sources": ref("sources"),
        "stages": {"type": "array", "minItems": 2, "items": ref("stage"),
                   "description": "Required: at least 2 stages, lowest first."},
        "edges": {"type": "array", "items": ref("edge"),
                  "description": "Optional: guards on neighbour moves, and jumps."},
        "groups": {"type": "array", "items": ref("group"),
                   "description": "Optional: named runs of consecutive stages."},
    },
    required=("id", "title", "stages"),
)

STAGE = Node(
    "A rung of the ladder. Stages are listed lowest first.",
    {
        "id": ref("stageId", "Required: stage id (unique, lower-case snake case)."),
        "name": text("Required: display name.", "Peacetime", non_empty=True),
        "level": {"type": "integer",
                  "description": "Optional integer level; default: position in the list; "
                                 "must increase.",
                  "examples": [0]},
        "description": text(FREE_TEXT, "No military danger identified."),
        "source": text("Optional: the doctrine text or reference the stage rests on.",
                       "BelTA, 6 Feb 2024"),
        "up": {"anyOf": [THRESHOLD, ref("distribution")],
               "description": "Optional: tension >= up moves one rung up. Thresholds strictly "
                              "increase from stage to stage. A distribution (with a bounded "
                              "range) is drawn once per run.",
               "examples": [2.0, {"uniform": [4.5, 5.5]}]},
        "down": {"anyOf": [THRESHOLD, ref("distribution")],
                 "description": "Optional: tension <= down for `dwell` consecutive steps moves "
                                "one rung down. Below this stage's `up` and the `up` of the "
                                "stage beneath (over the whole range of a distribution).",
                 "examples": [1.0]},
        "dwell": {"type": "integer", "minimum": 1, "maximum": MAX_HORIZON, "default": 1,
                  "description": "Consecutive steps at or below `down` before moving one rung "
                                 "down (default 1; needs `down`).",
                  "examples": [14]},
        "absorbing": {"type": "boolean", "default": False,
                      "description": "Optional, default false: a run that enters this stage "
                                     "ends. Absorbing stages have no `up`, `down` or `dwell`."},
    },
    required=("id", "name"),
    rules={
        "dependentRequired": {"dwell": ["down"]},
        "if": {"required": ["absorbing"], "properties": {"absorbing": {"const": True}}},
        "then": {"not": {"anyOf": [{"required": [key]} for key in ("up", "down", "dwell")]}},
    },
)

EDGE = Node(
    "A guard on a neighbour move, or a jump (an edge between non-neighbours, taken only by a "
    "trigger).",
    {
        "from": ref("stageId", "Required: the stage the edge leaves (not absorbing)."),
        "to": ref("stageId", "Required: the stage the edge enters; a non-neighbour makes a jump."),
        "guard": ref("condition", "Optional condition that must hold for the move."),
        "description": text(FREE_TEXT, "Preventive use, only by decision."),
        "source": text("Optional: the doctrine text or reference the edge rests on."),
    },
    required=("from", "to"),
)

GROUP = Node(
    "A named run of consecutive stages.",
    {
        "id": {"type": "string", "pattern": ID,
               "description": "Required: group id (lower-case snake case).",
               "examples": ["subcrisis"]},
        "name": text("Required: display name.", "Subcrisis maneuvering", non_empty=True),
        "first": ref("stageId", "Required: first stage of the group."),
        "last": ref("stageId", "Required: last stage of the group (not below `first`)."),
        "threshold": text("Optional: the threshold above this group.", "Don't Rock the Boat"),
    },
    required=("id", "name", "first", "last"),
)

LADDER_DEFS: dict[str, Node | dict] = {
    "ladder": LADDER, "stage": STAGE, "edge": EDGE, "group": GROUP,
}
