"""Tests for sim.format.expr and sim.format.expr_syntax: the safe, vectorized condition
language."""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.format.expr import Condition, Symbols, compile_condition
from sim.format.expr_syntax import (
    MAX_DEPTH,
    BoolOp,
    Compare,
    ExprError,
    Last,
    Name,
    Not,
    Num,
    parse,
)

STAGES = ("peacetime", "hybrid_pressure", "border_incident", "mp_crisis", "use_of_force",
          "nuclear_use")
ACTIONS = {"warsaw": ("harden", "open_checkpoint", "close_border"),
           "moscow": ("probe", "deescalate")}
SYM = Symbols.of(STAGES, ACTIONS)


@dataclass
class State:
    stage: np.ndarray
    tension: np.ndarray
    step: int = 0
    last: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.stage)


def make_state(stage, tension, step=0, **last) -> State:
    n = len(stage)
    full = {a: np.full(n, -1) for a in ACTIONS}
    full.update({k: np.asarray(v) for k, v in last.items()})
    return State(np.asarray(stage), np.asarray(tension, dtype=float), step, full)


def ev(text: str, state: State) -> list[bool]:
    out = compile_condition(text, SYM).evaluate(state)
    assert out.dtype == bool and out.shape == (state.n,)
    return out.tolist()


def err(text: str, symbols: Symbols = SYM) -> ExprError:
    with pytest.raises(ExprError) as info:
        compile_condition(text, symbols)
    return info.value


# ---------------------------------------------------------------- evaluation
def test_stage_and_tension():
    s = make_state([0, 2, 3], [5, 5, 4])
    assert ev("stage >= border_incident and tension > 4.5", s) == [False, True, False]


def test_last_action_and_step():
    s = make_state([0, 0, 0], [0, 0, 0], step=3, warsaw=[1, 0, -1])
    text = "not (warsaw.last == open_checkpoint) or step >= 10"
    assert ev(text, s) == [False, True, True]
    s.step = 10
    assert ev(text, s) == [True, True, True]
    assert ev("open_checkpoint == warsaw.last", make_state([0], [0], warsaw=[1])) == [True]


def test_no_action_yet_is_unequal_to_every_action():
    s = make_state([0, 0], [0, 0], warsaw=[-1, -1])
    for action in ACTIONS["warsaw"]:
        assert ev(f"warsaw.last == {action}", s) == [False, False]
        assert ev(f"warsaw.last != {action}", s) == [True, True]


def test_scalars_broadcast_to_run_axis():
    s = make_state([0, 1, 2, 3], [0, 0, 0, 0], step=4)
    assert ev("true", s) == [True] * 4
    assert ev("false", s) == [False] * 4
    assert ev("step >= 3", s) == [True] * 4
    assert ev("peacetime < nuclear_use", s) == [True] * 4
    assert ev("(tension > 1) == false", s) == [True] * 4
    out = compile_condition("true", SYM).evaluate(s)
    out[0] = False  # result is a fresh, writable array


def test_reversed_stage_comparison_and_numbers():
    s = make_state([1, 2, 5], [-1.5, 0.001, 2e3])
    assert ev("border_incident <= stage", s) == [False, True, True]
    assert ev("tension > -1", s) == [False, True, True]
    assert ev("tension >= 1e-3 and tension < .5", s) == [False, True, False]


def test_precedence():
    assert parse("not a or b and c") == BoolOp(
        "or", (Not(Name("a")), BoolOp("and", (Name("b"), Name("c")))))
    assert parse("not x == 1") == Not(Compare("==", Name("x"), Num(1.0)))
    assert parse("warsaw.last == harden") == Compare("==", Last("warsaw"), Name("harden"))
    s = make_state([0, 3, 3, 0], [0, 9, 0, 9])
    # (not stage >= mp_crisis) or (tension > 5 and stage >= mp_crisis)
    assert ev("not stage >= mp_crisis or tension > 5 and stage >= mp_crisis", s) == [
        True, True, False, True]


def test_depends_on():
    cond = compile_condition("stage >= border_incident and warsaw.last == harden", SYM)
    assert cond.depends_on == frozenset({"stage", "last:warsaw"})
    assert compile_condition("true", SYM).depends_on == frozenset()
    assert compile_condition("step > 2 or harden != warsaw.last", SYM).depends_on == {
        "step", "last:warsaw"}


def test_pickle_round_trip():
    cond = compile_condition("not (moscow.last == probe) and tension > 2 or stage == mp_crisis",
                             SYM)
    back = pickle.loads(pickle.dumps(cond))
    assert back == cond and hash(back) == hash(cond)
    s = make_state([3, 0, 1], [3, 3, 1], moscow=[0, 1, -1])
    assert back.evaluate(s).tolist() == cond.evaluate(s).tolist() == [True, True, False]
    assert pickle.loads(pickle.dumps(SYM)) == SYM
    assert hash(SYM) == hash(Symbols.of(STAGES, ACTIONS))
    assert SYM.actions["warsaw"] == ACTIONS["warsaw"]


def test_symbols_reject_ambiguous_ids():
    with pytest.raises(ValueError, match="clashes"):
        Symbols.of(["peacetime", "tension"], {})
    with pytest.raises(ValueError, match="duplicate"):
        Symbols.of(["a", "a"], {})


# -------------------------------------------------------------------- errors
def test_error_message_and_column():
    e = err("stage >= border_incdent")
    assert e.column == 10
    assert "did you mean 'border_incident'" in e.message
    assert str(e) == f"column 10: {e.message}"
    assert str(ExprError("plain")) == "plain" and ExprError("plain").column is None
    assert isinstance(e, ValueError)


def test_unknown_action_and_actor():
    e = err("warsaw.last == opn_checkpoint")
    assert "unknown action 'opn_checkpoint' for actor 'warsaw'" in e.message
    assert "did you mean 'open_checkpoint'" in e.message and e.column == 16
    e = err("warsw.last == harden")
    assert "unknown actor 'warsw'" in e.message and "did you mean 'warsaw'" in e.message
    assert e.column == 1
    assert "did you mean 'true'" in err("True").message
    assert "'harden' is an action of warsaw" in err("harden").message
    assert "its actions are: probe, deescalate" in err("moscow.last == zzz").message


def test_type_errors():
    e = err("tension >= border_incident")
    assert ("cannot compare tension with stage id 'border_incident'; tension is a number"
            in e.message)
    assert e.column == 9
    e = err("warsaw.last > open_checkpoint")
    assert "only be compared with == or !=" in e.message and e.column == 13
    assert "cannot compare stage with number 2" in err("stage >= 2").message
    assert "one of warsaw's actions" in err("warsaw.last == 1").message
    assert "one of warsaw's actions" in err("warsaw.last == moscow.last").message
    assert "only be compared with == or !=" in err("true < false").message
    for text in ("tension", "3", "border_incident", "stage", "warsaw.last",
                 "tension > 1 and step", "not tension"):
        assert "expected a condition such as 'tension >= 3'" in err(text).message, text


@pytest.mark.parametrize("text, fragment, column", [
    ("a < b < c", "cannot be chained", 7),
    ("tension > 3 step", "unexpected 'step' after the end", 13),
    ("(tension > 3", "missing ')' to close '(' at column 1", 13),
    ("tension > 3)", "unmatched ')'", 12),
    ("tension >", "unexpected end of condition", 10),
    ("tension = 3", "use '=='", 9),
    ("- tension > 3", "'-' must be followed by a number", 1),
])
def test_syntax_errors(text, fragment, column):
    e = err(text)
    assert fragment in e.message and e.column == column


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty(text):
    assert "empty" in err(text).message


# ------------------------------------------------------------- hostile input
@pytest.mark.parametrize("text, fragment", [
    ("__import__('os').system('echo hi')", "character \"'\""),
    ("().__class__.__bases__", "unexpected ')'"),
    ("a.b.c", "a name has at most one '.'"),
    ("warsaw.last.x == harden", "a name has at most one '.'"),
    ('"x"', "character '\"'"),
    ("[1]", "character '['"),
    ("{}", "character '{'"),
    ("lambda: 1", "character ':'"),
    ("tension > 1; step > 2", "character ';'"),
    ("1 + 2 == 3", "character '+'"),
    ("`id`", "character '`'"),
    ("@x", "character '@'"),
    ("tension\x00 > 3", "character '\\x00'"),
    ("é > 3", "character 'é'"),
])
def test_hostile_input_is_rejected(text, fragment):
    with pytest.raises(ExprError) as info:
        parse(text)
    assert fragment in info.value.message
    with pytest.raises(ExprError):
        compile_condition(text, SYM)


@pytest.mark.parametrize("text, fragment", [
    ("warsaw.__class__", "unknown name 'warsaw.__class__'"),
    ("x.__class__", "unknown name 'x.__class__'"),
    ("os.system", "unknown name 'os.system'"),
])
def test_dotted_names_other_than_the_scenarios_are_rejected(text, fragment):
    """A dotted name parses (it may be a variable, a flag or `<key>.stage`) but resolves
    only to a name the scenario declares."""
    with pytest.raises(ExprError) as info:
        compile_condition(text, SYM)
    assert fragment in info.value.message


def test_deep_nesting_fails_fast_without_recursion_error():
    start = time.perf_counter()
    for text in ("(" * 10_000 + "true" + ")" * 10_000, "(" * 10_000, "not " * 10_000 + "true"):
        with pytest.raises(ExprError):
            compile_condition(text, SYM)
    assert time.perf_counter() - start < 1.0
    ok = "(" * MAX_DEPTH + "true" + ")" * MAX_DEPTH
    assert compile_condition(ok, SYM).evaluate(make_state([0], [0])).tolist() == [True]
    e = err("(" * (MAX_DEPTH + 1) + "true" + ")" * (MAX_DEPTH + 1))
    assert "nested too deeply" in e.message and e.column == MAX_DEPTH + 1
    assert "nested too deeply" in err("not " * (MAX_DEPTH + 1) + "true").message


def test_length_limit():
    e = err("x" * 1_048_576)
    assert e.message == "condition is 1048576 characters long; at most 1000 allowed"
    assert "at most 1000" in err("(" * 1001).message


def test_non_string_is_rejected():
    with pytest.raises(ExprError, match="must be a string"):
        parse(3)  # type: ignore[arg-type]


# ---------------------------------------------------------------- properties
@given(st.text(max_size=200))
def test_parse_random_text_never_crashes(text):
    for fn in (parse, lambda t: compile_condition(t, SYM)):
        try:
            fn(text)
        except ExprError:
            pass


@given(st.text(alphabet="() notandor<=>!.-1e5 stagetensionwarsaw.last==harden", max_size=80))
def test_parse_grammar_soup_never_crashes(text):
    try:
        compile_condition(text, SYM)
    except ExprError:
        pass


OPS = ["==", "!=", "<", "<=", ">", ">="]
FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
NP_OPS = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
          ">": np.greater, ">=": np.greater_equal}
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)

leaves = st.one_of(
    st.tuples(st.just("stage"), st.sampled_from(OPS), st.integers(0, len(STAGES) - 1)),
    st.tuples(st.just("tension"), st.sampled_from(OPS), finite),
    st.tuples(st.just("step"), st.sampled_from(OPS), st.integers(-3, 12)),
    st.tuples(st.just("last"), st.sampled_from(sorted(ACTIONS)), st.sampled_from(["==", "!="]),
              st.integers(0, 1)),
    st.tuples(st.just("bool"), st.booleans()),
)
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(st.tuples(st.just("not"), kids),
                           st.tuples(st.sampled_from(["and", "or"]), kids, kids)),
    max_leaves=8,
)
PREC = {"or": 1, "and": 2, "not": 3}


def render(node, draw_flag) -> str:
    """Render with minimal parentheses (plus random extra ones) and random operand order."""
    kind = node[0]
    if kind == "bool":
        text = "true" if node[1] else "false"
    elif kind == "last":
        actor, op, code = node[1:]
        lhs, rhs = f"{actor}.last", ACTIONS[actor][code]
        text = f"{rhs} {op} {lhs}" if draw_flag() else f"{lhs} {op} {rhs}"
    elif kind in ("stage", "tension", "step"):
        op, value = node[1:]
        value = STAGES[value] if kind == "stage" else repr(value)
        text = f"{value} {FLIP[op]} {kind}" if draw_flag() else f"{kind} {op} {value}"
    else:
        def child(sub, need):
            inner = render(sub, draw_flag)
            return f"({inner})" if PREC.get(sub[0], 4) < need or draw_flag() else inner
        if kind == "not":
            return "not " + child(node[1], 3)
        need = 2 if kind == "and" else 1
        return f"{child(node[1], need)} {kind} {child(node[2], need)}"
    return text


def direct(node, s: State) -> np.ndarray:
    kind = node[0]
    if kind == "bool":
        return np.full(s.n, node[1])
    if kind == "last":
        _, actor, op, code = node
        return NP_OPS[op](s.last[actor], code)
    if kind in ("stage", "tension", "step"):
        _, op, value = node
        return np.broadcast_to(NP_OPS[op](getattr(s, kind), value), (s.n,))
    if kind == "not":
        return ~direct(node[1], s)
    a, b = direct(node[1], s), direct(node[2], s)
    return (a & b) if kind == "and" else (a | b)


@st.composite
def states(draw) -> State:
    n = draw(st.integers(1, 6))

    def ints(lo: int, hi: int) -> np.ndarray:
        return np.array(draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)))

    tension = np.array(draw(st.lists(finite, min_size=n, max_size=n)), dtype=float)
    last = {a: ints(-1, len(acts) - 1) for a, acts in ACTIONS.items()}
    return State(ints(0, len(STAGES) - 1), tension, draw(st.integers(-3, 12)), last)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, state=states(), data=st.data())
def test_round_trip_matches_direct_numpy(tree, state, data):
    text = render(tree, lambda: data.draw(st.booleans()))
    cond = compile_condition(text, SYM)
    assert cond.evaluate(state).tolist() == direct(tree, state).tolist(), text
    assert isinstance(cond, Condition) and pickle.loads(pickle.dumps(cond)) == cond
