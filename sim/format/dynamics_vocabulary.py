"""The vocabulary of a scenario's dynamics: state variables, flags, coupled ladders, hazards,
perception, signals and joint decisions (see `vocabulary`; docs/format.md, "State variables"
and after).

`scenario_vocabulary` adds the keys here to its scenario, actor, action and event nodes, and
lists these nodes among its definitions, so the loader and the JSON Schema share them.
"""

from __future__ import annotations

from .vocabulary import ID, MAX_MAGNITUDE, Node, ref, text

MAX_LAG = 365  # steps: the oldest value an actor can be made to perceive
NAME = r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$"  # a variable or flag: `x` or `<actor>.x`
ACTION_REF = r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$"  # `<actor>.<action>`
STAGE_REF = r"^([a-z_][a-z0-9_]*:)?[a-z_][a-z0-9_]*$"  # `stage` or `<ladder key>:<stage>`
BOUNDED = {"type": "number", "minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE}
NAMES = {"type": "array", "minItems": 1, "uniqueItems": True,
         "items": {"type": "string", "pattern": NAME}}

VARIABLE = Node(
    "A state variable: a named number per run, scenario-wide (`x`) or held by an actor "
    "(`<actor>.x`). Each step: value = decay * value + this step's effects on it, kept within "
    "[min, max]; or, with `learn`, moved toward what its holder observes.",
    {
        "initial": ref("numberOrDistribution", "Value at step 0 (default 0).", default=0),
        "decay": {"description": "Decay factor in [0, 1], number or distribution (default 1). "
                                 "Not with `learn`.",
                  "anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                            ref("distribution")], "default": 1},
        "min": BOUNDED | {"description": "Optional lower bound."},
        "max": BOUNDED | {"description": "Optional upper bound."},
        "learn": ref("learn"),
        "description": text("Optional free text: what the number stands for."),
    },
    type=["object", "null"],
)

LEARN = Node(
    "Learning: each step, value += rate * (x - value), where x is the share of the `toward` "
    "conditions that hold, seen through the holder's perception.",
    {
        "rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
                 "description": "Required: the share of the gap closed per step."},
        "toward": {"description": "Required: a condition, or a list of conditions.",
                   "anyOf": [ref("condition"),
                             {"type": "array", "minItems": 1, "items": ref("condition")}],
                   "examples": [["warsaw.last == harden",
                                 "polish_border_forces.last == reinforce"]]},
    },
    required=("rate", "toward"),
)

FLAG = Node(
    "A flag: a standing state (true or false per run) that actions and events set and clear.",
    {
        "initial": {"type": "boolean", "default": False, "description": "Default false."},
        "description": text("Optional free text."),
    },
    type=["object", "null"],
)

COUPLED = Node(
    "A further ladder, coupled to the main one through the actors, variables and conditions.",
    {
        "ladder": text("Required: a ladder id or a path to a ladder file.", "poland-nato-response",
                       non_empty=True),
        "start": ref("stageId", "Required: its start stage (not absorbing)."),
        "reads": {"type": "string", "pattern": NAME, "default": "tension",
                  "description": "The variable its thresholds (and its guards' `tension`) read "
                                 "(default tension)."},
        "ends_run": {"type": "boolean", "default": True,
                     "description": "Default true: entering one of its absorbing stages ends the "
                                    "run; false: the ladder stays there and the run goes on."},
        "description": text("Optional free text."),
    },
    required=("ladder", "start"), partial=True,
)

HAZARD = Node(
    "A chance transition: at a stage, each step, the ladder moves to `to` with probability `p` "
    "(where `when` holds), with no actor's decision; its cause is `accident`.",
    {
        "ladder": {"type": "string", "pattern": ID,
                   "description": "The ladder's key (default: the main ladder)."},
        "at": {"description": "Required: the stage, or stages, where the hazard runs.",
               "anyOf": [ref("stageId"), ref("stageList")]},
        "to": ref("stageId", "Required: the stage it moves to (an edge must lead there)."),
        "p": {"description": "Required: probability per step, in [0, 1], number or "
                             "distribution.",
              "anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, ref("distribution")]},
        "when": ref("condition", "Optional: the hazard runs only while this holds."),
        "description": text("Optional free text."),
    },
    required=("at", "to", "p"),
)

PERCEIVE = Node(
    "How an actor sees one quantity: value k steps old (`lag`), plus `bias`, plus `noise` times a "
    "standard normal draw each step. A stage is seen in rungs, rounded and kept on the ladder.",
    {
        "bias": ref("numberOrDistribution", "Added to what it sees (default 0)."),
        "noise": {"description": "Standard deviation of the error drawn each step (default 0).",
                  "anyOf": [{"type": "number", "minimum": 0, "maximum": MAX_MAGNITUDE},
                            ref("distribution")]},
        "lag": {"type": "integer", "minimum": 0, "maximum": MAX_LAG, "default": 0,
                "description": f"Steps old, 0 to {MAX_LAG} (default 0)."},
    },
    type=["object", "null"],
)

SIGNAL = Node(
    "What others see of an action: with probability `p` they see action `shows` instead.",
    {
        "shows": ref("stageId", "Required: another action of the same actor.",
                     examples=["signal_restraint"]),
        "p": {"type": "number", "minimum": 0, "maximum": 1, "default": 1,
              "description": "Probability per step that the signal is shown (default 1)."},
    },
    required=("shows",),
)

OBSERVE = Node(
    "An observation layer: quantities recorded per run and calendar period, to compare with "
    "observed history (docs/format.md, Observations).",
    {
        "period": {"type": "string", "enum": ["month"], "default": "month",
                   "description": "The period: calendar months of the clock (needs "
                                  "clock.start_date); a step belongs to the month of its date."},
        "quantities": {"type": "object", "minProperties": 1, "propertyNames": {"pattern": ID},
                       "additionalProperties": ref("observable"),
                       "description": "Required: each quantity, by name (a column of "
                                      "observations.csv)."},
    },
    required=("quantities",),
)

OBSERVABLE = Node(
    "One observed quantity: exactly one of `stage`, `count`, `mean`.",
    {
        "stage": {"type": "string", "pattern": ID,
                  "description": "A ladder key: the highest stage index it held in the period."},
        "count": {"type": "string", "pattern": ACTION_REF,
                  "description": "`<actor>.<action>`: how often it was chosen in the period "
                                 "(a population: members choosing it), times `scale`.",
                  "examples": ["migrant_groups.attempt_crossing"]},
        "mean": {"type": "string", "pattern": NAME,
                 "description": "tension or a variable: its mean over the period's steps."},
        "scale": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MAGNITUDE,
                  "default": 1, "description": "With `count`: a factor (default 1), e.g. "
                                               "people per modelled member."},
        "description": text("Optional free text: what it stands for, and its source."),
    },
    rules={"oneOf": [{"required": ["stage"]}, {"required": ["count"]},
                     {"required": ["mean"]}]},
)

VARIABLE_CHANGE = {"type": "object", "propertyNames": {"pattern": NAME}, "minProperties": 1,
                   "additionalProperties": ref("eventTension"),
                   "description": "Variables to change: name -> {add: x} or {set: x}.",
                   "examples": [{"minsk.threat": {"add": 0.5}}]}

SCENARIO_MORE: dict[str, dict] = {  # keys of the scenario node
    "key": {"type": "string", "pattern": ID, "default": "main",
            "description": "The main ladder's key in conditions (`<key>.stage`), triggers and "
                           "outputs (default main)."},
    "reads": {"type": "string", "pattern": NAME, "default": "tension",
              "description": "The variable the main ladder's thresholds read (default tension)."},
    "ladders": {"type": "object", "propertyNames": {"pattern": ID},
                "additionalProperties": ref("coupledLadder"),
                "description": "Optional further ladders, by key."},
    "variables": {"type": "object", "propertyNames": {"pattern": NAME},
                  "additionalProperties": ref("variable"),
                  "description": "Optional state variables, by name."},
    "flags": {"type": "object", "propertyNames": {"pattern": NAME},
              "additionalProperties": ref("flag"), "description": "Optional flags, by name."},
    "hazards": {"type": "array", "items": ref("hazard"),
                "description": "Optional chance transitions."},
    "observe": ref("observe", "Optional: quantities recorded per period for calibration."),
}
ACTOR_MORE: dict[str, dict] = {
    "perceives": {"type": "object", "additionalProperties": ref("perceive"),
                  "propertyNames": {"pattern": NAME},
                  "description": "Optional: how this actor sees tension, a variable, `stage` or "
                                 "`<key>.stage`; its own conditions read what it sees.",
                  "examples": [{"minsk.threat": {"bias": 0.5, "noise": 0.2, "lag": 2}}]},
}
ACTION_MORE: dict[str, dict] = {
    "sets": NAMES | {"description": "Optional: flags this action sets."},
    "clears": NAMES | {"description": "Optional: flags this action clears."},
    "signal": ref("signal"),
    "requires": {"type": "string", "pattern": ACTION_REF,
                 "description": "Optional, with `trigger`: the trigger fires only if this "
                                "`<actor>.<action>` is chosen in the same step (or within "
                                "`within` steps before): a joint decision.",
                 "examples": ["moscow.authorise_release"]},
    "within": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 0,
               "description": "With `requires`: how many steps back the other action counts "
                              "(default 0: the same step only)."},
}
EFFECT_MAP = {"type": "object", "minProperties": 1, "propertyNames": {"pattern": NAME},
              "additionalProperties": ref("numberOrDistribution"),
              "description": "Variable name (or tension) -> change.",
              "examples": [{"minsk.threat": 0.3, "tension": 0.1}]}
EVENT_MORE: dict[str, dict] = {
    "flags": {"type": "object", "propertyNames": {"pattern": NAME}, "minProperties": 1,
              "additionalProperties": {"type": "boolean"},
              "description": "Flags to set (true) or clear (false).",
              "examples": [{"warsaw.checkpoint_open": True}]},
    "variables": VARIABLE_CHANGE,
}

DYNAMICS_DEFS: dict[str, Node | dict] = {
    "variable": VARIABLE, "learn": LEARN, "flag": FLAG, "coupledLadder": COUPLED,
    "hazard": HAZARD, "perceive": PERCEIVE, "signal": SIGNAL, "observe": OBSERVE,
    "observable": OBSERVABLE,
}
