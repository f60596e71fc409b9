"""The JSON Schemas for editors (sim/format/schemas/*.schema.json) are what
`python -m sim.format.schema` writes from the vocabulary, are valid, accept the bundled files,
reject obvious mistakes, and name exactly the keys the loaders accept."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from sim.format import schema as writer
from sim.format import vocabulary
from sim.format.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "sim" / "format" / "schemas"
LADDER_SCHEMA_PATH = SCHEMAS / "ladder.schema.json"
SCENARIO_SCHEMA_PATH = SCHEMAS / "scenario.schema.json"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


LADDER_SCHEMA = _load(LADDER_SCHEMA_PATH)
SCENARIO_SCHEMA = _load(SCENARIO_SCHEMA_PATH)
LADDER = jsonschema.Draft202012Validator(LADDER_SCHEMA)
SCENARIO = jsonschema.Draft202012Validator(SCENARIO_SCHEMA)


def _isoify(value):
    """yaml.safe_load turns unquoted dates into datetime.date; the loader keeps them strings."""
    if isinstance(value, dt.date):  # also datetime.datetime
        return value.isoformat()
    if isinstance(value, dict):
        return {_isoify(k): _isoify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_isoify(v) for v in value]
    return value


def _yaml(path: Path):
    return _isoify(yaml.safe_load(path.read_text(encoding="utf-8")))


def _errors(validator, instance) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def schema_properties_at(schema: dict, pointer: str) -> set[str]:
    """The `properties` keys of the subschema at a JSON pointer (following a local `$ref`)."""
    node = schema
    for part in pointer.lstrip("/").split("/") if pointer else []:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    while "$ref" in node and "properties" not in node:
        node = schema_properties_at_ref(schema, node["$ref"])
    return set(node["properties"])


def schema_properties_at_ref(schema: dict, ref: str) -> dict:
    assert ref.startswith("#"), ref
    node = schema
    for part in ref[1:].lstrip("/").split("/") if ref[1:] else []:
        node = node[part]
    return node


# 0. The shipped schemas are generated from the vocabulary, which the loaders read.


@pytest.mark.parametrize("file", sorted(writer.FILES))
def test_shipped_schema_is_generated(file):
    assert (SCHEMAS / file).read_text(encoding="utf-8") == writer.dumps(
        writer.build_schemas()[file]), "run python -m sim.format.schema"


def test_check_reports_stale_schemas(tmp_path, capsys):
    assert writer.main(["--check"]) == 0
    assert writer.main(["--check", "--folder", str(tmp_path)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert writer.main(["--folder", str(tmp_path)]) == 0
    assert writer.main(["--check", "--folder", str(tmp_path)]) == 0
    (tmp_path / "ladder.schema.json").write_text("{}\n", encoding="utf-8")
    assert writer.stale_schemas(tmp_path) == [tmp_path / "ladder.schema.json"]


# Each closed key set of the loaders, and the vocabulary node it comes from.
LOADER_KEY_SETS = [
    ("ladder", "LADDER_KEYS", "ladder"), ("ladder", "STAGE_KEYS", "stage"),
    ("ladder", "EDGE_KEYS", "edge"), ("ladder", "GROUP_KEYS", "group"),
    ("scenario", "SCENARIO_KEYS", "scenario"), ("scenario", "TENSION_KEYS", "tension"),
    ("clock", "CLOCK_KEYS", "clock"), ("actors", "ACTOR_KEYS", "actor"),
    ("actors", "ACTION_KEYS", "action"), ("actors", "POLICY_KEYS", "policy"),
    ("actors", "MODIFIER_KEYS", "modifier"), ("events", "EVENT_KEYS", "event"),
    ("events", "EVENT_TENSION_KEYS", "eventTension"),
    ("distributions", "DIST_KEYS", "distribution"),
    ("dynamics", "VARIABLE_KEYS", "variable"), ("dynamics", "LEARN_KEYS", "learn"),
    ("dynamics", "FLAG_KEYS", "flag"), ("dynamics", "COUPLED_KEYS", "coupledLadder"),
    ("dynamics", "HAZARD_KEYS", "hazard"), ("dynamics", "PERCEIVE_KEYS", "perceive"),
    ("action_parts", "SIGNAL_KEYS", "signal"),
    ("observations", "OBSERVE_KEYS", "observe"), ("observations", "QUANTITY_KEYS", "observable"),
]


@pytest.mark.parametrize("module,name,node", LOADER_KEY_SETS,
                         ids=[n for _, n, _ in LOADER_KEY_SETS])
def test_loader_key_set_is_the_vocabulary_node(module, name, node):
    loader = importlib.import_module(f"sim.format.{module}")
    assert getattr(loader, name) == vocabulary.keys(node) == set(vocabulary.node(node).properties)


def test_every_vocabulary_node_is_read_by_the_loader():
    assert {node for _, _, node in LOADER_KEY_SETS} == set(vocabulary.nodes())


def test_required_keys_of_whole_nodes_are_in_the_schema():
    """Nodes a variant gives whole require their keys in the schema itself; the others (the
    partial ones) in the scenario schema's `else`, which the rejection tests below cover."""
    for file_schema in (LADDER_SCHEMA, SCENARIO_SCHEMA):
        for name, definition in file_schema["$defs"].items():
            if name in vocabulary.nodes() and not vocabulary.node(name).partial:
                assert definition.get("required", []) == list(vocabulary.required(name)), name
    assert LADDER_SCHEMA["required"] == list(vocabulary.required("ladder"))
    assert SCENARIO_SCHEMA["else"]["required"] == list(vocabulary.required("scenario"))


def test_condition_length_is_the_parsers():
    from sim.format.expr import ExprError, Symbols, compile_condition

    longest = "true" + " " * (vocabulary.MAX_CONDITION - 4)
    compile_condition(longest, Symbols.of(("calm",), {}))
    with pytest.raises(ExprError, match="characters long"):
        compile_condition(longest + " ", Symbols.of(("calm",), {}))


def test_schema_defaults_are_the_loaders(tmp_path):
    """Every `default` the schemas state is the value the loader gives an absent key."""
    (tmp_path / "ladders").mkdir()
    (tmp_path / "ladders" / "mini-ladder.yaml").write_text(json.dumps(MINIMAL_LADDER))
    doc = _with(MINIMAL_SCENARIO, ("events",), [{"name": "e", "at": 3, "stage": "calm"}])
    (tmp_path / "mini.yaml").write_text(json.dumps(doc))
    s = load_scenario(tmp_path / "mini.yaml")
    stage, action = s.ladder.stages[0], s.actor("a").actions[0]  # calm; wait: null
    loaded = {
        ("scenario", "runs"): s.runs, ("scenario", "seed"): s.seed,
        ("clock", "step"): s.clock.step, ("tension", "initial"): s.initial_tension,
        ("tension", "decay"): s.decay, ("action", "effect"): action.effect,
        ("event", "once"): s.events[0].once, ("stage", "dwell"): stage.dwell,
        ("stage", "absorbing"): stage.absorbing,
        ("scenario", "key"): s.key, ("scenario", "reads"): s.reads,
    }
    # the dynamics' defaults, on a file that gives each of their mappings with nothing set
    dyn = json.loads(json.dumps(doc))
    dyn["variables"] = {"v": None}
    dyn["flags"] = {"f": None}
    dyn["ladders"] = {"other": {"ladder": "mini-ladder", "start": "calm"}}
    dyn["actors"]["a"]["perceives"] = {"v": None}
    dyn["actors"]["a"]["actions"]["act"] = {"signal": {"shows": "wait"}, "trigger": "war",
                                             "requires": "b.go"}
    dyn["actors"]["b"] = {"kind": "state", "actions": {"go": None},
                          "policy": {"weights": {"go": 1}}}
    dyn["clock"]["start_date"] = "2024-01-01"
    dyn["observe"] = {"quantities": {"go": {"count": "b.go"}}}
    (tmp_path / "dyn.yaml").write_text(json.dumps(dyn))
    d = load_scenario(tmp_path / "dyn.yaml")
    act, variable = d.actor("a").actions[1], d.variables[0]
    loaded |= {
        ("variable", "initial"): variable.initial, ("variable", "decay"): variable.decay,
        ("flag", "initial"): d.flags[0].initial,
        ("coupledLadder", "reads"): d.coupled[0].reads,
        ("coupledLadder", "ends_run"): d.coupled[0].ends_run,
        ("perceive", "lag"): d.actor("a").perceives[0].lag,
        ("signal", "p"): act.signal[1], ("action", "within"): act.within,
        ("observe", "period"): d.observe.period,
        ("observable", "scale"): d.observe.quantities[0].scale,
    }
    stated = {(name, key): fragment["default"] for name, node in vocabulary.nodes().items()
              for key, fragment in node.properties.items() if "default" in fragment}
    assert stated == loaded


# 1. The schemas are valid Draft 2020-12 schemas.


@pytest.mark.parametrize("path", [LADDER_SCHEMA_PATH, SCENARIO_SCHEMA_PATH], ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path):
    schema = _load(path)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema
    assert schema["title"] and schema["description"]


def _walk(node, pointer=""):
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from _walk(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{i}")


@pytest.mark.parametrize("schema", [LADDER_SCHEMA, SCENARIO_SCHEMA], ids=["ladder", "scenario"])
def test_every_property_has_a_description(schema):
    missing = [
        f"{pointer}/properties/{key}"
        for pointer, node in _walk(schema)
        if isinstance(node.get("properties"), dict) and not pointer.endswith("/properties")
        and not {"if", "then", "else"} & set(pointer.split("/"))  # conditional branches
        for key, sub in node["properties"].items()
        if isinstance(sub, dict) and sub and "description" not in sub
        and not ("$ref" in sub and "description" in schema_properties_at_ref(schema, sub["$ref"]))
    ]
    assert missing == []


# 2. Every bundled file validates.

LADDER_FILES = sorted((ROOT / "ladders").glob("*.yaml"))
# History records (`kind: history-record`) live under scenarios/ but are data, not
# scenarios; no JSON Schema covers them yet (docs/format.md, "History records").
SCENARIO_FILES = sorted(p for p in (ROOT / "scenarios").glob("**/*.yaml")
                        if "\nkind: history-record\n" not in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", LADDER_FILES, ids=lambda p: p.name)
def test_bundled_ladder_validates(path):
    assert _errors(LADDER, _yaml(path)) == []


@pytest.mark.parametrize(
    "path", SCENARIO_FILES, ids=lambda p: str(p.relative_to(ROOT / "scenarios"))
)
def test_bundled_scenario_validates(path):
    assert _errors(SCENARIO, _yaml(path)) == []


# 3. The schemas' key vocabularies match the loaders' closed key sets.

LADDER_VOCAB = [
    ("", "LADDER_KEYS"),
    ("/$defs/stage", "STAGE_KEYS"),
    ("/$defs/edge", "EDGE_KEYS"),
    ("/$defs/group", "GROUP_KEYS"),
]
SCENARIO_VOCAB = [
    ("", "SCENARIO_KEYS"),
    ("/$defs/clock", "CLOCK_KEYS"),
    ("/$defs/tension", "TENSION_KEYS"),
    ("/$defs/actor", "ACTOR_KEYS"),
    ("/$defs/action", "ACTION_KEYS"),
    ("/$defs/policy", "POLICY_KEYS"),
    ("/$defs/modifier", "MODIFIER_KEYS"),
    ("/$defs/event", "EVENT_KEYS"),
    ("/$defs/eventTension", "EVENT_TENSION_KEYS"),
]


@pytest.mark.parametrize("pointer,name", LADDER_VOCAB, ids=[n for _, n in LADDER_VOCAB])
def test_ladder_schema_keys_match_loader(pointer, name):
    from sim.format import ladder

    assert schema_properties_at(LADDER_SCHEMA, pointer) == set(getattr(ladder, name))


@pytest.mark.parametrize("pointer,name", SCENARIO_VOCAB, ids=[n for _, n in SCENARIO_VOCAB])
def test_scenario_schema_keys_match_loader(pointer, name):
    from sim.format import actors, clock, events, scenario

    module = next(m for m in (scenario, clock, actors, events) if hasattr(m, name))
    assert schema_properties_at(SCENARIO_SCHEMA, pointer) == set(getattr(module, name))


def test_distribution_keys_match_loader():
    from sim.format import distributions

    dist = SCENARIO_SCHEMA["$defs"]["distribution"]
    assert schema_properties_at(SCENARIO_SCHEMA, "/$defs/distribution") == set(
        distributions.DIST_KEYS
    )
    kinds = {key for branch in dist["oneOf"] for key in branch["required"]}
    assert kinds == set(distributions.DIST_KINDS)


def test_closed_objects_forbid_unknown_keys():
    """Every object schema that lists its keys is closed (additionalProperties: false)."""
    for schema in (LADDER_SCHEMA, SCENARIO_SCHEMA):
        open_ = [
            pointer
            for pointer, node in _walk(schema)
            if isinstance(node.get("properties"), dict)
            and "object" in (node.get("type") if isinstance(node.get("type"), list)
                             else [node.get("type")])
            and node.get("additionalProperties") is not False
        ]
        assert open_ == []


# 4. Minimal valid files are accepted; obvious mistakes are rejected.

MINIMAL_LADDER = {
    "id": "mini-ladder",
    "title": "Minimal ladder",
    "stages": [
        {"id": "calm", "name": "Calm", "up": 2.0},
        {"id": "war", "name": "War", "absorbing": True},
    ],
}

MINIMAL_SCENARIO = {
    "id": "mini",
    "title": "Minimal scenario",
    "ladder": "mini-ladder",
    "start": "calm",
    "clock": {"horizon": 10},
    "actors": {
        "a": {
            "kind": "state",
            "actions": {"wait": None, "act": {"effect": 1}},
            "policy": {"weights": {"wait": 1}},
        }
    },
}

FULL_SCENARIO = {
    "id": "belarus-poland-2024",
    "title": "Belarus-Poland border, from 27 May 2024",
    "description": "...",
    "sources": ["seed/000_1d9278c0006c27ac.txt"],
    "ladder": "belarus-2024",
    "start": "hybrid_pressure",
    "clock": {"step": "day", "horizon": 90, "start_date": "2024-05-27"},
    "runs": 10000,
    "seed": 7,
    "tension": {"initial": 3.0, "decay": {"beta": [9, 1]}},
    "actors": {
        "minsk": {
            "name": "Belarusian authorities",
            "kind": "state",
            "actions": {
                "push_migrants": {"effect": {"normal": [0.8, 0.2], "clip": [0, 2]}},
                "declare_crisis": {"trigger": "mp_crisis", "allowed": ["border_incident"]},
            },
            "policy": {
                "weights": {"push_migrants": 5, "declare_crisis": 0},
                "stages": {"border_incident": {"declare_crisis": 0.3}},
                "modifiers": [
                    {"when": "warsaw.last == open_checkpoint", "scale": {"push_migrants": 0.5}},
                    {"when": "tension >= 6", "scale": {"declare_crisis": 2}},
                ],
            },
        },
        "crowd": {
            "kind": "population",
            "count": {"choice": [20, 40, 60], "p": [0.2, 0.5, 0.3]},
            "actions": {"protest": {"effect": {"uniform": [0.5, 1.2]}}},
            "policy": {"weights": {"protest": 1}},
        },
    },
    "events": [
        {
            "name": "Buffer zone reinstated",
            "at": "2024-06-04",
            "set": {
                "actors.warsaw.policy.weights.harden": 4,
                "actors.minsk.policy.modifiers.0.scale.push_migrants": {"uniform": [0, 1]},
                "tension.decay": 0.8,
            },
        },
        {
            "name": "NATO Article 4 consultations",
            "when": "stage >= border_incident",
            "once": True,
            "tension": {"add": -1.0},
            "stage": "border_incident",
        },
        {"name": "Step event", "at": 5, "tension": {"set": 2}},
    ],
}


def test_minimal_ladder_accepted():
    assert _errors(LADDER, MINIMAL_LADDER) == []


def test_minimal_scenario_accepted():
    assert _errors(SCENARIO, MINIMAL_SCENARIO) == []


def test_full_spec_example_scenario_accepted():
    assert _errors(SCENARIO, FULL_SCENARIO) == []


def test_observe_block_accepted():
    """docs/format.md's `observe:` example (Observations)."""
    observe = {"period": "month", "quantities": {
        "belarus_stage": {"stage": "belarus"},
        "crossing_attempts": {"count": "migrant_groups.attempt_crossing", "scale": 6.0,
                              "description": "people per modelled group-attempt"},
        "alarm": {"mean": "warsaw.alarm"}}}
    assert _errors(SCENARIO, _with(FULL_SCENARIO, ("observe",), observe)) == []


def _with(base: dict, path: tuple, value) -> dict:
    """A deep copy of base with the value at path (keys/indices) replaced; None deletes."""
    doc = json.loads(json.dumps(base))
    node = doc
    for part in path[:-1]:
        node = node[part]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


BAD_LADDERS = {
    "unknown top-level key": _with(MINIMAL_LADDER, ("stagez",), []),
    "missing title": _with(MINIMAL_LADDER, ("title",), None),
    "one stage": _with(MINIMAL_LADDER, ("stages",), [{"id": "calm", "name": "Calm"}]),
    "bad stage id": _with(MINIMAL_LADDER, ("stages", 0, "id"), "Calm"),
    "bad file id": _with(MINIMAL_LADDER, ("id",), "Mini Ladder"),
    "unknown stage key": _with(MINIMAL_LADDER, ("stages", 0, "upp"), 2.0),
    "dwell without down": _with(MINIMAL_LADDER, ("stages", 0, "dwell"), 3),
    "absorbing with up": _with(MINIMAL_LADDER, ("stages", 1, "up"), 9.0),
    "group without name": _with(
        MINIMAL_LADDER, ("groups",), [{"id": "g", "first": "calm", "last": "war"}]
    ),
    "edge without to": _with(MINIMAL_LADDER, ("edges",), [{"from": "calm"}]),
    "guard too long": _with(
        MINIMAL_LADDER, ("edges",), [{"from": "calm", "to": "war", "guard": "x" * 1001}]
    ),
}

ACTOR = ("actors", "a")
BAD_SCENARIOS = {
    "unknown top-level key": _with(MINIMAL_SCENARIO, ("actor",), {}),
    "missing clock": _with(MINIMAL_SCENARIO, ("clock",), None),
    "wrong kind": _with(MINIMAL_SCENARIO, (*ACTOR, "kind"), "nation"),
    "wrong step": _with(MINIMAL_SCENARIO, ("clock", "step"), "month"),
    "bad actor id": _with(MINIMAL_SCENARIO, ("actors",), {"Minsk": {"actions": {"w": {}}}}),
    "actor without policy": _with(MINIMAL_SCENARIO, (*ACTOR, "policy"), None),
    "policy without weights": _with(MINIMAL_SCENARIO, (*ACTOR, "policy"), {"stages": {}}),
    "unknown action key": _with(MINIMAL_SCENARIO, (*ACTOR, "actions", "act", "efect"), 1),
    "no actions": _with(MINIMAL_SCENARIO, (*ACTOR, "actions"), {}),
    "count on a state": _with(MINIMAL_SCENARIO, (*ACTOR, "count"), 3),
    "population without count": _with(MINIMAL_SCENARIO, (*ACTOR, "kind"), "population"),
    "distribution with two kinds": _with(
        MINIMAL_SCENARIO,
        (*ACTOR, "actions", "act", "effect"),
        {"uniform": [0, 1], "normal": [0, 1]},
    ),
    "distribution with no kind": _with(
        MINIMAL_SCENARIO, (*ACTOR, "actions", "act", "effect"), {"clip": [0, 1]}
    ),
    "p without choice": _with(
        MINIMAL_SCENARIO, (*ACTOR, "actions", "act", "effect"), {"uniform": [0, 1], "p": [1]}
    ),
    "negative weight": _with(MINIMAL_SCENARIO, (*ACTOR, "policy", "weights", "wait"), -1),
    "decay above 1": _with(MINIMAL_SCENARIO, ("tension",), {"decay": 1.5}),
    "event with both at and when": _with(
        MINIMAL_SCENARIO, ("events",), [{"name": "e", "at": 3, "when": "true", "stage": "calm"}]
    ),
    "event with neither at nor when": _with(
        MINIMAL_SCENARIO, ("events",), [{"name": "e", "stage": "calm"}]
    ),
    "event that does nothing": _with(MINIMAL_SCENARIO, ("events",), [{"name": "e", "at": 3}]),
    "event at step 0": _with(
        MINIMAL_SCENARIO, ("events",), [{"name": "e", "at": 0, "stage": "calm"}]
    ),
    "event at a bad date": _with(
        MINIMAL_SCENARIO, ("events",), [{"name": "e", "at": "4 June 2024", "stage": "calm"}]
    ),
    "event tension add and set": _with(
        MINIMAL_SCENARIO, ("events",), [{"name": "e", "at": 3, "tension": {"add": 1, "set": 2}}]
    ),
    "observed quantity with two kinds": _with(
        MINIMAL_SCENARIO, ("observe",),
        {"quantities": {"q": {"stage": "main", "count": "a.wait"}}}),
    "observed quantity with no kind": _with(
        MINIMAL_SCENARIO, ("observe",), {"quantities": {"q": {"scale": 2}}}),
    "observed period not a month": _with(
        MINIMAL_SCENARIO, ("observe",), {"period": "year", "quantities": {"q": {"stage": "m"}}}),
    "event set with unknown path": _with(
        MINIMAL_SCENARIO, ("events",), [{"name": "e", "at": 3, "set": {"tension.initial": 1}}]
    ),
}


@pytest.mark.parametrize("doc", BAD_LADDERS.values(), ids=BAD_LADDERS.keys())
def test_ladder_schema_rejects(doc):
    assert _errors(LADDER, doc) != []


@pytest.mark.parametrize("doc", BAD_SCENARIOS.values(), ids=BAD_SCENARIOS.keys())
def test_scenario_schema_rejects(doc):
    assert _errors(SCENARIO, doc) != []
