"""The vocabulary of scenario files: the scenario, its clock, tension, actors (actions,
policies, modifiers), events and distributions (see `vocabulary`).

The loader modules (`scenario`, `clock`, `actors`, `events`, `distributions`) take their key
sets and required keys from these nodes, and `sim.format.schema` writes scenario.schema.json
from them. What a variant may leave out, and the rules that hold only outside a variant, are
in the scenario node's `if`/`then`/`else`.
"""

from __future__ import annotations

from .dynamics_vocabulary import (
    ACTION_MORE,
    ACTOR_MORE,
    DYNAMICS_DEFS,
    EFFECT_MAP,
    EVENT_MORE,
    SCENARIO_MORE,
    STAGE_REF,
)
from .vocabulary import (
    ACTOR_KINDS,
    DATE,
    DIST_KINDS,
    ID,
    MAX_COUNT,
    MAX_HORIZON,
    MAX_MAGNITUDE,
    MAX_MODIFIERS,
    MAX_RUNS,
    MAX_WEIGHT,
    MIN_WEIGHT,
    NORMAL_REACH,
    PARAM_FORMS,
    STEP_DAYS,
    VARIANT_OWN,
    Node,
    ref,
    text,
)

FREE_TEXT = "Optional free text."
IDS = {"pattern": ID}  # propertyNames of a mapping keyed by ids
# A number within +-MAX_MAGNITUDE (docs/format.md, "Numbers in range").
BOUNDED = {"type": "number", "minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE}
# A weight or a scale: 0, or from MIN_WEIGHT to MAX_WEIGHT.
WEIGHT = {"type": "number",
          "anyOf": [{"const": 0}, {"minimum": MIN_WEIGHT, "maximum": MAX_WEIGHT}]}


def _param_pattern() -> str:
    """A regular expression for the parameter paths of `PARAM_FORMS` (`<i>`: an index)."""
    def part(word: str) -> str:
        if word == "<i>":
            return "[0-9]+"
        return ID.strip("^$") if word.startswith("<") else word
    forms = ("\\.".join(part(w) for w in form.split(".")) for form in PARAM_FORMS)
    return f"^({'|'.join(forms)})$"


def _number_or_distribution(description: str, number: dict, examples: list) -> dict:
    """A value given as a number of the kind `number` or as a distribution."""
    return {"description": description, "anyOf": [number, ref("distribution")],
            "examples": examples}


def _pair(description: str, example: list, items: dict | None = None) -> dict:
    """A list of two numbers (`items`: their schema, default any number)."""
    return {"type": "array", "minItems": 2, "maxItems": 2, "items": items or {"type": "number"},
            "description": description, "examples": [example]}


DISTRIBUTION = Node(
    "A distribution: exactly one of `uniform`, `normal`, `beta`, `choice`; optional `clip`; "
    "`p` only with `choice`. Each run draws its own value once, at the start.",
    {
        "uniform": _pair("Uniform between a and b: [a, b]. For integer fields, uniform on a, "
                         "a+1, ..., b.", [0.5, 1.2], BOUNDED),
        "normal": {"type": "array",
                   "prefixItems": [BOUNDED, BOUNDED | {"minimum": 0}],
                   "items": False, "minItems": 2,
                   "description": "Normal: [mean, standard deviation]. Rounded for integer "
                                  f"fields. Counted to reach {NORMAL_REACH} standard "
                                  "deviations from the mean.",
                   "examples": [[0.8, 0.2]]},
        "beta": {"type": "array", "minItems": 2, "maxItems": 2,
                 "items": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MAGNITUDE},
                 "description": "Beta(a, b) on [0, 1]: [a, b].", "examples": [[9, 1]]},
        "choice": {"type": "array", "minItems": 1, "items": BOUNDED,
                   "description": "One of the values, equally likely (or with probabilities "
                                  "`p`).",
                   "examples": [[20, 40, 60]]},
        "clip": _pair("Optional: clip the draw to [lo, hi].", [0, 2]),
        "p": {"type": "array", "minItems": 1,
              "items": {"type": "number", "minimum": 0, "maximum": 1},
              "description": "Optional, with `choice` only: probabilities of the values.",
              "examples": [[0.2, 0.5, 0.3]]},
    },
    rules={"oneOf": [{"required": [kind]} for kind in DIST_KINDS],
           "dependentRequired": {"p": ["choice"]}},
)

STAGE_LIST = {"type": "array", "minItems": 1, "uniqueItems": True, "items": ref("stageId"),
              "description": "A list of stage ids.", "examples": [["border_incident"]]}

NUMBERS: dict[str, dict] = {  # values given as a number or a distribution, and maps of them
    "numberOrDistribution": _number_or_distribution(
        f"A number from {-MAX_MAGNITUDE:g} to {MAX_MAGNITUDE:g}, or a distribution drawn once "
        "per run (whose draws stay in that range).", BOUNDED,
        [0.8, {"uniform": [0.5, 1.2]}, {"normal": [0.8, 0.2], "clip": [0, 2]}]),
    "integerOrDistribution": _number_or_distribution(
        "An integer, or a distribution (integer fields draw integers).",
        {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
        [40, {"choice": [20, 40, 60]}, {"uniform": [20, 60]}]),
    "weight": _number_or_distribution(
        f"A weight or factor: 0 or a number from {MIN_WEIGHT:g} to {MAX_WEIGHT:g}, or a "
        "distribution drawn once per run (clip it to stay in that range).", WEIGHT,
        [1, {"uniform": [0.5, 2]}]),
    "weightMap": {"type": "object", "description": "Action id -> weight or factor.",
                  "propertyNames": IDS, "additionalProperties": ref("weight"),
                  "examples": [{"push_migrants": 5, "declare_crisis": 0}]},
}

CLOCK = Node(
    "Time: step length, horizon, optional start date.",
    {
        "step": {"enum": list(STEP_DAYS), "default": "day",
                 "description": f"{' | '.join(STEP_DAYS)} (default day)."},
        "horizon": {"type": "integer", "minimum": 1, "maximum": MAX_HORIZON,
                    "description": "Required: number of steps per run.", "examples": [90]},
        "start_date": {"type": "string", "pattern": DATE,
                       "description": "Optional calendar date (YYYY-MM-DD) of step 0.",
                       "examples": ["2024-05-27"]},
    },
    required=("horizon",), partial=True,
)

TENSION = Node(
    "Tension: tension = decay * tension + sum of this step's effects.",
    {
        "initial": ref("numberOrDistribution", "Initial tension, number or distribution "
                       "(default 0).", default=0, examples=[3.0]),
        "decay": _number_or_distribution(
            "Decay factor in [0, 1], number or distribution (default 1).",
            {"type": "number", "minimum": 0, "maximum": 1}, [0.9, {"beta": [9, 1]}],
        ) | {"default": 1},
    },
)

ACTOR = Node(
    "An actor: who it is, what it can do, how it chooses. In a variant, only the keys that "
    "change.",
    {
        "name": text("Optional display name (default: the id).", "Belarusian authorities"),
        "kind": {"enum": list(ACTOR_KINDS),
                 "description": f"Required: {' | '.join(ACTOR_KINDS)}."},
        "description": text(FREE_TEXT),
        "count": ref("integerOrDistribution",
                     "Populations only: number of members, integer or distribution."),
        "actions": {"type": "object", "minProperties": 1,
                    "description": "Required, at least one; keys are action ids.",
                    "propertyNames": IDS, "additionalProperties": ref("action")},
        "policy": ref("policy", "Required: how the actor chooses its action each step."),
        **ACTOR_MORE,
    },
    required=("kind", "actions", "policy"), partial=True,
)

ACTION = Node(
    "An action the actor can choose each step (may be left empty).",
    {
        "effect": {"description": "Change to tension (number or distribution; default 0), or "
                                  "a map of changes to variables.",
                   "anyOf": [ref("numberOrDistribution"), EFFECT_MAP], "default": 0},
        "description": text(FREE_TEXT),
        "trigger": {"type": "string", "pattern": STAGE_REF,
                    "description": "Optional: fire the edge from the current stage to this "
                                   "stage, or `<ladder key>:<stage>` on a coupled ladder (not for "
                                   "populations).", "examples": ["mp_crisis", "nato:article4"]},
        "allowed": ref("stageList", "Optional: stages at which the action exists (default all)."),
        **ACTION_MORE,
    },
    type=["object", "null"],
)

POLICY = Node(
    "How the actor chooses: weights per action, per stage, and modifiers.",
    {
        "weights": ref("weightMap", "Required: default weights; unlisted actions weigh 0."),
        "stages": {"type": "object",
                   "description": "Optional per-stage weights, merged over `weights`: stage id "
                                  "-> {action id: weight}.",
                   "propertyNames": IDS, "additionalProperties": ref("weightMap"),
                   "examples": [{"border_incident": {"declare_crisis": 0.3}}]},
        "modifiers": {"type": "array", "items": ref("modifier"), "maxItems": MAX_MODIFIERS,
                      "description": "Optional; each multiplies weights while its condition "
                                     f"holds. At most {MAX_MODIFIERS}."},
    },
    required=("weights",), partial=True,
)

MODIFIER = Node(
    "Multiplies weights while its condition holds.",
    {
        "when": ref("condition", "Condition under which the modifier applies.",
                    examples=["warsaw.last == open_checkpoint", "tension >= 6"]),
        "scale": ref("weightMap", "Action id -> factor (>= 0) multiplying its weight.",
                     examples=[{"push_migrants": 0.5}]),
        "remove": {"const": True,
                   "description": "Variants only: `{when: CONDITION, remove: true}` drops the "
                                  "baseline's modifier with that condition."},
    },
    required=("when", "scale"), partial=True,
)

EVENT = Node(
    "Something that happens: exactly one of `at` and `when`; at least one of `set`, `tension`, "
    "`stage`. In a variant, an event replaces the baseline's event of the same name, or is "
    "added.",
    {
        "name": text("Required: event name.", "Buffer zone reinstated", non_empty=True),
        "at": {"description": "A step number (>= 1), or a date (YYYY-MM-DD) when "
                              "clock.start_date is set.",
               "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": DATE}],
               "examples": [10, "2024-06-04"]},
        "when": ref("condition", "A condition instead of `at`, checked on the state left by the "
                    "previous step.", examples=["stage >= border_incident"]),
        "once": {"type": "boolean", "default": True,
                 "description": "Default true: fire at most once per run."},
        "set": {"type": "object", "minProperties": 1,
                "description": "Parameters to change: dotted path -> number or distribution.",
                "propertyNames": {"pattern": _param_pattern()},
                "additionalProperties": ref("numberOrDistribution"),
                "examples": [{"actors.warsaw.policy.weights.harden": 4},
                             {"tension.decay": 0.8}]},
        "tension": ref("eventTension"),
        "stage": {"type": "string", "pattern": STAGE_REF,
                  "description": "Optional: move the run to this stage (`<ladder key>:<stage>` on "
                                 "a coupled ladder).", "examples": ["border_incident"]},
        **EVENT_MORE,
        "description": text(FREE_TEXT),
        "source": text("Optional: reference for the event."),
        "remove": {"const": True,
                   "description": "Variants only: `{name: NAME, remove: true}` drops the "
                                  "baseline's event of that name."},
    },
    required=("name",),
)

EVENT_TENSION = Node(
    "Change tension: exactly one of {add: x} or {set: x}.",
    {
        "add": ref("numberOrDistribution", "Add this to tension.", examples=[-1.0]),
        "set": ref("numberOrDistribution", "Set tension to this value.", examples=[2.0]),
    },
    rules={"oneOf": [{"required": ["add"]}, {"required": ["set"]}],
           "examples": [{"add": -1.0}]},
)

NOT_REMOVE = {"not": {"required": ["remove"]}}  # `remove: true` is for variants only
SCENARIO_REQUIRED = ("id", "title", "ladder", "start", "clock", "actors")
# Outside a variant: every required key, and the rules a variant's partial nodes cannot keep.
COMPLETE_FILE = {
    "required": list(SCENARIO_REQUIRED),
    "not": {"required": ["changes"]},
    "properties": {
        "clock": {"required": list(CLOCK.required)},
        "actors": {"additionalProperties": {
            "required": list(ACTOR.required),
            "if": {"required": ["kind"], "properties": {"kind": {"const": "population"}}},
            "then": {"required": ["count"], "properties": {"actions": {
                "additionalProperties": {"not": {"required": ["trigger"]}}}}},
            "else": {"not": {"required": ["count"]}},
            "properties": {"policy": {
                "required": list(POLICY.required),
                "properties": {"modifiers": {"items": {
                    "required": list(MODIFIER.required), **NOT_REMOVE}}},
            }},
        }},
        "ladders": {"additionalProperties": {"required": ["ladder", "start"]}},
        "events": {"items": {
            **NOT_REMOVE,
            "oneOf": [{"required": ["at"]}, {"required": ["when"]}],
            "anyOf": [{"required": [key]}
                      for key in ("set", "tension", "stage", "flags", "variables")],
        }},
    },
}

SCENARIO = Node(
    "A scenario (scenarios/<id>.yaml) puts actors on a ladder: who they are, what they can do, "
    "how they choose, what happens when. A variant (a file with `extends`) gives only what it "
    "changes, merged over its baseline. See docs/format.md. The Python loader (`ladder "
    "validate`) also checks cross-references and ordering, and a variant after merging.",
    {
        "id": ref("fileId", "Required: file id (lower-case letters, digits, `_`, `-`). A "
                  "variant gives its own.", examples=["belarus-poland-2024"]),
        "title": text("Required: title of the scenario.",
                      "Belarus-Poland border, from 27 May 2024", non_empty=True),
        "description": text("Optional free text; required in a variant: what it changes and "
                            "why."),
        "sources": ref("sources"),
        "ladder": text("Required: a ladder id or a path to a ladder file.", "belarus-2024",
                       non_empty=True),
        "start": ref("stageId", "Required: start stage (not absorbing)."),
        "clock": ref("clock"),
        "runs": {"type": "integer", "minimum": 1, "maximum": MAX_RUNS, "default": 10000,
                 "description": "Optional default number of runs (default 10000).",
                 "examples": [10000]},
        "seed": {"type": "integer", "minimum": 0, "default": 0,
                 "description": "Optional default seed (default 0).", "examples": [7]},
        "tension": ref("tension"),
        "actors": {"type": "object", "minProperties": 1,
                   "description": "Required, at least one; keys are actor ids.",
                   "propertyNames": IDS, "additionalProperties": ref("actor")},
        "events": {"type": "array", "items": ref("event"),
                   "description": "Optional list of events."},
        **SCENARIO_MORE,
        "extends": text("Variants only: the baseline this file changes, a path relative to "
                        "this file or a scenario id (<id>.yaml in this folder, else "
                        "scenarios/<id>.yaml in a parent folder). The variant is merged over "
                        "the baseline; see docs/format.md, Variants.",
                        "belarus-poland-2024", "../belarus-poland-2024.yaml", non_empty=True),
        "changes": {"type": "array", "items": {"type": "string", "minLength": 1},
                    "uniqueItems": True,
                    "description": "Variants only, optional: every path the variant changes in "
                                   "its baseline; the loader checks the list against the merged "
                                   "file.",
                    "examples": [["actors.warsaw.policy.weights.open_checkpoint",
                                  "events[Checkpoint not opened (command's negative opinion)]"]]},
    },
    required=SCENARIO_REQUIRED, partial=True,
    rules={"if": {"required": ["extends"]},
           "then": {"required": [*VARIANT_OWN, "extends"],
                    "properties": {"sources": {"minItems": 1}}},
           "else": COMPLETE_FILE},
)

SCENARIO_DEFS: dict[str, Node | dict] = {
    "stageList": STAGE_LIST, "distribution": DISTRIBUTION, **NUMBERS,
    "clock": CLOCK, "tension": TENSION, "actor": ACTOR, "action": ACTION, "policy": POLICY,
    "modifier": MODIFIER, "event": EVENT, "eventTension": EVENT_TENSION, "scenario": SCENARIO,
    **DYNAMICS_DEFS,
}
