"""Safe YAML loading that remembers where every value came from.

PyYAML's `compose()` gives each node a position; we turn the node tree into plain dicts and
lists that also carry the line of each value, so validation errors can name `file:line`. Each
line is a `Line`: an int that also knows its file, so a tree merged from two files (a variant
that `extends` a baseline) still names the right file for every value.
Only the core YAML types are built: any other tag (e.g. `!!python/object/apply`) is refused
before anything is constructed. Ids such as `off`, `no`, `yes`, `on` stay strings (only
`true`/`false` are booleans) and dates stay strings, so the loader decides what they mean.
Document size (checked before parsing), the number of values, nesting depth and alias
expansion are bounded (no billion laughs), so parse time and memory are bounded too: the
composer stops at the value that exceeds MAX_NODES, long before the end of a huge list.
Files are read with `access.read_input`: regular files only, never more than MAX_BYTES + 1.
"""

from __future__ import annotations

import copy
import os
import re
from collections import OrderedDict
from pathlib import Path
from typing import NoReturn

import yaml

from ..errors import Problem, ValidationError
from .access import MAX_BYTES, read_input

# Values (keys, items, scalars) in one document, counting each alias expansion; the largest
# bundled file (ladders/kahn-1965.yaml) has 746. PyYAML composes about 20,000 values
# a second, so this bound keeps any file's parse near a second.
MAX_NODES = 20_000
MAX_DEPTH = 64
SNIPPET = 80  # a syntax error quotes at most this much of the file

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.2-like scalars: true/false only, no timestamps, no sexagesimal numbers."""


_Resolver.yaml_implicit_resolvers = {}
_Resolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    _INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


class _Bound(Exception):
    """Raised by the composer when a node lies deeper than MAX_DEPTH, or is one too many."""

    def __init__(self, mark: yaml.Mark, message: str):
        super().__init__(message)
        self.mark, self.message = mark, message


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Resolver,
):
    """Composes nodes only; never constructs Python objects from tags."""

    def __init__(self, stream: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        """PyYAML's composer recurses once per level: stop at MAX_DEPTH, long before Python's
        recursion limit (an alias adds no level here; `_Builder` bounds those). Count the
        values as they come and stop at the first beyond MAX_NODES, without reading on."""
        if self.depth > MAX_DEPTH:
            raise _Bound(self.peek_event().start_mark, f"nesting deeper than {MAX_DEPTH} levels")
        if not self.check_event(yaml.AliasEvent):
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise _Bound(self.peek_event().start_mark,
                             f"the file holds more than {MAX_NODES} values (keys, items and "
                             f"scalars); at most {MAX_NODES} allowed")
        self.depth += 1
        try:
            # types-PyYAML has `index: int`; PyYAML passes a mapping value's key node too
            return yaml.composer.Composer.compose_node(self, parent, index)  # type: ignore[arg-type]
        finally:
            self.depth -= 1


class Line(int):
    """A 1-based line number that also knows its file (`file`).

    It is an int everywhere a line is used; `Checker` reads `file` to report a problem in the
    file the value came from, which matters once trees from two files are merged.
    """

    file: str

    def __new__(cls, number: int, file: str) -> Line:
        line = super().__new__(cls, number)
        line.file = file
        return line

    def __reduce__(self) -> tuple:
        return Line, (int(self), self.file)

    def __repr__(self) -> str:  # str() too: a line prints as its number
        return int.__repr__(self)


class YamlMap(dict):
    """A mapping from a YAML file; `line` is where it starts, `lines[key]` where each key is."""

    line: int | None
    lines: dict

    @property
    def file(self) -> str | None:
        """The file the mapping starts in (None when unknown)."""
        return file_of(self)


class YamlList(list):
    """A sequence from a YAML file; `line` is where it starts, `lines[i]` where each item is."""

    line: int | None
    lines: list

    @property
    def file(self) -> str | None:
        """The file the sequence starts in (None when unknown)."""
        return file_of(self)


def file_of(container: object, key: object = None) -> str | None:
    """The file of `container[key]` (or of the container), when its line knows it."""
    return getattr(line_of(container, key), "file", None)


def line_of(container: object, key: object = None) -> int | None:
    """Line (1-based) of `container[key]`, or of the container itself when key is None.

    The line is a `Line` (it knows its file) for trees built by `load_yaml`/`parse_yaml`."""
    if key is not None:
        lines = getattr(container, "lines", None)
        try:
            return lines[key] if lines is not None else None
        except (KeyError, IndexError, TypeError):
            pass
    return getattr(container, "line", None)


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.nodes = 0

    def line(self, node: yaml.Node) -> Line:
        return Line(node.start_mark.line + 1, self.file)

    def fail(self, node: yaml.Node, message: str) -> NoReturn:
        raise ValidationError([Problem(self.file, node.start_mark.line + 1, "", message)])

    def build(self, node: yaml.Node, depth: int = 0) -> object:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(node, f"document expands to more than {MAX_NODES} values (alias bomb?)")
        if depth > MAX_DEPTH:
            self.fail(node, f"nesting deeper than {MAX_DEPTH} levels (recursive alias?)")
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                self.fail(node, f"tag {node.tag!r} is not allowed")
            out = YamlMap()
            out.line, out.lines = self.line(node), {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.fail(key_node, "merge keys ('<<') are not supported")
                key = self.build(key_node, depth + 1)
                if not isinstance(key, str | int | float | bool) or key is None:
                    self.fail(key_node, "mapping keys must be plain scalars")
                if key in out:
                    self.fail(key_node, f"duplicate key {key!r}")
                out[key] = self.build(value_node, depth + 1)
                out.lines[key] = self.line(key_node)
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self.fail(node, f"tag {node.tag!r} is not allowed")
            seq = YamlList()
            seq.line, seq.lines = self.line(node), []
            for item in node.value:
                seq.append(self.build(item, depth + 1))
                seq.lines.append(self.line(item))
            return seq
        assert isinstance(node, yaml.ScalarNode)  # the composer makes no other kind of node
        return self.scalar(node)

    def scalar(self, node: yaml.ScalarNode) -> object:
        text = node.value
        if node.tag == _STR:
            return text
        if node.tag == _BOOL:
            return text.lower() == "true"
        if node.tag == _NULL:
            return None
        digits = text.replace("_", "")
        try:
            if node.tag == _INT:
                return int(digits)
            if node.tag == _FLOAT:
                low = text.lower().lstrip("+")
                if low in (".inf", "-.inf", ".nan"):
                    return float(low.replace(".", ""))
                return float(digits)
        except ValueError:  # e.g. an integer beyond Python's 4300-digit limit
            self.fail(node, f"the number {_clip(text)} has too many digits to read")
        self.fail(node, f"tag {node.tag!r} is not allowed")
        return None


def _clip(text: str, width: int = 40) -> str:
    """Text for a message, shortened in the middle when long."""
    if len(text) <= width:
        return text
    return f"{text[:20]}...{text[-10:]} ({len(text)} characters)"


def _snippet(text: str) -> str:
    """PyYAML's message, on one line and at most SNIPPET characters (it may quote the file)."""
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[:SNIPPET - 3] + "..."


_CACHE: OrderedDict[tuple, object] = OrderedDict()
CACHE_SIZE = 64


def load_yaml(path: str | Path) -> object:
    """Load one YAML document safely, with line numbers attached.

    A file parsed before (same path, size, inode and modification time) comes from a small
    cache, as a fresh copy since callers may change the tree (`--set`, sweeps that load one
    scenario per design point).

    Raises:
        ValidationError: unreadable file, syntax error, disallowed tag, or a size bound exceeded.
    """
    try:
        st = os.stat(path)
        key: tuple | None = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        key = None  # _load_file reports it
    if key is not None and key in _CACHE:  # (None is never a key of the cache)
        _CACHE.move_to_end(key)
        return copy.deepcopy(_CACHE[key])
    tree = _load_file(path)
    if key is not None:
        _CACHE[key] = tree
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return copy.deepcopy(tree)


def _load_file(path: str | Path) -> object:
    file = str(path)  # every value's line knows it: not shortened (read_input shortens its own)
    raw = read_input(path, MAX_BYTES)  # a regular file, at most MAX_BYTES: else refused
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(file, None, "", f"not UTF-8 text ({exc.reason})")]) from None
    return parse_yaml(text, file)


def parse_yaml(text: str, file: str = "<text>") -> object:
    """Parse YAML text safely, with line numbers attached (see `load_yaml`)."""
    if len(text) > MAX_BYTES:
        raise ValidationError(
            [Problem(file, None, "", f"text is {len(text)} characters; at most {MAX_BYTES}")])
    try:
        loader = _Loader(text)  # the reader refuses control characters here
    except yaml.reader.ReaderError as exc:
        line: int | None = text.count("\n", 0, exc.position) + 1
        message = (f"non-printable character U+{exc.character:04X} is not allowed; remove it, or "
                   "write it as an escape in a double-quoted string")
        raise ValidationError([Problem(file, line, "", message)]) from None
    try:
        node = loader.get_single_node()
    except _Bound as exc:
        raise ValidationError([Problem(file, exc.mark.line + 1, "", exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = _snippet(exc.problem or str(exc))
        raise ValidationError([Problem(file, line, "", f"YAML syntax error: {problem}")]) from None
    except yaml.YAMLError as exc:
        message = f"YAML error: {_snippet(str(exc))}"
        raise ValidationError([Problem(file, None, "", message)]) from None
    finally:
        loader.dispose()
    if node is None:
        raise ValidationError([Problem(file, 1, "", "file is empty; expected a mapping")])
    return _Builder(file).build(node)
