"""Loading ladders and scenarios is safe: no Python tags, bounded size and expansion, YAML
1.1 booleans and dates stay strings, and every malformed input is a ValidationError (with a
line where there is one), never another exception."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sim.errors import ValidationError
from sim.format.ladder import read_ladder
from sim.format.scenario import read_scenario
from sim.format.yamlio import MAX_BYTES, MAX_DEPTH, MAX_NODES, parse_yaml

CORPUS = Path(__file__).resolve().parent / "corpus"
TINY = CORPUS / "ladders_ok" / "tiny.yaml"

READERS = [pytest.param(read_ladder, id="ladder"), pytest.param(read_scenario, id="scenario")]

LADDER_HEAD = "id: t\ntitle: T\n"  # lines 1-2; the line under test is line 3
SCENARIO_HEAD = f"id: s\nladder: {TINY}\n"


@pytest.fixture(autouse=True)
def corpus_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenarios written to tmp_path use the corpus's tiny.yaml, outside their project: allow
    it, as `--allow-outside` does (tests/test_file_access.py tests the rule itself)."""
    monkeypatch.setenv("LADDER_ALLOW_OUTSIDE", str(CORPUS))


def head(reader) -> str:
    return LADDER_HEAD if reader is read_ladder else SCENARIO_HEAD


def refuse(reader, path: Path):
    """Load path, which must fail with a ValidationError (and nothing else); its problems."""
    try:
        reader(path)
    except ValidationError as exc:
        assert exc.problems, "a ValidationError must carry at least one problem"
        return exc.problems
    except Exception as exc:  # noqa: BLE001 - the point of the test
        pytest.fail(f"{type(exc).__name__} escaped instead of ValidationError: {exc}")
    pytest.fail(f"{path.name} was accepted")


def write(tmp_path: Path, text: str | bytes, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def only(problems):
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# -- tags ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("reader", READERS)
def test_python_object_apply_is_refused_and_never_runs(reader, tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    path = write(tmp_path, head(reader)
                 + f'description: !!python/object/apply:os.system ["touch {pwned}"]\n')
    p = only(refuse(reader, path))
    assert p.line == 3
    assert "python/object/apply:os.system" in p.message and "not allowed" in p.message
    assert str(p).startswith(f"{path}:3: ")
    assert not pwned.exists()


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("value, tag", [
    ("!!python/name:os.system ''", "python/name:os.system"),
    ("!!python/object/new:os.system [echo]", "python/object/new:os.system"),
    ("!!python/object:__main__.X {a: 1}", "python/object:__main__.X"),
    ("!foo bar", "!foo"),
    ("!foo {a: 1}", "!foo"),
    ("!foo [1, 2]", "!foo"),
    ("!!binary aGVsbG8=", "binary"),
    ("!!set {a, b}", "set"),
    ("!!timestamp 2024-05-27", "timestamp"),
])
def test_other_tags_are_refused_with_tag_and_line(reader, value: str, tag: str,
                                                  tmp_path: Path) -> None:
    path = write(tmp_path, head(reader) + f"description: {value}\n")
    p = only(refuse(reader, path))
    assert (p.line, p.field) == (3, "")
    assert tag in p.message and "is not allowed" in p.message


@pytest.mark.parametrize("reader", READERS)
def test_tag_nested_deep_inside_is_refused_at_its_line(reader, tmp_path: Path) -> None:
    text = head(reader) + ("stages:\n  - id: a\n    name: A\n"
                           "    description: !!python/name:os.getcwd ''\n")
    p = only(refuse(reader, write(tmp_path, text)))
    assert p.line == 6 and "python/name:os.getcwd" in p.message


def test_merge_key_is_not_a_merge(tmp_path: Path) -> None:
    """`<<` is not resolved as a merge: it is an unknown key like any other."""
    text = ("id: t\ntitle: T\nstages:\n  - &a {id: calm, name: Calm, up: 2}\n"
            "  - <<: *a\n    id: tense\n")
    problems = refuse(read_ladder, write(tmp_path, text))
    assert any(p.field == "stages[1].<<" and "unknown key" in p.message for p in problems)


# -- booleans and dates stay strings ------------------------------------------------------------

def test_yaml11_booleans_stay_strings_in_a_ladder() -> None:
    ladder, warnings = read_ladder(CORPUS / "ladders_ok" / "on_off.yaml")
    assert ladder.stage_ids == ("off", "on", "y")
    assert [s.name for s in ladder.stages] == ["no", "yes", "n"]
    assert all(type(s) is str for s in ladder.stage_ids)
    assert warnings == []


def test_yaml11_booleans_stay_strings_in_a_scenario(tmp_path: Path) -> None:
    text = f"""\
id: s
title: S
ladder: {CORPUS / 'ladders_ok' / 'on_off.yaml'}
start: off
clock: {{horizon: 10}}
actors:
  no:
    name: n
    kind: state
    actions:
      yes: {{effect: 1}}
      n: {{effect: -1}}
    policy:
      weights: {{yes: 1, n: 1}}
      stages:
        on: {{yes: 2}}
      modifiers:
        - when: "no.last == yes and stage >= on"
          scale: {{n: 2}}
events:
  - name: Y
    when: "stage == off"
    stage: on
"""
    scenario, _ = read_scenario(write(tmp_path, text))
    assert scenario.start == "off"
    actor = scenario.actor("no")
    assert (actor.id, actor.name, actor.action_ids) == ("no", "n", ("yes", "n"))
    assert actor.policy.stages == {"on": {"yes": 2}}
    assert scenario.events[0].stage == "on"


def test_true_false_are_still_booleans(tmp_path: Path) -> None:
    text = "id: t\ntitle: T\nstages:\n  - {id: calm, name: Calm, up: 2}\n" \
           "  - {id: war, name: War, absorbing: yes}\n"
    p = only(refuse(read_ladder, write(tmp_path, text)))
    assert (p.line, p.field) == (5, "stages.war.absorbing")
    assert "expected true or false, got the string 'yes'" in p.message


def test_dates_stay_strings(tmp_path: Path) -> None:
    ladder, _ = read_ladder(CORPUS / "ladders_ok" / "on_off.yaml")
    assert ladder.title == "2024-05-27" and type(ladder.title) is str
    text = ("id: t\ntitle: 2024-05-27\ndescription: 2024-05-27 12:00:00\nsources: [2024-05-27]\n"
            "stages:\n  - {id: calm, name: 2024-05-27, up: 2}\n"
            "  - {id: war, name: W, absorbing: true}\n")
    ladder, _ = read_ladder(write(tmp_path, text))
    assert (ladder.title, ladder.description, ladder.sources, ladder.stages[0].name) == (
        "2024-05-27", "2024-05-27 12:00:00", ("2024-05-27",), "2024-05-27")


def test_scenario_start_date_is_parsed_from_its_string(tmp_path: Path) -> None:
    text = (f"id: s\ntitle: S\nladder: {TINY}\nstart: calm\n"
            "clock: {horizon: 10, start_date: 2024-05-27}\n"
            "actors: {red: {kind: state, actions: {a: {effect: 1}}, policy: {weights: {a: 1}}}}\n")
    scenario, _ = read_scenario(write(tmp_path, text))
    assert str(scenario.clock.start_date) == "2024-05-27"


# -- size and expansion bounds ------------------------------------------------------------------

def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("reader", READERS)
def test_billion_laughs_is_refused_quickly(reader, tmp_path: Path) -> None:
    path = write(tmp_path, billion_laughs())
    start = time.perf_counter()
    p = only(refuse(reader, path))
    elapsed = time.perf_counter() - start
    assert f"more than {MAX_NODES} values" in p.message and "alias bomb" in p.message
    # Unbounded, the expansion would be 9**9 values (hours); the bound stops it in well under a
    # second on a quiet machine. A loose limit, so a loaded 2-core machine cannot fail it.
    assert elapsed < 30.0, f"took {elapsed:.2f}s"


@pytest.mark.parametrize("reader", READERS)
def test_billion_laughs_inside_a_valid_looking_file(reader, tmp_path: Path) -> None:
    text = head(reader) + "sources: [" + ", ".join(["*a8"] * 9) + "]\n"
    path = write(tmp_path, billion_laughs() + text)
    p = only(refuse(reader, path))
    assert "alias bomb" in p.message


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("text", ["a: &x [*x]\n", "a: &x {b: *x}\n", "- &x [a, *x]\n"])
def test_self_referential_alias_is_refused(reader, text: str, tmp_path: Path) -> None:
    start = time.perf_counter()
    p = only(refuse(reader, write(tmp_path, text)))
    assert f"deeper than {MAX_DEPTH} levels" in p.message and "recursive alias" in p.message
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("reader", READERS)
def test_file_over_the_size_bound_is_refused(reader, tmp_path: Path) -> None:
    text = head(reader) + "description: >\n" + ("  " + "x" * 98 + "\n") * 30_000
    path = write(tmp_path, text)
    assert path.stat().st_size > MAX_BYTES and path.stat().st_size >= 3_000_000
    p = only(refuse(reader, path))
    assert p.line is None
    assert p.message == f"file is {path.stat().st_size} bytes; at most {MAX_BYTES} allowed"


@pytest.mark.parametrize("reader", READERS)
def test_invalid_utf8_is_refused(reader, tmp_path: Path) -> None:
    path = write(tmp_path, head(reader).encode() + b"description: caf\xe9 \xff\n")
    p = only(refuse(reader, path))
    assert p.message.startswith("not UTF-8 text")


# -- malformed YAML -----------------------------------------------------------------------------

@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("tail, line", [
    ("description: a: b\n", 3),                       # mapping values not allowed here
    ('description: "unterminated\n', 4),               # end of stream inside a quoted string
    ("description: [a, b\nsources: []\n", 4),         # unclosed flow sequence
    ("description: x\n\tsources: []\n", 4),           # a tab cannot start a token
    ("description: *nope\n", 3),                      # undefined alias
    ("description: x\n---\nid: y\n", 4),              # a second document
])
def test_syntax_error_reports_its_line(reader, tail: str, line: int, tmp_path: Path) -> None:
    path = write(tmp_path, head(reader) + tail)
    p = only(refuse(reader, path))
    assert p.line == line, str(p)
    assert p.message.startswith("YAML syntax error: ")
    assert str(p).startswith(f"{path}:{line}: YAML syntax error")


@pytest.mark.parametrize("reader", READERS)
def test_duplicate_keys_are_reported(reader, tmp_path: Path) -> None:
    p = only(refuse(reader, write(tmp_path, head(reader) + "id: again\n")))
    assert (p.line, p.message) == (3, "duplicate key 'id'")


def test_duplicate_keys_deep_inside_are_reported(tmp_path: Path) -> None:
    text = "id: t\ntitle: T\nstages:\n  - id: a\n    name: A\n    up: 1\n    up: 2\n"
    p = only(refuse(read_ladder, write(tmp_path, text)))
    assert (p.line, p.message) == (7, "duplicate key 'up'")


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "  \n# two\n# comments\n"])
def test_empty_file_is_reported(reader, text: str, tmp_path: Path) -> None:
    p = only(refuse(reader, write(tmp_path, text)))
    assert (p.line, p.message) == (1, "file is empty; expected a mapping")


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("text, got", [
    ("- a\n- b\n", "got a list"),
    ("hello\n", "got a string (5 characters)"),  # named, never quoted: it may be any file
    ("42\n", "got a number"),
    ("~\n", "got nothing"),
    ("---\n", "got nothing"),  # an explicit document with an empty (null) body
])
def test_top_level_must_be_a_mapping(reader, text: str, got: str, tmp_path: Path) -> None:
    p = only(refuse(reader, write(tmp_path, text)))
    assert p.line == 1 and "expected a mapping with keys" in p.message and got in p.message


@pytest.mark.parametrize("reader", READERS)
def test_missing_file_is_a_validation_error(reader, tmp_path: Path) -> None:
    p = only(refuse(reader, tmp_path / "nope.yaml"))
    assert p.line is None and p.message.startswith("cannot read file")


@pytest.mark.parametrize("reader", READERS)
def test_complex_and_null_keys_are_refused(reader, tmp_path: Path) -> None:
    for tail in ("? [a, b]\n: 1\n", "~: 1\n"):
        p = only(refuse(reader, write(tmp_path, head(reader) + tail)))
        assert p.line == 3 and p.message == "mapping keys must be plain scalars"


# -- malformed scalars and nesting: clean errors, never another exception ----------------------

MALFORMED = [
    pytest.param("description: T\x01\n", 3, "non-printable character U+0001 is not allowed; "
                 "remove it, or write it as an escape in a double-quoted string",
                 id="control-character"),
    pytest.param("description: " + "1" * 5000 + "\n", 3, "the number "
                 "11111111111111111111...1111111111 (5000 characters) has too many digits to read",
                 id="5000-digit-int"),
    pytest.param("description: " + "[" * 1000 + "]" * 1000 + "\n", 3,
                 f"nesting deeper than {MAX_DEPTH} levels", id="deep-flow-nesting"),
    # description's value is level 1 on line 4; the keys of level 64 (line 67) are level 65
    pytest.param("description:\n" + "".join("  " * i + "  a:\n" for i in range(600)), 67,
                 f"nesting deeper than {MAX_DEPTH} levels", id="deep-block-nesting"),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("tail, line, message", MALFORMED)
def test_malformed_scalars_and_nesting_are_validation_errors(reader, tail: str, line: int,
                                                             message: str,
                                                             tmp_path: Path) -> None:
    p = only(refuse(reader, write(tmp_path, head(reader) + tail)))
    assert (p.line, p.field, p.message) == (line, "", message)


@pytest.mark.parametrize("text", [".", "-.", "._", ".e5", "+.E-3", "._5"])
def test_dots_without_digits_are_strings(text: str) -> None:
    """The float resolver needs a digit: `.`, `.e5` and the like stay strings."""
    assert parse_yaml(f"a: {text}\n") == {"a": text}


def test_nesting_at_the_bound_loads() -> None:
    assert parse_yaml("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")["a"]
    with pytest.raises(ValidationError, match=f"nesting deeper than {MAX_DEPTH} levels"):
        parse_yaml("a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n")


@pytest.mark.parametrize("where", ["ladder-up", "scenario-weight"])
def test_huge_integer_is_a_validation_error(where: str, tmp_path: Path) -> None:
    big = "1" + "0" * 400
    if where == "ladder-up":
        text = f"id: t\ntitle: T\nstages:\n  - {{id: a, name: A, up: {big}}}\n" \
               "  - {id: b, name: B, absorbing: true}\n"
        p = only(refuse(read_ladder, write(tmp_path, text)))
        assert (p.line, p.field, p.message) == (
            4, "stages.a.up", "expected a finite number, got a 401-digit integer")
    else:
        text = (f"id: s\ntitle: S\nladder: {TINY}\nstart: calm\nclock: {{horizon: 5}}\n"
                f"actors: {{red: {{kind: state, actions: {{a: {{}}}},\n"
                f"  policy: {{weights: {{a: {big}}}}}}}}}\n")
        p = refuse(read_scenario, write(tmp_path, text))[0]
        assert (p.line, p.field, p.message) == (
            7, "actors.red.policy.weights.a", "expected a finite number, got a 401-digit integer")


def test_ordinary_numbers_still_load(tmp_path: Path) -> None:
    """The scalar resolver still reads the number forms the format uses."""
    text = ("id: t\ntitle: T\nstages:\n  - {id: a, name: A, up: +1_000.5}\n"
            "  - {id: b, name: B, down: 1e2, up: 2e3}\n  - {id: c, name: C, down: .5}\n")
    ladder, _ = read_ladder(write(tmp_path, text))
    assert [(s.up, s.down) for s in ladder.stages] == [(1000.5, None), (2000.0, 100.0),
                                                       (None, 0.5)]


def test_lines_are_the_lines_of_keys_and_items() -> None:
    """`lines[key]` is where the key is, also when its value starts on a later line."""
    data = parse_yaml("a:\n  b: 1\n\nc:\n  - x\n  -\n    y\nd: {e: [1,\n  2]}\n")
    assert (data.line, data.lines) == (1, {"a": 1, "c": 4, "d": 8})
    assert (data["a"].line, data["a"].lines) == (2, {"b": 2})
    assert (data["c"].line, data["c"].lines) == (5, [5, 7])
    assert data["d"].lines == {"e": 8}


def test_load_yaml_caches_by_file_state_and_hands_out_copies(tmp_path):
    from sim.format.yamlio import load_yaml

    path = tmp_path / "a.yaml"
    path.write_text("x: 1\n")
    first = load_yaml(path)
    first["x"] = 99  # a caller changing its tree (as --set does) must not change the cache
    assert load_yaml(path) == {"x": 1}
    path.write_text("x: 22\n")  # a changed file is read again
    assert load_yaml(path) == {"x": 22}
