"""Safe, vectorized conditions for escalation-ladder scenarios.

Scenario files hold small conditions (edge guards, event ``when:`` clauses,
policy modifiers) such as ``stage >= border_incident and tension > 4.5``.
They come from files that must never be able to run code, so they are parsed
by a tokenizer and recursive-descent parser of their own (no ``eval``, ``exec``,
``compile`` or ``ast``; see :mod:`sim.format.expr_syntax`) that bounds their
length and nesting depth. This module resolves names to integer codes at compile
time and type-checks them.  The resulting :class:`Condition` is a picklable tree
of frozen dataclasses that evaluates with numpy over a whole ensemble of runs at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np

from .expr_syntax import (
    _EXAMPLE,
    KEYWORDS,
    Bool,
    BoolOp,
    Compare,
    Const,
    ExprError,
    Last,
    Name,
    Node,
    Not,
    Num,
    Var,
    parse,
)

BUILTINS = {"stage": "stage", "tension": "number", "step": "number"}
_KIND_TEXT = {"stage": "a position on the ladder", "number": "a number", "bool": "a condition"}


# ------------------------------------------------------------------- symbols
class _FrozenMap(Mapping):
    """Read-only, hashable, picklable actor -> actions mapping."""

    __slots__ = ("_pairs", "_dict")

    def __init__(self, pairs: Iterable[tuple[str, Iterable[str]]]) -> None:
        self._pairs = tuple((str(k), tuple(str(a) for a in v)) for k, v in pairs)
        self._dict = dict(self._pairs)

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __hash__(self) -> int:
        return hash(self._pairs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._pairs,))

    def __repr__(self) -> str:
        return repr(self._dict)


@dataclass(frozen=True)
class Symbols:
    """Names a condition may use: stage ids in ladder order and actors' actions."""

    stages: tuple[str, ...]
    actions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(str(s) for s in self.stages))
        pairs = self.actions.items() if isinstance(self.actions, Mapping) else self.actions
        object.__setattr__(self, "actions", _FrozenMap(pairs))
        if len(set(self.stages)) != len(self.stages):
            raise ValueError(f"duplicate stage ids in {self.stages}")
        for bad in set(self.stages) & (set(BUILTINS) | KEYWORDS):
            raise ValueError(f"stage id {bad!r} clashes with a built-in name or keyword")
        for actor, acts in self.actions.items():
            if len(set(acts)) != len(acts):
                raise ValueError(f"duplicate action ids for actor {actor!r}: {acts}")

    @classmethod
    def of(cls, stages: Iterable[str], actions: Mapping[str, Iterable[str]]) -> Symbols:
        """Build symbols from a stage list and an ``{actor: [action, ...]}`` dict."""
        return cls(tuple(stages), {k: tuple(v) for k, v in actions.items()})


# ------------------------------------------------------------------ resolver
def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    if not close and name.lower() in KEYWORDS:
        close = [name.lower()]
    return f"; did you mean '{close[0]}'?" if close else ""


def _describe(node: Node) -> str:
    if isinstance(node, Num):
        return f"number {node.value:g}"
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    return "a condition"


class _Resolver:
    def __init__(self, symbols: Symbols) -> None:
        self.sym = symbols

    def condition(self, node: Node, context: str = "the condition") -> Node:
        out, kind, desc = self.resolve(node)
        if kind != "bool":
            raise ExprError(f"{desc} is not a condition ({context}); {_EXAMPLE}",
                            getattr(node, "col", None))
        return out

    def resolve(self, node: Node) -> tuple[Node, str, str]:
        if isinstance(node, Num):
            return Const(node.value), "number", _describe(node)
        if isinstance(node, Bool):
            return Const(node.value), "bool", _describe(node)
        if isinstance(node, Last):
            self.actions_of(node)
            return node, "last", f"{node.actor}.last"
        if isinstance(node, Not):
            return Not(self.condition(node.operand, "after 'not'"), node.col), "bool", "a condition"
        if isinstance(node, BoolOp):
            ops = tuple(self.condition(o, f"operand of '{node.op}'") for o in node.operands)
            return BoolOp(node.op, ops, node.col), "bool", "a condition"
        if isinstance(node, Compare):
            return self.compare(node), "bool", "a condition"
        assert isinstance(node, Name)  # the parser makes no Const or Var
        return self.name(node)

    def name(self, node: Name) -> tuple[Node, str, str]:
        n = node.name
        if n in BUILTINS:
            return Var(n), BUILTINS[n], n
        if n in self.sym.stages:
            return Const(self.sym.stages.index(n)), "stage", f"stage id '{n}'"
        for actor, acts in self.sym.actions.items():
            if n in acts:
                raise ExprError(f"'{n}' is an action of {actor}; compare it with {actor}.last, "
                                f"e.g. '{actor}.last == {n}'", node.col)
        valid = list(BUILTINS) + list(self.sym.stages)
        hint = _suggest(n, valid) or "; expected stage, tension, step or a stage id"
        raise ExprError(f"unknown name '{n}'{hint}", node.col)

    def actions_of(self, node: Last) -> tuple[str, ...]:
        if node.actor not in self.sym.actions:
            hint = _suggest(node.actor, self.sym.actions) or (
                "; known actors: " + (", ".join(self.sym.actions) or "none"))
            raise ExprError(f"unknown actor '{node.actor}' in '{node.actor}.last'{hint}", node.col)
        return self.sym.actions[node.actor]

    def compare(self, node: Compare) -> Node:
        if isinstance(node.left, Last) or isinstance(node.right, Last):
            return self.last_compare(node)
        (left, lk, ld), (right, rk, rd) = self.resolve(node.left), self.resolve(node.right)
        if lk == rk == "bool" and node.op not in ("==", "!="):
            raise ExprError(f"conditions can only be compared with == or !=, not '{node.op}'",
                            node.col)
        if lk != rk:
            hint = " (compare stage with stage ids)" if "stage" in (lk, rk) else ""
            raise ExprError(f"cannot compare {ld} with {rd}; {ld} is {_KIND_TEXT[lk]}, "
                            f"{rd} is {_KIND_TEXT[rk]}{hint}", node.col)
        return Compare(node.op, left, right, node.col)

    def last_compare(self, node: Compare) -> Node:
        last_left = isinstance(node.left, Last)
        last, other = (node.left, node.right) if last_left else (node.right, node.left)
        assert isinstance(last, Last)  # `compare` calls this when either side is a Last
        acts, who = self.actions_of(last), f"{last.actor}.last"
        if node.op not in ("==", "!="):
            raise ExprError(f"{who} can only be compared with == or !=, not '{node.op}'", node.col)
        listing = ", ".join(acts) or "it has no actions"
        if not isinstance(other, Name):
            got = f"{other.actor}.last" if isinstance(other, Last) else _describe(other)
            raise ExprError(f"{who} can only be compared with one of {last.actor}'s actions "
                            f"({listing}), not {got}", node.col)
        if other.name not in acts:
            hint = _suggest(other.name, acts) or f"; its actions are: {listing}"
            raise ExprError(f"unknown action '{other.name}' for actor '{last.actor}'{hint}",
                            other.col)
        code = Const(acts.index(other.name))
        return Compare(node.op, last, code, node.col) if last_left else \
            Compare(node.op, code, last, node.col)


# ----------------------------------------------------------------- evaluator
_OPS = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
        ">": np.greater, ">=": np.greater_equal}


def _eval(node: Node, state: Any) -> Any:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Var):
        return np.asarray(getattr(state, node.name))
    if isinstance(node, Last):
        return np.asarray(state.last[node.actor])
    if isinstance(node, Not):
        return np.logical_not(_eval(node.operand, state))
    if isinstance(node, BoolOp):
        fn = np.logical_and if node.op == "and" else np.logical_or
        return reduce(fn, (_eval(o, state) for o in node.operands))
    if isinstance(node, Compare):
        return _OPS[node.op](_eval(node.left, state), _eval(node.right, state))
    raise TypeError(f"unresolved node {node!r}")  # pragma: no cover - resolver bug


def _deps(node: Node) -> Iterator[str]:
    if isinstance(node, Var):
        yield node.name
    elif isinstance(node, Last):
        yield f"last:{node.actor}"
    elif isinstance(node, Not):
        yield from _deps(node.operand)
    elif isinstance(node, BoolOp):
        for o in node.operands:
            yield from _deps(o)
    elif isinstance(node, Compare):
        yield from _deps(node.left)
        yield from _deps(node.right)


@dataclass(frozen=True)
class Condition:
    """A compiled, type-checked condition; picklable and vectorized."""

    text: str
    tree: Node

    def evaluate(self, state: Any) -> np.ndarray:
        """Evaluate over all runs.

        Args:
            state: Object with ``stage`` (int array, shape (N,)), ``tension`` (float
                array), ``step`` (int), ``last`` (actor id -> int array of action
                codes, -1 meaning none yet) and ``n`` (int N).

        Returns:
            A fresh bool array of shape (N,).
        """
        out = np.asarray(_eval(self.tree, state), dtype=bool)
        if out.shape != (state.n,):
            out = np.broadcast_to(out, (state.n,)).copy()
        return out

    @property
    def depends_on(self) -> frozenset[str]:
        """State parts read: subset of stage/tension/step plus ``last:<actor>``."""
        return frozenset(_deps(self.tree))

    def __str__(self) -> str:
        return self.text


def compile_condition(text: str, symbols: Symbols) -> Condition:
    """Parse, resolve and type-check a condition.

    Args:
        text: Condition text from a scenario file.
        symbols: Stage ids and actor actions the condition may refer to.

    Returns:
        A :class:`Condition` whose names are resolved to stage indices and action codes.

    Raises:
        ExprError: On syntax errors, unknown names, type errors or a non-boolean result.
    """
    return Condition(text, _Resolver(symbols).condition(parse(text)))
