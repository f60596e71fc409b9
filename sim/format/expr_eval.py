"""Evaluating a resolved condition over an ensemble with numpy, and walking its tree for the
state it reads (`sim.format.expr` resolves and type-checks; this module only evaluates)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import reduce
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


def _eval(node: Node, state: Any) -> Any:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Var):
        return np.asarray(getattr(state, node.name))
    if isinstance(node, Last):
        return np.asarray(state.last[node.actor])
    if isinstance(node, Value):
        return state.value(node.name)
    if isinstance(node, Flag):
        return state.flag(node.name)
    if isinstance(node, StageOf):
        return state.stage_of(node.key)
    if isinstance(node, Memory):
        return state.memory(node)
    if isinstance(node, Not):
        return np.logical_not(_eval(node.operand, state))
    if isinstance(node, BoolOp):
        fn = np.logical_and if node.op == "and" else np.logical_or
        return reduce(fn, (_eval(o, state) for o in node.operands))
    if isinstance(node, Compare):
        return _OPS[node.op](_eval(node.left, state), _eval(node.right, state))
    raise TypeError(f"unresolved node {node!r}")  # pragma: no cover - resolver bug


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
