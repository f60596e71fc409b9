"""Golden error corpus: one broken file per validation rule, with its expected problems.

Each file under tests/corpus/{ladders,scenarios}/ starts with comment lines that say what
loading it must report:

    # expect: LINE: FIELD: MESSAGE-SUBSTRING           an error in this file
    # expect: OTHER.yaml:LINE: FIELD: MESSAGE-SUBSTRING  an error in another file (path
                                                       relative to this one), e.g. a ladder
    # expect-warning: LINE: FIELD: MESSAGE-SUBSTRING   a warning (the file is otherwise valid)
    # expect-ok: WHY                                   the file is valid, with no warnings
    # xfail(KIND): REASON                              a known loader bug (strict xfail);
                                                       KIND is lines (wrong line numbers),
                                                       extra (spurious errors), missing (an
                                                       error not reported) or crash

LINE is exact (`-` for no line), FIELD is exact (may be empty), MESSAGE is a substring. Every
expected problem must be reported, and no error beyond the expected ones; a file with
warnings must load, with exactly the expected warnings. Files in ladders_ok/ are valid ladders
(the scenario corpus runs on them) and must load without warnings unless they say otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.errors import Problem, ValidationError
from sim.format.distributions import Dist
from sim.format.ladder import read_ladder
from sim.format.scenario import read_scenario
from sim.format.yamlio import parse_yaml

CORPUS = Path(__file__).resolve().parent / "corpus"
LADDERS = sorted((CORPUS / "ladders").glob("*.yaml"))
LADDERS_OK = sorted((CORPUS / "ladders_ok").glob("*.yaml"))
SCENARIOS = sorted((CORPUS / "scenarios").glob("*.yaml"))

_EXPECT = re.compile(
    r"^#\s*expect(?P<warning>-warning)?:\s*"
    r"(?:(?P<file>[^\s:]+\.ya?ml):)?(?P<line>\d+|-):\s(?P<field>[^:]*):\s(?P<message>.+?)\s*$"
)
_OK = re.compile(r"^#\s*expect-ok:")
_XFAIL = re.compile(r"^#\s*xfail\((?P<kind>lines|extra|missing|crash)\):\s*(?P<reason>.+?)\s*$")


@dataclass(frozen=True)
class Expected:
    file: Path
    line: int | None
    field: str
    message: str
    warning: bool

    def matches(self, p: Problem, check_line: bool = True) -> bool:
        return (
            p.warning == self.warning
            and Path(p.file).resolve() == self.file
            and (not check_line or p.line == self.line)
            and p.field == self.field
            and self.message in p.message
        )

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        return f"{kind} {self.file.name}:{self.line}: {self.field}: ...{self.message}..."


@dataclass(frozen=True)
class Header:
    expected: tuple[Expected, ...]
    ok: bool
    xfail: str | None
    xfail_kind: str | None = None

    @property
    def errors(self) -> list[Expected]:
        return [e for e in self.expected if not e.warning]

    @property
    def warnings(self) -> list[Expected]:
        return [e for e in self.expected if e.warning]


def read_header(path: Path) -> Header:
    """The leading comment lines of a corpus file, parsed."""
    expected, ok, xfail, kind = [], False, None, None
    for text in path.read_text(encoding="utf-8").splitlines():
        if not text.startswith("#"):
            break
        if m := _EXPECT.match(text):
            file = (path.parent / m["file"]).resolve() if m["file"] else path.resolve()
            line = None if m["line"] == "-" else int(m["line"])
            expected.append(Expected(file, line, m["field"].strip(), m["message"],
                                     bool(m["warning"])))
        elif _OK.match(text):
            ok = True
        elif m := _XFAIL.match(text):
            xfail, kind = m["reason"], m["kind"]
        elif text.startswith(("# expect", "#expect", "# xfail", "#xfail")):
            raise AssertionError(f"{path}: malformed header line {text!r}")
    return Header(tuple(expected), ok, xfail, kind)


def load(path: Path) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) from loading a corpus file; only ValidationError is acceptable."""
    reader = read_scenario if path.parent.name.startswith("scenarios") else read_ladder
    try:
        _, warnings = reader(path)
    except ValidationError as exc:
        assert exc.warnings == [] or all(w.warning for w in exc.warnings)
        return list(exc.problems), list(exc.warnings)
    return [], list(warnings)


def unmatched(expected: list[Expected], found: list[Problem], check_line: bool = True
              ) -> tuple[list[Expected], list[Problem]]:
    """Pair each expectation with one distinct problem; return what is left on each side."""
    left = list(found)
    missing = []
    for e in expected:
        hit = next((p for p in left if e.matches(p, check_line)), None)
        if hit is None:
            missing.append(e)
        else:
            left.remove(hit)
    return missing, left


def _params(paths: list[Path]) -> list:
    out = []
    for path in paths:
        header = read_header(path)
        marks = [pytest.mark.xfail(strict=True, reason=header.xfail)] if header.xfail else []
        out.append(pytest.param(path, id=f"{path.parent.name}/{path.name}", marks=marks))
    return out


def _report(title: str, items: list) -> str:
    return f"{title}:\n" + "\n".join(f"  {i}" for i in items) if items else ""


@pytest.mark.parametrize("path", _params(LADDERS + LADDERS_OK + SCENARIOS))
def test_corpus_file(path: Path) -> None:
    header = read_header(path)
    errors, warnings = load(path)
    missing, extra = unmatched(header.errors, errors)
    problems = [_report("expected but not reported", missing),
                _report("reported but not expected", [str(p) for p in extra])]
    if not header.errors:
        missing_w, extra_w = unmatched(header.warnings, warnings)
        problems += [_report("expected warnings not reported", missing_w),
                     _report("unexpected warnings", [str(p) for p in extra_w])]
    problems = [p for p in problems if p]
    assert not problems, f"{path.name}\n" + "\n".join(problems)


@pytest.mark.parametrize("path", [
    pytest.param(p, id=f"{p.parent.name}/{p.name}")
    for p in LADDERS + SCENARIOS
    if read_header(p).xfail_kind in ("lines", "extra") and read_header(p).errors
])
def test_known_bug_files_still_detect_the_rule(path: Path) -> None:
    """Files marked xfail for wrong lines or spurious extra errors still show that their own
    rule fires: field and message are compared; lines and extra problems are ignored."""
    header = read_header(path)
    errors, _ = load(path)
    missing, _ = unmatched(header.errors, errors, check_line=False)
    assert not missing, _report("not reported even ignoring lines", missing)


def test_corpus_is_complete() -> None:
    """Every corpus file says what it expects; every rule family has its files."""
    assert len(LADDERS) >= 25 and len(SCENARIOS) >= 60 and LADDERS_OK
    for path in LADDERS + SCENARIOS + LADDERS_OK:
        header = read_header(path)
        if path.parent.name.endswith("_ok"):
            assert not header.errors, path
        else:
            assert header.expected or header.ok, f"{path.name}: no '# expect' header"
            assert not (header.ok and header.expected), f"{path.name}: ok and expect both"
        assert path.read_text(encoding="utf-8").startswith("#"), path


def test_three_independent_errors_in_one_pass() -> None:
    for path in (CORPUS / "ladders" / "three_errors.yaml",
                 CORPUS / "scenarios" / "three_errors.yaml"):
        with pytest.raises(ValidationError) as info:
            (read_scenario if "scenarios" in path.parts else read_ladder)(path)
        assert len(info.value.problems) == 3, [str(p) for p in info.value.problems]
        assert len({p.line for p in info.value.problems}) == 3


def test_problem_str_is_file_line_field_message() -> None:
    path = CORPUS / "ladders" / "down_not_below_up.yaml"
    with pytest.raises(ValidationError) as info:
        read_ladder(path)
    (problem,) = info.value.problems
    assert str(problem) == f"{path}:10: stages.tense.down: down 6 must be below this stage's up 5"
    assert str(info.value) == str(problem)


def test_warning_str_and_warnings_are_not_errors() -> None:
    ladder, warnings = read_ladder(CORPUS / "ladders" / "warn_trap.yaml")
    assert ladder.stage_ids == ("calm", "standoff", "war")
    (w,) = warnings
    assert w.warning and str(w).startswith(f"{CORPUS / 'ladders' / 'warn_trap.yaml'}:8: warning: ")


def test_invalid_ladder_problems_name_the_ladder_file() -> None:
    with pytest.raises(ValidationError) as info:
        read_scenario(CORPUS / "scenarios" / "invalid_ladder.yaml")
    files = {Path(p.file).resolve().name for p in info.value.problems}
    assert files == {"invalid_ladder.yaml", "hysteresis.yaml"}


def test_scenario_warnings_include_the_scenario_reach_warning() -> None:
    scenario, warnings = read_scenario(CORPUS / "scenarios" / "warn_unreachable_stage.yaml")
    assert scenario.ladder.id == "gapped"
    assert [w.field for w in warnings] == ["start"]


def test_normal_weight_with_clip_is_accepted() -> None:
    path = CORPUS / "scenarios" / "ok_dist_normal_weight_with_clip.yaml"
    scenario, warnings = read_scenario(path)
    w = scenario.actor("red").policy.weights["push"]
    assert (w.kind, w.args, w.clip) == ("normal", (1.0, 0.5), (0.0, 3.0))
    assert warnings == []


def test_rules_have_corpus_files() -> None:
    """The rules named in docs/format.md each have a file (guards against deleting one)."""
    ladder_rules = {
        "missing_id", "missing_title", "missing_stages", "unknown_key_stagse", "bad_id",
        "duplicate_stage_id", "levels_not_increasing", "up_out_of_order", "down_not_below_up",
        "hysteresis", "absorbing_thresholds", "dwell_without_down", "dwell_below_one",
        "top_stage_up", "edge_unknown_stage", "edge_from_absorbing", "duplicate_edge",
        "edge_bad_guard", "edge_guard_actor", "groups_overlap", "group_first_above_last",
        "fewer_than_two_stages", "warn_unreachable", "warn_trap", "three_errors",
    }
    scenario_rules = {
        "unknown_ladder", "invalid_ladder", "start_unknown", "start_absorbing",
        "clock_missing_horizon", "clock_bad_step", "clock_horizon_zero", "clock_bad_start_date",
        "runs_zero", "actor_unknown_kind", "population_without_count", "count_not_population",
        "population_trigger", "trigger_unknown_stage", "warn_trigger_never_fires",
        "allowed_unknown_stage", "weights_unknown_action", "weight_negative",
        "weights_all_zero", "weights_zero_by_allowed", "stage_weights_unknown_stage",
        "modifier_bad_condition", "modifier_scale_unknown_action", "decay_above_one",
        "non_finite", "effect_string", "dist_unknown_kind", "dist_two_kinds",
        "dist_uniform_low_above_high", "dist_normal_weight_without_clip",
        "ok_dist_normal_weight_with_clip", "dist_beta_nonpositive", "dist_choice_p_sum",
        "event_at_and_when", "event_neither_at_nor_when", "event_no_effect",
        "event_date_without_start_date", "event_date_after_horizon", "event_at_zero",
        "event_set_unknown_actor", "event_set_unknown_action", "event_set_bad_shape",
        "event_tension_add_and_set", "event_unknown_stage", "unknown_key_top",
        "unknown_key_clock", "unknown_key_tension", "unknown_key_actor", "unknown_key_action",
        "unknown_key_policy", "unknown_key_modifier", "unknown_key_event",
        "unknown_key_event_tension", "warn_unreachable_stage", "three_errors",
    }
    assert ladder_rules <= {p.stem for p in LADDERS}
    assert scenario_rules <= {p.stem for p in SCENARIOS}


def test_unknown_key_messages_list_the_allowed_keys() -> None:
    for path in sorted((CORPUS / "scenarios").glob("unknown_key_*.yaml")) + sorted(
            (CORPUS / "ladders").glob("unknown_key_*.yaml")):
        header = read_header(path)
        assert any("did you mean" in e.message and "(allowed: " in e.message
                   for e in header.errors), path.name


# -- overrides (`ladder run --set`) and distribution bounds ------------------------------------

OVERRIDE_SCENARIO = """\
id: s
title: S
ladder: {ladder}
start: calm
clock:
  horizon: 30
actors:
  red:
    kind: state
    actions:
      push:
        effect: 0.5
      wait: {{}}
    policy:
      weights: {{push: 1, wait: 2}}
"""


@pytest.fixture
def override_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LADDER_ALLOW_OUTSIDE", str(CORPUS))  # tiny.yaml is outside tmp_path
    path = tmp_path / "s.yaml"
    path.write_text(OVERRIDE_SCENARIO.format(ladder=CORPUS / "ladders_ok" / "tiny.yaml"))
    return path


def test_bad_effect_override_is_one_error(override_scenario: Path) -> None:
    """The action stays known: no second error for its weight."""
    with pytest.raises(ValidationError) as info:
        read_scenario(override_scenario, {"actors.red.actions.push.effect": "abc"})
    assert [str(p) for p in info.value.problems] == [
        f"{override_scenario}:12: actors.red.actions.push.effect: expected a number or a "
        "distribution such as {uniform: [0.5, 1.5]}, got the string 'abc'"]


def test_problems_inside_an_override_point_at_the_key_it_replaces(override_scenario: Path
                                                                  ) -> None:
    value = parse_yaml("{uniform: [2, 1]}", "--set")  # its own lines start at 1
    with pytest.raises(ValidationError) as info:
        read_scenario(override_scenario, {"actors.red.actions.push.effect": value})
    assert [str(p) for p in info.value.problems] == [
        f"{override_scenario}:12: actors.red.actions.push.effect.uniform: low 2 is above high 1"]


def test_overrides_are_recorded_in_order_as_compact_text(override_scenario: Path) -> None:
    assert read_scenario(override_scenario)[0].overrides == ()
    overrides = {"clock.horizon": 10,
                 "actors.red.actions.wait.effect": parse_yaml("{uniform: [-0.5, 0]}"),
                 "actors.red.policy.weights.push": 1.5}
    scenario, _ = read_scenario(override_scenario, overrides)
    assert scenario.overrides == (
        ("clock.horizon", "10"),
        ("actors.red.actions.wait.effect", '{"uniform":[-0.5,0]}'),
        ("actors.red.policy.weights.push", "1.5"))
    assert scenario.clock.horizon == 10
    assert scenario.actor("red").actions[1].effect.args == (-0.5, 0.0)


@pytest.mark.parametrize("dist, bounds", [
    (Dist("uniform", (1.0, 2.0), clip=(-1.0, 3.0)), (1.0, 2.0)),
    (Dist("uniform", (1.0, 2.0), clip=(1.5, 3.0)), (1.5, 2.0)),
    (Dist("uniform", (1.0, 2.0), clip=(3.0, 4.0)), (3.0, 3.0)),
    (Dist("beta", (2.0, 2.0), clip=(-5.0, 0.5)), (0.0, 0.5)),
    (Dist("choice", (1.0, 5.0, 9.0), clip=(0.0, 6.0)), (1.0, 6.0)),
    (Dist("normal", (0.0, 1.0), clip=(-2.0, 2.0)), (-2.0, 2.0)),
])
def test_bounds_are_the_natural_range_clipped(dist: Dist, bounds: tuple[float, float]) -> None:
    assert dist.bounds() == bounds
