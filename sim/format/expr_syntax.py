"""The syntax of the condition language: its error, its AST and its parser.

Conditions are parsed here with a small tokenizer and recursive-descent parser of their own
(no ``eval``, ``exec``, ``compile`` or ``ast``), bounded in length and nesting depth. This is
the part that needs no scenario: ``parse`` turns text into an unresolved tree, which
:mod:`sim.format.expr` then resolves against a scenario's names, type-checks and evaluates.
It also defines every AST node, including ``Const`` and ``Var`` that only the resolver makes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from .vocabulary import MAX_CONDITION as MAX_LENGTH
from .vocabulary import MAX_MAGNITUDE

MAX_DEPTH = 32
KEYWORDS = frozenset({"and", "or", "not", "true", "false"})
_EXAMPLE = "expected a condition such as 'tension >= 3'"


class ExprError(ValueError):
    """A condition that does not parse or does not type-check."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.message = message
        self.column = column
        super().__init__(message if column is None else f"column {column}: {message}")


# ----------------------------------------------------------------- AST nodes
# ``parse`` produces Num/Bool/Name/Last/Not/BoolOp/Compare; the resolver
# replaces Num/Bool/Name with Const (numbers, stage indices, action codes) and
# Var (built-ins).  Columns are carried for messages but ignored by ``==``.
@dataclass(frozen=True)
class Num:
    value: float
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Bool:
    value: bool
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Name:
    name: str
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Last:
    actor: str
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Dotted:
    """`owner.attr`, other than `<actor>.last`: a variable, a flag or `<ladder key>.stage`."""

    owner: str
    attr: str
    col: int = field(default=0, compare=False)

    @property
    def name(self) -> str:
        return f"{self.owner}.{self.attr}"


@dataclass(frozen=True)
class Call:
    """`count(a.b, 7)`, `since(a.b)`, `ever(a.b)`: a memory function of actors' actions."""

    fn: str
    args: tuple[Node, ...]
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Node
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Const:
    value: bool | int | float


@dataclass(frozen=True)
class Var:
    name: str  # one of BUILTINS


@dataclass(frozen=True)
class Value:
    name: str  # a state variable (plain or `<actor>.<name>`)


@dataclass(frozen=True)
class Flag:
    name: str  # a flag


@dataclass(frozen=True)
class StageOf:
    key: str  # a coupled ladder's key


@dataclass(frozen=True)
class Memory:
    fn: str  # count | since | ever
    actor: str
    action: int  # the action's code
    window: int = 0  # count's window in steps


Node = (Num | Bool | Name | Last | Dotted | Call | Not | BoolOp | Compare | Const | Var | Value
        | Flag | StageOf | Memory)
FUNCTIONS = ("count", "since", "ever")


# ----------------------------------------------------------------- tokenizer
class _Tok(NamedTuple):
    kind: str  # num name kw op ( ) . , - end
    text: str
    col: int


_TOKEN = re.compile(
    r"(?P<ws>[ \t\r\n]+)|(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|<|>)|(?P<punct>[().,-])"
)


def _tokenize(text: str) -> list[_Tok]:
    toks, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = {"=": "; use '==' to compare", "!": "; use '!=' or 'not'"}.get(ch, "")
            raise ExprError(f"character {ch!r} is not allowed in conditions{hint}", pos + 1)
        kind, word = m.lastgroup, m.group()
        assert kind is not None  # every alternative of _TOKEN is a named group
        if kind == "name" and word in KEYWORDS:
            kind = "kw"
        elif kind == "punct":
            kind = word
        if kind != "ws":
            toks.append(_Tok(kind, word, pos + 1))
        pos = m.end()
    toks.append(_Tok("end", "", len(text) + 1))
    return toks


def _number(tok: _Tok) -> float:
    """The value of a number literal: finite and within +-MAX_MAGNITUDE, like every number of
    a file (`1e999` would be inf as a float)."""
    value = float(tok.text)
    if not abs(value) <= MAX_MAGNITUDE:
        raise ExprError(f"number {tok.text} is out of range: expected a number from "
                        f"{-MAX_MAGNITUDE:g} to {MAX_MAGNITUDE:g}", tok.col)
    return value


# -------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks, self.i, self.depth = toks, 0, 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind != "end":  # never step past the end marker
            self.i += 1
        return tok

    def enter(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"condition is nested too deeply (more than {MAX_DEPTH} "
                            "levels of parentheses and 'not')", tok.col)

    def unexpected(self, tok: _Tok, where: str) -> ExprError:
        if tok.kind == ".":
            return ExprError("a name has at most one '.', as in 'minsk.last' or 'minsk.threat'",
                             tok.col)
        if tok.kind == "end":
            return ExprError(f"unexpected end of condition {where}", tok.col)
        return ExprError(f"unexpected {tok.text!r} {where}", tok.col)

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExprError("condition is empty; " + _EXAMPLE)
        node = self.or_expr()
        tok = self.peek()
        if tok.kind == ")":
            raise ExprError("unmatched ')'", tok.col)
        if tok.kind != "end":
            raise self.unexpected(tok, "after the end of the condition")
        return node

    def or_expr(self) -> Node:
        return self.chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self.chain("and", self.not_expr)

    def chain(self, op: str, sub: Callable[[], Node]) -> Node:
        first = self.peek()
        items = [sub()]
        while self.peek().kind == "kw" and self.peek().text == op:
            self.take()
            items.append(sub())
        return items[0] if len(items) == 1 else BoolOp(op, tuple(items), first.col)

    def not_expr(self) -> Node:
        nots = []
        while self.peek().kind == "kw" and self.peek().text == "not":
            nots.append(self.take())
            self.enter(nots[-1])
        node = self.compare()
        for tok in reversed(nots):
            node = Not(node, tok.col)
        self.depth -= len(nots)
        return node

    def compare(self) -> Node:
        left = self.operand()
        if self.peek().kind != "op":
            return left
        op = self.take()
        node = Compare(op.text, left, self.operand(), op.col)
        if self.peek().kind == "op":
            raise ExprError("comparisons cannot be chained; combine them with 'and', "
                            "e.g. 'a < b and b < c'", self.peek().col)
        return node

    def operand(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return Num(_number(tok), tok.col)
        if tok.kind == "-":
            num = self.take()
            if num.kind != "num":
                raise ExprError("'-' must be followed by a number", tok.col)
            return Num(-_number(num), tok.col)
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return Bool(tok.text == "true", tok.col)
        if tok.kind == "(":
            self.enter(tok)
            node = self.or_expr()
            close = self.take()
            if close.kind != ")":
                if close.kind == "end":
                    raise ExprError(f"missing ')' to close '(' at column {tok.col}", close.col)
                raise self.unexpected(close, f"inside '(' opened at column {tok.col}")
            self.depth -= 1
            return node
        if tok.kind == "name":
            if self.peek().kind == "(" and tok.text in FUNCTIONS:
                return self.call(tok)
            if self.peek().kind != ".":
                return Name(tok.text, tok.col)
            dot = self.take()
            attr = self.take()
            if attr.kind != "name" or self.peek().kind == ".":
                raise ExprError("a name has at most one '.', as in 'minsk.last' or "
                                "'minsk.threat'", dot.col)
            if attr.text == "last":
                return Last(tok.text, tok.col)
            return Dotted(tok.text, attr.text, tok.col)
        raise self.unexpected(tok, "where a value was expected (a number, a name or '(')")

    def call(self, fn: _Tok) -> Node:
        """`fn(arg, ...)`: arguments are names and numbers, checked by the resolver."""
        self.enter(self.take())
        args: list[Node] = []
        while True:
            args.append(self.operand())
            sep = self.take()
            if sep.kind == ")":
                break
            if sep.kind != ",":
                raise self.unexpected(sep, f"in the arguments of {fn.text}(...)")
        self.depth -= 1
        return Call(fn.text, tuple(args), fn.col)


def parse(text: str) -> Node:
    """Parse condition text into an unresolved AST (syntax only, no symbols).

    Args:
        text: The condition, e.g. ``"stage >= border_incident and tension > 4.5"``.

    Returns:
        The root node (``Num``, ``Bool``, ``Name``, ``Last``, ``Not``, ``BoolOp``
        or ``Compare``).

    Raises:
        ExprError: If the text is not a string, is empty, too long, too deeply
            nested, or does not match the grammar.
    """
    if not isinstance(text, str):
        raise ExprError(f"condition must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"condition is {len(text)} characters long; at most {MAX_LENGTH} allowed")
    return _Parser(_tokenize(text)).parse()
