"""Evaluating a resolved condition over an ensemble with numpy, and walking its tree for the
state it reads (`sim.format.expr` resolves and type-checks; this module only evaluates)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .expr_syntax import (
    BoolOp,
    Compare,
    Const,
    Flag,
    Last,
    Memory,
    Node,
    Not,
    StageOf,
    Value,
    Var,
)

_OPS = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
        ">": np.greater, ">=": np.greater_equal}

Evaluator = Callable[[Any], Any]  # state -> a value or array


def evaluator(node: Node) -> Evaluator:
    """A function of the state that evaluates a resolved tree: closures over the numpy calls
    of each node, in the order a walk of the tree makes them (so the same values), with the
    node types looked at once rather than on every evaluation."""
    if isinstance(node, Const):
        value = node.value
        return lambda state: value
    if isinstance(node, Var):
        name = node.name
        return lambda state: np.asarray(getattr(state, name))
    if isinstance(node, Last):
        actor = node.actor
        return lambda state: np.asarray(state.last[actor])
    if isinstance(node, Value | Flag | StageOf | Memory):
        return _reader(node)
    if isinstance(node, Not):
        operand = evaluator(node.operand)
        return lambda state: np.logical_not(operand(state))
    if isinstance(node, BoolOp):
        return _bool_op(node)
    if isinstance(node, Compare):
        op, left, right = _OPS[node.op], evaluator(node.left), evaluator(node.right)
        return lambda state: op(left(state), right(state))
    raise TypeError(f"unresolved node {node!r}")  # pragma: no cover - resolver bug


def _reader(node: Value | Flag | StageOf | Memory) -> Evaluator:
    """What a state method gives: a variable's value, a flag, a coupled stage, a memory."""
    if isinstance(node, Value):
        name = node.name
        return lambda state: state.value(name)
    if isinstance(node, Flag):
        flag = node.name
        return lambda state: state.flag(flag)
    if isinstance(node, StageOf):
        key = node.key
        return lambda state: state.stage_of(key)
    return lambda state: state.memory(node)


def _bool_op(node: BoolOp) -> Evaluator:
    """`and`/`or` over the operands, folded left to right as `functools.reduce` does."""
    fn = np.logical_and if node.op == "and" else np.logical_or
    parts = [evaluator(o) for o in node.operands]
    if len(parts) == 2:
        first, second = parts
        return lambda state: fn(first(state), second(state))

    def fold(state: Any) -> Any:
        out = parts[0](state)
        for part in parts[1:]:
            out = fn(out, part(state))
        return out
    return fold


def walk(node: Node) -> Iterator[Node]:
    """Every node of a resolved tree, the node itself first."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.operand)
    elif isinstance(node, BoolOp):
        for o in node.operands:
            yield from walk(o)
    elif isinstance(node, Compare):
        yield from walk(node.left)
        yield from walk(node.right)


_DEP = {Last: lambda n: f"last:{n.actor}", Value: lambda n: f"value:{n.name}",
        Flag: lambda n: f"flag:{n.name}", StageOf: lambda n: f"stage:{n.key}",
        Memory: lambda n: f"memory:{n.actor}", Var: lambda n: n.name}


def _deps(node: Node) -> Iterator[str]:
    """The state parts a tree reads (see `Condition.depends_on`)."""
    for n in walk(node):
        name = _DEP.get(type(n))
        if name is not None:
            yield name(n)


def _memories(node: Node) -> Iterator[Memory]:
    """Every memory function in a tree."""
    return (n for n in walk(node) if isinstance(n, Memory))
