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
from typing import Any

import numpy as np

from .expr_eval import Evaluator, _deps, _memories, evaluator
from .expr_syntax import (
    _EXAMPLE,
    KEYWORDS,
    Bool,
    BoolOp,
    Call,
    Compare,
    Const,
    Dotted,
    ExprError,
    Flag,
    Last,
    Memory,
    Name,
    Node,
    Not,
    Num,
    StageOf,
    Value,
    Var,
    parse,
)

BUILTINS = {"stage": "stage", "tension": "number", "step": "number"}
MAX_WINDOW = 1000  # steps: the longest window count() may look back over
_KIND_TEXT = {"stage": "a position on the ladder", "number": "a number", "bool": "a condition"}


def _kind_text(kind: str) -> str:
    if kind.startswith("stage:"):
        return f"a position on ladder {kind[6:]}"
    return _KIND_TEXT[kind]


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
    """Names a condition may use: stage ids in ladder order and actors' actions; in a
    scenario also its state variables, flags and coupled ladders (key -> stage ids; the main
    ladder's key, when it has one, among them)."""

    stages: tuple[str, ...]
    actions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    variables: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    ladders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(str(s) for s in self.stages))
        for name in ("actions", "ladders"):
            value = getattr(self, name)
            pairs = value.items() if isinstance(value, Mapping) else value
            object.__setattr__(self, name, _FrozenMap(pairs))
        object.__setattr__(self, "variables", tuple(self.variables))
        object.__setattr__(self, "flags", tuple(self.flags))
        if len(set(self.stages)) != len(self.stages):
            raise ValueError(f"duplicate stage ids in {self.stages}")
        for bad in set(self.stages) & (set(BUILTINS) | KEYWORDS):
            raise ValueError(f"stage id {bad!r} clashes with a built-in name or keyword")
        for actor, acts in self.actions.items():
            if len(set(acts)) != len(acts):
                raise ValueError(f"duplicate action ids for actor {actor!r}: {acts}")

    @classmethod
    def of(cls, stages: Iterable[str], actions: Mapping[str, Iterable[str]], **more) -> Symbols:
        """Build symbols from a stage list and an ``{actor: [action, ...]}`` dict (`more`:
        variables, flags, ladders)."""
        return cls(tuple(stages), {k: tuple(v) for k, v in actions.items()}, **more)

    def dotted(self) -> list[str]:
        """Every dotted name a condition may use (for did-you-mean)."""
        return ([f"{a}.last" for a in self.actions] + [f"{k}.stage" for k in self.ladders]
                + [v for v in self.variables] + [f for f in self.flags])


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
        if isinstance(node, Dotted):
            return self.dotted(node)
        if isinstance(node, Call):
            return self.call(node)
        assert isinstance(node, Name)  # the parser makes no Const or Var
        return self.name(node)

    def name(self, node: Name) -> tuple[Node, str, str]:
        n = node.name
        if n in BUILTINS:
            return Var(n), BUILTINS[n], n
        if n in self.sym.stages:
            return Const(self.sym.stages.index(n)), "stage", f"stage id '{n}'"
        if n in self.sym.variables:
            return Value(n), "number", f"variable {n}"
        if n in self.sym.flags:
            return Flag(n), "bool", f"flag {n}"
        for actor, acts in self.sym.actions.items():
            if n in acts:
                raise ExprError(f"'{n}' is an action of {actor}; compare it with {actor}.last, "
                                f"e.g. '{actor}.last == {n}'", node.col)
        valid = list(BUILTINS) + list(self.sym.stages) + [
            v for v in (*self.sym.variables, *self.sym.flags) if "." not in v]
        hint = _suggest(n, valid) or "; expected stage, tension, step or a stage id"
        raise ExprError(f"unknown name '{n}'{hint}", node.col)

    def dotted(self, node: Dotted) -> tuple[Node, str, str]:
        """`<key>.stage`, a variable or a flag."""
        n = node.name
        if node.attr == "stage" and node.owner in self.sym.ladders:
            if self.sym.ladders[node.owner] == self.sym.stages and node.owner not in \
                    self._other_keys():
                return Var("stage"), "stage", n
            return StageOf(node.owner), f"stage:{node.owner}", n
        if n in self.sym.variables:
            return Value(n), "number", f"variable {n}"
        if n in self.sym.flags:
            return Flag(n), "bool", f"flag {n}"
        if n == "tension.decay" or n.startswith("tension."):
            raise ExprError(f"unknown name '{n}': conditions read tension itself, not its "
                            "parameters", node.col)
        hint = _suggest(n, self.sym.dotted()) or (
            "; expected <actor>.last, <ladder key>.stage, a variable or a flag")
        raise ExprError(f"unknown name '{n}'{hint}", node.col)

    def _other_keys(self) -> set[str]:
        """Keys of ladders other than the main one (the main one is listed first)."""
        return set(list(self.sym.ladders)[1:])

    def call(self, node: Call) -> tuple[Node, str, str]:
        """`count(actor.action, steps)`, `since(actor.action)`, `ever(actor.action)`."""
        fn, args = node.fn, node.args
        want = 2 if fn == "count" else 1
        usage = "count(<actor>.<action>, <steps>)" if fn == "count" else \
            f"{fn}(<actor>.<action>)"
        if len(args) != want or not isinstance(args[0], Dotted):
            example = "count(warsaw.harden, 7) >= 3" if fn == "count" else f"{fn}(nato.article4)"
            raise ExprError(f"expected {usage}, e.g. '{example}'", node.col)
        first = args[0]
        assert isinstance(first, Dotted)
        if first.owner not in self.sym.actions:
            hint = _suggest(first.owner, self.sym.actions) or (
                "; known actors: " + (", ".join(self.sym.actions) or "none"))
            raise ExprError(f"unknown actor '{first.owner}' in {fn}(){hint}", first.col)
        acts = self.sym.actions[first.owner]
        if first.attr not in acts:
            hint = _suggest(first.attr, acts) or f"; its actions are: {', '.join(acts)}"
            raise ExprError(f"unknown action '{first.attr}' for actor '{first.owner}'{hint}",
                            first.col)
        window = 0
        if fn == "count":
            steps = args[1]
            if not isinstance(steps, Num) or steps.value != int(steps.value) or \
                    not 1 <= steps.value <= MAX_WINDOW:
                raise ExprError(f"count's window is a whole number of steps from 1 to "
                                f"{MAX_WINDOW}", getattr(steps, "col", node.col))
            window = int(steps.value)
        kind = "bool" if fn == "ever" else "number"
        return Memory(fn, first.owner, acts.index(first.attr), window), kind, f"{fn}(...)"

    def actions_of(self, node: Last) -> tuple[str, ...]:
        if node.actor not in self.sym.actions:
            hint = _suggest(node.actor, self.sym.actions) or (
                "; known actors: " + (", ".join(self.sym.actions) or "none"))
            raise ExprError(f"unknown actor '{node.actor}' in '{node.actor}.last'{hint}", node.col)
        return self.sym.actions[node.actor]

    def compare(self, node: Compare) -> Node:
        if isinstance(node.left, Last) or isinstance(node.right, Last):
            return self.last_compare(node)
        (left, lk, ld), (right, rk, rd) = self.resolve_side(node.left, node.right), \
            self.resolve_side(node.right, node.left)
        if lk == rk == "bool" and node.op not in ("==", "!="):
            raise ExprError(f"conditions can only be compared with == or !=, not '{node.op}'",
                            node.col)
        if lk != rk:
            hint = " (compare stage with stage ids)" if "stage" in (lk, rk) else ""
            raise ExprError(f"cannot compare {ld} with {rd}; {ld} is {_kind_text(lk)}, "
                            f"{rd} is {_kind_text(rk)}{hint}", node.col)
        return Compare(node.op, left, right, node.col)

    def resolve_side(self, node: Node, other: Node) -> tuple[Node, str, str]:
        """One side of a comparison: a stage id compared with `<key>.stage` is one of that
        ladder's stages."""
        if isinstance(node, Name) and isinstance(other, Dotted) and other.attr == "stage" \
                and other.owner in self._other_keys():
            stages = self.sym.ladders[other.owner]
            if node.name in stages:
                return Const(stages.index(node.name)), f"stage:{other.owner}", \
                    f"stage id '{node.name}'"
            hint = _suggest(node.name, stages) or f"; its stages are: {', '.join(stages)}"
            raise ExprError(f"unknown stage '{node.name}' of ladder '{other.owner}'{hint}",
                            node.col)
        return self.resolve(node)

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


# ------------------------------------------------------------------ condition
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
        fn: Evaluator | None = self.__dict__.get("_evaluator")
        if fn is None:  # made on first use; not pickled (see __getstate__)
            fn = evaluator(self.tree)
            object.__setattr__(self, "_evaluator", fn)
        out = np.asarray(fn(state), dtype=bool)
        if out.shape != (state.n,):
            out = np.broadcast_to(out, (state.n,)).copy()
        return out

    def __getstate__(self) -> dict[str, Any]:
        """The text and tree (the evaluator, closures, is made again on first use)."""
        return {"text": self.text, "tree": self.tree}

    def memories(self) -> Iterator[Memory]:
        """Every memory function the condition uses."""
        return _memories(self.tree)

    @property
    def depends_on(self) -> frozenset[str]:
        """State parts read: subset of stage/tension/step plus ``last:<actor>``,
        ``value:<variable>``, ``flag:<flag>``, ``stage:<key>`` and ``memory:<actor>``."""
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
